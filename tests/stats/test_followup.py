"""Follow-up scores: mixed model, per-visit and change-from-baseline tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from alignment.errors import StatsError
from alignment.notes import PLAIN_NOTES
from alignment.stats import (
    FOLLOWUP_COLUMNS,
    between_groups_by_time,
    change_from_baseline,
    followup_analysis,
    followup_model,
)

REL = 1e-9


def _scores(seed: int = 0, *, n: int = 14, drop: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(2 * n):
        group = "PSI" if s < n else "CI"
        person = rng.normal(0, 6)
        for t, gain in ((0, 0.0), (3, 25.0), (12, 32.0)):
            extra = 4.0 if group == "PSI" and t > 0 else 0.0
            for instrument, scale in (("HSS", 1.0), ("VAS", -0.1)):
                value = 50 + person + gain + extra + rng.normal(0, 4)
                rows.append((f"s{s}", group, t, instrument, scale * value))
    table = pd.DataFrame(rows, columns=["subject", "group", "time", "instrument", "score"])
    return table.iloc[drop:].reset_index(drop=True)


def test_columns_and_sections():
    table = followup_analysis(_scores(), instrument="instrument", order=["CI", "PSI"])
    assert list(table.columns) == list(FOLLOWUP_COLUMNS)
    assert table["analysis"].unique().tolist() == ["mixed_model", "between_groups", "within_group"]
    assert set(table["instrument"]) == {"HSS", "VAS"}


def test_mixed_model_fixed_effects_equal_cell_means_when_balanced():
    data = _scores()
    hss = data[data["instrument"] == "HSS"]
    model = followup_model(hss, order=["CI", "PSI"]).set_index("term")
    assert model["converged"].all()
    ols = smf.ols("score ~ C(group, levels=['CI', 'PSI']) * C(time)", hss).fit()
    # saturated means model, balanced data: GLS and OLS estimates coincide
    assert model.loc["Intercept", "estimate"] == pytest.approx(ols.params.iloc[0], rel=1e-6)
    assert model.loc["group[T.PSI]:time[T.12]", "estimate"] == pytest.approx(
        ols.params.iloc[-1], rel=1e-6
    )
    joint = model.loc["group:time"]
    assert joint["test"] == "wald_chi2" and joint["df"] == 2
    assert joint["p_value"] == pytest.approx(stats.chi2.sf(joint["statistic"], 2), rel=REL)
    assert model.loc["subject variance", "estimate"] > 0


def test_variances_are_the_variances_not_their_ratio():
    """Balanced split-plot data: REML variances equal the ANOVA (method of moments) ones.

    Subject variance = (MS subjects within groups - MS error) / T and residual
    variance = MS error (e.g. Searle, Casella & McCulloch 1992, ch. 4), an
    independent route; statsmodels' ``cov_re`` and ``scale`` must agree too.
    """
    data = _scores()
    hss = data[data["instrument"] == "HSS"]
    model = followup_model(hss, order=["CI", "PSI"]).set_index("term")
    n_times = 3
    subject_mean = hss.groupby("subject")["score"].transform("mean")
    cell_mean = hss.groupby(["group", "time"])["score"].transform("mean")
    group_mean = hss.groupby("group")["score"].transform("mean")
    n_subjects = hss["subject"].nunique()
    residual = hss["score"] - subject_mean - cell_mean + group_mean
    ms_error = (residual**2).sum() / ((n_subjects - 2) * (n_times - 1))
    # each subject's row appears n_times: the long sum already carries the factor T
    ms_subjects = ((subject_mean - group_mean) ** 2).sum() / (n_subjects - 2)
    subject_var = model.loc["subject variance", "estimate"]
    residual_var = model.loc["residual variance", "estimate"]
    assert subject_var == pytest.approx((ms_subjects - ms_error) / n_times, rel=1e-4)
    assert residual_var == pytest.approx(ms_error, rel=1e-4)
    fit = smf.mixedlm("score ~ C(group) * C(time)", hss, groups=hss["subject"]).fit(reml=True)
    assert subject_var == pytest.approx(float(fit.cov_re.iloc[0, 0]), rel=1e-4)
    assert residual_var == pytest.approx(fit.scale, rel=1e-4)
    assert subject_var / residual_var == pytest.approx(fit.params["Group Var"], rel=1e-4)


@pytest.mark.parametrize("constant", ["everywhere", "per_cell"])
def test_constant_scores_give_nan_and_a_note_not_a_converged_fit(constant):
    data = _scores()
    hss = data[data["instrument"] == "HSS"].copy()
    if constant == "everywhere":
        hss["score"] = 70.0
    else:
        hss["score"] = hss.groupby(["group", "time"])["score"].transform("mean")
    model = followup_model(hss)
    assert model[["estimate", "se", "statistic", "p_value"]].isna().all().all()
    assert model["converged"].isna().all()
    assert model["notes"].str.contains("scores do not vary within the group x time").all()
    assert {"Intercept", "subject variance", "residual variance", "group:time"} <= set(
        model["term"]
    )
    assert len(followup_analysis(hss)) > len(model)  # the other analyses still run


def test_between_groups_at_each_time_agree_with_scipy():
    data = _scores(1)
    table = between_groups_by_time(data, instrument="instrument", order=["PSI", "CI"])
    hss = table[table["instrument"] == "HSS"].set_index("time")
    assert list(hss.index) == ["0", "3", "12"]  # numeric order, not text order
    raw = data[data["instrument"] == "HSS"]
    for time in (0, 3, 12):
        x1 = raw[(raw["time"] == time) & (raw["group"] == "PSI")]["score"]
        x2 = raw[(raw["time"] == time) & (raw["group"] == "CI")]["score"]
        expected = stats.ttest_ind(x1, x2, equal_var=False)
        assert hss.loc[str(time), "statistic"] == pytest.approx(expected.statistic, rel=REL)
        assert hss.loc[str(time), "p_value"] == pytest.approx(expected.pvalue, rel=REL)
    from statsmodels.stats.multitest import multipletests

    assert np.allclose(hss["p_holm"], multipletests(hss["p_value"], method="holm")[1])


def test_change_from_baseline_is_a_paired_test_on_complete_pairs():
    data = _scores(2, drop=2)  # s0 loses its HSS and VAS baseline
    table = change_from_baseline(data, instrument="instrument", order=["PSI", "CI"])
    row = table[
        (table["instrument"] == "HSS") & (table["group"] == "PSI") & (table["time"] == "12")
    ].iloc[0]
    raw = data[(data["instrument"] == "HSS") & (data["group"] == "PSI")]
    wide = raw.pivot(index="subject", columns="time", values="score").dropna()
    expected = stats.ttest_rel(wide[12], wide[0])
    assert row["n"] == len(wide) == 13
    assert row["estimate"] == pytest.approx((wide[12] - wide[0]).mean(), rel=REL)
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=REL)
    assert row["ci_low"] == pytest.approx(expected.confidence_interval().low, rel=REL)
    wilcoxon = change_from_baseline(data, instrument="instrument", test="wilcoxon")
    assert set(wilcoxon["test"]) == {"wilcoxon"}


def test_convergence_warnings_are_recorded_not_raised(monkeypatch):
    original = MixedLM.fit

    def noisy_fit(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        warnings.warn("forced for the test", ConvergenceWarning, stacklevel=2)
        return result

    monkeypatch.setattr(MixedLM, "fit", noisy_fit)
    data = _scores()
    model = followup_model(data[data["instrument"] == "HSS"])
    notes = model["notes"].iloc[0]
    assert PLAIN_NOTES["ConvergenceWarning"] in notes
    assert "ConvergenceWarning" not in notes  # the library's words become plain ones
    assert "lbfgs" in notes and "nm" in notes  # every optimiser was tried


def test_followup_errors():
    data = _scores()
    with pytest.raises(StatsError, match="several scores at time"):
        followup_model(data)  # two instruments, no instrument column named
    one = data[(data["instrument"] == "HSS") & (data["time"] == 0)]
    with pytest.raises(StatsError, match="two or more time points"):
        followup_model(one)
    with pytest.raises(StatsError, match="not in time_order"):
        followup_model(data[data["instrument"] == "HSS"], time_order=[0, 3])
    with pytest.raises(StatsError, match="lacks column\\(s\\) 'visit'"):
        followup_model(data, time="visit")
