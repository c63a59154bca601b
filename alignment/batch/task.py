"""One image, one unit of work: pure in, one outcome out.

:func:`process_image` reads the film (its header, or its pixels when an overlay or
DICOM output is asked for), gives its landmarks the film's spacing and orientation,
and draws what was measured. It never raises: whatever goes wrong becomes an
``(stage, error)`` pair of its outcome, so the same task can run in this process, in a
process pool, on a Dask worker, or again after a crash, with the same result.
"""

from __future__ import annotations

import contextlib
import errno
import math
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignment.batch.executors import DEFAULT_TIME_LIMIT_S
from alignment.batch.pairing import case_of
from alignment.errors import AlignmentError, ImageReadError, LandmarkError
from alignment.io import Radiograph, read_radiograph
from alignment.measures import Preset, measure_landmarks

__all__ = [
    "DEFAULT_TIME_LIMIT_S",
    "OFF_FILM_FACTOR",
    "BatchSettings",
    "ImageOutcome",
    "ImageTask",
    "TaskTimeoutError",
    "check_on_film",
    "process_image",
]

Detect = Literal["all", "missing"] | None

OFF_FILM_FACTOR = 10.0
"""Landmarks farther off their film than this many times its size are refused."""


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class TaskTimeoutError(AlignmentError, TimeoutError):
    """An image took longer than the batch's time limit."""


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`TaskTimeoutError` in this thread if the block runs past `seconds`.

    Uses ``SIGALRM``, so it works in the main thread of a process (this one, or a
    worker of a process pool); elsewhere (a Dask worker thread) no limit applies.
    Time spent inside a C extension counts, but the error is raised only once control
    returns to Python.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TaskTimeoutError(f"{what}: took longer than the limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class BatchSettings:
    """What every task of a run shares.

    Attributes
    ----------
    preset : Preset
        Targets, resolved once for the run.
    overlay_dir : str or None
        Folder for overlay PNGs; None for none.
    dicom_dir : str or None
        Folder for DICOM SR and presentation states; None for none.
    identifiers : bool
        Whether DICOM outputs may carry the source's patient identifiers.
    time_limit_s : float or None
        Longest an image may take; past it the image becomes an error row (stage
        ``timeout``) and is tried again by the next run. None for no limit.
    detect : {'all', 'missing'} or None
        Find landmarks automatically: on every image, only on images without
        landmarks, or never.
    """

    preset: Preset
    overlay_dir: str | None = None
    dicom_dir: str | None = None
    identifiers: bool = False
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S
    detect: Detect = None

    def fingerprint(self) -> dict[str, Any]:
        """What, if changed, makes a finished image worth processing again."""
        return {
            "preset": self.preset.hash,
            "overlays": self.overlay_dir is not None,
            "dicom": self.dicom_dir is not None,
            "identifiers": self.identifiers,
            "detect": self.detect,
        }


@dataclass(frozen=True)
class ImageTask:
    """An image to process.

    Attributes
    ----------
    key : str
        The image's key (path relative to the input folder).
    path : str
        Where to read it.
    landmarks : pandas.DataFrame or None
        Its landmark rows (``image`` is the key), or None when it has none.
    output_name : str
        A file-system-safe stem for its output files, never built from file contents.
    settings : BatchSettings
    title : str or None
        What outputs meant to be looked at (the overlay) call the image: its key
        (None), or a pseudonym that hides it.
    """

    key: str
    path: str
    landmarks: pd.DataFrame | None
    output_name: str
    settings: BatchSettings
    title: str | None = None


@dataclass(frozen=True)
class ImageOutcome:
    """What :func:`process_image` produced.

    Attributes
    ----------
    key : str
    image : dict
        What the loader found (see :func:`image_facts`); empty if the image could not
        be read.
    errors : tuple of (stage, error)
    files : tuple of str
        Output files written, relative to the output folder.
    detected : pandas.DataFrame or None
        Landmarks found by automatic detection (with ``confidence``, ``method`` and
        ``review``), with the film's geometry; None when none were detected.
    """

    key: str
    image: dict[str, Any] = field(default_factory=dict)
    errors: tuple[tuple[str, str], ...] = ()
    files: tuple[str, ...] = ()
    detected: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def retry(self) -> bool:
        """Whether the next run should try this image again: anything went wrong (it
        failed, crashed, or ran out of time). Only clean successes are skipped."""
        return bool(self.errors)

    @property
    def disk_full(self) -> bool:
        """Whether an output of this image could not be written for want of space."""
        return any(stage == "disk" for stage, _ in self.errors)

    @property
    def readable(self) -> bool:
        """Whether the image was read."""
        return bool(self.image)

    @property
    def measurable(self) -> bool:
        """Whether its landmarks can be measured: the image was read, and they were
        found usable on it (no error of stage ``landmarks``)."""
        return self.readable and not any(stage == "landmarks" for stage, _ in self.errors)


def image_facts(radiograph: Radiograph) -> dict[str, Any]:
    """What a run records of an image: its size, spacing, orientation and encoding."""
    return {
        "rows": radiograph.rows,
        "columns": radiograph.columns,
        "spacing_mm": list(radiograph.spacing_mm) if radiograph.spacing_mm else None,
        "spacing_source": radiograph.spacing_source,
        "magnification": radiograph.magnification,
        "laterality": radiograph.laterality,
        "view": radiograph.view,
        "patient_orientation": radiograph.patient_orientation or "",
        "photometric": radiograph.photometric,
        "transfer_syntax": radiograph.transfer_syntax,
    }


def check_on_film(landmarks: pd.DataFrame, rows: int, columns: int, image: str) -> None:
    """Refuse landmarks far off their film: beyond :data:`OFF_FILM_FACTOR` times its size.

    A coordinate is accepted when ``|x| <= OFF_FILM_FACTOR * columns`` and ``|y| <=
    OFF_FILM_FACTOR * rows`` (pixels, the spec's convention): room for a point placed
    just off the edge, and none for a typo or a wild value that would measure a femur
    of 4e302 mm.

    Raises
    ------
    LandmarkError
        Naming the first such landmark, its leg and the film's size.

    Examples
    --------
    >>> from alignment.landmarks import LandmarkSet, landmark_table
    >>> leg = LandmarkSet("a.png", "left", "AP", {"ankle_center": (1e12, 10.0)})
    >>> check_on_film(landmark_table([leg]), 100, 80, "a.png")
    Traceback (most recent call last):
    ...
    alignment.errors.LandmarkError: a.png: landmark ankle_center (left AP) at x = 1e+12, \
y = 10 lies beyond 10 times the film's size (80 x 100 pixels): not measured
    """
    x = landmarks["x"].to_numpy(dtype=float)
    y = landmarks["y"].to_numpy(dtype=float)
    far = (np.abs(x) > OFF_FILM_FACTOR * columns) | (np.abs(y) > OFF_FILM_FACTOR * rows)
    if far.any():
        row = landmarks.iloc[int(np.argmax(far))]
        raise LandmarkError(
            f"{image}: landmark {row['landmark']} ({row['side']} {row['view']}) at "
            f"x = {row['x']:g}, y = {row['y']:g} lies beyond {OFF_FILM_FACTOR:g} times the "
            f"film's size ({columns} x {rows} pixels): not measured"
        )


def with_image_geometry(
    landmarks: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]
) -> pd.DataFrame:
    """The landmark rows with their film's spacing and orientation.

    The film is the authority: its spacing (already corrected to the object plane
    when the DICOM gives a magnification factor, see :mod:`alignment.io`) replaces any
    spacing in the landmark file, so ``magnification`` is cleared to avoid correcting
    twice; its Patient Orientation fills ``patient_orientation``.

    Parameters
    ----------
    landmarks : pandas.DataFrame
        Landmark rows whose ``image`` values are keys of `facts`.
    facts : mapping of str to mapping
        :func:`image_facts` of each image.
    """
    images = landmarks["image"].astype(str)
    spacing = {k: f["spacing_mm"] or (math.nan, math.nan) for k, f in facts.items()}
    out = landmarks.copy()
    out["row_spacing_mm"] = images.map({k: v[0] for k, v in spacing.items()}).astype(float)
    out["col_spacing_mm"] = images.map({k: v[1] for k, v in spacing.items()}).astype(float)
    out["magnification"] = math.nan
    out["patient_orientation"] = images.map(
        {k: f["patient_orientation"] for k, f in facts.items()}
    ).astype(str)
    return out


