"""Reruns are safe and explicit: failures retried, --force, stale outputs, --overwrite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from alignment.batch import run_batch
from alignment.cli import exitcodes, main
from alignment.errors import OutputExistsError
from tests.batch.samples import SAMPLES


def test_failed_images_are_retried_unchanged_successes_skipped(study, tmp_path, monkeypatch):
    import alignment.batch.task as task_module

    real = task_module.read_radiograph

    def broken_for_one(path, **options):
        if path.endswith("case003_AP.dcm"):
            raise task_module.ImageReadError(f"{path}: simulated failure")
        return real(path, **options)

    monkeypatch.setattr(task_module, "read_radiograph", broken_for_one)
    out = tmp_path / "out"
    first = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert first.errors["image"].tolist() == ["case003_AP.dcm"]
    monkeypatch.setattr(task_module, "read_radiograph", real)
    again = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert again.processed == 1 and again.errors.empty
    third = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert third.processed == 0
    forced = run_batch(study, out, overlays=False, report=False, jobs=0, force=True)
    assert forced.processed == 12
    pd.testing.assert_frame_equal(forced.results, third.results)


def test_crashed_images_are_retried():
    from alignment.batch.task import ImageOutcome

    assert ImageOutcome("a.dcm", {}, (("crash", "the worker process died"),)).retry
    assert ImageOutcome("a.dcm", {}, (("read", "corrupt"),)).retry
    assert not ImageOutcome("a.dcm", {"rows": 1}, ()).retry


def test_outputs_this_run_does_not_produce_are_removed(study, tmp_path):
    out = tmp_path / "out"
    run_batch(study, out, groups=study / "groups.csv", jobs=0)
    assert (out / "comparison.csv").is_file() and (out / "report.html").is_file()
    overlays = sorted(p.name for p in (out / "overlays").iterdir())
    assert len(overlays) == 12
    (study / "case001_LAT.dcm").unlink()
    run_batch(study, out, jobs=0, report=False)
    assert not (out / "comparison.csv").exists()  # no --groups this time
    assert not (out / "report.html").exists()  # --no-report this time
    left = sorted(p.name for p in (out / "overlays").iterdir())
    assert len(left) == 11 and not any(name.startswith("case001_LAT") for name in left)
    run_batch(study, out, jobs=0, report=False, overlays=False)
    assert not list((out / "overlays").iterdir())


def test_batch_refuses_a_non_empty_folder_that_is_not_its_own(study, tmp_path, capsys):
    target = tmp_path / "target"
    shutil.copytree(study, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(OutputExistsError, match="output folder is not empty"):
        run_batch(study, target, jobs=0)
    code = main(["batch", str(study), "--out", str(target), "--jobs", "0"])
    assert code == exitcodes.INPUT_ERROR and "--overwrite" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    out = tmp_path / "out"
    run_batch(study, out, jobs=0, overlays=False, report=False)
    run_batch(study, out, jobs=0, overlays=False, report=False)  # its own: resumed
    run_batch(study, target, jobs=0, overlays=False, report=False, overwrite=True)
    assert (target / "results.csv").is_file()


def test_phantom_refuses_a_non_empty_folder(study, tmp_path, capsys):
    before = sorted(p.name for p in study.iterdir())
    code = main(["phantom", "--n", "1", "--out", str(study), "--downscale", "12"])
    assert code == exitcodes.INPUT_ERROR
    err = capsys.readouterr().err
    assert f"{study}: output folder is not empty" in err and "--overwrite" in err
    assert sorted(p.name for p in study.iterdir()) == before
    assert (study / "case001_AP.dcm").read_bytes() == (SAMPLES / "case001_AP.dcm").read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["phantom", "--n", "1", "--out", str(empty), "--downscale", "12"]) == 0
    again = ["phantom", "--n", "1", "--out", str(empty), "--downscale", "12"]
    assert main(again) == exitcodes.INPUT_ERROR
    assert main([*again, "--overwrite"]) == 0


def test_detect_refuses_a_non_empty_overlay_folder(study, tmp_path, capsys):
    code = main(["detect", str(study / "case001_LAT.dcm"), "--out", str(tmp_path / "m.csv"),
                 "--overlay", str(study)])  # fmt: skip
    assert code == exitcodes.INPUT_ERROR
    assert "output folder is not empty" in capsys.readouterr().err


def test_report_names_the_run_date_input_and_command(study, tmp_path):
    out = tmp_path / "out"
    command = ["alignment", "batch", str(study), "--out", str(out)]
    run_batch(study, out, jobs=0, overlays=False, command_line=command)
    page = (out / "report.html").read_text()
    header = page[page.index("<header>") : page.index("</header>")]
    assert 'class="run">Run of 20' in header and str(study) in header
    assert f"command <code>alignment batch {study} --out {out}</code>" in header
    run_batch(study, tmp_path / "p", jobs=0, overlays=False, pseudonymise=True)
    page = (tmp_path / "p" / "report.html").read_text()
    assert str(study) not in page[page.index("<header>") : page.index("</header>")]


def test_report_links_survive_moving_its_folder(study, tmp_path):
    import re

    out = tmp_path / "out"
    run_batch(study, out, jobs=0)
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(out, moved)
    page = (moved / "report.html").read_text()
    links = [h for h in re.findall(r'href="([^"#]+)"', page) if not h.startswith("data:")]
    tables = ["results.csv", "results_wide.csv", "results.parquet", "landmarks.csv", "errors.csv"]
    run_files = [f for f in tables if (moved / f).is_file()] + ["manifest.json"]
    assert "results.csv" in run_files and "comparison.csv" not in links  # no groups
    assert links[: len(run_files)] == run_files
    assert len(links) == 12 + len(run_files) and all(not Path(h).is_absolute() for h in links)
    assert all((moved / h).is_file() for h in links)
