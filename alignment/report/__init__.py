"""What a study run leaves to look at: per-image overlays and the HTML report.

- :func:`overlay_layout` / :func:`draw_overlay` / :func:`render_overlay` /
  :func:`write_overlay`: the radiograph (a long-leg film 1600 px tall with each knee
  cropped at full resolution beside it, a knee film 1100 px tall), its landmarks and
  axes, every landmark and value labelled in a margin with a leader line; flagged items
  in a warning colour; a PNG with no text metadata.
- :func:`render_report` / :func:`write_report`: one self-contained HTML page (cohort
  summary, films to look at, group comparison, signed deviations, box and strip plots,
  outlier rates, every case with its thumbnail and overlay link, errors) that opens
  offline, rendered from the Jinja2 templates of ``alignment/report/templates``.

The choices behind both are written down in ``docs/report.md``.
"""

from __future__ import annotations

from alignment.report._common import DISPLAY_NAMES, display_name, flagged
from alignment.report.html import KEY_MEASURES, box_plot_svg, render_report, write_report
from alignment.report.overlay import (
    ANCHORS,
    AXIS_STYLES,
    COLOURS,
    OVERLAY_SIZES,
    Label,
    OverlayLayout,
    Panel,
    draw_overlay,
    encode_png,
    overlay_layout,
    render_overlay,
    write_overlay,
)

__all__ = [
    "ANCHORS",
    "AXIS_STYLES",
    "COLOURS",
    "DISPLAY_NAMES",
    "KEY_MEASURES",
    "OVERLAY_SIZES",
    "Label",
    "OverlayLayout",
    "Panel",
    "box_plot_svg",
    "display_name",
    "draw_overlay",
    "encode_png",
    "flagged",
    "overlay_layout",
    "render_overlay",
    "render_report",
    "write_overlay",
    "write_report",
]
