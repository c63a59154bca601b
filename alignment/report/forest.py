"""Forest plot of the group differences: one row per measure, the estimate and its CI.

Drawn as standalone SVG (presentation attributes inline, no CSS, no plotting
library) so that the same text is a file a journal accepts and an element of the
HTML report.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.errors import StatsError
from alignment.report._common import display_name, finite_number
from alignment.report.html import _nice_ticks
from alignment.stats._common import require_columns
from alignment.stats.tables import format_p

__all__ = ["forest_plot_svg", "write_forest_plot"]

_UNITS = {"deg": "°", "mm": " mm"}
_METRICS = {"abs_deviation": "absolute deviation", "deviation": "deviation", "value": "value"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def forest_plot_svg(
    table: pd.DataFrame,
    *,
    adjusted: bool = False,
    title: str = "",
    width: int = 640,
) -> str:
    """The differences of a :func:`~alignment.stats.compare_groups` table as a forest plot.

    Parameters
    ----------
    table : DataFrame
        One row per measure with ``measure``, ``group1``, ``group2``, ``mean_diff``,
        ``ci_low``, ``ci_high`` (``adjusted_diff``, ``adjusted_ci_low``,
        ``adjusted_ci_high`` with `adjusted`); ``unit``, ``p_value`` (or
        ``adjusted_p_value``), ``confidence`` and ``legs_counted`` are used where
        present.
    adjusted : bool, default False
        Plot the ANCOVA-adjusted differences instead of the unadjusted ones.
    title : str, optional
        Default ``"group1 - group2"``.
    width : int, default 640
        Width in pixels; the height follows from the number of rows.

    Returns
    -------
    str
        ``<svg xmlns=...>...</svg>``: per row the measure's name, a square at the
        difference (group1 - group2) with a line over its CI, and at the right the
        difference, CI and P as text; a dashed line at 0 (no difference). A row whose
        difference is not finite shows its name and "n/a". All rows share one axis,
        so the unit (in each row's label) must be read per row.

    Raises
    ------
    StatsError
        A required column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"measure": ["hka", "fta"], "group1": "PSI", "group2": "CI",
    ...     "mean_diff": [-0.8, -0.3], "ci_low": [-1.4, -0.9], "ci_high": [-0.2, 0.3],
    ...     "unit": "deg", "p_value": [0.01, 0.3]})
    >>> svg = forest_plot_svg(table)
    >>> svg.startswith("<svg xmlns"), svg.count('class="estimate"')
    (True, 2)
    """
    estimate, low, high = (
        ("adjusted_diff", "adjusted_ci_low", "adjusted_ci_high")
        if adjusted
        else ("mean_diff", "ci_low", "ci_high")
    )
    require_columns(table, ["measure", "group1", "group2", estimate, low, high], "forest table")
    p_column = "adjusted_p_value" if adjusted else "p_value"
    records = table.to_dict("records")
    group1 = str(records[0]["group1"]) if records else "group 1"
    group2 = str(records[0]["group2"]) if records else "group 2"
    metric = _METRICS.get(str(records[0].get("metric") or ""), "") if records else ""
    title = title or (
        f"{'Adjusted difference' if adjusted else 'Difference'}"
        + (f" in {metric}" if metric else "")
        + f": {group1} - {group2}"
    )
    values = [
        v
        for row in records
        for v in (finite_number(row.get(k)) for k in (estimate, low, high))
        if v is not None
    ]
    lo, hi = (min(values + [0.0]), max(values + [0.0])) if values else (-1.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    label_w, text_w, row_h, top = 150, 190, 24, 40
    plot_w = width - label_w - text_w - 10
    bottom = 56
    height = top + row_h * max(len(records), 1) + bottom

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / (hi - lo)

    family = 'font-family="system-ui, sans-serif"'
    font = f'{family} font-size="12" fill="#1d2329"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="18" {font} font-weight="600">{_e(title)}</text>',
        f'<text x="{width - text_w + 6}" y="{top - 8}" {font}>difference [CI], P</text>',
    ]
    axis_y = top + row_h * max(len(records), 1) + 4
    for tick in _nice_ticks(lo, hi):
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 4}" y2="{axis_y}" '
                     'stroke="#e6e9ed"/>')  # fmt: skip
        parts.append(f'<text x="{tx:.1f}" y="{axis_y + 14}" text-anchor="middle" {font}>'
                     f"{tick:g}</text>")  # fmt: skip
    parts.append(f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{axis_y}" y2="{axis_y}" '
                 'stroke="#8a949e"/>')  # fmt: skip
    parts.append(f'<line class="zero" x1="{x(0.0):.1f}" x2="{x(0.0):.1f}" y1="{top - 4}" '
                 f'y2="{axis_y}" stroke="#444" stroke-dasharray="4 3"/>')  # fmt: skip
    parts.append(f'<text x="{x(0.0) - 6:.1f}" y="{axis_y + 30}" text-anchor="end" {font}>'
                 f"← {_e(group1)} lower</text>")  # fmt: skip
    parts.append(f'<text x="{x(0.0) + 6:.1f}" y="{axis_y + 30}" {font}>{_e(group2)} lower →'
                 "</text>")  # fmt: skip
    for i, row in enumerate(records):
        cy = top + row_h * i + row_h / 2
        unit = _UNITS.get(str(row.get("unit") or ""), "")
        name = display_name(str(row["measure"]))
        label = f"{name} ({unit.strip()})" if unit.strip() else name
        parts.append(f'<text x="10" y="{cy + 4:.1f}" {font}>{_e(label)}</text>')
        value, start, end = (finite_number(row.get(k)) for k in (estimate, low, high))
        if value is None:
            parts.append(f'<text x="{width - text_w + 6}" y="{cy + 4:.1f}" {font}>n/a</text>')
            continue
        tip = f"{label}: {value:.2f}"
        if start is not None and end is not None:
            parts.append(f'<line class="ci" x1="{x(start):.1f}" x2="{x(end):.1f}" y1="{cy:.1f}" '
                         f'y2="{cy:.1f}" stroke="#0072B2" stroke-width="2"/>')  # fmt: skip
            tip += f" [{start:.2f}, {end:.2f}]"
        parts.append(f'<rect class="estimate" x="{x(value) - 5:.1f}" y="{cy - 5:.1f}" width="10" '
                     f'height="10" fill="#0072B2"><title>{_e(tip)}</title></rect>')  # fmt: skip
        p = finite_number(row.get(p_column))
        text = f"{value:.2f}"
        if start is not None and end is not None:
            text += f" [{start:.2f}, {end:.2f}]"
        if p is not None:
            printed = format_p(p)
            text += f", P {printed}" if printed.startswith("<") else f", P = {printed}"
        parts.append(f'<text x="{width - text_w + 6}" y="{cy + 4:.1f}" {font}>{_e(text)}</text>')
    confidence = finite_number(records[0].get("confidence")) if records else None
    caption = f"{round(100 * confidence) if confidence else 95}% CI"
    counted = str(records[0].get("legs_counted") or "") if records else ""
    if counted:
        caption += f"; {counted}"
    covariates = str(records[0].get("covariates") or "") if records and adjusted else ""
    if covariates:
        caption += f"; adjusted for {covariates.replace('; ', ', ')}"
    parts.append(f'<text x="10" y="{height - 6}" {family} font-size="10" fill="#5b6670">'
                 f"{_e(caption)}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def write_forest_plot(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    adjusted: bool = False,
    title: str = "",
) -> Path:
    """Write :func:`forest_plot_svg` to `path` (an ``.svg`` file), atomically.

    Raises
    ------
    StatsError
        `path` does not end in ``.svg``, or a required column is missing.

    Examples
    --------
    >>> import pathlib, tempfile, pandas as pd
    >>> table = pd.DataFrame({"measure": ["hka"], "group1": "A", "group2": "B",
    ...     "mean_diff": [0.5], "ci_low": [0.1], "ci_high": [0.9]})
    >>> path = write_forest_plot(table, pathlib.Path(tempfile.mkdtemp()) / "forest.svg")
    >>> path.read_text().startswith("<svg")
    True
    """
    target = Path(path)
    if target.suffix.lower() != ".svg":
        raise StatsError(f"{target}: the forest plot is written as SVG; name the file *.svg")
    write_text_atomic(target, forest_plot_svg(table, adjusted=adjusted, title=title) + "\n")
    return target
