"""The ``alignment`` command line: one thin sub-command per library function.

Each sub-command is a module of this package named in :data:`COMMANDS` (a hyphen in
the command is an underscore in the module) that defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Modules hold no measurement or
statistics logic: they parse, call one public function, write, and return an exit
code from :mod:`alignment.cli.exitcodes`.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import functools
import importlib
import importlib.util
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

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


def _module(name: str) -> str:
    return f"alignment.cli.{name.replace('-', '_')}"


@functools.cache
def _describe(name: str) -> tuple[str, str | None]:
    """``(HELP, docstring)`` of a sub-command, read from its source without importing it
    (importing pulls in numpy, pandas, scipy: seconds, for a ``--help``); a module whose
    ``HELP`` is not a string literal is imported."""
    spec = importlib.util.find_spec(_module(name))
    assert spec is not None and spec.origin is not None, name
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["HELP"]
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value), ast.get_docstring(tree, clean=False)
    module = importlib.import_module(_module(name))  # HELP is not a literal: import
    return module.HELP, module.__doc__


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command attached.

    Parameters
    ----------
    only : str, optional
        Import and fully define only this sub-command (the others are listed, with
        their one-line help, but take no options); ``""``: none. Default: all. The
        command line passes the sub-command it was given, so that ``--help`` starts
        in a fraction of a second.
    """
    parser = argparse.ArgumentParser(
        prog="alignment",
        description="Measure lower-limb and knee-implant alignment on radiographs.",
        epilog=exitcodes.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        summary, description = _describe(name)
        sub = commands.add_parser(
            name,
            help=summary,
            description=description,
            epilog=exitcodes.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if only is not None and name != only:
            continue
        module = importlib.import_module(_module(name))
        module.add_arguments(sub)
        # Accepted after the sub-command too; SUPPRESS keeps the top-level value.
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP
        )
        sub.set_defaults(run=module.run, _parser=sub)
    return parser


def _command_in(argv: Sequence[str]) -> str:
    """The sub-command `argv` names (its first word that is one), or ``""``."""
    return next((word for word in argv if word in COMMANDS), "")


_DEBUG_HELP = "show the full traceback of an unexpected error"


def _unrecognised(parser: argparse.ArgumentParser, extras: Sequence[str]) -> str:
    """``unrecognized arguments: --ovrlay; did you mean --overlay?``"""
    options = [o for action in parser._actions for o in action.option_strings]
    close = [
        match
        for extra in extras
        if extra.startswith("-")
        for match in difflib.get_close_matches(extra.split("=")[0], options, n=1, cutoff=0.6)
    ]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unrecognized arguments: {' '.join(extras)}{hint}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: ``sys.argv[1:]``); return the exit code.

    Errors the toolkit expects (bad input, unreadable files) print one line to
    standard error and return :data:`exitcodes.INPUT_ERROR`; anything else prints one
    line too (the traceback with ``--debug``) and returns :data:`exitcodes.INTERNAL_ERROR`.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_in(argv))
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # the sub-command's usage, and the option it was probably meant to be
            sub = getattr(args, "_parser", parser)
            sub.error(_unrecognised(sub, extras))
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
