"""Re-test a published table of mean, SD and n per group.

Reads a CSV with columns measure,mean1,sd1,n1,mean2,sd2,n2 and optionally group1,
group2, p_reported (as printed: <0.05, 0.03 ...) and integer_items (for integer
scores: items summed per subject). Recomputes Student's and Welch's t-tests, says
whether each recomputed P agrees with the reported one, and flags impossible entries:
an SD of 0 or below, n below 2, and means of integer scores that no n integers can
give (GRIM). Values are read as printed, so the decimals GRIM needs are kept.
"""

from __future__ import annotations

import argparse

from alignment.cli import exitcodes
from alignment.options import TABLE_FORMATS

HELP = "recompute t-tests from a published mean/SD/n table and flag impossible entries"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment summary-test`` to `parser`."""
    parser.add_argument("table", metavar="TABLE.csv", help="published summary statistics")
    parser.add_argument("--out", required=True, metavar="RETEST.csv", help="output file")
    parser.add_argument("--format", choices=TABLE_FORMATS, help="default: from --out's suffix")
    parser.add_argument("--decimals", type=int, default=4, help="decimals in md/tex/html")


def run(args: argparse.Namespace) -> int:
    """Run ``alignment summary-test``."""
    from alignment.stats import read_table, summary_ttests, write_table

    table = summary_ttests(read_table(args.table, text=True))
    chosen = write_table(table, args.out, format=args.format, decimals=args.decimals)
    flagged = int((table["flags"] != "").sum())
    disagree = int(
        ((table["student_consistent"] == False) | (table["welch_consistent"] == False))  # noqa: E712
        .fillna(False)
        .sum()
    )
    print(
        f"re-tested {len(table)} row(s): {flagged} flagged, {disagree} P value(s) disagree "
        f"with the paper; wrote {args.out} ({chosen})"
    )
    return exitcodes.OK
