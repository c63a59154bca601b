"""Fuzz targets: what each reader promises about untrusted bytes, and seed files.

A target takes a path and feeds it to one of the toolkit's readers. Its contract:
the call returns, or raises an error of the project (:class:`AlignmentError`) whose
message names the file. Any other exception is a :class:`ContractViolationError`, and so is
a typed error that does not name the file. Hangs and memory are bounded by the
callers (hypothesis deadlines, ``scripts/fuzz.py``'s alarm, the readers' size limits).

Used by the fuzz tests (short runs) and ``scripts/fuzz.py`` (long campaigns).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import DeflatedExplicitVRLittleEndian, JPEGLSLossless, RLELossless

from alignment.errors import AlignmentError
from alignment.io import read_radiograph
from alignment.landmarks import read_landmarks
from alignment.measures import measure_landmarks
from alignment.report import render_overlay, render_report
from tests.annotations.test_formats import WRITERS, write_pts
from tests.io.dicom_factory import make_dataset, write_dicom

__all__ = ["SEEDS", "TARGETS", "ContractViolationError", "check"]

FUZZ_MAX_PIXELS = 2**20
"""Readers run with a small size limit, so a mutated header cannot ask for gigabytes."""


class ContractViolationError(Exception):
    """A reader broke its contract on some input."""


def check(call: Callable[[Path], object], path: Path) -> None:
    """Run `call` on `path`; raise ContractViolationError unless it keeps the contract."""
    try:
        call(path)
    except AlignmentError as exc:
        if path.name not in str(exc):
            raise ContractViolationError(f"typed error does not name the file: {exc!r}") from exc
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # Rust panics are not Exceptions
        raise ContractViolationError(f"{type(exc).__name__}: {exc}") from exc


FUZZ_MAX_INFLATED_BYTES = 2**26
"""And a deflated dataset may not inflate past 64 MiB."""


def _read_image(path: Path) -> object:
    return read_radiograph(
        path, max_pixels=FUZZ_MAX_PIXELS, max_inflated_bytes=FUZZ_MAX_INFLATED_BYTES
    )


def _read_header(path: Path) -> object:
    return read_radiograph(
        path, pixels=False, max_pixels=FUZZ_MAX_PIXELS, max_inflated_bytes=FUZZ_MAX_INFLATED_BYTES
    )


def _read_bonefinder(path: Path) -> object:
    return read_landmarks(path, side="left", view="AP")  # .pts carry neither


def _measure_and_draw(path: Path) -> object:
    """Read, then measure, draw and report: whatever table the reader accepts (any
    finite coordinate), nothing downstream may fail or hang on."""
    table = read_landmarks(path)
    results = measure_landmarks(table)
    for image in table["image"].astype(str).unique()[:2]:
        render_overlay(np.zeros((64, 48), np.uint16), table, results, image=image, max_size=64)
    return render_report(results=results, landmarks=table)


TARGETS: dict[str, Callable[[Path], object]] = {
    "dicom": _read_image,
    "dicom-header": _read_header,
    "landmarks": read_landmarks,
    "bonefinder": _read_bonefinder,
    "measure": _measure_and_draw,
}
"""Fuzz target of each input kind."""


def _nested(depth: int) -> Dataset:
    ds = make_dataset()
    inner = Dataset()
    inner.CodeValue = "X"
    for _ in range(depth):
        outer = Dataset()
        outer.ContentSequence = Sequence([inner])
        inner = outer
    ds.ContentSequence = Sequence([inner])
    return ds


def _dicom_seeds(folder: Path) -> list[Path]:
    paths = [write_dicom(folder / "plain.dcm", make_dataset())]
    paths.append(write_dicom(folder / "mono1.dcm", make_dataset(photometric="MONOCHROME1")))
    paths.append(write_dicom(folder / "nested.dcm", _nested(40)))
    for name, syntax in (("rle.dcm", RLELossless), ("jpegls.dcm", JPEGLSLossless)):
        ds = make_dataset()
        ds.compress(syntax)
        paths.append(write_dicom(folder / name, ds))
    deflated = make_dataset()
    deflated.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    paths.append(write_dicom(folder / "deflated.dcm", deflated))
    return paths


def _landmark_seeds(folder: Path) -> list[Path]:
    paths = []
    for kind, writer in WRITERS.items():
        sub = folder / kind
        sub.mkdir()
        paths.append(writer(sub))
    return paths


def _bonefinder_seeds(folder: Path) -> list[Path]:
    return [write_pts(folder)]


def seed_files(kind: str, folder: Path) -> list[Path]:
    """Write valid seed inputs of `kind` (a key of :data:`SEEDS`) into `folder`."""
    return SEEDS[kind](folder)


SEEDS: dict[str, Callable[[Path], list[Path]]] = {
    "dicom": _dicom_seeds,
    "dicom-header": _dicom_seeds,
    "landmarks": _landmark_seeds,
    "bonefinder": _bonefinder_seeds,
    "measure": _landmark_seeds,
}


def seed_bytes(kind: str) -> list[tuple[str, bytes]]:
    """The seeds of `kind` as ``(file name, content)``, written once to a scratch folder."""
    folder = Path(tempfile.mkdtemp(prefix="alignment-fuzz-seeds-"))
    try:
        return [(p.name, p.read_bytes()) for p in seed_files(kind, folder)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
