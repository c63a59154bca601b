"""A review session's films, proposals and saved landmarks: everything but HTTP.

:class:`ReviewStudy` finds the films of a study folder and pairs them with landmark
files exactly as :func:`alignment.run_batch` does (:mod:`alignment.batch.discover`,
:mod:`alignment.batch.pairing`, the film's own spacing through
:func:`alignment.batch.task.with_image_geometry`). A reader's work lives in three files
of the review folder, each rewritten atomically on every save (from each film's rows
rendered when that film was saved, so a save renders only its own film's rows):

- ``landmarks_<reader>.csv``: the canonical long landmark table
  (:func:`alignment.write_landmarks`) with ``method`` (``file``, ``detected``,
  ``moved``, ``placed``) and the leg's ``review_state`` and ``review_reason`` on every
  point; a leg marked not measurable has no points here, so that ``alignment batch
  --landmarks`` measures only what the reader accepts as measurable.
- ``legs_<reader>.csv``: one row per leg of every film the reader has saved:
  ``image, side, view, reader, state, reason, updated``.
- ``measures_<reader>.csv``: the engine's long results table
  (:func:`alignment.measure_landmarks`) of those landmarks.

Detection proposals, when asked for, are found once per film and kept in
``detected.csv`` (reader ``detector``) so that a restart does not find them again and
:func:`read_review` can compare the detector with the readers.

Examples
--------
>>> check_reader("anna.k")
'anna.k'
>>> check_reader("../x")
Traceback (most recent call last):
...
alignment.errors.ReviewError: invalid reader name '../x': use letters, digits, ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.batch.discover import discover_inputs
from alignment.batch.pairing import case_of, pair_landmarks, read_landmark_sources
from alignment.batch.task import image_facts, with_image_geometry
from alignment.csvtext import csv_text, restore_formulas
from alignment.errors import AlignmentError, LandmarkError, ReviewError
from alignment.io import read_radiograph
from alignment.landmarks import (
    landmark_table,
    read_landmarks,
    validate_landmarks,
    write_landmarks,
)
from alignment.measures import Preset, load_preset, measure_landmarks, measure_validated
from alignment.vocabulary import (
    SIDES,
    Side,
    View,
    check_landmark_name,
    normalise_side,
    normalise_view,
)

__all__ = [
    "LEG_COLUMNS",
    "LEG_STATES",
    "METHODS",
    "ConflictError",
    "Film",
    "ReviewStudy",
    "check_reader",
    "read_review",
    "review_reliability",
]

log = logging.getLogger(__name__)

LEG_STATES: tuple[str, ...] = (
    "not_started",
    "proposed",
    "in_progress",
    "reviewed",
    "not_measurable",
)
"""States of a leg: no point yet; only proposed points (from a file or detection);
edited but not accepted; accepted by the reader; marked not measurable (with a reason)."""

METHODS: tuple[str, ...] = ("file", "detected", "moved", "placed")
"""``method`` of a saved point: as proposed by a landmark file or by detection, moved
by the reader, or placed by the reader."""

LEG_COLUMNS: tuple[str, ...] = ("image", "side", "view", "reader", "state", "reason", "updated")
"""Columns of ``legs_<reader>.csv``."""

DETECTOR = "detector"
"""Reader name of detection proposals in ``detected.csv`` and in :func:`read_review`."""

_READER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SET_STATES = ("", "reviewed", "not_measurable")  # what a client may ask a leg to be
_MAX_REASON = 500
Detect = Literal["all", "missing"] | None


class ConflictError(ReviewError):
    """A save was based on a version of the film that is no longer the saved one."""


def check_reader(name: str) -> str:
    """Return `name` if it can name a reader (and the files ``*_<reader>.csv``), else raise."""
    if not isinstance(name, str) or not _READER.fullmatch(name):
        raise ReviewError(
            f"invalid reader name {name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True)
class Film:
    """A film of the study as the review knows it.

    Attributes
    ----------
    id : str
        Opaque id used in URLs: a hash of the key, never a path.
    key : str
        Path relative to the study folder, ``/``-separated.
    path : pathlib.Path
    view : {'AP', 'LAT'}
    sides : tuple of {'left', 'right'}
        The legs (AP) or knees (LAT) the film shows, right first (as displayed).
    facts : dict
        :func:`alignment.batch.task.image_facts` of its header.
    identifiers : dict
        Patient identifiers from the header; empty unless asked for.
    """

    id: str
    key: str
    path: Path
    view: View
    sides: tuple[Side, ...]
    facts: Mapping[str, Any] = field(repr=False)
    identifiers: Mapping[str, str] = field(default_factory=dict, repr=False)


def film_id(key: str) -> str:
    """The opaque id of the film with key `key` (stable across runs)."""
    return hashlib.sha256(f"alignment-review:{key}".encode()).hexdigest()[:16]


def _view_of(rows: pd.DataFrame | None, header_view: str | None, key: str) -> View:
    if rows is not None and len(rows):
        return normalise_view(rows["view"].iloc[0])
    for guess in (header_view, *re.split(r"[^A-Za-z]+", Path(key).stem)):
        try:
            return normalise_view(guess)
        except LandmarkError:
            continue
    return "AP"


def _sides_of(rows: pd.DataFrame | None, laterality: str | None) -> tuple[Side, ...]:
    found = set() if rows is None else {normalise_side(s) for s in rows["side"].unique()}
    if laterality == "L":
        found.add("left")
    elif laterality == "R":
        found.add("right")
    elif laterality == "B" or not found:
        found = set(SIDES)
    return tuple(s for s in ("right", "left") if s in found)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN and NA become None, numpy scalars plain Python."""
    out = []
    for row in table.astype(object).to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                clean[str(k)] = None
            elif isinstance(v, np.generic):
                clean[str(k)] = v.item()
            else:
                clean[str(k)] = v
        out.append(clean)
    return out


