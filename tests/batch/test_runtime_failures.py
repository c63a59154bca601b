"""Issue 16: failures that are not the input's fault are retried; signals, disk, memory."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
import pytest

from alignment.batch import run_batch
from alignment.batch.store import StateStore
from alignment.cli import exitcodes, main
from alignment.io import read_radiograph
from tests.batch.samples import SAMPLES
from tests.batch.test_pipeline import _descendants, _live, _run_until

OUTPUT_TABLES = ("results.csv", "results_wide.csv", "landmarks.csv", "errors.csv")


def _batch(study: Path, out: Path, *options: str) -> int:
    return main(["batch", str(study), "--out", str(out), "--no-report", "--jobs", "0", *options])


def test_a_full_disk_in_the_state_store_is_exit_3_naming_the_folder(
    study, tmp_path, monkeypatch, capsys
):
    saved = StateStore.save
    calls = []

    def full_after_three(self: StateStore, fingerprint: str, outcome: Any) -> None:
        calls.append(outcome.key)
        if len(calls) > 3:
            raise sqlite3.OperationalError("database or disk is full")
        saved(self, fingerprint, outcome)

    monkeypatch.setattr(StateStore, "save", full_after_three)
    out = tmp_path / "out"
    assert _batch(study, out, "--no-overlays") == exitcodes.INPUT_ERROR
    err = capsys.readouterr().err
    assert f"{out}: the output folder's disk is full" in err
    assert "internal error" not in err
    monkeypatch.setattr(StateStore, "save", saved)
    again = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert again.processed == 12 - 3 and again.errors.empty  # the three stored are kept


def _failing_overlay(monkeypatch: pytest.MonkeyPatch, image: str, code: int) -> None:
    import alignment.report.overlay as overlay

    real = overlay.write_overlay

    def write(path: Any, pixels: Any, landmarks: pd.DataFrame, *args: Any, **kw: Any) -> None:
        if (landmarks["image"].astype(str) == image).any():
            raise OSError(code, os.strerror(code), str(path))
        real(path, pixels, landmarks, *args, **kw)

    monkeypatch.setattr(overlay, "write_overlay", write)


def test_a_failed_overlay_write_is_not_final(study, tmp_path, monkeypatch):
    _failing_overlay(monkeypatch, "case002_AP.dcm", errno.EACCES)
    out = tmp_path / "out"
    first = run_batch(study, out, report=False, jobs=0)
    assert first.errors[["image", "stage"]].values.tolist() == [["case002_AP.dcm", "write"]]
    monkeypatch.undo()
    again = run_batch(study, out, report=False, jobs=0)
    assert again.processed == 1 and again.errors.empty
    assert any(p.name.startswith("case002_AP") for p in (out / "overlays").iterdir())


def test_a_full_disk_writing_an_overlay_stops_with_exit_3_then_resumes(
    study, tmp_path, monkeypatch, capsys
):
    _failing_overlay(monkeypatch, "case004_AP.dcm", errno.ENOSPC)
    out = tmp_path / "out"
    assert _batch(study, out) == exitcodes.INPUT_ERROR
    err = capsys.readouterr().err
    assert f"{out}: the output folder's disk is full" in err and "internal error" not in err
    monkeypatch.undo()
    again = run_batch(study, out, report=False, jobs=0)
    assert 1 <= again.processed < 12 and again.errors.empty


def test_a_time_limit_inside_the_dicom_reader_is_a_timeout_retried(study, tmp_path, monkeypatch):
    import pydicom

    real = pydicom.dcmread

    def slow_for_one(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("case003_AP.dcm"):
            time.sleep(120)  # the time limit interrupts it
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pydicom, "dcmread", slow_for_one)
    out = tmp_path / "out"
    result = run_batch(study, out, overlays=False, report=False, jobs=0, time_limit_s=1.0)
    assert result.errors[["image", "stage"]].values.tolist() == [["case003_AP.dcm", "timeout"]]
    monkeypatch.undo()
    again = run_batch(study, out, overlays=False, report=False, jobs=0, time_limit_s=1.0)
    assert again.processed == 1 and again.errors.empty


def test_running_out_of_memory_is_its_own_stage_retried(study, tmp_path, monkeypatch):
    import alignment.batch.task as task_module

    real = task_module.read_radiograph

    def hungry_for_one(path: str, **options: Any) -> Any:
        if path.endswith("case005_LAT.dcm"):
            raise MemoryError
        return real(path, **options)

    monkeypatch.setattr(task_module, "read_radiograph", hungry_for_one)
    out = tmp_path / "out"
    result = run_batch(study, out, report=False, jobs=0)
    assert result.errors[["image", "stage"]].values.tolist() == [["case005_LAT.dcm", "memory"]]
    assert "ran out of memory" in result.errors["error"].iloc[0]
    monkeypatch.undo()
    assert run_batch(study, out, report=False, jobs=0).processed == 1


def test_out_of_memory_inside_a_reader_is_stage_memory(study, tmp_path, monkeypatch):
    import pydicom

    real = pydicom.dcmread

    def hungry_for_one(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("case002_LAT.dcm"):
            raise MemoryError
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pydicom, "dcmread", hungry_for_one)
    result = run_batch(study, tmp_path / "out", overlays=False, report=False, jobs=0)
    assert result.errors[["image", "stage"]].values.tolist() == [["case002_LAT.dcm", "memory"]]


def test_detection_that_finds_nothing_is_not_called_not_asked_for(tmp_path):
    films = tmp_path / "films"
    films.mkdir()
    cv2.imwrite(str(films / "blank.png"), np.zeros((400, 200), np.uint8))
    result = run_batch(films, tmp_path / "out", detect="all", report=False, jobs=0)
    assert not result.errors.empty
    assert set(result.errors["stage"]) == {"detect"}
    assert not result.errors["error"].str.contains("no detection asked for").any()


def test_a_backslash_in_a_posix_file_name_is_part_of_the_case(study, tmp_path):
    table = pd.read_csv(study / "landmarks.csv")
    table = table[table["image"] == "case001_AP.dcm"].drop(columns="case")
    films = tmp_path / "films"
    films.mkdir()
    name = "Smith\\John_AP.dcm"
    shutil.copy(study / "case001_AP.dcm", films / name)
    table.assign(image=name).to_csv(films / "landmarks.csv", index=False)
    result = run_batch(films, tmp_path / "out", overlays=False, report=False, jobs=0)
    assert result.errors.empty
    assert set(result.results["case"].astype(str)) == {"Smith\\John"}


def test_library_warnings_become_plain_lines(study, tmp_path):
    film = read_radiograph(study / "case001_AP.dcm")
    grey = np.clip(film.pixels, 0, 255).astype(np.uint8)
    cv2.imwrite(str(study / "colour_AP.png"), np.dstack([grey, grey // 2, grey]))
    table = pd.read_csv(study / "landmarks.csv")
    rows = table[table["image"] == "case001_AP.dcm"].assign(image="colour_AP.png")
    rows.to_csv(study / "colour_landmarks.csv", index=False)
    command = [sys.executable, "-W", "default", "-m", "alignment", "batch", str(study), "--out",
               str(tmp_path / "out"), "--no-report", "--jobs", "1"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == exitcodes.OK, done.stderr
    assert "converted to grey" in done.stderr  # said, as one plain line
    lines = [line for line in done.stderr.splitlines() if "converted to grey" in line]
    assert all(line.startswith("alignment: WARNING: ") for line in lines), lines
    assert ".py:" not in done.stderr and "warnings.warn" not in done.stderr


def test_sigterm_stops_like_ctrl_c_and_leaves_no_process(study, tmp_path):
    for copy in range(3):
        shutil.copytree(SAMPLES, study / f"copy{copy}")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "alignment", "batch", str(study), "--out", str(out),
               "--no-report", "--jobs", "2"]  # fmt: skip
    process = _run_until(command, out / ".alignment" / "state.sqlite", 5, capture=True)
    helpers = _descendants(process.pid)  # fork server, resource tracker, workers
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=300)
    assert process.returncode == exitcodes.TERMINATED == 143
    assert err.strip().endswith("alignment batch: terminated (SIGTERM)")
    assert "Traceback" not in err
    deadline = time.monotonic() + 60
    while (left := [pid for pid in helpers if _live(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, "processes of the stopped run outlived it"
    resumed = run_batch(study, out, report=False, jobs=2)
    assert 0 < resumed.processed < 48 and resumed.errors.empty
    run_batch(study, tmp_path / "reference", report=False, jobs=2)
    for name in OUTPUT_TABLES:
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()
