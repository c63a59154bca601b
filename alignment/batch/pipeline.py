"""The batch pipeline: a study folder in; results, overlays, report and DICOM out.

:func:`run_batch` walks the input folder, pairs each image with its landmarks, runs one
task per image (in this process, a process pool or on Dask), stores each outcome as it
completes, then measures every landmark set at once and writes the outputs. A rerun
skips images whose input, landmarks and settings are unchanged, so a run that was
killed or interrupted resumes where it stopped and ends with the same outputs.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import hmac
import importlib.metadata
import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignment import __version__
from alignment.atomic import atomic_path, remove_leftovers, write_text_atomic
from alignment.batch.checks import (
    check_groups,
    check_landmark_files,
    check_output_folder,
    ungrouped,
)
from alignment.batch.discover import check_output_apart, describe_files, discover_inputs
from alignment.batch.executors import (
    check_main_guard,
    default_jobs,
    default_memory_limit,
    run_tasks,
)
from alignment.batch.pairing import case_of, pair_landmarks, read_landmark_sources
from alignment.batch.privacy import clear_other_privacy, name_scrubber
from alignment.batch.store import STATE_DIR, StateStore, disk_errors, file_digest, lock_output
from alignment.batch.task import (
    DEFAULT_TIME_LIMIT_S,
    BatchSettings,
    Detect,
    ImageOutcome,
    ImageTask,
    process_image,
    with_image_geometry,
)
from alignment.csvtext import csv_text
from alignment.errors import BatchError, ImageReadError, StatsError
from alignment.landmarks import KEY_COLUMNS, validate_landmarks
from alignment.measures import Preset, flag_review, load_preset, measure_landmarks, to_wide
from alignment.measures.engine import knee_types
from alignment.measures.rounding import round_results

__all__ = ["ERROR_COLUMNS", "BatchResult", "library_versions", "run_batch"]

log = logging.getLogger(__name__)

ERROR_COLUMNS = ("image", "stage", "error")
"""Columns of ``errors.csv``."""

_OUTPUTS = (
    "results.csv",
    "results_wide.csv",
    "results.parquet",
    "landmarks.csv",
    "errors.csv",
    "comparison.csv",
    "manifest.json",
    "report.html",
    "overlays",
    "dicom",
)
"""What a run may write in OUT_DIR (beside its private ``.alignment/``)."""

_RUN_FILES = tuple(f for f in _OUTPUTS if f.endswith((".csv", ".parquet", ".json")))
"""The tables and the manifest of a run, linked from its report where written."""

_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pydicom",
    "statsmodels",
    "scikit-image",
    "opencv-python-headless",
    "highdicom",
    "pylibjpeg",
    "dask",
    "distributed",
)

Progress = Callable[..., None]
"""Called as ``progress(done, total, stage)``: ``stage`` is ``"hashing"`` while the inputs
are hashed (before any image is processed), then ``"images"`` after each image of this
run."""


@dataclass(frozen=True)
class BatchResult:
    """What a run produced.

    Attributes
    ----------
    out_dir : pathlib.Path
    results : pandas.DataFrame
        The long results table as written to ``results.csv``.
    errors : pandas.DataFrame
        ``errors.csv``: columns :data:`ERROR_COLUMNS`.
    images : int
        Images found.
    processed : int
        Images processed by this run (the others were done before and unchanged).
    """

    out_dir: Path
    results: pd.DataFrame
    errors: pd.DataFrame
    images: int
    processed: int

    @property
    def completed_with_errors(self) -> bool:
        return not self.errors.empty


def safe_name(key: str) -> str:
    """A file-system-safe, unique stem for the outputs of image `key`.

    Examples
    --------
    >>> safe_name("patients/Smith, J/ap.dcm")
    'patients_Smith_J_ap-96cc1f2a'
    """
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key.rsplit(".", 1)[0] if "." in key else key)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{readable.strip('._')[:80]}-{digest}"


class _Pseudonyms:
    """Keyed-hash pseudonyms, stable across reruns of one output folder."""

    def __init__(self, state_dir: Path) -> None:
        path = state_dir / "pseudonym.key"
        if not path.exists():
            write_text_atomic(path, secrets.token_hex(32))
        self._key = bytes.fromhex(path.read_text().strip())

    def __call__(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:12]}"


def _landmark_files(
    landmarks: str | os.PathLike[str] | None, found: Sequence[tuple[str, str]], out_dir: Path
) -> list[tuple[str, str]]:
    """``(key, path)`` of the landmark files to use: given, or found in the input."""
    if landmarks is None:
        return list(found)
    path = Path(landmarks)
    if path.is_dir():
        walked = discover_inputs(path, exclude=[out_dir])
        check_landmark_files(walked.malformed, ())
        return [(f.key, str(f.path)) for f in walked.landmark_files]
    if not path.is_file():
        raise BatchError(f"{path}: landmark file or folder not found")
    return [(path.name, str(path))]


def _placeholders(
    places: Mapping[str, str | os.PathLike[str] | None],
) -> dict[str, str]:
    """Each given path (as given and resolved) -> the placeholder that stands for it."""
    found = {}
    for placeholder, place in places.items():
        if isinstance(place, (str, os.PathLike)):
            for form in (os.fspath(place), str(Path(place).resolve())):
                found[form.rstrip("/") or form] = placeholder
    return found


def _landmark_digests(landmarks: pd.DataFrame) -> dict[str, str]:
    """SHA-256 of each image's landmark rows (hashed in one pass over all of them)."""
    rows = pd.util.hash_pandas_object(landmarks, index=False).to_numpy()
    return {
        str(key): hashlib.sha256(rows[positions].tobytes()).hexdigest()
        for key, positions in landmarks.groupby("image", sort=False, observed=True).indices.items()
    }