class _FilmRows:
    """One CSV file of the review kept as each film's rows, rendered when it was saved.

    A save renders only its own film's rows (:func:`alignment.csvtext.csv_text`) and
    the file is written by joining the kept text: the same file as rendering the
    concatenation of every film's table, films in the order they were last saved,
    columns the union of theirs in order of appearance.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    table : pandas.DataFrame
        Its rows as read (or an empty table whose columns start the header).
    """

    def __init__(self, path: Path, table: pd.DataFrame) -> None:
        self.path = path
        self.columns: list[str] = [str(c) for c in table.columns]
        self._header = csv_text(pd.DataFrame(columns=self.columns))
        self.tables: dict[str, pd.DataFrame] = {
            str(k): rows.reset_index(drop=True)
            for k, rows in table.groupby("image", sort=False, observed=True)
        }
        self._lines = {key: self._render(rows) for key, rows in self.tables.items()}

    def _render(self, rows: pd.DataFrame) -> str:
        """`rows` as CSV lines under the file's header (the header left off)."""
        return csv_text(rows.reindex(columns=self.columns)).partition("\n")[2]

    def put(self, key: str, rows: pd.DataFrame | None) -> None:
        """Make `rows` the rows of film `key`, last in the file; None or none: no row."""
        self.tables.pop(key, None)
        self._lines.pop(key, None)
        new = [] if rows is None else [str(c) for c in rows.columns if c not in self.columns]
        if new:  # a column no film had: every film's rows gain its empty cells
            self.columns += new
            self._header = csv_text(pd.DataFrame(columns=self.columns))
            self._lines = {k: self._render(t) for k, t in self.tables.items()}
        if rows is not None and len(rows):
            self.tables[key] = rows
            self._lines[key] = self._render(rows)

    def write(self) -> None:
        """Write the file atomically."""
        write_text_atomic(self.path, self._header + "".join(self._lines.values()))


