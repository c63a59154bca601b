"""Overlays: the radiograph with its landmarks, axes and measured values, fit for checking.

:func:`overlay_layout` decides where everything goes (a pure function of the film's
shape and its tables, so it is tested without drawing); :func:`draw_overlay` draws a
layout over the pixels and returns an RGB array; :func:`render_overlay` does both and
:func:`write_overlay` writes the result as a PNG with no text metadata. Drawing is
OpenCV (headless): no display and no matplotlib.

The layout (sizes in :data:`OVERLAY_SIZES`):

- a **long-leg film** (a hip or ankle landmark, or a film at least 1.6 times taller than
  wide) is scaled to 1600 px tall; beside it, each leg's knee is cropped to 120 x 120 mm
  at full resolution (enlarged by an integer factor when under 400 px), captioned with
  its side and scale (``right knee x2``), and its place is framed on the film;
- a **knee film** (AP or LAT knee) is scaled to 1100 px tall;
- every label sits in a **margin** beside its panel, left or right of the image, and a
  leader line runs from the label to its point: no text is ever drawn over bone or
  implant. Labels of one margin are placed greedily in the order of their points' y and
  never overlap: each landmark is named on the panel that shows it best (the knee crop
  when it holds it), each measured value beside the film at the place it is measured
  (:data:`ANCHORS`);
- on the right, the key panel: the image's name, any note (``no landmarks on this
  film`` and why), each leg's measures with value and deviation, and the legend.

Text is OpenCV's Hershey font at an integer size, opaque on a solid background: crisp,
never blended into the film. Colours are in :data:`COLOURS` (Okabe-Ito, safe for
colour-blind readers). A flagged item (status ``missing``, ``outlier`` true, or any
``flags``) is drawn in ``COLOURS["warning"]`` and marked ``!``, so it does not rely on
colour alone. Nothing identifying is drawn: the only text is the image key the caller
gives (a relative path in a batch) or the title it gives instead (a pseudonym), sides,
views, readers, landmark names, values and notes.

Coordinates follow the measurement spec: ``(x, y)`` in pixels of the full image,
``(0, 0)`` the top-left corner of the top-left pixel. A panel maps a point to the
canvas by its scale and offset (:meth:`Panel.to_canvas`); OpenCV draws integer
coordinates at pixel *centres*, so half a pixel is taken off before drawing (with 4
fractional bits of sub-pixel precision).

Examples
--------
>>> import numpy as np
>>> from alignment import LandmarkSet, landmark_table, measure_landmarks
>>> leg = LandmarkSet("leg.png", "right", "AP", {
...     "femoral_head_center": (60.0, 20.0), "femoral_knee_center": (64.0, 200.0),
...     "tibial_knee_center": (64.0, 206.0), "ankle_center": (62.0, 380.0),
... }, spacing_mm=(1.0, 1.0))
>>> landmarks = landmark_table([leg])
>>> layout = overlay_layout((400, 150), landmarks, measure_landmarks(landmarks))
>>> layout.kind, layout.panels[0].box[3], layout.panels[1].caption
('long_leg', 1600, 'right knee x4 (120 mm)')
>>> pixels = np.random.default_rng(0).integers(0, 4096, (400, 150), dtype=np.uint16)
>>> rgb = draw_overlay(pixels, layout)
>>> rgb.shape == (layout.height, layout.width, 3)
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import cv2
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alignment.atomic import atomic_path
from alignment.measures.registry import AXES, FALLBACKS, MEASURES
from alignment.report._common import (
    display_name,
    flagged,
    format_value,
    registry_order,
    text_column,
)
from alignment.vocabulary import LANDMARKS, VIEWS

__all__ = [
    "ANCHORS",
    "AXIS_STYLES",
    "COLOURS",
    "OVERLAY_SIZES",
    "Label",
    "OverlayLayout",
    "Panel",
    "draw_overlay",
    "encode_png",
    "overlay_layout",
    "render_overlay",
    "write_overlay",
]

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[int, int, int, int]
COLOURS: Mapping[str, RGB] = MappingProxyType(
    {
        "mechanical": (86, 180, 233),  # sky blue
        "anatomical": (0, 158, 115),  # bluish green
        "joint_line": (240, 228, 66),  # yellow
        "hip_ankle": (204, 121, 167),  # reddish purple
        "landmark": (230, 159, 0),  # orange
        "text": (255, 255, 255),
        "warning": (213, 94, 0),  # vermillion
        "leader": (170, 170, 170),
        "outline": (0, 0, 0),
        "panel": (32, 32, 32),
        "panel_text": (235, 235, 235),
    }
)
"""RGB colours of the overlay (the Okabe-Ito palette, distinguishable in colour blindness)."""

AXIS_STYLES: Mapping[str, str] = MappingProxyType(
    {
        "dF": "mechanical",
        "dT": "mechanical",
        "aF": "anatomical",
        "aT": "anatomical",
        "jF": "joint_line",
        "jT": "joint_line",
        "cF": "joint_line",
        "cT": "joint_line",
        "mA": "hip_ankle",
    }
)
"""Colour key (in :data:`COLOURS`) of each axis of the registry; ``mA`` is dashed."""

_KNEE = (("femoral_knee_center", "tibial_knee_center"),)
_PLACES: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "knee": _KNEE,
    "distal_femur": (("distal_femur_medial", "distal_femur_lateral"), ("femoral_knee_center",)),
    "proximal_tibia": (
        ("tibial_plateau_medial", "tibial_plateau_lateral"),
        ("tibial_knee_center",),
    ),
    "femoral_shaft": (("femoral_shaft_proximal", "femoral_shaft_distal"),),
    "femur": (("femoral_head_center", "femoral_knee_center"),),
    "tibia": (("tibial_knee_center", "ankle_center"),),
    "femoral_component": (("femoral_component_anterior", "femoral_component_posterior"),),
    "tibial_component": (("tibial_plateau_anterior", "tibial_plateau_posterior"),),
}

ANCHORS: Mapping[str, str] = MappingProxyType(
    {
        "hka": "knee",
        "fta": "knee",
        "jlca": "knee",
        "mad_mm": "knee",
        "ahka": "knee",
        "jlo": "knee",
        "cpak": "knee",
        "mldfa": "distal_femur",
        "aldfa": "distal_femur",
        "ffc": "distal_femur",
        "ffc_anatomical": "distal_femur",
        "mpta": "proximal_tibia",
        "ftc": "proximal_tibia",
        "ftc_anatomical": "proximal_tibia",
        "ama": "femoral_shaft",
        "femur_length_mm": "femur",
        "tibia_length_mm": "tibia",
        "lfc": "femoral_component",
        "femoral_component_flexion": "femoral_component",
        "ltc": "tibial_component",
        "posterior_slope": "tibial_component",
    }
)
"""Where each measure's value is written: a place on the leg (the mean of its landmarks).

