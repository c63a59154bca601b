"""The study report: one self-contained HTML file that opens offline.

:func:`render_report` builds the page from the tables a batch produces (results,
group comparison, landmarks, errors) and :func:`write_report` writes it atomically.
The page is the Jinja2 template ``templates/report.html.j2`` (autoescape on); this
module turns the tables into the plain values it shows. Everything the page needs is
inside it: CSS (``look.css``, shared with the review app, and ``report.css``) and
JavaScript inlined from the templates folder, plots as inline SVG drawn here (no
plotting library, no CDN), case thumbnails as base64 ``data:`` URIs; only the links to
the overlays and the run's files point outside, relative to the report. A
Content-Security-Policy in the page forbids every network load, so a page that renders
has, provably, fetched nothing.

Sections: cohort summary with the run's files; the films to look at (failed, or flagged
by :func:`alignment.report.triage.review_reasons`) and why; group comparison (mean ± SD
per group, difference and its CI, test, P, Holm-adjusted P, effect size, outliers);
signed deviations from target per measure and group; per-measure box and strip plots
by group; outlier rates; every case (image) with its thumbnail, linked to its overlay,
failed and flagged cases first; the errors.

The template escapes every value; the SVG plots escape their own text. The page shows
only what the tables given hold (image keys, case keys, groups, values): it adds no
identifier and no time stamp, so the same tables give the same bytes.

Examples
--------
>>> from alignment import LandmarkSet, landmark_table, measure_landmarks
>>> leg = LandmarkSet("a.dcm", "right", "AP", {
...     "femoral_head_center": (100.0, 100.0), "femoral_knee_center": (120.0, 500.0),
...     "tibial_knee_center": (120.0, 520.0), "ankle_center": (110.0, 900.0),
... }, spacing_mm=(0.5, 0.5))
>>> page = render_report(results=measure_landmarks(landmark_table([leg])))
>>> page.startswith("<!DOCTYPE html>"), page.count('<tr class="case')
(True, 1)
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import os
import shlex
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path, PurePath
from typing import Any

import cv2
import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from alignment import __version__
from alignment.atomic import write_text_atomic
from alignment.report._common import (
    bool_column,
    display_name,
    finite_number,
    flagged,
    format_value,
    numeric_column,
    registry_order,
    text_column,
)
from alignment.report.deviation import deviation_sides, deviation_strip_svg
from alignment.report.triage import FAR_FROM_TARGET, review_reasons
from alignment.stats.tables import format_mean_sd, format_p

__all__ = ["KEY_MEASURES", "box_plot_svg", "render_report", "write_report"]

KEY_MEASURES: tuple[str, ...] = ("hka", "mldfa", "mpta", "ffc", "ftc", "lfc", "ltc")
"""Measures shown in the cases table (every measure is in the overlay and the CSVs)."""

_GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_WARNING = "#D55E00"
_NO_GROUP = "(no group)"
_ALL = "all"
_STATUS_ORDER = {"failed": 0, "flagged": 1, "ok": 2}
_METRIC_LABELS = {
    "value": "value",
    "deviation": "deviation from target",
    "abs_deviation": "absolute deviation from target",
}
_STRIP_WIDTH = 420
"""Width of a deviation panel's drawing, in CSS pixels: its column's widest."""
_CASE_FIELDS = ("image", "case", "group", "legs", "status", "n_ok", "n_all", "source", "values",
                "errors")  # fmt: skip
"""What the case table shows of each row of the cases frame as it is."""
_SECTIONS = (
    ("summary", "Cohort"),
    ("review", "To look at"),
    ("comparison", "Group comparison"),
    ("forest", "Differences"),
    ("deviations", "Deviations"),
    ("plots", "Measures by group"),
    ("outliers", "Outlier rates"),
    ("agreement", "Reader agreement"),
    ("cases", "Cases"),
    ("errors", "Errors"),
)
"""The page's sections, as the navigation bar lists them (id, name)."""
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def _e(value: Any) -> str:
    """Escape anything as HTML text (and attribute value)."""
    return html.escape(str(value), quote=True)


def _number(value: Any, decimals: int = 1) -> str:
    number = finite_number(value)
    if number is None:
        return ""
    return f"{round(number, decimals) + 0.0:.{decimals}f}"


def _int(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.0f}" if math.isfinite(number) else ""


def _get(row: Mapping[Any, Any], key: str) -> Any:
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


# --- groups ------------------------------------------------------------------------


def _group_of(results: pd.DataFrame, groups: pd.DataFrame | Mapping[str, str] | None) -> pd.Series:
    """Each results row's group: by ``case`` (or ``image``) from `groups`."""
    if groups is None:
        if "group" in results.columns:
            return text_column(results, "group", _NO_GROUP).replace("", _NO_GROUP)
        return pd.Series(_ALL, index=results.index, dtype=object)
    if isinstance(groups, Mapping):
        mapping = {str(k): str(v) for k, v in groups.items()}
        key = "case"
    elif isinstance(groups, pd.DataFrame):
        key = "case" if "case" in groups.columns else "image"
        if key not in groups.columns or "group" not in groups.columns:
            raise ValueError(
                f"groups must have columns case,group or image,group; got {list(groups.columns)}"
            )
        mapping = dict(zip(text_column(groups, key), text_column(groups, "group"), strict=True))
    else:
        raise TypeError(f"groups must be a DataFrame or a mapping, got {type(groups).__name__}")
    return text_column(results, key).map(mapping).fillna(_NO_GROUP).replace("", _NO_GROUP)


def _group_order(found: Sequence[str], comparison: pd.DataFrame | None) -> list[str]:
    named: list[str] = []
    if comparison is not None and len(comparison):
        for column in ("group1", "group2"):
            if column in comparison.columns:
                named += [g for g in text_column(comparison, column) if g]
    order = list(dict.fromkeys(named))
    order += sorted(g for g in set(found) - set(order) if g != _NO_GROUP)
    if _NO_GROUP in found:
        order.append(_NO_GROUP)
    return [g for g in dict.fromkeys(order) if g in set(found)]


