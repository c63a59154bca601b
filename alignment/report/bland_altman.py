"""Bland-Altman plot of two raters: SVG (for pages and papers) or PNG, one drawing.

The plot is laid out once as a list of shapes (lines, dots, text) in CSS pixels, then
written either as SVG text or rasterised with OpenCV (headless, as the overlays are),
so both files show the same thing. No plotting library is needed.

What is drawn: each target as a dot at (mean of the two ratings, rater1 - rater2);
the bias (solid line), the 95% limits of agreement bias -+ 1.96 SD (dashed), zero
(thin grey), and the regression line of the difference on the mean (dotted, the
proportional bias), with a legend giving their values. Only numbers and the two
rater names the caller gives are drawn: nothing identifying.

Examples
--------
>>> svg = bland_altman_svg([180.0, 178.5, 182.0, 176.0], [179.5, 178.0, 181.0, 176.5],
...                        labels=("R1", "auto"), unit="deg", title="HKA")
>>> svg.startswith("<svg"), svg.count("<circle")
(True, 4)
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from alignment.atomic import atomic_path, write_text_atomic
from alignment.options import PLOT_FORMATS
from alignment.report.html import _nice_ticks
from alignment.stats._common import CATEGORICAL_MEASURES
from alignment.stats.agreement import proportional_bias
from alignment.stats.reliability import Z95, paired_ratings

__all__ = [
    "PLOT_FORMATS",
    "bland_altman_png",
    "bland_altman_svg",
    "write_bland_altman_plot",
    "write_bland_altman_plots",
]

_INK, _GREY, _POINT, _LIMIT, _SLOPE = "#222222", "#BBBBBB", "#0072B2", "#D55E00", "#009E73"
"""Colours (Okabe-Ito): text and axes, zero line, dots, bias and limits, regression."""


@dataclass(frozen=True)
class _Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float = 1.0
    dash: tuple[float, float] | None = None


@dataclass(frozen=True)
class _Dot:
    x: float
    y: float
    colour: str
    radius: float = 3.0


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    text: str
    colour: str = _INK
    size: float = 11.0
    anchor: str = "start"  # start, middle or end


def _layout(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    labels: tuple[str, str],
    unit: str,
    title: str,
    width: int,
    height: int,
) -> list[_Line | _Dot | _Text]:
    """The shapes of the plot, in CSS pixels with the origin at the top left."""
    first, second = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(f"a and b must be 1-D of one length, got {first.shape}, {second.shape}")
    keep = np.isfinite(first) & np.isfinite(second)
    mean, diff = (first[keep] + second[keep]) / 2.0, first[keep] - second[keep]
    unit_text = f" ({unit})" if unit else ""
    shapes: list[_Line | _Dot | _Text] = [_Text(8, 16, title, size=13)]
    shapes.append(_Text(8, 32, f"{labels[0]} - {labels[1]}{unit_text}"))
    left, right, top, bottom = 52, 12, 40, 74
    plot_w, plot_h = width - left - right, height - top - bottom
    if diff.size < 2:
        shapes.append(_Text(left, top + plot_h / 2, "fewer than 2 targets rated by both"))
        return shapes
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    limits = (bias - Z95 * sd, bias + Z95 * sd)
    ys = [*diff.tolist(), 0.0, *limits]
    x_low, x_high = float(mean.min()), float(mean.max())
    y_low, y_high = min(ys), max(ys)
    if x_high - x_low < 1e-9:
        x_low, x_high = x_low - 1.0, x_high + 1.0
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 1.0, y_high + 1.0
    x_pad, y_pad = (x_high - x_low) * 0.05, (y_high - y_low) * 0.08
    x_low, x_high, y_low, y_high = x_low - x_pad, x_high + x_pad, y_low - y_pad, y_high + y_pad

    def px(v: float) -> float:
        return left + plot_w * (v - x_low) / (x_high - x_low)

    def py(v: float) -> float:
        return top + plot_h * (y_high - v) / (y_high - y_low)

    x0, x1, y0, y1 = left, left + plot_w, top, top + plot_h
    shapes += [_Line(x0, y1, x1, y1, _INK), _Line(x0, y0, x0, y1, _INK)]
    for tick in _nice_ticks(x_low, x_high):
        shapes += [_Line(px(tick), y1, px(tick), y1 + 4, _INK)]
        shapes += [_Text(px(tick), y1 + 15, f"{tick:g}", size=10, anchor="middle")]
    for tick in _nice_ticks(y_low, y_high):
        shapes += [_Line(x0 - 4, py(tick), x0, py(tick), _INK)]
        shapes += [_Text(x0 - 6, py(tick) + 3, f"{tick:g}", size=10, anchor="end")]
    shapes.append(
        _Text(
            left + plot_w / 2,
            y1 + 30,
            f"mean of {labels[0]} and {labels[1]}{unit_text}",
            anchor="middle",
        )  # fmt: skip
    )
    shapes.append(_Line(x0, py(0.0), x1, py(0.0), _GREY))
    shapes += [_Dot(px(m), py(d), _POINT) for m, d in zip(mean, diff, strict=True)]
    shapes.append(_Line(x0, py(bias), x1, py(bias), _LIMIT, 1.5))
    for limit in limits:
        shapes.append(_Line(x0, py(limit), x1, py(limit), _LIMIT, 1.2, (6.0, 4.0)))
    slope = proportional_bias(first[keep], second[keep])
    legend = f"bias {bias:.2f}, 95% limits {limits[0]:.2f} to {limits[1]:.2f} (n = {diff.size})"
    if math.isfinite(slope["slope"]):
        ends = [x_low + x_pad, x_high - x_pad]
        line = [slope["intercept"] + slope["slope"] * x for x in ends]
        shapes.append(
            _Line(px(ends[0]), py(line[0]), px(ends[1]), py(line[1]), _SLOPE, 1.5, (2.0, 3.0))
        )
        p = slope["p_value"]
        p_text = f"P = {p:.3f}" if p >= 0.001 else "P < 0.001"
        legend_slope = f"proportional bias: slope {slope['slope']:.3f} ({p_text})"
        shapes.append(_Text(8, height - 10, legend_slope, colour=_SLOPE))
    shapes.append(_Text(8, height - 26, legend, colour=_LIMIT))
    return shapes


def bland_altman_svg(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    labels: tuple[str, str] = ("rater1", "rater2"),
    unit: str = "",
    title: str = "",
    width: int = 480,
    height: int = 340,
) -> str:
    """The Bland-Altman plot of paired ratings `a` and `b` as an SVG element.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Ratings of the same targets by rater1 and rater2 (pairs with a NaN are
        left out). The difference is a - b.
    labels : (str, str)
        The raters' names, drawn in the axis labels.
    unit : str
        Unit of the ratings (``deg``, ``mm``), drawn in the axis labels.
    title : str
        Drawn above the plot.
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
        ``<svg xmlns=...>...</svg>``: valid on its own as a file and inline in HTML.

    Raises
    ------
    ValueError
        `a` and `b` are not 1-D arrays of one length.
    """
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}" '
        'font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]
    for shape in _layout(a, b, labels, unit, title, width, height):
        if isinstance(shape, _Line):
            dash = f' stroke-dasharray="{shape.dash[0]:g} {shape.dash[1]:g}"' if shape.dash else ""
            parts.append(
                f'<line x1="{shape.x1:.1f}" y1="{shape.y1:.1f}" x2="{shape.x2:.1f}" '
                f'y2="{shape.y2:.1f}" stroke="{shape.colour}" '
                f'stroke-width="{shape.width:g}"{dash}/>'
            )
        elif isinstance(shape, _Dot):
            parts.append(
                f'<circle cx="{shape.x:.1f}" cy="{shape.y:.1f}" r="{shape.radius:g}" '
                f'fill="{shape.colour}" fill-opacity="0.7"/>'
            )
        else:
            parts.append(
                f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" '
                f'text-anchor="{shape.anchor}" fill="{shape.colour}">'
                f"{html.escape(shape.text)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _bgr(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value & 255, (value >> 8) & 255, value >> 16


def bland_altman_png(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    labels: tuple[str, str] = ("rater1", "rater2"),
    unit: str = "",
    title: str = "",
    width: int = 480,
    height: int = 340,
    scale: int = 2,
) -> np.ndarray:
    """The same plot as :func:`bland_altman_svg`, rasterised: an RGB uint8 array.

    Parameters
    ----------
    a, b, labels, unit, title, width, height
        As for :func:`bland_altman_svg`.
    scale : int, default 2
        Device pixels per CSS pixel.

    Returns
    -------
    ndarray, shape (height * scale, width * scale, 3), uint8
    """
    canvas = np.full((height * scale, width * scale, 3), 255, dtype=np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX

    def at(x: float, y: float) -> tuple[int, int]:
        return round(x * scale), round(y * scale)

    for shape in _layout(a, b, labels, unit, title, width, height):
        if isinstance(shape, _Line):
            thickness = max(1, round(shape.width * scale))
            if shape.dash is None:
                cv2.line(canvas, at(shape.x1, shape.y1), at(shape.x2, shape.y2),
                         _bgr(shape.colour), thickness, cv2.LINE_AA)  # fmt: skip
                continue
            length = math.hypot(shape.x2 - shape.x1, shape.y2 - shape.y1)
            on, off = shape.dash
            start = 0.0
            while start < length:
                end = min(start + on, length)
                f0, f1 = start / length, end / length
                p0 = (shape.x1 + f0 * (shape.x2 - shape.x1), shape.y1 + f0 * (shape.y2 - shape.y1))
                p1 = (shape.x1 + f1 * (shape.x2 - shape.x1), shape.y1 + f1 * (shape.y2 - shape.y1))
                cv2.line(canvas, at(*p0), at(*p1), _bgr(shape.colour), thickness, cv2.LINE_AA)
                start += on + off
        elif isinstance(shape, _Dot):
            cv2.circle(canvas, at(shape.x, shape.y), round(shape.radius * scale),
                       _bgr(shape.colour), -1, cv2.LINE_AA)  # fmt: skip
        else:
            size = shape.size * scale / 30.0
            text = shape.text.encode("ascii", "replace").decode()
            (text_w, _), _ = cv2.getTextSize(text, font, size, 1)
            x = shape.x * scale - {"start": 0.0, "middle": text_w / 2, "end": text_w}[shape.anchor]
            cv2.putText(canvas, text, (round(x), round(shape.y * scale)), font, size,
                        _bgr(shape.colour), 1, cv2.LINE_AA)  # fmt: skip
    return cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)


def write_bland_altman_plot(
    path: str | os.PathLike[str],
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    **options: Any,
) -> Path:
    """Write the Bland-Altman plot as SVG or PNG (from the suffix), atomically.

    Parameters
    ----------
    path : path-like
        ``.svg`` or ``.png``; its folder must exist.
    a, b : array_like, shape (n,)
        Paired ratings, as for :func:`bland_altman_svg`.
    **options
        ``labels``, ``unit``, ``title``, ``width``, ``height`` (and ``scale`` for
        PNG), as for :func:`bland_altman_svg` and :func:`bland_altman_png`.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    ValueError
        The suffix is neither ``.svg`` nor ``.png``.
    OSError
        The file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ba.svg"
    >>> write_bland_altman_plot(out, [1.0, 2, 3], [1.1, 2.2, 2.9]).read_text()[:4]
    '<svg'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        write_text_atomic(path, bland_altman_svg(a, b, **options) + "\n")
    elif suffix == ".png":
        rgb = bland_altman_png(a, b, **options)
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"{path}: PNG encoding failed")
        with atomic_path(path) as temporary:
            temporary.write_bytes(encoded.tobytes())
    else:
        raise ValueError(f"{path}: plot suffix must be .svg or .png, got {suffix!r}")
    return path


