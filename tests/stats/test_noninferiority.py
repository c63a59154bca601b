"""Non-inferiority of a mean or a rate, against independent formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from alignment.errors import StatsError
from alignment.stats import non_inferiority, noninferiority_mean, noninferiority_rate
from alignment.stats.noninferiority import score_ci_difference


def test_mean_against_scipy_welch_on_shifted_data():
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(1.2, 0.6, 30), rng.normal(1.0, 0.9, 35)
    out = noninferiority_mean(x1, x2, margin=0.5)
    # H0: mean1 - mean2 >= 0.5  <=>  mean(x1 - 0.5) >= mean(x2)
    shifted = stats.ttest_ind(x1 - 0.5, x2, equal_var=False, alternative="less")
    assert out["statistic"] == pytest.approx(shifted.statistic, rel=1e-12)
    assert out["p_value"] == pytest.approx(shifted.pvalue, rel=1e-12)
    interval = stats.ttest_ind(x1, x2, equal_var=False).confidence_interval(0.90)
    assert out["ci_high"] == pytest.approx(interval.high, rel=1e-12)
    assert out["non_inferior"] == (interval.high < 0.5)
    better = noninferiority_mean(x1, x2, margin=0.5, higher_is_better=True)
    flipped = stats.ttest_ind(x1 + 0.5, x2, equal_var=False, alternative="greater")
    assert better["p_value"] == pytest.approx(flipped.pvalue, rel=1e-12)


def _farrington_manning(x1, n1, x2, n2, margin):
    """Score z of Farrington & Manning (1990) with the Miettinen-Nurminen N/(N-1)."""

    def negloglik(p2):
        p1 = p2 + margin
        return -(x1 * math.log(p1) + (n1 - x1) * math.log(1 - p1)
                 + x2 * math.log(p2) + (n2 - x2) * math.log(1 - p2))  # fmt: skip

    low, high = max(0.0, -margin) + 1e-12, min(1.0, 1.0 - margin) - 1e-12
    p2 = optimize.minimize_scalar(negloglik, bounds=(low, high), method="bounded",
                                  options={"xatol": 1e-13}).x  # fmt: skip
    p1 = p2 + margin
    n = n1 + n2
    variance = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * n / (n - 1)
    return (x1 / n1 - x2 / n2 - margin) / math.sqrt(variance)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(3, 50, 5, 50), (12, 80, 9, 70)])
def test_rate_against_a_restricted_maximum_likelihood_score(x1, n1, x2, n2):
    out = noninferiority_rate(x1, n1, x2, n2, margin=0.1)
    z = _farrington_manning(x1, n1, x2, n2, 0.1)
    assert out["statistic"] == pytest.approx(z, rel=1e-5)
    assert out["p_value"] == pytest.approx(stats.norm.cdf(z), rel=1e-5)
    # the score CI at 1 - 2 alpha inverts the same statistic: its upper bound has z = z_0.95
    assert _farrington_manning(x1, n1, x2, n2, out["ci_high"]) == pytest.approx(
        stats.norm.ppf(0.05), abs=1e-4
    )
    assert out["non_inferior"] == (out["ci_high"] < 0.1)


def test_score_interval_matches_fagerland_lydersen_laake_2015():
    # Fagerland MW, Lydersen S, Laake P (2015), Stat Methods Med Res 24:224-254, Table 5:
    # 7/34 vs 1/34, Miettinen-Nurminen interval (without the N/(N-1) factor) 0.028 to 0.34
    low, high = score_ci_difference(7, 34, 1, 34, correction=False)
    assert low == pytest.approx(0.028, abs=5e-4)
    assert high == pytest.approx(0.34, abs=5e-3)


def test_table_wrapper_counts_outliers_and_names_the_metric():
    results = pd.DataFrame(
        {
            "case": [f"c{i}" for i in range(20)],
            "measure": "hka",
            "status": "ok",
            "tolerance": 3.0,
            "abs_deviation": [4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
            + [4.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "group": ["PSI"] * 10 + ["CI"] * 10,
        }
    )
    row = non_inferiority(results, margin=0.1, outcome="rate", order=["PSI", "CI"]).iloc[0]
    assert (row["metric"], row["estimate1"], row["estimate2"]) == ("outlier", 0.1, 0.2)
    alone = noninferiority_rate(1, 10, 2, 10, margin=0.1)
    assert row["p_value"] == pytest.approx(alone["p_value"])
    mean = non_inferiority(results, margin=1.0, order=["PSI", "CI"]).iloc[0]
    assert mean["difference"] == pytest.approx(1.3 - 1.6)


@pytest.mark.parametrize("margin", [0.0, -1.0, math.nan])
def test_bad_margin_is_refused(margin):
    with pytest.raises(StatsError, match="margin must be a finite number > 0"):
        noninferiority_mean([1.0, 2.0], [1.0, 2.0], margin=margin)


def test_bad_counts_are_refused():
    with pytest.raises(StatsError, match="0 <= count <= n"):
        noninferiority_rate(5, 4, 1, 4, margin=0.1)


def test_compare_groups_runs_both_non_inferiority_tests_at_one_sided_2_5_percent():
    from alignment.stats import compare_groups, outlier_rates
    from tests.stats.conftest import make_results

    results, groups = make_results(seed=8)
    row = compare_groups(
        results, groups, order=["PSI", "CI"], measures=["hka"], noninferiority_margin=0.5,
        noninferiority_rate_margin=0.1,
    ).iloc[0]  # fmt: skip
    alone = non_inferiority(results, groups, margin=0.5, order=["PSI", "CI"], measures=["hka"],
                            alpha=0.025).iloc[0]  # fmt: skip
    assert row["noninferiority_p_value"] == pytest.approx(alone["p_value"], rel=1e-12)
    assert row["non_inferior"] == alone["non_inferior"]
    rates = outlier_rates(results, groups, order=["PSI", "CI"], measures=["hka"]).iloc[0]
    expected = noninferiority_rate(
        int(rates["outliers1"]), int(rates["outlier_n1"]), int(rates["outliers2"]),
        int(rates["outlier_n2"]), margin=0.1, alpha=0.025,
    )  # fmt: skip
    assert row["rate_noninferiority_p_value"] == pytest.approx(expected["p_value"], rel=1e-12)
