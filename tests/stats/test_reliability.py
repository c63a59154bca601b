"""ICC against Shrout & Fleiss (1979) and numpy; Bland-Altman against its formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from alignment.errors import StatsError
from alignment.stats import (
    ICC_COLUMNS,
    RELIABILITY_COLUMNS,
    bland_altman,
    icc,
    icc_replicated,
    reliability,
)
from alignment.stats.reliability import mean_squares
from tests.stats.conftest import DATA, make_results

REL = 1e-9
Z = 1.959963984540054

# Shrout & Fleiss (1979), Table 4: the six ICCs of their Table 2 data, to two decimals.
PUBLISHED_ICC = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}
# 95% confidence limits of the same data as printed by R's psych::ICC (Revelle), which
# implements the Shrout & Fleiss / McGraw & Wong intervals independently of this code.
PUBLISHED_CI = {
    "ICC(1,1)": (-0.13, 0.72),
    "ICC(2,1)": (0.019, 0.76),
    "ICC(3,1)": (0.34, 0.95),
    "ICC(1,k)": (-0.88, 0.91),
    "ICC(2,k)": (0.071, 0.93),
    "ICC(3,k)": (0.68, 0.99),
}


def test_shrout_fleiss_published_values(shrout_fleiss):
    table = icc(shrout_fleiss)
    assert list(table.columns) == list(ICC_COLUMNS)
    table = table.set_index("shrout_fleiss")
    for form, value in PUBLISHED_ICC.items():
        assert round(table.loc[form, "estimate"], 2) == value
        low, high = PUBLISHED_CI[form]
        assert table.loc[form, "ci_low"] == pytest.approx(low, abs=0.006)
        assert table.loc[form, "ci_high"] == pytest.approx(high, abs=0.006)
    # Their mean squares: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02 -> F = BMS/EMS, BMS/WMS
    assert table.loc["ICC(3,1)", "statistic"] == pytest.approx(11.24 / 1.02, rel=2e-3)
    assert table.loc["ICC(1,1)", "statistic"] == pytest.approx(11.24 / 6.26, rel=2e-3)
    assert table.loc["ICC(3,1)", "sem"] == pytest.approx(math.sqrt(1.02), rel=2e-3)
    assert (table["n_targets"] == 6).all() and (table["n_raters"] == 4).all()


def _numpy_icc(wide: np.ndarray) -> dict[str, float]:
    """Textbook mean squares straight from the matrix, as an independent computation."""
    n, k = wide.shape
    grand = wide.mean()
    ss_rows = k * ((wide.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((wide.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((wide - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    return {
        "ICC1": (msr - msw) / (msr + (k - 1) * msw),
        "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        "ICC3": (msr - mse) / (msr + (k - 1) * mse),
        "ICC1k": (msr - msw) / msr,
        "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
        "ICC3k": (msr - mse) / msr,
        "F3": msr / mse,
        "p3": stats.f.sf(msr / mse, n - 1, (n - 1) * (k - 1)),
        "sem": math.sqrt(mse),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_icc_agrees_with_an_independent_computation(seed):
    rng = np.random.default_rng(seed)
    wide = rng.normal(0, 3, (25, 1)) + rng.normal(0, 1, (1, 3)) + rng.normal(0, 1, (25, 3))
    data = pd.DataFrame(
        [(t, f"R{j}", wide[t, j]) for t in range(25) for j in range(3)],
        columns=["image", "reader", "hka"],
    )
    table = icc(data, target="image", rater="reader", rating="hka").set_index("type")
    expected = _numpy_icc(wide)
    for kind in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"):
        assert table.loc[kind, "estimate"] == pytest.approx(expected[kind], rel=REL)
    assert table.loc["ICC3", "statistic"] == pytest.approx(expected["F3"], rel=REL)
    assert table.loc["ICC2", "p_value"] == pytest.approx(expected["p3"], rel=1e-7)
    assert table.loc["ICC3", "mdc95"] == pytest.approx(
        1.959963984540054 * math.sqrt(2) * expected["sem"], rel=REL
    )
    for kind in table.index:
        assert table.loc[kind, "ci_low"] < table.loc[kind, "estimate"] < table.loc[kind, "ci_high"]


def test_incomplete_targets_are_left_out_and_duplicates_refused(shrout_fleiss):
    extra = pd.concat(
        [shrout_fleiss, pd.DataFrame({"target": [7], "rater": ["judge1"], "rating": [5]})]
    )
    table = icc(extra)
    assert (table["n_targets"] == 6).all()
    assert "1 target(s) not rated by every rater were left out" in table["notes"].iloc[0]
    with pytest.raises(StatsError, match="rated target '1' more than once"):
        icc(pd.concat([shrout_fleiss, shrout_fleiss.head(1)]))
    with pytest.raises(StatsError, match="needs two or more raters"):
        icc(shrout_fleiss[shrout_fleiss["rater"] == "judge1"])


def test_bland_altman_against_its_formulas():
    rng = np.random.default_rng(5)
    truth = rng.normal(180, 3, 30)
    a, b = truth + rng.normal(0.3, 0.5, 30), truth + rng.normal(0, 0.5, 30)
    data = pd.DataFrame(
        {
            "target": np.r_[np.arange(30), np.arange(30)],
            "rater": ["A"] * 30 + ["B"] * 30,
            "rating": np.r_[a, b],
        }
    )
    table = bland_altman(data).set_index("type")
    diff = a - b
    n, mean, sd = 30, diff.mean(), diff.std(ddof=1)
    z = stats.norm.ppf(0.975)
    assert table.loc["bias", "estimate"] == pytest.approx(mean, rel=REL)
    assert table.loc["sd_diff", "estimate"] == pytest.approx(sd, rel=REL)
    assert table.loc["loa_low", "estimate"] == pytest.approx(mean - z * sd, rel=REL)
    t = stats.t.ppf(0.975, n - 1)
    assert table.loc["bias", "ci_low"] == pytest.approx(mean - t * sd / math.sqrt(n), rel=REL)
    assert table.loc["bias", "p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=REL)
    se = sd * math.sqrt(1 / n + z**2 / (2 * (n - 1)))
    assert table.loc["loa_high", "ci_high"] == pytest.approx(mean + z * sd + t * se, rel=REL)


def test_reference_rater_pairs():
    data = pd.DataFrame(
        {
            "target": list(range(5)) * 3,
            "rater": ["A"] * 5 + ["B"] * 5 + ["auto"] * 5,
            "rating": np.arange(15.0) % 5 + np.repeat([0.0, 0.2, 0.1], 5),
        }
    )
    pairs = bland_altman(data, reference="auto")[["rater1", "rater2"]].drop_duplicates()
    assert pairs.values.tolist() == [["A", "auto"], ["B", "auto"]]
    every = bland_altman(data)[["rater1", "rater2"]].drop_duplicates()
    assert len(every) == 3
    with pytest.raises(StatsError, match="reference rater 'nobody' not found"):
        bland_altman(data, reference="nobody")


def test_reliability_of_a_results_table_inter_and_intra():
    results, _ = make_results(readers=("R1", "R2", "auto"), reader_noise=0.4, missing=0.02)
    table = reliability(results, reference="auto")
    assert list(table.columns) == list(RELIABILITY_COLUMNS)
    assert set(table["scope"]) == {"inter"}
    # the categorical CPAK type gets Cohen's kappa only, never an ICC of its codes
    cpak = table[table["measure"] == "cpak"]
    assert set(cpak["analysis"]) == {"kappa"} and set(cpak["type"]) == {"kappa"}
    assert len(cpak) == 2
    hka = table[(table["measure"] == "hka") & (table["analysis"] == "icc")]
    assert len(hka) == 6 and hka["estimate"].between(0.5, 1.0).all()
    ba = table[(table["measure"] == "hka") & (table["analysis"] == "bland_altman")]
    assert set(zip(ba["rater1"], ba["rater2"], strict=True)) == {("R1", "auto"), ("R2", "auto")}
    assert set(ba["type"]) == {"bias", "sd_diff", "loa_low", "loa_high", "proportional_bias"}
    ccc = table[(table["measure"] == "hka") & (table["analysis"] == "concordance")]
    assert len(ccc) == 2 and ccc["estimate"].between(0.5, 1.0).all()
    assert (table["scope"] == "inter").all() and table["measure"].notna().all()
    weighted = reliability(results, reference="auto", kappa_weights="quadratic")
    assert set(weighted.loc[weighted["analysis"] == "kappa", "type"]) == {"kappa_quadratic"}

    first, _ = make_results(seed=3, readers=("R1",), reader_noise=0.4, missing=0.0)
    second = first.copy()
    second["value"] = second["value"] + np.random.default_rng(9).normal(0, 0.3, len(second))
    sessions = pd.concat([first.assign(session="1"), second.assign(session="2")])
    intra = reliability(sessions, session="session", measures=["hka", "lfc"])
    assert set(intra["scope"]) == {"intra:R1"}
    assert set(intra["measure"]) == {"hka", "lfc"}


def test_missing_ratings_icc_on_complete_targets_pairs_on_their_own():
    rng = np.random.default_rng(2)
    wide = rng.normal(0, 3, (12, 1)) + rng.normal(0, 0.5, (12, 3))
    data = pd.DataFrame(
        [(t, r, wide[t, j]) for t in range(12) for j, r in enumerate("ABC")],
        columns=["target", "rater", "rating"],
    )
    data = data[~((data["target"] < 3) & (data["rater"] == "C"))]  # C misses 3 targets
    assert (icc(data)["n_targets"] == 9).all()
    ab = bland_altman(data[data["rater"] != "C"]).set_index("type")
    full = bland_altman(data)
    ab_in_full = full[(full["rater1"] == "A") & (full["rater2"] == "B")].set_index("type")
    assert ab_in_full.loc["bias", "estimate"] == ab.loc["bias", "estimate"]
    assert ab_in_full.loc["bias", "n_targets"] == 12
    ac = full[(full["rater1"] == "A") & (full["rater2"] == "C")]
    assert (ac["n_targets"] == 9).all()
    assert "3 target(s) not rated by both raters were left out" in ac["notes"].iloc[0]


def test_reliability_needs_two_raters():
    results, _ = make_results()
    with pytest.raises(StatsError, match="no measure has two or more raters"):
        reliability(results)


def test_agreement_sem_and_icc2_match_statsmodels_variance_components():
    """REML on balanced crossed data equals the ANOVA estimators (when positive).

    statsmodels' MixedLM fits targets and raters as crossed variance components: an
    independent route to the rater variance behind the agreement SEM.
    """
    rng = np.random.default_rng(4)
    n, k = 30, 3
    wide = rng.normal(0, 3, (n, 1)) + rng.normal(0, 1.5, (1, k)) + rng.normal(0, 1, (n, k))
    data = pd.DataFrame(
        [(t, f"R{j}", wide[t, j]) for t in range(n) for j in range(k)],
        columns=["target", "rater", "rating"],
    ).assign(one=1)
    model = sm.MixedLM.from_formula(
        "rating ~ 1",
        groups="one",
        re_formula="0",
        vc_formula={"target": "0 + C(target)", "rater": "0 + C(rater)"},
        data=data,
    )
    fit = model.fit(reml=True)
    components = dict(zip(model.exog_vc.names, fit.vcomp, strict=True))
    table = icc(data).set_index("type")
    agreement = math.sqrt(components["rater"] + fit.scale)
    for kind in ("ICC1", "ICC2", "ICC2k", "ICC1k"):
        assert table.loc[kind, "sem"] == pytest.approx(agreement, rel=2e-3)
    for kind in ("ICC2", "ICC2k"):
        assert table.loc[kind, "mdc95"] == pytest.approx(Z * math.sqrt(2) * agreement, rel=1e-4)
    for kind in ("ICC3", "ICC3k"):
        assert table.loc[kind, "sem"] == pytest.approx(math.sqrt(fit.scale), rel=1e-4)
    total = components["target"] + components["rater"] + fit.scale
    assert table.loc["ICC2", "estimate"] == pytest.approx(components["target"] / total, rel=1e-4)


def test_mean_squares_closed_form_equal_the_statsmodels_anova(shrout_fleiss):
    anova = anova_lm(smf.ols("rating ~ C(target) + C(rater)", shrout_fleiss).fit())
    wide = pd.read_csv(DATA / "shrout_fleiss_1979.csv").set_index("target").to_numpy(float)
    ms = mean_squares(wide)
    assert ms.rows == pytest.approx(anova.loc["C(target)", "mean_sq"], rel=1e-12)
    assert ms.cols == pytest.approx(anova.loc["C(rater)", "mean_sq"], rel=1e-12)
    assert ms.error == pytest.approx(anova.loc["Residual", "mean_sq"], rel=1e-12)
    assert ms.degenerate == ""


@pytest.mark.parametrize(
    ("ratings", "why"),
    [
        ([[3.1, 3.1, 3.1], [3.1, 3.1, 3.1], [3.1, 3.1, 3.1]], "every rating is equal"),
        ([[0.1, 0.2], [0.2, 0.1], [0.15, 0.15]], "no between-target variance"),
    ],
)
def test_no_made_up_icc_without_variance(ratings, why):
    data = pd.DataFrame(
        [(t, j, r) for t, row in enumerate(ratings) for j, r in enumerate(row)],
        columns=["target", "rater", "rating"],
    )
    table = icc(data)  # filterwarnings = error: no RuntimeWarning may escape
    for column in ("estimate", "ci_low", "ci_high", "statistic", "p_value", "sem", "mdc95"):
        assert table[column].isna().all(), column
    assert table["notes"].str.contains(why).all()
    rows = reliability(
        pd.DataFrame(
            {
                "image": data["target"],
                "reader": data["rater"],
                "measure": "hka",
                "value": data["rating"],
                "status": "ok",
            }
        )
    )
    assert rows.loc[rows["analysis"] == "icc", "estimate"].isna().all()


def test_perfect_agreement_is_one_without_an_invented_test():
    data = pd.DataFrame(
        {"target": [1, 2, 3, 1, 2, 3], "rater": ["A"] * 3 + ["B"] * 3, "rating": [1.0, 2, 4] * 2}
    )
    table = icc(data).set_index("type")
    assert (table["estimate"] == 1.0).all()
    assert table[["ci_low", "ci_high", "statistic", "p_value"]].isna().all().all()
    assert (table["sem"] == 0.0).all()
    assert "no variation within targets" in table.loc["ICC1", "notes"]


def test_a_million_ratings_run_in_closed_form():
    """Scale: 250,000 targets x 4 raters (the timing itself is scripts/bench_stats.py)."""
    rng = np.random.default_rng(0)
    n, k = 250_000, 4
    wide = rng.normal(180, 3, (n, 1)) + rng.normal(0, 1, (n, k))
    data = pd.DataFrame(
        {"target": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n)}
    ).assign(rating=wide.ravel())
    table = icc(data).set_index("type")
    assert table.loc["ICC3", "estimate"] == pytest.approx(_numpy_icc(wide)["ICC3"], rel=1e-9)
    assert table.loc["ICC3", "n_targets"] == n


def _replicated_data(seed: int, n: int = 15, k: int = 3, m: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.normal(180, 3, n)
    offset = rng.normal(0, 1.0, k)
    interaction = rng.normal(0, 0.7, (n, k))
    rows = [
        (f"t{t}", f"R{r}", s, truth[t] + offset[r] + interaction[t, r] + rng.normal(0, 0.5))
        for t in range(n)
        for r in range(k)
        for s in range(m)
    ]
    return pd.DataFrame(rows, columns=["target", "rater", "reading", "rating"])


def test_replicated_icc_variance_components_match_statsmodels_reml():
    """Balanced crossed design: REML components equal the ANOVA ones when positive."""
    data = _replicated_data(0)
    model = sm.MixedLM.from_formula(
        "rating ~ 1",
        groups=np.ones(len(data)),
        re_formula="0",
        vc_formula={
            "target": "0 + C(target)",
            "rater": "0 + C(rater)",
            "target_x_rater": "0 + C(target):C(rater)",
        },
        data=data,
    )
    fit = model.fit(reml=True)
    reml = dict(zip(model.exog_vc.names, fit.vcomp, strict=True))
    table = icc_replicated(data, n_boot=300).set_index("type")
    expected = {
        "target": reml["target"],
        "rater": reml["rater"],
        "target x rater": reml["target_x_rater"],
        "residual": fit.scale,
    }
    for name, value in expected.items():
        assert table.loc[f"variance:{name}", "estimate"] == pytest.approx(value, rel=2e-3)
    total = sum(expected.values())
    intra = (total - fit.scale) / total
    assert table.loc["intra", "estimate"] == pytest.approx(intra, rel=1e-3)
    assert table.loc["inter", "estimate"] == pytest.approx(reml["target"] / total, rel=2e-3)
    assert table.loc["intra", "sem"] == pytest.approx(math.sqrt(fit.scale), rel=1e-3)
    for kind in ("intra", "inter"):
        row = table.loc[kind]
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert (table["n_readings"] == 2).all() and (table["n_raters"] == 3).all()


def test_replicated_icc_leaves_out_incomplete_targets_and_refuses_bad_designs():
    data = _replicated_data(1)
    data = data.drop(index=0)  # t0 lacks one reading of R0
    table = icc_replicated(data, n_boot=0).set_index("type")
    assert table.loc["intra", "n_targets"] == 14 and math.isnan(table.loc["intra", "ci_low"])
    assert "1 target(s) not read 2 times by every rater" in table.loc["intra", "notes"]
    with pytest.raises(StatsError, match="more than once in reading"):
        icc_replicated(pd.concat([data, data.tail(1)]))
    with pytest.raises(StatsError, match="two or more raters and readings"):
        icc_replicated(data[data["reading"] == 0])
