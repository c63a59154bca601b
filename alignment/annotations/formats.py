"""Importers of 2D annotation tools: LabelMe / X-AnyLabeling, COCO, CVAT, ImageJ, BoneFinder.

Each reads one file, converts its coordinates to the spec's convention (``(0, 0)`` the
top-left corner of the top-left pixel, so the centre of pixel (r, c) is
``(c + 0.5, r + 0.5)``) and maps its labels through a name map. Keyword options are
the same for every importer (see :func:`read_labelme`).

Examples
--------
>>> import json, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "knee.json"
>>> _ = path.write_text(json.dumps({"imagePath": "knee.png", "shapes": [
...     {"label": "L femoral head", "points": [[120.5, 80.5]], "shape_type": "point"},
...     {"label": "L ankle", "points": [[130.0, 900.0]], "shape_type": "point"}]}))
>>> read_labelme(path)[["image", "side", "view", "landmark", "x", "y"]]
      image  side view             landmark      x      y
0  knee.png  left   AP  femoral_head_center  120.5   80.5
1  knee.png  left   AP         ankle_center  130.0  900.0
"""

from __future__ import annotations

import logging
import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignment.errors import AnnotationError

from ._common import ImageLike, RawPoint, Unknown, load_json, open_image, to_table
from .names import NameMap, load_name_map

__all__ = [
    "COCO_PIXEL_OFFSET",
    "read_bonefinder_pts",
    "read_coco",
    "read_cvat",
    "read_imagej_roi",
    "read_labelme",
]

logger = logging.getLogger(__name__)

COCO_PIXEL_OFFSET = 0.5
"""Added to COCO keypoint coordinates: COCO keypoints are pixel indices (as in
Detectron2's loader), so pixel (r, c) is written ``(c, r)``."""


def _finish(
    points: list[RawPoint],
    path: Path,
    *,
    name_map: Any,
    image: ImageLike,
    side: str | None,
    view: str | None,
    reader: str,
    unknown: Unknown,
) -> pd.DataFrame:
    return to_table(
        points,
        source=path,
        name_map=name_map,
        image=open_image(image),
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )


