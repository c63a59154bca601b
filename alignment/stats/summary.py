"""Re-test a published table: t-tests from mean, SD and n, and impossible entries.

A paper's table of ``mean +- SD`` per group is enough to recompute Student's and
Welch's t-tests, and to spot entries that cannot be right: an SD of 0 for a quantity
that varies, a negative SD, or a mean of integer scores that no set of ``n``
integers can produce (GRIM, Brown & Heathers 2017).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from scipy import stats

from alignment.errors import StatsError
from alignment.stats._common import (
    check_magnitude,
    join_notes,
    recorded,
    require_columns,
    text_column,
)

__all__ = ["SUMMARY_COLUMNS", "grim_consistent", "parse_reported_p", "summary_ttests"]

SUMMARY_COLUMNS: tuple[str, ...] = (
    "measure",
    "group1",
    "group2",
    "mean1",
    "sd1",
    "n1",
    "mean2",
    "sd2",
    "n2",
    "mean_diff",
    "student_statistic",
    "student_df",
    "student_p_value",
    "welch_statistic",
    "welch_df",
    "welch_p_value",
    "p_reported",
    "student_consistent",
    "welch_consistent",
    "flags",
    "notes",
)
"""Columns of :func:`summary_ttests`."""

_P_PATTERN = re.compile(r"^\s*(?:p\s*)?(<=|>=|<|>|=)?\s*([0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?)\s*$")


def parse_reported_p(text: Any) -> tuple[str, float, int] | None:
    """Parse a reported P such as ``"<0.05"``, ``"P = 0.03"`` or ``0.001``.

    Returns
    -------
    (relation, bound, decimals) or None
        `relation` is one of ``<``, ``<=``, ``>``, ``>=``, ``=``; `decimals` the
        number of decimals written. None for an empty or unreadable entry.

    Examples
    --------
    >>> parse_reported_p("P < 0.05")
    ('<', 0.05, 2)
    >>> parse_reported_p("0.030")
    ('=', 0.03, 3)
    >>> parse_reported_p("NS") is None
    True
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    match = _P_PATTERN.match(str(text).strip().lower().replace(" ", ""))
    if not match:
        return None
    relation = match.group(1) or "="
    number = match.group(2)
    decimals = len(number.split(".")[1]) if "." in number else 0
    return relation, float(number), decimals


def _consistent(p: float, claim: tuple[str, float, int] | None) -> Any:
    if claim is None or not math.isfinite(p):
        return pd.NA
    relation, bound, decimals = claim
    if relation == "<":
        return p < bound
    if relation == "<=":
        return p <= bound
    if relation == ">":
        return p > bound
    if relation == ">=":
        return p >= bound
    return abs(p - bound) <= 0.5 * 10.0**-decimals + 1e-12


def _decimals(text: str) -> int:
    try:
        exponent = Decimal(text.strip()).as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def grim_consistent(mean: float, n: int, *, decimals: int, items: int = 1) -> bool | None:
    """GRIM: can `n` subjects' integer scores (sum of `items` items) have this mean?

    Parameters
    ----------
    mean : float
        The reported mean.
    n : int
        Number of subjects.
    decimals : int
        Decimals the mean was reported with.
    items : int, default 1
        Integer items summed into each subject's score (granularity 1 / (n items)).

    Returns
    -------
    bool or None
        True if some integer total rounds to `mean`, False if none does, None when
        the test cannot tell (``n * items >= 10 ** decimals``).

    Notes
    -----
    The mean of integers is ``T / (n items)`` for an integer total ``T``; the
    reported mean is consistent if some ``T`` lies within half a unit of the last
    reported decimal of it (either rounding direction is accepted).

    Examples
    --------
    >>> grim_consistent(5.19, 28, decimals=2)
    False
    >>> grim_consistent(5.18, 28, decimals=2)
    True
    """
    if n < 1 or items < 1:
        raise StatsError(f"GRIM needs n >= 1 and items >= 1, got n={n}, items={items}")
    units = n * items
    if units >= 10**decimals:
        return None
    half = 0.5 * 10.0**-decimals + 1e-9
    centre = round(mean * units)
    return any(abs(t / units - mean) <= half for t in range(centre - 1, centre + 2))