class ReviewStudy:
    """The films of a study, their proposals, and one reader's saved review.

    Thread-safe: the server calls it from several threads; saves are serialised.

    Parameters
    ----------
    study_dir : path-like
        The study folder (never modified).
    review_dir : path-like
        Where the reader's files go; created if needed. Not walked if inside
        `study_dir`.
    landmarks : path-like, optional
        A landmark file or folder of proposals; default the landmark files found in
        `study_dir`, as ``alignment batch`` does.
    detect : {'all', 'missing'}, optional
        Propose landmarks by :func:`alignment.detect.detect_landmarks` on every film,
        or only on films without landmarks.
    reader : str
        Who reviews; names the output files.
    blind : bool
        Hide every other reader's points and measures.
    preset : str, path-like or Preset
        Targets and tolerances for the measures.
    keep_identifiers : bool
        Let the page show the patient's name and ID from the DICOM header.
    follow_links : bool
        Follow symbolic links that leave `study_dir`.

    Raises
    ------
    ReviewError
        Invalid reader name, or no film in the study folder.
    BatchError
        The study folder is missing.
    """

    def __init__(
        self,
        study_dir: str | os.PathLike[str],
        review_dir: str | os.PathLike[str],
        *,
        landmarks: str | os.PathLike[str] | None = None,
        detect: Detect = None,
        reader: str = "reader",
        blind: bool = False,
        preset: str | os.PathLike[str] | Preset = "default",
        keep_identifiers: bool = False,
        follow_links: bool = False,
    ) -> None:
        from alignment.batch.pipeline import _landmark_files, _with_case

        self.reader = check_reader(reader)
        if detect not in (None, "all", "missing"):
            raise ReviewError(f"detect must be 'all', 'missing' or None, got {detect!r}")
        self.study_dir = Path(study_dir)
        self.review_dir = Path(review_dir)
        self.detect: Detect = detect
        self.blind = blind
        self.preset = load_preset(preset)
        self.keep_identifiers = keep_identifiers
        found = discover_inputs(
            self.study_dir, exclude=[self.review_dir], follow_external_links=follow_links
        )
        self.problems: list[tuple[str, str, str]] = [
            (key, "discover", message) for key, message in found.problems
        ]
        files = _landmark_files(
            landmarks, [(f.key, str(f.path)) for f in found.landmark_files], self.review_dir
        )
        sources, more = read_landmark_sources(files)
        self.problems += more
        paired, more = pair_landmarks([f.key for f in found.images], sources)
        self.problems += more
        by_key = {
            str(k): rows.reset_index(drop=True)
            for k, rows in paired.groupby("image", sort=False, observed=True)
        }
        self.films: dict[str, Film] = {}
        self._proposals: dict[str, pd.DataFrame] = {}
        for image in found.images:
            try:
                radiograph = read_radiograph(
                    image.path, pixels=False, identifiers=keep_identifiers
                )
            except (AlignmentError, OSError) as exc:
                self.problems.append(
                    (image.key, "read", str(exc).replace(str(image.path), image.key))
                )
                continue
            facts = image_facts(radiograph)
            rows = by_key.get(image.key)
            film = Film(
                film_id(image.key),
                image.key,
                image.path,
                _view_of(rows, radiograph.view, image.key),
                _sides_of(rows, radiograph.laterality),
                facts,
                _identifiers(radiograph.metadata) if keep_identifiers else {},
            )
            self.films[film.id] = film
            if rows is not None:
                rows = with_image_geometry(_with_case(rows), {image.key: facts})
                self._proposals[film.id] = rows.assign(reader=self.reader, method="file")
        if not self.films:
            raise ReviewError(f"{self.study_dir}: no readable film found")
        self._lock = threading.RLock()
        self._detect_locks: dict[str, threading.Lock] = {}
        self._nothing_detected: set[str] = set()
        self.review_dir.mkdir(parents=True, exist_ok=True)
        self._detected = self._read_detected()
        points, legs = self._read_saved()
        self._index_legs(legs)
        self._proposed_sides = {
            id: set(rows["side"].astype(str)) for id, rows in self._proposals.items()
        }
        self._points = _FilmRows(self.landmarks_path, points)
        self._legs = _FilmRows(self.legs_path, legs)
        # one engine call for every saved film; the file follows the landmarks' order
        self._results = _FilmRows(self.measures_path, self._measure(points))
        self._write_measures()

    # ------------------------------------------------------------------ files

    @property
    def landmarks_path(self) -> Path:
        return self.review_dir / f"landmarks_{self.reader}.csv"

    @property
    def legs_path(self) -> Path:
        return self.review_dir / f"legs_{self.reader}.csv"

    @property
    def measures_path(self) -> Path:
        return self.review_dir / f"measures_{self.reader}.csv"

    @property
    def detected_path(self) -> Path:
        return self.review_dir / "detected.csv"

    def _read_detected(self) -> pd.DataFrame:
        if not self.detected_path.is_file():
            return landmark_table([]).assign(method=pd.Series(dtype=object))
        return read_landmarks(self.detected_path)

    def _read_saved(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        points = landmark_table([])
        if self.landmarks_path.is_file():
            points = read_landmarks(self.landmarks_path)
        legs = pd.DataFrame({c: pd.Series(dtype=object) for c in LEG_COLUMNS})
        if self.legs_path.is_file():
            legs = restore_formulas(pd.read_csv(self.legs_path, dtype=str, keep_default_na=False))
            missing = [c for c in LEG_COLUMNS if c not in legs.columns]
            if missing:
                raise ReviewError(f"{self.legs_path}: missing column(s) {', '.join(missing)}")
        known = {f.key for f in self.films.values()}
        for table, path in ((points, self.landmarks_path), (legs, self.legs_path)):
            stray = sorted(set(table["image"].astype(str)) - known)
            if stray:
                log.warning("%s: %d film(s) not in the study kept as they are", path, len(stray))
        return points, legs

    def _write_measures(self) -> None:
        """Write every saved film's result rows, once there are any."""
        if self._results.tables or self.measures_path.exists():
            self._results.write()

    def _measure(self, points: pd.DataFrame) -> pd.DataFrame:
        """The engine's rows of the reader's `points`, validated when they were saved."""
        columns = [c for c in points.columns if c not in ("review_state", "review_reason")]
        return measure_validated(points[columns], preset=self.preset)

    # ------------------------------------------------------------------ reading

    def film(self, id: str) -> Film:
        """The film with opaque id `id`; ReviewError (a 404) if there is none."""
        if not isinstance(id, str) or id not in self.films:
            raise ReviewError(f"no film with id {id!r}")
        return self.films[id]

    def _saved(self, film: Film) -> bool:
        return film.key in self._saved_legs

    def _index_legs(self, legs: pd.DataFrame) -> None:
        """``_saved_legs``: each saved film's legs as the API shows them."""
        self._saved_legs: dict[str, list[dict[str, str]]] = {}
        for image, side, view, state, reason in zip(
            *(legs[c].astype(str) for c in ("image", "side", "view", "state", "reason")),
            strict=True,
        ):
            leg = {"side": side, "view": view, "state": state, "reason": reason}
            self._saved_legs.setdefault(image, []).append(leg)

    def _proposal(self, film: Film) -> pd.DataFrame:
        """The proposed points of `film` (file or detection) as the reader's, with method."""
        proposal = self._proposals.get(film.id)
        wants = self.detect == "all" or (self.detect == "missing" and proposal is None)
        if not wants:
            return proposal if proposal is not None else _no_points()
        with self._lock:
            lock = self._detect_locks.setdefault(film.id, threading.Lock())
        with lock:
            detected = self._detected[self._detected["image"] == film.key]
            if not len(detected) and film.id not in self._nothing_detected:
                detected = self._run_detection(film)
        if not len(detected):
            return proposal if proposal is not None else _no_points()
        keep = [c for c in _no_points().columns if c in detected.columns]
        return detected[keep].assign(reader=self.reader, method="detected")

    def _run_detection(self, film: Film) -> pd.DataFrame:
        from alignment.detect import detect_landmarks

        radiograph = read_radiograph(film.path)
        result = detect_landmarks(
            radiograph, view=film.view, image=film.key, case=case_of(film.key), reader=DETECTOR
        )
        found = result.landmarks
        if found.empty:
            self._nothing_detected.add(film.id)
            return found
        found = with_image_geometry(found, {film.key: film.facts})
        with self._lock:
            self._detected = validate_landmarks(
                pd.concat([self._detected, found], ignore_index=True)
            )
            write_landmarks(self._detected, self.detected_path)
        return validate_landmarks(found)

    def _current(self, film: Film) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[str, str]]]:
        """The reader's points of `film` and each leg's stored ``(state, reason)``."""
        if self._saved(film):
            points = self._points.tables.get(film.key)
            if points is None:  # every leg marked not measurable
                points = _no_points()
            stored = {
                (leg["side"], leg["view"]): (leg["state"], leg["reason"])
                for leg in self._saved_legs[film.key]
            }
            return points.reset_index(drop=True), stored
        return self._proposal(film).reset_index(drop=True), {}

    def _leg_states(
        self, film: Film, points: pd.DataFrame, stored: Mapping[tuple[str, str], tuple[str, str]]
    ) -> list[dict[str, str]]:
        legs = []
        for side in film.sides:
            state, reason = stored.get((side, film.view), ("", ""))
            if state not in ("reviewed", "not_measurable"):
                mine = points[(points["side"] == side) & (points["view"] == film.view)]
                methods = set(mine["method"].astype(str)) if "method" in mine else set()
                if not len(mine):
                    state = "not_started"
                elif methods & {"moved", "placed"}:
                    state = "in_progress"
                else:
                    state = "proposed"
                reason = ""
            legs.append({"side": side, "view": film.view, "state": state, "reason": reason})
        return legs

    @staticmethod
    def _film_state(legs: Sequence[Mapping[str, str]]) -> str:
        states = {leg["state"] for leg in legs}
        if states <= {"reviewed", "not_measurable"}:
            return "reviewed" if "reviewed" in states else "not_measurable"
        if states & {"in_progress", "reviewed", "not_measurable"}:
            return "in_progress"
        return "proposed" if "proposed" in states else "not_started"

    @staticmethod
    def _version(points: pd.DataFrame, legs: Sequence[Mapping[str, str]]) -> str:
        methods = points["method"] if "method" in points else pd.Series("", index=points.index)
        document = {
            "points": sorted(
                zip(
                    points["side"].astype(str),
                    points["view"].astype(str),
                    points["landmark"].astype(str),
                    map(repr, points["x"].to_numpy(dtype=float).tolist()),
                    map(repr, points["y"].to_numpy(dtype=float).tolist()),
                    methods.astype(str),
                    strict=True,
                )
            ),
            "legs": [[leg["side"], leg["state"], leg["reason"]] for leg in legs],
        }
        return hashlib.sha256(json.dumps(document).encode()).hexdigest()[:20]

    def summary(self, film: Film) -> dict[str, Any]:
        """What ``GET /api/films`` says of `film`."""
        with self._lock:
            legs = self._saved_legs.get(film.key)
        if legs is None:
            # Without running detection: a film awaiting it counts as proposed.
            proposed = self._proposed_sides.get(film.id, set())
            pending = self.detect == "all" or (self.detect == "missing" and not proposed)
            legs = [
                {"side": side, "view": film.view, "reason": "",
                 "state": "proposed" if side in proposed or pending else "not_started"}
                for side in film.sides
            ]  # fmt: skip
        return {
            "id": film.id,
            "file": film.key,
            "view": film.view,
            "legs": legs,
            "state": self._film_state(legs),
        }

    def landmarks(self, id: str) -> dict[str, Any]:
        """What ``GET /api/films/{id}/landmarks`` answers; see ``docs/review.md``."""
        film = self.film(id)
        with self._lock:
            points, stored = self._current(film)
            legs = self._leg_states(film, points, stored)
            others = self._others(film)
        return {
            "id": film.id,
            "file": film.key,
            "view": film.view,
            "reader": self.reader,
            "version": self._version(points, legs),
            "legs": legs,
            "state": self._film_state(legs),
            "landmarks": _records(points[["side", "view", "landmark", "x", "y", "method"]]),
            "others": others,
        }

    def _others(self, film: Film) -> list[dict[str, Any]]:
        """Other readers' points of `film` (none when blind)."""
        if self.blind:
            return []
        rows = []
        for path in sorted(self.review_dir.glob("landmarks_*.csv")):
            reader = path.stem.removeprefix("landmarks_")
            if reader == self.reader:
                continue
            try:
                table = read_landmarks(path)
            except (AlignmentError, OSError) as exc:
                log.warning("%s: not read: %s", path, exc)
                continue
            mine = table[table["image"] == film.key]
            rows += [
                r | {"reader": reader}
                for r in _records(mine[["side", "view", "landmark", "x", "y"]])
            ]
        return rows

    def measures(self, id: str) -> list[dict[str, Any]]:
        """The engine's rows for the reader's current points of film `id`."""
        film = self.film(id)
        with self._lock:
            if self._saved(film):
                saved = self._results.tables.get(film.key)
                return [] if saved is None else _records(saved)
            points, _ = self._current(film)
        if not len(points):
            return []
        return _records(measure_landmarks(points, preset=self.preset))

    # ------------------------------------------------------------------ saving

    def parse_points(self, film: Film, items: Any) -> pd.DataFrame:
        """Check a client's list of ``{side, view, landmark, x, y}`` for `film`."""
        if not isinstance(items, list):
            raise ReviewError("landmarks must be a JSON list of {side, view, landmark, x, y}")
        rows, seen = [], set()
        for i, item in enumerate(items):
            where = f"landmarks[{i}]"
            if not isinstance(item, dict):
                raise ReviewError(f"{where}: expected an object, got {type(item).__name__}")
            missing = [k for k in ("side", "view", "landmark", "x", "y") if k not in item]
            if missing:
                raise ReviewError(f"{where}: missing {', '.join(missing)}")
            try:
                side, view = normalise_side(item["side"]), normalise_view(item["view"])
            except LandmarkError as exc:
                raise ReviewError(f"{where}: {exc}") from None
            if view != film.view:
                raise ReviewError(f"{where}: view {view} but the film is {film.view}")
            if side not in film.sides:
                raise ReviewError(f"{where}: the film has no {side} leg")
            name = item["landmark"]
            if not isinstance(name, str):
                raise ReviewError(f"{where}: landmark must be a string")
            try:
                check_landmark_name(name, view, where=where)
            except LandmarkError as exc:
                raise ReviewError(str(exc)) from None
            x, y = item["x"], item["y"]
            if not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in (x, y)
            ):
                raise ReviewError(f"{where}: x and y must be finite numbers")
            rows_, columns = film.facts["rows"], film.facts["columns"]
            if not (0 <= x <= columns and 0 <= y <= rows_):
                raise ReviewError(
                    f"{where}: ({x}, {y}) lies outside the film ({columns} x {rows_} pixels)"
                )
            if (side, name) in seen:
                raise ReviewError(f"{where}: {side} {name} is given twice")
            seen.add((side, name))
            rows.append((side, view, name, float(x), float(y)))
        return pd.DataFrame(rows, columns=["side", "view", "landmark", "x", "y"])

    def parse_legs(self, film: Film, items: Any) -> dict[str, tuple[str, str]]:
        """Check a client's list of ``{side, state, reason}``: the states it sets."""
        if items is None:
            return {}
        if not isinstance(items, list):
            raise ReviewError("legs must be a JSON list of {side, state, reason}")
        out: dict[str, tuple[str, str]] = {}
        for i, item in enumerate(items):
            where = f"legs[{i}]"
            if not isinstance(item, dict) or "side" not in item:
                raise ReviewError(f"{where}: expected an object with side and state")
            try:
                side = normalise_side(item["side"])
            except LandmarkError as exc:
                raise ReviewError(f"{where}: {exc}") from None
            if side not in film.sides:
                raise ReviewError(f"{where}: the film has no {side} leg")
            state = item.get("state") or ""
            if state not in LEG_STATES and state != "":
                raise ReviewError(f"{where}: unknown state {state!r}")
            state = state if state in _SET_STATES else ""
            reason = item.get("reason") or ""
            if not isinstance(reason, str) or len(reason) > _MAX_REASON:
                raise ReviewError(
                    f"{where}: reason must be text of at most {_MAX_REASON} characters"
                )
            if state == "not_measurable" and not reason.strip():
                raise ReviewError(f"{where}: a leg marked not measurable needs a reason")
            out[side] = (state, reason.strip() if state == "not_measurable" else "")
        return out

    def save(self, id: str, body: Any, *, version: str | None = None) -> dict[str, Any]:
        """Save the reader's points (and leg states) of film `id`; see ``docs/review.md``.

        Parameters
        ----------
        id : str
            The film.
        body : list or dict
            A list of ``{side, view, landmark, x, y}`` (the film's whole point set), or
            ``{"landmarks": [...], "legs": [{side, state, reason}], "version": ...}``.
        version : str, optional
            The version the client's change is based on (``If-Match``); a save based
            on another version than the saved one is refused.

        Returns
        -------
        dict
            ``version``, ``legs``, ``state`` and ``measures`` (the film's result rows).

        Raises
        ------
        ReviewError
            Unknown film or malformed body: nothing is written.
        ConflictError
            `version` is not the film's current version: nothing is written.
        """
        film = self.film(id)
        if isinstance(body, dict):
            unknown = set(body) - {"landmarks", "legs", "version"}
            if unknown:
                raise ReviewError(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            if "landmarks" not in body:
                raise ReviewError("missing field 'landmarks'")
            version = version or body.get("version")
            items, leg_items = body["landmarks"], body.get("legs")
        else:
            items, leg_items = body, None
        if version is not None and not isinstance(version, str):
            raise ReviewError("version must be a string")
        new = self.parse_points(film, items)
        asked = self.parse_legs(film, leg_items)
        with self._lock:
            before, stored = self._current(film)
            current = self._version(before, self._leg_states(film, before, stored))
            if version is not None and version != current:
                raise ConflictError(
                    f"{film.key} was saved elsewhere (another tab or window) after this page "
                    "loaded it; reload the film to see that version, then redo the change"
                )
            states = {
                side: asked.get(side, stored.get((side, film.view), ("", "")))
                for side in film.sides
            }
            for side in set(film.sides) - set(asked):  # an accepted leg edited is open again
                if states[side][0] == "reviewed" and _leg_points(new, side) != _leg_points(
                    before, side
                ):
                    states[side] = ("", "")
            points = self._with_methods(film, new, before)
            measurable = [s for s in film.sides if states[s][0] != "not_measurable"]
            points = points[points["side"].isin(measurable)].reset_index(drop=True)
            legs = self._leg_states(film, points, {(s, film.view): v for s, v in states.items()})
            by_side = {leg["side"]: leg for leg in legs}
            points = validate_landmarks(points)
            points["review_state"] = points["side"].map(lambda s: by_side[s]["state"])
            points["review_reason"] = points["side"].map(lambda s: by_side[s]["reason"])
            results = self._measure(points) if len(points) else None
            now = _now()
            leg_rows = pd.DataFrame(
                [(film.key, leg["side"], film.view, self.reader, leg["state"], leg["reason"], now)
                 for leg in legs],
                columns=list(LEG_COLUMNS),
            )  # fmt: skip
            # only this film's rows are validated, measured and rendered; the other
            # films' were when they were saved
            self._points.put(film.key, points)
            self._points.write()
            self._legs.put(film.key, leg_rows)
            self._legs.write()
            self._results.put(film.key, results)
            self._write_measures()
            self._saved_legs[film.key] = legs
            return {
                "id": film.id,
                "version": self._version(points, legs),
                "legs": legs,
                "state": self._film_state(legs),
                "measures": [] if results is None else _records(results),
            }

    def _with_methods(self, film: Film, new: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
        """`new` as full landmark rows of the reader, each with its ``method``."""
        previous = {
            (side, name): (x, y, method)
            for side, name, x, y, method in zip(
                before["side"].astype(str),
                before["landmark"].astype(str),
                before["x"].to_numpy(dtype=float).tolist(),
                before["y"].to_numpy(dtype=float).tolist(),
                before["method"].astype(str),
                strict=True,
            )
        }
        methods = []
        for r in new.itertuples():
            old = previous.get((str(r.side), str(r.landmark)))
            if old is None:
                methods.append("placed")
            elif old[0] == r.x and old[1] == r.y:
                methods.append(old[2] if old[2] in METHODS else "placed")
            else:
                methods.append("moved")
        rows = new.assign(
            image=film.key, case=case_of(film.key), reader=self.reader, method=methods
        )
        return with_image_geometry(rows, {film.key: film.facts})


def _leg_points(points: pd.DataFrame, side: str) -> set[tuple[str, float, float]]:
    mine = points[points["side"] == side]
    return set(
        zip(
            mine["landmark"].astype(str),
            mine["x"].to_numpy(dtype=float).tolist(),
            mine["y"].to_numpy(dtype=float).tolist(),
            strict=True,
        )
    )


def _no_points() -> pd.DataFrame:
    """An empty landmark table with a ``method`` column."""
    return validate_landmarks(landmark_table([])).assign(method=pd.Series(dtype=object))


def _identifiers(metadata: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: str(metadata[k])
        for k in ("PatientName", "PatientID", "StudyDate")
        if metadata.get(k) not in (None, "")
    }


def read_review(
    review_dir: str | os.PathLike[str], *, detected: bool = True, reviewed_only: bool = False
) -> pd.DataFrame:
    """Every reader's landmarks in a review folder, as one landmark table.

    Reads each ``landmarks_<reader>.csv`` (the ``reader`` column is the file's reader)
    and, with `detected`, ``detected.csv`` as reader ``detector``: the table that
    :func:`alignment.measure_landmarks` then :func:`alignment.stats.reliability`
    compare.

    Parameters
    ----------
    review_dir : path-like
        A folder written by ``alignment review``.
    detected : bool, optional
        Include the detection proposals.
    reviewed_only : bool, optional
        Keep only the legs each reader accepted (``review_state`` ``reviewed``).

    Returns
    -------
    pandas.DataFrame
        A validated landmark table.

    Raises
    ------
    ReviewError
        The folder holds no reader's landmarks.
    """
    folder = Path(review_dir)
    parts = []
    for path in sorted(folder.glob("landmarks_*.csv")):
        reader = check_reader(path.stem.removeprefix("landmarks_"))
        table = read_landmarks(path).assign(reader=reader)
        if reviewed_only and "review_state" in table.columns:
            table = table[table["review_state"].astype(str) == "reviewed"]
        parts.append(table)
    if not parts:
        raise ReviewError(f"{folder}: no landmarks_<reader>.csv in this folder")
    if detected and (folder / "detected.csv").is_file():
        parts.append(read_landmarks(folder / "detected.csv").assign(reader=DETECTOR))
    table = pd.concat(parts, ignore_index=True)
    review_columns = [c for c in map(str, table.columns) if c.startswith("review_")]
    return validate_landmarks(table.drop(columns=review_columns))


def review_reliability(
    review_dir: str | os.PathLike[str],
    *,
    preset: str | os.PathLike[str] | Preset = "default",
    measures: Sequence[str] | None = None,
    reference: str | None = None,
    confidence: float = 0.95,
    reviewed_only: bool = True,
) -> pd.DataFrame:
    """Inter-reader reliability of a review folder, and the detector against each reader.

    The landmarks of :func:`read_review` are measured by the engine, then compared by
    :func:`alignment.stats.reliability`: the human readers together (scope ``inter``:
    ICC, SEM, MDC95, Bland-Altman per pair), and the detection proposals against each
    reader in turn (scope ``detector:<reader>``), so that how good detection is on
    the study's films is one table.

    Parameters
    ----------
    review_dir : path-like
    preset : str, path-like or Preset, optional
    measures : sequence of str, optional
        Default every measure but the categorical ``cpak``.
    reference : str, optional
        Bland-Altman of every reader against this one.
    confidence : float, optional
    reviewed_only : bool, optional
        Count only the legs a reader accepted (default).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`alignment.stats.reliability.RELIABILITY_COLUMNS`.

    Raises
    ------
    ReviewError
        No reader's landmarks in the folder.
    StatsError
        Nothing to compare: fewer than two readers and no detection proposals.
    """
    from alignment.errors import StatsError
    from alignment.stats import reliability

    results = measure_landmarks(
        read_review(review_dir, reviewed_only=reviewed_only), preset=preset
    )
    readers = [r for r in dict.fromkeys(results["reader"].astype(str)) if r != DETECTOR]
    parts = []
    humans = results[results["reader"].astype(str) != DETECTOR]
    if len(readers) > 1:
        parts.append(
            reliability(humans, measures=measures, reference=reference, confidence=confidence)
        )
    if (results["reader"].astype(str) == DETECTOR).any():
        for reader in readers:
            pair = results[results["reader"].astype(str).isin([reader, DETECTOR])]
            try:
                table = reliability(
                    pair, measures=measures, reference=reader, confidence=confidence
                )
            except StatsError:
                continue  # no film both measured
            parts.append(table.assign(scope=f"{DETECTOR}:{reader}"))
    if not parts:
        raise StatsError(
            f"{review_dir}: nothing to compare: {len(readers)} reader(s) and no detection "
            "proposals on the films they measured"
        )
    return pd.concat(parts, ignore_index=True)
