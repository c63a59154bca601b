"""Issue 16: inputs never written, pseudonyms that hold, hostile entries, wild
coordinates, formula injection. Each test reproduces one defect found by attacking the
batch as a hostile or careless user would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from alignment.cli import exitcodes, main
from tests.batch.samples import SAMPLES, digests

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--no-overlays", "--no-report", "--jobs", "0", "--quiet"]


# --- 1: an output folder that could touch an input is refused ---------------------


def test_output_folder_that_is_the_input_is_refused(study, tmp_path, capsys):
    before = digests(study)
    code = main(["batch", str(study), "--out", str(study), *FAST])
    assert code == exitcodes.INPUT_ERROR
    assert "the output folder is the input folder" in capsys.readouterr().err
    assert digests(study) == before and not (study / ".alignment").exists()
    assert main(["batch", str(study), "--out", str(tmp_path), *FAST]) == exitcodes.INPUT_ERROR
    assert digests(study) == before  # an output folder holding the input: refused too


def test_landmark_file_inside_the_output_folder_is_refused(study, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    shutil.move(study / "landmarks.csv", out / "landmarks.csv")
    before = digests(out)
    code = main(["batch", str(study), "--landmarks", str(out / "landmarks.csv"),
                 "--out", str(out), *FAST])  # fmt: skip
    assert code == exitcodes.INPUT_ERROR
    assert "lies inside the output folder" in capsys.readouterr().err
    assert digests(out) == before  # 80 rows stay 80 rows


def test_output_inside_the_input_holding_files_is_refused(study, capsys):
    before = digests(study)
    shutil.copytree(SAMPLES, study / "more")  # films of its own, not an earlier output
    code = main(["batch", str(study), "--out", str(study / "more"), *FAST])
    assert code == exitcodes.INPUT_ERROR
    assert "not outputs of an earlier run" in capsys.readouterr().err
    assert {k: v for k, v in digests(study).items() if not k.startswith("more/")} == before


def test_landmark_folder_holding_the_output_is_walked_without_it(study, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    shutil.move(study / "landmarks.csv", marks / "all.csv")
    out = marks / "out"
    argv = ["batch", str(study), "--landmarks", str(marks), "--out", str(out), *FAST]
    assert main(argv) == exitcodes.OK
    assert main(argv) == exitcodes.OK  # its own landmarks.csv is not read back as input
    assert len(pd.read_csv(out / "errors.csv")) == 0


# --- 9: no CSV cell a spreadsheet would run ----------------------------------------

FORMULA_IMAGE = "=HYPERLINK(1)_AP.dcm"
FORMULA_CASE = "+SUM(1)"


def _formula_study(study: Path) -> None:
    """case001's AP film, case and group renamed to formulas."""
    (study / "case001_AP.dcm").rename(study / FORMULA_IMAGE)
    table = pd.read_csv(study / "landmarks.csv")
    table["image"] = table["image"].replace({"case001_AP.dcm": FORMULA_IMAGE})
    table["case"] = table["case"].replace({"case001": FORMULA_CASE})
    table.to_csv(study / "landmarks.csv", index=False)
    groups = pd.read_csv(study / "groups.csv")
    groups["case"] = groups["case"].replace({"case001": FORMULA_CASE})
    groups["group"] = groups["group"].replace({"CI": "@CI", "PSI": "-PSI"})
    groups.to_csv(study / "groups.csv", index=False)


def test_csv_cells_never_start_a_formula(study, tmp_path):
    import csv

    from alignment.csvtext import FORMULA_PREFIXES

    _formula_study(study)
    out = tmp_path / "out"
    code = main(["batch", str(study), "--out", str(out), "--groups", str(study / "groups.csv"),
                 *FAST])  # fmt: skip
    assert code == exitcodes.OK
    written = sorted(out.glob("*.csv"))
    assert {p.name for p in written} >= {"results.csv", "landmarks.csv", "comparison.csv"}
    numbers = 0
    for path in written:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    if cell.startswith(FORMULA_PREFIXES):
                        float(cell)  # only a number may start with - or +
                        numbers += 1
    assert numbers > 0  # negative deviations stay numbers
    results = pd.read_csv(out / "results.csv")
    assert f"'{FORMULA_IMAGE}" in set(results["image"])
    assert f"'{FORMULA_CASE}" in set(results["case"])
    assert (results["deviation"] < 0).any()  # still read back as numbers
    raw = pd.read_parquet(out / "results.parquet")
    assert FORMULA_IMAGE in set(raw["image"]) and FORMULA_CASE in set(raw["case"])
    comparison = pd.read_csv(out / "comparison.csv")
    assert {"'@CI", "'-PSI"} <= set(comparison["group1"]) | set(comparison["group2"])


