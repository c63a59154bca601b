"""The batch with automatic detection: --detect and --detect missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from alignment.batch import run_batch

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_images"


@pytest.fixture
def films(tmp_path) -> Path:
    """Two patients' films, without any landmark file."""
    folder = tmp_path / "films"
    folder.mkdir()
    for path in SAMPLES.glob("case00[12]_*.dcm"):
        shutil.copy(path, folder)
    return folder


def test_detect_all_measures_films_without_landmark_files(films, tmp_path):
    result = run_batch(films, tmp_path / "out", detect="all", report=False, jobs=2)
    landmarks = pd.read_csv(tmp_path / "out" / "landmarks.csv")
    assert set(landmarks["source"]) == {"detector"}
    assert landmarks["confidence"].between(0, 1).all()
    assert {"method", "review"} <= set(landmarks.columns)
    assert result.results["image"].nunique() >= 1 and (result.results["status"] == "ok").any()
    assert set(result.errors["stage"]) <= {"detect"}  # what it could not find, said
    reviewed = landmarks.loc[landmarks["review"], ["image", "side", "view"]].drop_duplicates()
    for row in reviewed.itertuples(index=False):
        rows = result.results[(result.results["image"] == row.image)
                              & (result.results["side"] == row.side)]  # fmt: skip
        assert rows["flags"].astype(str).str.contains("review").all()


def test_detect_missing_keeps_the_landmark_files(films, tmp_path):
    table = pd.read_csv(SAMPLES / "landmarks.csv")
    table[table["image"] == "case001_AP.dcm"].to_csv(films / "landmarks.csv", index=False)
    run_batch(films, tmp_path / "out", detect="missing", report=False, overlays=False, jobs=2)
    used = pd.read_csv(tmp_path / "out" / "landmarks.csv")
    sources = used.groupby("image")["source"].unique().map(list).to_dict()
    assert sources.pop("case001_AP.dcm") == ["file"]
    assert all(s == ["detector"] for s in sources.values())


def test_detected_films_get_their_case_and_are_compared(films, tmp_path):
    """Detection knows the film, not the patient: the case comes from the file name
    (``case001_AP.dcm``), so a ``case,group`` table groups the detected films."""
    groups = pd.DataFrame({"case": ["case001", "case002"], "group": ["A", "B"]})
    result = run_batch(
        films, tmp_path / "out", detect="all", groups=groups, report=False, overlays=False, jobs=0
    )
    assert set(result.results["case"].astype(str)) == {"case001", "case002"}
    comparison = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert set(comparison["group1"]) | set(comparison["group2"]) == {"A", "B"}


def test_a_comparison_that_cannot_run_is_an_error_row(films, tmp_path):
    # Valid up front (two groups), but no case of the study is in either.
    groups = pd.DataFrame({"case": ["nobody", "ghost"], "group": ["A", "B"]})
    out = tmp_path / "out"
    result = run_batch(
        films, out, detect="all", groups=groups, report=False, overlays=False, jobs=0
    )
    assert (out / "results.csv").is_file() and not (out / "comparison.csv").exists()
    compare = result.errors[result.errors["stage"] == "compare"]
    assert len(compare) == 1 and "group" in compare["error"].iloc[0]
    assert result.completed_with_errors


def test_a_landmark_file_without_cases_and_detection_agree_on_the_case(films, tmp_path):
    table = pd.read_csv(SAMPLES / "landmarks.csv").drop(columns="case")
    table[table["image"] == "case001_AP.dcm"].to_csv(films / "landmarks.csv", index=False)
    result = run_batch(
        films, tmp_path / "out", detect="missing", report=False, overlays=False, jobs=0
    )
    cases = result.results.groupby("image")["case"].first().astype(str).to_dict()
    assert cases["case001_AP.dcm"] == cases["case001_LAT.dcm"] == "case001"


def test_a_failed_comparison_names_no_case_when_pseudonymised(films, tmp_path):
    groups = pd.DataFrame({"case": ["case001", "ghost"], "group": ["A", "B"]})
    result = run_batch(
        films,
        tmp_path / "out",
        detect="all",
        groups=groups,
        pseudonymise=True,
        report=False,
        overlays=False,
        jobs=0,
    )
    compare = result.errors[result.errors["stage"] == "compare"]
    assert len(compare) == 1 and compare["image"].iloc[0] == ""
    assert "case001" not in compare["error"].iloc[0]
