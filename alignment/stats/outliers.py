"""Outlier rates per group: counts beyond tolerance, Fisher, risk ratio, difference, odds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep

from alignment.stats._common import check_confidence, join_notes, recorded
from alignment.stats._observations import MeasureData, prepare

__all__ = ["OUTLIER_COLUMNS", "outlier_rates"]

OUTLIER_COLUMNS: tuple[str, ...] = (
    "tolerance",
    "outlier_n1",
    "outlier_n2",
    "outliers1",
    "outliers2",
    "outlier_pct1",
    "outlier_pct2",
    "outlier_p_value",
    "risk_ratio",
    "risk_ratio_ci_low",
    "risk_ratio_ci_high",
    "risk_difference",
    "risk_difference_ci_low",
    "risk_difference_ci_high",
    "odds_ratio",
    "odds_ratio_ci_low",
    "odds_ratio_ci_high",
)
"""Outlier columns, shared by :func:`outlier_rates` and :func:`compare_groups`."""


def outlier_fields(data: MeasureData, confidence: float) -> tuple[dict[str, Any], list[str]]:
    """The :data:`OUTLIER_COLUMNS` of one measure, and notes."""
    notes: list[str] = []
    counts, totals = [], []
    for absdev, tol in zip(data.abs_deviation, data.tolerance, strict=True):
        counts.append(int(np.count_nonzero(absdev > tol)))
        totals.append(int(absdev.size))
    tolerances = np.unique(np.concatenate(data.tolerance))
    row: dict[str, Any] = {
        "tolerance": float(tolerances[0]) if tolerances.size == 1 else math.nan,
        "outlier_n1": totals[0],
        "outlier_n2": totals[1],
        "outliers1": counts[0],
        "outliers2": counts[1],
        "outlier_pct1": 100.0 * counts[0] / totals[0] if totals[0] else math.nan,
        "outlier_pct2": 100.0 * counts[1] / totals[1] if totals[1] else math.nan,
        "outlier_p_value": math.nan,
        "risk_ratio": math.nan,
        "risk_ratio_ci_low": math.nan,
        "risk_ratio_ci_high": math.nan,
        "risk_difference": math.nan,
        "risk_difference_ci_low": math.nan,
        "risk_difference_ci_high": math.nan,
        "odds_ratio": math.nan,
        "odds_ratio_ci_low": math.nan,
        "odds_ratio_ci_high": math.nan,
    }
    if tolerances.size > 1:
        notes.append(f"tolerance varies between rows: {', '.join(map(str, tolerances))}")
    if not (totals[0] and totals[1]):
        if totals[0] or totals[1]:
            notes.append("no deviation (target) in one group: outlier rates not compared")
        return row, notes
    table = np.array(
        [[counts[0], totals[0] - counts[0]], [counts[1], totals[1] - counts[1]]], dtype=np.int64
    )
    fisher, caught = recorded(stats.fisher_exact, table, alternative="two-sided")
    notes.extend(f"Fisher: {w}" for w in caught)
    row["outlier_p_value"] = float(fisher.pvalue)
    row["risk_difference"] = counts[0] / totals[0] - counts[1] / totals[1]
    interval, caught = recorded(
        confint_proportions_2indep,
        counts[0],
        totals[0],
        counts[1],
        totals[1],
        method="newcomb",
        compare="diff",
        alpha=1.0 - confidence,
    )
    notes.extend(f"risk difference: {w}" for w in caught)
    row["risk_difference_ci_low"], row["risk_difference_ci_high"] = (float(v) for v in interval)
    if counts[0] == 0 and counts[1] == 0:
        notes.append("no outliers in either group: risk ratio and odds ratio undefined")
        return row, notes
    if (table == 0).any():
        notes.append("risk ratio and odds ratio: zero cell(s) replaced by 0.5")
    two_by_two = Table2x2(table, shift_zeros=True)
    alpha = 1.0 - confidence
    (ratios, caught) = recorded(
        lambda: (
            two_by_two.riskratio,
            two_by_two.riskratio_confint(alpha=alpha),
            two_by_two.oddsratio,
            two_by_two.oddsratio_confint(alpha=alpha),
        )
    )
    notes.extend(f"risk ratio / odds ratio: {w}" for w in caught)
    risk_ratio, risk_interval, odds_ratio, odds_interval = ratios
    row["risk_ratio"] = float(risk_ratio)
    row["risk_ratio_ci_low"], row["risk_ratio_ci_high"] = (float(v) for v in risk_interval)
    row["odds_ratio"] = float(odds_ratio)
    row["odds_ratio_ci_low"], row["odds_ratio_ci_high"] = (float(v) for v in odds_interval)
    return row, notes


def outlier_rates(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    measures: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    tolerance: float | None = None,
    reader: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Outliers per group and measure: counts, Fisher's test, risk ratio, difference, odds ratio.

    A leg is an outlier when its ``abs_deviation`` exceeds the tolerance (the spec's
    ``abs_deviation > tolerance``). The tolerance is `tolerance` where given (for
    example 2 degrees), else each row's ``tolerance`` column (the preset's), else
    3 degrees. Measures without a target have no deviation, so no outlier rate.

    Parameters
    ----------
    results : DataFrame
        Long results table (columns ``measure``, ``status``, ``abs_deviation``,
        ``tolerance``, ``case`` or ``image``, optionally ``side``).
    groups : DataFrame or mapping, optional
        ``case,group`` or ``image,group``; or a mapping case -> group. ``None`` if
        `results` already has a ``group`` column.
    measures : sequence of str, optional
        Measures to report; default every numeric measure in `results`.
    order : sequence of two str, optional
        ``[group1, group2]``; default the two groups, sorted.
    tolerance : float, optional
        Outlier threshold in the measure's unit (degrees), overriding the preset's.
    reader : str, optional
        Use only this reader's rows; default average the readers of each leg.
    confidence : float, default 0.95
        Level of the confidence intervals.

    Returns
    -------
    DataFrame
        One row per measure with columns ``measure``, ``group1``, ``group2``,
        ``tolerance`` (NaN if it varies between rows), ``outlier_n1``, ``outlier_n2``
        (legs with a deviation), ``outliers1``, ``outliers2`` (counts),
        ``outlier_pct1``, ``outlier_pct2`` (percent), ``outlier_p_value`` (Fisher's
        exact test, two-sided), ``risk_ratio`` (risk of being an outlier in group1 over
        group2), ``risk_ratio_ci_low``, ``risk_ratio_ci_high`` (log-normal CI),
        ``risk_difference`` (proportion of outliers in group1 minus group2, a fraction
        from -1 to 1), ``risk_difference_ci_low``, ``risk_difference_ci_high``
        (Newcombe's hybrid score interval), ``odds_ratio`` (odds of being an outlier in
        group1 over group2), ``odds_ratio_ci_low``, ``odds_ratio_ci_high`` (Woolf's
        log interval) and ``notes``.

    Raises
    ------
    StatsError
        A required column is missing, or the groups are not two.

    Notes
    -----
    Fisher's test is :func:`scipy.stats.fisher_exact` on the 2 x 2 table
    (outlier, not outlier) x (group1, group2). The risk ratio and its CI come from
    :class:`statsmodels.stats.contingency_tables.Table2x2`, which replaces a zero
    cell by 0.5 (the output notes it); with no outlier in either group the ratio is
    undefined and left NaN. The odds ratio ``(a d) / (b c)`` and its Woolf interval
    ``exp(log OR +- z sqrt(1/a + 1/b + 1/c + 1/d))`` come from the same table. The
    risk difference's interval is Newcombe's (1998) method 10, hybrid Wilson score
    without continuity correction
    (:func:`statsmodels.stats.proportion.confint_proportions_2indep`,
    ``method="newcomb"``); it needs no zero-cell correction.

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 17:873-890.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "case": ["a", "b", "c", "d", "e", "f"],
    ...     "measure": "hka", "status": "ok", "tolerance": 3.0,
    ...     "abs_deviation": [0.5, 3.5, 1.0, 4.0, 5.0, 6.0],
    ... })
    >>> groups = {"a": "PSI", "b": "PSI", "c": "PSI", "d": "CI", "e": "CI", "f": "CI"}
    >>> table = outlier_rates(results, groups, order=["PSI", "CI"])
    >>> table[["measure", "outliers1", "outliers2", "outlier_pct1"]]
      measure  outliers1  outliers2  outlier_pct1
    0     hka          1          3     33.333333
    >>> round(float(table["outlier_p_value"].iloc[0]), 2)
    0.4
    """
    confidence = check_confidence(confidence)
    prepared = prepare(
        results,
        groups,
        metric="abs_deviation",
        measures=measures,
        order=order,
        tolerance=tolerance,
        reader=reader,
        what="outlier_rates",
    )
    rows = []
    for data in prepared.measures:
        fields, notes = outlier_fields(data, confidence)
        rows.append(
            {"measure": data.measure, "group1": prepared.group1, "group2": prepared.group2}
            | fields
            | {"notes": join_notes(data.notes + notes)}
        )
    columns = ["measure", "group1", "group2", *OUTLIER_COLUMNS, "notes"]
    return pd.DataFrame(rows, columns=columns)
