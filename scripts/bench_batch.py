"""Benchmark: a batch of generated DICOM films against reading their headers with pydicom.

Writes N small DICOM films (real headers: Imager Pixel Spacing, magnification,
orientation) with one combined landmark file, then times in the same run:

- the baseline: ``pydicom.dcmread(path, stop_before_pixels=True)`` on every film;
- ``run_batch`` on the folder, without detection, overlays or report (``--jobs`` as
  given, default all cores), from a fresh output folder;
- the same batch again on the same output folder (everything is resumed);
- the same batch from a fresh output folder with one worker killed (SIGKILL) once a
  quarter of the films are done: throughput before and after the kill, beside the
  clean run's (issue 16: a dead worker costs its film and a pool restart, nothing
  more, so the throughput after the kill stays near the clean run's).

and, with ``--detect-films N`` (default 40), a detection run on N synthetic phantom
films (``alignment phantom``) with ``--jobs 1`` and with ``--jobs 2``.

Aims (issue 6): the batch within 1.5x of the header baseline; ``--jobs 2`` at least
1.7x faster than ``--jobs 1`` on a detection run.

    python scripts/bench_batch.py [--films 1000] [--jobs N] [--detect-films 40]

``--jobs`` must be at least 2 for the kill (the default is all cores).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_measure import landmark_table

from alignment.batch import default_jobs, run_batch
from alignment.phantom import generate_phantoms


def write_film(path: Path, rng: np.random.Generator) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.UID("1.2.840.10008.5.1.4.1.1.1.1")  # DX
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
    )
    ds.Modality, ds.PatientName, ds.PatientID = "DX", "BENCH^FILM", "BENCH"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 96, 32, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.ImagerPixelSpacing = [0.15, 0.15]
    ds.EstimatedRadiographicMagnificationFactor = 1.05
    ds.PatientOrientation = ["L", "F"]
    ds.PixelData = rng.integers(0, 4096, (96, 32), dtype=np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--films", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--detect-films", type=int, default=40, help="0 to skip")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study"
        study.mkdir()
        for i in range(args.films):
            write_film(study / f"film_{i:06d}.dcm", rng)
        landmark_table(2 * args.films).to_csv(study / "landmarks.csv", index=False)
        paths = sorted(study.glob("*.dcm"))

        start = time.perf_counter()
        for path in paths:
            pydicom.dcmread(path, stop_before_pixels=True)
        baseline = time.perf_counter() - start

        out = Path(folder) / "out"
        clean = _Killer(None)
        start = time.perf_counter()
        result = run_batch(study, out, overlays=False, report=False, jobs=args.jobs,
                           progress=clean)  # fmt: skip
        batch = time.perf_counter() - start
        start = time.perf_counter()
        again = run_batch(study, out, overlays=False, report=False, jobs=args.jobs)
        resumed = time.perf_counter() - start
        killer = _Killer(args.films // 4)
        start = time.perf_counter()
        killed = run_batch(study, Path(folder) / "killed", overlays=False, report=False,
                           jobs=args.jobs, progress=killer)  # fmt: skip
        total_killed = time.perf_counter() - start

    print(f"films: {args.films:,}, jobs: {args.jobs}, errors: {len(result.errors)}, "
          f"result rows: {len(result.results):,}")  # fmt: skip
    print(f"pydicom header read (baseline): {baseline:.2f} s")
    print(f"alignment batch, fresh:         {batch:.2f} s ({batch / baseline:.2f}x baseline; "
          f"aim <= 1.5x)")  # fmt: skip
    print(f"alignment batch, resumed:       {resumed:.2f} s ({again.processed} reprocessed)")
    clean_rate = (args.films - 1) / (clean.ended - clean.first)
    if killer.at is None:
        print("worker kill: no worker found to kill (use --jobs 2 or more)")
    else:
        before = (killer.done_at_kill - 1) / (killer.at - killer.first)
        after = (args.films - killer.done_at_kill) / (killer.ended - killer.at)
        crashed = int((killed.errors["stage"] == "crash").sum())
        print(f"clean run:                      {clean_rate:.1f} images/s (from the first "
              "film done to the last)")  # fmt: skip
        print(f"one worker killed at {killer.done_at_kill} films:  {before:.1f} images/s before, "
              f"{after:.1f} images/s after ({after / clean_rate:.2f}x the clean run; "
              f"{total_killed:.2f} s in all, {crashed} film lost to the crash)")  # fmt: skip
    if args.detect_films:
        detection_speedup(args.detect_films)


class _Killer:
    """A progress callback that times the films done and SIGKILLs one pool worker once
    `after` films are done (None: never)."""

    def __init__(self, after: int | None) -> None:
        self.after = after
        self.first = self.ended = 0.0
        self.at: float | None = None
        self.done_at_kill = 0

    def __call__(self, done: int, total: int) -> None:
        self.ended = time.perf_counter()
        if done == 1:
            self.first = self.ended
        if self.after is None or self.at is not None or done < max(self.after, 2):
            return
        if (worker := _a_worker()) is not None:
            os.kill(worker, signal.SIGKILL)
            self.at, self.done_at_kill = time.perf_counter(), done


def _a_worker() -> int | None:
    """A pool worker of this process: a child of its fork server (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    for helper in children.get(os.getpid(), []):  # fork server, resource tracker
        if workers := children.get(helper):
            return workers[0]
    return None


def detection_speedup(films: int) -> None:
    """Time a --detect run on phantom films with one worker and with two."""
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "phantoms"
        generate_phantoms(study, n=max(films // 2, 1), seed=424242)
        (study / "landmarks.csv").unlink()  # detection only
        seconds = {}
        for jobs in (1, 2):
            start = time.perf_counter()
            result = run_batch(study, Path(folder) / f"out{jobs}", detect="all", overlays=False,
                               report=False, jobs=jobs)  # fmt: skip
            seconds[jobs] = time.perf_counter() - start
    print(
        f"detection run, {result.images} phantom films: --jobs 1 {seconds[1]:.1f} s, "
        f"--jobs 2 {seconds[2]:.1f} s, speed-up {seconds[1] / seconds[2]:.2f}x (aim >= 1.7x)"
    )


if __name__ == "__main__":
    main()
