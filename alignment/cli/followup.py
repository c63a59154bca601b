"""Clinical scores over follow-up: mixed model, between- and within-group tests.

Reads a long table subject,group,time,score (and optionally instrument: HSS, VAS,
WOMAC, ROM or any). For each instrument: a linear mixed model (REML, random intercept
per subject) with group, time and group x time, including a joint Wald test of the
interaction; the two groups compared at each time point; and each group's change from
baseline (the first time point). Convergence problems are reported in the converged
and notes columns, never hidden.
"""

from __future__ import annotations

import argparse

from alignment.cli import exitcodes
from alignment.options import TABLE_FORMATS, TESTS

HELP = "follow-up scores: mixed model group x time, per-visit and change-from-baseline tests"


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment followup`` to `parser`."""
    parser.add_argument("scores", metavar="SCORES.csv", help="long table of scores")
    parser.add_argument("--out", required=True, metavar="FOLLOWUP.csv", help="output file")
    for column in ("subject", "group", "time", "score"):
        parser.add_argument(
            f"--{column}", default=column, metavar="COLUMN", help="default: %(default)s"
        )
    parser.add_argument(
        "--instrument",
        metavar="COLUMN",
        help="instrument column (default: 'instrument' if present)",
    )
    parser.add_argument("--order", metavar="A,B", help="reference group, other group")
    parser.add_argument("--time-order", metavar="T0,T1,...", help="time points, baseline first")
    parser.add_argument("--test", choices=TESTS, default="welch", help="between-group test")
    parser.add_argument("--confidence", type=float, default=0.95, help="default: %(default)s")
    parser.add_argument("--format", choices=TABLE_FORMATS, help="default: from --out's suffix")
    parser.add_argument("--decimals", type=int, default=3, help="decimals in md/tex/html")


def run(args: argparse.Namespace) -> int:
    """Run ``alignment followup``."""
    from alignment.stats import followup_analysis, read_table, write_table

    scores = read_table(args.scores)
    instrument = args.instrument
    if instrument is None and "instrument" in scores.columns:
        instrument = "instrument"
    table = followup_analysis(
        scores,
        subject=args.subject,
        group=args.group,
        time=args.time,
        score=args.score,
        instrument=instrument,
        order=_names(args.order),
        time_order=_names(args.time_order),
        test=args.test,
        confidence=args.confidence,
    )
    chosen = write_table(table, args.out, format=args.format, decimals=args.decimals)
    unconverged = int((table["converged"] == False).sum())  # noqa: E712 - nullable boolean
    warning = f"; {unconverged} model row(s) not converged, see notes" if unconverged else ""
    print(
        f"follow-up of {table['instrument'].nunique()} instrument(s){warning}; "
        f"wrote {args.out} ({chosen})"
    )
    return exitcodes.OK
