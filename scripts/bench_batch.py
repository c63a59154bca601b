"""Benchmark: a batch of generated DICOM films against reading their headers with pydicom.

Writes N small DICOM films (real headers: Imager Pixel Spacing, magnification,
orientation) with one combined landmark file, then times in the same run:

- the baseline: ``pydicom.dcmread(path, stop_before_pixels=True)`` on every film;
- ``run_batch`` on the folder, without detection, overlays or report (``--jobs`` as
  given, default all cores), from a fresh output folder;
- the same batch again on the same output folder (everything is resumed).

and, with ``--detect-films N`` (default 40), a detection run on N synthetic phantom
films (``alignment phantom``) with ``--jobs 1`` and with ``--jobs 2``.

Aims (issue 6): the batch within 1.5x of the header baseline; ``--jobs 2`` at least
1.7x faster than ``--jobs 1`` on a detection run.

    python scripts/bench_batch.py [--films 1000] [--jobs N] [--detect-films 40]
"""

from __future__ import annotations

import argparse
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
        start = time.perf_counter()
        result = run_batch(study, out, overlays=False, report=False, jobs=args.jobs)
        batch = time.perf_counter() - start
        start = time.perf_counter()
        again = run_batch(study, out, overlays=False, report=False, jobs=args.jobs)
        resumed = time.perf_counter() - start

    print(f"films: {args.films:,}, jobs: {args.jobs}, errors: {len(result.errors)}, "
          f"result rows: {len(result.results):,}")  # fmt: skip
    print(f"pydicom header read (baseline): {baseline:.2f} s")
    print(f"alignment batch, fresh:         {batch:.2f} s ({batch / baseline:.2f}x baseline; "
          f"aim <= 1.5x)")  # fmt: skip
    print(f"alignment batch, resumed:       {resumed:.2f} s ({again.processed} reprocessed)")
    if args.detect_films:
        detection_speedup(args.detect_films)


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
