"""Review and place landmarks in the browser.

Finds the films of STUDY_DIR and pairs them with landmark files as alignment batch
does, then serves a page on 127.0.0.1 (a per-run token in the printed URL) where each
leg's landmarks are dragged or placed and measured at once. Every change is written to
REVIEW_DIR/landmarks_<reader>.csv and measures_<reader>.csv; stop with Ctrl-C and start
again to go on where you stopped. See docs/review.md.
"""

from __future__ import annotations

import argparse
import sys

from alignment.cli import exitcodes
from alignment.cli._options import add_preset_arguments, overrides

HELP = "review and place landmarks in the browser (a local server)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment review`` to `parser`."""
    parser.add_argument("study", metavar="STUDY_DIR", help="folder of films (never modified)")
    parser.add_argument(
        "--out", required=True, metavar="REVIEW_DIR", help="where the reader's files go"
    )
    parser.add_argument(
        "--landmarks",
        metavar="FILE_OR_DIR",
        help="proposals: a landmark file or folder (default: those found in STUDY_DIR)",
    )
    parser.add_argument(
        "--detect",
        nargs="?",
        const="all",
        choices=("all", "missing"),
        help="propose landmarks by automatic detection: on every film, or 'missing' "
        "(films without landmarks)",
    )
    parser.add_argument(
        "--reader", default="reader", help="your name in the output files (default: %(default)s)"
    )
    parser.add_argument(
        "--blind", action="store_true", help="hide every other reader's points and measures"
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface (default: %(default)s; others warn)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--keep-identifiers",
        action="store_true",
        help="show the patient's name and ID from the DICOM header on the page",
    )
    parser.add_argument(
        "--follow-links", action="store_true", help="follow links that leave STUDY_DIR"
    )
    add_preset_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``alignment review``."""
    from alignment.measures import load_preset
    from alignment.review import review

    def ready(url: str) -> None:
        print(f"alignment review: serving {args.study} as reader {args.reader!r}")
        print(f"    {url}")
        print("press Ctrl-C to stop (every change is already saved)", flush=True)

    review(
        args.study,
        args.out,
        landmarks=args.landmarks,
        detect=args.detect,
        reader=args.reader,
        blind=args.blind,
        preset=load_preset(args.preset, overrides=overrides(args)),
        keep_identifiers=args.keep_identifiers,
        follow_links=args.follow_links,
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        on_ready=ready,
    )
    print("alignment review: stopped", file=sys.stderr)
    return exitcodes.OK
