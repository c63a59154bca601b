"""What the terminal says: errors by stage and where to look, --quiet, --verbose,
--debug after the sub-command, and "did you mean" for a mistyped option."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from alignment.cli import COMMANDS, exitcodes, main

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
    assert "writing report: 13/13, " in err  # its own bar, one step per film
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


def test_progress_reports_count_rate_and_eta_per_stage(capsys):
    from alignment.cli._progress import Progress

    progress = Progress()
    for done in range(4):
        progress(done, 3, "hashing")
    for done in range(3):
        progress(done, 2)
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(",")[0] for line in lines] == ["hashing: 3/3", "images: 2/2"]
    assert all(" /s" not in line and "ETA 0 s" in line for line in lines)


def test_phantom_and_detect_show_progress(tmp_path, capsys):
    out = tmp_path / "films"
    assert main(["phantom", "--n", "1", "--out", str(out), "--downscale", "12"]) == 0
    assert "cases: 1/1, " in capsys.readouterr().err
    assert main(["detect", str(out), "--out", str(tmp_path / "m.csv")]) in (0, 1)
    assert "images: 2/2, " in capsys.readouterr().err


HEAVY_LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "cv2", "skimage", "pydicom")
"""What a ``--help`` must not import: together they take over a second to load."""


@pytest.mark.parametrize("words", [[], *([name] for name in COMMANDS)], ids=repr)
def test_help_imports_no_heavy_library(words):
    import subprocess
    import sys

    code = (
        "import sys\nfrom alignment.cli import main\n"
        f"main({[*words, '--help']!r})\n"
        f"heavy = [m for m in {HEAVY_LIBRARIES!r} if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: alignment" in done.stdout
    assert done.stdout.rstrip().endswith("HEAVY:"), done.stdout.rstrip().rsplit("\n", 1)[-1]
