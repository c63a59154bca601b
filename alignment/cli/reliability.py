"""Reliability of the measurements: ICC, SEM, MDC95 and Bland-Altman limits.

Reads either a landmark file (columns image,side,view,landmark,x,y and reader), which
is measured first, a long results table with a reader column, or the REVIEW_DIR of
alignment review: its readers are compared (only the legs each accepted), and the
detection proposals against each reader (scope detector:<reader>). Readers (and the
automatic detection, as one more reader) are compared on the same images: the ICC in
all six Shrout-Fleiss forms with CIs, the standard error of measurement, the minimal
detectable change, Bland-Altman bias and 95% limits of agreement with CIs and the
proportional bias, and Lin's concordance correlation; the categorical CPAK type gets
Cohen's kappa (--kappa-weights for ordered classes). --plots DIR writes a Bland-Altman
plot (SVG or PNG) per measure and reader pair. With --session, each reader's repeated
sessions give intra-observer reliability.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from alignment.cli import exitcodes
from alignment.errors import StatsError
from alignment.options import KAPPA_WEIGHTS, PLOT_FORMATS, TABLE_FORMATS

if TYPE_CHECKING:
    import pandas as pd

HELP = "inter- and intra-observer reliability: ICC, SEM, MDC95, Bland-Altman"

_LANDMARK_COLUMNS = {"image", "side", "view", "landmark", "x", "y"}
_RESULTS_COLUMNS = {"measure", "value", "status"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Attach the options of ``alignment reliability`` to `parser`."""
    parser.add_argument(
        "table",
        metavar="LANDMARKS_OR_RESULTS.csv",
        help="landmark file, results table, or the REVIEW_DIR of alignment review",
    )
    parser.add_argument("--out", required=True, metavar="RELIABILITY.csv", help="output file")
    parser.add_argument("--rater", default="reader", help="rater column (default: %(default)s)")
    parser.add_argument("--session", metavar="COLUMN", help="session column (intra-observer)")
    parser.add_argument(
        "--reference", metavar="READER", help="pairwise analyses against this reader"
    )
    parser.add_argument(
        "--kappa-weights",
        choices=KAPPA_WEIGHTS,
        default="none",
        help="Cohen's kappa weights for the CPAK type (default: %(default)s)",
    )
    parser.add_argument(
        "--plots", metavar="DIR", help="write a Bland-Altman plot per measure and reader pair"
    )
    parser.add_argument(
        "--plot-format", choices=PLOT_FORMATS, default="svg", help="default: %(default)s"
    )
    parser.add_argument("--measures", metavar="M1,M2", help="measures (default: all)")
    parser.add_argument("--preset", default="default", help="target preset for a landmark file")
    parser.add_argument("--confidence", type=float, default=0.95, help="default: %(default)s")
    parser.add_argument("--format", choices=TABLE_FORMATS, help="default: from --out's suffix")
    parser.add_argument("--decimals", type=int, default=3, help="decimals in md/tex/html")


def _results(path: str, preset: str, session: str | None) -> pd.DataFrame:
    """The results table in `path`, measuring it first if it holds landmarks."""
    import pandas as pd

    from alignment.stats import read_table

    table = read_table(path)
    columns = set(map(str, table.columns))
    if columns >= _LANDMARK_COLUMNS:
        from alignment import measure_landmarks

        if session is None or session not in columns:
            return measure_landmarks(path, preset=preset)
        # One measurement per session, tagged, so that sessions stay apart.
        parts = []
        for name, rows in table.groupby(session, sort=True, dropna=False):
            measured = measure_landmarks(rows.drop(columns=[session]), preset=preset)
            parts.append(measured.assign(**{session: "" if pd.isna(name) else str(name)}))
        return pd.concat(parts, ignore_index=True)
    if columns >= _RESULTS_COLUMNS:
        return table
    raise StatsError(
        f"{path}: neither a landmark file (columns {', '.join(sorted(_LANDMARK_COLUMNS))}) "
        f"nor a results table (columns {', '.join(sorted(_RESULTS_COLUMNS))}); "
        f"found {', '.join(sorted(columns))}"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``alignment reliability``."""
    from alignment.report.bland_altman import write_bland_altman_plots
    from alignment.stats import reliability, write_table

    measures = None if args.measures is None else [m.strip() for m in args.measures.split(",")]
    selection = {
        "measures": measures,
        "rater": args.rater,
        "session": args.session,
        "reference": args.reference,
    }
    if Path(args.table).is_dir():
        if args.plots is not None:
            raise StatsError(
                f"{args.table}: --plots reads a landmark or results table, not a review folder"
            )
        from alignment.review import review_reliability

        results = None
        table = review_reliability(
            args.table,
            preset=args.preset,
            measures=measures,
            reference=args.reference,
            confidence=args.confidence,
        )
    else:
        results = _results(args.table, args.preset, args.session)
        table = reliability(
            results, kappa_weights=args.kappa_weights, confidence=args.confidence, **selection
        )
    chosen = write_table(table, args.out, format=args.format, decimals=args.decimals)
    scopes = ", ".join(dict.fromkeys(table["scope"]))
    print(
        f"reliability of {table['measure'].nunique()} measure(s) ({scopes}); "
        f"wrote {args.out} ({chosen})"
    )
    if results is not None and args.plots is not None:
        plots = write_bland_altman_plots(results, args.plots, format=args.plot_format, **selection)
        print(f"wrote {len(plots)} Bland-Altman plot(s) to {args.plots}")
    return exitcodes.OK
