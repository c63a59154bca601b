"""Overlays: the radiograph, downscaled, with its landmarks, axes and measured angles.

:func:`render_overlay` draws one image's landmark sets and results onto a windowed,
downscaled copy of its pixels and returns an RGB array; :func:`write_overlay` writes
that array as a PNG with no text metadata. Drawing is OpenCV (headless), so no display
and no matplotlib are needed, and a 3000 x 9000 16-bit film renders in well under a
tenth of a second: the pixels are decimated and area-averaged *before* anything else.

What is drawn (colours in :data:`COLOURS`, Okabe-Ito, safe for colour-blind readers):

- the mechanical axes ``dF``, ``dT``, the anatomical axes ``aF``, ``aT``, the joint
  lines ``jF``, ``jT`` (LAT: the component lines ``cF``, ``cT``) and the hip-ankle line
  ``mA`` (dashed), each from the landmark pair that :data:`alignment.measures.registry.AXES`
  names, wherever both landmarks are present;
- every landmark as a dot;
- each measure's value next to where it is measured (:data:`ANCHORS`: HKA, FTA, JLCA,
  MAD at the knee; mLDFA, aLDFA, FFC at the distal femur; MPTA, FTC at the proximal
  tibia; LFC, LTC at the component lines ...), in blocks set on the outer side of each
  leg and pushed apart vertically so that they never overlap;
- a panel on the right: the image key, side and view, every measure with its value and
  deviation, and the legend.

A flagged item (status ``missing``, ``outlier`` true, or any ``flags``) is drawn in
:data:`COLOURS` ``["warning"]`` and marked ``!``, so that it does not rely on colour
alone. Nothing identifying is drawn: the only text is the image key the caller gives
(a relative path in a batch) or the title it gives instead (a pseudonym), the side,
the view, the reader and the values.

Coordinates follow the measurement spec: ``(x, y)`` in pixels of the full image,
``(0, 0)`` the top-left corner of the top-left pixel. A point maps to the overlay by
the scale factor of each axis; OpenCV draws integer coordinates at pixel *centres*, so
half a pixel is taken off before drawing (with 4 fractional bits of sub-pixel precision).

Examples
--------
>>> import numpy as np
>>> from alignment import LandmarkSet, landmark_table, measure_landmarks
>>> leg = LandmarkSet("knee.png", "right", "AP", {
...     "femoral_head_center": (60.0, 20.0), "femoral_knee_center": (64.0, 200.0),
...     "tibial_knee_center": (64.0, 206.0), "ankle_center": (62.0, 380.0),
... }, spacing_mm=(1.0, 1.0))
>>> landmarks = landmark_table([leg])
>>> pixels = np.random.default_rng(0).integers(0, 4096, (400, 150), dtype=np.uint16)
>>> rgb = render_overlay(pixels, landmarks, measure_landmarks(landmarks), max_size=200)
>>> rgb.dtype, rgb.shape[2], rgb.shape[0] >= 200
(dtype('uint8'), 3, True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

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

__all__ = ["ANCHORS", "AXIS_STYLES", "COLOURS", "encode_png", "render_overlay", "write_overlay"]

RGB = tuple[int, int, int]

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

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SHIFT = 4  # fractional bits of OpenCV's sub-pixel drawing
_ONE = 1 << _SHIFT
_FAR = float(2**24)  # overlay pixels: farther points are clamped here
_NUMERIC_KINDS = "biuf"
_NATIVE_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)
_PERCENTILES = (0.5, 99.5)
_VIEW_LANDMARKS: Mapping[str, tuple[str, ...]] = {str(k): v for k, v in LANDMARKS.items()}
_TABLE_COLUMNS = ("image", "side", "view", "landmark", "x", "y")


@dataclass
class _Entry:
    text: str
    warn: bool


@dataclass
class _Block:
    anchor: tuple[float, float]
    entries: list[_Entry]
    column: str  # "left" or "right" of the leg
    outer_x: float
    width: int = 0
    height: int = 0
    top: float = 0.0
    left: float = 0.0


@dataclass(frozen=True)
class _Row:
    """One results row, as drawn."""

    measure: str
    value: str  # formatted
    deviation: float
    warn: bool

    def entry(self) -> _Entry:
        suffix = " !" if self.warn else ""
        return _Entry(f"{display_name(self.measure)} {self.value}{suffix}", self.warn)


@dataclass
class _Set:
    side: str
    view: str
    reader: str
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list)


@dataclass(frozen=True)
class _Style:
    font_scale: float
    line_height: int
    thickness: int
    radius: int
    gap: int


# --- pixels ------------------------------------------------------------------------


def _check_pixels(pixels: ArrayLike) -> NDArray[Any]:
    array = np.asarray(pixels)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"pixels must be a numeric array, got dtype {array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"pixels must be a non-empty 2-D array, got shape {array.shape}")
    return array


def _downscale(pixels: NDArray[Any], size: tuple[int, int]) -> NDArray[Any]:
    """Area-average `pixels` to ``size = (width, height)``, decimating first when large.

    Decimation by an integer stride keeps at least twice the output resolution, so the
    area average that follows still suppresses aliasing; it makes a 27-megapixel film
    about ten times faster to reduce.
    """
    height, width = pixels.shape
    out_w, out_h = size
    step = int(min(width / out_w, height / out_h) // 2)
    array = pixels[::step, ::step] if step >= 2 else pixels
    if array.dtype == np.bool_ or array.dtype.type not in _NATIVE_DTYPES:
        array = array.astype(np.float32)
    array = np.ascontiguousarray(array)
    if array.shape == (out_h, out_w):
        return array
    return cv2.resize(array, (out_w, out_h), interpolation=cv2.INTER_AREA)


def _window(values: NDArray[Any], window: tuple[float, float] | None) -> NDArray[np.uint8]:
    """Map `values` to 0-255: by ``(center, width)``, else by the 0.5-99.5 percentiles."""
    data = values.astype(np.float32, copy=False)
    finite = np.isfinite(data)
    if window is not None:
        center, width = (float(v) for v in window)
        if not (math.isfinite(center) and math.isfinite(width) and width > 0):
            raise ValueError(f"window must be (center, width) with width > 0, got {window!r}")
        low, high = center - width / 2, center + width / 2
    elif finite.any():
        low, high = (float(v) for v in np.percentile(data[finite], _PERCENTILES))
    else:
        low, high = 0.0, 1.0
    if not high > low:
        high = low + 1.0
    scaled = (np.where(finite, data, low) - low) * np.float32(255.0 / (high - low))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


# --- tables ------------------------------------------------------------------------


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


def _sets(landmarks: pd.DataFrame, results: pd.DataFrame, sx: float, sy: float) -> list[_Set]:
    """The landmark sets of one image, points in overlay coordinates, with their results."""
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
            # Clamped far off the canvas: what is drawn does not change, and no sum overflows.
            entry.points[name] = (_bounded(x * sx), _bounded(y * sy))
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


def _bgr(colour: RGB) -> tuple[int, int, int]:
    return (colour[2], colour[1], colour[0])


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
            _bgr(COLOURS["outline"]),
            thickness + 2,
            cv2.LINE_AA,
            _SHIFT,
        )
    for a, b in segments:
        cv2.line(canvas, _fixed(a), _fixed(b), _bgr(colour), thickness, cv2.LINE_AA, _SHIFT)


def _text(
    canvas: NDArray[np.uint8],
    text: str,
    origin: tuple[float, float],
    colour: RGB,
    style: _Style,
    *,
    outline: bool = True,
) -> None:
    """Draw `text` with its baseline-left at `origin` (pixel indices), outlined in black."""
    at = (round(origin[0]), round(origin[1]))
    if outline:
        cv2.putText(
            canvas,
            text,
            at,
            _FONT,
            style.font_scale,
            _bgr(COLOURS["outline"]),
            style.thickness + 2,
            cv2.LINE_AA,
        )
    cv2.putText(
        canvas, text, at, _FONT, style.font_scale, _bgr(colour), style.thickness, cv2.LINE_AA
    )


def _text_width(text: str, style: _Style) -> int:
    (width, _), _ = cv2.getTextSize(text, _FONT, style.font_scale, style.thickness)
    return int(width)


def _ascii(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only: anything else becomes ``?``."""
    return text.encode("ascii", "replace").decode("ascii")


