"""Measure every landmark set of one or more landmark files.

Reads canonical landmark CSV/JSON (and every annotation format the toolkit imports),
computes every measure of the spec, and writes the long results table (one row per
image x side x view x measure) or, with --wide, one row per landmark set.
"""

from __future__ import annotations

import argparse
import sys

from alignment.cli import exitcodes
from alignment.cli._options import add_implant_argument, add_preset_arguments, implant, overrides

HELP = "measure landmark files: every angle, deviation and outlier flag"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("landmarks", nargs="+", metavar="LANDMARKS", help="landmark file(s)")
    parser.add_argument(
        "--out", metavar="RESULTS.csv", help="write the table here (default: standard output)"
    )
    add_preset_arguments(parser)
    add_implant_argument(parser)
    parser.add_argument(
        "--orientation",
        metavar="ROW\\COLUMN",
        help="DICOM Patient Orientation of images whose landmarks give none, e.g. 'L\\F'",
    )
    parser.add_argument(
        "--wide", action="store_true", help="one row per image x side x view, a column per measure"
    )


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from alignment.atomic import write_text_atomic
    from alignment.csvtext import csv_text
    from alignment.landmarks import read_landmarks, validate_landmarks
    from alignment.measures import flag_review, measure_landmarks, to_wide
    from alignment.measures.rounding import round_results

    tables = [read_landmarks(path) for path in args.landmarks]
    table = tables[0] if len(tables) == 1 else validate_landmarks(pd.concat(tables))
    results = measure_landmarks(
        table,
        preset=args.preset,
        overrides=overrides(args),
        orientation=args.orientation,
        implant=implant(args),
    )
    # a detection CSV's legs flagged for review keep the flag, as in the batch
    results = flag_review(results, table)
    readable = round_results(results)  # 0.01 deg, 0.1 mm: see alignment.measures.rounding
    output = to_wide(readable) if args.wide else readable
    text = csv_text(output)
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        write_text_atomic(args.out, text)
        missing = int((results["status"] != "ok").sum())
        print(
            f"{results.groupby(['image', 'side', 'view', 'reader']).ngroups} landmark sets, "
            f"{len(results)} measures ({missing} missing) -> {args.out}",
            file=sys.stderr,
        )
    return exitcodes.OK
