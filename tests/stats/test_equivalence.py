"""TOST against scipy's one-sided t-tests on shifted samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignment.errors import StatsError
from alignment.stats import compare_groups, equivalence_test, margin_bounds, tost

REL = 1e-9


@pytest.mark.parametrize("test", ["welch", "student"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tost_is_two_one_sided_scipy_tests(test, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(1.0, 0.4, 30), rng.normal(1.2, 0.8, 35)
    low, high = -0.5, 0.4
    out = tost(x1, x2, margin=(low, high), test=test)
    equal_var = test == "student"
    lower = stats.ttest_ind(x1 - low, x2, equal_var=equal_var, alternative="greater")
    upper = stats.ttest_ind(x1 - high, x2, equal_var=equal_var, alternative="less")
    assert out["p_value_low"] == pytest.approx(lower.pvalue, rel=REL)
    assert out["p_value_high"] == pytest.approx(upper.pvalue, rel=REL)
    assert out["statistic_low"] == pytest.approx(lower.statistic, rel=REL)
    assert out["p_value"] == pytest.approx(max(lower.pvalue, upper.pvalue), rel=REL)
    interval = stats.ttest_ind(x1, x2, equal_var=equal_var).confidence_interval(0.90)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((interval.low, interval.high))
    inside = low < out["ci_low"] and out["ci_high"] < high
    assert out["equivalent"] == inside


def test_equivalence_test_per_measure(results_and_groups):
    results, groups = results_and_groups
    table = equivalence_test(results, groups, margin=1.0, metric="deviation")
    assert set(table["test"]) == {"tost_welch"}
    assert (table["margin_low"] == -1.0).all() and (table["confidence"] == 0.9).all()
    compared = compare_groups(results, groups, metric="deviation", equivalence_margin=1.0)
    assert np.allclose(compared["equivalence_p_value"], table["p_value"], rtol=REL, equal_nan=True)
    assert compared["equivalent"].tolist() == table["equivalent"].tolist()


def test_obvious_equivalence_and_non_equivalence():
    q = stats.norm.ppf((np.arange(40) + 0.5) / 40)
    data = pd.DataFrame(
        {
            "case": [f"c{i}" for i in range(80)],
            "measure": "hka",
            "status": "ok",
            "value": np.r_[q * 0.3, q * 0.3 + 0.05],
            "group": ["A"] * 40 + ["B"] * 40,
        }
    )
    same = equivalence_test(data, margin=1.0, metric="value").iloc[0]
    assert bool(same["equivalent"]) and same["p_value"] < 1e-6
    narrow = equivalence_test(data, margin=0.01, metric="value").iloc[0]
    assert not bool(narrow["equivalent"])


def test_margins_are_checked():
    assert margin_bounds(2) == (-2.0, 2.0)
    with pytest.raises(StatsError, match="low < high"):
        margin_bounds((1.0, -1.0))
    with pytest.raises(StatsError, match="number or a pair"):
        margin_bounds((1.0, 2.0, 3.0))
    out = tost([1.0], [1.0, 2.0], margin=1.0)
    assert math.isnan(out["p_value"]) and not out["equivalent"]