Places: ``knee`` (the femoral and tibial knee centres), ``distal_femur`` (the femoral
joint line), ``proximal_tibia`` (the tibial joint line), ``femoral_shaft``, ``femur``
and ``tibia`` (the middle of the anatomical or mechanical axis), ``femoral_component``
and ``tibial_component`` (LAT). A measure not listed is written at the centroid of its
landmarks.
"""

OVERLAY_SIZES: Mapping[str, float] = MappingProxyType(
    {
        "long_leg_height_px": 1600.0,
        "knee_film_height_px": 1100.0,
        "knee_crop_mm": 120.0,
        "crop_min_px": 400.0,
        "long_leg_aspect": 1.6,
        "crop_unknown_spacing_fraction": 0.1,
    }
)
"""The overlay's sizes: a long-leg film's height on the canvas (px), a knee film's, the
side of each knee crop (mm of the film), the size under which a crop is enlarged by an
integer factor (px), the height / width ratio from which a film without hip or ankle
landmarks is taken for a long-leg film, and the side of a knee crop, as a fraction of
the film's height, when the pixel spacing is unknown."""

_FONT = cv2.FONT_HERSHEY_PLAIN
_FONT_SCALE = 1  # Hershey at an integer size: crisp strokes
_TEXT_HEIGHT = cv2.getTextSize("Hg", _FONT, _FONT_SCALE, 1)
_LINE_HEIGHT = _TEXT_HEIGHT[0][1] + _TEXT_HEIGHT[1] + 5  # px between baselines
_GAP = 10  # px between a panel and its labels, and around the canvas
_PAD = 3  # px between two labels of a margin
_LEADER_ROOM = 24  # px of margin kept for the leader lines even without labels
_RADIUS = 3  # px, a landmark's dot
_AXIS_THICKNESS = 2  # px
_SHIFT = 4  # fractional bits of OpenCV's sub-pixel drawing
_ONE = 1 << _SHIFT
_FAR = float(2**24)  # pixels: farther points are clamped here
_NUMERIC_KINDS = "biuf"
_NATIVE_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)
_PERCENTILES = (0.5, 99.5)
_VIEW_LANDMARKS: Mapping[str, tuple[str, ...]] = {str(k): v for k, v in LANDMARKS.items()}
_TABLE_COLUMNS = ("image", "side", "view", "landmark", "x", "y")
_LONG_LEG_LANDMARKS = ("femoral_head_center", "ankle_center")
_KNEE_LANDMARKS = (
    "femoral_knee_center",
    "tibial_knee_center",
    "distal_femur_medial",
    "distal_femur_lateral",
    "tibial_plateau_medial",
    "tibial_plateau_lateral",
)
_PANEL_WIDTH = 300  # px, the key panel


@dataclass(frozen=True)
class _Row:
    """One results row, as drawn."""

    measure: str
    value: str  # formatted
    deviation: float
    warn: bool

    def text(self) -> str:
        return f"{display_name(self.measure)} {self.value}{' !' if self.warn else ''}"


@dataclass
class _Set:
    """One landmark set: its named points (film pixels), the points the axes use (the
    named ones plus the registry's fallbacks), and its results."""

    side: str
    view: str
    reader: str
    named: dict[str, Point] = field(default_factory=dict)
    points: dict[str, Point] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    """A rectangle of the canvas that shows a rectangle of the film at a scale.

    Attributes
    ----------
    name : str
        ``"film"``, or ``"<side> knee"`` for a knee crop.
    caption : str
        The note drawn above the panel: what it shows and its scale (``"right knee x2"``).
    source : (int, int, int, int)
        ``(left, top, right, bottom)`` of the film shown, in film pixels (edges, the
        spec's convention); a crop may reach beyond the film, shown black there.
    box : (int, int, int, int)
        ``(left, top, width, height)`` of the panel on the canvas, in canvas pixels.
    """

    name: str
    caption: str
    source: Box
    box: Box

    @property
    def scale(self) -> Point:
        """Canvas pixels per film pixel, ``(x, y)``."""
        left, top, right, bottom = self.source
        return (self.box[2] / (right - left), self.box[3] / (bottom - top))

    def to_canvas(self, point: Point) -> Point:
        """The canvas coordinates of a film point (both in the spec's corner convention)."""
        sx, sy = self.scale
        return (
            self.box[0] + (point[0] - self.source[0]) * sx,
            self.box[1] + (point[1] - self.source[1]) * sy,
        )

    def shows(self, point: Point) -> bool:
        """Whether the film point lies inside the part of the film this panel shows."""
        left, top, right, bottom = self.source
        return left <= point[0] < right and top <= point[1] < bottom


@dataclass(frozen=True)
class Label:
    """Lines of text in a margin, with a leader line to the point they name.

    Attributes
    ----------
    lines : tuple of str
        The text, one entry per line (ASCII: the Hershey font has no other glyphs).
    warn : tuple of bool
        Per line, whether it is flagged (drawn in the warning colour).
    kind : {"landmark", "values"}
        A landmark's name, or the values measured at a place.
    panel : int
        Index in :attr:`OverlayLayout.panels` of the panel whose margin holds it.
    point : (float, float)
        Canvas coordinates of the point named (may lie off the canvas for a landmark
        off the film).
    box : (int, int, int, int)
        ``(left, top, width, height)`` of the text on the canvas.
    leader : ((float, float), (float, float))
        The leader line: from the edge of `box` facing the panel to `point`.
    """

    lines: tuple[str, ...]
    warn: tuple[bool, ...]
    kind: Literal["landmark", "values"]
    panel: int
    point: Point
    box: Box
    leader: tuple[Point, Point]