def test_every_csv_writer_uses_the_neutralising_helper():
    """No module writes CSV text by itself (the run state in SQLite is not a CSV)."""
    allowed = {"csvtext.py", "store.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "alignment").rglob("*.py")
        if path.name not in allowed and ".to_csv(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


# --- 3 and 8: one hostile entry is one row; discovery reads no large JSON -----------


def _remove_deep(top: Path) -> None:
    """Remove a deeply nested tree without recursion (shutil.rmtree would recurse)."""
    folders = [top]
    while (below := [p for p in folders[-1].iterdir() if p.is_dir()]) != []:
        folders.append(below[0])
    for folder in reversed(folders):
        for path in folder.iterdir():
            if not path.is_dir():
                path.unlink()
        folder.rmdir()


def test_hostile_entries_become_rows_and_the_batch_completes(study, tmp_path):
    import os

    from alignment.batch.discover import MAX_DEPTH

    (study / "a.dcm").symlink_to("b.dcm")  # a cycle of file links
    (study / "b.dcm").symlink_to("a.dcm")
    shutil.copy(study / "case002_LAT.dcm", os.fsdecode(bytes(study) + b"/caf\xe9.dcm"))
    nesting = 100_000
    (study / "notes").mkdir()
    (study / "notes" / "deep.json").write_text("[" * nesting + "]" * nesting)
    (study / "notes" / "labels.json").write_text(
        '{"shapes": ' + "[" * nesting + "]" * nesting + "}"
    )
    deep = study / "deep"
    folder = deep
    for _ in range(1_100):  # os.makedirs would recurse
        folder = folder / "d"
        folder.mkdir(parents=folder.parent == deep)
    try:
        code = main(["batch", str(study), "--out", str(tmp_path / "out"), *FAST])
    finally:
        _remove_deep(deep)
    assert code == exitcodes.COMPLETED_WITH_ERRORS
    errors = pd.read_csv(tmp_path / "out" / "errors.csv").set_index("image")["error"]
    assert errors["a.dcm"] == errors["b.dcm"] == "symbolic link loop: not followed"
    assert "not valid UTF-8" in errors["caf\\xe9.dcm"]
    assert errors["deep" + "/d" * MAX_DEPTH].startswith("folders nested deeper than")
    assert len(errors) == 4  # the JSON files are not landmark files, and not errors
    assert pd.read_csv(tmp_path / "out" / "results.csv")["image"].nunique() == 12


def test_discovery_never_reads_a_large_json(study, tmp_path, monkeypatch):
    import builtins
    import json

    from alignment.batch import discover

    monkeypatch.setattr(discover, "DEFAULT_MAX_LANDMARK_BYTES", 1000)
    notes = study / "notes.json"
    notes.write_text(json.dumps({"shapes": "x" * 2000}))  # a marker, past the limit
    small = study / "small.json"
    small.write_text(json.dumps({"comment": "x" * 500}))  # no marker: never parsed
    opened = []
    real_open = builtins.open

    def watching(file, mode="r", *args, **kwargs):
        if str(file).endswith(".json"):
            opened.append((Path(file).name, mode))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching)
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("a JSON was parsed"))
    found = discover.discover_inputs(study)
    assert {name for name, _ in opened} == {"small.json"}  # notes.json never opened
    assert {mode for _, mode in opened} == {"rb"}  # signatures and a byte scan, no parse
    assert dict(found.problems)["notes.json"].endswith("for a landmark file: not read")
    assert {f.key for f in found.landmark_files} == {"landmarks.csv"}


# --- 2: with --pseudonymise no byte, pixel or file name carries a real name ----------

REAL = "DOE_JANE"


