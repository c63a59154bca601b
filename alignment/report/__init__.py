"""What a study run leaves to look at: per-image overlays and the HTML report.

- :func:`render_overlay` / :func:`write_overlay`: the radiograph, downscaled and
  windowed, with its landmarks, axes and each measured value where it is measured;
  flagged items in a warning colour; a PNG with no text metadata.
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
    encode_png,
    render_overlay,
    write_overlay,
)

__all__ = [
    "ANCHORS",
    "AXIS_STYLES",
    "COLOURS",
    "DISPLAY_NAMES",
    "KEY_MEASURES",
    "box_plot_svg",
    "display_name",
    "encode_png",
    "flagged",
    "render_overlay",
    "render_report",
    "write_overlay",
    "write_report",
]