# --- summary -----------------------------------------------------------------------


def _summary(
    results: pd.DataFrame,
    errors: pd.DataFrame | None,
    cases: pd.DataFrame,
    group: pd.Series,
    manifest: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The summary's cards, its facts ``(name, text)`` and the manifest's entries."""
    status = text_column(results, "status")
    outlier = bool_column(results, "outlier")
    sets = results.drop_duplicates([c for c in ("image", "side", "view", "reader")
                                    if c in results.columns])  # fmt: skip
    n_errors = 0 if errors is None else len(errors)
    counts = cases["status"].value_counts()
    n_ok, n_missing = int((status == "ok").sum()), int((status != "ok").sum())
    n_outliers, n_targets = int(outlier.fillna(False).sum()), int(outlier.notna().sum())
    cards = [
        ("Images", len(cases), f"{counts.get('ok', 0)} ok, {counts.get('flagged', 0)} flagged, "
                               f"{counts.get('failed', 0)} failed", ""),
        ("Cases", text_column(results, "case").nunique(), "", ""),
        ("Legs / knees", len(sets), "landmark sets measured", ""),
        ("Measures ok", n_ok, f"{n_missing} missing", ""),
        ("Outliers", n_outliers, f"of {n_targets} measures with a target",
         "warn" if n_outliers else ""),
        ("Flagged measures", int(flagged(results).sum()), "missing, outlier or flag", ""),
        ("Errors", n_errors, "images that failed", "fail" if n_errors else ""),
    ]  # fmt: skip
    facts = []
    presets = results.drop_duplicates(["preset", "preset_hash"]) if {
        "preset", "preset_hash"} <= set(results.columns) else results.iloc[:0]  # fmt: skip
    for name, digest in zip(
        text_column(presets, "preset"), text_column(presets, "preset_hash"), strict=True
    ):
        facts.append(("Preset", f"{name} (hash {digest})"))
    if "knee" in results.columns:
        facts.append(("Knees", _knee_summary(results)))
    if set(group) != {_ALL}:
        legs = pd.DataFrame({"group": group, "case": text_column(results, "case")})
        per = legs.drop_duplicates().groupby("group", sort=True)["case"].size()
        facts.append(("Groups", ", ".join(f"{g}: {n} cases" for g, n in per.items())))
    entries = [
        (key, value if isinstance(value, str) else json.dumps(value, default=str, indent=1))
        for key, value in (manifest or {}).items()
    ]
    return {
        "cards": [
            {"label": label, "value": value, "detail": detail, "cls": cls}
            for label, value, detail, cls in cards
        ],
        "facts": facts,
        "manifest": entries,
    }


def _knee_summary(results: pd.DataFrame) -> str:
    """How many knees are native, replaced, unknown, and which targets each is scored on."""
    knees = pd.DataFrame({k: text_column(results, k) for k in ("case", "side", "knee")})
    kind = knees.drop_duplicates().groupby(["case", "side"])["knee"].max()
    counts = kind.value_counts()
    text = (
        f"{counts.get('replaced', 0)} replaced, {counts.get('native', 0)} native, "
        f"{counts.get('', 0)} unknown. Implant-component targets (FFC, FTC, LFC, LTC) are "
        "scored on replaced knees only, native targets (mLDFA, MPTA, aLDFA, JLCA) on "
        "native knees only"
    )
    return text + (", and every target on a knee of unknown type." if counts.get("", 0) else ".")


# --- comparison --------------------------------------------------------------------


def _comparison(comparison: pd.DataFrame | None) -> dict[str, Any] | None:
    """The comparison table's header and cells (None without a comparison)."""
    if comparison is None or not len(comparison):
        return None
    records = comparison.to_dict("records")
    first = records[0]
    g1, g2 = str(_get(first, "group1") or "group 1"), str(_get(first, "group2") or "group 2")
    metrics = {str(_get(row, "metric") or "") for row in records}
    show_metric = len(metrics) > 1
    head = [
        ("Measure", ""), ("Metric", ""), (f"n {g1}", "num"), (f"n {g2}", "num"),
        (f"{g1} mean ± SD", "num"), (f"{g2} mean ± SD", "num"),
        ("Difference [95% CI]", "num"), ("Test", ""), ("P", "num"), ("P (Holm)", "num"),
        ("Effect size", "num"), (f"Outliers {g1}", "num"), (f"Outliers {g2}", "num"),
        ("P (outliers)", "num"),
    ]  # fmt: skip
    if not show_metric:
        del head[1]
    rows = []
    for row in records:
        measure = str(_get(row, "measure") or "")
        ci = ""
        if _number(_get(row, "ci_low")) and _number(_get(row, "ci_high")):
            ci = f" [{_number(row['ci_low'])}, {_number(row['ci_high'])}]"
        effect = _number(_get(row, "effect_size"), 2)
        kind = str(_get(row, "effect_size_type") or "")
        if effect and kind:
            effect += {"hedges_g": " (g)", "rank_biserial": " (r)"}.get(kind, f" ({kind})")
        p = _get(row, "p_value")
        significant = p is not None and float(p) < 0.05
        unit = str(_get(row, "unit") or "")
        metric = str(_get(row, "metric") or "")
        cells = [
            {"text": display_name(measure), "unit": {"deg": "°"}.get(unit, unit)},
            {"text": _METRIC_LABELS.get(metric, metric)},
            {"text": _int(_get(row, "n1")), "cls": "num"},
            {"text": _int(_get(row, "n2")), "cls": "num"},
            {"text": _mean_sd(row, "1"), "cls": "num"},
            {"text": _mean_sd(row, "2"), "cls": "num"},
            {"text": _number(_get(row, "mean_diff")) + ci, "cls": "num"},
            {"text": _get(row, "test") or ""},
            {"text": _p(p), "cls": "num warn" if significant else "num"},
            {"text": _p(_get(row, "p_holm")), "cls": "num"},
            {"text": effect, "cls": "num"},
            {"text": _outliers(row, "1"), "cls": "num"},
            {"text": _outliers(row, "2"), "cls": "num"},
            {"text": _p(_get(row, "outlier_p_value")), "cls": "num"},
        ]
        if not show_metric:
            del cells[1]
        rows.append({"measure": measure, "cells": [{"cls": "", "unit": "", **c} for c in cells]})
    compared = "" if show_metric else _METRIC_LABELS.get(next(iter(metrics)), next(iter(metrics)))
    return {"head": head, "rows": rows, "compared": compared}


def _forest(comparison: pd.DataFrame | None) -> list[Markup]:
    """The forest plots of the comparison's differences (and the adjusted ones, if any)."""
    from alignment.report.forest import forest_plot_svg  # forest draws with this module

    if comparison is None or not len(comparison) or "ci_low" not in comparison.columns:
        return []
    plots = [forest_plot_svg(comparison)]
    if "adjusted_diff" in comparison.columns:
        plots.append(forest_plot_svg(comparison, adjusted=True))
    return [Markup(svg) for svg in plots]  # drawn and escaped by forest_plot_svg


def _mean_sd(row: Mapping[Any, Any], suffix: str) -> str:
    mean, sd = _get(row, f"mean{suffix}"), _get(row, f"sd{suffix}")
    if mean is None:
        return ""
    return format_mean_sd(float(mean), float(sd) if sd is not None else math.nan)


def _p(value: Any) -> str:
    try:
        return format_p(float(value)) if value is not None else ""
    except (TypeError, ValueError):
        return str(value)


def _outliers(row: Mapping[Any, Any], suffix: str) -> str:
    count = _get(row, f"outliers{suffix}")
    if count is None:
        return ""
    total = _get(row, f"outlier_n{suffix}") or _get(row, f"n{suffix}")
    pct = _get(row, f"outlier_pct{suffix}")
    text = _int(count)
    if total is not None:
        text += f" / {_int(total)}"
    if pct is not None:
        text += f" ({float(pct):.0f}%)"
    return text


# --- plots -------------------------------------------------------------------------


_LIMIT = 1e300  # a plot's axis spans at most this far each way (no overflow)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from `low` to `high`, about `count` of them; none for an empty span.

    Bounded whatever the span: at most ``2 * count + 2`` ticks, even where the step is
    below the values' precision.
    """
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return []
    raw = span / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(low / step - 1e-9) * step
    ticks = []
    for i in range(2 * count + 2):
        value = start + i * step
        if value > high + 1e-9 * step:
            break
        ticks.append(round(value, 10))
    return ticks


def box_plot_svg(
    data: Sequence[tuple[str, Sequence[float], Sequence[bool], Sequence[str]]],
    *,
    title: str = "",
    y_label: str = "",
    reference: tuple[float | None, tuple[float, float] | None, str] | None = None,
    width: int = 320,
    height: int = 220,
) -> str:
    """A box-and-strip plot of one measure by group, as an inline SVG element.

    Parameters
    ----------
    data : sequence of (group, values, outliers, tips)
        Per group, in plot order: its name, the values, whether each is an outlier
        (drawn in the warning colour, larger), and a hover text for each point.
    title, y_label : str
        Drawn above the plot and along the y axis.
    reference : (line, band, text), optional
        A dashed line at `line` and a shaded `band` ``(low, high)`` (either None), with
        `text` in the legend: the target and its tolerance.
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
        ``<svg ...>...</svg>`` (no namespace: it lives inside an HTML page). Boxes run
        from the 25th to the 75th percentile with the median; whiskers reach the most
        extreme values within 1.5 IQR of the box (Tukey). Points are jittered by a
        fixed low-discrepancy sequence, so the same data draw the same picture.

    Examples
    --------
    >>> svg = box_plot_svg([("A", [1.0, 2.0, 3.0], [False, False, True], ["a", "b", "c"])],
    ...                    title="HKA", reference=(2.0, (1.0, 3.0), "target"))
    >>> svg.startswith("<svg"), svg.count("<circle")
    (True, 3)
    """
    left, right, top, bottom = 46, 10, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values_all = [float(v) for _, values, _, _ in data for v in values if math.isfinite(v)]
    line, band, ref_text = reference if reference is not None else (None, None, "")
    extent = list(values_all)
    if line is not None:
        extent.append(line)
    if band is not None:
        extent += list(band)
    low, high = (max(min(extent), -_LIMIT), min(max(extent), _LIMIT)) if extent else (0.0, 1.0)
    if not high - low > 1e-9 * max(1.0, abs(low), abs(high)):  # one value (any size)
        half = max(1.0, abs(low) * 1e-3)
        low, high = low - half, high + half
    pad = (high - low) * 0.06
    low, high = low - pad, high + pad

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    parts = [
        f'<svg class="plot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_e(title)}">',
        f'<text x="{left}" y="15" font-weight="600">{_e(title)}</text>',
    ]
    if band is not None:
        y0, y1 = y(max(band)), y(min(band))
        parts.append(
            f'<rect class="band" x="{left}" y="{y0:.1f}" width="{plot_w}" '
            f'height="{max(y1 - y0, 0.5):.1f}"/>'
        )
    for tick in _nice_ticks(low, high):
        ty = y(tick)
        label = f"{tick:g}"
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" '
                     f'y2="{ty:.1f}"/>')  # fmt: skip
        parts.append(f'<text x="{left - 4}" y="{ty + 3.5:.1f}" text-anchor="end">{_e(label)}'
                     "</text>")  # fmt: skip
    if line is not None:
        parts.append(f'<line class="ref" x1="{left}" x2="{left + plot_w}" y1="{y(line):.1f}" '
                     f'y2="{y(line):.1f}"><title>{_e(ref_text)}</title></line>')  # fmt: skip
    parts.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}"/>')
    parts.append(
        f'<text transform="translate(11 {top + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{_e(y_label)}</text>'
    )
    band_w = plot_w / max(len(data), 1)
    for i, (group, values, outliers, tips) in enumerate(data):
        colour = _GROUP_COLOURS[i % len(_GROUP_COLOURS)]
        cx = left + band_w * (i + 0.5)
        points = [
            (float(v), bool(o), str(t))
            for v, o, t in zip(values, outliers, tips, strict=True)
            if math.isfinite(float(v))
        ]
        parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                     f"{_e(group)}</text>")  # fmt: skip
        parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 27}" text-anchor="middle" '
                     f'fill="#5b6670">n = {len(points)}</text>')  # fmt: skip
        if not points:
            continue
        array = np.array([p[0] for p in points])
        q1, median, q3 = (float(q) for q in np.percentile(array, [25, 50, 75]))
        iqr = q3 - q1
        whisker_low = float(array[array >= q1 - 1.5 * iqr].min())
        whisker_high = float(array[array <= q3 + 1.5 * iqr].max())
        box_w = min(band_w * 0.5, 70.0)
        x0 = cx - box_w / 2
        parts.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(whisker_high):.1f}" '
            f'y2="{y(whisker_low):.1f}" stroke="{colour}" stroke-width="1"/>'
        )
        for w in (whisker_low, whisker_high):
            parts.append(f'<line x1="{cx - box_w / 4:.1f}" x2="{cx + box_w / 4:.1f}" '
                         f'y1="{y(w):.1f}" y2="{y(w):.1f}" stroke="{colour}"/>')  # fmt: skip
        parts.append(
            f'<rect x="{x0:.1f}" y="{y(q3):.1f}" width="{box_w:.1f}" '
            f'height="{max(y(q1) - y(q3), 0.5):.1f}" fill="{colour}" fill-opacity="0.18" '
            f'stroke="{colour}" stroke-width="1.2"/>'
        )
        parts.append(f'<line x1="{x0:.1f}" x2="{x0 + box_w:.1f}" y1="{y(median):.1f}" '
                     f'y2="{y(median):.1f}" stroke="{colour}" stroke-width="2.2"/>')  # fmt: skip
        for k, (value, outlier, tip) in enumerate(points):
            jitter = (((k + 1) * 0.6180339887) % 1.0 - 0.5) * box_w * 0.9
            fill, radius = (_WARNING, 3.6) if outlier else (colour, 2.6)
            parts.append(
                f'<circle cx="{cx + jitter:.1f}" cy="{y(value):.1f}" r="{radius}" '
                f'fill="{fill}" fill-opacity="0.85" stroke="#fff" stroke-width="0.6">'
                f"<title>{_e(tip)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _figure(measure: str, svg: str, caption: str) -> dict[str, Any]:
    """A plot panel of the page: the SVG (drawn and escaped here) and its caption."""
    return {"measure": measure, "svg": Markup(svg), "caption": caption}


def _leg_rows(
    results: pd.DataFrame, group: pd.Series, numeric: Sequence[str], **columns: pd.Series
) -> pd.DataFrame:
    """Each result's leg (image, side, view), measure, unit, group and status, its
    `numeric` columns as floats (NaN where not a number) and any further `columns`."""
    keys = {name: text_column(results, name) for name in ("image", "side", "view", "measure")}
    return pd.DataFrame(
        {
            **keys,
            "unit": text_column(results, "unit"),
            "group": group,
            "status": text_column(results, "status", "ok"),
            **{name: numeric_column(results, name) for name in numeric},
            **columns,
        }
    )


def _plots(
    results: pd.DataFrame, group: pd.Series, comparison: pd.DataFrame | None, order: list[str]
) -> list[dict[str, Any]]:
    """A box-and-strip plot per measure, its groups side by side."""
    metrics: dict[str, str] = {}
    if comparison is not None and {"measure", "metric"} <= set(comparison.columns):
        metrics = dict(
            zip(text_column(comparison, "measure"), text_column(comparison, "metric"), strict=True)
        )
    table = _leg_rows(
        results,
        group,
        ("value", "deviation", "abs_deviation", "target", "tolerance"),
        outlier=bool_column(results, "outlier").fillna(False).astype(bool),
    )
    table = table[(table["status"] == "ok") & (table["unit"] != "")]
    if comparison is not None and metrics:
        table = table[table["measure"].isin(metrics)]
    figures = []
    for measure in registry_order(table["measure"].unique()):
        rows = table[table["measure"] == measure]
        metric = metrics.get(measure, "value")
        if metric not in _METRIC_LABELS:
            metric = "value"
        legs = rows.groupby(["group", "image", "side", "view"], sort=False, observed=True).agg(
            metric_value=(metric, "mean"), outlier=("outlier", "any")
        )
        legs = legs[np.isfinite(legs["metric_value"])]
        if not len(legs):
            continue
        data: list[tuple[str, list[float], list[bool], list[str]]] = []
        for name in order:
            if name not in legs.index.get_level_values("group"):
                data.append((name, [], [], []))
                continue
            part = legs.xs(name, level="group")
            tips = [f"{image} {side} {view}: {value:.1f}"
                    for (image, side, view), value in part["metric_value"].items()]  # fmt: skip
            data.append((name, part["metric_value"].tolist(), part["outlier"].tolist(), tips))
        unit = str(rows["unit"].iloc[0])
        target = rows["target"].dropna()
        tolerance = rows["tolerance"].dropna()
        reference = None
        t = float(target.iloc[0]) if len(target) else None
        tol = float(tolerance.iloc[0]) if len(tolerance) else None
        if metric == "value" and t is not None:
            band = (t - tol, t + tol) if tol is not None else None
            reference = (t, band, f"target {t:g}" + (f" ± {tol:g}" if tol is not None else ""))
        elif metric == "deviation" and t is not None:
            band = (-tol, tol) if tol is not None else None
            reference = (0.0, band, "target")
        elif metric == "abs_deviation" and tol is not None:
            reference = (tol, (0.0, tol), f"tolerance {tol:g}")
        unit_text = {"deg": "°", "mm": "mm"}.get(unit, unit)
        svg = box_plot_svg(
            data,
            title=display_name(measure),
            y_label=f"{_METRIC_LABELS[metric]} ({unit_text})",
            reference=reference,
        )
        caption = _METRIC_LABELS[metric] + (f"; {reference[2]}" if reference else "")
        figures.append(_figure(measure, svg, caption))
    return figures


def _deviations(results: pd.DataFrame, group: pd.Series, order: list[str]) -> dict[str, Any]:
    """Signed deviation panels: a row per measure with a target, a column per group.

    Each row shares one symmetric axis (the largest deviation of the measure, at least
    twice its tolerance) so its groups compare; each end of it names the side (varus,
    valgus ...) per :data:`alignment.report.deviation.DEVIATION_SIDES`.
    """
    table = _leg_rows(results, group, ("deviation", "tolerance"))
    table = table[(table["status"] == "ok") & np.isfinite(table["deviation"])]
    rows = []
    for measure in registry_order(table["measure"].unique()):
        part = table[table["measure"] == measure]
        legs = part.groupby(["group", "image", "side", "view"], sort=False, observed=True).agg(
            deviation=("deviation", "mean"), tolerance=("tolerance", "first")
        )
        tolerance = finite_number(legs["tolerance"].max())
        limit = max(float(legs["deviation"].abs().max()), 2.0 * (tolerance or 0.0), 1.0) * 1.08
        unit = {"deg": "°", "mm": " mm"}.get(str(part["unit"].iloc[0]), "")
        panels = []
        for name in order:
            here = legs.xs(name, level="group") if name in legs.index.get_level_values(0) else None
            values = [] if here is None else here["deviation"].tolist()
            tips = [] if here is None else [
                f"{image} {side} {view}: {value:+.1f}{unit}"
                for (image, side, view), value in here["deviation"].items()
            ]  # fmt: skip
            svg = deviation_strip_svg(
                values, tips, limit=limit, tolerance=tolerance, width=_STRIP_WIDTH,
                sides=deviation_sides(measure), label=f"{display_name(measure)} {name}",
            )  # fmt: skip
            panels.append(Markup(svg))  # drawn and escaped by deviation_strip_svg
        heading = display_name(measure) + (f" ({unit.strip()})" if unit else "")
        rows.append({"measure": measure, "name": heading, "panels": panels})
    return {"groups": order, "rows": rows, "width": _STRIP_WIDTH} if rows else {}


def _reader_agreement(results: pd.DataFrame) -> list[dict[str, Any]]:
    """Bland-Altman plots of every pair of readers; none with fewer than two readers."""
    from alignment.errors import StatsError
    from alignment.report.bland_altman import bland_altman_svg
    from alignment.stats import paired_ratings
    from alignment.stats._common import CATEGORICAL_MEASURES

    readers = text_column(results, "reader") if "reader" in results.columns else None
    if readers is None or readers[readers != ""].nunique() < 2:
        return []
    try:
        pairs = paired_ratings(results)
    except StatsError:
        return []
    pairs = pairs[~pairs["measure"].isin(CATEGORICAL_MEASURES)]
    figures = []
    keys = ["measure", "unit", "rater1", "rater2"]
    for (measure, unit, first, second), part in pairs.groupby(keys, sort=False):
        svg = bland_altman_svg(
            part["rating1"].to_numpy(),
            part["rating2"].to_numpy(),
            labels=(str(first), str(second)),
            unit=str(unit),
            title=display_name(str(measure)),
        )
        caption = f"{first} vs {second}: difference against mean; bias and 95% limits"
        figures.append(_figure(str(measure), svg, caption))
    return figures


# --- outlier rates -----------------------------------------------------------------


def _outlier_rates(
    results: pd.DataFrame, group: pd.Series, order: list[str]
) -> dict[str, Any] | None:
    """Per measure and group, how many legs are outliers (None without the column)."""
    if "outlier" not in results.columns:
        return None
    table = pd.DataFrame(
        {
            "image": text_column(results, "image"),
            "side": text_column(results, "side"),
            "view": text_column(results, "view"),
            "measure": text_column(results, "measure"),
            "group": group,
            "outlier": bool_column(results, "outlier"),
            "target": numeric_column(results, "target"),
            "tolerance": numeric_column(results, "tolerance"),
        }
    )
    table = table[table["outlier"].notna()]
    head = [("Measure", ""), ("Target", "num")] + [(g, "") for g in order]
    if not len(table):
        return {"head": head, "rows": []}
    legs = table.groupby(["measure", "group", "image", "side", "view"], observed=True).agg(
        outlier=("outlier", "any"), target=("target", "first"), tolerance=("tolerance", "first")
    )
    rows = []
    for measure in registry_order(table["measure"].unique()):
        part = legs.xs(measure, level="measure")
        cells: list[dict[str, Any] | None] = []
        for name in order:
            if name not in part.index.get_level_values("group"):
                cells.append(None)
                continue
            flags = part.xs(name, level="group")["outlier"]
            k, n = int(flags.sum()), len(flags)
            pct = 100.0 * k / n
            cells.append({"k": k, "n": n, "pct": f"{pct:.0f}", "width": f"{pct * 0.6:.1f}"})
        target = f"{part['target'].iloc[0]:g} ± {part['tolerance'].iloc[0]:g}"
        rows.append(
            {"measure": measure, "name": display_name(measure), "target": target, "cells": cells}
        )
    return {"head": head, "rows": rows}


# --- cases -------------------------------------------------------------------------


def _cases(
    results: pd.DataFrame,
    errors: pd.DataFrame | None,
    landmarks: pd.DataFrame | None,
    group: pd.Series,
    reasons: pd.DataFrame,
) -> pd.DataFrame:
    """One row per image: its case, group, status, flagged items, key values, errors.

    Its status is ``failed`` with an error, ``flagged`` with a reason of `reasons` (the
    table of :func:`alignment.report.triage.review_reasons`), else ``ok``; its
    ``reasons`` are those reasons.
    """
    images = text_column(results, "image")
    table = pd.DataFrame(
        {
            "image": images,
            "case": text_column(results, "case"),
            "side": text_column(results, "side"),
            "view": text_column(results, "view"),
            "reader": text_column(results, "reader"),
            "measure": text_column(results, "measure"),
            "unit": text_column(results, "unit"),
            "label": text_column(results, "label"),
            "status": text_column(results, "status", "ok"),
            "reason": text_column(results, "reason"),
            "flags": text_column(results, "flags"),
            "outlier": bool_column(results, "outlier").fillna(False).astype(bool),
            "value": numeric_column(results, "value"),
            "deviation": numeric_column(results, "deviation"),
            "group": group,
            "flagged": flagged(results),
        }
    )
    error_text: dict[str, list[str]] = {}
    if errors is not None and len(errors):
        stages = text_column(errors, "stage")
        messages = text_column(errors, "error")
        for image, stage, message in zip(text_column(errors, "image"), stages, messages,
                                         strict=True):  # fmt: skip
            error_text.setdefault(image, []).append(f"{stage}: {message}" if stage else message)
    sources: dict[str, str] = {}
    landmark_images: list[str] = []
    if landmarks is not None and len(landmarks) and "image" in landmarks.columns:
        lm_images = text_column(landmarks, "image")
        landmark_images = list(dict.fromkeys(lm_images))
        if "method" in landmarks.columns:
            methods = pd.DataFrame(
                {"image": lm_images, "method": text_column(landmarks, "method")}
            )
            for image, part in methods.groupby("image", sort=False):
                names = sorted({m or "file" for m in part["method"]})
                sources[str(image)] = ", ".join(names)
    keys = list(dict.fromkeys([*images, *landmark_images, *error_text]))
    why = _grouped_reasons(reasons)
    rows = []
    for image, part in table.groupby("image", sort=False):
        rows.append((str(image), part))
    parts = dict(rows)
    out = []
    for image in keys:
        here = parts.get(image)
        errors_here = error_text.get(image, [])
        if here is None or not len(here):
            status = "failed"
            case, group_name, legs, n_ok, n_all = "", "", "", 0, 0
            items: list[tuple[str, bool]] = []
            values: list[dict[str, Any]] = []
            if not errors_here:
                errors_here = ["no results for this image"]
        else:
            status = "failed" if errors_here else ("flagged" if image in why else "ok")
            case = ", ".join(dict.fromkeys(here["case"]))
            group_name = ", ".join(g for g in dict.fromkeys(here["group"]) if g != _ALL)
            keys_here = list(dict.fromkeys(zip(here["side"], here["view"], here["reader"],
                                               strict=True)))  # fmt: skip
            legs = ", ".join(
                f"{side} {view}" + (f" ({reader})" if reader else "")
                for side, view, reader in keys_here
            )
            n_ok, n_all = int((here["status"] == "ok").sum()), len(here)
            items = _flagged_items(here)
            values = _key_values(here)
        out.append(
            {
                "image": image,
                "case": case,
                "group": group_name,
                "legs": legs,
                "status": status,
                "n_ok": n_ok,
                "n_all": n_all,
                "items": items,
                "values": values,
                "errors": errors_here,
                "source": sources.get(image, ""),
                "reasons": why.get(image, []),
            }
        )
    frame = pd.DataFrame(
        out,
        columns=["image", "case", "group", "legs", "status", "n_ok", "n_all", "items", "values",
                 "errors", "source", "reasons"],
    )  # fmt: skip
    frame["order"] = frame["status"].map(_STATUS_ORDER)
    return frame.sort_values(["order", "image"], kind="stable").drop(columns="order")


def _grouped_reasons(reasons: pd.DataFrame) -> dict[str, list[str]]:
    """Per film, its reasons to look at, the measures of one leg with the same finding
    named together: ``"R AP HKA, FTC not computed: missing landmark(s): ankle_center"``."""
    grouped = reasons.groupby(["image", "leg", "finding"], sort=False)["measure"].agg(
        lambda names: ", ".join(n for n in names if n)
    )
    out: dict[str, list[str]] = {}
    for (image, leg, finding), names in zip(grouped.index.tolist(), grouped.tolist(), strict=True):
        out.setdefault(image, []).append(" ".join(p for p in (leg, names, finding) if p))
    return out


def _short_side(side: str) -> str:
    return {"left": "L", "right": "R"}.get(side, side)


def _flagged_items(part: pd.DataFrame) -> list[tuple[str, bool]]:
    """What needs a look in one image: missing measures (grouped by leg and reason), then
    each outlier or flagged value."""
    missing: dict[tuple[str, str], list[str]] = {}
    items = []
    for row in part[part["flagged"]].to_dict("records"):
        reader = row["reader"]
        leg = f"{_short_side(row['side'])} {row['view']}" + (f" ({reader})" if reader else "")
        name = display_name(row["measure"])
        if row["status"] != "ok":
            missing.setdefault((leg, row["reason"] or row["status"]), []).append(name)
            continue
        bits = []
        if row["outlier"]:
            bits.append(f"outlier {row['deviation']:+.1f}")
        if row["flags"]:
            bits.append(str(row["flags"]).replace(";", ", "))
        value = format_value(row["value"], row["unit"], row["label"])
        items.append((f"{leg} {name} {value}: {'; '.join(bits)}", True))
    lines = [(f"{leg} {', '.join(names)}: {reason}", True)
             for (leg, reason), names in missing.items()]  # fmt: skip
    return lines + items


def _key_values(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Per leg, its key measures' printed values, each with whether it is flagged."""
    values = []
    for (side, view, reader), leg in part.groupby(["side", "view", "reader"], sort=False):
        by_measure = {r["measure"]: r for r in leg.to_dict("records")}
        bits = []
        for measure in KEY_MEASURES:
            r = by_measure.get(measure)
            if r is not None:
                text = f"{display_name(measure)} {format_value(r['value'], r['unit'], r['label'])}"
                bits.append((text, bool(r["flagged"])))
        if bits:
            prefix = f"{_short_side(str(side))} {view}" + (f" ({reader})" if reader else "")
            values.append({"prefix": prefix, "bits": bits})
    return values


def _thumbnail(path: Path, height: int) -> str | None:
    """A JPEG thumbnail of the image at `path` as a data URI; None if unreadable."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        return None
    rows, columns = image.shape[:2]
    if rows > height:
        width = max(1, round(columns * height / rows))
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 82])
    if not ok:  # pragma: no cover - OpenCV encodes every BGR uint8 image
        return None
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def _href(relative: str | os.PathLike[str]) -> str:
    text = PurePath(relative).as_posix() if not isinstance(relative, str) else relative
    text = text.replace(os.sep, "/") if os.sep != "/" else text
    return urllib.parse.quote(text, safe="/._-~")


def _case_rows(
    cases: pd.DataFrame,
    overlays: Mapping[str, str | os.PathLike[str]],
    base_dir: Path | None,
    thumbnail_height: int,
    review_links: Mapping[str, str],
    progress: Callable[[int, int], None] | None,
) -> dict[str, Any]:
    """The case table: its header, and per image its overlay link, thumbnail and texts.

    `progress` is called as ``progress(done, total)`` after each image's thumbnail.
    """
    has_group = bool(cases["group"].astype(bool).any())
    has_source = bool(cases["source"].astype(bool).any())
    head = [("Overlay", ""), ("Image", ""), ("Case", "")]
    head += [("Group", "")] if has_group else []
    head += [("Legs", ""), ("Status", ""), ("Measures ok", "num")]
    head += [("Landmarks", "")] if has_source else []
    head += [("Key values", ""), ("Missing, outliers, flags and errors", "")]
    rows = []
    records = cases.to_dict("records")
    for done, row in enumerate(records, start=1):
        image = row["image"]
        overlay = overlays.get(image)
        thumb = None
        if overlay is not None and base_dir is not None:
            thumb = _thumbnail(base_dir / Path(overlay), thumbnail_height)
        items = [text for text, _ in row["items"]]
        rows.append(
            {
                **{k: row[k] for k in _CASE_FIELDS},
                "anchor": _anchor(image),
                "name_parts": image.split("/"),
                "overlay": _href(overlay) if overlay is not None else None,
                "thumb": thumb,
                "review_link": review_links.get(image),
                "items": items[:8],
                "more": max(len(items) - 8, 0),
            }
        )
        if progress is not None:
            progress(done, len(records))
    return {"head": head, "rows": rows, "has_group": has_group, "has_source": has_source}


def _anchor(image: str) -> str:
    """A fragment id for `image`'s row: its key, percent-encoded."""
    return urllib.parse.quote(image, safe="")


def _review(cases: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The films to look at: flagged ones with their reasons, failed ones with their
    errors."""
    return {
        status: [
            {
                "image": row["image"],
                "anchor": _anchor(row["image"]),
                "status": status,
                "reasons": row["errors"] if status == "failed" else row["reasons"],
            }
            for row in cases[cases["status"] == status].to_dict("records")
        ]
        for status in ("flagged", "failed")
    }


def _error_rows(errors: pd.DataFrame | None) -> dict[str, Any]:
    """The errors table: its columns and cells as text."""
    if errors is None or not len(errors):
        return {"head": [], "rows": []}
    head = [(str(c), "") for c in errors.columns]
    rows = [[_cell(errors.iloc[i][c]) for c in errors.columns] for i in range(len(errors))]
    return {"head": head, "rows": rows}


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


# --- header ------------------------------------------------------------------------


def _run(manifest: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The run at the top of the page: when, on which folder, by which command."""
    if not manifest:
        return None
    command = manifest.get("command_line") or ""
    if not isinstance(command, str):
        command = shlex.join(map(str, command))
    run = {
        "started": str(manifest.get("started") or ""),
        "input": str(manifest.get("input") or ""),
        "command": command,
    }
    return run if any(run.values()) else None


def _run_files(files: Sequence[str | os.PathLike[str]] | None) -> list[dict[str, str]]:
    """Links to the run's files, relative to the report."""
    return [{"name": PurePath(f).as_posix(), "href": _href(f)} for f in files or ()]


# --- public ------------------------------------------------------------------------


def render_report(
    *,
    results: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    landmarks: pd.DataFrame | None = None,
    errors: pd.DataFrame | None = None,
    overlays: Mapping[str, str | os.PathLike[str]] | None = None,
    groups: pd.DataFrame | Mapping[str, str] | None = None,
    title: str = "Alignment report",
    manifest: Mapping[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    thumbnail_height: int = 160,
    review_links: Mapping[str, str] | None = None,
    files: Sequence[str | os.PathLike[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Build the report page as a string. See :func:`write_report` for the parameters.

    Parameters
    ----------
    base_dir : path-like, optional
        The folder the overlay paths are relative to (the report's folder), to read
        their thumbnails from. None embeds no thumbnail (the links stay).
    results, comparison, landmarks, errors, overlays, groups, title, manifest, \
thumbnail_height, review_links, files, progress
        As for :func:`write_report`.

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({"image": ["<b>.dcm"], "case": ["c"], "side": ["left"],
    ...     "view": ["AP"], "measure": ["hka"], "value": [180.0], "unit": ["deg"],
    ...     "status": ["ok"]})
    >>> page = render_report(results=results)
    >>> "&lt;b&gt;.dcm" in page, "<b>.dcm" in page
    (True, False)
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    for name, table in (("comparison", comparison), ("landmarks", landmarks),
                        ("errors", errors)):  # fmt: skip
        if table is not None and not isinstance(table, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    absent = [c for c in ("image", "measure") if c not in results.columns]
    if absent:
        raise ValueError(f"results lacks column(s) {', '.join(absent)}")
    if not isinstance(thumbnail_height, int) or thumbnail_height < 16:
        raise ValueError(f"thumbnail_height must be an integer >= 16, got {thumbnail_height!r}")
    results = results.reset_index(drop=True)
    group = _group_of(results, groups)
    order = _group_order(list(dict.fromkeys(group)), comparison)
    cases = _cases(results, errors, landmarks, group, review_reasons(results))
    base = Path(base_dir) if base_dir is not None else None
    agreement = _reader_agreement(results)
    context = {
        "title": title,
        "version": __version__,
        "csp": _CSP,
        "style": Markup(_asset("look.css") + _asset("report.css")),  # ours, not data
        "script": Markup(_asset("report.js")),
        "run": _run(manifest),
        "files": _run_files(files),
        "summary": _summary(results, errors, cases, group, manifest),
        "review": _review(cases),
        "far": f"{FAR_FROM_TARGET:g}",
        "comparison": _comparison(comparison),
        "forest": _forest(comparison),
        "deviations": _deviations(results, group, order),
        "plots": _plots(results, group, comparison, order),
        "rates": _outlier_rates(results, group, order),
        "agreement": agreement,
        "cases": _case_rows(
            cases, overlays or {}, base, thumbnail_height, review_links or {}, progress
        ),
        "errors": _error_rows(errors),
        "nav": [(key, name) for key, name in _SECTIONS if key != "agreement" or agreement],
    }
    return _environment().get_template("report.html.j2").render(context)


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates of ``alignment/report/templates``, every value escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alignment.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _asset(name: str) -> str:
    """A CSS or JavaScript file of the templates folder, to inline in the page."""
    return resources.files("alignment.report").joinpath("templates", name).read_text("utf-8")


def write_report(
    path: str | os.PathLike[str],
    *,
    results: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    landmarks: pd.DataFrame | None = None,
    errors: pd.DataFrame | None = None,
    overlays: Mapping[str, str | os.PathLike[str]] | None = None,
    groups: pd.DataFrame | Mapping[str, str] | None = None,
    title: str = "Alignment report",
    manifest: Mapping[str, Any] | None = None,
    thumbnail_height: int = 160,
    review_links: Mapping[str, str] | None = None,
    files: Sequence[str | os.PathLike[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the study report: one self-contained HTML file that opens offline.

    Parameters
    ----------
    path : path-like
        The HTML file to write (atomically); its folder must exist.
    results : pandas.DataFrame
        The long results table of :func:`alignment.measure_landmarks` (columns
        ``image, case, reader, side, view, measure, value, unit, target, tolerance,
        deviation, abs_deviation, outlier, label, status, reason, flags, preset,
        preset_hash``; ``image`` and ``measure`` are required, the others are used
        where present).
    comparison : pandas.DataFrame, optional
        The table of :func:`alignment.stats.compare_groups`: one row per measure with
        ``measure, metric, group1, group2, n1, n2, mean1, sd1, mean2, sd2, mean_diff,
        ci_low, ci_high, test, p_value, p_holm, effect_size, outliers1, outliers2,
        outlier_p_value`` (others optional). Its ``metric`` is what the plots show.
    landmarks : pandas.DataFrame, optional
        The landmark table used; its images count as cases, its ``method`` column
        (detector or file) is shown per case.
    errors : pandas.DataFrame, optional
        ``image, stage, error`` (any columns are shown); an image with an error is a
        failed case.
    overlays : mapping of str to path-like, optional
        Image key -> overlay PNG path *relative to the report*; each case links to
        its overlay and embeds a thumbnail of it.
    groups : pandas.DataFrame or mapping, optional
        Each case's group, for the plots and the outlier rates: a table with
        ``case, group`` or ``image, group``, or a mapping case -> group. Default: the
        results' own ``group`` column if any, else one group ``all``.
    title : str, default "Alignment report"
    manifest : mapping, optional
        The run's manifest; its top-level entries are listed in the summary.
    thumbnail_height : int, default 160
        Height of the embedded thumbnails, in pixels.
    review_links : mapping of str to str, optional
        Image key -> URL of its page in a running ``alignment review`` app; the case
        table links each such image's name there.
    files : sequence of path-like, optional
        The run's other files (``results.csv``, ``errors.csv`` ...), relative to the
        report, linked in the summary.
    progress : callable, optional
        Called as ``progress(done, total)`` after each film's thumbnail is embedded.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    TypeError
        A table is not a DataFrame, or `groups` is neither a table nor a mapping.
    ValueError
        `results` lacks ``image`` or ``measure``, `groups` lacks its columns, or
        `thumbnail_height` is below 16.
    OSError
        The file cannot be written.

    Notes
    -----
    Cases are ordered failed, flagged (any measure missing, an outlier, or carrying a
    flag), then ok; by image key within each. Plots show one point per leg (the mean
    over readers); the comparison table is the statistics layer's, unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from alignment import LandmarkSet, landmark_table, measure_landmarks
    >>> leg = LandmarkSet("a.dcm", "left", "LAT", {
    ...     "tibial_plateau_anterior": (80.0, 60.0), "tibial_plateau_posterior": (20.0, 62.0),
    ...     "tibial_shaft_proximal": (50.0, 100.0), "tibial_shaft_distal": (52.0, 300.0),
    ... })
    >>> results = measure_landmarks(landmark_table([leg]))
    >>> out = write_report(pathlib.Path(tempfile.mkdtemp()) / "report.html", results=results)
    >>> "LTC" in out.read_text(encoding="utf-8")
    True
    """
    path = Path(path)
    page = render_report(
        results=results,
        comparison=comparison,
        landmarks=landmarks,
        errors=errors,
        overlays=overlays,
        groups=groups,
        title=title,
        manifest=manifest,
        base_dir=path.parent,
        thumbnail_height=thumbnail_height,
        review_links=review_links,
        files=files,
        progress=progress,
    )
    write_text_atomic(path, page)
    return path