def summary_ttests(table: pd.DataFrame, *, decimals: int | None = None) -> pd.DataFrame:
    """Recompute Student and Welch t-tests from a published table of mean, SD and n.

    Parameters
    ----------
    table : DataFrame
        One row per measure with columns ``measure``, ``mean1``, ``sd1``, ``n1``,
        ``mean2``, ``sd2``, ``n2``; optional ``group1``, ``group2`` (labels),
        ``p_reported`` (as printed: ``<0.05``, ``0.03`` ...) and ``integer_items``
        (for integer-valued scores, the number of integer items summed per subject:
        1 for a single integer score; empty otherwise). Values may be text (as read
        from a CSV with ``dtype=str``), which keeps the decimals as printed.
    decimals : int, optional
        Decimals of the reported means, for GRIM, when the values are numbers
        (default: as many as the number's shortest representation shows, which
        loses trailing zeros: prefer text).

    Returns
    -------
    DataFrame
        One row per input row with columns ``measure``, ``group1``, ``group2``,
        ``mean1``, ``sd1``, ``n1``, ``mean2``, ``sd2``, ``n2``, ``mean_diff`` (mean1 -
        mean2), ``student_statistic``, ``student_df``, ``student_p_value``,
        ``welch_statistic``, ``welch_df``, ``welch_p_value``, ``p_reported`` (as
        given), ``student_consistent``, ``welch_consistent`` (does the recomputed P
        agree with the reported one; NA without a claim), ``flags`` (``;``-separated:
        ``sd1_zero``, ``sd1_negative``, ``n1_below_2``, ``grim1_inconsistent``,
        likewise for group 2) and ``notes``.

    Raises
    ------
    StatsError
        A required column is missing or a value is not a number.

    Notes
    -----
    The tests are :func:`scipy.stats.ttest_ind_from_stats` (two-sided). Welch's
    degrees of freedom are Welch-Satterthwaite's. An SD printed as 0 is usually a
    rounded small SD; it is flagged, not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> paper = pd.DataFrame({
    ...     "measure": ["operation_time_min"], "mean1": ["80.0"], "sd1": ["12.7"],
    ...     "n1": ["47"], "mean2": ["66.1"], "sd2": ["12.3"], "n2": ["53"],
    ...     "p_reported": ["<0.05"],
    ... })
    >>> out = summary_ttests(paper)
    >>> round(float(out["welch_statistic"].iloc[0]), 3), bool(out["welch_consistent"].iloc[0])
    (5.544, True)
    """
    required = ["measure", "mean1", "sd1", "n1", "mean2", "sd2", "n2"]
    require_columns(table, required, "summary table")
    rows = []
    for index, entry in table.reset_index(drop=True).iterrows():
        where = f"summary table row {int(str(index)) + 1}"
        numbers: dict[str, float] = {}
        texts: dict[str, str] = {}
        for column in required[1:]:
            raw = entry[column]
            texts[column] = "" if pd.isna(raw) else str(raw).strip()
            try:
                numbers[column] = float(texts[column])
            except ValueError:
                raise StatsError(
                    f"{where}: {column} must be a number, got {texts[column]!r}"
                ) from None
        check_magnitude(list(numbers.values()), where)
        flags: list[str] = []
        notes: list[str] = []
        for g in ("1", "2"):
            n = numbers[f"n{g}"]
            if not float(n).is_integer():
                raise StatsError(f"{where}: n{g} must be a whole number, got {texts['n' + g]!r}")
            if numbers[f"sd{g}"] < 0:
                flags.append(f"sd{g}_negative")
            elif numbers[f"sd{g}"] == 0:
                flags.append(f"sd{g}_zero")
            if n < 2:
                flags.append(f"n{g}_below_2")
        items_raw = entry.get("integer_items", None)
        items_text = "" if items_raw is None or pd.isna(items_raw) else str(items_raw).strip()
        if items_text not in ("", "0"):
            items = int(float(items_text))
            for g in ("1", "2"):
                places = (
                    _decimals(texts[f"mean{g}"])
                    if isinstance(entry[f"mean{g}"], str) or decimals is None
                    else decimals
                )
                verdict = grim_consistent(
                    numbers[f"mean{g}"], int(numbers[f"n{g}"]), decimals=places, items=items
                )
                if verdict is False:
                    flags.append(f"grim{g}_inconsistent")
                elif verdict is None:
                    notes.append(f"GRIM not informative for group {g} (n too large)")
        row: dict[str, Any] = {
            "measure": str(entry["measure"]),
            "group1": "" if pd.isna(entry.get("group1", None)) else str(entry.get("group1")),
            "group2": "" if pd.isna(entry.get("group2", None)) else str(entry.get("group2")),
        } | {c: numbers[c] for c in required[1:]}
        row["n1"], row["n2"] = int(numbers["n1"]), int(numbers["n2"])
        row["mean_diff"] = numbers["mean1"] - numbers["mean2"]
        usable = not any(f.endswith(("_negative", "_below_2")) for f in flags)
        both_zero = numbers["sd1"] == 0 and numbers["sd2"] == 0
        for name, equal_var in (("student", True), ("welch", False)):
            row[f"{name}_statistic"] = row[f"{name}_df"] = row[f"{name}_p_value"] = math.nan
            if not usable or both_zero:
                continue
            result, caught = recorded(
                stats.ttest_ind_from_stats,
                numbers["mean1"],
                numbers["sd1"],
                row["n1"],
                numbers["mean2"],
                numbers["sd2"],
                row["n2"],
                equal_var=equal_var,
            )
            notes += [f"{name}: {w}" for w in caught]
            row[f"{name}_statistic"] = float(result.statistic)
            row[f"{name}_p_value"] = float(result.pvalue)
        if usable and not both_zero:
            n1, n2 = row["n1"], row["n2"]
            v1, v2 = numbers["sd1"] ** 2 / n1, numbers["sd2"] ** 2 / n2
            row["student_df"] = float(n1 + n2 - 2)
            spread = v1**2 / (n1 - 1) + v2**2 / (n2 - 1)
            if spread > 0:
                row["welch_df"] = (v1 + v2) ** 2 / spread
            else:  # squares of SDs below about 1e-154 round to zero
                notes.append("SDs too small to compute with: no Welch degrees of freedom")
        elif both_zero:
            notes.append("both SDs are 0: no test")
        reported = entry.get("p_reported", None)
        reported_text = "" if reported is None or pd.isna(reported) else str(reported).strip()
        claim = parse_reported_p(reported_text)
        if reported_text and claim is None:
            notes.append(f"reported P {reported_text!r} not understood")
        row["p_reported"] = reported_text
        row["student_consistent"] = _consistent(row["student_p_value"], claim)
        row["welch_consistent"] = _consistent(row["welch_p_value"], claim)
        row["flags"] = ";".join(flags)
        row["notes"] = join_notes(notes)
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    for column in ("student_consistent", "welch_consistent"):
        out[column] = out[column].astype("boolean")
    for column in ("n1", "n2"):
        out[column] = out[column].astype("int64")
    for column in ("measure", "group1", "group2", "p_reported", "flags", "notes"):
        out[column] = text_column(out[column]) if len(out) else out[column].astype(object)
    return out