def _shorten(text: str, width: int, style: _Style) -> str:
    """`text`, cut in the middle with ``...`` until it fits `width` pixels."""
    if _text_width(text, style) <= width:
        return text
    keep = len(text)
    while keep > 4:
        keep -= 1
        cut = f"{text[: keep // 2]}...{text[len(text) - (keep - keep // 2) :]}"
        if _text_width(cut, style) <= width:
            return cut
    return text[:4]


def _style(out_w: int, out_h: int) -> _Style:
    base = max(out_w, out_h)
    font_scale = float(np.clip(base / 2600.0, 0.33, 0.8))
    (_, height), baseline = cv2.getTextSize("Hg", _FONT, font_scale, 1)
    return _Style(
        font_scale=font_scale,
        line_height=int(height + baseline + 3),
        thickness=1,
        radius=3 if base >= 500 else 2,
        gap=max(6, base // 100),
    )


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


def _blocks(sets: list[_Set], out_w: int, out_h: int, style: _Style) -> list[_Block]:
    readers = {s.reader for s in sets}
    blocks: list[_Block] = []
    for s in sets:
        if not s.points:
            continue
        xs = [p[0] for p in s.points.values()]
        column = "left" if float(np.mean(xs)) < out_w / 2 else "right"
        by_place: dict[tuple[float, float], list[_Entry]] = {}
        for row in s.rows:
            if row.measure in MEASURES and MEASURES[row.measure].depends_on:
                continue  # derived from other measures (aHKA, JLO, CPAK ...): panel only
            anchor = _place(s.points, row.measure)
            if anchor is not None:
                by_place.setdefault(anchor, []).append(row.entry())
        for anchor, entries in by_place.items():
            if len(readers) > 1:
                entries = [_Entry(_ascii(s.reader or "(no reader)"), False), *entries]
            near = [p[0] for p in s.points.values() if abs(p[1] - anchor[1]) <= 0.12 * out_h]
            near.append(anchor[0])
            outer = min(near) if column == "left" else max(near)
            block = _Block(anchor, entries, column, outer)
            block.width = max(_text_width(e.text, style) for e in entries)
            block.height = style.line_height * len(entries)
            blocks.append(block)
    for column in ("left", "right"):
        _stack([b for b in blocks if b.column == column], out_h, style)
    for b in blocks:
        if b.column == "left":
            b.left = b.outer_x - style.gap - b.width
        else:
            b.left = b.outer_x + style.gap
        b.left = max(2.0, min(b.left, out_w - 2.0 - b.width))
    return blocks


def _stack(blocks: list[_Block], out_h: int, style: _Style) -> None:
    """Set each block's top near its anchor so that no two blocks of a column overlap."""
    pad = style.line_height // 3
    blocks.sort(key=lambda b: b.anchor[1])
    bottom = -math.inf
    for b in blocks:
        b.top = max(b.anchor[1] - b.height / 2, bottom + pad)
        bottom = b.top + b.height
    limit = out_h - 2.0
    for b in reversed(blocks):
        b.top = min(b.top, limit - b.height)
        limit = b.top - pad
    for b in blocks:
        b.top = max(b.top, 2.0)


def _draw_blocks(canvas: NDArray[np.uint8], blocks: list[_Block], style: _Style) -> None:
    for b in blocks:
        middle = b.top + b.height / 2
        edge = b.left + b.width + 2 if b.column == "left" else b.left - 2
        leader = _clip((edge, middle), b.anchor, canvas.shape[1], canvas.shape[0])
        if leader is not None and math.dist((edge, middle), b.anchor) > style.gap:
            cv2.line(
                canvas,
                _fixed(leader[0]),
                _fixed(leader[1]),
                _bgr(COLOURS["leader"]),
                1,
                cv2.LINE_AA,
                _SHIFT,
            )
    for b in blocks:
        for i, entry in enumerate(b.entries):
            baseline = b.top + style.line_height * (i + 1) - style.line_height * 0.3
            colour = COLOURS["warning"] if entry.warn else COLOURS["text"]
            _text(canvas, entry.text, (b.left, baseline), colour, style)


def _draw_sets(canvas: NDArray[np.uint8], sets: list[_Set], style: _Style) -> None:
    thickness = 3 if max(canvas.shape[:2]) >= 1500 else 2
    for s in sets:
        view_landmarks = set(_VIEW_LANDMARKS.get(s.view, ()))
        for name, axis in sorted(AXES.items(), key=lambda item: item[0] != "mA"):  # mA under
            if not set(axis.landmarks) <= view_landmarks:
                continue
            if axis.start in s.points and axis.end in s.points:
                kind = AXIS_STYLES.get(name, "mechanical")
                _line(
                    canvas,
                    s.points[axis.start],
                    s.points[axis.end],
                    COLOURS[kind],
                    thickness - 1 if name == "mA" else thickness,
                    dashed=name == "mA",
                )
    for s in sets:
        for point in s.points.values():
            cv2.circle(
                canvas,
                _fixed(point),
                style.radius * _ONE + _ONE,
                _bgr(COLOURS["outline"]),
                -1,
                cv2.LINE_AA,
                _SHIFT,
            )
            cv2.circle(
                canvas,
                _fixed(point),
                style.radius * _ONE,
                _bgr(COLOURS["landmark"]),
                -1,
                cv2.LINE_AA,
                _SHIFT,
            )


# --- the panel ---------------------------------------------------------------------


def _panel(image: str, sets: list[_Set], height: int, style: _Style) -> NDArray[np.uint8]:
    """The side panel: image key, each set's values, the legend."""
    lines: list[tuple[str, RGB, str]] = []  # (text, colour, kind)
    width = max(200, _text_width("mLDFA 180.0  +00.0 !", style) * 2)
    lines.append((_shorten(_ascii(image), width - 16, style), COLOURS["panel_text"], "title"))
    for s in sets:
        header = f"{s.side} {s.view}" + (f" - {s.reader}" if s.reader else "")
        lines.append(("", COLOURS["panel_text"], "space"))
        lines.append((_shorten(_ascii(header), width - 16, style), COLOURS["panel_text"], "head"))
        for row in s.rows:
            rounded = round(row.deviation, 1) + 0.0  # no "-0.0"
            dev = f"  ({rounded:+.1f})" if math.isfinite(rounded) else ""
            text = f"{display_name(row.measure)}\t{row.value}{dev}{' !' if row.warn else ''}"
            colour = COLOURS["warning"] if row.warn else COLOURS["panel_text"]
            lines.append((text, colour, "value"))
    lines.append(("", COLOURS["panel_text"], "space"))
    views = {s.view for s in sets} or {"AP"}
    legend = [("mechanical axes dF dT", "mechanical")] if "AP" in views else []
    legend.append(("anatomical axes aF aT", "anatomical"))
    if "AP" in views:
        legend += [("joint lines jF jT", "joint_line"), ("hip-ankle line", "hip_ankle")]
    if "LAT" in views:
        legend.append(("component lines cF cT", "joint_line"))
    lines += [(text, COLOURS[key], "swatch") for text, key in legend]
    lines.append(("landmark", COLOURS["landmark"], "dot"))
    lines.append(("! flagged: missing, outlier", COLOURS["warning"], "plain"))
    lines.append(("  or with a caveat flag", COLOURS["warning"], "plain"))
    lines.append(("angles in degrees", COLOURS["panel_text"], "plain"))
    needed = style.line_height * (len(lines) + 1) + 8
    panel = np.empty((max(height, needed), width, 3), np.uint8)
    panel[:] = COLOURS["panel"]
    canvas = panel[..., ::-1]  # draw in BGR order on the RGB buffer
    canvas = np.ascontiguousarray(canvas)
    name_width = max(
        [_text_width(t.split("\t")[0], style) for t, _, k in lines if k == "value"] or [0]
    )
    y = 6.0
    for text, colour, kind in lines:
        y += style.line_height
        baseline = y - style.line_height * 0.3
        if kind == "value":
            name, rest = text.split("\t")
            _text(canvas, name, (8, baseline), colour, style, outline=False)
            _text(canvas, rest, (8 + name_width + 8, baseline), colour, style, outline=False)
        elif kind in ("swatch", "dot"):
            middle = baseline - style.line_height * 0.3
            if kind == "swatch":
                _line(canvas, (8, middle), (30, middle), colour, 2, dashed=False)
            else:
                cv2.circle(
                    canvas,
                    _fixed((19, middle)),
                    style.radius * _ONE,
                    _bgr(colour),
                    -1,
                    cv2.LINE_AA,
                    _SHIFT,
                )
            _text(canvas, text, (38, baseline), COLOURS["panel_text"], style, outline=False)
        elif kind != "space":
            _text(canvas, text, (8, baseline), colour, style, outline=False)
    return np.ascontiguousarray(canvas[..., ::-1])


# --- public ------------------------------------------------------------------------


def render_overlay(
    pixels: ArrayLike,
    landmarks: pd.DataFrame | None,
    results: pd.DataFrame | None = None,
    *,
    image: str | None = None,
    title: str | None = None,
    max_size: int = 1024,
    window: tuple[float, float] | None = None,
    legend: bool = True,
) -> NDArray[np.uint8]:
    """Draw one image's landmarks, axes and measured values on its downscaled pixels.

    Parameters
    ----------
    pixels : array_like, shape (rows, columns)
        The radiograph, bone bright, any numeric dtype and bit depth (for example
        :attr:`alignment.io.Radiograph.pixels`).
    landmarks : pandas.DataFrame or None
        Landmark table (columns ``image, side, view, landmark, x, y``; ``reader``
        optional), coordinates in pixels of `pixels` in the spec's convention. Only
        the rows of `image` are drawn. None draws no landmark.
    results : pandas.DataFrame, optional
        The long results table (``image, side, view, measure, value, unit`` and,
        where present, ``reader, label, deviation, status, outlier, flags``). Only
        the rows of `image` are used.
    image : str, optional
        The image key to draw. Default: the one image the tables hold.
    title : str, optional
        What the panel calls the image (default: its key), for example a pseudonym
        when the key is a file name that must not be shown.
    max_size : int, default 1024
        Longest side of the downscaled radiograph, in pixels (never upscaled).
    window : (float, float), optional
        Display window ``(center, width)`` in pixel values; default the 0.5th to
        99.5th percentile of the pixels.
    legend : bool, default True
        Append the side panel (image key, every value, the legend) on the right.

    Returns
    -------
    numpy.ndarray of uint8, shape (height, width, 3)
        RGB. Without `legend`, ``(h, w)`` is the downscaled radiograph's size:
        ``round(rows * s), round(columns * s)`` with ``s = min(1, max_size / max(rows,
        columns))``. With it, the panel is appended on the right and the height grows
        if the panel needs more room (the radiograph stays top-left).

    Raises
    ------
    TypeError
        `pixels` is not numeric, or a table is not a DataFrame.
    ValueError
        `pixels` is not 2-D or empty, a table lacks a column, `max_size` is below 16,
        `window` is not a positive width, or the tables hold several images and
        `image` is not given.

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
    >>> rgb = render_overlay(np.zeros((100, 100)), landmark_table([leg]), legend=False)
    >>> rgb.shape
    (100, 100, 3)
    >>> tuple(rgb[60, 50]) == COLOURS["joint_line"]  # the tray line through row 60, in yellow
    True
    """
    array = _check_pixels(pixels)
    if not isinstance(max_size, (int, np.integer)) or isinstance(max_size, bool):
        raise TypeError(f"max_size must be an integer, got {type(max_size).__name__}")
    if max_size < 16:
        raise ValueError(f"max_size must be at least 16 pixels, got {max_size}")
    if landmarks is None:
        landmarks = pd.DataFrame({c: pd.Series(dtype=object) for c in _TABLE_COLUMNS})
    if results is None:
        results = pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("image", "side", "view", "measure")}
        )
    _check_table(landmarks, _TABLE_COLUMNS, "landmarks")
    _check_table(results, ("image", "side", "view", "measure"), "results")
    key = _image_key(image, landmarks, results)
    landmarks = landmarks[text_column(landmarks, "image") == key]
    results = results[text_column(results, "image") == key]

    rows, columns = array.shape
    scale = min(1.0, max_size / max(rows, columns))
    out_w, out_h = max(1, round(columns * scale)), max(1, round(rows * scale))
    grey = _window(_downscale(array, (out_w, out_h)), window)
    canvas = np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))  # BGR == grey

    style = _style(out_w, out_h)
    sets = _sets(landmarks, results, out_w / columns, out_h / rows)
    _draw_sets(canvas, sets, style)
    _draw_blocks(canvas, _blocks(sets, out_w, out_h, style), style)
    rgb = canvas[..., ::-1]
    if not legend:
        return np.ascontiguousarray(rgb)
    panel = _panel(key if title is None else str(title), sets, out_h, style)
    out = np.empty((panel.shape[0], out_w + panel.shape[1], 3), np.uint8)
    out[:] = COLOURS["panel"]
    out[:out_h, :out_w] = rgb
    out[:, out_w:] = panel
    return out


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
    max_size: int = 1024,
    window: tuple[float, float] | None = None,
    legend: bool = True,
    compression: int = 3,
) -> Path:
    """Render an overlay (:func:`render_overlay`) and write it as a PNG, atomically.

    Parameters
    ----------
    path : path-like
        The PNG to write; its folder must exist. Written to a temporary file beside it
        and renamed, so a crash never leaves half a PNG under this name.
    pixels, landmarks, results, image, title, max_size, window, legend
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
        max_size=max_size,
        window=window,
        legend=legend,
    )
    data = encode_png(rgb, compression=compression)
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return path
