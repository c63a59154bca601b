"""Forest plot: valid SVG, one estimate per measure, CIs placed on the axis, in the report."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from alignment.errors import StatsError
from alignment.report import render_report
from alignment.report.forest import forest_plot_svg, write_forest_plot
from alignment.stats import compare_groups
from tests.stats.conftest import make_results

SVG = "{http://www.w3.org/2000/svg}"


def _table(**extra):
    return pd.DataFrame(
        {
            "measure": ["hka", "fta", "mad_mm"],
            "metric": "abs_deviation",
            "group1": "PSI",
            "group2": "CI",
            "mean_diff": [-0.8, 0.4, np.nan],
            "ci_low": [-1.4, -0.2, np.nan],
            "ci_high": [-0.2, 1.0, np.nan],
            "p_value": [0.012, 0.3, np.nan],
            "unit": ["deg", "deg", "mm"],
        }
        | extra
    )


def test_svg_is_well_formed_with_one_estimate_per_finite_row():
    root = ET.fromstring(forest_plot_svg(_table()))
    assert root.tag == f"{SVG}svg"
    estimates = root.findall(f".//{SVG}rect[@class='estimate']")
    lines = root.findall(f".//{SVG}line[@class='ci']")
    assert len(estimates) == 2 and len(lines) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "-0.80 [-1.40, -0.20], P = 0.012" in texts and "n/a" in texts
    assert "Difference in absolute deviation: PSI - CI" in texts


def test_estimates_and_cis_sit_where_the_axis_says():
    root = ET.fromstring(forest_plot_svg(_table()))
    zero = root.find(f".//{SVG}line[@class='zero']")
    assert zero is not None
    x0 = float(zero.get("x1"))
    for rect, line, (est, low, high) in zip(
        root.findall(f".//{SVG}rect[@class='estimate']"),
        root.findall(f".//{SVG}line[@class='ci']"),
        [(-0.8, -1.4, -0.2), (0.4, -0.2, 1.0)],
        strict=True,
    ):
        centre = float(rect.get("x")) + 5.0
        x_low, x_high = float(line.get("x1")), float(line.get("x2"))
        assert x_low < centre < x_high
        # one scale: pixel distances are proportional to differences
        scale = (x_high - x_low) / (high - low)
        assert centre - x0 == pytest.approx(scale * est, abs=0.2)


def test_adjusted_plot_uses_the_adjusted_columns():
    table = _table(
        adjusted_diff=[-0.5, 0.1, np.nan],
        adjusted_ci_low=[-0.9, -0.3, np.nan],
        adjusted_ci_high=[-0.1, 0.5, np.nan],
        adjusted_p_value=[0.02, 0.6, np.nan],
    )
    svg = forest_plot_svg(table, adjusted=True)
    assert "-0.50 [-0.90, -0.10], P = 0.020" in svg and "Adjusted difference" in svg
    with pytest.raises(StatsError, match="adjusted_diff"):
        forest_plot_svg(_table(), adjusted=True)


def test_writes_svg_only(tmp_path):
    path = write_forest_plot(_table(), tmp_path / "forest.svg")
    ET.parse(path)
    with pytest.raises(StatsError, match=r"name the file \*\.svg"):
        write_forest_plot(_table(), tmp_path / "forest.png")


def test_report_shows_the_forest_plot_of_its_comparison():
    results, groups = make_results(seed=2)
    comparison = compare_groups(results, groups, order=["PSI", "CI"], cluster="gee")
    page = render_report(results=results, comparison=comparison, groups=groups)
    section = re.search(r'<section id="forest">(.*?)</section>', page, re.S)
    assert section is not None
    assert section.group(1).count('class="estimate"') == len(comparison)
    assert "legs clustered by patient" in section.group(1)
    bare = render_report(results=results)
    assert "No group comparison" in re.search(
        r'<section id="forest">(.*?)</section>', bare, re.S
    ).group(1)
