"""List every measure of the registry: formula, unit, meaning, sign, target, tolerance.

``--format markdown`` prints the page ``docs/measures.md`` is generated from.
"""

from __future__ import annotations

import argparse
import sys

from alignment.cli import exitcodes

HELP = "list the measures, their formulas and targets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "csv", "json"),
        default="text",
        help="output format (default: %(default)s)",
    )
    parser.add_argument(
        "--preset", default="default", metavar="NAME|FILE", help="whose targets to show"
    )


def run(args: argparse.Namespace) -> int:
    from alignment.csvtext import csv_text
    from alignment.measures import catalogue_markdown, measure_catalogue

    if args.format == "markdown":
        sys.stdout.write(catalogue_markdown(args.preset))
        return exitcodes.OK
    table = measure_catalogue(args.preset)
    if args.format == "csv":
        sys.stdout.write(csv_text(table))
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        shown = table.drop(columns=["landmarks", "meaning"]).astype(object).fillna("")
        sys.stdout.write(shown.to_string(index=False) + "\n")
    return exitcodes.OK
