"""The HTML report: one row per case, comparison values, order, escaping, self-containment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alignment.report import box_plot_svg, render_report, write_overlay, write_report
from alignment.stats import compare_groups
from alignment.stats.tables import format_mean_sd
from tests.report.cohort import Cohort

CASE_ROW = re.compile(r'<tr class="case (\w+)" data-status="(\w+)" data-image="([^"]*)"')


def _rows(page: str) -> list[tuple[str, str]]:
    """(status, image key as escaped in the page) of each case row, in page order."""
    return [(m.group(2), m.group(3)) for m in CASE_ROW.finditer(page)]


def _comparison(cohort: Cohort) -> pd.DataFrame:
    return compare_groups(cohort.results, cohort.groups, measures=["hka", "mldfa", "mpta"])


@pytest.fixture(scope="module")
def page(cohort: Cohort) -> str:
    return render_report(
        results=cohort.results,
        comparison=_comparison(cohort),
        landmarks=cohort.landmarks,
        errors=cohort.errors,
        groups=cohort.groups,
    )


def test_one_row_per_image_failed_then_flagged_then_ok(page: str, cohort: Cohort):
    rows = _rows(page)
    images = sorted(cohort.films) + list(cohort.errors["image"])
    assert sorted(image for _, image in rows) == sorted(images)
    statuses = [status for status, _ in rows]
    assert statuses == sorted(statuses, key=["failed", "flagged", "ok"].index)
    assert rows[0] == ("failed", "films/broken0.dcm")
    assert ("flagged", "films/case00.dcm") in rows  # its right ankle is missing
    assert "ok" in statuses
    for status in ("failed", "flagged", "ok"):  # by image key within each status
        keys = [image for s, image in rows if s == status]
        assert keys == sorted(keys)


def test_flagged_items_name_the_missing_landmark(page: str):
    cases = page[page.index('id="cases"') :]
    row = cases[cases.index('data-image="films/case00.dcm"') :]
    row = row[: row.index("</tr>")]
    assert "R AP HKA, MPTA, FTC" in row
    assert "missing landmark(s): ankle_center" in row


def test_comparison_values_are_shown(page: str, cohort: Cohort):
    comparison = _comparison(cohort)
    for row in comparison.to_dict("records"):
        assert format_mean_sd(row["mean1"], row["sd1"]) in page
        assert format_mean_sd(row["mean2"], row["sd2"]) in page
        assert f'data-measure="{row["measure"]}"' in page
    assert f"n {comparison['group1'].iloc[0]}" in page
    assert "Hedges" in page


def test_p_values_formatted(cohort: Cohort):
    comparison = pd.DataFrame({
        "measure": ["hka", "mpta"], "metric": "abs_deviation", "unit": "deg",
        "group1": "PSI", "group2": "CI", "n1": 20, "n2": 21, "mean1": [1.23, 2.0],
        "sd1": [0.45, 1.0], "mean2": [3.21, 2.1], "sd2": [1.5, 1.1], "mean_diff": [-1.98, -0.1],
        "ci_low": [-2.6, -0.8], "ci_high": [-1.3, 0.6], "test": "welch",
        "statistic": [-5.6, -0.3], "p_value": [0.0000123, 0.7654], "p_holm": [0.0000246, 0.7654],
        "effect_size": [-1.7, -0.09], "effect_size_type": "hedges_g",
        "outliers1": [0, 2], "outliers2": [7, 3], "outlier_p_value": [0.0093, 1.0],
    })  # fmt: skip
    page = render_report(results=cohort.results, comparison=comparison, groups=cohort.groups)
    table = page[page.index('id="comparison"') : page.index('id="plots"')]
    assert "1.2 ± 0.5" in table and "3.2 ± 1.5" in table
    assert "-2.0 [-2.6, -1.3]" in table
    assert table.count("&lt; 0.001</td>") == 2  # P and P (Holm) of hka
    assert "0.765" in table and "0.009" in table
    assert "-1.70 (g)" in table
    assert "n PSI" in table and "PSI mean ± SD" in table


def test_no_comparison_says_so(cohort: Cohort):
    page = render_report(results=cohort.results)
    assert "No group comparison" in page
    assert '<svg class="plot"' in page  # still plots, one group "all"
    assert ">all</text>" in page


def test_plots_one_per_measure_by_group(page: str):
    plots = page[page.index('id="plots"') : page.index('id="outliers"')]
    assert plots.count('<svg class="plot"') == 3  # the comparison's measures
    assert plots.count(">PSI</text>") == 3 and plots.count(">CI</text>") == 3
    assert 'fill="#D55E00"' in plots  # outliers drawn in the warning colour
    assert "absolute deviation from target" in plots


def test_outlier_rates(page: str, cohort: Cohort):
    rates = page[page.index('id="outliers"') : page.index('id="cases"')]
    legs = cohort.results[(cohort.results["measure"] == "hka") & cohort.results["outlier"].notna()]
    k = int(legs["outlier"].astype(bool).sum())
    assert 'data-measure="hka"' in rates
    assert "180 ± 3" in rates
    total = sum(int(n) for n in re.findall(r"\d+ / (\d+) \(", rates.split('data-measure="hka"')[1]
                                           .split("</tr>")[0]))  # fmt: skip
    assert total == len(legs)
    found = sum(int(n) for n in re.findall(r"(\d+) / \d+ \(", rates.split('data-measure="hka"')[1]
                                           .split("</tr>")[0]))  # fmt: skip
    assert found == k


def test_text_is_escaped(cohort: Cohort):
    results = cohort.results.copy()
    for column in ("image", "case"):
        results[column] = results[column].astype(str)
    evil = "<script>alert(1)</script>&\"'.dcm"
    results.loc[results["image"] == "films/case01.dcm", "image"] = evil
    groups = cohort.groups.replace({"CI": "CI <b>&</b>"})
    errors = pd.DataFrame({"image": ["<img src=x onerror=alert(2)>"], "stage": ["read"],
                           "error": ["bad <tag> & \"quote\""]})  # fmt: skip
    page = render_report(results=results, errors=errors, groups=groups,
                         title="<i>Study</i>", manifest={"<k>": "<v>"})  # fmt: skip
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<b>&</b>" not in page and "<i>Study</i>" not in page and "<k>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;&#39;.dcm" in page  # markupsafe's
    assert "CI &lt;b&gt;&amp;&lt;/b&gt;" in page
    assert "bad &lt;tag&gt; &amp; &#34;quote&#34;" in page
    assert page.count("<script>") == 1  # the page's own


def test_self_contained_with_thumbnails_and_relative_links(tmp_path: Path, cohort: Cohort):
    (tmp_path / "overlays").mkdir()
    overlays = {}
    for image, film in cohort.films.items():
        relative = f"overlays/{Path(image).stem} #1.png"  # a space and a hash to quote
        write_overlay(tmp_path / relative, film, cohort.landmarks, cohort.results, image=image)
        overlays[image] = relative
    overlays["films/broken0.dcm"] = "overlays/absent.png"
    path = write_report(tmp_path / "report.html", results=cohort.results, errors=cohort.errors,
                        overlays=overlays, groups=cohort.groups)  # fmt: skip
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(cohort.films)
    assert all(s.startswith("data:image/jpeg;base64,") for s in sources)
    links = re.findall(r'<a href="([^"#][^"]*)"', page)
    assert "overlays/case00%20%231.png" in links and "overlays/absent.png" in links
    assert not re.search(r"https?://", page)
    assert '<link rel="stylesheet"' not in page and "<script src" not in page
    assert "Content-Security-Policy" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlays", "report.html"]


def test_nothing_but_the_tables_keys_reach_the_page(cohort: Cohort):
    landmarks = cohort.landmarks.assign(patient_name="DOE^JANE", patient_id="PID-12345")
    errors = cohort.errors.assign(patient_birth_date="19700101")
    page = render_report(results=cohort.results, landmarks=landmarks, errors=errors[
        ["image", "stage", "error"]])  # fmt: skip
    for secret in ("DOE^JANE", "PID-12345", "19700101"):
        assert secret not in page


def test_deterministic(cohort: Cohort):
    kwargs: dict[str, Any] = {
        "results": cohort.results,
        "errors": cohort.errors,
        "groups": cohort.groups,
    }
    assert render_report(**kwargs) == render_report(**kwargs)


@pytest.mark.parametrize("kind", ["case", "image", "mapping"])
def test_groups_by_case_image_or_mapping(cohort: Cohort, kind: str):
    if kind == "case":
        groups: object = cohort.groups
    elif kind == "image":
        groups = pd.DataFrame({"image": [f"films/{c}.dcm" for c in cohort.groups["case"]],
                               "group": cohort.groups["group"]})  # fmt: skip
    else:
        groups = dict(zip(cohort.groups["case"], cohort.groups["group"], strict=True))
    page = render_report(results=cohort.results, groups=groups)  # type: ignore[arg-type]
    assert "CI: 3 cases, PSI: 3 cases" in page


def test_results_without_group_show_no_group(cohort: Cohort):
    groups = cohort.groups.iloc[:4]
    page = render_report(results=cohort.results, groups=groups)
    assert "(no group)" in page


def test_empty_results_and_only_errors(cohort: Cohort):
    empty = cohort.results.iloc[:0]
    page = render_report(results=empty, errors=cohort.errors)
    assert _rows(page) == [("failed", "films/broken0.dcm")]
    assert "No measured values to plot" in page


def test_bad_arguments():
    results = pd.DataFrame({"image": ["a"], "measure": ["hka"]})
    with pytest.raises(TypeError, match="results must be a pandas DataFrame, got list"):
        render_report(results=[])
    with pytest.raises(ValueError, match="results lacks column"):
        render_report(results=results.drop(columns="measure"))
    with pytest.raises(ValueError, match="groups must have columns case,group or image,group"):
        render_report(results=results, groups=pd.DataFrame({"case": ["a"], "arm": ["x"]}))
    with pytest.raises(TypeError, match="groups must be a DataFrame or a mapping, got list"):
        render_report(results=results, groups=[])
    with pytest.raises(TypeError, match="errors must be a pandas DataFrame, got dict"):
        render_report(results=results, errors={})
    with pytest.raises(ValueError, match="thumbnail_height must be an integer >= 16"):
        render_report(results=results, thumbnail_height=4)


def test_box_plot_quartiles_and_whiskers():
    values = [float(v) for v in range(1, 10)] + [40.0]
    svg = box_plot_svg([("A", values, [False] * 9 + [True], [str(v) for v in values])],
                       height=220)  # fmt: skip
    top, plot_h = 26, 220 - 26 - 34
    low, high = 1.0 - 39 * 0.06, 40.0 + 39 * 0.06

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    q1, median, q3 = np.percentile(values, [25, 50, 75])
    assert f'y="{y(q3):.1f}"' in svg  # box top
    assert f'y1="{y(median):.1f}"' in svg  # median line
    assert f'y1="{y(9.0):.1f}"' in svg  # upper whisker at 9, not at the outlier 40
    assert svg.count('fill="#D55E00"') == 1
    assert svg.count("<circle") == 10


def test_results_read_back_from_csv_give_the_same_report(tmp_path: Path, cohort: Cohort):
    """A batch may hand over results.csv read back: text outliers, NaN flags, no categories."""
    cohort.results.to_csv(tmp_path / "results.csv", index=False)
    cohort.errors.to_csv(tmp_path / "errors.csv", index=False)
    results = pd.read_csv(tmp_path / "results.csv", keep_default_na=True)
    errors = pd.read_csv(tmp_path / "errors.csv")
    assert results["outlier"].dtype == object  # "True", "False" and NaN
    page = render_report(results=results, errors=errors, groups=cohort.groups)
    expected = render_report(results=cohort.results, errors=cohort.errors, groups=cohort.groups)
    assert _rows(page) == _rows(expected)
    rates = page[page.index('id="outliers"') : page.index('id="cases"')]
    assert rates == expected[expected.index('id="outliers"') : expected.index('id="cases"')]


def test_template_escapes_a_file_name(cohort: Cohort):
    results = cohort.results.copy()
    results["image"] = results["image"].astype(str).replace("films/case01.dcm", "<script>x.dcm")
    page = render_report(results=results)
    assert "&lt;script&gt;x.dcm" in page and "<script>x" not in page


def test_review_links_say_they_live_with_their_server(cohort: Cohort):
    link = "http://127.0.0.1:8765/?token=abc#film=0123"
    linked = render_report(results=cohort.results, review_links={"films/case00.dcm": link})
    anchor = re.search(rf'<a href="{re.escape(link)}" title="([^"]*)">', linked)
    assert anchor is not None
    assert "works while the review server" in anchor.group(1)
    cases = linked[linked.index('<section id="cases">') :]
    cases = cases[: cases.index("</section>")]
    note = cases[cases.index("</table>") :]
    assert "works while that review server runs" in note
    assert "rerun the batch with the review running" in note
    plain = render_report(results=cohort.results)
    assert "review server" not in plain
