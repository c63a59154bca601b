"""Lin's CCC, Cohen's kappa and proportional bias against independent computations.

Kappa: statsmodels' ``cohens_kappa`` (an independent implementation of Cohen 1960,
1968 and Fleiss, Cohen & Everitt 1969) and Fleiss's textbook example. CCC: Lin's
other form of the estimate, and the spread of atanh(rho_c) over simulated studies
for the standard error. Proportional bias: statsmodels OLS.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.inter_rater import cohens_kappa

from alignment.errors import StatsError
from alignment.stats import cohen_kappa, concordance_correlation, proportional_bias


@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_matches_statsmodels(weights, seed):
    rng = np.random.default_rng(seed)
    first = rng.integers(1, 10, 90)  # CPAK types I-IX as codes 1-9
    second = np.clip(first + rng.integers(-1, 2, 90) * (rng.random(90) < 0.4), 1, 9)
    mine = cohen_kappa(first, second, weights=weights, categories=list(range(1, 10)))
    table = np.zeros((9, 9))
    np.add.at(table, (first - 1, second - 1), 1)
    ref = cohens_kappa(table, wt=None if weights == "none" else weights)
    assert mine["estimate"] == pytest.approx(ref.kappa, rel=1e-12)
    assert mine["se"] == pytest.approx(ref.std_kappa, rel=1e-10)
    assert mine["ci_low"] == pytest.approx(ref.kappa_low, rel=1e-10)
    assert mine["ci_high"] == pytest.approx(ref.kappa_upp, rel=1e-10)
    assert mine["statistic"] == pytest.approx(ref.z_value, rel=1e-10)
    assert mine["p_value"] == pytest.approx(ref.pvalue_two_sided, rel=1e-8)


def test_kappa_fleiss_textbook_example():
    """Fleiss, Statistical Methods for Rates and Proportions: two diagnosticians, three
    categories, proportions .53 .05 .02 / .11 .14 .05 / .01 .06 .03 (n = 100);
    p_o = 0.70, p_e = 0.475, kappa = 0.43."""
    counts = np.array([[53, 5, 2], [11, 14, 5], [1, 6, 3]])
    first = np.repeat(np.repeat(["psych", "neuro", "organic"], 3), counts.ravel())
    second = np.repeat(np.tile(["psych", "neuro", "organic"], 3), counts.ravel())
    out = cohen_kappa(first, second, categories=["psych", "neuro", "organic"])
    assert out["observed"] == pytest.approx(0.70)
    assert out["expected"] == pytest.approx(0.475)
    assert round(out["estimate"], 2) == 0.43


def test_kappa_edge_cases_and_errors():
    same = cohen_kappa([1, 2, 3, 1], [1, 2, 3, 1])
    assert same["estimate"] == 1.0 and math.isnan(same["ci_low"])
    one = cohen_kappa([1, 1, 1], [1, 1, 1])
    assert math.isnan(one["estimate"]) and one["notes"]
    with pytest.raises(StatsError, match="unknown weights 'cubic'"):
        cohen_kappa([1], [1], weights="cubic")
    with pytest.raises(StatsError, match=r"categories \[7\] not in"):
        cohen_kappa([1, 7], [1, 2], categories=[1, 2, 3])
    dropped = cohen_kappa([1, None, 2, 2], [1, 2, float("nan"), 2])
    assert dropped["n"] == 2


def test_ccc_equals_lins_other_form():
    rng = np.random.default_rng(4)
    x = rng.normal(180, 3, 40)
    y = 0.9 * x + 18.5 + rng.normal(0, 1, 40)
    out = concordance_correlation(x, y)
    # rho_c = 1 - E[(x - y)^2] / (s_x^2 + s_y^2 + (mean_x - mean_y)^2), divisor n
    msd = np.mean((x - y) ** 2)
    expected = 1 - msd / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    assert out["estimate"] == pytest.approx(expected, rel=1e-12)
    assert out["pearson_r"] == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert out["estimate"] == pytest.approx(out["pearson_r"] * out["bias_correction"])
    assert out["ci_low"] < out["estimate"] < out["ci_high"]


def test_ccc_standard_error_matches_the_spread_over_simulated_studies():
    """Lin's SE of atanh(rho_c) is the SD of atanh(rho_c) across repeated studies."""
    rng = np.random.default_rng(7)
    n, repeats = 60, 3000
    truth = rng.normal(0, 2, (repeats, n))
    x = truth + rng.normal(0, 1, (repeats, n))
    y = 0.3 + 1.1 * truth + rng.normal(0, 1, (repeats, n))
    z = [math.atanh(concordance_correlation(a, b)["estimate"]) for a, b in zip(x, y, strict=True)]
    se = [concordance_correlation(a, b)["se_z"] for a, b in zip(x[:200], y[:200], strict=True)]
    assert np.mean(se) == pytest.approx(np.std(z, ddof=1), rel=0.08)


def test_ccc_edge_cases():
    assert "fewer than 3" in concordance_correlation([1, 2], [1, 2])["notes"][0]
    flat = concordance_correlation([1, 1, 1, 1], [1, 2, 3, 4])
    assert math.isnan(flat["estimate"]) and "all equal" in flat["notes"][0]
    perfect = concordance_correlation([1, 2, 3, 4], [1, 2, 3, 4])
    assert perfect["estimate"] == 1.0 and math.isnan(perfect["ci_low"])


def test_proportional_bias_matches_statsmodels_ols():
    rng = np.random.default_rng(3)
    truth = rng.normal(180, 4, 50)
    a = truth + rng.normal(0, 0.5, 50)
    b = 0.95 * truth + 9 + rng.normal(0, 0.5, 50)
    out = proportional_bias(a, b, confidence=0.9)
    fit = sm.OLS(a - b, sm.add_constant((a + b) / 2)).fit()
    assert out["slope"] == pytest.approx(fit.params[1], rel=1e-9)
    assert out["intercept"] == pytest.approx(fit.params[0], rel=1e-9)
    assert out["statistic"] == pytest.approx(fit.tvalues[1], rel=1e-9)
    assert out["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-7)
    low, high = fit.conf_int(alpha=0.1)[1]
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert out["df"] == 48
