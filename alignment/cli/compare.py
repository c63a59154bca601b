"""Compare two study groups measure by measure and write the paper's table.

Reads the long results table (results.csv, one row per image x side x view x measure)
and a groups file with columns case,group (or image,group). For every measure: n, mean,
SD, median and IQR per group, the mean difference with its CI, the test (welch,
student, mannwhitney, or auto, which says why it chose), the P value with Holm and
Benjamini-Hochberg adjustment across measures, the effect size (Hedges' g or
rank-biserial), and the outliers beyond tolerance per group with Fisher's exact test
and the risk ratio. With --equivalence-margin, also a TOST for equivalence.

The CSV output keeps full precision, one row per measure; md, tex and html give the
paper's "(mean +- SD) vs (mean +- SD), P" layout, rounded.
"""

from __future__ import annotations

import argparse

from alignment.cli import exitcodes
from alignment.stats import compare_groups, publication_table, read_table, write_table
from alignment.stats._common import METRICS
from alignment.stats._twosample import TESTS
from alignment.stats.tables import FORMATS, table_format

HELP = "compare two groups per measure: test, CI, effect size, outliers (the paper's table)"


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment compare`` to `parser`."""
    parser.add_argument("results", metavar="RESULTS.csv", help="long results table")
    parser.add_argument(
        "--groups", required=True, metavar="GROUPS.csv", help="columns case,group or image,group"
    )
    parser.add_argument(
        "--metric", choices=METRICS, default="abs_deviation", help="what to compare"
    )
    parser.add_argument("--test", choices=TESTS, default="welch", help="default: %(default)s")
    parser.add_argument("--order", metavar="A,B", help="group1,group2 (default: sorted)")
    parser.add_argument(
        "--tolerance", type=float, metavar="DEG", help="outlier threshold (default: preset's)"
    )
    parser.add_argument(
        "--equivalence-margin", type=float, metavar="DEG", help="also test equivalence (TOST)"
    )
    parser.add_argument("--measures", metavar="M1,M2", help="measures to compare (default: all)")
    parser.add_argument("--reader", help="use only this reader's rows (default: average)")
    parser.add_argument("--confidence", type=float, default=0.95, help="default: %(default)s")
    parser.add_argument("--out", required=True, metavar="TABLE.csv", help="output file")
    parser.add_argument(
        "--format", choices=FORMATS, help="output format (default: from --out's suffix, else csv)"
    )
    parser.add_argument("--decimals", type=int, default=1, help="decimals of means in md/tex/html")
    parser.add_argument("--p-decimals", type=int, default=3, help="decimals of P values")
    parser.add_argument(
        "--p-threshold", type=float, default=0.001, help="print smaller P as '< threshold'"
    )
    parser.add_argument(
        "--p-column",
        choices=("p_value", "p_holm", "p_bh"),
        default="p_value",
        help="which P the md/tex/html table prints",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``alignment compare``."""
    table = compare_groups(
        read_table(args.results),
        read_table(args.groups),
        measures=_names(args.measures),
        metric=args.metric,
        test=args.test,
        order=_names(args.order),
        tolerance=args.tolerance,
        equivalence_margin=args.equivalence_margin,
        confidence=args.confidence,
        reader=args.reader,
    )
    chosen = table_format(args.out, args.format)
    if chosen == "csv":
        write_table(table, args.out, format="csv")
    else:
        laid_out = publication_table(
            table,
            decimals=args.decimals,
            p_decimals=args.p_decimals,
            p_threshold=args.p_threshold,
            p_column=args.p_column,
        )
        write_table(laid_out, args.out, format=chosen, decimals=args.decimals)
    groups = f"{table['group1'].iloc[0]} vs {table['group2'].iloc[0]}" if len(table) else ""
    print(f"compared {len(table)} measure(s) {groups}; wrote {args.out} ({chosen})")
    return exitcodes.OK