def _named_study(study: Path, folder: Path) -> None:
    """The sample films under names carrying a patient's name, one broken film, and a
    landmark row naming a film that is not there (both quote names in their errors)."""
    folder.mkdir()
    table = pd.read_csv(study / "landmarks.csv")
    for image in table["image"].unique():
        shutil.copy(study / image, folder / f"{REAL}_{image}")
    (folder / f"{REAL}_broken.dcm").write_bytes((study / "case001_AP.dcm").read_bytes()[:2000])
    table["image"] = f"{REAL}_" + table["image"]
    table["case"] = f"{REAL}_" + table["case"]
    ghost = table.iloc[:1].assign(image=f"{REAL}_ghost.dcm")
    first = table[table["image"] == f"{REAL}_case001_AP.dcm"]
    broken = first.assign(image=f"{REAL}_broken.dcm", case=f"{REAL}_broken")
    pd.concat([table, ghost, broken]).to_csv(folder / f"{REAL}_landmarks.csv", index=False)


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output outside the private state folder: its path and its bytes
    (Parquet decoded, as it is compressed)."""
    found = {}
    for path in out.rglob("*"):
        if path.is_file() and ".alignment" not in path.relative_to(out).parts:
            data = path.read_bytes()
            if path.suffix == ".parquet":
                data = pd.read_parquet(path).to_csv().encode()
            found[str(path.relative_to(out))] = data
    return found


def test_pseudonymise_leaks_no_name_in_bytes_pixels_or_leftovers(study, tmp_path, monkeypatch):
    import cv2

    from alignment.batch import run_batch

    named = tmp_path / f"{REAL}_study"
    _named_study(study, named)
    out = tmp_path / "out"
    plain = run_batch(named, out, dicom_sr=True, jobs=0)
    assert any(REAL in name for name in _outputs(out))  # the plain run names files
    assert plain.completed_with_errors
    drawn: list[str] = []
    real_put_text = cv2.putText

    def recording(canvas, text, *args, **kwargs):
        drawn.append(text)
        return real_put_text(canvas, text, *args, **kwargs)

    monkeypatch.setattr(cv2, "putText", recording)
    command = ["alignment", "batch", str(named), "--out", str(out), "--pseudonymise"]
    result = run_batch(named, out, dicom_sr=True, pseudonymise=True, report=False, jobs=0,
                       command_line=command)  # fmt: skip
    assert result.processed == 13 and set(result.errors["stage"]) == {"read", "pairing"}
    assert not (out / "report.html").exists()  # the plain run's report is gone
    assert any(text.startswith("img-") for text in drawn)
    assert [text for text in drawn if "DOE" in text] == []
    run_batch(named, out, dicom_sr=True, pseudonymise=True, jobs=0, command_line=command)
    outputs = _outputs(out)
    assert "report.html" in outputs and any(name.startswith("dicom/") for name in outputs)
    assert [name for name in outputs if "DOE" in name] == []
    assert [name for name, data in outputs.items() if REAL.encode() in data] == []  # 8 bytes:
    # a shorter needle turns up by chance in compressed pixels
    errors = pd.read_csv(out / "errors.csv")
    assert errors["error"].str.contains("img-[0-9a-f]{12}").all()


# --- 5: wild coordinates are an input error, and nothing downstream chokes on them ---

WILD = (1e12, 1e20, 1e300)


def test_coordinates_far_off_the_film_are_error_rows(study, tmp_path):
    table = pd.read_csv(study / "landmarks.csv")
    films = ["case001_AP.dcm", "case002_AP.dcm", "case003_AP.dcm"]
    for film, value in zip(films, WILD, strict=True):
        table.loc[table.index[table["image"] == film][0], "x"] = value
    table.to_csv(study / "landmarks.csv", index=False)
    out = tmp_path / "out"
    code = main(["batch", str(study), "--out", str(out), "--jobs", "0", "--quiet"])
    assert code == exitcodes.COMPLETED_WITH_ERRORS
    errors = pd.read_csv(out / "errors.csv")
    assert sorted(errors["image"]) == films and set(errors["stage"]) == {"landmarks"}
    assert errors["error"].str.contains("beyond 10 times the film's size").all()
    results = pd.read_csv(out / "results.csv")
    assert results["image"].nunique() == 9 and not set(films) & set(results["image"])
    assert results["value"].abs().max() < 1e4
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()


@pytest.mark.parametrize("value", [*WILD, 1.7e308, -1.7e308])
def test_measures_overlay_and_report_take_any_finite_coordinate(value, tmp_path):
    import numpy as np

    from alignment.batch.task import time_limit
    from alignment.landmarks import validate_landmarks
    from alignment.measures import measure_landmarks
    from alignment.report import render_overlay, write_report

    table = pd.read_csv(SAMPLES / "landmarks.csv")
    table = validate_landmarks(table[table["image"] == "case001_AP.dcm"])
    table.loc[0, "x"] = value
    with time_limit(30, "wild coordinates"):  # the overlay used to spin for ever
        results = measure_landmarks(table)
        rgb = render_overlay(np.zeros((400, 150), np.uint16), table, results)
        write_report(tmp_path / "report.html", results=results, landmarks=table)
    assert rgb.ndim == 3 and (tmp_path / "report.html").stat().st_size > 0
    values = results["value"].to_numpy(dtype=float)
    assert not np.isinf(values).any()  # an overflow is "not computable", not inf
