"""Compare two study groups measure by measure and write the paper's table.

Reads the long results table (results.csv, one row per image x side x view x measure)
and a groups file with columns case,group (or image,group). For every measure: n, mean,
SD, median and IQR per group, the mean difference with its CI, the test (welch,
student, mannwhitney, or auto, which says why it chose), the P value with Holm and
Benjamini-Hochberg adjustment across measures, the effect size (Hedges' g or
rank-biserial), and the outliers beyond tolerance per group with Fisher's exact test
, the risk ratio, the risk difference and the odds ratio. With --equivalence-margin, also
a TOST for equivalence; with --non-inferiority-margin (a mean) or
--non-inferiority-rate-margin (the outlier rate), a one-sided non-inferiority test.

Both legs of one patient are not independent: --cluster mixed (a random intercept per
patient) or --cluster gee (exchangeable correlation, robust SE) fits the difference
by patient; --patient names the column that identifies the patient (default the
case). The table says how legs were counted. --baseline PRE.csv (the pre-op results
table) and --covariates COV.csv add the difference adjusted for the pre-op value and
the covariates (ANCOVA); --power-difference DEG adds the power achieved to detect that
difference; --forest FOREST.svg draws the differences with their CIs.

The CSV output keeps full precision, one row per measure; md, tex and html give the
paper's "(mean +- SD) vs (mean +- SD), P" layout, rounded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alignment.cli import exitcodes
from alignment.options import CLUSTERS, METRICS, TABLE_FORMATS, TESTS

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
    parser.add_argument(
        "--non-inferiority-margin",
        type=float,
        metavar="DEG",
        help="also test that group1's mean is not worse (higher) by more than DEG",
    )
    parser.add_argument(
        "--non-inferiority-rate-margin",
        type=float,
        metavar="FRACTION",
        help="also test that group1's outlier rate is not worse by more than FRACTION",
    )
    parser.add_argument(
        "--cluster",
        choices=CLUSTERS,
        help="count the legs of one patient as correlated (default: independent)",
    )
    parser.add_argument(
        "--patient", metavar="COLUMN", help="column naming the patient (default: case)"
    )
    parser.add_argument(
        "--baseline", metavar="PRE.csv", help="pre-op results table: add the adjusted difference"
    )
    parser.add_argument(
        "--baseline-metric",
        choices=METRICS,
        default="value",
        help="what of the pre-op film adjusts (default: %(default)s)",
    )
    parser.add_argument(
        "--covariates", metavar="COV.csv", help="case (or image) and covariate columns"
    )
    parser.add_argument(
        "--covariate-columns", metavar="C1,C2", help="covariates to use (default: all)"
    )
    parser.add_argument(
        "--power-difference",
        type=float,
        metavar="DEG",
        help="add the power achieved to detect this difference of means",
    )
    parser.add_argument("--forest", metavar="FOREST.svg", help="also write a forest plot")
    parser.add_argument("--measures", metavar="M1,M2", help="measures to compare (default: all)")
    parser.add_argument("--reader", help="use only this reader's rows (default: average)")
    parser.add_argument("--confidence", type=float, default=0.95, help="default: %(default)s")
    parser.add_argument("--out", required=True, metavar="TABLE.csv", help="output file")
    parser.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        help="output format (default: from --out's suffix, else csv)",
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
    from alignment.report.forest import write_forest_plot
    from alignment.stats import compare_groups, publication_table, read_table, write_table
    from alignment.stats.tables import table_format

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
        cluster=args.cluster,
        patient=args.patient,
        power_difference=args.power_difference,
        baseline=read_table(args.baseline) if args.baseline else None,
        covariates=read_table(args.covariates) if args.covariates else None,
        covariate_columns=_names(args.covariate_columns),
        baseline_metric=args.baseline_metric,
        noninferiority_margin=args.non_inferiority_margin,
        noninferiority_rate_margin=args.non_inferiority_rate_margin,
    )
    if args.forest:
        write_forest_plot(table, args.forest)
        if "adjusted_diff" in table.columns:
            adjusted = Path(args.forest)
            write_forest_plot(
                table, adjusted.with_name(f"{adjusted.stem}-adjusted.svg"), adjusted=True
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
        caption = None
        if args.cluster and len(table):
            caption = f"n = legs; {table['legs_counted'].iloc[0]}"
        write_table(laid_out, args.out, format=chosen, decimals=args.decimals, caption=caption)
    groups = f"{table['group1'].iloc[0]} vs {table['group2'].iloc[0]}" if len(table) else ""
    print(f"compared {len(table)} measure(s) {groups}; wrote {args.out} ({chosen})")
    return exitcodes.OK
