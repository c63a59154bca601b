"""What every importer shares: from labelled points to the canonical landmark table."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

import pandas as pd

from alignment.errors import AnnotationError, LandmarkError, UnknownLandmarkError
from alignment.io.radiograph import Radiograph
from alignment.landmarks import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, validate_landmarks
from alignment.vocabulary import AP_LANDMARKS, LAT_LANDMARKS, Side, View, normalise_view

from .names import NameMap, load_name_map, normalise_label

__all__ = [
    "AnnotationWarning",
    "ImageLike",
    "RawPoint",
    "Unknown",
    "load_json",
    "open_image",
    "to_table",
]

ImageLike = Radiograph | str | os.PathLike[str] | None
Unknown = Literal["error", "warn", "ignore"]

_AP_ONLY = frozenset(AP_LANDMARKS) - frozenset(LAT_LANDMARKS)
_LAT_ONLY = frozenset(LAT_LANDMARKS) - frozenset(AP_LANDMARKS)
_ANNOTATION_SUFFIXES = (".mrk.json", ".json", ".xml", ".zip", ".roi", ".pts")


class AnnotationWarning(UserWarning):
    """An annotation file was read, but some of it was skipped (unknown labels ...)."""


@dataclass(frozen=True)
class RawPoint:
    """A labelled point as an importer found it, already in the spec's pixel convention.

    Parameters
    ----------
    label : str
        The tool's label.
    x, y : float
        Spec pixel coordinates (``(c + 0.5, r + 0.5)`` is the centre of pixel (r, c)).
    side, view : str, optional
        Hints from the point's group (a CVAT attribute, a COCO category, a Slicer node
        name ...): any text containing a side word or a view.
    image : str, optional
        The image the file says the point belongs to.
    where : str, optional
        Where in the file the point is, for messages.
    """

    label: str
    x: float
    y: float
    side: str | None = None
    view: str | None = None
    image: str | None = None
    where: str = ""


def load_json(path: Path, what: str) -> Any:
    """The JSON document in `path`; :class:`AnnotationError` naming `what` if unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read as {what} JSON: {exc}") from None


def open_image(image: ImageLike) -> Radiograph | None:
    """Return `image` as a :class:`Radiograph` (a path is read header only)."""
    if image is None or isinstance(image, Radiograph):
        return image
    from alignment.io import read_radiograph

    return read_radiograph(image, pixels=False)


def default_image_name(path: Path) -> str:
    """The annotation file's path without its annotation suffix (``knee.mrk.json`` -> ``knee``)."""
    name = path.name
    for suffix in _ANNOTATION_SUFFIXES:
        if name.lower().endswith(suffix):
            return str(path.with_name(name[: -len(suffix)]))
    return str(path.with_suffix(""))


def side_of(text: str | None, names: NameMap) -> Side | None:
    """The side named by a word of `text` (``"left_leg"`` -> ``left``), None if none or both."""
    if not text:
        return None
    found = {names.sides[w] for w in normalise_label(text).split("_") if w in names.sides}
    return found.pop() if len(found) == 1 else None


def view_of(text: str | None) -> View | None:
    """The view named by `text` or by one of its words, None if none."""
    if not text:
        return None
    for word in [text, *normalise_label(text).split("_")]:
        try:
            return normalise_view(word)
        except LandmarkError:
            continue
    return None


def _image_view(radiograph: Radiograph | None) -> View | None:
    if radiograph is None or not radiograph.view:
        return None
    return view_of(radiograph.view)


