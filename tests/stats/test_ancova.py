"""ANCOVA and clustered comparisons against direct statsmodels formula fits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.genmod.cov_struct import Exchangeable

from alignment.errors import StatsError
from alignment.stats import ancova, compare_groups
from tests.stats.conftest import make_results


@pytest.fixture
def study():
    """Bilateral post-op results, a pre-op table of the same legs, and an age per case."""
    results, groups = make_results(seed=9, bilateral=True, missing=0.0)
    rng = np.random.default_rng(9)
    pre = results.copy()
    # the pre-op angle drives part of the post-op deviation
    pre["value"] = pre["value"] + rng.normal(0.0, 4.0, len(pre))
    results["abs_deviation"] = results["abs_deviation"] + 0.1 * (pre["value"] - pre["target"])
    # the two legs of one patient share a patient effect
    patient_effect = dict(zip(groups["case"], rng.normal(0.0, 1.0, len(groups)), strict=True))
    results["abs_deviation"] = results["abs_deviation"] + results["case"].map(patient_effect)
    ages = pd.DataFrame({"case": groups["case"], "age": rng.normal(68, 8, len(groups))})
    return results, groups, pre, ages


def _long(results, groups, pre, ages, measure):
    post = results[results["measure"] == measure].merge(groups, on="case")
    post = post[["case", "side", "group", "abs_deviation"]]
    before = pre[pre["measure"] == measure][["case", "side", "value"]]
    data = post.merge(before, on=["case", "side"]).merge(ages, on="case")
    return data.rename(columns={"abs_deviation": "y", "value": "pre"}).dropna()


def test_adjusted_difference_equals_a_statsmodels_formula_fit(study):
    results, groups, pre, ages = study
    table = ancova(
        results, groups, baseline=pre, covariates=ages, order=["PSI", "CI"], measures=["hka"]
    ).iloc[0]
    data = _long(results, groups, pre, ages, "hka")
    fit = smf.ols("y ~ C(group, Treatment('CI')) + pre + age", data).fit()
    term = "C(group, Treatment('CI'))[T.PSI]"
    low, high = fit.conf_int().loc[term]
    assert table["adjusted_diff"] == pytest.approx(fit.params[term], rel=1e-9)
    assert (table["ci_low"], table["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert table["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-8)
    assert table["df"] == fit.df_resid and table["r_squared"] == pytest.approx(fit.rsquared)
    assert table["baseline_coefficient"] == pytest.approx(fit.params["pre"], rel=1e-9)
    assert table["covariates"] == "baseline; age" and table["model"] == "ols"
    assert table["n1"] + table["n2"] == len(data)
    psi, ci = (data.loc[data["group"] == g, "y"].mean() for g in ("PSI", "CI"))
    assert table["mean_diff"] == pytest.approx(psi - ci, rel=1e-12)


@pytest.mark.parametrize("cluster", ["gee", "mixed"])
def test_clustered_ancova_equals_statsmodels_formula_fits(study, cluster):
    results, groups, pre, ages = study
    table = ancova(
        results, groups, baseline=pre, order=["PSI", "CI"], measures=["fta"], cluster=cluster
    ).iloc[0]
    data = _long(results, groups, pre, ages, "fta")
    formula = "y ~ C(group, Treatment('CI')) + pre"
    if cluster == "gee":
        fit = smf.gee(formula, "case", data, cov_struct=Exchangeable()).fit()
    else:
        fit = smf.mixedlm(formula, data, groups=data["case"]).fit(reml=True)
    term = "C(group, Treatment('CI'))[T.PSI]"
    low, high = fit.conf_int().loc[term]
    assert table["adjusted_diff"] == pytest.approx(fit.params[term], rel=1e-5)
    assert (table["ci_low"], table["ci_high"]) == pytest.approx((low, high), rel=1e-4)
    assert table["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-4)
    assert math.isnan(table["df"])
    assert "clustered by patient" in table["legs_counted"]
    assert table["patients1"] * 2 == table["n1"]  # bilateral: two legs per patient


@pytest.mark.parametrize("cluster", ["gee", "mixed"])
def test_compare_groups_clusters_legs_by_patient(study, cluster):
    results, groups, _, _ = study
    row = compare_groups(
        results, groups, order=["PSI", "CI"], measures=["hka"], cluster=cluster
    ).iloc[0]
    data = results[results["measure"] == "hka"].merge(groups, on="case")
    formula = "abs_deviation ~ C(group, Treatment('CI'))"
    if cluster == "gee":
        fit = smf.gee(formula, "case", data, cov_struct=Exchangeable()).fit()
    else:
        fit = smf.mixedlm(formula, data, groups=data["case"]).fit(reml=True)
    term = "C(group, Treatment('CI'))[T.PSI]"
    assert row["mean_diff"] == pytest.approx(fit.params[term], rel=1e-5)
    assert row["p_value"] == pytest.approx(fit.pvalues[term], rel=1e-4)
    assert row["test"] == cluster and "clustered by patient" in row["legs_counted"]
    assert (row["n1"], row["patients1"]) == (48, 24)


def test_unclustered_comparison_says_legs_were_independent(study):
    results, groups, _, _ = study
    row = compare_groups(results, groups, measures=["hka"]).iloc[0]
    assert row["legs_counted"] == "each leg an independent observation"
    assert row["n1"] == 2 * row["patients1"]


def test_a_patient_column_maps_cases_to_patients():
    # staged bilateral surgery: two cases (one per leg) of the same patient
    results = pd.DataFrame(
        {
            "case": [f"c{i}" for i in range(12)],
            "patient": [f"p{i // 2}" for i in range(12)],
            "measure": "hka",
            "status": "ok",
            "abs_deviation": [1.0, 1.3, 0.8, 1.1, 1.5, 1.2, 2.0, 2.4, 1.8, 2.9, 2.2, 2.5],
            "group": ["A"] * 6 + ["B"] * 6,
        }
    )
    row = compare_groups(results, cluster="gee", patient="patient").iloc[0]
    assert (row["n1"], row["patients1"]) == (6, 3)
    with pytest.raises(StatsError, match="patient column 'person' not in the results"):
        compare_groups(results, cluster="gee", patient="person")


def test_compare_groups_carries_the_adjusted_analysis_and_power(study):
    results, groups, pre, ages = study
    table = compare_groups(
        results, groups, order=["PSI", "CI"], baseline=pre, power_difference=1.0
    ).set_index("measure")
    alone = ancova(results, groups, baseline=pre, order=["PSI", "CI"]).set_index("measure")
    assert table["adjusted_diff"].equals(alone["adjusted_diff"])
    assert table["adjusted_p_value"].equals(alone["p_value"])
    assert table["power"].between(0, 1).all() and (table["power_difference"] == 1.0).all()


def test_ancova_needs_something_to_adjust_for(study):
    results, groups, _, _ = study
    with pytest.raises(StatsError, match="needs a baseline"):
        ancova(results, groups)


def test_legs_without_a_baseline_are_left_out_and_counted(study):
    results, groups, pre, _ = study
    partial = pre[~((pre["case"] == "001") & (pre["measure"] == "hka"))]
    row = ancova(results, groups, baseline=partial, measures=["hka"]).iloc[0]
    assert "2 leg(s) lack a covariate" in row["notes"]


@pytest.mark.parametrize("cluster", ["mixed", "gee", None])
@pytest.mark.parametrize("values", [[1.0] * 6, [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]])
def test_no_residual_variance_gives_nan_and_a_note_not_a_warning(cluster, values):
    data = pd.DataFrame(
        {
            "case": list("abcdef"),
            "measure": "hka",
            "status": "ok",
            "abs_deviation": values,
            "group": ["A"] * 3 + ["B"] * 3,
        }
    )
    pre = data.assign(value=[170.0, 172, 174, 171, 173, 175])
    row = ancova(data, baseline=pre, cluster=cluster).iloc[0]
    assert math.isnan(row["p_value"]) and "no residual variance" in row["notes"]
    assert row["adjusted_diff"] == pytest.approx(values[0] - values[-1], abs=1e-9)
    if cluster is not None:
        clustered = compare_groups(data, cluster=cluster).iloc[0]
        assert math.isnan(clustered["p_value"]) and "no residual variance" in clustered["notes"]


def test_mixed_model_with_one_leg_per_patient_falls_back_to_ols_and_says_so():
    results, groups = make_results(seed=3)  # one leg per case
    row = compare_groups(results, groups, cluster="mixed", measures=["hka"]).iloc[0]
    assert "every patient has one leg" in row["notes"]
    plain = compare_groups(results, groups, test="student", measures=["hka"]).iloc[0]
    assert row["p_value"] == pytest.approx(plain["p_value"], rel=1e-9)


def test_per_leg_covariates_and_a_chosen_column(study):
    results, groups, _, ages = study
    legs = results[results["measure"] == "hka"][["case", "side"]].drop_duplicates()
    rng = np.random.default_rng(4)
    per_leg = legs.assign(bmi=rng.normal(29, 4, len(legs)), ignored=rng.normal(size=len(legs)))
    row = ancova(
        results, groups, covariates=per_leg, covariate_columns=["bmi"], measures=["hka"],
        order=["PSI", "CI"],
    ).iloc[0]  # fmt: skip
    data = (
        results[results["measure"] == "hka"]
        .merge(groups, on="case")
        .merge(per_leg, on=["case", "side"])
    )
    fit = smf.ols("abs_deviation ~ C(group, Treatment('CI')) + bmi", data).fit()
    assert row["adjusted_diff"] == pytest.approx(
        fit.params["C(group, Treatment('CI'))[T.PSI]"], rel=1e-9
    )
    assert row["covariates"] == "bmi" and math.isnan(row["baseline_coefficient"])
    with pytest.raises(StatsError, match="several rows for"):
        ancova(results, groups, covariates=pd.concat([ages, ages]))
