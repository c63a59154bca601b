"""Landmarks placed in other tools: importers, exporters and name maps.

Importers (each returns the canonical landmark table of :mod:`alignment.landmarks`):
3D Slicer markups (:func:`read_slicer_markups`), LabelMe / X-AnyLabeling
(:func:`read_labelme`), COCO keypoints (:func:`read_coco`), CVAT for images XML
(:func:`read_cvat`), ImageJ/Fiji ROIs (:func:`read_imagej_roi`) and BoneFinder ``.pts``
(:func:`read_bonefinder_pts`); :func:`read_annotations` picks the right one.
Exporters: the canonical CSV/JSON (:func:`write_landmarks`) and Slicer markups
(:func:`write_slicer_markups`). Labels become spec names through a TOML name map
(:func:`load_name_map`). The conventions are written down in ``docs/io.md``.
"""

from __future__ import annotations

from alignment.landmarks import write_landmarks

from ._common import AnnotationWarning
from .formats import (
    COCO_PIXEL_OFFSET,
    read_bonefinder_pts,
    read_coco,
    read_cvat,
    read_imagej_roi,
    read_labelme,
)
from .names import DEFAULT_NAME_MAP_PATH, NameMap, load_name_map, normalise_label
from .reading import FORMATS, detect_format, read_annotations
from .slicer import MARKUPS_SCHEMA, read_slicer_markups, write_slicer_markups

__all__ = [
    "COCO_PIXEL_OFFSET",
    "DEFAULT_NAME_MAP_PATH",
    "FORMATS",
    "MARKUPS_SCHEMA",
    "AnnotationWarning",
    "NameMap",
    "detect_format",
    "load_name_map",
    "normalise_label",
    "read_annotations",
    "read_bonefinder_pts",
    "read_coco",
    "read_cvat",
    "read_imagej_roi",
    "read_labelme",
    "read_slicer_markups",
    "write_landmarks",
    "write_slicer_markups",
]