@dataclass(frozen=True)
class OverlayLayout:
    """Where an overlay draws everything; see :func:`overlay_layout`.

    Attributes
    ----------
    width, height : int
        The canvas, in pixels.
    kind : {"long_leg", "knee"}
        How the film was laid out.
    film_shape : (int, int)
        ``(rows, columns)`` of the film the layout is for.
    panels : tuple of Panel
        The film first, then the knee crops, in the film's left-to-right order.
    labels : tuple of Label
        Every label, each in a margin of its panel.
    legend : (int, int, int, int) or None
        ``(left, top, width, height)`` of the key panel; None without one.
    title : str
        What the key panel calls the image.
    notes : tuple of str
        Notes written in the key panel (``"no landmarks on this film"`` and why).
    legs : tuple
        The landmark sets drawn (film coordinates) with their results; internal.
    """

    width: int
    height: int
    kind: Literal["long_leg", "knee"]
    film_shape: tuple[int, int]
    panels: tuple[Panel, ...]
    labels: tuple[Label, ...]
    legend: Box | None
    title: str
    notes: tuple[str, ...]
    legs: tuple[_Set, ...] = field(repr=False)


# --- pixels ------------------------------------------------------------------------


def _check_pixels(pixels: ArrayLike) -> NDArray[Any]:
    array = np.asarray(pixels)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"pixels must be a numeric array, got dtype {array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"pixels must be a non-empty 2-D array, got shape {array.shape}")
    return array


def _native(pixels: NDArray[Any]) -> NDArray[Any]:
    """`pixels` in a dtype OpenCV resizes, contiguous."""
    if pixels.dtype == np.bool_ or pixels.dtype.type not in _NATIVE_DTYPES:
        pixels = pixels.astype(np.float32)
    return np.ascontiguousarray(pixels)