def _overlay(
    task: ImageTask,
    radiograph: Radiograph,
    landmarks: pd.DataFrame | None,
    results: pd.DataFrame | None,
    notes: Sequence[str] = (),
) -> str:
    """Draw the image's overlay; `notes` say why nothing was found, if so."""
    from alignment.report.overlay import write_overlay

    if radiograph.pixels is None:
        raise ImageReadError(f"{task.key}: the pixels were not read")
    relative = f"overlays/{task.output_name}.png"
    folder = Path(task.settings.overlay_dir or ".")
    folder.mkdir(parents=True, exist_ok=True)
    write_overlay(
        folder / f"{task.output_name}.png",
        radiograph.pixels,
        landmarks,
        results,
        image=task.key,
        title=task.title,
        window=radiograph.window,
        notes=notes,
    )
    return relative


def _dicom(task: ImageTask, landmarks: pd.DataFrame, results: pd.DataFrame) -> list[str]:
    from alignment.report.sr import write_dicom_outputs

    folder = Path(task.settings.dicom_dir or ".")
    folder.mkdir(parents=True, exist_ok=True)
    written = write_dicom_outputs(
        task.path,
        results,
        landmarks,
        folder,
        stem=task.output_name,
        identifiers=task.settings.identifiers,
    )
    return [f"{folder.name}/{Path(p).name}" for p in written]


