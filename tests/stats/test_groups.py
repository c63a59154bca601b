"""compare_groups against independent computations (numpy, scipy, statsmodels)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from alignment.errors import AlignmentError, StatsError
from alignment.stats import COMPARE_COLUMNS, adjust_p_values, compare_groups
from tests.stats.conftest import ISSUE_COLUMNS, make_results

REL = 1e-9


def _legs(results: pd.DataFrame, groups: pd.DataFrame, measure: str, group: str, metric: str):
    """Independent extraction: ok rows of one group and measure, one value per leg."""
    merged = results.merge(groups, on="case")
    rows = merged[
        (merged["measure"] == measure) & (merged["group"] == group) & (merged["status"] == "ok")
    ]
    rows = rows[np.isfinite(rows[metric].astype(float))]
    return rows.groupby(["case", "side"])[metric].mean().to_numpy(dtype=float)


def test_columns_are_the_documented_ones(results_and_groups):
    results, groups = results_and_groups
    table = compare_groups(results, groups, order=["PSI", "CI"])
    assert list(table.columns) == [*COMPARE_COLUMNS, "notes"]
    assert set(ISSUE_COLUMNS) <= set(table.columns)
    assert "cpak" not in set(table["measure"])  # categorical: never averaged
    # ahka and mad_mm have no target, so no deviation to compare: left out by default
    assert list(table["measure"]) == ["hka", "fta", "ffc", "ftc", "lfc", "ltc"]


@pytest.mark.parametrize("metric", ["abs_deviation", "deviation", "value"])
@pytest.mark.parametrize("test", ["welch", "student"])
def test_t_tests_agree_with_scipy(results_and_groups, metric, test):
    results, groups = results_and_groups
    table = compare_groups(results, groups, metric=metric, test=test, order=["PSI", "CI"])
    for row in table.itertuples():
        x1 = _legs(results, groups, row.measure, "PSI", metric)
        x2 = _legs(results, groups, row.measure, "CI", metric)
        if x1.size == 0:  # measures without target have no deviation
            assert metric != "value" and row.n1 == 0 and math.isnan(row.p_value)
            continue
        expected = stats.ttest_ind(x1, x2, equal_var=test == "student")
        interval = expected.confidence_interval(0.95)
        assert (row.n1, row.n2) == (x1.size, x2.size)
        assert row.mean1 == pytest.approx(np.mean(x1), rel=REL)
        assert row.sd1 == pytest.approx(np.std(x1, ddof=1), rel=REL)
        assert row.median2 == pytest.approx(np.median(x2), rel=REL)
        assert row.iqr_high2 == pytest.approx(np.percentile(x2, 75), rel=REL)
        assert row.mean_diff == pytest.approx(np.mean(x1) - np.mean(x2), rel=REL)
        assert row.statistic == pytest.approx(expected.statistic, rel=REL)
        assert row.df == pytest.approx(expected.df, rel=REL)
        assert row.p_value == pytest.approx(expected.pvalue, rel=REL)
        assert row.ci_low == pytest.approx(interval.low, rel=REL)
        assert row.ci_high == pytest.approx(interval.high, rel=REL)
        assert row.test == test and row.effect_size_type == "hedges_g"


def test_mannwhitney_and_rank_biserial(results_and_groups):
    results, groups = results_and_groups
    table = compare_groups(results, groups, test="mannwhitney", order=["PSI", "CI"])
    row = table.set_index("measure").loc["hka"]
    x1 = _legs(results, groups, "hka", "PSI", "abs_deviation")
    x2 = _legs(results, groups, "hka", "CI", "abs_deviation")
    # no ties and both groups under 50 legs: the exact P, as R's wilcox.test
    expected = stats.mannwhitneyu(x1, x2, alternative="two-sided", method="exact")
    assert row["statistic"] == pytest.approx(expected.statistic, rel=REL)
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=REL)
    assert row["p_method"] == "exact"
    assert row["hl_ci_low"] < row["hodges_lehmann"] < row["hl_ci_high"]
    # rank-biserial by direct pair counting: P(x1 > x2) - P(x1 < x2)
    pairs = list(itertools.product(x1, x2))
    favour = sum(a > b for a, b in pairs) - sum(a < b for a, b in pairs)
    assert row["effect_size"] == pytest.approx(favour / len(pairs), rel=REL)
    assert row["effect_size_type"] == "rank_biserial"
    assert math.isnan(row["df"])


def test_hedges_g_and_its_exact_interval():
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(1.0, 1.0, 15), rng.normal(0.0, 1.0, 12)
    results = pd.DataFrame(
        {
            "case": [f"a{i}" for i in range(15)] + [f"b{i}" for i in range(12)],
            "measure": "hka",
            "status": "ok",
            "value": np.r_[x1, x2],
            "group": ["A"] * 15 + ["B"] * 12,
        }
    )
    row = compare_groups(results, metric="value").iloc[0]
    n1, n2 = 15, 12
    df = n1 + n2 - 2
    pooled = math.sqrt(((n1 - 1) * x1.var(ddof=1) + (n2 - 1) * x2.var(ddof=1)) / df)
    d = (x1.mean() - x2.mean()) / pooled
    j = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
    assert row["effect_size"] == pytest.approx(j * d, rel=REL)
    # The bounds are the noncentralities whose tail areas put t_obs at 2.5% / 97.5%.
    scale = math.sqrt(n1 * n2 / (n1 + n2))
    t_obs = d * scale
    low = row["effect_ci_low"] / j * scale
    high = row["effect_ci_high"] / j * scale
    assert stats.nct.sf(t_obs, df, low) == pytest.approx(0.025, abs=1e-9)
    assert stats.nct.cdf(t_obs, df, high) == pytest.approx(0.025, abs=1e-9)
    # and they are close to the usual large-sample approximation
    se = math.sqrt((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))
    assert row["effect_ci_low"] == pytest.approx(j * (d - 1.96 * se), abs=0.1)


def test_auto_records_why():
    q = stats.norm.ppf((np.arange(30) + 0.5) / 30)  # an exactly normal-shaped sample
    normal_equal = np.r_[q, q[::-1] + 0.5]
    normal_unequal = np.r_[0.2 * q, 3 * q + 0.5]
    skewed = np.r_[np.exp(2 * q), q + 0.5]
    frames = []
    for measure, values in (("hka", normal_equal), ("fta", normal_unequal), ("ffc", skewed)):
        frames.append(
            pd.DataFrame(
                {
                    "case": [f"c{i}" for i in range(60)],
                    "measure": measure,
                    "status": "ok",
                    "value": values,
                    "group": ["A"] * 30 + ["B"] * 30,
                }
            )
        )
    table = compare_groups(pd.concat(frames), metric="value", test="auto").set_index("measure")
    assert table.loc["hka", "test"] == "student"
    assert table.loc["fta", "test"] == "welch"
    assert table.loc["ffc", "test"] == "mannwhitney"
    assert "Brown-Forsythe" in table.loc["fta", "test_reason"]
    assert "not normal" in table.loc["ffc", "test_reason"]
    assert table.loc["ffc", "normality_p1"] == pytest.approx(
        stats.shapiro(skewed[:30]).pvalue, rel=REL
    )
    assert table.loc["fta", "variance_p"] == pytest.approx(
        stats.levene(normal_unequal[:30], normal_unequal[30:], center="median").pvalue, rel=REL
    )


def test_multiplicity_adjustments_match_statsmodels(results_and_groups):
    results, groups = results_and_groups
    table = compare_groups(results, groups, metric="value")
    p = table["p_value"].to_numpy()
    assert np.allclose(table["p_holm"], multipletests(p, method="holm")[1], rtol=REL, atol=0)
    assert np.allclose(table["p_bh"], multipletests(p, method="fdr_bh")[1], rtol=REL, atol=0)


def test_adjust_p_values_keeps_nan_out_of_the_family():
    adjusted = adjust_p_values([0.01, np.nan, 0.02])
    assert math.isnan(adjusted[1])
    assert adjusted[[0, 2]] == pytest.approx(multipletests([0.01, 0.02], method="holm")[1])


def test_rows_not_ok_are_left_out_and_counted(results_and_groups):
    results, groups = results_and_groups
    table = compare_groups(results, groups, order=["PSI", "CI"]).set_index("measure")
    merged = results.merge(groups, on="case")
    hka = merged[(merged["measure"] == "hka") & (merged["group"] == "PSI")]
    assert table.loc["hka", "excluded1"] == int((hka["status"] != "ok").sum())
    assert table.loc["hka", "excluded1"] > 0  # the generator leaves 5% missing
    assert table.loc["hka", "n1"] + table.loc["hka", "excluded1"] == len(hka)


def test_readers_are_averaged_per_leg_or_selected():
    results, groups = make_results(readers=("R1", "R2"), reader_noise=0.5, missing=0.0)
    averaged = compare_groups(results, groups, metric="value", measures=["hka"]).iloc[0]
    assert averaged["n1"] + averaged["n2"] == 50
    assert "averaged" in averaged["notes"]
    only = compare_groups(results, groups, metric="value", measures=["hka"], reader="R1")
    mine = results[(results["reader"] == "R1") & (results["measure"] == "hka")]
    merged = mine.merge(groups, on="case")
    assert only["mean1"].iloc[0] == pytest.approx(
        merged.loc[merged["group"] == "CI", "value"].mean(), rel=REL
    )


def test_csv_round_trip_gives_the_same_numbers(tmp_path, results_and_groups):
    results, groups = results_and_groups
    path = tmp_path / "results.csv"
    results.to_csv(path, index=False)
    from alignment.stats import read_table

    again = read_table(path)
    assert again["reader"].isna().all()  # "" reads back as empty
    first = compare_groups(results, groups)
    second = compare_groups(again, groups)
    numeric = first.select_dtypes("number").columns
    assert np.allclose(first[numeric], second[numeric], rtol=REL, equal_nan=True)


def test_image_groups_and_mappings_work(results_and_groups):
    results, groups = results_and_groups
    by_case = compare_groups(results, groups)
    by_mapping = compare_groups(results, dict(zip(groups["case"], groups["group"], strict=True)))
    images = results[["image", "case"]].drop_duplicates().merge(groups, on="case")
    by_image = compare_groups(results, images[["image", "group"]])
    assert by_case["p_value"].equals(by_mapping["p_value"])
    assert np.allclose(by_case["n1"], by_image["n1"])


def test_degenerate_groups_give_nan_not_errors():
    results = pd.DataFrame(
        {
            "case": ["a", "b", "c", "d", "e"],
            "measure": "hka",
            "status": "ok",
            "value": [1.0, 1.0, 1.0, 1.0, 2.0],
            "group": ["A", "A", "B", "B", "C"],
        }
    )
    row = compare_groups(results, metric="value", order=["A", "B"]).iloc[0]
    assert math.isnan(row["p_value"]) and row["mean_diff"] == 0.0
    assert "constant" in row["notes"]
    one = compare_groups(results, metric="value", order=["A", "C"]).iloc[0]
    assert one["n2"] == 1 and math.isnan(one["statistic"])
    assert "fewer than 2" in one["notes"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "angle"}, "unknown metric 'angle'; expected one of 'abs_deviation'"),
        ({"test": "ttest"}, "unknown test 'ttest'"),
        ({"order": ["PSI", "XX"]}, "group(s) 'XX' not found; found 'CI', 'PSI'"),
        ({"measures": ["hka", "nope"]}, "measure(s) 'nope' not in the results"),
        ({"measures": ["cpak"]}, "are categories, not numbers"),
        ({"tolerance": -1.0}, "tolerance must be a finite number >= 0"),
        ({"confidence": 95}, "confidence must lie strictly between 0 and 1"),
    ],
)
def test_errors_say_what_was_found_and_expected(results_and_groups, kwargs, message):
    results, groups = results_and_groups
    with pytest.raises(StatsError) as caught:
        compare_groups(results, groups, **kwargs)
    assert message in str(caught.value)
    assert isinstance(caught.value, AlignmentError) and isinstance(caught.value, ValueError)


def test_three_groups_need_an_order(results_and_groups):
    results, groups = results_and_groups
    groups = groups.copy()
    groups.loc[groups.index[:5], "group"] = "Other"
    with pytest.raises(StatsError, match=r"found 3 group\(s\).*pass order"):
        compare_groups(results, groups)
    assert len(compare_groups(results, groups, order=["PSI", "CI"])) == 6


def test_missing_columns_are_named(results_and_groups):
    results, groups = results_and_groups
    with pytest.raises(StatsError, match="results table lacks column\\(s\\) 'status'"):
        compare_groups(results.drop(columns="status"), groups)
    with pytest.raises(StatsError, match="groups table lacks column 'group'"):
        compare_groups(results, groups.rename(columns={"group": "arm"}))
    with pytest.raises(TypeError, match="results table must be a pandas DataFrame"):
        compare_groups([1, 2], groups)


def test_no_variation_in_one_group_is_reported_not_tested():
    results = pd.DataFrame(
        {
            "case": [f"c{i}" for i in range(8)],
            "measure": "hka",
            "status": "ok",
            "value": [1.0, 1.0, 1.0, 1.0, 2.0, 2.5, 3.0, 1.5],
            "group": ["A"] * 4 + ["B"] * 4,
        }
    )
    for test in ("welch", "student", "mannwhitney", "auto"):
        row = compare_groups(results, metric="value", order=["A", "B"], test=test).iloc[0]
        assert math.isnan(row["p_value"]) and math.isnan(row["statistic"]), test
        assert row["test_reason"] == "not tested: no variation in A"
        assert "no variation in A" in row["notes"]
        assert row["mean_diff"] == pytest.approx(-1.25) and row["sd1"] == 0.0
