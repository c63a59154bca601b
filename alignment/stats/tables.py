"""Publication tables: the paper's "(mean +- SD) vs (mean +- SD), P" in four formats.

CSV keeps full precision (every digit of every float, so that numbers can be checked
and reused); Markdown, LaTeX and HTML are for reading, and round.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.csvtext import csv_text, restore_formulas
from alignment.errors import StatsError
from alignment.options import TABLE_FORMATS as FORMATS
from alignment.stats._common import check_choice, require_columns

__all__ = [
    "FORMATS",
    "TEXT_COLUMNS",
    "format_mean_sd",
    "format_p",
    "publication_table",
    "read_table",
    "render_table",
    "table_format",
    "write_table",
]

TEXT_COLUMNS: tuple[str, ...] = (
    "image",
    "case",
    "reader",
    "side",
    "view",
    "measure",
    "unit",
    "label",
    "status",
    "reason",
    "flags",
    "preset",
    "preset_hash",
    "group",
    "subject",
    "time",
    "instrument",
    "session",
    "landmark",
    "method",
)
"""Columns :func:`read_table` reads as text (identifiers such as case ``007``)."""


def read_table(path: str | os.PathLike[str], *, text: bool = False) -> pd.DataFrame:
    """Read a CSV table for the statistics layer.

    Identifier columns (:data:`TEXT_COLUMNS`) are read as text so that ``007``
    stays ``007``; with ``text=True`` every column is (to keep the decimals a
    published table printed). The quote the toolkit's CSV writer puts before a
    formula-like text (``'=case01``) is taken off again
    (:func:`alignment.csvtext.restore_formulas`), so a results file joins with the
    groups file it was made from.

    Raises
    ------
    OSError
        The file cannot be read.
    StatsError
        The file is not a readable CSV table.
    """
    try:
        if text:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            header = pd.read_csv(path, nrows=0)
            dtypes = {c: str for c in header.columns if c in TEXT_COLUMNS}
            table = pd.read_csv(path, dtype=dtypes)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise StatsError(f"{os.fspath(path)}: not a readable CSV table: {exc}") from None
    return restore_formulas(table)


def format_p(p: float, *, decimals: int = 3, threshold: float = 0.001) -> str:
    """Format a P value the way journals print it.

    Parameters
    ----------
    p : float
    decimals : int, default 3
        Decimals of P values at or above `threshold`.
    threshold : float, default 0.001
        Below it (or below ``10 ** -decimals`` if larger), print ``< threshold``.

    Returns
    -------
    str
        ``"< 0.001"``, ``"0.023"``, or ``""`` for NaN.

    Examples
    --------
    >>> format_p(0.0000123), format_p(0.0234), format_p(0.5, decimals=2)
    ('< 0.001', '0.023', '0.50')
    """
    if p is None or not math.isfinite(p):
        return ""
    limit = max(threshold, 10.0**-decimals)  # never print a P that rounds to 0
    if p < limit:
        return f"< {limit:g}"
    return f"{p:.{decimals}f}"


def format_mean_sd(mean: float, sd: float, *, decimals: int = 1) -> str:
    """``"80.0 ± 12.7"``; ``""`` if the mean is NaN; the SD is left out if NaN.

    Examples
    --------
    >>> format_mean_sd(80.0, 12.66)
    '80.0 ± 12.7'
    """
    if mean is None or not math.isfinite(mean):
        return ""
    if sd is None or not math.isfinite(sd):
        return f"{mean:.{decimals}f}"
    return f"{mean:.{decimals}f} ± {sd:.{decimals}f}"


def publication_table(
    table: pd.DataFrame,
    *,
    decimals: int = 1,
    p_decimals: int = 3,
    p_threshold: float = 0.001,
    p_column: str = "p_value",
    labels: Mapping[str, str] | None = None,
    outliers: bool = True,
    power: bool = True,
    adjusted: bool = True,
) -> pd.DataFrame:
    """Lay a :func:`compare_groups` table out as the paper does.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`compare_groups` (columns ``measure``, ``group1``,
        ``group2``, ``n1``, ``n2``, ``mean1``, ``sd1``, ``mean2``, ``sd2`` and the P
        column; ``outliers1``, ``outlier_pct1``, ... for the outlier columns).
    decimals : int, default 1
        Decimals of means and SDs.
    p_decimals : int, default 3
    p_threshold : float, default 0.001
        P values below it print as ``< 0.001``.
    p_column : str, default "p_value"
        Which P to print (``p_holm`` or ``p_bh`` for adjusted ones).
    labels : mapping, optional
        Display names of measures (e.g. ``{"fta": "FTA deviation"}``).
    outliers : bool, default True
        Add the outlier columns ("n (%)" per group and Fisher's P) when present.
    power : bool, default True
        Add ``Power`` (the power achieved to detect ``power_difference``, as a
        percentage) when the table has it.
    adjusted : bool, default True
        Add ``Adjusted difference`` (ANCOVA difference with its CI) and ``P
        (adjusted)`` when the table has them.

    Returns
    -------
    DataFrame
        All text: ``Measure``, ``<group1> (n = ..)``, ``<group2> (n = ..)``, ``P``
        and, with outliers, ``Outliers <group1>``, ``Outliers <group2>``,
        ``P (outliers)``; then ``Adjusted difference``, ``P (adjusted)`` and
        ``Power (<d>)`` where asked and present. The n goes into the header when it
        is the same for every measure, else into each cell.

    Raises
    ------
    StatsError
        A required column is missing, or the table compares several group pairs.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "measure": ["fta"], "group1": ["PSI"], "group2": ["CI"], "n1": [47],
    ...     "n2": [53], "mean1": [1.0], "sd1": [0.3], "mean2": [2.2], "sd2": [0.7],
    ...     "p_value": [1e-12],
    ... })
    >>> publication_table(table).iloc[0].tolist()
    ['fta', '1.0 ± 0.3', '2.2 ± 0.7', '< 0.001']
    """
    needed = ["measure", "group1", "group2", "n1", "n2", "mean1", "sd1", "mean2", "sd2"]
    require_columns(table, [*needed, p_column], "comparison table")
    pairs = table[["group1", "group2"]].drop_duplicates()
    if len(pairs) > 1:
        raise StatsError("comparison table holds several group pairs; lay out one at a time")
    labels = dict(labels or {})
    if table.empty:
        return pd.DataFrame(columns=["Measure", "P"])
    first, second = str(pairs.iloc[0, 0]), str(pairs.iloc[0, 1])
    same_n = table["n1"].nunique() == 1 and table["n2"].nunique() == 1
    head1 = f"{first} (n = {int(table['n1'].iloc[0])})" if same_n else first
    head2 = f"{second} (n = {int(table['n2'].iloc[0])})" if same_n else second
    with_outliers = outliers and {"outliers1", "outliers2", "outlier_p_value"} <= set(
        table.columns
    )
    adjusted_columns = {"adjusted_diff", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value"}
    with_adjusted = adjusted and adjusted_columns <= set(table.columns)
    with_power = power and {"power", "power_difference"} <= set(table.columns)
    rows = []
    for _, entry in table.iterrows():
        cell1 = format_mean_sd(entry["mean1"], entry["sd1"], decimals=decimals)
        cell2 = format_mean_sd(entry["mean2"], entry["sd2"], decimals=decimals)
        if not same_n:
            cell1 += f" (n = {int(entry['n1'])})"
            cell2 += f" (n = {int(entry['n2'])})"
        row = {
            "Measure": labels.get(str(entry["measure"]), str(entry["measure"])),
            head1: cell1,
            head2: cell2,
            "P": format_p(entry[p_column], decimals=p_decimals, threshold=p_threshold),
        }
        if with_outliers:
            for g, name in (("1", first), ("2", second)):
                pct = entry.get(f"outlier_pct{g}", math.nan)
                row[f"Outliers {name}"] = (
                    f"{int(entry[f'outliers{g}'])} ({pct:.{decimals}f}%)"
                    if pct is not None and math.isfinite(pct)
                    else ""
                )
            row["P (outliers)"] = format_p(
                entry["outlier_p_value"], decimals=p_decimals, threshold=p_threshold
            )
        if with_adjusted:
            row["Adjusted difference"] = _estimate_ci(
                entry["adjusted_diff"],
                entry["adjusted_ci_low"],
                entry["adjusted_ci_high"],
                decimals,
            )
            row["P (adjusted)"] = format_p(
                entry["adjusted_p_value"], decimals=p_decimals, threshold=p_threshold
            )
        if with_power:
            value = entry["power"]
            row[f"Power ({entry['power_difference']:g})"] = (
                f"{100.0 * value:.0f}%" if value is not None and math.isfinite(value) else ""
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _estimate_ci(estimate: float, low: float, high: float, decimals: int) -> str:
    """``"-0.8 [-1.4, -0.2]"``; ``""`` if the estimate is NaN."""
    if estimate is None or not math.isfinite(estimate):
        return ""
    text = f"{estimate:.{decimals}f}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{low:.{decimals}f}, {high:.{decimals}f}]"
    return text


def _cell(value: Any, decimals: int | None) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{decimals}f}" if decimals is not None else repr(value)
    return str(value)


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "<": r"$<$",
    ">": r"$>$",
}


def _tex(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def render_table(
    table: pd.DataFrame,
    *,
    format: str = "csv",
    decimals: int | None = 3,
    caption: str | None = None,
) -> str:
    """Render any tidy table as CSV, Markdown, LaTeX or HTML text.

    Parameters
    ----------
    table : DataFrame
    format : {"csv", "md", "tex", "html"}, default "csv"
    decimals : int or None, default 3
        Decimals of floats in md, tex and html (None: full precision). CSV always
        keeps full precision.
    caption : str, optional
        Table caption (tex, html) or a leading line (md).

    Returns
    -------
    str
        The text, ending with a newline.

    Raises
    ------
    StatsError
        Unknown format.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"measure": ["fta"], "p_value": [0.0123456789]})
    >>> print(render_table(table, format="md"), end="")
    | measure | p_value |
    | --- | --- |
    | fta | 0.012 |
    >>> print(render_table(table, format="csv"), end="")
    measure,p_value
    fta,0.0123456789
    """
    check_choice("format", format, FORMATS)
    if format == "csv":
        return csv_text(table)
    header = [str(c) for c in table.columns]
    body = [[_cell(v, decimals) for v in row] for row in table.itertuples(index=False)]
    if format == "md":

        def md(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        lines = [f"{caption}", ""] if caption else []
        lines.append("| " + " | ".join(map(md, header)) + " |")
        lines.append("|" + "|".join(" --- " for _ in header) + "|")
        lines += ["| " + " | ".join(map(md, row)) + " |" for row in body]
        return "\n".join(lines) + "\n"
    if format == "tex":
        lines = [r"\begin{table}", r"\centering"]
        if caption:
            lines.append(rf"\caption{{{_tex(caption)}}}")
        lines.append(r"\begin{tabular}{l" + "r" * (len(header) - 1) + "}")
        lines.append(r"\hline")
        lines.append(" & ".join(map(_tex, header)) + r" \\")
        lines.append(r"\hline")
        lines += [" & ".join(map(_tex, row)) + r" \\" for row in body]
        lines += [r"\hline", r"\end{tabular}", r"\end{table}"]
        return "\n".join(lines) + "\n"
    lines = ["<table>"]
    if caption:
        lines.append(f"  <caption>{html.escape(caption)}</caption>")
    lines.append(
        "  <thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
    )
    lines.append("  <tbody>")
    lines += [
        "    <tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
    ]
    lines += ["  </tbody>", "</table>"]
    return "\n".join(lines) + "\n"


def table_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """Return `format` if given, else the one `path`'s suffix implies (default csv).

    Examples
    --------
    >>> table_format("table.md"), table_format("table.csv"), table_format("t.txt", "tex")
    ('md', 'csv', 'tex')
    """
    if format is not None:
        return check_choice("format", format, FORMATS)
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    return (
        {"markdown": "md", "htm": "html", "latex": "tex"}.get(suffix, suffix)
        if (suffix in (*FORMATS, "markdown", "htm", "latex"))
        else "csv"
    )


def write_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    decimals: int | None = 3,
    caption: str | None = None,
) -> str:
    """Render `table` (see :func:`render_table`) and write it atomically to `path`.

    Returns
    -------
    str
        The format written: `format`, else the one `path`'s suffix implies.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> write_table(pd.DataFrame({"p_value": [1 / 3]}), path)
    'csv'
    >>> path.read_text()
    'p_value\\n0.3333333333333333\\n'
    """
    chosen = table_format(path, format)
    write_text_atomic(path, render_table(table, format=chosen, decimals=decimals, caption=caption))
    return chosen
