"""Outlier rates: counts against the spec's rule, Fisher and risk ratio independently."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignment.stats import compare_groups, outlier_rates

REL = 1e-9


def _table(dev1, dev2, tolerance=3.0):
    dev = np.r_[dev1, dev2]
    return pd.DataFrame(
        {
            "case": [f"c{i}" for i in range(dev.size)],
            "measure": "hka",
            "status": "ok",
            "tolerance": tolerance,
            "abs_deviation": dev,
            "group": ["A"] * len(dev1) + ["B"] * len(dev2),
        }
    )


def test_counts_follow_the_spec_rule_and_the_preset_tolerance(results_and_groups):
    results, groups = results_and_groups
    table = outlier_rates(results, groups, order=["PSI", "CI"]).set_index("measure")
    merged = results.merge(groups, on="case")
    for measure in ("hka", "fta", "lfc"):
        rows = merged[(merged["measure"] == measure) & (merged["status"] == "ok")]
        for suffix, group in (("1", "PSI"), ("2", "CI")):
            mine = rows[rows["group"] == group]
            # the engine's own outlier column agrees with abs_deviation > tolerance
            assert table.loc[measure, f"outliers{suffix}"] == int(mine["outlier"].sum())
            assert table.loc[measure, f"outlier_n{suffix}"] == len(mine)
            assert table.loc[measure, f"outlier_pct{suffix}"] == pytest.approx(
                100 * mine["outlier"].mean(), rel=REL
            )
    assert table.loc["hka", "tolerance"] == 3.0
    assert "ahka" not in table.index  # no target: no deviation, no outlier call


def test_a_given_tolerance_overrides_the_preset():
    data = _table([0.5, 1.5, 2.5, 2.9], [2.1, 2.2, 3.5, 0.1])
    assert outlier_rates(data, order=["A", "B"])["outliers1"].iloc[0] == 0
    two = outlier_rates(data, order=["A", "B"], tolerance=2.0).iloc[0]
    assert (two["outliers1"], two["outliers2"], two["tolerance"]) == (2, 3, 2.0)


def test_fisher_and_risk_ratio_against_independent_formulas():
    rng = np.random.default_rng(11)
    dev1, dev2 = np.abs(rng.normal(0, 2, 40)), np.abs(rng.normal(0, 3.5, 45))
    row = outlier_rates(_table(dev1, dev2), order=["A", "B"]).iloc[0]
    a, n1 = int((dev1 > 3).sum()), 40
    c, n2 = int((dev2 > 3).sum()), 45
    assert a > 0 and c > 0
    expected = stats.fisher_exact([[a, n1 - a], [c, n2 - c]])
    assert row["outlier_p_value"] == pytest.approx(expected.pvalue, rel=REL)
    ratio = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)  # Katz log-normal interval
    assert row["risk_ratio"] == pytest.approx(ratio, rel=REL)
    assert row["risk_ratio_ci_low"] == pytest.approx(ratio * math.exp(-1.959964 * se), rel=1e-6)
    assert row["risk_ratio_ci_high"] == pytest.approx(ratio * math.exp(1.959964 * se), rel=1e-6)


def test_zero_cells_are_corrected_and_said_so():
    row = outlier_rates(_table([4.0, 1.0, 5.0], [1.0, 1.0, 2.0]), order=["A", "B"]).iloc[0]
    assert row["risk_ratio"] == pytest.approx((2 / 3) / (0.5 / 3.5), rel=REL)
    assert "zero cell(s) replaced by 0.5" in row["notes"]
    none = outlier_rates(_table([1.0, 1.0], [1.0, 2.0]), order=["A", "B"]).iloc[0]
    assert math.isnan(none["risk_ratio"]) and none["outlier_p_value"] == 1.0


def test_compare_groups_carries_the_outlier_columns(results_and_groups):
    results, groups = results_and_groups
    compared = compare_groups(results, groups, tolerance=2.0)
    alone = outlier_rates(results, groups, tolerance=2.0)
    for column in ("outliers1", "outliers2", "outlier_p_value", "risk_ratio"):
        assert compared[column].equals(alone[column])


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        # Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (score, no CC)
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_risk_difference_ci_matches_newcombe_1998(counts, published):
    a, n1, c, n2 = counts
    dev1 = [4.0] * a + [1.0] * (n1 - a)
    dev2 = [4.0] * c + [1.0] * (n2 - c)
    row = outlier_rates(_table(dev1, dev2), order=["A", "B"]).iloc[0]
    assert row["risk_difference"] == pytest.approx(a / n1 - c / n2, rel=REL)
    assert row["risk_difference_ci_low"] == pytest.approx(published[0], abs=5e-5)
    assert row["risk_difference_ci_high"] == pytest.approx(published[1], abs=5e-5)


def test_odds_ratio_against_woolf_formula():
    rng = np.random.default_rng(12)
    dev1, dev2 = np.abs(rng.normal(0, 2, 50)), np.abs(rng.normal(0, 3.5, 40))
    row = outlier_rates(_table(dev1, dev2), order=["A", "B"], confidence=0.9).iloc[0]
    a, c = int((dev1 > 3).sum()), int((dev2 > 3).sum())
    b, d = 50 - a, 40 - c
    ratio = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)  # Woolf (1955)
    z = stats.norm.ppf(0.95)
    assert row["odds_ratio"] == pytest.approx(ratio, rel=REL)
    assert row["odds_ratio_ci_low"] == pytest.approx(ratio * math.exp(-z * se), rel=1e-9)
    assert row["odds_ratio_ci_high"] == pytest.approx(ratio * math.exp(z * se), rel=1e-9)


def test_no_outliers_leaves_ratios_undefined_but_gives_a_difference():
    row = outlier_rates(_table([1.0, 1.0, 2.0], [1.0, 2.0]), order=["A", "B"]).iloc[0]
    assert math.isnan(row["odds_ratio"]) and row["risk_difference"] == 0.0
    assert row["risk_difference_ci_low"] < 0.0 < row["risk_difference_ci_high"]
