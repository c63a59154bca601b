"""Signed deviations from target drawn so that varus and valgus can be told apart.

:data:`DEVIATION_SIDES` names what a negative and a positive ``deviation = value -
target`` means for each measure, following the sign conventions of the measurement
spec; :func:`deviation_strip_svg` draws one group's deviations of one measure as a
horizontal strip with those names at its two ends.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

__all__ = ["DEVIATION_SIDES", "deviation_sides", "deviation_strip_svg"]

DEVIATION_SIDES: Mapping[str, tuple[str, str]] = {
    "hka": ("varus", "valgus"),  # < 180 varus, > 180 valgus
    "fta": ("valgus", "varus"),  # larger = more varus
    "mldfa": ("valgus", "varus"),  # mLDFA above normal: femoral varus
    "aldfa": ("valgus", "varus"),
    "mpta": ("varus", "valgus"),  # MPTA below normal: tibial varus
    "jlca": ("open medially", "open laterally"),
    "ffc": ("varus", "valgus"),  # < 90 varus, > 90 valgus component
    "ftc": ("varus", "valgus"),
    "ffc_anatomical": ("varus", "valgus"),  # medial angles, like FFC and FTC
    "ftc_anatomical": ("varus", "valgus"),
    "lfc": ("flexion", "extension"),  # < 90 flexion, > 90 extension
    "ltc": ("more posterior slope", "less posterior slope"),  # < 90 posterior slope
}
"""Per measure, what a (negative, positive) deviation from target means."""

_GENERIC = ("below target", "above target")
_WARNING = "#D55E00"
_POINT = "#0072B2"


def deviation_sides(measure: str) -> tuple[str, str]:
    """What a negative and a positive deviation of `measure` mean.

    Examples
    --------
    >>> deviation_sides("hka"), deviation_sides("ama")
    (('varus', 'valgus'), ('below target', 'above target'))
    """
    return DEVIATION_SIDES.get(measure, _GENERIC)


def deviation_strip_svg(
    deviations: Sequence[float],
    tips: Sequence[str],
    *,
    limit: float,
    tolerance: float | None,
    sides: tuple[str, str],
    label: str = "",
    width: int = 420,
    height: int = 64,
) -> str:
    """One group's signed deviations of one measure, as a horizontal strip (inline SVG).

    Parameters
    ----------
    deviations : sequence of float
        ``value - target`` per leg, in the measure's unit; non-finite values are skipped.
    tips : sequence of str
        A hover text per deviation.
    limit : float
        The axis runs from ``-limit`` to ``+limit`` (the same for every group of a
        measure, so that its panels compare); must be positive and finite.
    tolerance : float, optional
        Shades ``-tolerance .. +tolerance``; points beyond it are drawn in the warning
        colour.
    sides : (str, str)
        Written at the left (negative) and right (positive) end of the axis.
    label : str
        The accessible name of the plot.
    width, height : int
        Size in CSS pixels (the page scales the drawing to its column).

    Returns
    -------
    str
        ``<svg class="plot deviation" ...>...</svg>``: a zero line, the tolerance band,
        ticks, one jittered circle per deviation and the two side names.

    Raises
    ------
    ValueError
        `limit` is not positive and finite, or `tips` and `deviations` differ in length.

    Examples
    --------
    >>> svg = deviation_strip_svg([-4.0, 1.0], ["a", "b"], limit=6.0, tolerance=3.0,
    ...                           sides=("varus", "valgus"))
    >>> svg.count("<circle"), "varus" in svg, svg.count(_WARNING)
    (2, True, 1)
    """
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be positive and finite, got {limit!r}")
    if len(tips) != len(deviations):
        raise ValueError(f"got {len(deviations)} deviations but {len(tips)} tips")
    left, right, top, axis_y = 8, 8, 6, height - 30
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + plot_w * (value + limit) / (2 * limit)

    e = html.escape
    parts = [
        f'<svg class="plot deviation" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(label)}">'
    ]
    if tolerance is not None and math.isfinite(tolerance) and tolerance > 0:
        t = min(tolerance, limit)
        parts.append(f'<rect class="band" x="{x(-t):.1f}" y="{top}" width="{x(t) - x(-t):.1f}" '
                     f'height="{axis_y - top}"/>')  # fmt: skip
    parts.append(f'<line class="ref" x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top}" y2="{axis_y}"/>')
    parts.append(f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{axis_y}" '
                 f'y2="{axis_y}"/>')  # fmt: skip
    step = _tick_step(limit)
    k = -math.floor(limit / step)
    while k * step <= limit + 1e-9:
        tx = x(k * step)
        parts.append(f'<line class="axis" x1="{tx:.1f}" x2="{tx:.1f}" y1="{axis_y}" '
                     f'y2="{axis_y + 3}"/>')  # fmt: skip
        parts.append(f'<text x="{tx:.1f}" y="{axis_y + 13}" text-anchor="middle">'
                     f"{k * step:+g}</text>".replace("+0<", "0<"))  # fmt: skip
        k += 1
    parts.append(f'<text class="side" x="{left}" y="{height - 3}">&#8592; {e(sides[0])}</text>')
    parts.append(f'<text class="side" x="{left + plot_w}" y="{height - 3}" '
                 f'text-anchor="end">{e(sides[1])} &#8594;</text>')  # fmt: skip
    band = axis_y - top
    for i, (value, tip) in enumerate(zip(deviations, tips, strict=True)):
        value = float(value)
        if not math.isfinite(value):
            continue
        jitter = ((i + 1) * 0.6180339887) % 1.0
        outside = tolerance is not None and abs(value) > tolerance
        clipped = max(-limit, min(limit, value))
        parts.append(
            f'<circle cx="{x(clipped):.1f}" cy="{top + band * (0.15 + 0.7 * jitter):.1f}" '
            f'r="{3.6 if outside else 2.8}" fill="{_WARNING if outside else _POINT}" '
            f'fill-opacity="0.85" stroke="#fff" stroke-width="0.6"><title>{e(tip)}</title>'
            "</circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _tick_step(limit: float) -> float:
    """A round tick step giving two to five ticks on each side of zero."""
    power = 10.0 ** math.floor(math.log10(limit))
    return next(m * power for m in (0.5, 1, 2, 5, 10) if limit / (m * power) <= 5)
