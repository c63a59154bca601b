"""Two-sample comparison of one measure: descriptives, test, CI and effect size.

Every test statistic comes from scipy (``ttest_ind``, ``mannwhitneyu``, ``shapiro``,
``levene``); assembled here are Hedges' g and its confidence interval, from scipy's
noncentral t distribution, and the Hodges-Lehmann shift with its CI as R's
``wilcox.test(conf.int = TRUE)`` computes them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from alignment.stats._common import recorded

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
    if pooled == 0.0 or (_constant(x1) and _constant(x2)):
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
    p_method, effect_size, effect_size_type, effect_ci_low, effect_ci_high,
    hodges_lehmann, hl_ci_low, hl_ci_high (Mann-Whitney only, see
    :func:`hodges_lehmann`), normality_p1, normality_p2, variance_p, notes (a list).
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
        "p_method": "" if test == "mannwhitney" else "t distribution",
        "effect_size": math.nan,
        "effect_size_type": "rank_biserial" if test == "mannwhitney" else "hedges_g",
        "effect_ci_low": math.nan,
        "effect_ci_high": math.nan,
        "hodges_lehmann": math.nan,
        "hl_ci_low": math.nan,
        "hl_ci_high": math.nan,
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
        shifted, caught = hodges_lehmann(x1, x2, confidence)
        notes.extend(f"Mann-Whitney: {w}" for w in caught)
        row |= shifted
        row["effect_size"] = 2.0 * shifted["statistic"] / (x1.size * x2.size) - 1.0
        notes.append("CI of mean_diff: Welch; rank-biserial CI not computed")
    else:
        row["effect_size"], row["effect_ci_low"], row["effect_ci_high"] = hedges_g(
            x1, x2, confidence, notes
        )
    return row


EXACT_LIMIT = 50
"""R's ``wilcox.test``: exact P and CI when both groups have fewer values and no ties."""


def _rank_sum_counts(m: int, n: int) -> np.ndarray:
    """Null frequencies of the Mann-Whitney U (0 ... m n) for sizes m and n, no ties.

    Recurrence on the largest observation: from the first sample it exceeds all n
    of the second (U gains n), else it adds nothing: f(m, n, u) = f(m-1, n, u-n) +
    f(m, n-1, u). Only additions, so exact in float64 up to 2^53 and accurate to
    rounding beyond.
    """
    previous = [np.ones(1) for _ in range(n + 1)]  # m = 0: U = 0 for any n
    for i in range(1, m + 1):
        current = [np.ones(1)]  # n = 0: U = 0
        for j in range(1, n + 1):
            counts = np.zeros(i * j + 1)
            shifted = previous[j]
            counts[j : j + shifted.size] += shifted
            counts[: current[j - 1].size] += current[j - 1]
            current.append(counts)
        previous = current
    return previous[n]


def _shift_score(x1: np.ndarray, x2: np.ndarray, shift: float, correct: bool) -> float:
    """R's ``wdiff`` without the quantile: standardised rank sum of ``x1 - shift`` vs x2."""
    n1, n2 = x1.size, x2.size
    ranks = stats.rankdata(np.concatenate([x1 - shift, x2]))
    dz = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2.0 - n1 * n2 / 2.0
    _, ties = np.unique(ranks, return_counts=True)
    total = n1 + n2
    sigma = math.sqrt(
        n1 * n2 / 12.0 * ((total + 1) - float((ties**3 - ties).sum()) / (total * (total - 1)))
    )
    correction = math.copysign(0.5, dz) if correct and dz != 0.0 else 0.0
    return (dz - correction) / sigma


