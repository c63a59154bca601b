"""What the terminal says: errors by stage and where to look, --quiet, --verbose,
--debug after the sub-command, and "did you mean" for a mistyped option."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from alignment.cli import exitcodes, main

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"


@pytest.fixture
def study(tmp_path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(SAMPLES, folder)
    (folder / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\1" * 10)
    (folder / "case004_LAT.dcm").write_bytes(b"")
    return folder


@pytest.fixture(autouse=True)
def _quiet_library_logger():
    yield
    logging.getLogger("alignment").setLevel(logging.NOTSET)


def _batch(study: Path, out: Path, *options: str) -> None:
    argv = ["batch", str(study), "--out", str(out), "--jobs", "0", "--no-overlays", *options]
    assert main(argv) == exitcodes.COMPLETED_WITH_ERRORS


def test_errors_are_counted_by_stage_with_reasons_and_paths(study, tmp_path, capsys):
    out = tmp_path / "out"
    _batch(study, out)
    err = capsys.readouterr().err
    assert "errors by stage: read 2" in err
    assert "read: broken.dcm" in err and "read: case004_LAT.dcm" in err
    assert f"all in {out / 'errors.csv'}" in err
    assert f"report: {out / 'report.html'}" in err
    assert "12 images" not in err and "13 images (13 processed" in err


def test_quiet_prints_exactly_the_errors(study, tmp_path, capsys):
    _batch(study, tmp_path / "out", "--quiet")
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "errors by stage: read 2"
    assert len(lines) == 4 and lines[-1].startswith("  all in ")
    assert not any("report:" in line or "images" in line for line in lines)


def test_verbose_logs_every_image(study, tmp_path, caplog):
    _batch(study, tmp_path / "out", "--verbose")
    logged = {r.getMessage().split(":")[0] for r in caplog.records if r.levelname == "INFO"}
    assert logged >= {path.name for path in study.glob("*.dcm")}


def test_debug_is_accepted_after_the_subcommand(capsys):
    assert main(["measures", "--format", "csv", "--debug"]) == exitcodes.OK
    assert main(["--debug", "measures", "--format", "csv"]) == exitcodes.OK


def test_mistyped_option_gets_the_subcommands_usage_and_a_suggestion(tmp_path, capsys):
    code = main(["detect", str(tmp_path), "--out", "m.csv", "--overlays", "o"])
    assert code == exitcodes.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.startswith("usage: alignment detect")
    assert "unrecognized arguments: --overlays o; did you mean --overlay?" in err
