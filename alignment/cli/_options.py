"""Options several sub-commands share, defined once."""

from __future__ import annotations

import argparse

from alignment.measures.presets import parse_override


def add_preset_arguments(parser: argparse.ArgumentParser) -> None:
    """``--preset NAME|FILE`` and repeatable ``--set MEASURE.FIELD=VALUE``."""
    parser.add_argument(
        "--preset",
        default="default",
        metavar="NAME|FILE",
        help="target preset: default, knee-society, or a TOML file (default: %(default)s)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="MEASURE.FIELD=VALUE",
        help="override one target or tolerance, e.g. hka.tolerance=2 (repeatable)",
    )


def overrides(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The ``--set`` options as ``{measure: {field: value}}``."""
    merged: dict[str, dict[str, float]] = {}
    for text in args.overrides:
        for measure, fields in parse_override(text).items():
            merged.setdefault(measure, {}).update(fields)
    return merged
