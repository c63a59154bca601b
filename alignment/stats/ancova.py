"""ANCOVA: the group difference in post-op alignment adjusted for the pre-op value.

A randomised or cohort comparison of post-op deviation gains precision (and, in a
cohort, loses some confounding) when the pre-op deformity enters the model
(Vickers & Altman 2001). Each leg is one row of ``y = b0 + b1 [group1] + b2 pre +
b3 covariate + ...``; ``b1`` is the adjusted group1 - group2 difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alignment.errors import StatsError
from alignment.options import CLUSTERS, METRICS
from alignment.stats._common import (
    as_float,
    check_choice,
    check_confidence,
    join_notes,
    require_columns,
    text_column,
)
from alignment.stats._models import LEGS_COUNTED, group_effect
from alignment.stats._observations import leg_keys, prepare

__all__ = ["ANCOVA_COLUMNS", "ancova"]

ANCOVA_COLUMNS: tuple[str, ...] = (
    "measure",
    "metric",
    "group1",
    "group2",
    "n1",
    "n2",
    "patients1",
    "patients2",
    "legs_counted",
    "covariates",
    "mean1",
    "mean2",
    "mean_diff",
    "adjusted_diff",
    "ci_low",
    "ci_high",
    "confidence",
    "model",
    "statistic",
    "df",
    "p_value",
    "baseline_coefficient",
    "r_squared",
    "notes",
)
"""Columns of :func:`ancova`."""


def _per_leg(baseline: pd.DataFrame, metric: str) -> dict[tuple[str, str], float]:
    """Mean `metric` per (measure, leg) over the usable rows of the pre-op table."""
    require_columns(baseline, ["measure", "status", metric], "baseline table")
    if not ({"case", "image"} & set(baseline.columns)):
        raise StatsError("baseline table lacks both 'case' and 'image'; one identifies a leg")
    values = as_float(baseline[metric], f"baseline {metric}")
    usable = (text_column(baseline["status"]) == "ok") & np.isfinite(values)
    frame = pd.DataFrame(
        {
            "measure": text_column(baseline["measure"]),
            "leg": leg_keys(baseline),
            "value": values,
        }
    )[usable]
    means = frame.groupby(["measure", "leg"], sort=False)["value"].mean()
    return {(str(m), str(leg)): float(v) for (m, leg), v in means.items()}


def _covariate_table(
    covariates: pd.DataFrame, columns: Sequence[str] | None
) -> tuple[str, pd.DataFrame]:
    """Return ``(key, table)``: covariates indexed by leg (with side) or by case/image."""
    if not isinstance(covariates, pd.DataFrame):
        raise TypeError(f"covariates must be a DataFrame, got {type(covariates).__name__}")
    key = "case" if "case" in covariates.columns else "image"
    require_columns(covariates, [key], "covariates table (case or image column)")
    keys = {"case", "image", "side", "group"}
    chosen = [str(c) for c in columns] if columns is not None else [
        str(c) for c in covariates.columns if c not in keys
    ]  # fmt: skip
    if not chosen:
        raise StatsError("covariates table has no covariate column beside its identifiers")
    require_columns(covariates, chosen, "covariates table")
    values = pd.DataFrame({c: as_float(covariates[c], c) for c in chosen})
    by_leg = "side" in covariates.columns
    values.index = leg_keys(covariates) if by_leg else text_column(covariates[key])
    if values.index.duplicated().any():
        first = values.index[values.index.duplicated()][0]
        raise StatsError(f"covariates table has several rows for {first!r}")
    return ("leg" if by_leg else "case"), values


def ancova(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    baseline: pd.DataFrame | None = None,
    covariates: pd.DataFrame | None = None,
    covariate_columns: Sequence[str] | None = None,
    measures: Sequence[str] | None = None,
    metric: str = "abs_deviation",
    baseline_metric: str = "value",
    order: Sequence[str] | None = None,
    reader: str | None = None,
    confidence: float = 0.95,
    cluster: str | None = None,
    patient: str | None = None,
) -> pd.DataFrame:
    """Group difference per measure adjusted for the pre-op value and named covariates.

    Parameters
    ----------
    results : DataFrame
        Post-op long results table (see :func:`compare_groups`).
    groups : DataFrame or mapping, optional
        ``case,group`` or ``image,group``; ``None`` if `results` has ``group``.
    baseline : DataFrame, optional
        Pre-op long results table of the same legs (matched on ``case`` or
        ``image``, and ``side`` where present, and ``measure``); its
        `baseline_metric` is the covariate ``baseline``.
    covariates : DataFrame, optional
        One row per case (``case`` or ``image`` column, and ``side`` for per-leg
        values) with numeric covariates such as age or BMI.
    covariate_columns : sequence of str, optional
        Columns of `covariates` to use; default every column but the identifiers.
    measures, metric, order, reader
        As for :func:`compare_groups`.
    baseline_metric : {"value", "deviation", "abs_deviation"}, default "value"
        What of the pre-op film adjusts: the pre-op angle itself by default.
    confidence : float, default 0.95
    cluster : {None, "mixed", "gee"}, optional
        Model the legs of one patient as correlated (see :func:`compare_groups`).
    patient : str, optional
        Column of `results` naming the patient; default the case.

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``metric``, ``group1``, ``group2``,
        ``n1``, ``n2`` (legs with every covariate), ``patients1``, ``patients2``,
        ``legs_counted``, ``covariates`` (``"; "``-joined names), ``mean1``,
        ``mean2``, ``mean_diff`` (unadjusted, same legs), ``adjusted_diff`` (the
        group coefficient, group1 - group2), ``ci_low``, ``ci_high`` (its CI),
        ``confidence``, ``model`` (``ols``, ``mixed`` or ``gee``), ``statistic`` (t
        for OLS, z otherwise), ``df`` (residual df; NaN for z), ``p_value``,
        ``baseline_coefficient`` (slope on the pre-op value; NaN without baseline),
        ``r_squared`` (OLS) and ``notes``.

    Raises
    ------
    StatsError
        Neither `baseline` nor `covariates`, a missing column, or not two groups.

    Notes
    -----
    OLS by :class:`statsmodels.regression.linear_model.OLS`: the CI is ``b1 +- t(1 -
    alpha/2, n - p) SE(b1)``. Legs without a pre-op value or a covariate are left out
    (complete cases) and counted in ``notes``. The adjusted difference assumes the
    same slope in both groups (no group x covariate interaction).

    References
    ----------
    Vickers AJ, Altman DG (2001). Analysing controlled trials with baseline and
    follow up measurements. BMJ 323:1123-1124.

    Examples
    --------
    >>> import pandas as pd
    >>> post = pd.DataFrame({
    ...     "case": list("abcdefgh"), "measure": "hka", "status": "ok",
    ...     "abs_deviation": [1.0, 1.5, 2.0, 2.5, 2.0, 2.6, 3.0, 3.4],
    ...     "group": ["PSI"] * 4 + ["CI"] * 4,
    ... })
    >>> pre = pd.DataFrame({"case": list("abcdefgh"), "measure": "hka", "status": "ok",
    ...                     "value": [170.0, 172, 174, 176, 171, 173, 175, 177]})
    >>> row = ancova(post, baseline=pre, order=["PSI", "CI"]).iloc[0]
    >>> round(float(row["mean_diff"]), 2), round(float(row["adjusted_diff"]), 2)
    (-1.0, -0.76)
    """
    confidence = check_confidence(confidence)
    check_choice("baseline_metric", baseline_metric, METRICS)
    if cluster is not None:
        check_choice("cluster", cluster, CLUSTERS)
    if baseline is None and covariates is None:
        raise StatsError("ancova needs a baseline (pre-op) table or a covariates table")
    pre = _per_leg(baseline, baseline_metric) if baseline is not None else None
    extra = _covariate_table(covariates, covariate_columns) if covariates is not None else None
    prepared = prepare(
        results,
        groups,
        metric=metric,
        measures=measures,
        order=order,
        tolerance=None,
        reader=reader,
        what="ancova",
        patient=patient,
    )
    names = (["baseline"] if pre is not None else []) + (
        list(extra[1].columns) if extra is not None else []
    )
    rows = []
    for data in prepared.measures:
        notes = list(data.notes)
        y = np.concatenate(data.values)
        legs = np.concatenate(data.legs).astype(str)
        patients = np.concatenate(data.patients).astype(str)
        in_group1 = np.r_[np.ones(data.values[0].size, bool), np.zeros(data.values[1].size, bool)]
        columns = []
        if pre is not None:
            columns.append(np.array([pre.get((data.measure, leg), math.nan) for leg in legs]))
        if extra is not None:
            by, table = extra
            keys = legs if by == "leg" else np.array([leg.split("|")[0] for leg in legs])
            aligned = table.reindex(keys)
            columns += [aligned[c].to_numpy(dtype="float64") for c in table.columns]
        design = np.column_stack(columns) if columns else np.empty((y.size, 0))
        complete = np.isfinite(design).all(axis=1)
        if (~complete).any():
            notes.append(f"{int((~complete).sum())} leg(s) lack a covariate and were left out")
        y, in_group1, design = y[complete], in_group1[complete], design[complete]
        patients = patients[complete]
        fitted = group_effect(
            y, in_group1, design, patients=patients, cluster=cluster, confidence=confidence
        )
        notes += fitted["notes"]
        first, second = y[in_group1], y[~in_group1]
        mean1 = float(first.mean()) if first.size else math.nan
        mean2 = float(second.mean()) if second.size else math.nan
        rows.append(
            {
                "measure": data.measure,
                "metric": metric,
                "group1": prepared.group1,
                "group2": prepared.group2,
                "n1": int(first.size),
                "n2": int(second.size),
                "patients1": len(set(patients[in_group1].tolist())),
                "patients2": len(set(patients[~in_group1].tolist())),
                "legs_counted": LEGS_COUNTED[cluster],
                "covariates": "; ".join(names),
                "mean1": mean1,
                "mean2": mean2,
                "mean_diff": mean1 - mean2,
                "adjusted_diff": fitted["estimate"],
                "ci_low": fitted["ci_low"],
                "ci_high": fitted["ci_high"],
                "confidence": confidence,
                "model": cluster or "ols",
                "statistic": fitted["statistic"],
                "df": fitted["df"],
                "p_value": fitted["p_value"],
                "baseline_coefficient": fitted["coefficients"][0] if pre is not None else math.nan,
                "r_squared": fitted["r_squared"],
                "notes": join_notes(notes),
            }
        )
    return pd.DataFrame(rows, columns=list(ANCOVA_COLUMNS))
