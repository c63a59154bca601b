"""What "flagged" means (review_reasons), the films to look at, the signed deviation
panels, and links that survive moving the report's folder."""

from __future__ import annotations

import re
import shutil
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from alignment.report import render_report, write_overlay, write_report
from alignment.report.deviation import DEVIATION_SIDES, deviation_sides, deviation_strip_svg
from alignment.report.triage import FAR_FROM_TARGET, review_reasons
from tests.report.cohort import Cohort


def _results(**columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"image": ["a.dcm"] * n, "side": ["right"] * n, "view": ["AP"] * n,
            "measure": ["hka"] * n, "status": ["ok"] * n, "reason": [""] * n,
            "target": [180.0] * n, "tolerance": [3.0] * n, "deviation": [0.0] * n,
            "flags": [""] * n}  # fmt: skip
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"deviation": [5.9]}, []),  # an outlier, but within two tolerances
        ({"deviation": [-6.5]}, ["R AP HKA -6.5 deg from target (tolerance 3)"]),
        ({"status": ["missing"], "reason": ["missing ankle_center"], "deviation": [None]},
         ["R AP HKA not computed: missing ankle_center"]),
        # not applicable: no target for this knee (or no target at all)
        ({"status": ["missing"], "target": [None], "deviation": [None]}, []),
        ({"flags": ["review"]}, ["R AP flagged review"]),
        ({"flags": ["no_spacing;orientation_conflict"]},
         ["R AP flagged orientation conflict"]),
        ({"flags": ["no_spacing"]}, []),
    ],
)  # fmt: skip
def test_review_reasons_rules(row: dict, expected: list[str]):
    reasons = review_reasons(_results(**row))
    assert reasons["reason"].tolist() == expected
    assert set(reasons["image"]) <= {"a.dcm"}


def test_far_from_target_is_two_tolerances():
    assert FAR_FROM_TARGET == 2.0
    assert len(review_reasons(_results(deviation=[6.0]))) == 0  # exactly two: not beyond
    assert len(review_reasons(_results(deviation=[6.01]))) == 1


def test_review_reasons_needs_images():
    with pytest.raises(ValueError, match="results lacks column image"):
        review_reasons(pd.DataFrame({"measure": ["hka"]}))


def test_failed_films_are_not_flagged_and_the_look_list_says_why(cohort: Cohort):
    results = cohort.results.copy()
    far = (results["image"] == "films/case01.dcm") & (results["measure"] == "hka")
    results.loc[far, "deviation"] = 9.0
    errors = pd.concat(
        [
            cohort.errors,
            pd.DataFrame(
                {"image": ["films/case02.dcm"], "stage": ["overlay"], "error": ["disk full"]}
            ),
        ],  # fmt: skip
        ignore_index=True,
    )
    page = render_report(results=results, errors=errors)
    look = page[page.index('id="review"') : page.index('id="comparison"')]
    rows = dict(re.findall(r'data-image="([^"]+)">.*?<span class="badge (\w+)"', look, re.S))
    assert rows["films/case01.dcm"] == "flagged"
    assert rows["films/case02.dcm"] == "failed"  # an error: failed, whatever its values
    assert rows["films/case00.dcm"] == "flagged"  # its right ankle is missing
    assert "films/case03.dcm" not in rows  # nothing to look at
    assert "HKA +9.0 deg from target (tolerance 3)" in look
    # the measures of one leg missing for one reason are named together
    assert "R AP HKA, MPTA, FTC not computed: missing landmark(s): ankle_center" in look
    assert "overlay: disk full" in look
    cases = page[page.index('id="cases"') :]
    assert 'data-status="ok" data-image="films/case03.dcm"' in cases


def test_deviation_sides_follow_the_spec_signs():
    # hka < 180 varus; mLDFA above normal is femoral varus; MPTA below is tibial varus
    assert DEVIATION_SIDES["hka"] == ("varus", "valgus")
    assert DEVIATION_SIDES["mldfa"] == ("valgus", "varus")
    assert DEVIATION_SIDES["mpta"] == ("varus", "valgus")
    assert DEVIATION_SIDES["lfc"] == ("flexion", "extension")
    assert deviation_sides("ama") == ("below target", "above target")


def test_deviation_strip_places_signs_left_and_right():
    svg = deviation_strip_svg([-4.0, 2.0], ["a", "b"], limit=8.0, tolerance=3.0,
                              sides=("varus", "valgus"), width=200)  # fmt: skip
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    middle = 8 + (200 - 16) / 2
    assert xs[0] < middle < xs[1]  # negative left, positive right
    assert re.search(r">&#8592; varus</text>", svg) and re.search(r">valgus &#8594;</text>", svg)
    assert svg.count("#D55E00") == 1  # only -4 is beyond the tolerance
    with pytest.raises(ValueError, match="limit must be positive"):
        deviation_strip_svg([], [], limit=0.0, tolerance=None, sides=("a", "b"))


def test_deviation_panels_one_row_per_measure_one_column_per_group(cohort: Cohort):
    page = render_report(results=cohort.results, groups=cohort.groups)
    section = page[page.index('id="deviations"') : page.index('id="plots"')]
    measures = re.findall(r'<div class="row-head" data-measure="(\w+)"', section)
    assert "hka" in measures and len(measures) == len(set(measures))
    assert section.count('<svg class="plot deviation"') == 2 * len(measures)  # PSI and CI
    assert section.count('class="col-head"') == 2 and section.count('class="axis-foot"') == 2
    assert "varus" in section and "valgus" in section


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.targets.append(value)


def test_links_work_after_moving_the_report_folder(tmp_path: Path, cohort: Cohort):
    out = tmp_path / "run"
    (out / "overlays").mkdir(parents=True)
    overlays = {}
    for image, film in cohort.films.items():
        relative = f"overlays/{Path(image).stem} #1.png"
        write_overlay(out / relative, film, cohort.landmarks, cohort.results, image=image)
        overlays[image] = relative
    cohort.results.to_csv(out / "results.csv", index=False)
    cohort.errors.to_csv(out / "errors.csv", index=False)
    write_report(out / "report.html", results=cohort.results, errors=cohort.errors,
                 overlays=overlays, files=["results.csv", "errors.csv"])  # fmt: skip
    moved = shutil.move(out, tmp_path / "elsewhere" / "moved")
    parser = _Links()
    parser.feed((Path(moved) / "report.html").read_text(encoding="utf-8"))
    ids = set(re.findall(r'id="([^"]+)"', (Path(moved) / "report.html").read_text("utf-8")))
    files = [t for t in parser.targets if not t.startswith(("data:", "#"))]
    assert len(files) == len(cohort.films) + 2  # the overlays, results.csv, errors.csv
    for target in files:
        assert not urllib.parse.urlsplit(target).scheme and not target.startswith("/")
        assert (Path(moved) / urllib.parse.unquote(target)).is_file(), target
    for target in parser.targets:
        if target.startswith("#"):
            assert urllib.parse.unquote(target[1:]) in {urllib.parse.unquote(i) for i in ids}
