"""Automatic landmark detection on long-leg AP and lateral knee radiographs.

Classical image analysis, coarse to fine: the diaphyses are found on a downsampled
copy of the film as straight runs of cortical edge pairs, then every landmark is placed
at full resolution in a small window: the femoral head by a circle fit to radial
edges, the shaft axes by robust lines through cortical midpoints, the knee by the
condylar tangent and the plateau (or the metal components of a TKA), the ankle at the
top of the talar dome, and on lateral films the femoral component's fixation surface
and the tray line. Each landmark carries a ``confidence`` in [0, 1] and the ``method``
that placed it; a leg with a landmark missing or below the review threshold is flagged
``review``. See ``docs/detect.md``.

Examples
--------
>>> from alignment.detect import REVIEW_THRESHOLD, detect_landmarks
>>> REVIEW_THRESHOLD
0.5
"""

from __future__ import annotations

from alignment.detect.core import AP_REQUIRED, LAT_REQUIRED, detect_landmarks
from alignment.detect.result import (
    DETECTION_COLUMNS,
    REVIEW_THRESHOLD,
    DetectionResult,
    LegStatus,
    Missing,
)

__all__ = [
    "AP_REQUIRED",
    "DETECTION_COLUMNS",
    "LAT_REQUIRED",
    "REVIEW_THRESHOLD",
    "DetectionResult",
    "LegStatus",
    "Missing",
    "detect_landmarks",
]
