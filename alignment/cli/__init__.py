"""The ``alignment`` command line: one thin sub-command per library function.

Each sub-command is a module of this package named in :data:`COMMANDS` (a hyphen in
the command is an underscore in the module) that defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Modules hold no measurement or
statistics logic: they parse, call one public function, write, and return an exit
code from :mod:`alignment.cli.exitcodes`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence

from alignment import __version__
from alignment.cli import exitcodes
from alignment.errors import AlignmentError, Interrupted
from alignment.notes import LOG_FORMAT, show_warnings_as_notes

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[str, ...] = (
    "batch",
    "measure",
    "measures",
    "compare",
    "power",
    "reliability",
    "followup",
    "summary-test",
    "info",
    "phantom",
    "detect",
    "review",
)
"""Sub-commands, in the order ``alignment --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command attached."""
    parser = argparse.ArgumentParser(
        prog="alignment",
        description="Measure lower-limb and knee-implant alignment on radiographs.",
        epilog=exitcodes.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an unexpected error"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"alignment.cli.{name.replace('-', '_')}")
        sub = commands.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            epilog=exitcodes.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: ``sys.argv[1:]``); return the exit code.

    Errors the toolkit expects (bad input, unreadable files) print one line to
    standard error and return :data:`exitcodes.INPUT_ERROR`; anything else prints one
    line too (the traceback with ``--debug``) and returns :data:`exitcodes.INTERNAL_ERROR`.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0)
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    try:
        with _sigterm_as_interrupt(), warnings.catch_warnings():
            show_warnings_as_notes()
            return int(args.run(args))
    except AlignmentError as exc:
        print(f"alignment {args.command}: error: {exc}", file=sys.stderr)
        return exitcodes.INPUT_ERROR
    except OSError as exc:
        print(f"alignment {args.command}: error: {exc}", file=sys.stderr)
        return exitcodes.INPUT_ERROR
    except KeyboardInterrupt as exc:
        if getattr(exc, "signum", signal.SIGINT) == signal.SIGTERM:
            print(f"alignment {args.command}: terminated (SIGTERM)", file=sys.stderr)
            return exitcodes.TERMINATED
        print(f"alignment {args.command}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"alignment {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return exitcodes.INTERNAL_ERROR


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM stops the command as Ctrl-C does (exit code 143).

    A batch stops cleanly either way: it stores what finished and ends its workers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
