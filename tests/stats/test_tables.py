"""Publication tables and the four output formats."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from alignment.errors import StatsError
from alignment.stats import (
    compare_groups,
    format_mean_sd,
    format_p,
    publication_table,
    render_table,
    table_format,
)


@pytest.mark.parametrize(
    ("p", "kwargs", "text"),
    [
        (0.0004, {}, "< 0.001"),
        (0.001, {}, "0.001"),
        (0.04567, {}, "0.046"),
        (0.04567, {"decimals": 2}, "0.05"),
        (0.004, {"decimals": 2}, "< 0.01"),
        (0.03, {"threshold": 0.05}, "< 0.05"),
        (math.nan, {}, ""),
    ],
)
def test_format_p(p, kwargs, text):
    assert format_p(p, **kwargs) == text


def test_format_mean_sd():
    assert format_mean_sd(80.0, 12.7) == "80.0 ± 12.7"
    assert format_mean_sd(0.2, 0.04, decimals=1) == "0.2 ± 0.0"
    assert format_mean_sd(1.234, math.nan, decimals=2) == "1.23"
    assert format_mean_sd(math.nan, 1.0) == ""


def test_the_papers_layout(results_and_groups):
    results, groups = results_and_groups
    compared = compare_groups(results, groups, order=["PSI", "CI"], measures=["hka", "fta"])
    laid = publication_table(compared, decimals=2, labels={"hka": "HKA deviation"})
    assert laid.columns[0] == "Measure" and laid.columns[3] == "P"
    assert laid.columns[1].startswith("PSI") and laid.columns[2].startswith("CI")
    row = compared.iloc[0]
    assert laid.iloc[0, 0] == "HKA deviation"
    assert laid.iloc[0, 1].startswith(f"{row['mean1']:.2f} ± {row['sd1']:.2f}")
    assert laid.iloc[0, 3] == format_p(row["p_value"])
    assert laid["Outliers PSI"].iloc[0] == f"{row['outliers1']} ({row['outlier_pct1']:.2f}%)"


def test_csv_keeps_full_precision_and_reads_back_exactly():
    table = pd.DataFrame({"measure": ["a", "b"], "p_value": [1 / 3, 2.0**-60], "n1": [3, 4]})
    text = render_table(table, format="csv")
    again = pd.read_csv(io.StringIO(text))
    assert again["p_value"].tolist() == table["p_value"].tolist()  # bit for bit


def test_markdown_tex_and_html_round_and_escape():
    table = pd.DataFrame({"measure": ["a_b|c"], "value": [1.23456], "note": ["x < y & z"]})
    md = render_table(table, format="md", decimals=2, caption="Table 1")
    assert md.splitlines()[0] == "Table 1"
    assert "| a_b\\|c | 1.23 | x < y & z |" in md
    tex = render_table(table, format="tex", decimals=1)
    assert r"a\_b|c & 1.2 & x $<$ y \& z \\" in tex and r"\begin{tabular}{lrr}" in tex
    html = render_table(table, format="html")
    assert "<td>x &lt; y &amp; z</td>" in html and "<td>1.235</td>" in html
    with pytest.raises(StatsError, match="unknown format 'xlsx'"):
        render_table(table, format="xlsx")


def test_format_from_suffix():
    assert [table_format(p) for p in ("a.csv", "a.MD", "a.tex", "a.html", "a.txt")] == [
        "csv",
        "md",
        "tex",
        "html",
        "csv",
    ]


def test_varying_n_goes_into_cells():
    table = pd.DataFrame(
        {
            "measure": ["a", "b"],
            "group1": "A",
            "group2": "B",
            "n1": [10, 9],
            "n2": [11, 11],
            "mean1": [1.0, 2.0],
            "sd1": [0.1, 0.2],
            "mean2": [1.5, 2.5],
            "sd2": [0.1, np.nan],
            "p_value": [0.5, 0.01],
        }
    )
    laid = publication_table(table)
    assert list(laid.columns) == ["Measure", "A", "B", "P"]
    assert laid.iloc[1].tolist() == ["b", "2.0 ± 0.2 (n = 9)", "2.5 (n = 11)", "0.010"]


def test_publication_table_adds_the_adjusted_difference_and_the_power():
    from alignment.stats import publication_table

    table = pd.DataFrame(
        {
            "measure": ["hka", "fta"], "group1": "PSI", "group2": "CI", "n1": 20, "n2": 22,
            "mean1": [1.0, 1.2], "sd1": [0.5, 0.6], "mean2": [2.0, 1.4], "sd2": [0.9, 0.7],
            "p_value": [0.0002, 0.3], "adjusted_diff": [-0.93, -0.12],
            "adjusted_ci_low": [-1.41, -0.5], "adjusted_ci_high": [-0.44, 0.26],
            "adjusted_p_value": [0.0004, 0.52], "power_difference": 1.0,
            "power": [0.874, 0.912],
        }
    )  # fmt: skip
    laid = publication_table(table)
    assert laid.iloc[0][["Adjusted difference", "P (adjusted)", "Power (1)"]].tolist() == [
        "-0.9 [-1.4, -0.4]",
        "< 0.001",
        "87%",
    ]
    plain = publication_table(table, power=False, adjusted=False)
    assert list(plain.columns) == ["Measure", "PSI (n = 20)", "CI (n = 22)", "P"]
