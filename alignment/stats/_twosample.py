"""Two-sample comparison of one measure: descriptives, test, CI and effect size.

Every test statistic comes from scipy (``ttest_ind``, ``mannwhitneyu``, ``shapiro``,
``levene``); only Hedges' g and its confidence interval are assembled here, from
scipy's noncentral t distribution.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from alignment.stats._common import recorded

TESTS: tuple[str, ...] = ("welch", "student", "mannwhitney", "auto")
"""Values of the ``test`` option."""

NORMALITY_ALPHA = 0.05
"""Level of the Shapiro-Wilk and Levene checks behind ``test="auto"``."""


def describe(values: np.ndarray) -> dict[str, float]:
    """n, mean, SD (ddof=1), median and quartiles of one group (NaN where undefined)."""
    n = int(values.size)
    if n == 0:
        return {"n": 0} | dict.fromkeys(("mean", "sd", "median", "iqr_low", "iqr_high"), math.nan)
    q25, median, q75 = np.percentile(values, [25.0, 50.0, 75.0])
    return {
        "n": n,
        "mean": float(np.mean(values)),
        "sd": float(np.std(values, ddof=1)) if n > 1 else math.nan,
        "median": float(median),
        "iqr_low": float(q25),
        "iqr_high": float(q75),
    }


def _constant(values: np.ndarray) -> bool:
    return bool(values.size > 0 and np.ptp(values) == 0.0)


def normality_p(values: np.ndarray, notes: list[str], label: str) -> float:
    """Shapiro-Wilk P of one group, NaN (with a note) where it cannot be computed."""
    if values.size < 3:
        notes.append(f"{label}: fewer than 3 values, normality not checked")
        return math.nan
    if _constant(values):
        notes.append(f"{label}: all values equal, normality not checked")
        return math.nan
    result, caught = recorded(stats.shapiro, values)
    notes.extend(f"{label}: Shapiro-Wilk: {w}" for w in caught)
    return float(result.pvalue)


def variance_p(x1: np.ndarray, x2: np.ndarray, notes: list[str]) -> float:
    """Brown-Forsythe (Levene, median-centred) P, NaN where it cannot be computed."""
    if x1.size < 2 or x2.size < 2 or (_constant(x1) and _constant(x2)):
        return math.nan
    result, caught = recorded(stats.levene, x1, x2, center="median")
    notes.extend(f"Levene: {w}" for w in caught)
    return float(result.pvalue)


def choose_test(
    normality: tuple[float, float], variance: float, labels: tuple[str, str]
) -> tuple[str, str]:
    """Return ``(test, reason)`` for ``test="auto"``.

    Mann-Whitney if either group's Shapiro-Wilk P is below 0.05; otherwise Welch if
    the Brown-Forsythe P is below 0.05 (or cannot be computed), else Student.
    """
    parts = []
    for label, p in zip(labels, normality, strict=True):
        parts.append(f"Shapiro-Wilk P {label} = {p:.3g}" if math.isfinite(p) else f"{label} n/a")
    normal_text = ", ".join(parts)
    if any(math.isfinite(p) and p < NORMALITY_ALPHA for p in normality):
        return "mannwhitney", f"auto: {normal_text} (< {NORMALITY_ALPHA}: not normal)"
    if not all(math.isfinite(p) for p in normality):
        return "welch", f"auto: {normal_text} (normality unchecked); Welch by default"
    if not math.isfinite(variance):
        return "welch", f"auto: {normal_text}; variance check n/a; Welch by default"
    if variance < NORMALITY_ALPHA:
        return "welch", f"auto: {normal_text}; Brown-Forsythe P = {variance:.3g} (unequal)"
    return "student", f"auto: {normal_text}; Brown-Forsythe P = {variance:.3g} (equal)"


def hedges_g(
    x1: np.ndarray, x2: np.ndarray, confidence: float, notes: list[str]
) -> tuple[float, float, float]:
    """Hedges' g (pooled SD, exact small-sample correction) with its exact CI.

    The CI inverts the noncentral t distribution of the pooled-variance t statistic
    (Hedges & Olkin 1985; Steiger & Fouladi 1997) and applies the same correction
    factor ``J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))`` to both bounds.
    """
    n1, n2 = x1.size, x2.size
    df = n1 + n2 - 2
    if n1 < 2 or n2 < 2:
        return math.nan, math.nan, math.nan
    pooled = math.sqrt(((n1 - 1) * np.var(x1, ddof=1) + (n2 - 1) * np.var(x2, ddof=1)) / df)
    if pooled == 0.0:
        notes.append("pooled SD is 0: effect size undefined")
        return math.nan, math.nan, math.nan
    d = (float(np.mean(x1)) - float(np.mean(x2))) / pooled
    j = math.exp(special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2))
    scale = math.sqrt(n1 * n2 / (n1 + n2))
    t_obs = d * scale
    tail = (1.0 - confidence) / 2.0

    def bound(target_sf: float) -> float:
        # sf(t_obs; ncp) grows with ncp; find ncp where it equals target_sf.
        def gap(ncp: float) -> float:
            return float(stats.nct.sf(t_obs, df, ncp)) - target_sf

        width = 10.0 + abs(t_obs)
        low, high = t_obs - width, t_obs + width
        for _ in range(60):
            if gap(low) < 0.0 < gap(high):
                break
            width *= 2.0
            low, high = t_obs - width, t_obs + width
        return float(optimize.brentq(gap, low, high, xtol=1e-12, rtol=1e-12))

    (ncp_low, ncp_high), caught = recorded(lambda: (bound(tail), bound(1.0 - tail)))
    notes.extend(f"Hedges' g CI: {w}" for w in caught)
    return j * d, j * ncp_low / scale, j * ncp_high / scale


def paired_t(
    a: np.ndarray, b: np.ndarray, confidence: float
) -> tuple[dict[str, float], list[str]]:
    """Paired t test of ``a - b``; return the row fields and the warnings scipy raised.

    Keys: ci_low, ci_high (CI of the mean difference), statistic (t), df, p_value.
    """
    paired, caught = recorded(stats.ttest_rel, a, b)
    interval = paired.confidence_interval(confidence_level=confidence)
    fields = {
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
        "statistic": float(paired.statistic),
        "df": float(paired.df),
        "p_value": float(paired.pvalue),
    }
    return fields, caught


def two_sample(
    x1: np.ndarray,
    x2: np.ndarray,
    *,
    test: str,
    confidence: float,
    labels: tuple[str, str],
) -> dict[str, Any]:
    """Compare two samples; return the row fields shared by every two-group table.

    Keys: mean_diff, ci_low, ci_high, test, test_reason, statistic, df, p_value,
    effect_size, effect_size_type, effect_ci_low, effect_ci_high, normality_p1,
    normality_p2, variance_p, notes (a list).
    """
    notes: list[str] = []
    normality = (
        normality_p(x1, notes, labels[0]),
        normality_p(x2, notes, labels[1]),
    )
    equal_var_p = variance_p(x1, x2, notes)
    reason = f"{test}: as asked"
    if test == "auto":
        test, reason = choose_test(normality, equal_var_p, labels)
    row: dict[str, Any] = {
        "mean_diff": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "test": test,
        "test_reason": reason,
        "statistic": math.nan,
        "df": math.nan,
        "p_value": math.nan,
        "effect_size": math.nan,
        "effect_size_type": "rank_biserial" if test == "mannwhitney" else "hedges_g",
        "effect_ci_low": math.nan,
        "effect_ci_high": math.nan,
        "normality_p1": normality[0],
        "normality_p2": normality[1],
        "variance_p": equal_var_p,
        "notes": notes,
    }
    if x1.size == 0 or x2.size == 0:
        notes.append("a group has no usable value: nothing to compare")
        return row
    row["mean_diff"] = float(np.mean(x1)) - float(np.mean(x2))
    if x1.size < 2 or x2.size < 2:
        notes.append("a group has fewer than 2 values: no test")
        return row
    welch = test != "student"
    constant = [label for label, x in zip(labels, (x1, x2), strict=True) if _constant(x)]
    if constant:  # a test would rest on a variance of zero: report it, do not test
        which = " and ".join(map(str, constant))
        notes.append(f"no variation in {which} (every value the same, constant): not tested")
        row["test_reason"] = f"not tested: no variation in {which}"
        return row
    ttest, caught = recorded(stats.ttest_ind, x1, x2, equal_var=not welch)
    notes.extend(f"t-test: {w}" for w in caught)
    interval = ttest.confidence_interval(confidence_level=confidence)
    row["ci_low"], row["ci_high"] = float(interval.low), float(interval.high)
    if test != "mannwhitney":
        row["statistic"] = float(ttest.statistic)
        row["df"] = float(ttest.df)
        row["p_value"] = float(ttest.pvalue)
    if test == "mannwhitney":
        result, caught = recorded(stats.mannwhitneyu, x1, x2, alternative="two-sided")
        notes.extend(f"Mann-Whitney: {w}" for w in caught)
        u1 = float(result.statistic)
        row["statistic"] = u1
        row["p_value"] = float(result.pvalue)
        row["effect_size"] = 2.0 * u1 / (x1.size * x2.size) - 1.0
        notes.append("CI of mean_diff: Welch; rank-biserial CI not computed")
    else:
        row["effect_size"], row["effect_ci_low"], row["effect_ci_high"] = hedges_g(
            x1, x2, confidence, notes
        )
    return row
