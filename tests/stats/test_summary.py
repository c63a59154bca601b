"""Published summary statistics: the source study's table, GRIM and impossible SDs."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from alignment.errors import StatsError
from alignment.stats import SUMMARY_COLUMNS, grim_consistent, parse_reported_p, summary_ttests

REL = 1e-9


def test_every_reported_difference_of_the_source_study_is_recomputed_significant(source_study):
    table = summary_ttests(source_study)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert len(table) == 13
    assert (table["n1"] == 47).all() and (table["n2"] == 53).all()
    reported = table["p_reported"] == "<0.05"
    assert reported.all()
    assert (table.loc[reported, "student_p_value"] < 0.05).all()
    assert (table.loc[reported, "welch_p_value"] < 0.05).all()
    assert table["student_consistent"].all() and table["welch_consistent"].all()


def test_source_study_values_agree_with_scipy(source_study):
    table = summary_ttests(source_study).set_index("measure")
    for entry in source_study.itertuples():
        args = [float(entry.mean1), float(entry.sd1), int(entry.n1)]
        args += [float(entry.mean2), float(entry.sd2), int(entry.n2)]
        student = stats.ttest_ind_from_stats(*args, equal_var=True)
        welch = stats.ttest_ind_from_stats(*args, equal_var=False)
        row = table.loc[entry.measure]
        assert row["student_statistic"] == pytest.approx(student.statistic, rel=REL)
        assert row["student_p_value"] == pytest.approx(student.pvalue, rel=REL)
        assert row["welch_statistic"] == pytest.approx(welch.statistic, rel=REL)
        assert row["welch_p_value"] == pytest.approx(welch.pvalue, rel=REL)
        # Welch's df reproduces scipy's P through the t distribution
        assert 2 * stats.t.sf(abs(row["welch_statistic"]), row["welch_df"]) == pytest.approx(
            welch.pvalue, rel=1e-7
        )


def test_the_zero_sd_of_the_source_study_is_flagged(source_study):
    table = summary_ttests(source_study).set_index("measure")
    assert table.loc["ftc_deviation", "flags"] == "sd1_zero"
    assert (table.drop(index="ftc_deviation")["flags"] == "").all()


def test_grim():
    # Brown & Heathers' example: 28 subjects cannot average 5.19 on an integer item
    assert grim_consistent(5.19, 28, decimals=2) is False
    assert grim_consistent(5.18, 28, decimals=2) is True
    assert grim_consistent(3.5, 200, decimals=1) is None  # too many subjects to tell
    assert grim_consistent(2.33, 3, decimals=2) is True  # 7 / 3
    assert grim_consistent(2.34, 3, decimals=2) is False
    assert grim_consistent(2.50, 3, decimals=2) is False  # steps of 1/3
    assert grim_consistent(2.50, 3, decimals=2, items=2) is True  # 15 / 6


def test_grim_flags_integer_scores_as_printed():
    paper = pd.DataFrame(
        {
            "measure": ["hss", "vas"],
            "mean1": ["85.19", "2.50"],
            "sd1": ["6.1", "1.1"],
            "n1": ["28", "20"],
            "mean2": ["80.18", "3.10"],
            "sd2": ["7.0", "1.2"],
            "n2": ["28", "20"],
            "integer_items": ["1", "1"],
            "p_reported": ["0.01", "<0.05"],
        }
    )
    table = summary_ttests(paper).set_index("measure")
    assert table.loc["hss", "flags"] == "grim1_inconsistent"
    assert table.loc["vas", "flags"] == ""  # 2.50 and 3.10 are possible with n = 20
    assert not table.loc["vas", "welch_consistent"]  # recomputed P is about 0.1


def test_impossible_entries_are_flagged_without_stopping_the_rest():
    paper = pd.DataFrame(
        {
            "measure": ["a", "b"],
            "mean1": [1.0, 1.0],
            "sd1": [-1.0, 0.0],
            "n1": [10, 10],
            "mean2": [2.0, 1.0],
            "sd2": [1.0, 0.0],
            "n2": [1, 10],
        }
    )
    table = summary_ttests(paper).set_index("measure")
    assert table.loc["a", "flags"] == "sd1_negative;n2_below_2"
    assert math.isnan(table.loc["a", "welch_p_value"])
    assert table.loc["b", "flags"] == "sd1_zero;sd2_zero"
    assert "both SDs are 0" in table.loc["b", "notes"]
    assert pd.isna(table.loc["b", "student_consistent"])


def test_reported_p_parsing():
    assert parse_reported_p("<0.001") == ("<", 0.001, 3)
    assert parse_reported_p("p=0.04") == ("=", 0.04, 2)
    assert parse_reported_p(">= 0.1") == (">=", 0.1, 1)
    assert parse_reported_p("") is None
    assert parse_reported_p(float("nan")) is None


def test_errors_name_the_row_and_column():
    paper = pd.DataFrame(
        {
            "measure": ["a"],
            "mean1": ["x"],
            "sd1": [1],
            "n1": [3],
            "mean2": [1],
            "sd2": [1],
            "n2": [3],
        }
    )
    with pytest.raises(StatsError, match="summary table row 1: mean1 must be a number, got 'x'"):
        summary_ttests(paper)
    with pytest.raises(StatsError, match="lacks column\\(s\\) 'n2'"):
        summary_ttests(paper.drop(columns="n2"))
