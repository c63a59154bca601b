"""Compare two study groups measure by measure: the core of the paper's table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from alignment.errors import StatsError
from alignment.options import CLUSTERS, TESTS
from alignment.stats._common import check_choice, check_confidence, join_notes
from alignment.stats._models import LEGS_COUNTED, group_effect
from alignment.stats._observations import prepare
from alignment.stats._twosample import describe, two_sample
from alignment.stats.ancova import ancova
from alignment.stats.equivalence import margin_bounds, tost
from alignment.stats.noninferiority import noninferiority_mean, noninferiority_rate
from alignment.stats.outliers import OUTLIER_COLUMNS, outlier_fields
from alignment.stats.power import power_welch

__all__ = ["COMPARE_COLUMNS", "adjust_p_values", "compare_groups"]

COMPARE_COLUMNS: tuple[str, ...] = (
    "measure",
    "metric",
    "unit",
    "group1",
    "group2",
    "n1",
    "n2",
    "excluded1",
    "excluded2",
    "patients1",
    "patients2",
    "legs_counted",
    "mean1",
    "sd1",
    "median1",
    "iqr_low1",
    "iqr_high1",
    "mean2",
    "sd2",
    "median2",
    "iqr_low2",
    "iqr_high2",
    "mean_diff",
    "ci_low",
    "ci_high",
    "confidence",
    "test",
    "test_reason",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    "p_bh",
    "p_method",
    "effect_size",
    "effect_size_type",
    "effect_ci_low",
    "effect_ci_high",
    "hodges_lehmann",
    "hl_ci_low",
    "hl_ci_high",
    "normality_p1",
    "normality_p2",
    "variance_p",
    *OUTLIER_COLUMNS,
)
"""Columns of :func:`compare_groups` (before the optional equivalence ones and notes)."""

EQUIVALENCE_EXTRA: tuple[str, ...] = (
    "equivalence_margin_low",
    "equivalence_margin_high",
    "equivalence_p_value",
    "equivalent",
)
"""Columns :func:`compare_groups` adds when given an equivalence margin."""

NONINFERIORITY_EXTRA: tuple[str, ...] = (
    "noninferiority_margin",
    "noninferiority_p_value",
    "non_inferior",
)
"""Columns :func:`compare_groups` adds when given ``noninferiority_margin``."""

RATE_NONINFERIORITY_EXTRA: tuple[str, ...] = (
    "rate_noninferiority_margin",
    "rate_noninferiority_p_value",
    "rate_non_inferior",
)
"""Columns :func:`compare_groups` adds when given ``noninferiority_rate_margin``."""

POWER_EXTRA: tuple[str, ...] = ("power_difference", "power")
"""Columns :func:`compare_groups` adds when given ``power_difference``."""

ADJUSTED_EXTRA: tuple[str, ...] = (
    "covariates",
    "adjusted_diff",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_p_value",
)
"""Columns :func:`compare_groups` adds when given a baseline or covariates (ANCOVA)."""


def adjust_p_values(p_values: Any, *, method: str = "holm") -> np.ndarray:
    """Adjust P values for multiplicity, leaving NaN entries out of the family.

    Parameters
    ----------
    p_values : array_like, shape (m,)
    method : {"holm", "fdr_bh"}, default "holm"
        Holm's step-down (family-wise error) or Benjamini-Hochberg (false discovery
        rate), as implemented by :func:`statsmodels.stats.multitest.multipletests`.

    Returns
    -------
    ndarray, shape (m,)
        Adjusted P values; NaN where the input was NaN.

    Examples
    --------
    >>> adjust_p_values([0.01, float("nan"), 0.04, 0.03])
    array([0.03, nan, 0.06, 0.06])
    >>> adjust_p_values([0.01, 0.04, 0.03], method="fdr_bh")
    array([0.03, 0.04, 0.04])
    """
    check_choice("method", method, ("holm", "fdr_bh"))
    values = np.asarray(p_values, dtype="float64")
    out = np.full(values.shape, np.nan)
    keep = np.isfinite(values)
    if keep.any():
        out[keep] = multipletests(values[keep], method=method)[1]
    return out


def _clustered(
    row: dict[str, Any],
    values: tuple[np.ndarray, np.ndarray],
    patients: tuple[np.ndarray, np.ndarray],
    cluster: str,
    confidence: float,
) -> list[str]:
    """Replace the row's difference, CI and test by the clustered model's; return notes."""
    y = np.concatenate(values)
    in_group1 = np.r_[np.ones(values[0].size, bool), np.zeros(values[1].size, bool)]
    fitted = group_effect(
        y,
        in_group1,
        np.empty((y.size, 0)),
        patients=np.concatenate(patients).astype(str),
        cluster=cluster,
        confidence=confidence,
    )
    row.update(
        mean_diff=fitted["estimate"],
        ci_low=fitted["ci_low"],
        ci_high=fitted["ci_high"],
        test=cluster,
        test_reason=f"{cluster}: as asked ({LEGS_COUNTED[cluster]})",
        statistic=fitted["statistic"],
        df=fitted["df"],
        p_value=fitted["p_value"],
    )
    return [
        *fitted["notes"],
        f"mean_diff, CI and P from the {cluster} model; effect size and outlier test "
        "count legs as independent",
    ]


def compare_groups(
    results: pd.DataFrame,
    groups: Any = None,
    *,
    measures: Sequence[str] | None = None,
    metric: str = "abs_deviation",
    test: str = "welch",
    order: Sequence[str] | None = None,
    tolerance: float | None = None,
    equivalence_margin: float | Sequence[float] | None = None,
    confidence: float = 0.95,
    reader: str | None = None,
    cluster: str | None = None,
    patient: str | None = None,
    power_difference: float | None = None,
    baseline: pd.DataFrame | None = None,
    covariates: pd.DataFrame | None = None,
    covariate_columns: Sequence[str] | None = None,
    baseline_metric: str = "value",
    noninferiority_margin: float | None = None,
    noninferiority_rate_margin: float | None = None,
) -> pd.DataFrame:
    """Compare two groups on every measure: descriptives, test, CI, effect size, outliers.

    Parameters
    ----------
    results : DataFrame
        The long results table, one row per image x side x view x measure, with at
        least ``measure``, ``status``, the `metric` column and ``case`` (or
        ``image``); ``side``, ``unit``, ``abs_deviation``, ``tolerance`` and
        ``reader`` are used when present.
    groups : DataFrame or mapping, optional
        Group of each case: a table with ``case,group`` (or ``image,group``), or a
        mapping case -> group. ``None`` if `results` already has a ``group`` column.
    measures : sequence of str, optional
        Measures to compare, in this order. Default: every measure in `results`
        whose `metric` is defined somewhere (a deviation needs a target), except the
        categorical ``cpak``, in order of first appearance.
    metric : {"abs_deviation", "deviation", "value"}, default "abs_deviation"
        What is compared: the absolute deviation from target (the source study's
        "deviation"), the signed deviation, or the measured value.
    test : {"welch", "student", "mannwhitney", "auto"}, default "welch"
        ``auto`` takes Mann-Whitney if a Shapiro-Wilk check rejects normality in
        either group (P < 0.05), else Welch if a Brown-Forsythe check rejects equal
        variances, else Student; ``test_reason`` says which and why.
    order : sequence of two str, optional
        ``[group1, group2]``; default the two groups found, sorted. Differences are
        group1 - group2.
    tolerance : float, optional
        Outlier threshold (degrees), overriding each row's preset tolerance (default
        3 where the row has none).
    equivalence_margin : float or (float, float), optional
        Also run a TOST (Welch, alpha 0.05) against this margin of mean1 - mean2.
    confidence : float, default 0.95
        Level of every confidence interval.
    reader : str, optional
        Use only this reader's rows; default average the readers of each leg.
    cluster : {None, "mixed", "gee"}, optional
        The two legs of one patient are not independent. ``mixed``: a linear mixed
        model with a random intercept per patient (REML); ``gee``: GEE with
        exchangeable correlation and robust SE. Either replaces the t-test:
        ``mean_diff``, its CI, ``statistic`` (Wald z) and ``p_value`` come from the
        model, ``test`` names it. None (default) counts every leg as independent.
    patient : str, optional
        Column of `results` naming the patient of each leg (default ``case``: a
        case is one patient whose legs are its sides).
    power_difference : float, optional
        Add the power the study achieved to detect this difference of means (in
        the metric's unit), Welch, with the observed SDs and sizes and alpha ``1 -
        confidence``.
    baseline, covariates, covariate_columns, baseline_metric
        Add the ANCOVA of :func:`ancova` (adjusted for the pre-op value and/or
        covariates) beside the unadjusted comparison.
    noninferiority_margin : float, optional
        Also test that group1's mean is not worse (higher) than group2's by this
        margin (:func:`noninferiority_mean`, one-sided alpha ``(1 - confidence) / 2``).
    noninferiority_rate_margin : float, optional
        Also test that group1's outlier rate is not worse by this margin, a fraction
        (:func:`noninferiority_rate`).

    Returns
    -------
    DataFrame
        One row per measure with columns:

        - ``measure``, ``metric``, ``unit``, ``group1``, ``group2``;
        - ``n1``, ``n2``: legs (case x side) analysed; ``excluded1``,
          ``excluded2``: rows left out (status not ``ok`` or metric missing);
          ``patients1``, ``patients2``: distinct patients among those legs;
          ``legs_counted``: how legs entered the test (independent, or clustered
          by patient and how);
        - ``mean1``, ``sd1`` (ddof=1), ``median1``, ``iqr_low1``, ``iqr_high1``
          (25th and 75th percentiles), and the same with suffix 2;
        - ``mean_diff`` (mean1 - mean2), ``ci_low``, ``ci_high`` (its CI: pooled
          for ``student``, Welch otherwise), ``confidence``;
        - ``test`` (the one run), ``test_reason``, ``statistic`` (t, or
          Mann-Whitney U of group1), ``df`` (NaN for Mann-Whitney), ``p_value``
          (two-sided), ``p_holm``, ``p_bh`` (Holm and Benjamini-Hochberg across
          the measures of this table), ``p_method`` (``t distribution``, or for
          Mann-Whitney ``exact`` or ``normal approximation, continuity
          correction``, chosen as R's ``wilcox.test`` does);
        - ``effect_size``, ``effect_size_type`` (``hedges_g`` or
          ``rank_biserial``, positive when group1 is larger), ``effect_ci_low``,
          ``effect_ci_high`` (NaN for rank-biserial);
        - ``hodges_lehmann``, ``hl_ci_low``, ``hl_ci_high``: for Mann-Whitney,
          the Hodges-Lehmann shift group1 - group2 and its CI, which agree with
          the test (as R's ``wilcox.test(conf.int = TRUE)``); NaN for t tests;
        - ``normality_p1``, ``normality_p2`` (Shapiro-Wilk), ``variance_p``
          (Brown-Forsythe), computed for every test;
        - the outlier columns of :func:`outlier_rates`: ``tolerance``,
          ``outlier_n1``, ``outlier_n2``, ``outliers1``, ``outliers2``,
          ``outlier_pct1``, ``outlier_pct2``, ``outlier_p_value``, ``risk_ratio``,
          ``risk_ratio_ci_low``, ``risk_ratio_ci_high``;
        - with `equivalence_margin`: ``equivalence_margin_low``,
          ``equivalence_margin_high``, ``equivalence_p_value``, ``equivalent``;
        - with `noninferiority_margin`: ``noninferiority_margin``,
          ``noninferiority_p_value``, ``non_inferior``; with
          `noninferiority_rate_margin`: ``rate_noninferiority_margin``,
          ``rate_noninferiority_p_value``, ``rate_non_inferior``;
        - with `power_difference`: ``power_difference``, ``power``;
        - with `baseline` or `covariates`: ``covariates``, ``adjusted_diff``,
          ``adjusted_ci_low``, ``adjusted_ci_high``, ``adjusted_p_value`` (the
          ``adjusted_diff``, ``ci_low``, ``ci_high`` and ``p_value`` of
          :func:`ancova`, with the same `cluster`);
        - ``notes``: every caveat and every warning scipy or statsmodels raised.

    Raises
    ------
    StatsError
        A required column is missing, an option value is unknown, a named measure
        or group is absent, or there are not exactly two groups to compare.

    Notes
    -----
    Each leg is one observation; a leg with several usable rows (readers, images)
    contributes their mean. t-tests are :func:`scipy.stats.ttest_ind`, Mann-Whitney
    is :func:`scipy.stats.mannwhitneyu` (two-sided; exact when there are no ties and
    both groups have fewer than 50 values, else the normal approximation with tie
    and continuity correction, as R's ``wilcox.test``). Hedges' g uses the pooled
    SD and the exact correction factor; its CI inverts the noncentral t
    distribution. The rank-biserial correlation is
    ``2 U1 / (n1 n2) - 1``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> results = pd.DataFrame({
    ...     "case": [f"c{i}" for i in range(20)], "side": "left", "measure": "hka",
    ...     "status": "ok", "tolerance": 3.0,
    ...     "abs_deviation": np.r_[rng.normal(1.0, 0.3, 10), rng.normal(2.2, 0.7, 10)],
    ... })
    >>> groups = pd.DataFrame({"case": results["case"], "group": ["PSI"] * 10 + ["CI"] * 10})
    >>> table = compare_groups(results, groups, order=["PSI", "CI"])
    >>> table[["measure", "group1", "group2", "n1", "n2", "test"]]
      measure group1 group2  n1  n2   test
    0     hka    PSI     CI  10  10  welch
    >>> bool(table["p_value"].iloc[0] < 0.01)
    True
    """
    check_choice("test", test, TESTS)
    confidence = check_confidence(confidence)
    if equivalence_margin is not None:
        margin_bounds(equivalence_margin)
    if cluster is not None:
        check_choice("cluster", cluster, CLUSTERS)
    if power_difference is not None and not (
        np.isfinite(power_difference) and power_difference != 0
    ):
        raise StatsError(
            f"power_difference must be a finite non-zero number, got {power_difference!r}"
        )
    adjusted = None
    if baseline is not None or covariates is not None:
        adjusted = ancova(
            results,
            groups,
            baseline=baseline,
            covariates=covariates,
            covariate_columns=covariate_columns,
            measures=measures,
            metric=metric,
            baseline_metric=baseline_metric,
            order=order,
            reader=reader,
            confidence=confidence,
            cluster=cluster,
            patient=patient,
        ).set_index("measure")
    prepared = prepare(
        results,
        groups,
        metric=metric,
        measures=measures,
        order=order,
        tolerance=tolerance,
        reader=reader,
        what="compare_groups",
        patient=patient,
    )
    labels = (prepared.group1, prepared.group2)
    rows = []
    for data in prepared.measures:
        x1, x2 = data.values
        row: dict[str, Any] = {
            "measure": data.measure,
            "metric": metric,
            "unit": data.unit,
            "group1": prepared.group1,
            "group2": prepared.group2,
        }
        first, second = describe(x1), describe(x2)
        row["n1"], row["n2"] = first["n"], second["n"]
        row["excluded1"], row["excluded2"] = data.excluded
        row["patients1"], row["patients2"] = (len(set(p.tolist())) for p in data.patients)
        row["legs_counted"] = LEGS_COUNTED[cluster]
        for suffix, described in (("1", first), ("2", second)):
            for key in ("mean", "sd", "median", "iqr_low", "iqr_high"):
                row[f"{key}{suffix}"] = described[key]
        compared = two_sample(x1, x2, test=test, confidence=confidence, labels=labels)
        notes = data.notes + compared.pop("notes")
        row |= compared
        row["confidence"] = confidence
        if cluster is not None:
            notes += _clustered(row, data.values, data.patients, cluster, confidence)
        if power_difference is not None:
            row["power_difference"] = float(power_difference)
            row["power"] = (
                power_welch(
                    float(power_difference), row["sd1"], row["sd2"], row["n1"], row["n2"],
                    alpha=1.0 - confidence,
                )
                if min(row["n1"], row["n2"]) > 1 and min(row["sd1"], row["sd2"]) > 0
                else np.nan
            )  # fmt: skip
        if adjusted is not None:
            fitted = adjusted.loc[data.measure]
            row["covariates"] = fitted["covariates"]
            row["adjusted_diff"] = fitted["adjusted_diff"]
            row["adjusted_ci_low"] = fitted["ci_low"]
            row["adjusted_ci_high"] = fitted["ci_high"]
            row["adjusted_p_value"] = fitted["p_value"]
            notes += [f"adjusted: {n}" for n in str(fitted["notes"]).split("; ") if n]
        outliers, outlier_notes = outlier_fields(data, confidence)
        row |= outliers
        notes += outlier_notes
        one_sided = (1.0 - confidence) / 2.0
        if noninferiority_margin is not None:
            tested = noninferiority_mean(x1, x2, margin=noninferiority_margin, alpha=one_sided)
            row["noninferiority_margin"] = tested["margin"]
            row["noninferiority_p_value"] = tested["p_value"]
            row["non_inferior"] = tested["non_inferior"]
            notes += [f"non-inferiority: {n}" for n in tested["notes"]]
        if noninferiority_rate_margin is not None:
            row["rate_noninferiority_margin"] = float(noninferiority_rate_margin)
            row["rate_noninferiority_p_value"], row["rate_non_inferior"] = np.nan, False
            if row["outlier_n1"] and row["outlier_n2"]:
                tested = noninferiority_rate(
                    row["outliers1"], row["outlier_n1"], row["outliers2"], row["outlier_n2"],
                    margin=noninferiority_rate_margin, alpha=one_sided,
                )  # fmt: skip
                row["rate_noninferiority_p_value"] = tested["p_value"]
                row["rate_non_inferior"] = tested["non_inferior"]
        if equivalence_margin is not None:
            tested = tost(x1, x2, margin=equivalence_margin, test="welch")
            row["equivalence_margin_low"] = tested["margin_low"]
            row["equivalence_margin_high"] = tested["margin_high"]
            row["equivalence_p_value"] = tested["p_value"]
            row["equivalent"] = tested["equivalent"]
            notes += [f"equivalence: {n}" for n in tested["notes"]]
        row["notes"] = join_notes(notes)
        rows.append(row)
    columns = list(COMPARE_COLUMNS)
    if equivalence_margin is not None:
        columns += EQUIVALENCE_EXTRA
    if noninferiority_margin is not None:
        columns += NONINFERIORITY_EXTRA
    if noninferiority_rate_margin is not None:
        columns += RATE_NONINFERIORITY_EXTRA
    if power_difference is not None:
        columns += POWER_EXTRA
    if adjusted is not None:
        columns += ADJUSTED_EXTRA
    table = pd.DataFrame(rows, columns=[*columns, "notes"])
    table["p_holm"] = adjust_p_values(table["p_value"], method="holm")
    table["p_bh"] = adjust_p_values(table["p_value"], method="fdr_bh")
    for column in ("n1", "n2", "excluded1", "excluded2", "patients1", "patients2"):
        table[column] = table[column].astype("int64")
    for column in ("outlier_n1", "outlier_n2", "outliers1", "outliers2"):
        table[column] = table[column].astype("int64")
    return table
