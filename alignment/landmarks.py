"""Landmark sets and the canonical landmark files (long CSV and JSON).

A landmark table is a long :class:`pandas.DataFrame`, one row per point, with the
columns of :data:`REQUIRED_COLUMNS` and any of :data:`OPTIONAL_COLUMNS`. One landmark
set is the rows of one image x side x view (x reader). Coordinates follow the spec:
``x`` to the right (columns), ``y`` downward (rows), ``(0, 0)`` the top-left corner of
the top-left pixel, in pixels; spacing is ``(row_spacing_mm, col_spacing_mm)``.

Every reader returns a table checked by :func:`validate_landmarks`, so downstream code
never sees an unknown name, a non-finite coordinate or a duplicated point.

Examples
--------
>>> table = landmark_table([
...     LandmarkSet("knee.dcm", "left", "LAT", {"tibial_plateau_anterior": (10.0, 20.0)}),
... ])
>>> print(table[["image", "case", "side", "view", "landmark", "x", "y"]].to_string(index=False))
   image case side view                landmark    x    y
knee.dcm knee left  LAT tibial_plateau_anterior 10.0 20.0
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.csvtext import csv_text, restore_formulas
from alignment.errors import LandmarkError, LandmarkFileError, typed_errors
from alignment.vocabulary import (
    LANDMARKS,
    Side,
    View,
    check_landmark_name,
    normalise_side,
    normalise_view,
)

__all__ = [
    "DEFAULT_MAX_LANDMARK_BYTES",
    "JSON_FORMAT",
    "KEY_COLUMNS",
    "IMPLANT_VALUES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "LandmarkSet",
    "landmark_sets",
    "landmark_table",
    "read_landmarks",
    "validate_landmarks",
    "write_landmarks",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("image", "side", "view", "landmark", "x", "y")
"""Columns every landmark table has."""

OPTIONAL_COLUMNS: tuple[str, ...] = (
    "case",
    "reader",
    "row_spacing_mm",
    "col_spacing_mm",
    "magnification",
    "patient_orientation",
    "confidence",
    "method",
)
"""Columns a landmark table may have; :func:`validate_landmarks` fills the first six.

``case`` defaults to the image's stem, ``reader`` to ``""``; spacing and
``magnification`` (the radiographic magnification factor that lengths are divided by)
to NaN, meaning unknown; ``patient_orientation`` (DICOM Patient Orientation, such as
``L\\F``) to ``""``. ``confidence`` and ``method`` are written by automatic detection.
Other columns are kept; one more is understood, ``implant`` (see :data:`IMPLANT_VALUES`).
"""

IMPLANT_VALUES: dict[str, str] = {
    **dict.fromkeys(("yes", "y", "true", "1", "1.0", "replaced", "tka"), "yes"),
    **dict.fromkeys(("no", "n", "false", "0", "0.0", "native"), "no"),
    **dict.fromkeys(("", "nan", "none", "unknown"), ""),
}
"""Accepted spellings of the optional ``implant`` column, lower-cased, and what each means.

