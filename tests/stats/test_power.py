"""Power and sample size against statsmodels, scipy, simulation and Cohen's tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.weightstats import ttost_ind

from alignment.cli import main
from alignment.errors import StatsError
from alignment.stats import (
    pilot_power,
    power_analysis,
    power_fisher,
    power_proportions,
    power_tost,
    power_welch,
)
from tests.stats.conftest import make_results


@pytest.mark.parametrize(("d", "n", "alpha"), [(0.2, 50, 0.05), (0.5, 64, 0.05), (0.8, 20, 0.01)])
def test_welch_equals_statsmodels_student_power_for_equal_sds_and_sizes(d, n, alpha):
    expected = TTestIndPower().power(effect_size=d, nobs1=n, alpha=alpha, ratio=1.0)
    assert power_welch(d * 1.7, 1.7, 1.7, n, n, alpha=alpha) == pytest.approx(expected, rel=1e-10)


def test_sample_size_matches_statsmodels_and_cohens_table():
    # Cohen J (1988), Statistical Power Analysis, Table 2.4.1: d = 0.5, two-tailed
    # alpha 0.05, power 0.80 -> n = 64 per group.
    out = power_analysis("welch", difference=0.5, sd1=1.0, power=0.8)
    assert (out["n1"], out["n2"]) == (64, 64)
    solved = TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8, ratio=1.0)
    assert out["n1"] == math.ceil(solved)
    smaller = power_welch(0.5, 1.0, 1.0, out["n1"] - 1, out["n2"] - 1)
    assert smaller < 0.8 <= out["power"]
    unequal = power_analysis("welch", difference=0.5, sd1=1.0, ratio=2.0, power=0.8)
    assert unequal["n2"] == math.ceil(2 * unequal["n1"])


def _simulated(rng, reps, n1, n2, mean1, sd1, sd2, rejects):
    hits = 0
    for _ in range(reps):
        hits += rejects(rng.normal(mean1, sd1, n1), rng.normal(0.0, sd2, n2))
    return hits / reps


def test_welch_with_unequal_sds_against_simulated_scipy_tests():
    rng = np.random.default_rng(5)
    simulated = _simulated(
        rng, 4000, 15, 25, 1.0, 0.8, 2.0,
        lambda a, b: stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05,
    )  # fmt: skip
    assert power_welch(1.0, 0.8, 2.0, 15, 25) == pytest.approx(simulated, abs=0.025)


@pytest.mark.parametrize(("delta", "sd2", "n2"), [(0.0, 1.0, 20), (0.3, 1.5, 15)])
def test_tost_against_simulated_statsmodels_tost(delta, sd2, n2):
    rng = np.random.default_rng(6)
    simulated = _simulated(
        rng, 4000, 20, n2, delta, 1.0, sd2,
        lambda a, b: ttost_ind(a, b, -1.0, 1.0, usevar="unequal")[0] < 0.05,
    )  # fmt: skip
    computed = power_tost(delta, 1.0, sd2, 20, n2, margin=1.0)
    assert computed == pytest.approx(simulated, abs=0.025)


def test_tost_sample_size_grows_as_the_margin_shrinks():
    wide = power_analysis("tost", sd1=1.0, margin=1.0, power=0.9)
    narrow = power_analysis("tost", sd1=1.0, margin=0.5, power=0.9)
    assert narrow["n1"] > 3 * wide["n1"]
    assert (wide["margin_low"], wide["margin_high"], wide["difference"]) == (-1.0, 1.0, 0.0)


@pytest.mark.parametrize(("p1", "p2", "n1", "n2"), [(0.1, 0.3, 62, 62), (0.05, 0.2, 40, 80)])
def test_proportions_against_the_fleiss_formula(p1, p2, n1, n2):
    # Fleiss, Levin & Paik (2003), eq. 4.14: pooled variance under H0, unpooled under H1
    pooled = (n1 * p1 + n2 * p2) / (n1 + n2)
    v0 = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    v1 = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    z = stats.norm.ppf(0.975)
    gap = abs(p1 - p2)
    expected = stats.norm.cdf((gap - z * math.sqrt(v0)) / math.sqrt(v1)) + stats.norm.cdf(
        (-gap - z * math.sqrt(v0)) / math.sqrt(v1)
    )
    assert power_proportions(p1, p2, n1, n2) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("p1", "p2", "n1", "n2"), [(0.2, 0.6, 9, 12), (0.05, 0.4, 15, 10)])
def test_fisher_against_enumerated_scipy_fisher_exact(p1, p2, n1, n2):
    expected = 0.0
    for a in range(n1 + 1):
        for c in range(n2 + 1):
            if stats.fisher_exact([[a, n1 - a], [c, n2 - c]]).pvalue <= 0.05:
                expected += stats.binom.pmf(a, n1, p1) * stats.binom.pmf(c, n2, p2)
    assert power_fisher(p1, p2, n1, n2) == pytest.approx(expected, rel=1e-10)


def test_fisher_is_less_powerful_than_the_z_test_and_says_its_n_is_not_monotone():
    fisher = power_analysis("fisher", p1=0.1, p2=0.3, power=0.8)
    normal = power_analysis("proportions", p1=0.1, p2=0.3, power=0.8)
    assert fisher["n1"] > normal["n1"] and fisher["power"] >= 0.8
    assert "saw-tooth" in fisher["notes"][0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"difference": 1.0, "sd1": 1.0}, "give either n1"),
        ({"difference": 1.0, "sd1": 1.0, "n1": 10, "power": 0.8}, "give either n1"),
        ({"difference": 0.0, "sd1": 1.0, "n1": 10}, "nothing to detect"),
        ({"difference": 1.0, "sd1": -1.0, "n1": 10}, "sd1 must be a finite number > 0"),
        ({"difference": 1.0, "sd1": 1.0, "power": 1.5}, "power must lie strictly"),
    ],
)
def test_bad_inputs_are_refused(kwargs, message):
    with pytest.raises(StatsError, match=message):
        power_analysis("welch", **kwargs)


def test_tost_refuses_a_true_difference_outside_the_margin():
    with pytest.raises(StatsError, match="outside the margin"):
        power_analysis("tost", difference=1.5, sd1=1.0, margin=1.0, n1=20)


def test_pilot_takes_sds_and_rates_from_the_results_table():
    results, groups = make_results(seed=4)
    table = pilot_power(
        results, groups, tests=("welch", "fisher"), order=["PSI", "CI"], measures=["hka"]
    ).set_index("test")
    merged = results.merge(groups, on="case")
    ok = merged[(merged["measure"] == "hka") & (merged["status"] == "ok")]
    psi, ci = (ok.loc[ok["group"] == g, "abs_deviation"] for g in ("PSI", "CI"))
    welch = table.loc["welch"]
    assert welch["sd1"] == pytest.approx(psi.std(ddof=1), rel=1e-12)
    assert welch["sd2"] == pytest.approx(ci.std(ddof=1), rel=1e-12)
    assert (welch["n1"], welch["n2"]) == (len(psi), len(ci))
    assert welch["difference"] == pytest.approx(psi.mean() - ci.mean(), rel=1e-12)
    assert welch["power"] == pytest.approx(
        power_welch(psi.mean() - ci.mean(), psi.std(), ci.std(), len(psi), len(ci)), rel=1e-12
    )
    fisher = table.loc["fisher"]
    assert fisher["p1"] == pytest.approx((psi > 3).mean()) and fisher["metric"] == "outlier"


def test_pilot_with_a_constant_group_gives_nan_and_says_why():
    results = pd.DataFrame(
        {
            "case": list("abcdef"),
            "measure": "hka",
            "status": "ok",
            "abs_deviation": [1.0, 1.0, 1.0, 2.0, 2.5, 3.0],
            "group": ["A"] * 3 + ["B"] * 3,
        }
    )
    row = pilot_power(results, difference=1.0, power=0.8).iloc[0]
    assert math.isnan(row["power"]) and "sd1 is 0.0" in row["notes"]


def test_cli_power_from_assumed_values_and_from_a_pilot(tmp_path, capsys):
    code = main(["power", "--test", "welch", "--difference", "0.5", "--sd", "1", "--power", "0.8"])
    assert code == 0
    assert "| welch | assumed | n | 0.050 | 0.500 | 1.000 | 1.000 |" in capsys.readouterr().out
    results, groups = make_results(seed=4)
    results.to_csv(tmp_path / "results.csv", index=False)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    out = tmp_path / "power.csv"
    code = main(
        ["power", "--pilot", str(tmp_path / "results.csv"), "--groups",
         str(tmp_path / "groups.csv"), "--test", "welch,tost,proportions", "--margin", "1",
         "--n", "30", "--order", "PSI,CI", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    table = pd.read_csv(out)
    assert set(table["test"]) == {"welch", "tost", "proportions"}
    assert (table["n1"] == 30).all() and table["power"].between(0, 1).all()
    assert main(["power", "--test", "welch", "--sd", "1", "--difference", "1"]) == 3
    assert "give --n" in capsys.readouterr().err
