"""CSV text that a spreadsheet cannot run: the one CSV writer of the toolkit.

A spreadsheet opening a CSV reads a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (and tab or carriage return as a prefix that some of them skip first), so
a file, case or group named ``=HYPERLINK(...)`` would run as one (CSV injection,
CWE-1236). Following OWASP's advice, every text cell (and header) of a CSV the toolkit
writes that starts with one of those characters is prefixed with a single quote,
which spreadsheets show as text. Numbers are left alone: a numeric column is written
as numbers, and a text cell that is a plain number (``-1.5``) stays one. Parquet and
the other typed outputs keep the raw values.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"image": ["=1+2.dcm", "a.dcm"], "value": [-1.5, 2.0]})
>>> print(csv_text(table), end="")
image,value
'=1+2.dcm,-1.5
a.dcm,2.0
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "csv_text", "neutralise_formulas"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _neutralise_text(values: pd.Series) -> pd.Series:
    """`values` with each text a spreadsheet would run prefixed by ``'``; the same
    object when there is none. Decided once per distinct value (a column of a study's
    tables repeats few names many times)."""
    risky = {
        value: "'" + value
        for value in pd.unique(values.dropna())
        if isinstance(value, str)
        and value[:1] in FORMULA_PREFIXES
        and _NUMBER.fullmatch(value) is None
    }
    if not risky:
        return values
    return values.astype(object).map(lambda value: risky.get(value, value))


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with every text cell and header a spreadsheet would run prefixed by ``'``.

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A copy where needed (the input is never changed); numeric, boolean and date
        columns unchanged, and text that is a plain number (``-3``, ``+1.5e2``) too.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"case": ["@SUM(A1)", "-2", "\\tcmd"], "x": [-1, 0, 1]})
    >>> neutralise_formulas(table)["case"].tolist()
    ["'@SUM(A1)", '-2', "'\\tcmd"]
    """
    out = table
    for position in range(table.shape[1]):
        values = table.iloc[:, position]
        if values.dtype.kind not in "OSU" and not isinstance(
            values.dtype, (pd.CategoricalDtype, pd.StringDtype)
        ):
            continue
        cleaned = _neutralise_text(values)
        if cleaned is not values:
            if out is table:
                out = table.copy()
            out.isetitem(position, cleaned.to_numpy())
    header = _neutralise_text(pd.Series([str(c) for c in table.columns], dtype=object))
    if not header.equals(pd.Series([str(c) for c in table.columns], dtype=object)):
        out = out.set_axis(header.tolist(), axis=1)
    return out


def csv_text(table: pd.DataFrame, **options: Any) -> str:
    """`table` as CSV text (no index, ``\\n`` line ends), formulas neutralised.

    Parameters
    ----------
    table : pandas.DataFrame
    **options
        Passed on to :meth:`pandas.DataFrame.to_csv` (``float_format`` ...).
    """
    return neutralise_formulas(table).to_csv(index=False, lineterminator="\n", **options)
