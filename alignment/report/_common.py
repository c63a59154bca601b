"""Helpers shared by the overlay and the HTML report: text columns, flags, names."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from alignment.measures.registry import MEASURES

__all__ = [
    "DISPLAY_NAMES",
    "bool_column",
    "display_name",
    "finite_number",
    "flagged",
    "format_value",
    "numeric_column",
    "registry_order",
    "text_column",
]

DISPLAY_NAMES: Mapping[str, str] = {
    "hka": "HKA",
    "fta": "FTA",
    "mldfa": "mLDFA",
    "mpta": "MPTA",
    "aldfa": "aLDFA",
    "jlca": "JLCA",
    "ama": "AMA",
    "ffc": "FFC",
    "ftc": "FTC",
    "ffc_anatomical": "FFC anat",
    "ftc_anatomical": "FTC anat",
    "ahka": "aHKA",
    "jlo": "JLO",
    "cpak": "CPAK",
    "mad_mm": "MAD",
    "femur_length_mm": "Femur",
    "tibia_length_mm": "Tibia",
    "lfc": "LFC",
    "ltc": "LTC",
    "femoral_component_flexion": "Flexion",
    "posterior_slope": "Slope",
}
"""Short names of the measures as the literature prints them (ASCII only)."""


def display_name(measure: str) -> str:
    """The short printed name of `measure` (its own name where none is known).

    Examples
    --------
    >>> display_name("mldfa"), display_name("new_measure")
    ('mLDFA', 'new_measure')
    """
    return DISPLAY_NAMES.get(measure, measure)


def text_column(table: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """Column `column` of `table` as plain ``str`` (categoricals and NaN made ``default``).

    A missing column gives `default` on every row.

    Examples
    --------
    >>> table = pd.DataFrame({"a": pd.Categorical(["x", None])})
    >>> text_column(table, "a").tolist(), text_column(table, "b", "-").tolist()
    (['x', ''], ['-', '-'])
    """
    if column not in table.columns:
        return pd.Series([default] * len(table), index=table.index, dtype=object)
    values = table[column].astype(object)
    return values.where(values.notna(), default).astype(str)


def numeric_column(table: pd.DataFrame, column: str) -> pd.Series:
    """Column `column` of `table` as floats (NaN where absent or not a number).

    Examples
    --------
    >>> numeric_column(pd.DataFrame({"a": ["1.5", "x"]}), "a").tolist()
    [1.5, nan]
    """
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index, dtype=float)
    return pd.to_numeric(table[column], errors="coerce").astype(float)


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def bool_column(table: pd.DataFrame, column: str) -> pd.Series:
    """Column `column` as a nullable boolean, whether stored as bool or read back as text.

    A results table read from CSV holds ``outlier`` as ``True``/``False``/empty text;
    every spelling of true and false is understood, anything else is ``<NA>``. A
    missing column is all ``<NA>``.

    Examples
    --------
    >>> table = pd.DataFrame({"a": ["True", "false", None, ""], "b": [True, False, True, False]})
    >>> bool_column(table, "a").tolist(), bool_column(table, "b").tolist()
    ([True, False, <NA>, <NA>], [True, False, True, False])
    """
    if column not in table.columns:
        return pd.Series(pd.NA, index=table.index, dtype="boolean")
    values = table[column]
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("boolean")
    text = text_column(table, column).str.strip().str.lower()
    out = pd.Series(pd.NA, index=table.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out


def flagged(results: pd.DataFrame) -> pd.Series:
    """Whether each results row needs a look: missing, an outlier, or carrying a flag.

    Parameters
    ----------
    results : pandas.DataFrame
        The long results table (columns ``status``, ``outlier``, ``flags``; any that is
        absent counts as not flagging).

    Returns
    -------
    pandas.Series of bool
        Same index as `results`.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "status": ["ok", "missing", "ok", "ok"],
    ...     "outlier": pd.array([False, pd.NA, True, False], dtype="boolean"),
    ...     "flags": ["", "", "", "no_spacing"],
    ... })
    >>> flagged(results).tolist()
    [False, True, True, True]
    """
    status = text_column(results, "status", "ok")
    flags = text_column(results, "flags")
    outlier = bool_column(results, "outlier").fillna(False).astype(bool)
    return (status != "ok") | outlier | (flags.str.strip() != "")


def finite_number(value: Any) -> float | None:
    """`value` as a finite float, or None if it is not a number or not finite.

    Parameters
    ----------
    value : Any
        A table cell: a number, numeric text, None, NaN ...

    Returns
    -------
    float or None
        ``float(value)``; None where that raises :class:`TypeError` or
        :class:`ValueError`, or gives NaN or an infinity.

    Examples
    --------
    >>> finite_number("1.5"), finite_number(None), finite_number(float("inf"))
    (1.5, None, None)
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_value(value: Any, unit: str, label: str = "") -> str:
    """A measured value as printed: ``182.5`` (deg), ``-9.0 mm``, a label, or ``--``.

    Examples
    --------
    >>> format_value(182.54, "deg"), format_value(-8.99, "mm"), format_value(5.0, "", "V")
    ('182.5', '-9.0 mm', 'V')
    >>> format_value(float("nan"), "deg"), format_value(-0.04, "deg")  # never "-0.0"
    ('--', '0.0')
    """
    if label:
        return label
    number = finite_number(value)
    if number is None:
        return "--"
    text = f"{round(number, 1) + 0.0:.1f}"  # + 0.0: a rounded -0.0 prints as 0.0
    return f"{text} mm" if unit == "mm" else text


def registry_order(measures: Iterable[str]) -> list[str]:
    """Measure names in the registry's order, unknown names after them, sorted.

    Examples
    --------
    >>> registry_order(["mpta", "zeta", "hka"])
    ['hka', 'mpta', 'zeta']
    """
    names = set(measures)
    known = [m for m in MEASURES if m in names]
    return known + sorted(names - set(known))
