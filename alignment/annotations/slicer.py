"""3D Slicer markups (``.mrk.json``): import and export.

Slicer stores control points in patient millimetres (``coordinateSystem`` LPS, or RAS
in old files). They are mapped back to pixels through the image's
:class:`~alignment.io.ImageGeometry`: DICOM Image Position/Orientation (Patient) and
Pixel Spacing where the file has them, else the planar convention of
:meth:`~alignment.io.ImageGeometry.planar` (how Slicer places a PNG or a projection
radiograph without position: centre of the top-left pixel at the origin, columns along
+L, rows along +P, the file's Pixel Spacing, else Imager Pixel Spacing, else 1 mm).

Examples
--------
>>> import tempfile, pathlib
>>> from alignment.landmarks import landmark_table, LandmarkSet
>>> table = landmark_table([LandmarkSet("knee.png", "left", "LAT", {
...     "tibial_plateau_anterior": (10.5, 20.5), "tibial_plateau_posterior": (30.0, 22.0)})])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "knee.mrk.json"
>>> _ = write_slicer_markups(table, path)
>>> back = read_slicer_markups(path)
>>> back[["side", "view", "landmark", "x", "y"]].to_string(index=False).splitlines()[1]
'left  LAT  tibial_plateau_anterior 10.5 20.5'
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.errors import AnnotationError
from alignment.io.radiograph import ImageGeometry
from alignment.landmarks import KEY_COLUMNS, validate_landmarks

from ._common import (
    AnnotationWarning,
    ImageLike,
    RawPoint,
    Unknown,
    load_json,
    open_image,
    to_table,
)
from .names import NameMap

__all__ = [
    "MARKUPS_SCHEMA",
    "OFF_PLANE_TOLERANCE_MM",
    "read_slicer_markups",
    "write_slicer_markups",
]

logger = logging.getLogger(__name__)

MARKUPS_SCHEMA = (
    "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/"
    "Resources/Schema/markups-schema-v1.0.3.json#"
)
"""The ``@schema`` written by :func:`write_slicer_markups`."""

OFF_PLANE_TOLERANCE_MM = 1.0
"""A point farther than this from the image plane is projected with a warning."""

_UNITS_MM = {"mm": 1.0, "um": 1e-3, "cm": 10.0, "m": 1000.0}


def _hints(description: str) -> dict[str, str]:
    """``key=value`` words of a control point description."""
    out = {}
    for word in str(description or "").replace(";", " ").split():
        key, sep, value = word.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def read_slicer_markups(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    geometry: ImageGeometry | None = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
) -> pd.DataFrame:
    """Read a 3D Slicer markups file into the canonical landmark table.

    Parameters
    ----------
    path : path-like
        A ``.mrk.json`` file (schema 1.0.x). Control points of every markup in it
        are read; points whose ``positionStatus`` is not ``defined`` are skipped.
    name_map : NameMap, mapping or path-like, optional
        Merged over the default name map (:func:`~alignment.annotations.load_name_map`).
    image : Radiograph or path-like, optional
        The image the points were placed on: its geometry maps millimetres back to
        pixels, and it gives the ``image`` key, spacing, laterality and view.
    geometry : ImageGeometry, optional
        Overrides the image's geometry.
    side, view : str, optional
        For points whose label, description (``side=left view=AP``) or image do not
        tell.
    reader : str, optional
        Fills the ``reader`` column unless a description gives ``reader=``.
    unknown : {'error', 'warn', 'ignore'}, optional
        What to do with a label the name map does not know.

    Returns
    -------
    pandas.DataFrame
        The canonical table (:func:`alignment.landmarks.validate_landmarks`).

    Raises
    ------
    AnnotationError
        The file is not a markups JSON, a unit is unknown, or no point is usable.
    """
    path = Path(path)
    document = load_json(path, "Slicer markups")
    if not isinstance(document, dict) or not isinstance(document.get("markups"), list):
        raise AnnotationError(f'{path}: not a Slicer markups file (no "markups" list)')
    radiograph = open_image(image)
    if geometry is None:
        geometry = radiograph.geometry if radiograph is not None else ImageGeometry.planar()
    points: list[RawPoint] = []
    readers: set[str] = set()
    for m, markup in enumerate(document["markups"]):
        where = f"markups[{m}]"
        if not isinstance(markup, dict):
            raise AnnotationError(f"{path}, {where}: expected an object")
        system = str(markup.get("coordinateSystem", "LPS")).upper()
        if system not in ("LPS", "RAS"):
            raise AnnotationError(
                f"{path}, {where}: coordinateSystem {system!r}; expected LPS or RAS"
            )
        units = str(markup.get("coordinateUnits", "mm"))
        if units not in _UNITS_MM:
            raise AnnotationError(f"{path}, {where}: coordinateUnits {units!r}; expected mm")
        controls = markup.get("controlPoints") or []
        if not isinstance(controls, list):
            raise AnnotationError(f"{path}, {where}: controlPoints must be a list")
        for c, control in enumerate(controls):
            at = f"{where}.controlPoints[{c}]"
            if not isinstance(control, dict):
                raise AnnotationError(f"{path}, {at}: expected an object")
            if control.get("positionStatus", "defined") != "defined":
                continue
            position = control.get("position")
            try:
                lps = np.asarray(position, dtype=float).reshape(3) * _UNITS_MM[units]
            except (TypeError, ValueError):
                raise AnnotationError(
                    f"{path}, {at}: position is {position!r}; expected three numbers"
                ) from None
            if system == "RAS":
                lps = lps * np.array([-1.0, -1.0, 1.0])
            xy, off_plane = geometry.patient_to_pixel(lps)
            label = str(control.get("label", ""))
            if off_plane[0] > OFF_PLANE_TOLERANCE_MM:
                warnings.warn(
                    f"{path}, {at}: {label!r} is {off_plane[0]:.1f} mm off the image plane; "
                    "projected onto it (is this the image the points were placed on?)",
                    AnnotationWarning,
                    stacklevel=2,
                )
            hints = _hints(control.get("description", ""))
            if "reader" in hints:
                readers.add(hints["reader"])
            points.append(
                RawPoint(
                    label=label,
                    x=float(xy[0, 0]),
                    y=float(xy[0, 1]),
                    side=hints.get("side") or markup.get("name"),
                    view=hints.get("view"),
                    where=at,
                )
            )
    if len(readers) > 1:
        raise AnnotationError(f"{path}: control points of several readers ({sorted(readers)})")
    return to_table(
        points,
        source=path,
        name_map=name_map,
        image=radiograph,
        side=side,
        view=view,
        reader=readers.pop() if readers else reader,
        unknown=unknown,
    )


def write_slicer_markups(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    image: ImageLike = None,
    geometry: ImageGeometry | None = None,
) -> Path:
    """Write the landmarks of one image as a 3D Slicer markups point list.

    Each point is labelled ``<side>_<landmark>`` with the description
    ``side=<side> view=<view>`` (and ``reader=`` if set), so that
    :func:`read_slicer_markups` reads the file back to the same table after the points
    were moved in Slicer. Positions are LPS millimetres through the image's geometry
    (see the module docstring); written atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        A landmark table with one image.
    path : path-like
        Usually ends in ``.mrk.json``.
    image : Radiograph or path-like, optional
        The image, for its geometry.
    geometry : ImageGeometry, optional
        Overrides the image's geometry.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    AnnotationError
        If the table holds more than one image, or one side and landmark twice.
    """
    path = Path(path)
    table = validate_landmarks(table)
    images = table["image"].unique()
    if len(images) != 1:
        raise AnnotationError(
            f"{path}: a Slicer markups file holds the landmarks of one image; the table has "
            f"{len(images)}"
        )
    labels = table["side"].astype(str) + "_" + table["landmark"].astype(str)
    if labels.duplicated().any():
        raise AnnotationError(
            f"{path}: {labels[labels.duplicated()].iloc[0]!r} appears in more than one "
            f"landmark set ({', '.join(KEY_COLUMNS)}); write one file per set"
        )
    if geometry is None:
        radiograph = open_image(image)
        geometry = radiograph.geometry if radiograph is not None else ImageGeometry.planar()
    positions = geometry.pixel_to_patient(table[["x", "y"]].to_numpy(dtype=float))
    controls = []
    for number, (row, label, position) in enumerate(
        zip(table.itertuples(index=False), labels, positions, strict=True), start=1
    ):
        side, view, reader = str(row.side), str(row.view), str(row.reader)
        description = f"side={side} view={view}"
        if reader:
            description += f" reader={reader}"
        controls.append(
            {
                "id": str(number),
                "label": label,
                "description": description,
                "associatedNodeID": "",
                "position": [float(v) for v in position],
                "orientation": [-1.0, -0.0, -0.0, -0.0, -1.0, -0.0, 0.0, 0.0, 1.0],
                "selected": True,
                "locked": False,
                "visibility": True,
                "positionStatus": "defined",
            }
        )
    document = {
        "@schema": MARKUPS_SCHEMA,
        "markups": [
            {
                "type": "Fiducial",
                "coordinateSystem": "LPS",
                "coordinateUnits": "mm",
                "locked": False,
                "fixedNumberOfControlPoints": False,
                "labelFormat": "%N-%d",
                "lastUsedControlPointNumber": len(controls),
                "controlPoints": controls,
            }
        ],
    }
    write_text_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")
    return path