def write_bland_altman_plots(
    results: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    format: str = "svg",
    measures: Sequence[str] | None = None,
    rater: str = "reader",
    session: str | None = None,
    reference: str | None = None,
) -> list[Path]:
    """One Bland-Altman plot per measure, scope and pair of readers of a results table.

    Parameters
    ----------
    results : DataFrame
        The long results table, as for :func:`alignment.stats.reliability`.
    folder : path-like
        Where the plots go (created if absent).
    format : {"svg", "png"}, default "svg"
    measures, rater, session, reference
        As for :func:`alignment.stats.reliability` (categorical measures such as
        ``cpak`` are not plotted).

    Returns
    -------
    list of pathlib.Path
        The files written, named ``bland_altman_<measure>_<scope>_<rater1>_vs_<rater2>``
        with every character other than letters, digits, ``.``, ``_`` and ``-``
        replaced by ``_`` (and a counter where two names would collide).

    Raises
    ------
    ValueError
        Unknown `format`.
    alignment.errors.StatsError
        As :func:`alignment.stats.reliability`.
    """
    if format not in PLOT_FORMATS:
        raise ValueError(f"plot format must be one of {', '.join(PLOT_FORMATS)}, got {format!r}")
    pairs = paired_ratings(
        results, measures=measures, rater=rater, session=session, reference=reference
    )
    pairs = pairs[~pairs["measure"].isin(CATEGORICAL_MEASURES)]
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    keys = ["measure", "unit", "scope", "rater1", "rater2"]
    for (measure, unit, scope, first, second), part in pairs.groupby(keys, sort=False):
        stem = re.sub(
            r"[^A-Za-z0-9._-]+", "_", f"bland_altman_{measure}_{scope}_{first}_vs_{second}"
        )
        path = out_dir / f"{stem}.{format}"
        count = 1
        while path in written:
            count += 1
            path = out_dir / f"{stem}_{count}.{format}"
        title = f"{measure} ({scope})"
        written.append(
            write_bland_altman_plot(
                path,
                part["rating1"].to_numpy(),
                part["rating2"].to_numpy(),
                labels=(str(first), str(second)),
                unit=str(unit),
                title=title,
            )
        )
    return written
