"""Non-inferiority of one group to another: a mean or an outlier rate, against a margin.

Group1 is the new technique, group2 the reference. For deviations and outlier rates
lower is better, so group1 is non-inferior when ``group1 - group2 < margin`` with
``margin > 0`` the largest loss one accepts; ``higher_is_better=True`` turns the
question round (``group1 - group2 > -margin``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.weightstats import ttest_ind

from alignment.errors import StatsError
from alignment.stats._common import check_choice, join_notes, recorded
from alignment.stats._observations import prepare

__all__ = [
    "NONINFERIORITY_COLUMNS",
    "non_inferiority",
    "noninferiority_mean",
    "noninferiority_rate",
    "score_ci_difference",
    "score_z_difference",
]

NONINFERIORITY_COLUMNS: tuple[str, ...] = (
    "measure",
    "outcome",
    "metric",
    "group1",
    "group2",
    "n1",
    "n2",
    "estimate1",
    "estimate2",
    "difference",
    "margin",
    "direction",
    "alpha",
    "ci_low",
    "ci_high",
    "test",
    "statistic",
    "p_value",
    "non_inferior",
    "notes",
)
"""Columns of :func:`non_inferiority`."""

OUTCOMES: tuple[str, ...] = ("mean", "rate")
"""Values of the ``outcome`` option: a mean of the metric, or the outlier rate."""


def _check(margin: float, alpha: float) -> tuple[float, float]:
    margin = float(margin)
    if not (math.isfinite(margin) and margin > 0.0):
        raise StatsError(f"non-inferiority margin must be a finite number > 0, got {margin!r}")
    if not 0.0 < alpha < 0.5:
        raise StatsError(f"alpha must lie strictly between 0 and 0.5, got {alpha!r}")
    return margin, float(alpha)


def _empty(margin: float, alpha: float, higher_is_better: bool, test: str) -> dict[str, Any]:
    return {
        "difference": math.nan,
        "margin": margin,
        "direction": "higher is better" if higher_is_better else "lower is better",
        "alpha": alpha,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "test": test,
        "statistic": math.nan,
        "p_value": math.nan,
        "non_inferior": False,
        "notes": [],
    }


def noninferiority_mean(
    x1: Any,
    x2: Any,
    *,
    margin: float,
    alpha: float = 0.05,
    higher_is_better: bool = False,
) -> dict[str, Any]:
    """Is the mean of `x1` no worse than that of `x2` by more than `margin`? (Welch)

    Parameters
    ----------
    x1, x2 : array_like, shape (n,)
        New technique and reference (NaN dropped), e.g. absolute deviations in degrees.
    margin : float
        Non-inferiority margin (> 0) in the data's unit.
    alpha : float, default 0.05
        One-sided level; the CI has confidence ``1 - 2 alpha``.
    higher_is_better : bool, default False
        False: H0 ``mean1 - mean2 >= margin``; True: H0 ``mean1 - mean2 <= -margin``.

    Returns
    -------
    dict
        ``n1``, ``n2``, ``estimate1``, ``estimate2`` (the means), ``difference``
        (mean1 - mean2), ``margin``, ``direction``, ``alpha``, ``ci_low``,
        ``ci_high`` (Welch CI at ``1 - 2 alpha``), ``test`` (``welch``),
        ``statistic`` (t against the margin), ``p_value`` (one-sided),
        ``non_inferior`` and ``notes`` (a list).

    Notes
    -----
    ``t = (mean1 - mean2 - m) / sqrt(s1^2/n1 + s2^2/n2)`` with ``m = margin`` (or
    ``-margin``), Welch-Satterthwaite df, by
    :func:`statsmodels.stats.weightstats.ttest_ind` (``value=m``). Non-inferiority
    at level alpha holds exactly when the CI's bound on the bad side lies inside the
    margin (Piaggio et al. 2012, CONSORT extension).

    Examples
    --------
    >>> out = noninferiority_mean([1.0, 1.2, 0.9, 1.1], [1.0, 1.1, 1.0, 0.9], margin=0.5)
    >>> out["non_inferior"], round(out["p_value"], 5)
    (True, 0.00096)
    """
    margin, alpha = _check(margin, alpha)
    a = np.asarray(x1, dtype="float64")
    b = np.asarray(x2, dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out: dict[str, Any] = {"n1": int(a.size), "n2": int(b.size)}
    out |= {
        "estimate1": float(a.mean()) if a.size else math.nan,
        "estimate2": float(b.mean()) if b.size else math.nan,
    }
    out |= _empty(margin, alpha, higher_is_better, "welch")
    notes: list[str] = out["notes"]
    if a.size < 2 or b.size < 2:
        notes.append("a group has fewer than 2 values: no non-inferiority test")
        return out
    out["difference"] = out["estimate1"] - out["estimate2"]
    if np.ptp(a) == 0.0 and np.ptp(b) == 0.0:
        notes.append("both groups constant: t statistic undefined")
        return out
    value = -margin if higher_is_better else margin
    alternative = "larger" if higher_is_better else "smaller"
    (t, p, _), caught = recorded(
        ttest_ind, a, b, alternative=alternative, usevar="unequal", value=value
    )
    interval, caught_ci = recorded(
        lambda: stats.ttest_ind(a, b, equal_var=False).confidence_interval(1.0 - 2.0 * alpha)
    )
    notes.extend(f"t-test: {w}" for w in dict.fromkeys([*caught, *caught_ci]))
    out.update(
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        statistic=float(t),
        p_value=float(p),
        non_inferior=bool(float(p) < alpha),
    )
    return out


def _restricted_proportions(
    x1: int, n1: int, x2: int, n2: int, delta: float
) -> tuple[float, float]:
    """Maximum-likelihood ``(p1, p2)`` under ``p1 - p2 = delta`` (Miettinen & Nurminen 1985).

    The root of their cubic ``L3 p2^3 + L2 p2^2 + L1 p2 + L0``, in closed form. (The
    linear coefficient is ``(n2 delta - N - 2 x2) delta + C``; statsmodels 0.15's
    ``score_test_proportions_2indep`` has ``x2`` for ``n2`` there, statsmodels issue
    #10269, which is why the score test is written out here.)
    """
    n, c = n1 + n2, x1 + x2
    if delta == 0.0:
        return c / n, c / n
    l3 = float(n)
    l2 = (n1 + 2 * n2) * delta - n - c
    l1 = (n2 * delta - n - 2 * x2) * delta + c
    l0 = x2 * delta * (1.0 - delta)
    q = (l2 / (3 * l3)) ** 3 - l1 * l2 / (6 * l3**2) + l0 / (2 * l3)
    p = math.copysign(math.sqrt(max((l2 / (3 * l3)) ** 2 - l1 / (3 * l3), 0.0)), q)
    angle = math.pi if p == 0.0 else (math.pi + math.acos(max(-1.0, min(1.0, q / p**3)))) / 3
    p2 = 2 * p * math.cos(angle) - l2 / (3 * l3)
    p2 = min(max(p2, max(0.0, -delta)), min(1.0, 1.0 - delta))
    return p2 + delta, p2


def score_z_difference(
    x1: int, n1: int, x2: int, n2: int, delta: float, *, correction: bool = True
) -> float:
    """Score statistic of H0 ``p1 - p2 = delta`` (Farrington & Manning 1990).

    ``z = (x1/n1 - x2/n2 - delta) / sqrt(v)`` with ``v = p1~ (1 - p1~) / n1 + p2~ (1 -
    p2~) / n2`` at the restricted maximum-likelihood proportions, times ``N / (N - 1)``
    with `correction` (Miettinen & Nurminen 1985).

    Examples
    --------
    >>> round(score_z_difference(3, 50, 5, 50, 0.1), 4)
    -2.2648
    """
    p1, p2 = _restricted_proportions(x1, n1, x2, n2, float(delta))
    variance = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2
    if correction:
        variance *= (n1 + n2) / (n1 + n2 - 1)
    difference = x1 / n1 - x2 / n2 - delta
    if variance <= 0.0:
        return 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    return difference / math.sqrt(variance)


def score_ci_difference(
    x1: int, n1: int, x2: int, n2: int, *, confidence: float = 0.95, correction: bool = True
) -> tuple[float, float]:
    """Score CI of ``p1 - p2``: the deltas whose :func:`score_z_difference` is within ``z``.

    With `correction` this is Miettinen & Nurminen's (1985) interval, without it
    Farrington & Manning's.

    Examples
    --------
    >>> low, high = score_ci_difference(7, 34, 1, 34, correction=False)
    >>> round(low, 3), round(high, 2)  # Fagerland, Lydersen & Laake (2015), Table 5
    (0.028, 0.34)
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    estimate = x1 / n1 - x2 / n2
    edge = 1.0 - 1e-12

    def gap(delta: float, target: float) -> float:
        return score_z_difference(x1, n1, x2, n2, delta, correction=correction) - target

    low = -1.0 if estimate <= -edge else optimize.brentq(gap, -edge, estimate, args=(z,))
    high = 1.0 if estimate >= edge else optimize.brentq(gap, estimate, edge, args=(-z,))
    return float(low), float(high)


def noninferiority_rate(
    count1: int,
    n1: int,
    count2: int,
    n2: int,
    *,
    margin: float,
    alpha: float = 0.05,
    higher_is_better: bool = False,
) -> dict[str, Any]:
    """Is the rate ``count1 / n1`` no worse than ``count2 / n2`` by more than `margin`?

    Parameters
    ----------
    count1, n1, count2, n2 : int
        Events (e.g. outliers) and legs of the new technique and the reference.
    margin : float
        Non-inferiority margin (> 0) of the risk difference, as a fraction (0.1 is
        10 percentage points).
    alpha : float, default 0.05
        One-sided level; the CI has confidence ``1 - 2 alpha``.
    higher_is_better : bool, default False
        False (outlier rates): H0 ``p1 - p2 >= margin``.

    Returns
    -------
    dict
        As :func:`noninferiority_mean`, with ``estimate1``, ``estimate2`` the two
        proportions, ``difference`` = p1 - p2, ``test`` = ``score``, and the
        Miettinen-Nurminen score CI.

    Notes
    -----
    The score test of Farrington & Manning (1990): ``z = (p1 - p2 - m) / sqrt(v)``
    with ``v`` the variance at the maximum-likelihood proportions restricted to
    ``p1 - p2 = m``, times ``N / (N - 1)`` (Miettinen & Nurminen 1985), see
    :func:`score_z_difference`; the CI inverts the same statistic
    (:func:`score_ci_difference`).

    Examples
    --------
    >>> out = noninferiority_rate(3, 50, 5, 50, margin=0.1)
    >>> out["non_inferior"], round(out["difference"], 2)
    (True, -0.04)
    """
    margin, alpha = _check(margin, alpha)
    counts = [int(count1), int(n1), int(count2), int(n2)]
    if (
        counts[1] < 1
        or counts[3] < 1
        or not (0 <= counts[0] <= counts[1])
        or not (0 <= counts[2] <= counts[3])
    ):
        raise StatsError(
            f"counts must satisfy 0 <= count <= n and n >= 1, got {count1}/{n1}, {count2}/{n2}"
        )
    out: dict[str, Any] = {"n1": counts[1], "n2": counts[3]}
    out |= {"estimate1": counts[0] / counts[1], "estimate2": counts[2] / counts[3]}
    out |= _empty(margin, alpha, higher_is_better, "score")
    out["difference"] = out["estimate1"] - out["estimate2"]
    value = -margin if higher_is_better else margin
    x1, size1, x2, size2 = counts
    z = score_z_difference(x1, size1, x2, size2, value)
    p = float(stats.norm.sf(z) if higher_is_better else stats.norm.cdf(z))
    low, high = score_ci_difference(x1, size1, x2, size2, confidence=1.0 - 2.0 * alpha)
    out.update(ci_low=low, ci_high=high, statistic=z, p_value=p, non_inferior=bool(p < alpha))
    return out


def non_inferiority(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    margin: float,
    outcome: str = "mean",
    measures: Sequence[str] | None = None,
    metric: str = "abs_deviation",
    order: Sequence[str] | None = None,
    tolerance: float | None = None,
    alpha: float = 0.05,
    higher_is_better: bool = False,
    reader: str | None = None,
) -> pd.DataFrame:
    """Non-inferiority of group1 to group2 for every measure: a mean or an outlier rate.

    Parameters
    ----------
    results : DataFrame
        Long results table (see :func:`compare_groups`).
    groups : DataFrame or mapping, optional
        ``case,group`` or ``image,group``; ``None`` if `results` has ``group``.
    margin : float
        The margin (> 0): degrees for ``outcome="mean"`` of a deviation, a fraction
        of legs for ``outcome="rate"`` (0.1 = 10 percentage points).
    outcome : {"mean", "rate"}, default "mean"
        Mean of `metric` (:func:`noninferiority_mean`) or the outlier rate beyond
        the tolerance (:func:`noninferiority_rate`).
    measures : sequence of str, optional
        Default every numeric measure.
    metric : {"abs_deviation", "deviation", "value"}, default "abs_deviation"
        The column whose mean is compared (ignored for rates).
    order : sequence of two str, optional
        ``[new, reference]``; default the two groups, sorted.
    tolerance : float, optional
        Outlier threshold (degrees) for rates, overriding the preset's.
    alpha : float, default 0.05
        One-sided level.
    higher_is_better : bool, default False
        Direction: deviations and outlier rates are better when lower.
    reader : str, optional
        Use only this reader's rows; default average the readers of each leg.

    Returns
    -------
    DataFrame
        One row per measure with the columns of :data:`NONINFERIORITY_COLUMNS`:
        ``measure``, ``outcome``, ``metric`` (``outlier`` for rates), ``group1``,
        ``group2``, ``n1``, ``n2`` (legs), ``estimate1``, ``estimate2`` (means, or
        proportions of outliers), ``difference`` (1 - 2), ``margin``, ``direction``,
        ``alpha``, ``ci_low``, ``ci_high`` (CI of the difference at ``1 - 2
        alpha``), ``test`` (``welch`` or ``score``), ``statistic``, ``p_value``
        (one-sided), ``non_inferior`` (bool) and ``notes``.

    Raises
    ------
    StatsError
        Bad margin, alpha or outcome, a missing column, or not two groups.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "case": list("abcdefgh"), "measure": "hka", "status": "ok", "tolerance": 3.0,
    ...     "abs_deviation": [1.0, 1.2, 0.9, 1.1, 1.05, 1.0, 1.15, 0.95],
    ...     "group": ["PSI"] * 4 + ["CI"] * 4,
    ... })
    >>> table = non_inferiority(results, margin=0.5, order=["PSI", "CI"])
    >>> table[["measure", "n1", "n2", "non_inferior"]]
      measure  n1  n2  non_inferior
    0     hka   4   4          True
    """
    check_choice("outcome", outcome, OUTCOMES)
    _check(margin, alpha)
    prepared = prepare(
        results,
        groups,
        metric="abs_deviation" if outcome == "rate" else metric,
        measures=measures,
        order=order,
        tolerance=tolerance,
        reader=reader,
        what="non_inferiority",
    )
    rows = []
    for data in prepared.measures:
        fields: dict[str, Any]
        if outcome == "mean":
            fields = noninferiority_mean(
                *data.values, margin=margin, alpha=alpha, higher_is_better=higher_is_better
            )
        else:
            flagged = [
                int(np.count_nonzero(dev > tol))
                for dev, tol in zip(data.abs_deviation, data.tolerance, strict=True)
            ]
            sizes = [int(dev.size) for dev in data.abs_deviation]
            if min(sizes) == 0:
                fields = {"n1": sizes[0], "n2": sizes[1]}
                fields |= dict.fromkeys(("estimate1", "estimate2"), math.nan)
                fields |= _empty(float(margin), float(alpha), higher_is_better, "score")
                fields["notes"].append("a group has no deviation: no outlier rate")
            else:
                fields = noninferiority_rate(
                    flagged[0],
                    sizes[0],
                    flagged[1],
                    sizes[1],
                    margin=margin,
                    alpha=alpha,
                    higher_is_better=higher_is_better,
                )
        notes = data.notes + fields.pop("notes")
        rows.append(
            {
                "measure": data.measure,
                "outcome": outcome,
                "metric": "outlier" if outcome == "rate" else metric,
                "group1": prepared.group1,
                "group2": prepared.group2,
            }
            | fields
            | {"notes": join_notes(notes)}
        )
    return pd.DataFrame(rows, columns=list(NONINFERIORITY_COLUMNS))