def _shift_root(
    x1: np.ndarray, x2: np.ndarray, differences: np.ndarray, z: float, correct: bool
) -> float:
    """The shift at which the standardised rank sum crosses `z` (R's ``root``).

    The score is a non-increasing step function of the shift that jumps only at
    pairwise differences: the root is that difference, or, where the score equals
    `z` on a whole open interval between two differences, its midpoint. R finds the
    same point with ``uniroot`` to within 1e-4.
    """
    points = np.unique(differences)
    m = points.size

    def location(s: int) -> float:
        i = s // 2
        return float(points[i]) if s % 2 == 0 else float(points[i] + points[i + 1]) / 2.0

    def gap(s: int) -> float:
        return _shift_score(x1, x2, location(s), correct) - z

    last = 2 * (m - 1)
    if gap(0) <= 0.0:
        return float(points[0])
    if gap(last) >= 0.0:
        return float(points[-1])
    low, high = 0, last  # gap(low) > 0 >= gap(high)
    while high - low > 1:
        middle = (low + high) // 2
        if gap(middle) > 0.0:
            low = middle
        else:
            high = middle
    if high % 2 == 1 and gap(high) < 0.0:
        return float(points[high // 2])
    return location(high)


def hodges_lehmann(
    x1: np.ndarray, x2: np.ndarray, confidence: float
) -> tuple[dict[str, Any], list[str]]:
    """Mann-Whitney test with the Hodges-Lehmann shift and its CI, as R's ``wilcox.test``.

    Mirrors ``wilcox.test(x1, x2, conf.int = TRUE, conf.level = confidence)``: with
    no ties and both groups under :data:`EXACT_LIMIT` values, the exact P and the
    exact CI (order statistics of the pairwise differences x1_i - x2_j at the
    ``qwilcox`` rank, Bauer 1972) with the median of the differences as estimate;
    otherwise the normal approximation with tie and continuity correction, and a
    CI (and estimate, without continuity correction) from inverting it.

    Returns
    -------
    fields : dict
        ``hodges_lehmann`` (shift x1 - x2), ``hl_ci_low``, ``hl_ci_high``,
        ``statistic`` (U of x1, R's W), ``p_value`` (two-sided) and ``p_method``
        (``exact`` or ``normal approximation, continuity correction``).
    notes : list of str
        Warnings scipy raised, and why a CI is missing (both groups constant).
    """
    n1, n2 = x1.size, x2.size
    differences = np.subtract.outer(x1, x2).ravel()
    ties = np.unique(np.concatenate([x1, x2])).size < n1 + n2
    exact = not ties and n1 < EXACT_LIMIT and n2 < EXACT_LIMIT
    method = "exact" if exact else "asymptotic"
    result, caught = recorded(
        stats.mannwhitneyu, x1, x2, alternative="two-sided", method=method, use_continuity=True
    )
    fields: dict[str, Any] = {
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
        "p_method": "exact" if exact else "normal approximation, continuity correction",
    }
    alpha = 1.0 - confidence
    if _constant(x1) and _constant(x2):
        # every difference is the same; R: "cannot compute confidence interval when
        # all observations are tied" (the rank statistic has no spread at that shift)
        fields |= {"hodges_lehmann": float(differences[0]), "hl_ci_low": math.nan}
        fields["hl_ci_high"] = math.nan
        return fields, [*caught, "both groups constant: no CI of the shift"]
    if exact:
        differences.sort()
        cdf = np.cumsum(_rank_sum_counts(n1, n2))
        cdf /= cdf[-1]
        # qwilcox(alpha / 2): smallest q with P(U <= q) >= alpha / 2 (R's fuzz 10 eps).
        q = max(int(np.searchsorted(cdf, alpha / 2.0 - 10.0 * np.finfo(float).eps)), 1)
        fields |= {
            "hodges_lehmann": float(np.median(differences)),
            "hl_ci_low": float(differences[q - 1]),
            "hl_ci_high": float(differences[n1 * n2 - q]),
        }
    else:
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        fields |= {
            "hodges_lehmann": _shift_root(x1, x2, differences, 0.0, correct=False),
            "hl_ci_low": _shift_root(x1, x2, differences, z, correct=True),
            "hl_ci_high": _shift_root(x1, x2, differences, -z, correct=True),
        }
    return fields, caught
