"""One entry point for every annotation format: :func:`read_annotations`.

Examples
--------
>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.json").write_text(json.dumps({"shapes": []}))
>>> detect_format(folder / "a.json")
'labelme'
>>> _ = (folder / "b.pts").write_text("version: 1\\nn_points: 0\\n{\\n}\\n")
>>> detect_format(folder / "b.pts")
'bonefinder'
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from alignment.errors import AnnotationError

from .formats import read_bonefinder_pts, read_coco, read_cvat, read_imagej_roi, read_labelme
from .slicer import read_slicer_markups

__all__ = ["FORMATS", "detect_format", "read_annotations"]

FORMATS: dict[str, Callable[..., pd.DataFrame]] = {
    "slicer": read_slicer_markups,
    "labelme": read_labelme,
    "coco": read_coco,
    "cvat": read_cvat,
    "imagej": read_imagej_roi,
    "bonefinder": read_bonefinder_pts,
}
"""Importer of each foreign format, by name."""


def detect_format(path: str | os.PathLike[str]) -> str | None:
    """Return the name of a foreign annotation format, or None for anything else.

    By suffix (``.mrk.json``, ``.xml``, ``.roi``, ``.zip``, ``.pts``), and for other
    ``.json`` files by content: ``"markups"`` is Slicer, ``"shapes"`` LabelMe,
    ``"images"`` + ``"annotations"`` + ``"categories"`` COCO. A canonical landmark
    JSON (``"format": "alignment-landmarks"``) and CSV give None.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".mrk.json"):
        return "slicer"
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "cvat"
    if suffix in (".roi", ".zip"):
        return "imagej"
    if suffix == ".pts":
        return "bonefinder"
    if suffix != ".json":
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None  # RecursionError: nested deeper than the parser goes
    if not isinstance(document, dict):
        return None
    if "markups" in document:
        return "slicer"
    if "shapes" in document:
        return "labelme"
    if all(k in document for k in ("images", "annotations", "categories")):
        return "coco"
    return None


def read_annotations(
    path: str | os.PathLike[str], *, format: str | None = None, **options: Any
) -> pd.DataFrame:
    """Read any supported foreign annotation file into the canonical landmark table.

    Parameters
    ----------
    path : path-like
        The file.
    format : str, optional
        A key of :data:`FORMATS`; detected by :func:`detect_format` if not given.
    **options
        Keyword options of the importer (``name_map``, ``image``, ``side``, ``view``,
        ``reader``, ``unknown``, and the format's own).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    AnnotationError
        The format is unknown or cannot be detected, or the file is malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: no such annotation file")
    if format is None:
        format = detect_format(path)
        if format is None:
            raise AnnotationError(
                f"{path}: not a recognised annotation file; expected one of "
                ".mrk.json (3D Slicer), LabelMe/X-AnyLabeling .json, COCO keypoints .json, "
                "CVAT .xml, ImageJ .roi/.zip or BoneFinder .pts"
            )
    if format not in FORMATS:
        raise AnnotationError(
            f"{path}: unknown annotation format {format!r}; expected one of {', '.join(FORMATS)}"
        )
    return FORMATS[format](path, **options)
