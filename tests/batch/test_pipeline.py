"""The batch pipeline end to end on the bundled sample cohort and on broken inputs."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest

from alignment import RESULT_COLUMNS, BatchError
from alignment.batch import library_versions, run_batch
from alignment.batch import pipeline as batch_pipeline
from alignment.batch.store import lock_output
from alignment.cli import exitcodes, main
from tests.batch.samples import SAMPLES, digests

OUTPUT_TABLES = ("results.csv", "results_wide.csv", "landmarks.csv", "errors.csv")


def test_sample_cohort_end_to_end(study, tmp_path):
    before = digests(study)
    out = tmp_path / "out"
    result = run_batch(study, out, groups=study / "groups.csv", report=False, jobs=0)
    assert digests(study) == before  # inputs never modified
    assert not result.completed_with_errors and result.images == 12 == result.processed
    for name in (*OUTPUT_TABLES, "results.parquet", "comparison.csv", "manifest.json"):
        assert (out / name).is_file(), name
    results = pd.read_csv(out / "results.csv", keep_default_na=False, na_values=[""])
    assert tuple(results.columns) == RESULT_COLUMNS
    # CSV: 0.01 degree, 0.1 mm, no -0.0; Parquet: full precision.
    full = pd.read_parquet(out / "results.parquet")
    np.testing.assert_allclose(results["value"], full["value"], atol=0.05)
    for column in ("value", "deviation", "abs_deviation"):
        degrees = results.loc[results["unit"] == "deg", column].dropna()
        assert (degrees.round(2) == degrees).all() and not np.signbit(degrees[degrees == 0]).any()
    assert (full["value"].round(2) != full["value"]).any()
    # The films' own spacing (Imager Pixel Spacing / magnification) gives the truth.
    truth = pd.read_csv(study / "truth.csv")
    merged = truth.merge(full, on=["image", "side", "view", "measure"], suffixes=("", "_got"))
    assert len(merged) == len(truth)
    np.testing.assert_allclose(merged["value_got"], merged["value"], atol=1e-6)
    overlays = sorted(p.name for p in (out / "overlays").iterdir())
    assert len(overlays) == 12 and all(name.endswith(".png") for name in overlays)
    comparison = pd.read_csv(out / "comparison.csv")
    assert {"measure", "group1", "group2", "p_value", "p_holm"} <= set(comparison.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["preset"]["name"] == "default" and len(manifest["inputs"]) == 13
    assert manifest["versions"]["alignment"] and manifest["started"] <= manifest["finished"]
    assert manifest["versions"]["numpy"] == np.__version__


def test_library_versions_name_what_is_installed_and_leave_out_what_is_not(monkeypatch):
    monkeypatch.setattr(batch_pipeline, "_LIBRARIES", ("numpy", "no-such-distribution"))
    versions = library_versions()
    assert list(versions) == ["alignment", "python", "numpy", "numpy-simd"]
    assert versions["numpy"] == np.__version__
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))


def test_library_versions_name_the_simd_extensions_numpy_runs_with(monkeypatch):
    found = np.show_config(mode="dicts").get("SIMD Extensions", {}).get("found", [])
    assert set(library_versions()["numpy-simd"].split()) == (set(found) or {"none"})
    # a numpy built without SIMD has no such section at all
    monkeypatch.setattr(np, "show_config", lambda mode: {"Python Information": {}})
    assert library_versions()["numpy-simd"] == "none"
    monkeypatch.undo()
    if not found:
        pytest.skip("numpy runs on its baseline only on this machine")
    code = "from alignment.batch import library_versions; print(library_versions()['numpy-simd'])"
    off = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(found)}
    ran = subprocess.run([sys.executable, "-c", code], env=off, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "none"


def test_rerun_skips_unchanged_and_redoes_changed(study, tmp_path):
    out = tmp_path / "out"
    run_batch(study, out, overlays=False, report=False, jobs=0)
    first = {name: (out / name).read_bytes() for name in OUTPUT_TABLES}
    again = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert again.processed == 0
    assert {name: (out / name).read_bytes() for name in OUTPUT_TABLES} == first
    table = pd.read_csv(study / "landmarks.csv")
    table.loc[0, "x"] += 5.0
    table.to_csv(study / "landmarks.csv", index=False)
    changed = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert changed.processed == 1


def test_second_run_on_the_same_output_is_refused(study, tmp_path):
    out = tmp_path / "out"
    with lock_output(out), pytest.raises(BatchError, match="another run is using this output"):
        run_batch(study, out, jobs=0)


def test_broken_inputs_become_error_rows(study, tmp_path, capsys):
    (study / "empty.dcm").write_bytes(b"")
    (study / "truncated.dcm").write_bytes((study / "case001_AP.dcm").read_bytes()[:2000])
    header = pydicom.dcmread(study / "case002_AP.dcm", stop_before_pixels=True)
    header.save_as(study / "no_pixels.dcm")
    (study / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    extra = pd.DataFrame({"image": ["ghost.dcm"], "side": ["left"], "view": ["AP"],
                          "landmark": ["ankle_center"], "x": [1.0], "y": [2.0]})  # fmt: skip
    extra.to_csv(study / "ghost_landmarks.csv", index=False)
    out = tmp_path / "out"
    code = main(["batch", str(study), "--out", str(out), "--no-overlays", "--no-report",
                 "--jobs", "0"])  # fmt: skip
    assert code == exitcodes.COMPLETED_WITH_ERRORS
    errors = pd.read_csv(out / "errors.csv").set_index("image")
    assert set(errors.index) >= {"empty.dcm", "truncated.dcm", "no_pixels.dcm", "fake.png",
                                 "ghost.dcm"}  # fmt: skip
    assert errors.loc["ghost.dcm", "stage"] == "pairing"
    assert "no such image" in errors.loc["ghost.dcm", "error"]
    assert errors.loc["fake.png", "stage"] == "read"
    results = pd.read_csv(out / "results.csv")
    assert results["image"].nunique() == 12  # every good film still measured
    assert "12 processed" not in capsys.readouterr().err


def test_images_without_landmarks_are_errors(study, tmp_path):
    (study / "landmarks.csv").unlink()
    result = run_batch(study, tmp_path / "out", overlays=False, report=False, jobs=0)
    assert result.results.empty
    assert set(result.errors["stage"]) == {"landmarks"} and len(result.errors) == 12
    assert result.errors["error"].str.contains("no landmarks for this image").all()


def test_landmarks_option_file_and_per_image_folder(study, tmp_path):
    combined = tmp_path / "marks.csv"
    shutil.move(study / "landmarks.csv", combined)
    result = run_batch(study, tmp_path / "a", landmarks=combined, overlays=False, report=False,
                       jobs=0)  # fmt: skip
    folder = tmp_path / "per_image"
    folder.mkdir()
    table = pd.read_csv(combined)
    for image, rows in table.groupby("image"):
        rows.assign(image="whatever").to_csv(folder / f"{Path(image).stem}.csv", index=False)
    per_image = run_batch(study, tmp_path / "b", landmarks=folder, overlays=False, report=False,
                          jobs=0)  # fmt: skip
    assert per_image.errors.empty
    pd.testing.assert_frame_equal(per_image.results, result.results)


def test_discovery_reports_links_and_keeps_going(study, tmp_path):
    (study / "loop").mkdir()
    (study / "loop" / "back").symlink_to(study, target_is_directory=True)
    outside = tmp_path / "outside.dcm"
    shutil.copy(study / "case001_AP.dcm", outside)
    (study / "link_out.dcm").symlink_to(outside)
    (study / "dangling.dcm").symlink_to(tmp_path / "nothing.dcm")
    result = run_batch(study, tmp_path / "out", overlays=False, report=False, jobs=0)
    problems = dict(zip(result.errors["image"], result.errors["error"], strict=True))
    assert problems["loop/back"] == "symbolic link loop: not followed"
    assert problems["link_out.dcm"] == "symbolic link leaves the input folder: not followed"
    assert problems["dangling.dcm"] == "broken symbolic link"
    assert result.results["image"].nunique() == 12


def test_output_inside_input_is_not_walked(study):
    out = study / "results"
    run_batch(study, out, overlays=False, report=False, jobs=0)
    again = run_batch(study, out, overlays=False, report=False, jobs=0)
    assert again.images == 12 and again.errors.empty


def test_pool_and_dask_give_the_same_outputs(study, tmp_path):
    from distributed import LocalCluster

    pool = run_batch(study, tmp_path / "pool", overlays=False, report=False, jobs=2)
    local = run_batch(study, tmp_path / "local", overlays=False, report=False, jobs=2,
                      scheduler="local")  # fmt: skip
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        remote = run_batch(study, tmp_path / "tcp", overlays=False, report=False,
                           scheduler=address)  # fmt: skip
    for name in OUTPUT_TABLES:
        expected = (tmp_path / "pool" / name).read_bytes()
        assert (tmp_path / "local" / name).read_bytes() == expected
        assert (tmp_path / "tcp" / name).read_bytes() == expected
    assert pool.processed == local.processed == remote.processed == 12


def _phi(study: Path) -> list[str]:
    ds = pydicom.dcmread(study / "case001_AP.dcm", stop_before_pixels=True)
    values = [str(ds.PatientName), ds.PatientID, ds.PatientBirthDate, ds.AccessionNumber,
              ds.InstitutionName, str(ds.PatientName).split("^")[0]]  # fmt: skip
    return [v for v in values if v]


def _files_containing(folder: Path, needles: list[str]) -> list[tuple[str, str]]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and ".alignment" not in path.parts:
            data = path.read_bytes()
            hits += [(str(path), n) for n in needles if n.encode() in data]
    return hits


def test_outputs_carry_no_patient_identifiers(study, tmp_path):
    needles = _phi(study)
    out = tmp_path / "out"
    run_batch(study, out, groups=study / "groups.csv", dicom_sr=True, jobs=2)
    assert (out / "report.html").is_file() and any((out / "dicom").iterdir())
    assert _files_containing(out, needles) == []
    kept = run_batch(study, tmp_path / "kept", dicom_sr=True, keep_identifiers=True,
                     overlays=False, report=False, jobs=2)  # fmt: skip
    assert kept.errors.empty
    assert _files_containing(tmp_path / "kept" / "dicom", needles)  # opt-in works


def test_pseudonymise_hides_file_names(study, tmp_path):
    renamed = tmp_path / "named"
    renamed.mkdir()
    table = pd.read_csv(study / "landmarks.csv")
    for image in table["image"].unique():
        shutil.copy(study / image, renamed / f"DOE_JANE_{image}")
    table["image"] = "DOE_JANE_" + table["image"]
    table["case"] = "DOE_JANE_" + table["case"]
    table.to_csv(renamed / "landmarks.csv", index=False)
    groups = pd.read_csv(study / "groups.csv").assign(case=lambda g: "DOE_JANE_" + g["case"])
    groups.to_csv(tmp_path / "groups.csv", index=False)
    out = tmp_path / "out"
    result = run_batch(renamed, out, groups=tmp_path / "groups.csv", pseudonymise=True, jobs=2)
    assert result.errors.empty
    assert _files_containing(out, ["DOE_JANE"]) == []
    assert result.results["image"].str.fullmatch(r"img-[0-9a-f]{12}").all()
    mapping = pd.read_csv(out / ".alignment" / "pseudonyms.csv")
    assert mapping["value"].str.startswith("DOE_JANE").all()


def test_sigkill_mid_run_then_rerun_matches_an_uninterrupted_run(study, tmp_path):
    for copy in range(3):  # 36 films, each with an overlay: a run of a few seconds
        shutil.copytree(SAMPLES, study / f"copy{copy}")
    reference = tmp_path / "reference"
    run_batch(study, reference, report=False, jobs=0)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "alignment", "batch", str(study), "--out", str(out),
               "--no-report", "--jobs", "1", "--quiet"]  # fmt: skip
    for attempt in range(3):
        process = _run_until(command, out / ".alignment" / "state.sqlite", 5 * (attempt + 1))
        helpers = _descendants(process.pid)  # the fork server and the workers
        assert helpers
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 20
        while (left := [pid for pid in helpers if _live(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, "processes of the killed run outlived it"
    assert subprocess.run(command, check=False).returncode == exitcodes.OK
    for name in OUTPUT_TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    results = pd.read_csv(out / "results.csv")
    assert not results.duplicated(["image", "side", "view", "reader", "measure"]).any()


def test_time_limit_makes_a_slow_image_an_error_retried_next_run(study, tmp_path, monkeypatch):
    import alignment.batch.task as task_module

    real = task_module.read_radiograph

    def slow_for_one(path, **options):
        if path.endswith("case003_AP.dcm"):
            time.sleep(5)
        return real(path, **options)

    monkeypatch.setattr(task_module, "read_radiograph", slow_for_one)
    out = tmp_path / "out"
    result = run_batch(study, out, overlays=False, report=False, jobs=0, time_limit_s=2.0)
    assert result.errors[["image", "stage"]].values.tolist() == [["case003_AP.dcm", "timeout"]]
    assert "longer than the limit of 2 s" in result.errors["error"].iloc[0]
    assert result.results["image"].nunique() == 11
    monkeypatch.setattr(task_module, "read_radiograph", real)
    again = run_batch(study, out, overlays=False, report=False, jobs=0, time_limit_s=2.0)
    assert again.processed == 1 and again.errors.empty


def test_unwritable_output_is_a_clear_error(study, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(BatchError, match="cannot write the output folder"):
        run_batch(study, blocker / "out", jobs=0)


def test_full_disk_leaves_no_half_written_output(study, tmp_path, monkeypatch):
    import alignment.atomic as atomic

    out = tmp_path / "out"
    run_batch(study, out, overlays=False, report=False, jobs=0)
    before = (out / "results.csv").read_bytes()

    def disk_full(path, text):
        with atomic.atomic_path(path) as temporary:
            temporary.write_text(text[: len(text) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("alignment.batch.pipeline.write_text_atomic", disk_full)
    table = pd.read_csv(study / "landmarks.csv")
    table.loc[0, "x"] += 1.0
    table.to_csv(study / "landmarks.csv", index=False)
    with pytest.raises(OSError, match="No space left"):
        run_batch(study, out, overlays=False, report=False, jobs=0)
    assert (out / "results.csv").read_bytes() == before  # the old file, whole
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_a_rerun_removes_what_a_killed_writer_left(study, tmp_path):
    out = tmp_path / "out"
    run_batch(study, out, report=False, jobs=0)
    leftovers = [out / ".results.csv.x1.part", out / "overlays" / ".case001_AP.png.x2.part"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    (out / "notes.part").write_text("the user's own")  # not a temporary of ours
    again = run_batch(study, out, report=False, jobs=0)
    assert again.processed == 0
    assert not any(path.exists() for path in leftovers)
    assert (out / "notes.part").read_text() == "the user's own"


def test_read_only_input_tree(study, tmp_path):
    for path in [study, *study.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        result = run_batch(study, tmp_path / "out", overlays=False, report=False, jobs=0)
    finally:
        for path in [study, *study.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert result.errors.empty and result.results["image"].nunique() == 12


def _run_until(
    command: list[str], database: Path, done_at_least: int, *, capture: bool = False
) -> subprocess.Popen:
    """Start `command`; return once its state holds `done_at_least` images (or it ended).

    Capture stderr only for a run that ends cleanly: the workers of a killed run keep
    the pipe open for a while. Should the polling fail, the run is killed, not left
    running into the next test.
    """
    process = subprocess.Popen(command, env={**os.environ, "CI": "1"}, text=True,
                               stderr=subprocess.PIPE if capture else None)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if _images_done(database) >= done_at_least:
                break
            time.sleep(0.05)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return process


def _descendants(pid: int) -> list[int]:
    """Every live descendant of process `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found += (new := children.get(todo.pop(), []))
        todo += new
    return found


def _live(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _images_done(database: Path) -> int:
    """Images a run's state holds: 0 until the run has created its table."""
    if not database.exists():
        return 0
    with contextlib.closing(sqlite3.connect(database, timeout=1)) as db:
        try:
            return db.execute("SELECT count(*) FROM outcomes").fetchone()[0]
        except sqlite3.OperationalError:  # the file exists, its table not yet (or locked)
            return 0


def test_ctrl_c_stops_cleanly_and_resumes(study, tmp_path):
    for copy in range(3):
        shutil.copytree(SAMPLES, study / f"copy{copy}")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "alignment", "batch", str(study), "--out", str(out),
               "--no-report", "--jobs", "2"]  # fmt: skip
    process = _run_until(command, out / ".alignment" / "state.sqlite", 5, capture=True)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == exitcodes.INTERRUPTED
    assert err.strip().endswith("alignment batch: interrupted")
    assert "Traceback" not in err
    resumed = run_batch(study, out, report=False, jobs=2)
    assert 0 < resumed.processed < 48 and resumed.errors.empty
    run_batch(study, tmp_path / "reference", report=False, jobs=2)
    for name in OUTPUT_TABLES:
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()
