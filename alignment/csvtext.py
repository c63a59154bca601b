"""CSV text that a spreadsheet cannot run: the one CSV writer of the toolkit.

A spreadsheet opening a CSV reads a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (and tab or carriage return as a prefix that some of them skip first), so
a file, case or group named ``=HYPERLINK(...)`` would run as one (CSV injection,
CWE-1236). Following OWASP's advice, every text cell (and header) of a CSV the toolkit
writes that starts with one of those characters is prefixed with a single quote,
which spreadsheets show as text. Numbers are left alone: a numeric column is written
as numbers, and a text cell that is a plain number (``-1.5``) stays one. Parquet and
the other typed outputs keep the raw values.

A text that already starts with quotes before such a character (``'=x``) gets one more
quote too, so that :func:`restore_formulas`, which the toolkit's CSV readers apply,
takes off exactly the quote that was added and gives back every text as it was.

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
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "csv_text", "neutralise_formulas", "restore_formulas"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _is_risky(text: str) -> bool:
    """Whether :func:`neutralise_formulas` prefixes `text`: a spreadsheet would run it,
    or it is quotes before such a text (so that the prefix can be taken off again)."""
    unquoted = text.lstrip("'")
    return unquoted[:1] in FORMULA_PREFIXES and _NUMBER.fullmatch(unquoted) is None


def _remap_text(values: pd.Series, change: Callable[[str], str | None]) -> pd.Series:
    """`values` with each text that `change` maps to a new text replaced; the same
    object when there is none. Decided once per distinct value (a column of a study's
    tables repeats few names many times)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        distinct = values.cat.categories.to_numpy()
    else:
        distinct = pd.unique(values.to_numpy())
    changed = {}
    for value in distinct:
        if isinstance(value, str):
            new = change(value)
            if new is not None:
                changed[value] = new
    if not changed:
        return values
    return values.astype(object).map(lambda value: changed.get(value, value))


def _quoted(text: str) -> str | None:
    return "'" + text if _is_risky(text) else None


def _unquoted(text: str) -> str | None:
    return text[1:] if text[:1] == "'" and _is_risky(text[1:]) else None


def _remap_table(table: pd.DataFrame, change: Callable[[str], str | None]) -> pd.DataFrame:
    """`table` with :func:`_remap_text` applied to every text column and the header."""
    out = table
    for position, (_, values) in enumerate(table.items()):
        if values.dtype.kind not in "OSU" and not isinstance(
            values.dtype, (pd.CategoricalDtype, pd.StringDtype)
        ):
            continue
        cleaned = _remap_text(values, change)
        if cleaned is not values:
            if out is table:
                out = table.copy()
            out.isetitem(position, cleaned.to_numpy())
    names = pd.Series([str(c) for c in table.columns], dtype=object)
    header = _remap_text(names, change)
    if header is not names:
        out = out.set_axis(header.tolist(), axis=1)
    return out


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
    return _remap_table(table, _quoted)


def restore_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_formulas` on a table read from a CSV the toolkit wrote.

    Takes off the single quote :func:`neutralise_formulas` put before a text cell or
    header, and nothing else: a text that starts with a quote the neutraliser did not
    add (``'note``, ``'-2``) is kept as it is. ``restore_formulas(neutralise_formulas(t))``
    equals ``t`` for every table of texts.

    Parameters
    ----------
    table : pandas.DataFrame
        Typically read with ``dtype=str``.

    Returns
    -------
    pandas.DataFrame
        A copy where needed (the input is never changed).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"image": ["'=knee.dcm", "'-01.dcm", "'note", "''@a"]})
    >>> restore_formulas(table)["image"].tolist()
    ['=knee.dcm', '-01.dcm', "'note", "'@a"]
    """
    return _remap_table(table, _unquoted)


def csv_text(table: pd.DataFrame, **options: Any) -> str:
    """`table` as CSV text (no index, ``\\n`` line ends), formulas neutralised.

    Parameters
    ----------
    table : pandas.DataFrame
    **options
        Passed on to :meth:`pandas.DataFrame.to_csv` (``float_format`` ...).
    """
    return neutralise_formulas(table).to_csv(index=False, lineterminator="\n", **options)
