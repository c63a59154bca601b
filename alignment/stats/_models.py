"""The group difference from a regression model: OLS, GEE or a mixed model.

Shared by :func:`~alignment.stats.ancova` (adjusted differences) and
:func:`~alignment.stats.compare_groups` (``cluster=``). The design is
``y = b0 + b1 [group1] + covariates``; ``b1`` is the group1 - group2 difference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.genmod.cov_struct import Exchangeable

from alignment.stats._common import recorded

LEGS_COUNTED: dict[str | None, str] = {
    None: "each leg an independent observation",
    "mixed": "legs clustered by patient: linear mixed model, random intercept per patient (REML)",
    "gee": "legs clustered by patient: GEE, exchangeable correlation, robust (sandwich) SE",
}
"""How the legs were counted, as the output tables say it."""


def group_effect(
    y: np.ndarray,
    in_group1: np.ndarray,
    covariates: np.ndarray,
    *,
    patients: np.ndarray | None,
    cluster: str | None,
    confidence: float,
) -> dict[str, Any]:
    """Fit the model; return the group1 - group2 coefficient with its CI and test.

    Parameters
    ----------
    y : ndarray, shape (n,)
    in_group1 : ndarray of bool, shape (n,)
    covariates : ndarray, shape (n, k)
        Further columns of the design (k may be 0).
    patients : ndarray, shape (n,), optional
        Patient of each row, for ``cluster``.
    cluster : {None, "mixed", "gee"}
        None: OLS (t-test of the coefficient, residual df); ``mixed``: MixedLM with a
        random intercept per patient (Wald z; OLS, noted, when no patient has two
        legs); ``gee``: Gaussian GEE with exchangeable working correlation and robust
        SE (Wald z). With no residual variance, or a failed fit, the fields are NaN
        and the notes say why.
    confidence : float

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``, ``statistic`` (t or z), ``df`` (NaN
        for z), ``p_value``, ``coefficients`` (covariate name index -> value, as a
        list in column order), ``r_squared`` (OLS only) and ``notes`` (a list).
    """
    notes: list[str] = []
    design = np.column_stack([np.ones(y.size), in_group1.astype("float64"), covariates])
    out: dict[str, Any] = {
        "estimate": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "statistic": math.nan,
        "df": math.nan,
        "p_value": math.nan,
        "coefficients": [math.nan] * covariates.shape[1],
        "r_squared": math.nan,
        "notes": notes,
    }
    if in_group1.all() or not in_group1.any():
        notes.append("a group has no usable leg: no model")
        return out
    if y.size <= design.shape[1]:
        notes.append(f"{y.size} legs for {design.shape[1]} coefficients: no model")
        return out
    if np.linalg.matrix_rank(design) < design.shape[1]:
        notes.append("the design is singular (a covariate is constant or collinear): no model")
        return out
    alpha = 1.0 - confidence
    ols, caught = recorded(lambda: sm.OLS(y, design).fit())
    notes.extend(f"OLS: {w}" for w in caught)
    if math.sqrt(max(float(ols.ssr), 0.0) / y.size) <= 1e-10 * (float(np.abs(y).max()) or 1.0):
        notes.append("no residual variance (the model fits every leg exactly): no test")
        out["estimate"] = float(np.asarray(ols.params)[1])
        return out
    if cluster == "mixed" and patients is not None and len(set(patients.tolist())) == y.size:
        notes.append("every patient has one leg: no patient variance to model, OLS used")
        cluster = None
    try:
        if cluster is None:
            fitted = ols
            out["df"] = float(fitted.df_resid)
            out["r_squared"] = float(fitted.rsquared)
        elif cluster == "gee":
            model = sm.GEE(y, design, groups=patients, cov_struct=Exchangeable())
            fitted, caught = recorded(lambda: model.fit())
            notes.extend(f"GEE: {w}" for w in caught)
            clusters = len(set(patients.tolist())) if patients is not None else 0
            if clusters < 40:
                notes.append(f"GEE robust SE from {clusters} patients: may be too small below ~40")
        else:
            mixed = sm.MixedLM(y, design, groups=patients)
            fitted, caught = recorded(lambda: mixed.fit(reml=True))
            notes.extend(f"mixed model: {w}" for w in caught)
            if not fitted.converged:
                notes.append("mixed model did not converge")
    except (ValueError, np.linalg.LinAlgError) as exc:
        notes.append(f"{cluster} model failed: {exc}")
        return out
    (params, bse), caught = recorded(
        lambda: (np.asarray(fitted.params, "float64"), np.asarray(fitted.bse, "float64"))
    )
    notes.extend(f"{cluster or 'OLS'}: {w}" for w in caught)
    estimate, se = float(params[1]), float(bse[1])
    statistic = estimate / se if se > 0 else math.nan  # NaN SE fails the test too
    if cluster is None:
        quantile = float(stats.t.ppf(1.0 - alpha / 2.0, out["df"]))
        p_value = float(2.0 * stats.t.sf(abs(statistic), out["df"]))
    else:
        quantile = float(stats.norm.ppf(1.0 - alpha / 2.0))
        p_value = float(2.0 * stats.norm.sf(abs(statistic)))
    out.update(
        estimate=estimate,
        ci_low=estimate - quantile * se,
        ci_high=estimate + quantile * se,
        statistic=statistic,
        p_value=p_value if math.isfinite(statistic) else math.nan,
        coefficients=[float(v) for v in params[2 : 2 + covariates.shape[1]]],
    )
    return out
