"""Equivalence of two groups: two one-sided t-tests (TOST) against a user margin."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.weightstats import ttost_ind

from alignment.errors import StatsError
from alignment.stats._common import check_choice, join_notes, recorded
from alignment.stats._observations import prepare

__all__ = ["EQUIVALENCE_COLUMNS", "equivalence_test", "margin_bounds", "tost"]

EQUIVALENCE_COLUMNS: tuple[str, ...] = (
    "measure",
    "metric",
    "group1",
    "group2",
    "n1",
    "n2",
    "mean_diff",
    "margin_low",
    "margin_high",
    "alpha",
    "confidence",
    "ci_low",
    "ci_high",
    "test",
    "df",
    "statistic_low",
    "p_value_low",
    "statistic_high",
    "p_value_high",
    "p_value",
    "equivalent",
    "notes",
)
"""Columns of :func:`equivalence_test`."""


def margin_bounds(margin: float | Sequence[float]) -> tuple[float, float]:
    """Return ``(low, high)`` from a symmetric margin ``m`` (-> ``(-m, m)``) or a pair.

    Examples
    --------
    >>> margin_bounds(1.0)
    (-1.0, 1.0)
    >>> margin_bounds((-0.5, 2))
    (-0.5, 2.0)
    """
    if isinstance(margin, (int, float, np.floating, np.integer)):
        low, high = -abs(float(margin)), abs(float(margin))
    else:
        pair = [float(v) for v in margin]
        if len(pair) != 2:
            raise StatsError(f"margin must be a number or a pair (low, high), got {margin!r}")
        low, high = pair
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise StatsError(
            f"equivalence margin must give finite bounds low < high, got ({low}, {high})"
        )
    return low, high


def tost(
    x1: Any,
    x2: Any,
    *,
    margin: float | Sequence[float],
    test: str = "welch",
    alpha: float = 0.05,
) -> dict[str, Any]:
    """TOST of two samples: is ``mean(x1) - mean(x2)`` inside the margin?

    Parameters
    ----------
    x1, x2 : array_like, shape (n,)
        The two samples (NaN are dropped).
    margin : float or (float, float)
        Equivalence bounds of the mean difference, in the data's unit: ``m`` means
        ``(-m, m)``.
    test : {"welch", "student"}, default "welch"
        Unequal or pooled variances.
    alpha : float, default 0.05
        Level of each one-sided test; the matching CI has confidence ``1 - 2 alpha``.

    Returns
    -------
    dict
        Keys ``n1``, ``n2``, ``mean_diff``, ``margin_low``, ``margin_high``,
        ``alpha``, ``confidence``, ``ci_low``, ``ci_high``, ``test``, ``df``,
        ``statistic_low``, ``p_value_low``, ``statistic_high``, ``p_value_high``,
        ``p_value`` (the larger one-sided P), ``equivalent`` (``p_value < alpha``) and
        ``notes`` (a list).

    Notes
    -----
    The two one-sided tests are :func:`statsmodels.stats.weightstats.ttost_ind`
    (Schuirmann 1987): H0 ``diff <= low`` and H0 ``diff >= high``. The CI is
    scipy's ``ttest_ind`` interval at ``1 - 2 alpha``; equivalence at level alpha
    holds exactly when it lies inside the margin.

    Examples
    --------
    >>> out = tost([1.0, 1.2, 0.9, 1.1], [1.05, 1.0, 1.15, 0.95], margin=0.5)
    >>> out["equivalent"], round(out["p_value"], 4)
    (True, 0.0006)
    """
    check_choice("test", test, ("welch", "student"))
    if not 0.0 < alpha < 0.5:
        raise StatsError(f"alpha must lie strictly between 0 and 0.5, got {alpha!r}")
    low, high = margin_bounds(margin)
    a = np.asarray(x1, dtype="float64")
    b = np.asarray(x2, dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    notes: list[str] = []
    out: dict[str, Any] = {
        "n1": int(a.size),
        "n2": int(b.size),
        "mean_diff": float(a.mean() - b.mean()) if a.size and b.size else math.nan,
        "margin_low": low,
        "margin_high": high,
        "alpha": float(alpha),
        "confidence": 1.0 - 2.0 * alpha,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "test": f"tost_{test}",
        "df": math.nan,
        "statistic_low": math.nan,
        "p_value_low": math.nan,
        "statistic_high": math.nan,
        "p_value_high": math.nan,
        "p_value": math.nan,
        "equivalent": False,
        "notes": notes,
    }
    if a.size < 2 or b.size < 2:
        notes.append("a group has fewer than 2 values: no equivalence test")
        return out
    if np.ptp(a) == 0.0 and np.ptp(b) == 0.0:
        notes.append("both groups constant: t statistics undefined")
        return out
    usevar = "unequal" if test == "welch" else "pooled"
    (p_value, lower, upper), caught = recorded(ttost_ind, a, b, low, high, usevar=usevar)
    notes.extend(f"TOST: {w}" for w in caught)
    ttest, caught = recorded(stats.ttest_ind, a, b, equal_var=test == "student")
    notes.extend(f"t-test: {w}" for w in caught)
    interval = ttest.confidence_interval(confidence_level=1.0 - 2.0 * alpha)
    out.update(
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        df=float(lower[2]),
        statistic_low=float(lower[0]),
        p_value_low=float(lower[1]),
        statistic_high=float(upper[0]),
        p_value_high=float(upper[1]),
        p_value=float(p_value),
        equivalent=bool(float(p_value) < alpha),
    )
    return out


def equivalence_test(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    margin: float | Sequence[float],
    measures: Sequence[str] | None = None,
    metric: str = "abs_deviation",
    test: str = "welch",
    order: Sequence[str] | None = None,
    alpha: float = 0.05,
    reader: str | None = None,
) -> pd.DataFrame:
    """Equivalence (TOST) of two groups for every measure, against a margin.

    Use it to claim that two techniques give *similar* alignment: a non-significant
    difference is not evidence of similarity, a TOST inside a declared margin is.

    Parameters
    ----------
    results : DataFrame
        Long results table (see :func:`compare_groups`).
    groups : DataFrame or mapping, optional
        ``case,group`` or ``image,group``; ``None`` if `results` has ``group``.
    margin : float or (float, float)
        Equivalence margin of ``mean1 - mean2`` in the metric's unit, e.g. ``1.0``
        for +-1 degree.
    measures : sequence of str, optional
        Default every numeric measure in `results`.
    metric : {"abs_deviation", "deviation", "value"}, default "abs_deviation"
        The column compared.
    test : {"welch", "student"}, default "welch"
    order : sequence of two str, optional
        ``[group1, group2]``; default sorted.
    alpha : float, default 0.05
    reader : str, optional
        Use only this reader's rows; default average the readers of each leg.

    Returns
    -------
    DataFrame
        One row per measure with columns ``measure``, ``metric``, ``group1``,
        ``group2``, ``n1``, ``n2``, ``mean_diff`` (mean1 - mean2), ``margin_low``,
        ``margin_high``, ``alpha``, ``confidence`` (1 - 2 alpha), ``ci_low``,
        ``ci_high`` (CI of mean_diff at that confidence), ``test`` (``tost_welch`` or
        ``tost_student``), ``df``, ``statistic_low``, ``p_value_low`` (H0: diff <=
        margin_low), ``statistic_high``, ``p_value_high`` (H0: diff >= margin_high),
        ``p_value`` (the larger), ``equivalent`` (bool) and ``notes``.

    Raises
    ------
    StatsError
        A column is missing, the groups are not two, or the margin is invalid.

    See Also
    --------
    tost : the same test on two arrays.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "case": list("abcdefgh"), "measure": "hka", "status": "ok",
    ...     "abs_deviation": [1.0, 1.2, 0.9, 1.1, 1.05, 1.0, 1.15, 0.95],
    ...     "group": ["PSI"] * 4 + ["CI"] * 4,
    ... })
    >>> table = equivalence_test(results, margin=0.5, order=["PSI", "CI"])
    >>> table[["measure", "n1", "n2", "equivalent"]]
      measure  n1  n2  equivalent
    0     hka   4   4        True
    """
    check_choice("test", test, ("welch", "student"))
    margin_bounds(margin)
    prepared = prepare(
        results,
        groups,
        metric=metric,
        measures=measures,
        order=order,
        tolerance=None,
        reader=reader,
        what="equivalence_test",
    )
    rows = []
    for data in prepared.measures:
        fields = tost(data.values[0], data.values[1], margin=margin, test=test, alpha=alpha)
        notes = data.notes + fields.pop("notes")
        rows.append(
            {
                "measure": data.measure,
                "metric": metric,
                "group1": prepared.group1,
                "group2": prepared.group2,
            }
            | fields
            | {"notes": join_notes(notes)}
        )
    return pd.DataFrame(rows, columns=list(EQUIVALENCE_COLUMNS))