def _fingerprint(image_digest: str, landmarks_digest: str, settings: dict) -> str:
    document = {
        "version": __version__,
        "image": image_digest,
        "landmarks": landmarks_digest,
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _crashed(task: ImageTask, error: BaseException) -> ImageOutcome:
    """The outcome of an image whose worker process died (a decoder's abort...)."""
    message = f"the worker process died while reading this image ({type(error).__name__})"
    return ImageOutcome(task.key, {}, (("crash", message),))


def library_versions() -> dict[str, str]:
    """The versions of this toolkit, of Python and of the installed libraries that
    decode, measure and write (:data:`_LIBRARIES`; those not installed are left out).

    A run's figures can depend on them: other releases of the libraries that decode
    and process the films (OpenCV decodes the JPEG exports) may round otherwise. They
    do depend on the processor: numpy picks its kernels by the SIMD extensions it
    finds, and sums rounded in another order can tip a detection choice made at a
    threshold (with AVX-512 turned off, the real crops' mean HKA error went from 1.22
    to 1.25 degrees when a faint femoral head was read once, 3 of 100 crops moving;
    read eight times it stays at 1.12, 2 moving by more than 0.3). ``numpy-simd``
    names the extensions numpy found beyond its build's baseline. The batch's manifest and
    ``scripts/eval_real.py`` record them beside what they write and print.

    Returns
    -------
    dict of str to str
        Distribution name to version, ``alignment`` and ``python`` first, ``numpy-simd``
        last (``none`` when numpy runs on its baseline only, or was built without SIMD).

    Examples
    --------
    >>> versions = library_versions()
    >>> list(versions)[:3]
    ['alignment', 'python', 'numpy']
    """
    versions = {"alignment": __version__, "python": sys.version.split()[0]}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    found = np.show_config(mode="dicts").get("SIMD Extensions", {}).get("found", [])
    versions["numpy-simd"] = " ".join(found) or "none"
    return versions


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_batch(
    input_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    landmarks: str | os.PathLike[str] | None = None,
    groups: str | os.PathLike[str] | pd.DataFrame | None = None,
    preset: str | os.PathLike[str] | Preset = "default",
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    implant: bool | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    overlays: bool = True,
    report: bool = True,
    dicom_sr: bool = False,
    pseudonymise: bool = False,
    keep_identifiers: bool = False,
    follow_links: bool = False,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S,
    memory_limit_bytes: int | Literal["auto"] | None = "auto",
    detect: Detect = None,
    progress: Progress | None = None,
    command_line: Sequence[str] | None = None,
    force: bool = False,
    overwrite: bool = False,
) -> BatchResult:
    """Measure a study folder; see the module docstring and ``docs/batch.md``.

    Parameters
    ----------
    input_dir : path-like
        The study folder: DICOM (with or without extension), PNG, JPEG, TIFF, and
        landmark files in any supported format. Never modified.
    out_dir : path-like
        Where outputs go; created if needed. Must not be or hold an input folder, nor
        hold an input file; it may lie inside `input_dir` when new, empty or the
        output folder of an earlier run (it is then not walked).
    landmarks : path-like, optional
        A combined landmark file, or a folder of per-image files; default: the landmark
        files found in `input_dir`.
    groups : path-like or pandas.DataFrame, optional
        ``case,group`` (or ``image,group``): also compare the groups
        (``comparison.csv``).
    preset, overrides, implant
        Targets and tolerances, and whether knees are replaced, as for
        :func:`alignment.measure_landmarks`.
    jobs : int, optional
        Worker processes (default: all cores). Each image runs in a worker, so a
        decoder that crashes its process costs only that image (an error row of stage
        ``crash``); 0 runs everything in this process.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler, or ``local`` for a Dask LocalCluster.
    overlays, report : bool, optional
        Draw an overlay PNG per image; write ``report.html``.
    dicom_sr : bool, optional
        Write a DICOM Comprehensive SR and a presentation state per DICOM image.
    pseudonymise : bool, optional
        Key rows by keyed-hash pseudonyms instead of relative paths and case names
        (the key is kept in ``OUT_DIR/.alignment/``, the map in
        ``OUT_DIR/.alignment/pseudonyms.csv``: keep that folder private).
    keep_identifiers : bool, optional
        Let DICOM outputs carry the source's patient identifiers.
    follow_links : bool, optional
        Follow symbolic links that leave `input_dir`.
    detect : {'all', 'missing'}, optional
        Find landmarks with :func:`alignment.detect.detect_landmarks`: on every image,
        or only on images without landmarks. Detected landmarks are written with
        ``source`` ``detector``; legs that detection flags get ``review`` in their
        results' flags; what it could not find becomes error rows (stage ``detect``).
    time_limit_s : float or None, optional
        Longest one image may take (default 300 s); an image past it becomes an error
        row of stage ``timeout`` and is tried again by the next run. None: no limit.
        Enforced in this process and in a local pool; not on Dask workers.
    memory_limit_bytes : int, 'auto' or None, optional
        Address space one image may take in a worker of a local pool, beyond what
        the worker holds when it starts the image (interpreter and libraries); an
        image past it becomes an error row of stage ``memory``, tried again by the
        next run. ``'auto'`` (default): the machine's memory divided by the
        workers, at least 2 GiB (:func:`~alignment.batch.executors.default_memory_limit`).
        None: no limit.
        Not applied with ``jobs=0`` nor on Dask (whose workers have their own).
    progress : callable, optional
        ``progress(done, total, stage)``: while hashing the inputs (``stage`` is
        ``"hashing"``), then after each image processed (``"images"``).
    command_line : sequence of str, optional
        Recorded in ``manifest.json``.
    force : bool, optional
        Process every image again, even those an earlier run into `out_dir` finished
        unchanged (by default only they are skipped: an image that failed, crashed or
        timed out is always tried again).
    overwrite : bool, optional
        Write into a non-empty `out_dir` that is not the output of an earlier batch
        (by default refused, so that a study folder cannot be written over).

    Returns
    -------
    BatchResult

    Raises
    ------
    BatchError
        The input folder is missing; the output folder is locked by another run or
        cannot be written, or its disk is full (what finished is kept for the next
        run); or writing it could touch an input (see
        :func:`~alignment.batch.discover.check_output_apart`); or this is called at
        the top level of a script, outside ``if __name__ == "__main__":``, with worker
        processes (which would import the script again: the message says what to add).
    alignment.errors.Interrupted
        SIGINT or SIGTERM stopped the run; every image finished by then is stored
        and the next run resumes.
    ImageReadError
        The input folder holds no image.
    OutputExistsError
        `out_dir` is not empty and not an earlier batch's output (see `overwrite`).
    LandmarkFileError
        A landmark file cannot be read, or a CSV looks like a landmark table but lacks
        a required column.
    StatsError, PresetError
        The groups table or the preset cannot be used.

    All of these are raised before any image is read; everything that goes wrong with
    one image becomes a row of ``errors.csv``. Cases of the study that the groups
    table leaves out are named in a warning (logger ``alignment.batch.pipeline``).
    """
    started = _now()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if not input_dir.is_dir():
        raise BatchError(f"{input_dir}: input folder not found (or not a folder)")
    # Everything that can be checked is checked before any image is read.
    resolved = load_preset(preset, overrides=overrides)
    group_table = check_groups(groups) if groups is not None else None
    given = [Path(p) for p in (landmarks, groups) if isinstance(p, (str, os.PathLike))]
    check_output_apart(
        out_dir,
        folders=[input_dir, *(p for p in given if p.is_dir())],
        files=[p for p in given if not p.is_dir()],
    )
    check_output_folder(out_dir, overwrite=overwrite, ours=STATE_DIR)
    if jobs != 0 and scheduler in (None, "local"):
        check_main_guard()
    found = discover_inputs(input_dir, exclude=[out_dir], follow_external_links=follow_links)
    if not found.images:
        raise ImageReadError(
            f"no DICOM, PNG, JPEG or TIFF found in {input_dir} (found {describe_files(input_dir)})"
        )
    problems = [(key, "discover", message) for key, message in found.problems]
    landmark_files = _landmark_files(
        landmarks, [(f.key, str(f.path)) for f in found.landmark_files], out_dir
    )
    sources, failed = read_landmark_sources(landmark_files)
    check_landmark_files(found.malformed if landmarks is None else (), failed)
    image_keys = [f.key for f in found.images]
    paired, more = pair_landmarks(image_keys, sources)
    paired = _with_knee_type(paired, implant)
    problems += more
    if group_table is not None:
        _warn_ungrouped(group_table, paired, image_keys)
    if memory_limit_bytes == "auto":
        memory_limit_bytes = default_memory_limit(default_jobs() if jobs is None else jobs)
    with lock_output(out_dir) as state_dir, disk_errors(out_dir):
        for folder in (out_dir, out_dir / "overlays", out_dir / "dicom"):
            remove_leftovers(folder)  # of a run killed while writing
        privacy = {"pseudonymise": pseudonymise, "identifiers": keep_identifiers}
        clear_other_privacy(out_dir, state_dir, privacy, _OUTPUTS)
        tables = {
            str(key): rows.reset_index(drop=True)
            for key, rows in paired.groupby("image", sort=False, observed=True)
        }
        names = _Pseudonyms(state_dir) if pseudonymise else None
        settings = BatchSettings(
            preset=resolved,
            overlay_dir=str(out_dir / "overlays") if overlays else None,
            dicom_dir=str(out_dir / "dicom") if dicom_sr else None,
            identifiers=keep_identifiers,
            time_limit_s=time_limit_s,
            detect=detect,
        )
        digests: dict[str, str] = {}
        sizes: dict[str, int] = {}
        landmark_digests = _landmark_digests(paired)
        tasks, fingerprints = [], {}
        for count, image in enumerate(found.images):
            if progress is not None:
                progress(count, len(found.images), "hashing")
            try:
                sizes[image.key] = image.path.stat().st_size
                digests[image.key] = file_digest(image.path)
            except OSError as exc:
                problems.append((image.key, "read", f"cannot read: {exc.strerror}"))
                continue
            output_name = names("img", image.key) if names else safe_name(image.key)
            task = ImageTask(
                image.key,
                str(image.path),
                tables.get(image.key),
                output_name,
                settings,
                title=output_name if names else None,
            )
            fingerprints[image.key] = _fingerprint(
                digests[image.key],
                landmark_digests.get(image.key, ""),
                {**settings.fingerprint(), "pseudonymise": pseudonymise},
            )
            tasks.append(task)
        for key, path in landmark_files:
            digests[f"landmarks:{key}"] = file_digest(path)
        if progress is not None:
            progress(len(found.images), len(found.images), "hashing")
        store = StateStore(state_dir)
        try:
            done = store.fingerprints()
            todo = [t for t in tasks if force or done.get(t.key) != fingerprints[t.key]]
            # Largest files first: a long film started last would leave the other
            # workers idle at the end (the outputs keep the input order).
            todo.sort(key=lambda t: sizes[t.key], reverse=True)
            log.info(
                "%d images, %d to process, %d done before",
                len(tasks),
                len(todo),
                len(tasks) - len(todo),
            )
            if progress is not None:  # the clock of the images starts with the pool
                progress(0, len(todo), "images")
            outcomes_of_run = run_tasks(
                process_image,
                todo,
                jobs=jobs,
                scheduler=scheduler,
                on_crash=_crashed,
                memory_limit_bytes=memory_limit_bytes,
            )
            for count, (task, outcome) in enumerate(outcomes_of_run, start=1):
                store.save(fingerprints[task.key], outcome)
                log.info(
                    "%s: %s",
                    task.key,
                    "; ".join(f"{stage}: {error}" for stage, error in outcome.errors) or "done",
                )
                if outcome.disk_full:  # every image after it would fail the same way
                    raise OSError(errno.ENOSPC, dict(outcome.errors)["disk"])
                if progress is not None:
                    progress(count, len(todo), "images")
            outcomes = store.load([t.key for t in tasks])
        finally:
            store.close()
        scrub: Callable[[str], str] = str
        if names is not None:  # messages quote file names and paths: pseudonyms instead
            places = {"INPUT_DIR": input_dir, "OUT_DIR": out_dir, "LANDMARKS": landmarks}
            places["GROUPS"] = groups if isinstance(groups, (str, os.PathLike)) else None
            scrub = name_scrubber(
                names,
                images=[*image_keys, *(key for key, _, _ in problems)],
                files=[key for key, _ in landmark_files],
                cases=paired["case"].astype(str).unique(),
                paths=_placeholders(places),
            )
            problems = [(key, stage, scrub(message)) for key, stage, message in problems]
            outcomes = [
                replace(o, errors=tuple((stage, scrub(e)) for stage, e in o.errors))
                for o in outcomes
            ]
        result = _write_outputs(
            out_dir,
            state_dir,
            outcomes,
            paired,
            problems,
            resolved,
            groups=group_table,
            names=names,
            report=report,
            review_links=None if names else _review_links(landmarks, input_dir, image_keys),
            implant=implant,
            progress=progress,
            run={
                "started": started,
                # an input path may name a patient: not in a pseudonymised report
                "input": "" if pseudonymise else str(input_dir),
                "command_line": (
                    [scrub(a) for a in command_line] if command_line is not None else None
                ),
            },
        )
        manifest = {
            "toolkit": "alignment",
            "versions": library_versions(),
            "preset": {"name": resolved.name, "hash": resolved.hash},
            "command_line": [scrub(a) for a in command_line] if command_line is not None else None,
            "inputs": {(names("img", k) if names else k): d for k, d in sorted(digests.items())},
            "images": len(tasks),
            "processed": len(todo),
            "errors": len(result.errors),
            "started": started,
            "finished": _now(),
        }
        write_text_atomic(out_dir / "manifest.json", json.dumps(manifest, indent=1) + "\n")
        return BatchResult(out_dir, result.results, result.errors, len(tasks), len(todo))


@dataclass(frozen=True)
class _Written:
    results: pd.DataFrame
    errors: pd.DataFrame


def _write_csv(path: Path, table: pd.DataFrame) -> None:
    write_text_atomic(path, csv_text(table))


def _warn_ungrouped(groups: pd.DataFrame, paired: pd.DataFrame, image_keys: list[str]) -> None:
    """Warn, naming them, about the cases of the study the groups table leaves out."""
    named = _with_case(paired) if len(paired) else paired
    case = dict(zip(named["image"].astype(str), named["case"].astype(str), strict=True))
    cases = [case.get(key, case_of(key)) for key in image_keys]
    missing = ungrouped(groups, cases, image_keys)
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        log.warning(
            "%d case(s) of the study are not in the groups file and will not be compared: %s",
            len(missing),
            shown,
        )


def _write_outputs(
    out_dir: Path,
    state_dir: Path,
    outcomes: Sequence[ImageOutcome],
    paired: pd.DataFrame,
    problems: list[tuple[str, str, str]],
    preset: Preset,
    *,
    groups: pd.DataFrame | None,
    names: _Pseudonyms | None,
    report: bool,
    review_links: Mapping[str, str] | None = None,
    implant: bool | None,
    run: Mapping[str, Any],
    progress: Progress | None = None,
) -> _Written:
    """Measure every landmark set at once and write the tables, comparison and report."""
    facts = {o.key: o.image for o in outcomes if o.measurable}
    parts = [o.detected.assign(source="detector") for o in outcomes if o.detected is not None]
    measured_from_file = facts.keys() - {o.key for o in outcomes if o.detected is not None}
    files = paired[paired["image"].astype(str).isin(measured_from_file).to_numpy()]
    if len(files):
        parts.insert(0, with_image_geometry(_with_case(files), facts).assign(source="file"))
    landmarks = validate_landmarks(pd.concat(parts, ignore_index=True)) if parts else paired[:0]
    measured = measure_landmarks(landmarks, preset=preset, implant=implant)
    results = flag_review(measured, landmarks)
    group_table = groups
    errors = pd.DataFrame(
        problems + [(o.key, stage, error) for o in outcomes for stage, error in o.errors],
        columns=list(ERROR_COLUMNS),
    )
    overlays = {o.key: f for o in outcomes for f in o.files if f.startswith("overlays/")}
    if names is not None:
        rename = _pseudonymise(names, state_dir, results, landmarks, errors, group_table)
        results, landmarks, errors, group_table = rename
        overlays = {names("img", k): f for k, f in overlays.items()}
    comparison = None
    if group_table is not None:  # on the pseudonymised tables: its errors name no case
        from alignment.stats import compare_groups

        try:
            comparison = compare_groups(results, group_table)
        except StatsError as exc:  # the measurements are still written
            failed = pd.DataFrame([("", "compare", str(exc))], columns=list(ERROR_COLUMNS))
            errors = pd.concat([errors, failed], ignore_index=True)
    readable = round_results(results)  # CSV to 0.01 deg / 0.1 mm; Parquet keeps all digits
    _write_csv(out_dir / "results.csv", readable)
    _write_csv(out_dir / "results_wide.csv", to_wide(readable))
    parquet = _write_parquet(out_dir / "results.parquet", results)
    _write_csv(out_dir / "landmarks.csv", landmarks)
    _write_csv(out_dir / "errors.csv", errors)
    if comparison is not None:
        _write_csv(out_dir / "comparison.csv", comparison)
    _remove_stale(
        out_dir, outcomes, comparison=comparison is not None, report=report, parquet=parquet
    )
    if report:
        from alignment.report import write_report

        write_report(
            out_dir / "report.html",
            results=results,
            comparison=comparison,
            landmarks=landmarks,
            errors=errors,
            overlays=overlays,
            groups=group_table,
            review_links=review_links,
            manifest=run,
            # the manifest is written last, once the report is
            files=[f for f in _RUN_FILES if (out_dir / f).exists() or f == "manifest.json"],
            progress=None if progress is None else partial(progress, stage="writing report"),
        )
    return _Written(results, errors)


def _review_links(
    landmarks: str | os.PathLike[str] | None, input_dir: Path, keys: Sequence[str]
) -> dict[str, str] | None:
    """Each film's page in the ``alignment review`` app serving `input_dir` now, when the
    landmarks come from its review folder (``REVIEW_DIR/landmarks_<reader>.csv``)."""
    if landmarks is None:
        return None
    from alignment.review import film_url, running_server

    folder = Path(landmarks) if Path(landmarks).is_dir() else Path(landmarks).parent
    server = running_server(folder)
    if server is None or Path(server["study_dir"]) != input_dir.resolve():
        return None
    return {key: film_url(server, key) for key in keys}


def _write_parquet(path: Path, results: pd.DataFrame) -> bool:
    """Write `results` at full precision as Parquet; where pyarrow (the ``parquet``
    extra) is not installed, say so in one warning and return False."""
    try:
        import pyarrow  # noqa: F401 - only whether it is installed
    except ImportError:
        log.warning("Parquet not written: install radiographic-alignment[parquet]")
        return False
    with atomic_path(path) as temporary:
        results.to_parquet(temporary, index=False, engine="pyarrow")
    return True


def _remove_stale(
    out_dir: Path,
    outcomes: Sequence[ImageOutcome],
    *,
    comparison: bool,
    report: bool,
    parquet: bool,
) -> None:
    """Remove what an earlier run into `out_dir` wrote and this run does not: a
    ``comparison.csv`` of a run with groups, a ``report.html``, a ``results.parquet``
    (now that pyarrow is missing), the overlays and DICOM files of images gone or now
    drawn under another name."""
    optional = (
        ("comparison.csv", comparison),
        ("report.html", report),
        ("results.parquet", parquet),
    )
    stale = [name for name, kept in optional if not kept]
    produced = {f for o in outcomes for f in o.files}
    for folder, suffix in (("overlays", ".png"), ("dicom", ".dcm")):
        if (out_dir / folder).is_dir():
            stale += [
                f"{folder}/{p.name}"
                for p in (out_dir / folder).iterdir()
                if p.suffix == suffix and f"{folder}/{p.name}" not in produced
            ]
    for name in stale:
        if not (out_dir / name).exists():
            continue
        (out_dir / name).unlink()
        log.info("removed %s: an output of an earlier run that this run does not produce", name)


def _with_knee_type(paired: pd.DataFrame, implant: bool | None) -> pd.DataFrame:
    """Landmark rows with ``implant`` filled for every knee whose type is known from the
    whole study (the lateral film of a knee tells its AP film), so that each image's
    task (its overlay, its DICOM SR) scores it on the same targets as the results."""
    if paired.empty:
        return paired
    named = _with_case(paired)
    leg = named.groupby(list(KEY_COLUMNS), sort=False, observed=True).ngroup().to_numpy()
    kinds = knee_types(named, leg, implant)[leg]
    spelled = np.select([kinds == "replaced", kinds == "native"], ["yes", "no"], "")
    return paired.assign(implant=pd.Categorical(spelled))


def _with_case(table: pd.DataFrame) -> pd.DataFrame:
    """Landmark rows with the case :func:`~alignment.batch.pairing.case_of` gives to
    their image (``image`` is its key) where the landmark file named none (the
    reader's default, the image's stem), so that a film measured from a file and one
    detected group alike."""
    keys = table["image"].astype(str)
    unique = keys.unique()
    cases = table["case"].astype(str)
    default = cases == keys.map({key: PurePath(key).stem for key in unique})
    if not default.any():
        return table
    return table.assign(case=cases.mask(default, keys.map({key: case_of(key) for key in unique})))


def _pseudonymise(
    names: _Pseudonyms,
    state_dir: Path,
    results: pd.DataFrame,
    landmarks: pd.DataFrame,
    errors: pd.DataFrame,
    groups: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Replace image keys and case names by pseudonyms; keep the map in the state folder."""
    mapping: dict[tuple[str, str], str] = {}

    def rename(table: pd.DataFrame | None, column: str, kind: str) -> pd.DataFrame | None:
        if table is None or column not in table.columns:
            return table
        values = table[column].astype(str)
        for value in values.unique():
            if value:  # an empty key (a row about no image) stays empty
                mapping[(kind, value)] = names(kind, value)
        return table.assign(**{column: [mapping[(kind, v)] if v else v for v in values]})

    results = rename(rename(results, "image", "img"), "case", "case")  # type: ignore[assignment]
    landmarks = rename(rename(landmarks, "image", "img"), "case", "case")  # type: ignore[assignment]
    errors = rename(errors, "image", "img")  # type: ignore[assignment]
    groups = rename(rename(groups, "image", "img"), "case", "case")
    table = pd.DataFrame(
        [(k, v, p) for (k, v), p in sorted(mapping.items())],
        columns=["kind", "value", "pseudonym"],
    )
    _write_csv(state_dir / "pseudonyms.csv", table)
    return results, landmarks, errors, groups