def _number(value: Any, where: str, path: Path) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnnotationError(f"{path}, {where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise AnnotationError(f"{path}, {where}: {value!r} is not a finite number")
    return number


def _hinted_point(
    label: str,
    xy: list[Any],
    where: str,
    path: Path,
    *,
    hints: dict[str, Any],
    group: str,
    image: str | None,
) -> RawPoint:
    """A point ``[x, y]`` whose side and view come from `hints`, else its group's text."""
    return RawPoint(
        label=label,
        x=_number(xy[0], where, path),
        y=_number(xy[1], where, path),
        side=hints.get("side") or group or None,
        view=hints.get("view") or group or None,
        image=image,
        where=where,
    )


def read_labelme(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
) -> pd.DataFrame:
    """Read a LabelMe or X-AnyLabeling JSON file into the canonical landmark table.

    ``point`` shapes give their point and ``circle`` shapes their centre (the first
    point); other shapes are skipped. Coordinates are already in the spec's
    convention. A shape's ``attributes`` (X-AnyLabeling) or ``description`` may name
    its side and view; ``imagePath`` gives the ``image`` key.

    Parameters
    ----------
    path : path-like
        The JSON file.
    name_map : NameMap, mapping or path-like, optional
        Merged over the default name map (:func:`~alignment.annotations.load_name_map`).
    image : Radiograph or path-like, optional
        The image: it gives the ``image`` key, spacing, laterality and view.
    side, view : str, optional
        For points whose label, group or image do not tell.
    reader : str, optional
        The ``reader`` column.
    unknown : {'error', 'warn', 'ignore'}, optional
        What to do with a label the name map does not know.

    Returns
    -------
    pandas.DataFrame
        The canonical table (:func:`alignment.landmarks.validate_landmarks`).

    Raises
    ------
    AnnotationError
        The file is malformed or has no usable point; the message names it.
    UnknownLandmarkError
        A label is not in the name map (with ``unknown='error'``).
    """
    path = Path(path)
    document = load_json(path, "LabelMe")
    if not isinstance(document, dict) or not isinstance(document.get("shapes"), list):
        raise AnnotationError(f'{path}: not a LabelMe file (no "shapes" list)')
    image_name = document.get("imagePath") or None
    points = []
    for s, shape in enumerate(document["shapes"]):
        where = f"shapes[{s}]"
        if not isinstance(shape, dict):
            raise AnnotationError(f"{path}, {where}: expected an object")
        kind = shape.get("shape_type") or "point"
        if kind not in ("point", "circle"):
            logger.info("%s, %s: %s shape skipped", path, where, kind)
            continue
        xy = (shape.get("points") or [None])[0]
        if not isinstance(xy, list) or len(xy) != 2:
            raise AnnotationError(f"{path}, {where}: points must hold [x, y]")
        found = shape.get("attributes")
        attributes: dict[str, Any] = found if isinstance(found, dict) else {}
        description = str(shape.get("description") or "")
        points.append(
            _hinted_point(
                str(shape.get("label", "")),
                xy,
                where,
                path,
                hints=attributes,
                group=description,
                image=image_name,
            )
        )
    return _finish(
        points,
        path,
        name_map=name_map,
        image=image,
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )


def read_coco(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
    pixel_offset: float = COCO_PIXEL_OFFSET,
) -> pd.DataFrame:
    """Read a COCO keypoints JSON file into the canonical landmark table.

    Keypoint names come from the annotation's category (``keypoints``); keypoints
    with visibility 0 are not labelled and are skipped. The category name and the
    annotation's ``attributes`` (as CVAT writes them) may give the side and view;
    ``images[].file_name`` gives the ``image`` key. With several images, `image`
    selects the entries of the file of the same name.

    Parameters
    ----------
    pixel_offset : float, optional
        Added to x and y (:data:`COCO_PIXEL_OFFSET`); use 0 for a tool that writes
        continuous coordinates.

    Other parameters are those of :func:`read_labelme`.
    """
    path = Path(path)
    document = load_json(path, "COCO")
    if not isinstance(document, dict) or not all(
        isinstance(document.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise AnnotationError(f"{path}: not a COCO file (images, annotations, categories lists)")
    try:
        images = {entry["id"]: str(entry["file_name"]) for entry in document["images"]}
        categories = {
            entry["id"]: (str(entry.get("name", "")), list(entry.get("keypoints") or []))
            for entry in document["categories"]
        }
    except (KeyError, TypeError) as exc:
        raise AnnotationError(f"{path}: malformed images or categories ({exc})") from None
    points = []
    for a, annotation in enumerate(document["annotations"]):
        where = f"annotations[{a}]"
        if not isinstance(annotation, dict) or "keypoints" not in annotation:
            continue
        category, names = categories.get(annotation.get("category_id"), ("", []))
        values = annotation["keypoints"]
        if not isinstance(values, list) or len(values) != 3 * len(names):
            raise AnnotationError(
                f"{path}, {where}: {len(values) if isinstance(values, list) else 'no'} keypoint "
                f"values for the {len(names)} keypoints of category {category!r} (3 each)"
            )
        attributes = annotation.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        image_name = images.get(annotation.get("image_id"))
        if image_name is None:
            raise AnnotationError(
                f"{path}, {where}: image_id {annotation.get('image_id')!r} unknown"
            )
        for k, name in enumerate(names):
            x, y, visibility = values[3 * k : 3 * k + 3]
            if _number(visibility, where, path) == 0:
                continue
            points.append(
                RawPoint(
                    label=str(name),
                    x=_number(x, where, path) + pixel_offset,
                    y=_number(y, where, path) + pixel_offset,
                    side=str(attributes.get("side") or category),
                    view=str(attributes.get("view") or category),
                    image=image_name,
                    where=f"{where}, keypoint {name!r}",
                )
            )
    return _finish(
        points,
        path,
        name_map=name_map,
        image=image,
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )


def _cvat_attributes(element: ET.Element) -> dict[str, str]:
    return {
        str(a.get("name", "")).lower(): (a.text or "").strip()
        for a in element.findall("attribute")
    }


def read_cvat(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
) -> pd.DataFrame:
    """Read a "CVAT for images 1.1" XML file into the canonical landmark table.

    ``<points>`` elements (each coordinate pair of the ``points`` attribute is a point
    with the element's label) and the ``<points>`` of ``<skeleton>`` elements are read;
    points marked ``outside="1"`` are skipped. CVAT coordinates are in the spec's
    convention. An ``<attribute name="side">`` (or ``view``), or a side word in the
    skeleton's label, gives the side. ``<image name=...>`` gives the ``image`` key.

    Parameters are those of :func:`read_labelme`.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise AnnotationError(f"{path}: cannot read as CVAT XML: {exc}") from None
    if root.tag != "annotations":
        raise AnnotationError(f"{path}: not a CVAT for images file (root <{root.tag}>)")
    points = []
    for i, element in enumerate(root.iter("image")):
        image_name = element.get("name")
        groups: list[tuple[ET.Element, dict[str, str], str]] = [
            (p, _cvat_attributes(p), "") for p in element.findall("points")
        ]
        for skeleton in element.findall("skeleton"):
            shared = _cvat_attributes(skeleton)
            for p in skeleton.findall("points"):
                groups.append((p, {**shared, **_cvat_attributes(p)}, skeleton.get("label", "")))
        for p, attributes, group in groups:
            where = f"image[{i}] {image_name!r}, points {p.get('label')!r}"
            if p.get("outside", "0") == "1":
                continue
            for pair in (p.get("points") or "").split(";"):
                if not pair.strip():
                    continue
                xy = pair.split(",")
                if len(xy) != 2:
                    raise AnnotationError(f"{path}, {where}: malformed points {pair!r}")
                points.append(
                    _hinted_point(
                        str(p.get("label", "")),
                        xy,
                        where,
                        path,
                        hints=attributes,
                        group=group,
                        image=image_name,
                    )
                )
    return _finish(
        points,
        path,
        name_map=name_map,
        image=image,
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )


def _ordered_labels(count: int, names: NameMap, path: Path, what: str) -> tuple[str, ...]:
    order = names.point_orders.get(count)
    if order is None:
        known = ", ".join(str(n) for n in sorted(names.point_orders)) or "none"
        raise AnnotationError(
            f"{path}: {what} has {count} unnamed points and the name map has no point order "
            f"for {count} (it has orders for {known}); add one under [point_orders]"
        )
    return order


def read_imagej_roi(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
) -> pd.DataFrame:
    """Read ImageJ/Fiji point ROIs (``.roi`` or a RoiSet ``.zip``) into the landmark table.

    A point ROI of one point is labelled by its name. A multi-point ROI takes its
    labels from the name map's ``point_orders`` for its number of points, and its name
    may give the side. Integer coordinates are ImageJ pixel indices and get 0.5 added
    (the pixel's centre); sub-pixel coordinates are continuous, already in the spec's
    convention. Other ROI types are skipped.

    Parameters are those of :func:`read_labelme`.
    """
    import roifile

    path = Path(path)
    try:
        found = roifile.ImagejRoi.fromfile(path)
    except Exception as exc:  # roifile raises ValueError, struct.error, BadZipFile ...
        raise AnnotationError(
            f"{path}: cannot read as ImageJ ROI: {type(exc).__name__}: {exc}"
        ) from exc
    rois = found if isinstance(found, list) else [found]
    names = load_name_map(name_map)
    points = []
    for r, roi in enumerate(rois):
        label = str(roi.name or "")
        where = f"roi[{r}] {label!r}"
        if roi.roitype != roifile.ROI_TYPE.POINT:
            logger.info("%s, %s: %s ROI skipped", path, where, roi.roitype.name)
            continue
        coordinates = np.asarray(roi.coordinates(), dtype=float).reshape(-1, 2)
        if roi.subpixel_coordinates is None:
            coordinates = coordinates + 0.5
        labels = (
            (label,)
            if len(coordinates) == 1
            else _ordered_labels(len(coordinates), names, path, where)
        )
        for k, ((x, y), point_label) in enumerate(zip(coordinates, labels, strict=True)):
            if point_label:
                points.append(
                    RawPoint(
                        point_label,
                        float(x),
                        float(y),
                        side=label,
                        where=f"{where}, point {k + 1}",
                    )
                )
    return _finish(
        points,
        path,
        name_map=names,
        image=image,
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )


def read_bonefinder_pts(
    path: str | os.PathLike[str],
    *,
    name_map: NameMap | Any = None,
    image: ImageLike = None,
    side: str | None = None,
    view: str | None = None,
    reader: str = "",
    unknown: Unknown = "error",
    y_axis: Literal["down", "up"] = "down",
) -> pd.DataFrame:
    """Read a BoneFinder (ISBE) ``.pts`` file into the canonical landmark table.

    The file is ``version: 1``, ``n_points: N``, then ``{``, N lines ``x y`` and
    ``}``. Points are unnamed: their labels come from the name map's ``point_orders``
    for N (an empty label skips a point; labels may carry a side word).

    Parameters
    ----------
    y_axis : {'down', 'up'}, optional
        ``'down'`` (default): x, y are continuous pixel coordinates from the top-left
        corner, as the spec's. ``'up'``: y is measured up from the bottom edge, and is
        converted as ``rows - y``, which needs `image` for its number of rows.

    Other parameters are those of :func:`read_labelme`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read as a .pts file: {exc}") from None
    head, brace, rest = text.partition("{")
    body, close, _ = rest.partition("}")
    if not brace or not close:
        raise AnnotationError(f"{path}: not a .pts file (no {{ ... }} block)")
    declared = None
    for line in head.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "n_points":
            try:
                declared = int(value)
            except ValueError:
                raise AnnotationError(f"{path}: n_points is {value.strip()!r}") from None
    rows = [line.split() for line in body.splitlines() if line.strip()]
    if any(len(row) < 2 for row in rows):
        raise AnnotationError(f"{path}: each point must be a line 'x y'")
    if declared is not None and declared != len(rows):
        raise AnnotationError(f"{path}: n_points is {declared} but {len(rows)} points follow")
    names = load_name_map(name_map)
    labels = _ordered_labels(len(rows), names, path, "the file")
    radiograph = open_image(image)
    if y_axis not in ("down", "up"):
        raise ValueError(f"y_axis must be 'down' or 'up', got {y_axis!r}")
    if y_axis == "up" and radiograph is None:
        raise AnnotationError(f"{path}: y_axis='up' needs the image (image=) for its height")
    points = []
    for k, (row, label) in enumerate(zip(rows, labels, strict=True)):
        where = f"point {k + 1}"
        x, y = _number(row[0], where, path), _number(row[1], where, path)
        if y_axis == "up" and radiograph is not None:
            y = radiograph.rows - y
        if label:
            points.append(RawPoint(label, x, y, where=where))
    return to_table(
        points,
        source=path,
        name_map=names,
        image=radiograph,
        side=side,
        view=view,
        reader=reader,
        unknown=unknown,
    )