def process_image(task: ImageTask) -> ImageOutcome:
    """Process one image; see the module docstring. Never raises.

    An image without landmarks is an error of stage ``landmarks``; a read failure an
    error of stage ``read`` (its landmarks are then not measured); a failure while
    drawing the overlay or writing DICOM leaves the image measured.
    """
    stage, facts, files, detected = "read", {}, [], None
    errors: list[tuple[str, str]] = []
    settings = task.settings
    try:
        with time_limit(settings.time_limit_s, task.key):
            detect = settings.detect == "all" or (
                settings.detect == "missing" and task.landmarks is None
            )
            has_landmarks = task.landmarks is not None or detect
            radiograph = read_radiograph(
                task.path, pixels=detect or (settings.overlay_dir is not None and has_landmarks)
            )
            facts = image_facts(radiograph)
            stage = "detect"
            if detect:
                detected, problems = _detect(task, radiograph, facts)
                errors += problems
            landmarks = detected if detected is not None else task.landmarks
            stage = "landmarks"
            if landmarks is None and detect:  # detection found nothing; its rows say why
                if settings.overlay_dir is not None:  # the overlay says so, with the reasons
                    stage = "overlay"
                    notes = [message for _, message in errors]
                    files.append(_overlay(task, radiograph, None, None, notes))
                return ImageOutcome(task.key, facts, tuple(errors), tuple(files))
            if landmarks is None:
                raise _NoLandmarksError("no landmarks for this image, and no detection asked for")
            check_on_film(landmarks, radiograph.rows, radiograph.columns, task.key)
            wants_dicom = settings.dicom_dir is not None and radiograph.format == "DICOM"
            if settings.overlay_dir is not None or wants_dicom:
                if detected is None:
                    landmarks = with_image_geometry(landmarks, {task.key: facts})
                results = measure_landmarks(landmarks, preset=settings.preset)
            if settings.overlay_dir is not None:
                stage = "overlay"
                files.append(_overlay(task, radiograph, landmarks, results))
            if wants_dicom:
                stage = "dicom"
                files += _dicom(task, landmarks, results)
        return ImageOutcome(task.key, facts, tuple(errors), tuple(files), detected)
    except TimeoutError as exc:  # the time limit, wherever it struck
        stage, message = "timeout", str(exc).replace(task.path, task.key)
    except MemoryError:
        message = f"ran out of memory while at stage {stage} (the worker's memory limit)"
        stage = "memory"
    except (AlignmentError, OSError, ValueError) as exc:
        message = str(exc).replace(task.path, task.key)
        stage = "memory" if _memory_exhausted(exc) else _output_stage(exc, stage)
    except Exception as exc:  # one bad file must not stop a batch
        message = f"unexpected {type(exc).__name__}: {exc}".replace(task.path, task.key)
        if _memory_exhausted(exc):
            stage = "memory"
    errors.append((stage, message))
    return ImageOutcome(task.key, facts, tuple(errors), tuple(files), detected)


_NO_MEMORY_TEXTS = (
    "Cannot allocate memory",  # ENOMEM, as C libraries word it
    "failed to map segment",  # a library imported under the memory limit
    "Insufficient memory",  # OpenCV
    "bad_alloc",  # C++
    "MemoryError",  # wrapped by a reader into its typed error
)


def _memory_exhausted(error: BaseException) -> bool:
    """Whether `error` is a library's way of saying it ran out of memory."""
    if isinstance(error, OSError) and error.errno == errno.ENOMEM:
        return True
    text = f"{type(error).__name__}: {error}"
    return any(words in text for words in _NO_MEMORY_TEXTS)


def _output_stage(error: BaseException, stage: str) -> str:
    """`stage`, or ``disk`` / ``write`` if `error` is the system refusing to write an
    output (a full disk, a folder that cannot be written): not a property of the input."""
    writing = stage in ("overlay", "dicom")
    if not writing or not isinstance(error, OSError) or isinstance(error, AlignmentError):
        return stage
    if error.errno is None:
        return stage
    return "disk" if error.errno in _DISK_FULL else "write"


_DETECTOR_SPACING = ("imager_pixel_spacing", "nominal_scanned_pixel_spacing", "none", "sidecar")


def _detect(
    task: ImageTask, radiograph: Radiograph, facts: Mapping[str, Any]
) -> tuple[pd.DataFrame | None, list[tuple[str, str]]]:
    """Detected landmarks with the film's geometry, and what could not be found."""
    from alignment.detect import detect_landmarks

    result = detect_landmarks(radiograph, image=task.key, case=case_of(task.key))
    problems = [
        ("detect", ": ".join(part for part in (f"{m.side} {m.view}".strip(),
                                                "" if m.landmark == "*" else m.landmark,
                                                m.reason) if part))
        for m in result.missing
    ]  # fmt: skip
    if result.landmarks.empty:
        problems += [("detect", note) for note in result.notes]
        return None, problems or [("detect", "no landmark found")]
    table = with_image_geometry(result.landmarks, {task.key: facts})
    if result.sphere_magnification and facts["spacing_source"] in _DETECTOR_SPACING:
        # Spacing at the detector, and the calibration sphere says by how much the
        # anatomy was magnified: lengths are divided by it.
        table["magnification"] = result.sphere_magnification
    return table, problems


class _NoLandmarksError(AlignmentError):
    """An image reached processing without landmarks."""
