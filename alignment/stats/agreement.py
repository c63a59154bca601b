"""Agreement between two raters on the same targets: CCC, kappa, proportional bias.

Pure functions on paired arrays (rater 1, rater 2: two readers, or a reader and the
automatic detection). :func:`~alignment.stats.reliability.reliability` applies them
to every pair of readers of a results table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from alignment.errors import StatsError
from alignment.options import KAPPA_WEIGHTS
from alignment.stats._common import check_choice, check_confidence

__all__ = ["KAPPA_WEIGHTS", "cohen_kappa", "concordance_correlation", "proportional_bias"]


def _paired(x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    if a.shape != b.shape or a.ndim != 1:
        raise StatsError(
            f"{what}: expected two 1-D arrays of one length, got {a.shape}, {b.shape}"
        )
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def concordance_correlation(x: Any, y: Any, *, confidence: float = 0.95) -> dict[str, Any]:
    """Lin's concordance correlation coefficient with its z-transform CI.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired ratings of the same targets (pairs with a NaN are left out).
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``estimate`` (rho_c), ``ci_low``, ``ci_high``, ``se_z`` (SE of
        atanh(rho_c)), ``pearson_r`` (precision), ``bias_correction`` (accuracy
        C_b = rho_c / r), ``n`` and ``notes`` (a list).

    Notes
    -----
    With means, variances and covariance taken with divisor n (Lin 1989),
    rho_c = 2 s_xy / (s_x^2 + s_y^2 + (xbar - ybar)^2). Its variance (Lin 1989,
    corrected in Lin 2000), with u = (ybar - xbar) / sqrt(s_x s_y), is

    var(rho_c) = [(1 - r^2) rho_c^2 (1 - rho_c^2) / r^2 + 2 rho_c^3 (1 - rho_c) u^2
    / r - rho_c^4 u^4 / (2 r^2)] / (n - 2),

    and the CI is tanh(atanh(rho_c) +- z SE / (1 - rho_c^2)), as R's
    ``epiR::epi.ccc(ci = "z-transform")``.

    References
    ----------
    Lin LI. A concordance correlation coefficient to evaluate reproducibility.
    Biometrics 1989;45:255-268.
    Lin LI. A note on the concordance correlation coefficient. Biometrics
    2000;56:324-325.

    Examples
    --------
    >>> out = concordance_correlation([1.0, 2, 3, 4, 5], [1.1, 2.1, 2.9, 4.2, 5.1])
    >>> round(out["estimate"], 4), out["n"]
    (0.9961, 5)
    """
    confidence = check_confidence(confidence)
    a, b = _paired(x, y, "concordance_correlation")
    n = int(a.size)
    out: dict[str, Any] = dict.fromkeys(
        ("estimate", "ci_low", "ci_high", "se_z", "pearson_r", "bias_correction"), math.nan
    ) | {"n": n, "notes": []}
    if n < 3:
        out["notes"].append("fewer than 3 pairs: concordance not computed")
        return out
    mean_a, mean_b = float(a.mean()), float(b.mean())
    var_a, var_b = float(a.var()), float(b.var())
    if var_a == 0.0 or var_b == 0.0:
        out["notes"].append("a rater's ratings are all equal: concordance undefined")
        return out
    cov = float(((a - mean_a) * (b - mean_b)).mean())
    rho = 2.0 * cov / (var_a + var_b + (mean_a - mean_b) ** 2)
    r = cov / math.sqrt(var_a * var_b)
    out.update(estimate=rho, pearson_r=r, bias_correction=rho / r if r != 0.0 else math.nan)
    if abs(rho) >= 1.0 or r == 0.0:
        out["notes"].append("|rho_c| = 1 or r = 0: no CI")
        return out
    u2 = (mean_b - mean_a) ** 2 / math.sqrt(var_a * var_b)
    variance = (
        (1 - r**2) * rho**2 * (1 - rho**2) / r**2
        + 2 * rho**3 * (1 - rho) * u2 / r
        - rho**4 * u2**2 / (2 * r**2)
    ) / (n - 2)
    if variance <= 0.0:
        out["notes"].append("variance estimate not positive: no CI")
        return out
    se_z = math.sqrt(variance) / (1 - rho**2)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    centre = math.atanh(rho)
    out.update(
        se_z=se_z, ci_low=math.tanh(centre - z * se_z), ci_high=math.tanh(centre + z * se_z)
    )
    return out


def proportional_bias(a: Any, b: Any, *, confidence: float = 0.95) -> dict[str, Any]:
    """Regression of the difference a - b on the mean (a + b) / 2 (Bland & Altman 1999).

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Paired ratings (pairs with a NaN are left out).
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``slope`` (change of the difference per unit of the mean: 0 means no
        proportional bias), ``intercept``, ``ci_low``, ``ci_high`` (CI of the
        slope, t with n - 2 df), ``statistic`` (t), ``df``, ``p_value`` (slope = 0),
        ``n`` and ``notes`` (a list).

    References
    ----------
    Bland JM, Altman DG. Measuring agreement in method comparison studies. Stat
    Methods Med Res 1999;8:135-160 (section 3.2).

    Examples
    --------
    >>> out = proportional_bias([10.0, 20, 30, 40], [9.0, 18, 27, 36])
    >>> round(out["slope"], 4), round(out["intercept"], 4)
    (0.1053, 0.0)
    """
    confidence = check_confidence(confidence)
    x, y = _paired(a, b, "proportional_bias")
    n = int(x.size)
    mean, diff = (x + y) / 2.0, x - y
    out: dict[str, Any] = dict.fromkeys(
        ("slope", "intercept", "ci_low", "ci_high", "statistic", "df", "p_value"), math.nan
    ) | {"n": n, "notes": []}
    if n < 3 or np.ptp(mean) == 0.0:
        out["notes"].append("fewer than 3 pairs or no spread of the means: no regression")
        return out
    fit = stats.linregress(mean, diff)
    out.update(slope=float(fit.slope), intercept=float(fit.intercept), df=float(n - 2))
    if n > 2 and float(fit.stderr) > 0.0:
        t_crit = float(stats.t.ppf(0.5 + confidence / 2.0, n - 2))
        out.update(
            ci_low=float(fit.slope - t_crit * fit.stderr),
            ci_high=float(fit.slope + t_crit * fit.stderr),
            statistic=float(fit.slope / fit.stderr),
            p_value=float(fit.pvalue),
        )
    else:
        out["notes"].append("differences lie exactly on a line: no CI or test")
    return out


def cohen_kappa(
    first: Sequence[Any] | np.ndarray,
    second: Sequence[Any] | np.ndarray,
    *,
    weights: str = "none",
    categories: Sequence[Any] | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Cohen's kappa of two raters' categories, unweighted or weighted for ordered ones.

    Parameters
    ----------
    first, second : sequence, shape (n,)
        The category each rater gave each target (pairs with a missing value, None
        or NaN, are left out).
    weights : {"none", "linear", "quadratic"}, default "none"
        Disagreement weights for ordered categories: w_ij = |i - j| / (K - 1) or
        (i - j)^2 / (K - 1)^2, with i, j the positions in `categories`.
    categories : sequence, optional
        All categories, in order; default the sorted categories found.
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``estimate`` (kappa), ``se`` (large-sample SE, Fleiss, Cohen & Everitt
        1969), ``ci_low``, ``ci_high`` (kappa -+ z SE), ``statistic`` (z = kappa /
        SE under kappa = 0), ``p_value`` (two-sided), ``observed`` and
        ``expected`` (weighted agreement), ``n``, ``categories`` and ``notes``.

    Raises
    ------
    StatsError
        Unknown `weights`, or a category not in `categories`.

    Notes
    -----
    With p_ij the joint proportions, p_i. and p_.j the margins and agreement
    weights v_ij = 1 - w_ij: kappa = (P_o - P_e) / (1 - P_e), P_o = sum v_ij p_ij,
    P_e = sum v_ij p_i. p_.j (Cohen 1960, 1968). The variances are those of Fleiss,
    Cohen & Everitt (1969), as in SAS PROC FREQ and statsmodels.

    References
    ----------
    Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas
    1960;20:37-46.
    Cohen J. Weighted kappa. Psychol Bull 1968;70:213-220.
    Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and
    weighted kappa. Psychol Bull 1969;72:323-327.

    Examples
    --------
    >>> out = cohen_kappa(["I", "I", "II", "II", "V"], ["I", "II", "II", "II", "V"])
    >>> round(out["estimate"], 4), out["categories"]
    (0.6875, ['I', 'II', 'V'])
    """
    check_choice("weights", weights, KAPPA_WEIGHTS)
    confidence = check_confidence(confidence)
    one, two = np.asarray(first, dtype=object), np.asarray(second, dtype=object)
    if one.shape != two.shape or one.ndim != 1:
        raise StatsError(
            f"cohen_kappa: expected two sequences of one length, got {one.shape}, {two.shape}"
        )

    def missing(values: np.ndarray) -> np.ndarray:
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in values])

    keep = ~(missing(one) | missing(two)) if one.size else np.zeros(0, dtype=bool)
    one, two = one[keep], two[keep]
    found = sorted(set(one.tolist()) | set(two.tolist()))
    order = list(categories) if categories is not None else found
    unknown = [c for c in found if c not in order]
    if unknown:
        raise StatsError(f"cohen_kappa: categories {unknown!r} not in {order!r}")
    k, n = len(order), int(one.size)
    out: dict[str, Any] = dict.fromkeys(
        ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value", "observed", "expected"),
        math.nan,
    ) | {"n": n, "categories": order, "notes": []}
    if n == 0 or k < 2:
        out["notes"].append("fewer than 2 categories or no pair: kappa undefined")
        return out
    index = {c: i for i, c in enumerate(order)}
    table = np.zeros((k, k))
    np.add.at(table, ([index[c] for c in one], [index[c] for c in two]), 1.0)
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    positions = np.arange(k, dtype="float64")
    distance = np.abs(positions[:, None] - positions[None, :]) / (k - 1)
    disagreement = {"none": (distance > 0).astype(float), "linear": distance}.get(
        weights, distance**2
    )
    v = 1.0 - disagreement
    observed = float((v * p).sum())
    expected = float((v * np.outer(rows, cols)).sum())
    out.update(observed=observed, expected=expected)
    if expected >= 1.0:
        out["notes"].append("expected agreement is 1 (one category only): kappa undefined")
        return out
    kappa = (observed - expected) / (1.0 - expected)
    v_row = v @ cols  # weighted mean agreement of row category i
    v_col = rows @ v  # ... of column category j
    spread = v - (v_row[:, None] + v_col[None, :]) * (1.0 - kappa)
    variance = ((p * spread**2).sum() - (kappa - expected * (1.0 - kappa)) ** 2) / (
        n * (1.0 - expected) ** 2
    )
    null = np.outer(rows, cols) * (v - (v_row[:, None] + v_col[None, :])) ** 2
    variance0 = (null.sum() - expected**2) / (n * (1.0 - expected) ** 2)
    out["estimate"] = kappa
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    if variance > 0.0:
        se = math.sqrt(variance)
        out.update(se=se, ci_low=kappa - z * se, ci_high=kappa + z * se)
    else:
        out["notes"].append("kappa SE is 0 (perfect agreement?): no CI")
    if variance0 > 0.0:
        statistic = kappa / math.sqrt(variance0)
        out.update(statistic=statistic, p_value=float(2.0 * stats.norm.sf(abs(statistic))))
    return out