def to_table(
    points: Iterable[RawPoint],
    *,
    source: Path,
    name_map: NameMap | Any = None,
    image: Radiograph | None = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
) -> pd.DataFrame:
    """Map labelled points onto the spec's names and return the canonical table.

    Side of a point: from its label (a side word), else its group's hint, else the
    `side` argument, else the image's laterality. View of a set: the `view` argument,
    else the points' hint, else the image's View Position, else the names (a set with
    an AP-only name is AP, one with a LAT-only name is LAT).

    Raises
    ------
    AnnotationError
        A side or view cannot be told, the image matches no entry, or the file has no
        point.
    UnknownLandmarkError
        A label maps to no spec name (with ``unknown='error'``).
    """
    if unknown not in ("error", "warn", "ignore"):
        raise ValueError(f"unknown must be 'error', 'warn' or 'ignore', got {unknown!r}")
    names = load_name_map(name_map)
    points = list(points)
    if image is not None:
        listed = {p.image for p in points if p.image}
        if len(listed) > 1:
            wanted = PurePath(image.path).name
            points = [p for p in points if p.image and PurePath(p.image).name == wanted]
            if not points:
                raise AnnotationError(
                    f"{source}: no annotation of image {wanted!r}; the file has "
                    f"{', '.join(sorted(PurePath(i).name for i in listed))}"
                )
    default_side = None
    if side is not None:
        default_side = side_of(side, names)
        if default_side is None:
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    elif image is not None and image.laterality in ("L", "R"):
        default_side = "left" if image.laterality == "L" else "right"
    forced_view = normalise_view(view) if view is not None else None
    image_key = image.path if image is not None else None
    fallback_image = default_image_name(source)

    resolved: list[tuple[str, Side, str, float, float, View | None, str]] = []
    for point in points:
        where = f"{source}{', ' + point.where if point.where else ''}"
        try:
            found = names.resolve(point.label, where=where)
        except UnknownLandmarkError:
            if unknown == "error":
                raise
            if unknown == "warn":
                warnings.warn(
                    f"{where}: label {point.label!r} is not in the name map; skipped",
                    AnnotationWarning,
                    stacklevel=3,
                )
            continue
        if found is None:
            continue
        name, label_side = found
        point_side = label_side or side_of(point.side, names) or default_side
        if point_side is None:
            raise AnnotationError(
                f"{where}: cannot tell the side of {point.label!r}: put a side word in the "
                "label (such as 'L femoral head'), give side=, or an image with laterality"
            )
        if not (math.isfinite(point.x) and math.isfinite(point.y)):
            raise AnnotationError(f"{where}: {point.label!r} has a non-finite coordinate")
        key = image_key or point.image or fallback_image
        resolved.append((key, point_side, name, point.x, point.y, view_of(point.view), where))
    if not resolved:
        raise AnnotationError(f"{source}: no landmark found")

    views: dict[tuple[str, str], View] = {}
    for key, point_side in dict.fromkeys((r[0], r[1]) for r in resolved):
        members = [r for r in resolved if (r[0], r[1]) == (key, point_side)]
        hinted = {r[5] for r in members if r[5] is not None}
        chosen = forced_view
        if chosen is None and len(hinted) == 1:
            chosen = hinted.pop()
        if chosen is None:
            chosen = _image_view(image)
        if chosen is None:
            labels = {r[2] for r in members}
            ap, lat = bool(labels & _AP_ONLY), bool(labels & _LAT_ONLY)
            if ap != lat:
                chosen = "AP" if ap else "LAT"
            else:
                raise AnnotationError(
                    f"{source}: cannot tell whether the {point_side} landmarks of {key} are AP "
                    f"or LAT ({'both AP-only and LAT-only names' if ap else 'only shaft points'})"
                    "; give view="
                )
        views[(key, point_side)] = chosen

    spacing = image.spacing_mm if image is not None else None
    rows = [
        {
            "image": key,
            "side": point_side,
            "view": views[(key, point_side)],
            "landmark": name,
            "x": x,
            "y": y,
            "reader": reader,
            "row_spacing_mm": spacing[0] if spacing else math.nan,
            "col_spacing_mm": spacing[1] if spacing else math.nan,
            "magnification": math.nan,
            "patient_orientation": image.patient_orientation if image is not None else "",
        }
        for key, point_side, name, x, y, _, _ in resolved
    ]
    columns = [*REQUIRED_COLUMNS, *(c for c in OPTIONAL_COLUMNS[:6] if c != "case")]
    return validate_landmarks(pd.DataFrame(rows, columns=columns), source=str(source))