def _resize(pixels: NDArray[Any], size: tuple[int, int]) -> NDArray[Any]:
    """`pixels` resized to ``size = (width, height)``: area-averaged when reduced
    (decimated first when large), bilinear when enlarged.

    Decimation by an integer stride keeps at least twice the output resolution, so the
    area average that follows still suppresses aliasing; it makes a 27-megapixel film
    about ten times faster to reduce.
    """
    height, width = pixels.shape
    out_w, out_h = size
    step = int(min(width / out_w, height / out_h) // 2)
    array = _native(pixels[::step, ::step] if step >= 2 else pixels)
    if array.shape == (out_h, out_w):
        return array
    enlarging = out_w > array.shape[1] or out_h > array.shape[0]
    method = cv2.INTER_LINEAR if enlarging else cv2.INTER_AREA
    return cv2.resize(array, (out_w, out_h), interpolation=method)


def _limits(values: NDArray[Any], window: tuple[float, float] | None) -> tuple[float, float]:
    """The pixel values shown black and white: ``(center, width)``, else the 0.5-99.5
    percentiles of `values`."""
    if window is not None:
        center, width = (float(v) for v in window)
        if not (math.isfinite(center) and math.isfinite(width) and width > 0):
            raise ValueError(f"window must be (center, width) with width > 0, got {window!r}")
        low, high = center - width / 2, center + width / 2
    else:
        data = values.astype(np.float32, copy=False)
        finite = data[np.isfinite(data)]
        low, high = (
            (float(v) for v in np.percentile(finite, _PERCENTILES)) if finite.size else (0, 1)
        )
    return (low, high) if high > low else (low, low + 1.0)


def _grey(values: NDArray[Any], limits: tuple[float, float]) -> NDArray[np.uint8]:
    """`values` mapped to 0-255 between `limits` (non-finite values black)."""
    low, high = limits
    data = values.astype(np.float32, copy=False)
    scaled = (np.where(np.isfinite(data), data, low) - low) * np.float32(255.0 / (high - low))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def _crop(pixels: NDArray[Any], source: Box, factor: int) -> NDArray[Any]:
    """The film inside `source` (film pixels; black beyond the film), enlarged `factor`
    times by repeating pixels, so that every film pixel stays a sharp square."""
    left, top, right, bottom = source
    rows, columns = pixels.shape
    out = np.full((bottom - top, right - left), np.nan, np.float32)
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(right, columns), min(bottom, rows)
    if x1 > x0 and y1 > y0:
        out[y0 - top : y1 - top, x0 - left : x1 - left] = pixels[y0:y1, x0:x1]
    if factor > 1:
        out = np.repeat(np.repeat(out, factor, axis=0), factor, axis=1)
    return out


def _check_table(table: pd.DataFrame, required: Sequence[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(table).__name__}")
    absent = [c for c in required if c not in table.columns]
    if absent:
        raise ValueError(f"{what} lacks column(s) {', '.join(absent)}")


def _image_key(image: str | None, landmarks: pd.DataFrame, results: pd.DataFrame) -> str:
    if image is not None:
        return str(image)
    keys = sorted(set(text_column(landmarks, "image")) | set(text_column(results, "image")))
    if len(keys) > 1:
        shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
        raise ValueError(
            f"landmarks and results hold {len(keys)} images ({shown}); pass image= to choose one"
        )
    return keys[0] if keys else ""


def _floats(table: pd.DataFrame, column: str) -> NDArray[np.float64]:
    if column not in table.columns:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _sets(landmarks: pd.DataFrame, results: pd.DataFrame) -> list[_Set]:
    """The landmark sets of one image, points in film pixels, with their results."""
    sets: dict[tuple[str, str, str], _Set] = {}
    keys = zip(
        text_column(landmarks, "side"),
        text_column(landmarks, "view"),
        text_column(landmarks, "reader"),
        text_column(landmarks, "landmark"),
        landmarks["x"].to_numpy(dtype=float),
        landmarks["y"].to_numpy(dtype=float),
        strict=True,
    )
    for side, view, reader, name, x, y in keys:
        if math.isfinite(x) and math.isfinite(y):
            entry = sets.setdefault((side, view, reader), _Set(side, view, reader))
            # Clamped far off the film: what is drawn does not change, and no sum overflows.
            entry.named[name] = entry.points[name] = (_bounded(x), _bounded(y))
    for entry in sets.values():
        for name, fallback in FALLBACKS.items():
            if name not in entry.points and fallback in entry.points:
                entry.points[name] = entry.points[fallback]
    if len(results):
        columns = [text_column(results, c).tolist() for c in ("side", "view", "reader")]
        names = text_column(results, "measure").tolist()
        units = text_column(results, "unit").tolist()
        labels = text_column(results, "label").tolist()
        values = _floats(results, "value")
        deviations = _floats(results, "deviation")
        warn = flagged(results).tolist()
        by_set: dict[tuple[str, str, str], dict[str, _Row]] = {}
        for i, key in enumerate(zip(*columns, strict=True)):
            value = format_value(values[i], units[i], labels[i])
            row = _Row(names[i], value, float(deviations[i]), bool(warn[i]))
            by_set.setdefault(key, {})[names[i]] = row
        for key, rows in by_set.items():
            sets.setdefault(key, _Set(*key)).rows = [rows[m] for m in registry_order(rows)]
    order: dict[str, int] = {str(v): i for i, v in enumerate(VIEWS)}
    return sorted(sets.values(), key=lambda s: (order.get(s.view, 9), s.side, s.reader))


def _bounded(value: float) -> float:
    return min(max(value, -_FAR), _FAR)


def _spacing(landmarks: pd.DataFrame) -> tuple[float, float] | None:
    """The film's ``(row, column)`` spacing in mm from the landmark table, if given."""
    rows, columns = _floats(landmarks, "row_spacing_mm"), _floats(landmarks, "col_spacing_mm")
    known = np.isfinite(rows) & np.isfinite(columns) & (rows > 0) & (columns > 0)
    return (float(rows[known][0]), float(columns[known][0])) if known.any() else None


# --- layout ------------------------------------------------------------------------


@dataclass
class _Pending:
    """A label before it is placed: its text, its panel and point (canvas)."""

    lines: tuple[str, ...]
    warn: tuple[bool, ...]
    kind: Literal["landmark", "values"]
    panel: int
    point: Point
    width: int = 0
    height: int = 0
    column: Literal["left", "right"] = "left"
    top: float = 0.0


def _text_width(text: str) -> int:
    (width, _), _ = cv2.getTextSize(text, _FONT, _FONT_SCALE, 1)
    return int(width)


def _ascii(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only: anything else becomes ``?``."""
    return text.encode("ascii", "replace").decode("ascii")


def _shorten(text: str, width: int) -> str:
    """`text`, cut in the middle with ``...`` until it fits `width` pixels."""
    if _text_width(text) <= width:
        return text
    keep = len(text)
    while keep > 4:
        keep -= 1
        cut = f"{text[: keep // 2]}...{text[len(text) - (keep - keep // 2) :]}"
        if _text_width(cut) <= width:
            return cut
    return text[:4]


def _wrap(text: str, width: int) -> list[str]:
    """`text` broken between words into lines of at most `width` pixels (a word wider
    than that is cut in the middle)."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(_shorten(word, width))
    return lines


def _long_leg(shape: tuple[int, int], sets: Sequence[_Set]) -> bool:
    """Whether the film is a long-leg film: a hip or ankle landmark, or its proportions."""
    if any(name in s.named for s in sets for name in _LONG_LEG_LANDMARKS):
        return True
    named = any(s.named for s in sets)
    return not named and shape[0] >= OVERLAY_SIZES["long_leg_aspect"] * shape[1]


def _knee_crops(
    shape: tuple[int, int], sets: Sequence[_Set], spacing_mm: tuple[float, float] | None
) -> list[tuple[str, Box, int, str]]:
    """Each leg's knee crop: ``(side, source box, enlargement, scale note)``, left to right."""
    rows, columns = shape
    if spacing_mm is None:
        side_px = max(1, round(OVERLAY_SIZES["crop_unknown_spacing_fraction"] * rows))
        size, note = (side_px, side_px), "spacing unknown"
    else:
        crop_mm = OVERLAY_SIZES["knee_crop_mm"]
        size = (max(1, round(crop_mm / spacing_mm[1])), max(1, round(crop_mm / spacing_mm[0])))
        note = f"{crop_mm:g} mm"
    size = (min(size[0], columns), min(size[1], rows))
    factor = max(1, math.ceil(OVERLAY_SIZES["crop_min_px"] / min(size)))
    centres: dict[str, Point] = {}
    for s in sets:
        knee = [s.named[name] for name in _KNEE_LANDMARKS if name in s.named]
        if knee and s.view == "AP" and s.side not in centres:
            centres[s.side] = (
                float(np.mean([p[0] for p in knee])),
                float(np.mean([p[1] for p in knee])),
            )
    crops = []
    for side, (x, y) in sorted(centres.items(), key=lambda item: item[1][0]):
        left = round(min(max(x, -_FAR), _FAR) - size[0] / 2)
        top = round(min(max(y, -_FAR), _FAR) - size[1] / 2)
        crops.append((side, (left, top, left + size[0], top + size[1]), factor, note))
    return crops


def _landmark_text(name: str, reader: str, readers: int) -> str:
    text = name.replace("_", " ")
    return _ascii(f"{reader or '(no reader)'}: {text}" if readers > 1 else text)


def _pending(sets: Sequence[_Set], panels: Sequence[Panel]) -> list[_Pending]:
    """Every label, unplaced: each landmark on the panel that shows it best, each place's
    values beside the film."""
    readers = len({s.reader for s in sets})
    out: list[_Pending] = []
    for s in sets:
        crops = [i for i, p in enumerate(panels) if p.name == f"{s.side} knee"]
        for name, point in s.named.items():
            home = next((i for i in crops if panels[i].shows(point)), 0)
            text = _landmark_text(name, s.reader, readers)
            out.append(
                _Pending((text,), (False,), "landmark", home, panels[home].to_canvas(point))
            )
        by_place: dict[Point, list[_Row]] = {}
        for row in s.rows:
            if row.measure in MEASURES and MEASURES[row.measure].depends_on:
                continue  # derived from other measures (aHKA, JLO, CPAK ...): key panel only
            anchor = _place(s.points, row.measure)
            if anchor is not None:
                by_place.setdefault(anchor, []).append(row)
        for anchor, rows in by_place.items():
            head = [_ascii(s.reader or "(no reader)")] if readers > 1 else []
            lines = (*head, *(_ascii(r.text()) for r in rows))
            warn = (*(False for _ in head), *(r.warn for r in rows))
            out.append(_Pending(lines, warn, "values", 0, panels[0].to_canvas(anchor)))
    return out


def _place(points: Mapping[str, tuple[float, float]], measure: str) -> tuple[float, float] | None:
    """Where `measure` is written: the mean of the first complete group of its place."""
    place = ANCHORS.get(measure)
    if place is not None:
        groups = _PLACES[place]
    elif measure in MEASURES:
        groups = (MEASURES[measure].landmarks,)
    else:
        return None
    for group in groups:
        if group and all(name in points for name in group):
            xs, ys = zip(*(points[name] for name in group), strict=True)
            return (float(np.mean(xs)), float(np.mean(ys)))
    if place is not None and measure in MEASURES:  # fall back to the measure's own landmarks
        present = [points[n] for n in MEASURES[measure].landmarks if n in points]
        if present:
            xs, ys = zip(*present, strict=True)
            return (float(np.mean(xs)), float(np.mean(ys)))
    return None


def _tables(
    landmarks: pd.DataFrame | None, results: pd.DataFrame | None, image: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The rows of one image of each table (checked), and its key."""
    if landmarks is None:
        landmarks = pd.DataFrame({c: pd.Series(dtype=object) for c in _TABLE_COLUMNS})
    if results is None:
        results = pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("image", "side", "view", "measure")}
        )
    _check_table(landmarks, _TABLE_COLUMNS, "landmarks")
    _check_table(results, ("image", "side", "view", "measure"), "results")
    key = _image_key(image, landmarks, results)
    return (
        landmarks[text_column(landmarks, "image") == key],
        results[text_column(results, "image") == key],
        key,
    )


def _check_shape(shape: Sequence[int]) -> tuple[int, int]:
    values = tuple(shape)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in values):
        raise ValueError(f"shape must be two positive integers (rows, columns), got {shape!r}")
    return int(values[0]), int(values[1])


def _place_column(labels: list[_Pending], height: int) -> None:
    """Set each label's top near its point's height, greedily in the order of y, so that
    no two labels of a margin overlap and all stay on a canvas of `height` pixels."""
    labels.sort(key=lambda p: p.point[1])
    bottom = -math.inf
    for p in labels:
        p.top = max(p.point[1] - p.height / 2, bottom + _PAD, float(_GAP))
        bottom = p.top + p.height
    limit = float(height - _GAP)
    for p in reversed(labels):
        p.top = min(p.top, limit - p.height)
        limit = p.top - _PAD


def _column_height(labels: Sequence[_Pending]) -> int:
    """Canvas height a margin needs to hold `labels` one under the other."""
    if not labels:
        return 0
    return sum(p.height for p in labels) + _PAD * (len(labels) - 1) + 2 * _GAP


def overlay_layout(
    shape: Sequence[int],
    landmarks: pd.DataFrame | None,
    results: pd.DataFrame | None = None,
    *,
    image: str | None = None,
    title: str | None = None,
    spacing_mm: tuple[float, float] | None = None,
    max_size: int | None = None,
    legend: bool = True,
    notes: Sequence[str] = (),
) -> OverlayLayout:
    """Where an overlay of a film of `shape` draws its panels, labels and key.

    Parameters
    ----------
    shape : (int, int)
        ``(rows, columns)`` of the film, in pixels.
    landmarks : pandas.DataFrame or None
        Landmark table (columns ``image, side, view, landmark, x, y``; ``reader``,
        ``row_spacing_mm``, ``col_spacing_mm`` optional), coordinates in film pixels in
        the spec's convention. Only the rows of `image` are used. None: no landmark.
    results : pandas.DataFrame, optional
        The long results table (``image, side, view, measure, value, unit`` and, where
        present, ``reader, label, deviation, status, outlier, flags``).
    image : str, optional
        The image key. Default: the one image the tables hold.
    title : str, optional
        What the key panel calls the image (default: its key), for example a pseudonym.
    spacing_mm : (float, float), optional
        ``(row, column)`` pixel spacing in mm, which sizes the 120 mm knee crops.
        Default: the landmark table's ``row_spacing_mm, col_spacing_mm``; when neither
        says, a crop is a tenth of the film's height and its caption says so.
    max_size : int, optional
        Cap on the longest side of the film's panel, in canvas pixels (a long-leg film
        is otherwise 1600 px tall, a knee film 1100 px). Crops stay at full resolution.
    legend : bool, default True
        Lay out the margins, their labels, the knee crops and the key panel. False: the
        film's panel alone, with nothing but the axes and dots.
    notes : sequence of str
        Notes for the key panel (why nothing was found, ...). A film without any
        landmark is noted ``no landmarks on this film`` first.

    Returns
    -------
    OverlayLayout
        Every label lies in a margin, outside every panel, and no two labels overlap;
        each leader line ends at its label's point.

    Raises
    ------
    TypeError
        A table is not a DataFrame.
    ValueError
        `shape` is not two positive integers, a table lacks a column, `max_size` is
        below 16, or the tables hold several images and `image` is not given.

    Examples
    --------
    >>> from alignment import LandmarkSet, landmark_table
    >>> knee = LandmarkSet("k.png", "left", "LAT", {
    ...     "tibial_plateau_anterior": (300.0, 400.0), "tibial_plateau_posterior": (100.0, 420.0),
    ... })
    >>> layout = overlay_layout((500, 400), landmark_table([knee]))
    >>> layout.kind, layout.panels[0].box[3], [label.lines for label in layout.labels]
    ('knee', 1100, [('tibial plateau posterior',), ('tibial plateau anterior',)])
    >>> label = layout.labels[0]
    >>> label.box[0] + label.box[2] < layout.panels[0].box[0]  # left of the film
    True
    """
    rows, columns = _check_shape(shape)
    if max_size is not None:
        if not isinstance(max_size, (int, np.integer)) or isinstance(max_size, bool):
            raise TypeError(f"max_size must be an integer, got {type(max_size).__name__}")
        if max_size < 16:
            raise ValueError(f"max_size must be at least 16 pixels, got {max_size}")
    landmarks, results, key = _tables(landmarks, results, image)
    sets = _sets(landmarks, results)
    long_leg = _long_leg((rows, columns), sets)
    kind: Literal["long_leg", "knee"] = "long_leg" if long_leg else "knee"
    scale = OVERLAY_SIZES["long_leg_height_px" if long_leg else "knee_film_height_px"] / rows
    if max_size is not None:
        scale = min(scale, max_size / max(rows, columns))
    film_w, film_h = max(1, round(columns * scale)), max(1, round(rows * scale))
    notes = tuple(_ascii(str(n)) for n in notes)
    if not any(s.named for s in sets):
        notes = ("no landmarks on this film", *notes)
    name = _ascii(key if title is None else str(title))
    source = (0, 0, columns, rows)
    if not legend:
        film = Panel("film", "", source, (0, 0, film_w, film_h))
        return OverlayLayout(
            film_w, film_h, kind, (rows, columns), (film,), (), None, name, notes, tuple(sets)
        )

    top = _GAP + _LINE_HEIGHT  # a caption row above the panels
    panels = [Panel("film", f"film x{scale:.3g}", source, (0, top, film_w, film_h))]
    crops = (
        _knee_crops((rows, columns), sets, spacing_mm or _spacing(landmarks)) if long_leg else []
    )
    for side, box, factor, note in crops:
        size = ((box[2] - box[0]) * factor, (box[3] - box[1]) * factor)
        panels.append(
            Panel(f"{side} knee", f"{side} knee x{factor} ({note})", box, (0, top, *size))
        )
    pending = _pending(sets, panels)
    for p in pending:
        p.width = max(_text_width(line) for line in p.lines)
        p.height = _LINE_HEIGHT * len(p.lines)
        box = panels[p.panel].box
        p.column = "left" if p.point[0] < box[0] + box[2] / 2 else "right"

    def column(index: int, side: str) -> list[_Pending]:
        return [p for p in pending if p.panel == index and p.column == side]

    x = _GAP
    for index, panel in enumerate(panels):
        margins = [
            max([p.width for p in column(index, side)], default=_LEADER_ROOM - 2 * _GAP) + 2 * _GAP
            for side in ("left", "right")
        ]
        left = x + margins[0]
        panels[index] = Panel(panel.name, _shorten(panel.caption, panel.box[2]), panel.source,
                              (left, top, panel.box[2], panel.box[3]))  # fmt: skip
        for p in pending:
            if p.panel == index:
                p.point = (p.point[0] + left, p.point[1])
        x = left + panel.box[2] + margins[1]
    key_lines = _key_lines(name, sets, notes)
    height = max(
        [top + max(p.box[3] for p in panels) + _GAP, _LINE_HEIGHT * (len(key_lines) + 1) + 8]
        + [
            _column_height(column(i, side))
            for i in range(len(panels))
            for side in ("left", "right")
        ]
    )
    labels = []
    for index, panel in enumerate(panels):
        for side in ("left", "right"):
            placed = column(index, side)
            _place_column(placed, height)
            for p in placed:
                if side == "left":
                    left = panel.box[0] - _GAP - p.width
                    start = (float(left + p.width + 2), p.top + p.height / 2)
                else:
                    left = panel.box[0] + panel.box[2] + _GAP
                    start = (float(left - 2), p.top + p.height / 2)
                box = (left, round(p.top), p.width, p.height)
                labels.append(
                    Label(p.lines, p.warn, p.kind, index, p.point, box, (start, p.point))
                )
    legend_box = (x, 0, _PANEL_WIDTH, height)
    return OverlayLayout(
        x + _PANEL_WIDTH, height, kind, (rows, columns), tuple(panels), tuple(labels),
        legend_box, name, notes, tuple(sets),
    )  # fmt: skip


# --- the key panel -----------------------------------------------------------------

_KeyLine = tuple[str, RGB, str]  # (text, colour, kind)


def _key_lines(title: str, sets: Sequence[_Set], notes: Sequence[str]) -> list[_KeyLine]:
    """The key panel's lines: image name, notes, each set's values, the legend."""
    inner = _PANEL_WIDTH - 16
    lines: list[_KeyLine] = [(_shorten(title, inner), COLOURS["panel_text"], "plain")]
    for note in dict.fromkeys(notes):  # each note once
        lines += [(part, COLOURS["warning"], "plain") for part in _wrap(note, inner)]
    for s in sets:
        header = f"{s.side} {s.view}" + (f" - {s.reader}" if s.reader else "")
        lines.append(("", COLOURS["panel_text"], "space"))
        lines.append((_shorten(_ascii(header), inner), COLOURS["panel_text"], "plain"))
        for row in s.rows:
            rounded = round(row.deviation, 1) + 0.0  # no "-0.0"
            dev = f"  ({rounded:+.1f})" if math.isfinite(rounded) else ""
            text = f"{display_name(row.measure)}\t{row.value}{dev}{' !' if row.warn else ''}"
            colour = COLOURS["warning"] if row.warn else COLOURS["panel_text"]
            lines.append((_ascii(text), colour, "value"))
    lines.append(("", COLOURS["panel_text"], "space"))
    views = {s.view for s in sets} or {"AP"}
    legend = [("mechanical axes dF dT", "mechanical")] if "AP" in views else []
    legend.append(("anatomical axes aF aT", "anatomical"))
    if "AP" in views:
        legend += [("joint lines jF jT", "joint_line"), ("hip-ankle line", "hip_ankle")]
    if "LAT" in views:
        legend.append(("component lines cF cT", "joint_line"))
    lines += [(text, COLOURS[key], "swatch") for text, key in legend]
    lines.append(("landmark (named in a margin)", COLOURS["landmark"], "dot"))
    lines.append(("! flagged: missing, outlier", COLOURS["warning"], "plain"))
    lines.append(("  or with a caveat flag", COLOURS["warning"], "plain"))
    lines.append(("angles in degrees", COLOURS["panel_text"], "plain"))
    return lines


def _draw_key(lines: Sequence[_KeyLine], height: int) -> NDArray[np.uint8]:
    """The key panel as an RGB array ``(height, width, 3)``."""
    canvas = np.empty((height, _PANEL_WIDTH, 3), np.uint8)
    canvas[:] = COLOURS["panel"]
    values = [text.split("\t")[0] for text, _, kind in lines if kind == "value"]
    name_width = max([_text_width(t) for t in values] or [0])
    y = 6.0
    for text, colour, kind in lines:
        y += _LINE_HEIGHT
        baseline = y - _LINE_HEIGHT * 0.3
        if kind == "value":
            name, rest = text.split("\t")
            _text(canvas, name, (8, baseline), colour)
            _text(canvas, rest, (8 + name_width + 8, baseline), colour)
        elif kind in ("swatch", "dot"):
            middle = baseline - _LINE_HEIGHT * 0.25
            if kind == "swatch":
                _line(canvas, (8, middle), (30, middle), colour, 2)
            else:
                _dot(canvas, (19, middle), colour)
            _text(canvas, text, (38, baseline), COLOURS["panel_text"])
        elif kind != "space":
            _text(canvas, text, (8, baseline), colour)
    return canvas


# --- drawing -----------------------------------------------------------------------


def _clip(
    start: tuple[float, float], end: tuple[float, float], width: int, height: int
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the segment inside the canvas (and a margin), or None (Liang-Barsky).

    A landmark far off the film (a typo, a wild value) draws only what can be seen, so
    the cost of a line never grows with its length.
    """
    margin = 16.0
    t0, t1 = 0.0, 1.0
    dx, dy = end[0] - start[0], end[1] - start[1]
    for p, q in (
        (-dx, start[0] + margin),
        (dx, width + margin - start[0]),
        (-dy, start[1] + margin),
        (dy, height + margin - start[1]),
    ):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return (start[0] + t0 * dx, start[1] + t0 * dy), (start[0] + t1 * dx, start[1] + t1 * dy)


def _fixed(point: tuple[float, float]) -> tuple[int, int]:
    """Overlay coordinates (corner convention) to OpenCV fixed point (centre convention)."""
    return (round((point[0] - 0.5) * _ONE), round((point[1] - 0.5) * _ONE))


def _line(
    canvas: NDArray[np.uint8],
    start: tuple[float, float],
    end: tuple[float, float],
    colour: RGB,
    thickness: int,
    *,
    dashed: bool = False,
) -> None:
    inside = _clip(start, end, canvas.shape[1], canvas.shape[0])
    if inside is None:
        return
    start, end = inside
    segments = [(start, end)]
    if dashed:
        length = math.dist(start, end)
        dash, period = 10.0, 16.0
        count = max(1, int(length // period) + 1)
        dx, dy = (end[0] - start[0]) / max(length, 1e-9), (end[1] - start[1]) / max(length, 1e-9)
        segments = []
        for i in range(count):
            on = i * period
            off = min(on + dash, length)
            if off > on:
                segments.append(
                    (
                        (start[0] + dx * on, start[1] + dy * on),
                        (start[0] + dx * off, start[1] + dy * off),
                    )
                )
    for a, b in segments:
        cv2.line(
            canvas,
            _fixed(a),
            _fixed(b),
            COLOURS["outline"],
            thickness + 2,
            cv2.LINE_AA,
            _SHIFT,
        )
    for a, b in segments:
        cv2.line(canvas, _fixed(a), _fixed(b), colour, thickness, cv2.LINE_AA, _SHIFT)


def _text(canvas: NDArray[np.uint8], text: str, origin: Point, colour: RGB) -> None:
    """Draw `text` opaque, its baseline-left at `origin` rounded to whole pixels."""
    at = (round(origin[0]), round(origin[1]))
    cv2.putText(canvas, text, at, _FONT, _FONT_SCALE, colour, 1, cv2.LINE_AA)


def _dot(canvas: NDArray[np.uint8], point: Point, colour: RGB) -> None:
    """A landmark's dot: `colour` ringed in black."""
    for radius, ring in ((_RADIUS * _ONE + _ONE, COLOURS["outline"]), (_RADIUS * _ONE, colour)):
        cv2.circle(canvas, _fixed(point), radius, ring, -1, cv2.LINE_AA, _SHIFT)


def _draw_axes(image: NDArray[np.uint8], panel: Panel, legs: Sequence[_Set]) -> None:
    """Each set's axes on `image`, the panel's pixels (`panel` placed at its origin)."""
    for s in legs:
        view_landmarks = set(_VIEW_LANDMARKS.get(s.view, ()))
        for name, axis in sorted(AXES.items(), key=lambda item: item[0] != "mA"):  # mA under
            if not set(axis.landmarks) <= view_landmarks:
                continue
            if axis.start in s.points and axis.end in s.points:
                kind = AXIS_STYLES.get(name, "mechanical")
                _line(
                    image,
                    panel.to_canvas(s.points[axis.start]),
                    panel.to_canvas(s.points[axis.end]),
                    COLOURS[kind],
                    _AXIS_THICKNESS - 1 if name == "mA" else _AXIS_THICKNESS,
                    dashed=name == "mA",
                )


def _panel_image(
    pixels: NDArray[Any], reduced: NDArray[Any], layout: OverlayLayout, index: int,
    limits: tuple[float, float],
) -> NDArray[np.uint8]:  # fmt: skip
    """Panel `index` of `layout` as an RGB array: its pixels, windowed, with the axes."""
    panel = layout.panels[index]
    width, height = panel.box[2], panel.box[3]
    if index == 0:
        values = reduced
    else:
        values = _crop(pixels, panel.source, width // (panel.source[2] - panel.source[0]))
    image = np.ascontiguousarray(np.repeat(_grey(values, limits)[..., None], 3, axis=2))
    local = Panel(panel.name, panel.caption, panel.source, (0, 0, width, height))
    _draw_axes(image, local, layout.legs)
    if index == 0:  # frame where each knee crop comes from
        for crop in layout.panels[1:]:
            a = local.to_canvas((crop.source[0], crop.source[1]))
            b = local.to_canvas((crop.source[2], crop.source[3]))
            for start, end in (
                (a, (b[0], a[1])),
                ((b[0], a[1]), b),
                (b, (a[0], b[1])),
                ((a[0], b[1]), a),
            ):
                _line(image, start, end, COLOURS["leader"], 1)
    return image


def draw_overlay(
    pixels: ArrayLike, layout: OverlayLayout, *, window: tuple[float, float] | None = None
) -> NDArray[np.uint8]:
    """Draw `layout` (:func:`overlay_layout`) over the film's `pixels`.

    Parameters
    ----------
    pixels : array_like, shape (rows, columns)
        The radiograph, bone bright, any numeric dtype; its shape must be the layout's
        :attr:`OverlayLayout.film_shape`.
    layout : OverlayLayout
    window : (float, float), optional
        Display window ``(center, width)`` in pixel values; default the 0.5th to 99.5th
        percentile of the film. The knee crops share the film's window.

    Returns
    -------
    numpy.ndarray of uint8, shape (layout.height, layout.width, 3)
        RGB.

    Raises
    ------
    TypeError
        `pixels` is not numeric.
    ValueError
        `pixels` is not 2-D, is empty or is not of the layout's shape, or `window` is
        not a positive width.
    """
    array = _check_pixels(pixels)
    if array.shape != layout.film_shape:
        raise ValueError(
            f"pixels of shape {array.shape} do not match the layout's film {layout.film_shape}"
        )
    film = layout.panels[0]
    reduced = _resize(array, (film.box[2], film.box[3]))
    limits = _limits(reduced, window)
    canvas = np.empty((layout.height, layout.width, 3), np.uint8)
    canvas[:] = COLOURS["panel"]
    for index, panel in enumerate(layout.panels):
        left, top, width, height = panel.box
        canvas[top : top + height, left : left + width] = _panel_image(
            array, reduced, layout, index, limits
        )
        _text(canvas, panel.caption, (left, top - 6), COLOURS["panel_text"])
    for label in layout.labels:
        colour = COLOURS["landmark"] if label.kind == "landmark" else COLOURS["leader"]
        colour = COLOURS["warning"] if any(label.warn) else colour
        _line(canvas, *label.leader, colour, 1)
    for panel in layout.panels:
        for s in layout.legs:
            for point in s.named.values():
                if panel.shows(point):
                    _dot(canvas, panel.to_canvas(point), COLOURS["landmark"])
    for label in layout.labels:
        for i, line in enumerate(label.lines):
            warn = label.warn[i]
            colour = COLOURS["landmark"] if label.kind == "landmark" else COLOURS["text"]
            baseline = label.box[1] + _LINE_HEIGHT * (i + 1) - _LINE_HEIGHT * 0.3
            _text(canvas, line, (label.box[0], baseline), COLOURS["warning"] if warn else colour)
    if layout.legend is not None:
        left, top, width, height = layout.legend
        key = _draw_key(_key_lines(layout.title, layout.legs, layout.notes), height)
        canvas[top : top + height, left : left + width] = key
    return canvas


# --- public ------------------------------------------------------------------------


def render_overlay(
    pixels: ArrayLike,
    landmarks: pd.DataFrame | None,
    results: pd.DataFrame | None = None,
    *,
    image: str | None = None,
    title: str | None = None,
    spacing_mm: tuple[float, float] | None = None,
    max_size: int | None = None,
    window: tuple[float, float] | None = None,
    legend: bool = True,
    notes: Sequence[str] = (),
) -> NDArray[np.uint8]:
    """Draw one image's landmarks, axes and measured values beside and over its pixels.

    :func:`overlay_layout` then :func:`draw_overlay`; see the module docstring for what
    is drawn where.

    Parameters
    ----------
    pixels : array_like, shape (rows, columns)
        The radiograph, bone bright, any numeric dtype and bit depth (for example
        :attr:`alignment.io.Radiograph.pixels`).
    landmarks, results, image, title, spacing_mm, max_size, legend, notes
        As for :func:`overlay_layout`.
    window : (float, float), optional
        As for :func:`draw_overlay`.

    Returns
    -------
    numpy.ndarray of uint8, shape (height, width, 3)
        RGB. Without `legend`, the film's panel alone: ``round(rows * s), round(columns
        * s)`` with ``s`` 1600 / rows for a long-leg film, 1100 / rows for a knee film,
        at most ``max_size / max(rows, columns)``.

    Raises
    ------
    TypeError
        `pixels` is not numeric, a table is not a DataFrame, `max_size` not an integer.
    ValueError
        As for :func:`overlay_layout` and :func:`draw_overlay`.

    See Also
    --------
    write_overlay : the same, written as a PNG.

    Examples
    --------
    >>> import numpy as np
    >>> from alignment import LandmarkSet, landmark_table
    >>> leg = LandmarkSet("a.png", "left", "LAT", {
    ...     "tibial_plateau_anterior": (80.0, 60.5), "tibial_plateau_posterior": (20.0, 60.5),
    ... })
    >>> rgb = render_overlay(np.zeros((100, 100)), landmark_table([leg]), max_size=100,
    ...                      legend=False)
    >>> rgb.shape
    (100, 100, 3)
    >>> tuple(rgb[60, 50]) == COLOURS["joint_line"]  # the tray line through row 60, in yellow
    True
    """
    array = _check_pixels(pixels)
    layout = overlay_layout(
        array.shape,
        landmarks,
        results,
        image=image,
        title=title,
        spacing_mm=spacing_mm,
        max_size=max_size,
        legend=legend,
        notes=notes,
    )
    return draw_overlay(array, layout, window=window)


def encode_png(rgb: ArrayLike, *, compression: int = 3) -> bytes:
    """Encode an RGB (or grey) uint8 array as PNG bytes with no text or time chunks.

    The file holds only ``IHDR``, ``IDAT`` and ``IEND`` chunks: no ``tEXt``,
    ``iTXt``, ``zTXt``, ``tIME`` or ``eXIf``, so nothing about the patient, the
    software or the time can ride along.

    Parameters
    ----------
    rgb : array_like of uint8, shape (h, w, 3) or (h, w)
    compression : int, default 3
        zlib level 0-9.

    Returns
    -------
    bytes

    Raises
    ------
    TypeError
        `rgb` is not uint8.
    ValueError
        `rgb` is not (h, w) or (h, w, 3), or `compression` is outside 0-9.

    Examples
    --------
    >>> data = encode_png(np.zeros((2, 3, 3), np.uint8))
    >>> data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", data[12:16]
    (True, b'IHDR')
    """
    array = np.asarray(rgb)
    if array.dtype != np.uint8:
        raise TypeError(f"an overlay must be uint8, got dtype {array.dtype}")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        raise ValueError(f"an overlay must be (h, w) or (h, w, 3), got shape {array.shape}")
    if not 0 <= compression <= 9:
        raise ValueError(f"compression must be 0-9, got {compression}")
    bgr = array[..., ::-1] if array.ndim == 3 else array
    ok, data = cv2.imencode(
        ".png", np.ascontiguousarray(bgr), [cv2.IMWRITE_PNG_COMPRESSION, int(compression)]
    )
    if not ok:  # pragma: no cover - OpenCV encodes every uint8 array
        raise ValueError("OpenCV could not encode the overlay as PNG")
    return data.tobytes()


def write_overlay(
    path: str | os.PathLike[str],
    pixels: ArrayLike,
    landmarks: pd.DataFrame | None,
    results: pd.DataFrame | None = None,
    *,
    image: str | None = None,
    title: str | None = None,
    spacing_mm: tuple[float, float] | None = None,
    max_size: int | None = None,
    window: tuple[float, float] | None = None,
    legend: bool = True,
    notes: Sequence[str] = (),
    compression: int = 3,
) -> Path:
    """Render an overlay (:func:`render_overlay`) and write it as a PNG, atomically.

    Parameters
    ----------
    path : path-like
        The PNG to write; its folder must exist. Written to a temporary file beside it
        and renamed, so a crash never leaves half a PNG under this name.
    pixels, landmarks, results, image, title, spacing_mm, max_size, window, legend, notes
        As for :func:`render_overlay`.
    compression : int, default 3
        zlib level 0-9 of the PNG.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`render_overlay`.
    OSError
        The file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> write_overlay(out, np.zeros((50, 40), np.uint16), None, image="a.dcm").stat().st_size > 0
    True
    """
    rgb = render_overlay(
        pixels,
        landmarks,
        results,
        image=image,
        title=title,
        spacing_mm=spacing_mm,
        max_size=max_size,
        window=window,
        legend=legend,
        notes=notes,
    )
    data = encode_png(rgb, compression=compression)
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return path