``implant`` says whether the knee of a landmark set is replaced: ``yes`` or ``no`` (also
``true``/``false``, ``1``/``0``, ``replaced``/``native``), empty for unknown; validation
normalises it to ``yes``, ``no`` or ``""`` (see :func:`alignment.measure_landmarks` for
what it changes)."""

KEY_COLUMNS: tuple[str, ...] = ("image", "side", "view", "reader")
"""Columns that together identify one landmark set."""

DEFAULT_MAX_LANDMARK_BYTES = 256 * 2**20
"""Largest landmark or annotation file read (256 MiB, about 3 million CSV rows)."""

JSON_FORMAT = "alignment-landmarks"
"""Value of the ``format`` key of a canonical landmark JSON file."""

_JSON_VERSION = 1
_FLOAT_COLUMNS = ("x", "y", "row_spacing_mm", "col_spacing_mm", "magnification", "confidence")
_TEXT_DEFAULTS = ("reader", "patient_orientation")  # default: ""
_SET_COLUMNS = ("case", "row_spacing_mm", "col_spacing_mm", "magnification", "patient_orientation")
_SET_OPTIONAL = ("implant",)  # also one value per set, when given


@dataclass(frozen=True)
class LandmarkSet:
    """The landmarks of one leg (AP) or knee (LAT) on one image.

    Parameters
    ----------
    image : str
        The image's key: its path or name as the study knows it.
    side : {'left', 'right'}
        The patient's leg.
    view : {'AP', 'LAT'}
        Coronal long-leg film or sagittal knee film.
    points : mapping of str to (float, float)
        Landmark name to ``(x, y)`` in pixels, in the spec's convention. Names must
        belong to the view's vocabulary; coordinates must be finite.
    case : str, optional
        The patient or case the image belongs to; defaults to the image's stem.
    reader : str, optional
        Who placed the landmarks (a person, or a detector); ``""`` when not told.
    spacing_mm : (float, float) or None, optional
        ``(row_spacing_mm, col_spacing_mm)``; None when unknown.
    magnification : float or None, optional
        Radiographic magnification factor that lengths are divided by; None when
        unknown or already corrected in `spacing_mm`.
    patient_orientation : str, optional
        DICOM Patient Orientation of the image (for example ``"L\\\\F"``), ``""`` if
        unknown.

    Raises
    ------
    LandmarkError
        For an invalid side, view, spacing or coordinate.
    UnknownLandmarkError
        For a name outside the view's vocabulary.
    """

    image: str
    side: Side
    view: View
    points: Mapping[str, tuple[float, float]]
    case: str = ""
    reader: str = ""
    spacing_mm: tuple[float, float] | None = None
    magnification: float | None = None
    patient_orientation: str = ""

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only view of `points` does not pickle; rebuild from a plain dict.
        return (_rebuild_landmark_set, (self.__dict__ | {"points": dict(self.points)},))

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "side", normalise_side(self.side))
        set_(self, "view", normalise_view(self.view))
        if not self.case:
            set_(self, "case", PurePath(self.image).stem)
        where = f"{self.image} ({self.side} {self.view})"
        points: dict[str, tuple[float, float]] = {}
        for name, xy in self.points.items():
            check_landmark_name(name, self.view, where=where)
            x, y = (float(v) for v in xy)
            if not (math.isfinite(x) and math.isfinite(y)):
                raise LandmarkError(f"{where}: landmark {name!r} has a non-finite coordinate")
            points[name] = (x, y)
        set_(self, "points", MappingProxyType(points))
        if self.spacing_mm is not None:
            spacing = tuple(float(v) for v in self.spacing_mm)
            if len(spacing) != 2 or not all(math.isfinite(v) and v > 0 for v in spacing):
                raise LandmarkError(f"{where}: spacing_mm must be two positive numbers")
            set_(self, "spacing_mm", spacing)
        if self.magnification is not None and not self.magnification > 0:
            raise LandmarkError(f"{where}: magnification must be positive")


def _rebuild_landmark_set(fields: dict[str, Any]) -> LandmarkSet:
    return LandmarkSet(**fields)


def landmark_table(sets: Iterable[LandmarkSet]) -> pd.DataFrame:
    """Return the canonical long table of landmark sets.

    Parameters
    ----------
    sets : iterable of LandmarkSet

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REQUIRED_COLUMNS` then ``case, reader, row_spacing_mm,
        col_spacing_mm, magnification, patient_orientation``; one row per point.
    """
    rows = []
    for s in sets:
        row_mm, col_mm = s.spacing_mm if s.spacing_mm is not None else (math.nan, math.nan)
        magnification = s.magnification if s.magnification is not None else math.nan
        for name, (x, y) in s.points.items():
            rows.append(
                (
                    s.image,
                    s.side,
                    s.view,
                    name,
                    x,
                    y,
                    s.case,
                    s.reader,
                    row_mm,
                    col_mm,
                    magnification,
                    s.patient_orientation,
                )
            )
    columns = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS[:6]]
    return validate_landmarks(pd.DataFrame(rows, columns=columns), source="<landmark sets>")


def landmark_sets(table: pd.DataFrame) -> list[LandmarkSet]:
    """Split a landmark table into one :class:`LandmarkSet` per image x side x view x reader.

    The inverse of :func:`landmark_table`; sets come in the order of their first row.
    """
    table = validate_landmarks(table)
    sets = []
    for _, rows in table.groupby(list(KEY_COLUMNS), sort=False):
        first = rows.iloc[0]
        spacing = (first["row_spacing_mm"], first["col_spacing_mm"])
        sets.append(
            LandmarkSet(
                image=first["image"],
                side=first["side"],
                view=first["view"],
                points={
                    n: (x, y)
                    for n, x, y in zip(rows["landmark"], rows["x"], rows["y"], strict=True)
                },
                case=first["case"],
                reader=first["reader"],
                spacing_mm=None if np.isnan(spacing).any() else spacing,
                magnification=None if np.isnan(first["magnification"]) else first["magnification"],
                patient_orientation=first["patient_orientation"],
            )
        )
    return sets


def _required_text(value: str) -> str:
    if not value:
        raise LandmarkError("empty")
    return value


_TEXT_COLUMNS: dict[str, Callable[[str], str]] = {
    "image": _required_text,
    "side": normalise_side,
    "view": normalise_view,
    "landmark": _required_text,
}


def _recode(
    column: pd.Series,
    normalise: Callable[[str], str],
    labels: pd.Index,
    name: str,
    source: str,
    csv_lines: bool,
) -> pd.Categorical:
    """Strip and normalise a text column once per distinct value; return it categorical.

    Missing cells count as ``""``. A value that `normalise` rejects raises
    :class:`LandmarkFileError` naming the first row that holds it.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if (codes < 0).any():
        uniques = uniques.append(pd.Index([""])) if len(uniques) else pd.Index([""])
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    normalised = []
    for position, value in enumerate(uniques):
        try:
            normalised.append(normalise(str(value).strip()))
        except LandmarkError as exc:
            label = labels[np.flatnonzero(codes == position)[0]]
            detail = f"empty {name!r}" if str(exc) == "empty" else str(exc)
            raise LandmarkFileError(f"{_where(source, label, csv_lines)}: {detail}") from None
    # categories sorted, so that tables concatenated later share them cheaply
    final_codes, categories = pd.factorize(pd.Index(normalised, dtype=object), sort=True)
    return pd.Categorical.from_codes(final_codes[codes], categories=categories, validate=False)


def _where(source: str, label: Any, csv_lines: bool) -> str:
    return f"{source}, line {label + 2}" if csv_lines else f"{source}, row {label}"


def validate_landmarks(
    table: pd.DataFrame, *, source: str = "<table>", csv_lines: bool = False
) -> pd.DataFrame:
    """Check a landmark table and return it normalised.

    Sides and views are normalised (``R`` -> ``right``, ``lateral`` -> ``LAT``), missing
    optional columns are added with their defaults (see :data:`OPTIONAL_COLUMNS`), and
    the result has a fresh ``RangeIndex``. Columns beyond the known ones are kept.

    Parameters
    ----------
    table : pandas.DataFrame
        A long landmark table.
    source : str, optional
        The file the table came from, for error messages.
    csv_lines : bool, optional
        If True, the table's index counts data rows of a CSV file with one header
        line, and errors name the line (index + 2).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    LandmarkFileError
        A required column is missing, a coordinate is not a finite number, a spacing
        or magnification is not positive, a point is given twice, or one image has two
        spacings.
    UnknownLandmarkError
        A landmark name is not in its view's vocabulary; the message lists the closest
        valid names and names the row.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise LandmarkFileError(
            f"{source}: missing column(s) {', '.join(missing)}; a landmark table needs "
            f"{', '.join(REQUIRED_COLUMNS)}"
        )
    out = table.copy()
    labels = out.index
    for column, normalise in _TEXT_COLUMNS.items():
        out[column] = _recode(out[column], normalise, labels, column, source, csv_lines)
    pairs = out[["view", "landmark"]].drop_duplicates()
    for label, view, name in zip(pairs.index, pairs["view"], pairs["landmark"], strict=True):
        if name not in LANDMARKS[view]:
            check_landmark_name(name, view, where=_where(source, label, csv_lines))
    for column in _FLOAT_COLUMNS:
        if column not in out.columns:
            if column != "confidence":
                out[column] = math.nan
            continue
        values = pd.to_numeric(out[column], errors="coerce").astype(float)
        if column in ("x", "y"):
            bad = ~values.between(-np.inf, np.inf, inclusive="neither")
            expected = "a finite number"
        else:
            bad = (out[column].notna() & values.isna()) | np.isinf(values)
            if column == "confidence":
                bad |= (values < 0) | (values > 1)
                expected = "a number in [0, 1]"
            else:
                bad |= values <= 0
                expected = "a positive number or an empty cell"
        if bad.any():
            label = labels[bad.to_numpy()][0]
            raise LandmarkFileError(
                f"{_where(source, label, csv_lines)}: {column} is "
                f"{table.loc[label, column]!r}; expected {expected}"
            )
        out[column] = values
    given_case = out["case"] if "case" in out.columns else pd.Series(np.nan, index=labels)
    case = _recode(given_case, str.strip, labels, "case", source, csv_lines)
    stems = np.array([PurePath(i).stem for i in out["image"].cat.categories], dtype=object)
    given = np.asarray(case.astype(object), dtype=object)
    fallback = stems[out["image"].cat.codes.to_numpy()]
    out["case"] = pd.Categorical(np.where(given == "", fallback, given))
    for column in _TEXT_DEFAULTS:
        values = out[column] if column in out.columns else pd.Series(np.nan, index=labels)
        out[column] = _recode(values, str.strip, labels, column, source, csv_lines)
    if "implant" in out.columns:
        cells = out["implant"].astype(object)
        spelled = cells.where(cells.notna(), "").astype(str).str.strip().str.lower()
        unknown = ~spelled.isin(list(IMPLANT_VALUES))
        if unknown.any():
            label = labels[unknown.to_numpy()][0]
            raise LandmarkFileError(
                f"{_where(source, label, csv_lines)}: implant is "
                f"{table.loc[label, 'implant']!r}; expected yes, no or an empty cell"
            )
        out["implant"] = pd.Categorical(spelled.map(IMPLANT_VALUES))
    duplicated = out.duplicated([*KEY_COLUMNS, "landmark"], keep="first")
    if duplicated.any():
        label = out.index[duplicated.to_numpy()][0]
        row = out.loc[label]
        raise LandmarkFileError(
            f"{_where(source, label, csv_lines)}: landmark {row['landmark']!r} of "
            f"{row['image']} ({row['side']} {row['view']}) is given twice"
        )
    set_columns = [*_SET_COLUMNS, *(c for c in _SET_OPTIONAL if c in out.columns)]
    per_set = out.groupby(list(KEY_COLUMNS), sort=False, observed=True)[set_columns].nunique(
        dropna=False
    )
    conflicting = per_set[(per_set > 1).any(axis=1)]
    if len(conflicting):
        key = conflicting.index[0]
        columns = [c for c in set_columns if conflicting.iloc[0][c] > 1]
        raise LandmarkFileError(
            f"{source}: {key[0]} ({key[1]} {key[2]}) has more than one value of "
            f"{', '.join(columns)}; these belong to the landmark set, not to a point"
        )
    ordered = [*REQUIRED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in out.columns)]
    ordered += [c for c in out.columns if c not in ordered]
    return out[ordered].reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LandmarkFileError(f"{path}: cannot read as a landmark CSV: {exc}") from None
    return validate_landmarks(restore_formulas(table), source=str(path), csv_lines=True)


def _read_json(path: Path) -> pd.DataFrame:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LandmarkFileError(f"{path}: cannot read as landmark JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != JSON_FORMAT:
        raise LandmarkFileError(
            f"{path}: not a canonical landmark JSON file (expected an object with "
            f'"format": "{JSON_FORMAT}")'
        )
    rows = []
    sets = document.get("landmark_sets")
    if not isinstance(sets, list):
        raise LandmarkFileError(f'{path}: "landmark_sets" must be a list')
    for number, entry in enumerate(sets):
        where = f"{path}, landmark_sets[{number}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("landmarks"), dict):
            raise LandmarkFileError(f'{where}: expected an object with a "landmarks" object')
        spacing = entry.get("spacing_mm") or (None, None)
        if not isinstance(spacing, list | tuple) or len(spacing) != 2:
            raise LandmarkFileError(f"{where}: spacing_mm must be [row_mm, col_mm] or null")
        for name, xy in entry["landmarks"].items():
            if not isinstance(xy, list | tuple) or len(xy) != 2:
                raise LandmarkFileError(f"{where}: landmark {name!r} must be [x, y]")
            rows.append(
                {
                    "image": entry.get("image"),
                    "side": entry.get("side"),
                    "view": entry.get("view"),
                    "landmark": name,
                    "x": xy[0],
                    "y": xy[1],
                    "case": entry.get("case"),
                    "reader": entry.get("reader"),
                    "row_spacing_mm": spacing[0],
                    "col_spacing_mm": spacing[1],
                    "magnification": entry.get("magnification"),
                    "patient_orientation": entry.get("patient_orientation"),
                }
            )
    table = pd.DataFrame(rows, columns=[*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS[:6]])
    for column in ("x", "y"):
        table[column] = table[column].map(lambda v: v if v is not None else math.nan)
    return validate_landmarks(table, source=str(path))


def read_landmarks(
    path: str | os.PathLike[str],
    *,
    name_map: Any = None,
    image: Any = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: str = "error",
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_LANDMARK_BYTES,
) -> pd.DataFrame:
    """Read a landmark file, canonical or from another tool, into a checked table.

    Canonical files are a long CSV (``.csv`` or ``.txt``) or a JSON file written by
    :func:`write_landmarks`. Any other annotation file that
    :func:`alignment.annotations.detect_format` recognises (3D Slicer ``.mrk.json``,
    LabelMe / X-AnyLabeling and COCO keypoints ``.json``, CVAT ``.xml``, ImageJ
    ``.roi``/``.zip``, BoneFinder ``.pts``) is read by its importer, which maps its
    labels through a name map and its coordinates to the spec's convention.

    Parameters
    ----------
    path : path-like
        The file.
    name_map, image, side, view, reader, unknown, format : optional
        Passed to the importer of a foreign file (see
        :func:`alignment.annotations.read_annotations`); canonical files ignore them.
    max_bytes : int, optional
        Refuse a larger file before reading it (default
        :data:`DEFAULT_MAX_LANDMARK_BYTES`).

    Returns
    -------
    pandas.DataFrame
        See :func:`validate_landmarks`.

    Raises
    ------
    LandmarkFileError
        If the file is missing, too large, unreadable or malformed; the message names
        the file and, for a CSV, the line. Foreign files raise its subclass
        :class:`~alignment.errors.AnnotationError`.
    """
    path = Path(path)
    if not path.is_file():
        raise LandmarkFileError(f"{path}: no such landmark file")
    size = path.stat().st_size
    if size > max_bytes:
        raise LandmarkFileError(
            f"{path}: {size} bytes, more than the limit of {max_bytes} for a landmark file"
        )
    with typed_errors(LandmarkFileError, path):
        suffix = path.suffix.lower()
        if suffix in (".csv", ".txt") and format is None:
            return _read_csv(path)
        import alignment.annotations as foreign  # lazily: it imports this module

        if format is None:
            format = foreign.detect_format(path)
        if format is None and suffix == ".json":
            return _read_json(path)
        if format is None:
            raise LandmarkFileError(
                f"{path}: unknown landmark file type {suffix!r}; expected .csv or .json "
                "(canonical), .mrk.json, LabelMe or COCO .json, CVAT .xml, ImageJ .roi/.zip "
                "or .pts"
            )
        return foreign.read_annotations(
            path,
            format=format,
            name_map=name_map,
            image=image,
            side=side,
            view=view,
            reader=reader,
            unknown=unknown,
        )


def _set_document(rows: pd.DataFrame) -> dict[str, Any]:
    first = rows.iloc[0]
    spacing = [first["row_spacing_mm"], first["col_spacing_mm"]]
    document: dict[str, Any] = {
        "image": first["image"],
        "case": first["case"],
        "side": first["side"],
        "view": first["view"],
        "reader": first["reader"],
        "spacing_mm": None if np.isnan(spacing).any() else [float(v) for v in spacing],
        "magnification": None if np.isnan(first["magnification"]) else first["magnification"],
        "patient_orientation": first["patient_orientation"],
        "landmarks": {
            n: [x, y] for n, x, y in zip(rows["landmark"], rows["x"], rows["y"], strict=True)
        },
    }
    return document


def write_landmarks(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a landmark table as canonical CSV or JSON, chosen by the suffix.

    The file is written atomically: to a temporary file in the same folder, then
    renamed, so a crash never leaves half a file. Coordinates are written with
    ``repr`` precision, so reading the file back gives the same floats.

    Parameters
    ----------
    table : pandas.DataFrame
        A landmark table (it is validated first).
    path : path-like
        Ends in ``.csv`` or ``.json``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    table = validate_landmarks(table)
    suffix = path.suffix.lower()
    if suffix == ".json":
        document = {
            "format": JSON_FORMAT,
            "version": _JSON_VERSION,
            "landmark_sets": [
                _set_document(rows) for _, rows in table.groupby(list(KEY_COLUMNS), sort=False)
            ],
        }
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    elif suffix == ".csv":
        text = csv_text(table)
    else:
        raise LandmarkFileError(f"{path}: cannot write landmarks as {suffix!r}; use .csv or .json")
    write_text_atomic(path, text)
    return path
