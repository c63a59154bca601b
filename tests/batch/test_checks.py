"""Bad batch inputs are refused before any image is read, with one line naming the file."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from alignment.batch import pipeline, run_batch
from alignment.cli import exitcodes, main
from alignment.errors import ImageReadError, LandmarkFileError


@pytest.fixture
def no_processing(monkeypatch):
    """Fail the test if any image reaches a worker."""

    def forbidden(*args, **kwargs):
        raise AssertionError("an image was processed before the inputs were checked")

    monkeypatch.setattr(pipeline, "run_tasks", forbidden)


def _batch(capsys, *argv: str) -> tuple[int, str]:
    started = time.monotonic()
    code = main(["batch", *argv])
    assert time.monotonic() - started < 10
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("missing.csv", "groups file not found"),
        ("one_group.csv", "needs two groups or more, found 1 ('PSI')"),
        ("no_group.csv", "lacks column 'group'"),
        ("case001_AP.dcm", "not a readable CSV table"),
    ],
)
def test_bad_groups_file_exits_3_before_any_image(
    study, tmp_path, capsys, no_processing, groups, message
):
    pd.DataFrame({"case": ["case001", "case002"], "group": ["PSI", "PSI"]}).to_csv(
        study / "one_group.csv", index=False
    )
    pd.DataFrame({"case": ["case001"], "arm": ["PSI"]}).to_csv(study / "no_group.csv", index=False)
    path = study / groups
    code, err = _batch(capsys, str(study), "--out", str(tmp_path / "out"), "--groups", str(path))
    assert code == exitcodes.INPUT_ERROR
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], err


def test_cases_missing_from_groups_are_named_in_a_warning(study, tmp_path, caplog):
    groups = pd.read_csv(study / "groups.csv", dtype=str)
    groups[~groups["case"].isin(["case003", "case005"])].to_csv(study / "g.csv", index=False)
    with caplog.at_level("WARNING", logger="alignment.batch.pipeline"):
        run_batch(study, tmp_path / "out", groups=study / "g.csv", overlays=False, report=False,
                  jobs=0)  # fmt: skip
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("2 case(s)" in w and "case003, case005" in w for w in warned), warned


def test_misspelt_landmark_header_names_file_and_column(study, tmp_path, capsys, no_processing):
    path = study / "landmarks.csv"
    text = path.read_text().splitlines()
    text[0] = text[0].replace("landmark,", "landmrak,", 1)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(LandmarkFileError, match="no 'landmark' column .*'landmrak'"):
        run_batch(study, tmp_path / "out", jobs=0)
    code, err = _batch(capsys, str(study), "--out", str(tmp_path / "out2"))
    assert code == exitcodes.INPUT_ERROR
    assert f"{path}: looks like a landmark table but has no 'landmark' column" in err
    assert len(err.strip().splitlines()) == 1


def test_unreadable_named_landmark_file_is_an_error(study, tmp_path, no_processing):
    marks = tmp_path / "marks.csv"
    marks.write_text("image,side,view,landmark,x,y\ncase001_AP.dcm,left,AP,ankle_center,a,b\n")
    with pytest.raises(LandmarkFileError, match="marks.csv"):
        run_batch(study, tmp_path / "out", landmarks=marks, jobs=0)


def test_results_table_is_not_taken_for_a_landmark_file(study, tmp_path):
    pd.DataFrame({"image": ["x"], "side": ["left"], "view": ["AP"], "value": [1.0]}).to_csv(
        study / "old_results.csv", index=False
    )
    result = run_batch(study, tmp_path / "out", overlays=False, report=False, jobs=0)
    assert not result.completed_with_errors


@pytest.mark.parametrize(
    "option",
    [
        ["--jobs", "-1"],
        ["--jobs", "two"],
        ["--time-limit", "-5"],
        ["--set", "hka.tolerance=x"],
        ["--set", "nope.target=1"],
        ["--preset", "no-such-preset"],
    ],  # fmt: skip
)
def test_bad_option_values_are_refused_before_work(study, tmp_path, capsys, no_processing, option):
    code, err = _batch(capsys, str(study), "--out", str(tmp_path / "out"), *option)
    assert code in (exitcodes.USAGE_ERROR, exitcodes.INPUT_ERROR)
    assert code == exitcodes.USAGE_ERROR or len(err.strip().splitlines()) == 1
    assert "internal error" not in err


def test_folder_without_films_is_not_success(tmp_path, capsys):
    folder = tmp_path / "tables"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        (folder / name).write_text("case,group\n")
    with pytest.raises(ImageReadError, match="no DICOM, PNG, JPEG or TIFF found in"):
        run_batch(folder, tmp_path / "out")
    code, err = _batch(capsys, str(folder), "--out", str(tmp_path / "out"))
    assert code == exitcodes.INPUT_ERROR
    assert f"no DICOM, PNG, JPEG or TIFF found in {folder} (found 3 CSV files)" in err
    assert not (tmp_path / "out").exists()  # nothing written for nothing done


def test_detect_on_a_folder_without_films_is_not_success(tmp_path, capsys):
    (tmp_path / "notes.csv").write_text("a\n")
    code = main(["detect", str(tmp_path), "--out", str(tmp_path / "marks.csv")])
    assert code == exitcodes.INPUT_ERROR
    assert "no DICOM, PNG, JPEG or TIFF found" in capsys.readouterr().err
