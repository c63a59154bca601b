"""Shared helpers of :mod:`alignment.stats`: column checks, warnings, group attachment.

Nothing here is public. Every warning scipy or statsmodels raises during a
computation is caught by :func:`recorded` and returned as text, so that it ends up in
the ``notes`` column of the output row it concerns instead of being lost or turned
into an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from alignment.errors import StatsError
from alignment.notes import plain_note

T = TypeVar("T")

CATEGORICAL_MEASURES: frozenset[str] = frozenset({"cpak"})
"""Measures whose value is a category code, never averaged or compared as numbers."""

MAX_MAGNITUDE = 1e50
"""Largest magnitude a value may have: its fourth power (the moments behind skewness and
kurtosis), and sums of squares over any table, then stay finite in float64 (whose
largest number is about 1.8e308). Angles, lengths and scores lie far below it."""

DEFAULT_TOLERANCE_DEG = 3.0
"""Outlier tolerance used where neither the caller nor the preset gives one."""


def require_columns(table: Any, columns: Iterable[str], what: str) -> pd.DataFrame:
    """Return `table` if it is a DataFrame holding every column in `columns`."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise StatsError(
            f"{what} lacks column(s) {', '.join(map(repr, missing))}; "
            f"found {', '.join(map(repr, map(str, table.columns)))}"
        )
    return table


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return `value` if it is one of `choices`, else raise :class:`StatsError`."""
    if value not in choices:
        raise StatsError(
            f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}"
        )
    return str(value)


def check_confidence(confidence: float) -> float:
    """Return `confidence` if it lies strictly between 0 and 1."""
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise StatsError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return value


def recorded(func: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, list[str]]:
    """Call `func`; return its result and every warning it raised as a plain note.

    Warnings are recorded, not ignored: callers put them into a ``notes`` column, in
    the words of :data:`alignment.notes.PLAIN_NOTES`, and each note once.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    return result, list(dict.fromkeys(plain_note(w.message, w.category) for w in caught))


def join_notes(notes: Iterable[str]) -> str:
    """Join notes into one ``"; "``-separated string, dropping repeats and blanks."""
    seen: list[str] = []
    for note in notes:
        text = str(note).strip()
        if text and text not in seen:
            seen.append(text)
    return "; ".join(seen)


def text_column(series: pd.Series) -> pd.Series:
    """Return `series` as plain strings with missing values (NaN, None, NA) as ``""``."""
    if isinstance(series.dtype, pd.StringDtype):  # already text: skip the object round trip
        return series.fillna("")
    return series.astype(object).where(series.notna(), "").astype(str)


def as_float(series: pd.Series, what: str) -> pd.Series:
    """Return `series` as float64, raising :class:`StatsError` naming `what` if it is not
    numeric or holds a finite value beyond :data:`MAX_MAGNITUDE`."""
    try:
        values = pd.to_numeric(series, errors="raise").astype("float64")
    except (TypeError, ValueError) as exc:
        raise StatsError(f"column {what!r} must be numeric: {exc}") from None
    check_magnitude(values, f"column {what!r}")
    return values


def check_magnitude(values: Any, what: str) -> None:
    """Raise :class:`StatsError` naming `what` if a finite value of `values` lies beyond
    :data:`MAX_MAGNITUDE` (NaN and infinite values are missing values, checked elsewhere)."""
    array = np.abs(np.asarray(values, dtype="float64"))
    largest = float(array[np.isfinite(array)].max(initial=0.0))
    if largest > MAX_MAGNITUDE:
        raise StatsError(
            f"{what} holds values up to {largest:.3g} in magnitude; the statistics take "
            f"values within +-{MAX_MAGNITUDE:g}: check its unit"
        )


def finite(values: Any) -> np.ndarray:
    """Return the finite entries of `values` as a float64 array."""
    array = np.asarray(values, dtype="float64")
    return array[np.isfinite(array)]


def group_order(found: Iterable[Any], order: Sequence[Any] | None, what: str) -> list[str]:
    """Return the two groups to compare: `order` if given, else the sorted found ones."""
    present = sorted({str(g) for g in found if str(g) != ""})
    if order is not None:
        chosen = [str(g) for g in order]
        if len(chosen) != 2 or chosen[0] == chosen[1]:
            raise StatsError(f"order must name two different groups, got {list(order)!r}")
        unknown = [g for g in chosen if g not in present]
        if unknown:
            raise StatsError(
                f"{what}: group(s) {', '.join(map(repr, unknown))} not found; "
                f"found {', '.join(map(repr, present)) or 'none'}"
            )
        return chosen
    if len(present) != 2:
        raise StatsError(
            f"{what}: found {len(present)} group(s) ({', '.join(map(repr, present))}); "
            "two are compared: pass order=[first, second] to choose them"
        )
    return present


def group_table(groups: Any) -> tuple[str, pd.DataFrame]:
    """Normalise `groups` into ``(key, table)`` where table has columns key and group.

    `groups` is a DataFrame with ``case,group`` or ``image,group``, or a mapping from
    case to group.
    """
    if isinstance(groups, Mapping):
        groups = pd.DataFrame({"case": list(groups.keys()), "group": list(groups.values())})
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(
            f"groups must be a DataFrame or a mapping case -> group, got {type(groups).__name__}"
        )
    if "group" not in groups.columns:
        raise StatsError(
            "groups table lacks column 'group'; expected columns case,group or image,group"
        )
    key = "case" if "case" in groups.columns else "image" if "image" in groups.columns else ""
    if not key:
        raise StatsError(
            "groups table lacks a 'case' or 'image' column; expected columns case,group "
            "or image,group"
        )
    table = pd.DataFrame({key: text_column(groups[key]), "group": text_column(groups["group"])})
    table = table[table[key] != ""].drop_duplicates()
    clashes = table[table.duplicated(key, keep=False)]
    if not clashes.empty:
        first = clashes[key].iloc[0]
        found = sorted(clashes.loc[clashes[key] == first, "group"])
        raise StatsError(f"groups table puts {key} {first!r} in several groups: {found}")
    return key, table.reset_index(drop=True)


def attach_groups(results: pd.DataFrame, groups: Any) -> pd.DataFrame:
    """Return a copy of `results` with a ``group`` column taken from `groups`.

    With ``groups=None`` the results must already hold a ``group`` column. Rows whose
    case (or image) has no group get ``""`` and are left out by the callers.
    """
    if groups is None:
        require_columns(results, ["group"], "results table (no groups given)")
        out = results.copy()
        out["group"] = text_column(out["group"])
        return out
    key, table = group_table(groups)
    require_columns(results, [key], "results table")
    out = results.drop(columns=["group"], errors="ignore").copy()
    mapping = dict(zip(table[key], table["group"], strict=True))
    out["group"] = text_column(out[key]).map(mapping).fillna("").astype(str)
    return out
