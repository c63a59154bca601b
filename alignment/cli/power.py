"""Power and sample size of a two-group study, from assumed values or a pilot.

Tests: welch (two-sided Welch t-test of the mean difference), tost (equivalence within
--margin), proportions (z-test of two outlier rates) and fisher (Fisher's exact test of
two outlier rates). Give --n (group 1's size; --n2 or --ratio for group 2) to get the
power, or --power to get the smallest sizes that reach it.

Assumed values: --difference and --sd (--sd2 for unequal SDs) for welch and tost,
--p1 and --p2 for the rates. From a pilot: --pilot RESULTS.csv --groups GROUPS.csv
takes each measure's SDs and outlier rates from the pilot's long results table (as
`alignment compare` reads it); --difference is then the difference to detect (default
the pilot's observed one). Without --out the table is printed as Markdown.
"""

from __future__ import annotations

import argparse

from alignment.cli import exitcodes
from alignment.errors import StatsError
from alignment.options import METRICS, POWER_TESTS, TABLE_FORMATS

HELP = "power and sample size: Welch, TOST equivalence, outlier rates (z-test, Fisher)"


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment power`` to `parser`."""
    parser.add_argument(
        "--test",
        default="welch",
        metavar="T1,T2",
        help=f"one or more of {', '.join(POWER_TESTS)} (default: %(default)s)",
    )
    solve = parser.add_mutually_exclusive_group()
    solve.add_argument("--n", type=int, metavar="N1", help="size of group 1: give the power")
    solve.add_argument("--power", type=float, metavar="P", help="target power: give the sizes")
    parser.add_argument("--n2", type=int, metavar="N2", help="size of group 2 (default: ratio)")
    parser.add_argument("--ratio", type=float, default=1.0, help="n2 / n1 (default: %(default)s)")
    parser.add_argument("--alpha", type=float, default=0.05, help="default: %(default)s")
    parser.add_argument(
        "--difference", type=float, metavar="DEG", help="true mean1 - mean2 (tost: default 0)"
    )
    parser.add_argument("--sd", type=float, metavar="DEG", help="SD of group 1 (assumed)")
    parser.add_argument("--sd2", type=float, metavar="DEG", help="SD of group 2 (default: --sd)")
    parser.add_argument("--p1", type=float, help="outlier rate of group 1 (assumed, 0-1)")
    parser.add_argument("--p2", type=float, help="outlier rate of group 2 (assumed, 0-1)")
    parser.add_argument("--margin", type=float, metavar="DEG", help="equivalence margin (tost)")
    pilot = parser.add_argument_group("from a pilot")
    pilot.add_argument("--pilot", metavar="RESULTS.csv", help="the pilot's long results table")
    pilot.add_argument("--groups", metavar="GROUPS.csv", help="columns case,group or image,group")
    pilot.add_argument("--metric", choices=METRICS, default="abs_deviation", help="compared")
    pilot.add_argument("--measures", metavar="M1,M2", help="measures (default: all)")
    pilot.add_argument("--order", metavar="A,B", help="group1,group2 (default: sorted)")
    pilot.add_argument("--tolerance", type=float, metavar="DEG", help="outlier threshold")
    pilot.add_argument("--reader", help="use only this reader's rows (default: average)")
    parser.add_argument("--out", metavar="POWER.csv", help="output file (default: print)")
    parser.add_argument("--format", choices=TABLE_FORMATS, help="default: from --out's suffix")
    parser.add_argument("--decimals", type=int, default=3, help="decimals in md/tex/html")


def run(args: argparse.Namespace) -> int:
    """Run ``alignment power``."""
    import pandas as pd

    from alignment.stats import read_table, render_table, write_table
    from alignment.stats.power import POWER_COLUMNS, pilot_power, power_analysis
    from alignment.stats.tables import table_format

    tests = _names(args.test) or []
    if args.pilot is not None:
        if args.groups is None:
            raise StatsError("--pilot needs --groups (columns case,group or image,group)")
        table = pilot_power(
            read_table(args.pilot),
            read_table(args.groups),
            tests=tests,
            difference=args.difference,
            margin=args.margin,
            n1=args.n,
            n2=args.n2,
            ratio=args.ratio,
            power=args.power,
            alpha=args.alpha,
            measures=_names(args.measures),
            metric=args.metric,
            order=_names(args.order),
            tolerance=args.tolerance,
            reader=args.reader,
        )
    else:
        if args.n is None and args.power is None:
            raise StatsError("give --n (to get the power) or --power (to get the sizes)")
        rows = []
        for test in tests:
            row = power_analysis(
                test,
                difference=args.difference,
                sd1=args.sd,
                sd2=args.sd2,
                p1=args.p1,
                p2=args.p2,
                margin=args.margin,
                n1=args.n,
                n2=args.n2,
                ratio=args.ratio,
                power=args.power,
                alpha=args.alpha,
            )
            row["notes"] = "; ".join(row["notes"])
            rows.append(row | {"source": "assumed"})
        table = pd.DataFrame(rows)
        table = table[[c for c in POWER_COLUMNS if c in table.columns]]
    if args.out is None:
        print(render_table(table, format="md", decimals=args.decimals), end="")
        return exitcodes.OK
    chosen = table_format(args.out, args.format)
    write_table(table, args.out, format=chosen, decimals=args.decimals)
    print(f"power: {len(table)} row(s); wrote {args.out} ({chosen})")
    return exitcodes.OK
