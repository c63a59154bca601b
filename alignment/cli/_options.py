"""Options several sub-commands share, defined once."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer of at least `minimum`, else a usage error.

    Examples
    --------
    >>> integer(0)("4")
    4
    >>> integer(0)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '-1' is not an integer >= 0
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= {minimum}")
        return value

    return parse


def number(minimum: float, *, strict: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number of at least (or, `strict`, above) `minimum`.

    Examples
    --------
    >>> number(0, strict=True)("0.5")
    0.5
    >>> number(0, strict=True)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '0' is not a number > 0
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number {'>' if strict else '>='} {minimum:g}"
            )
        return value

    return parse


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


def add_implant_argument(parser: argparse.ArgumentParser) -> None:
    """``--implant yes|no``: the knee type of every leg whose landmarks give none."""
    parser.add_argument(
        "--implant",
        choices=("yes", "no"),
        help="knees are replaced (yes) or native (no) where the landmarks' implant column "
        "does not say; default: replaced where a lateral film has component landmarks, "
        "else unknown (every target kept)",
    )


def implant(args: argparse.Namespace) -> bool | None:
    """``--implant`` as a bool, None when not given."""
    return None if args.implant is None else args.implant == "yes"


def overrides(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The ``--set`` options as ``{measure: {field: value}}``."""
    from alignment.measures.presets import parse_override

    merged: dict[str, dict[str, float]] = {}
    for text in args.overrides:
        for measure, fields in parse_override(text).items():
            merged.setdefault(measure, {}).update(fields)
    return merged
