"""Side and view: from the DICOM tags where present, else from the film.

Examples
--------
>>> view_from_dicom("LL"), view_from_dicom("AP"), view_from_dicom(None)
(('LAT', 'dicom'), ('AP', 'dicom'), (None, 'none'))
>>> display_row_direction("L\\\\F"), display_row_direction("")
(('L', 'dicom'), ('L', 'default'))
>>> anterior_direction("P\\\\F")
(-1.0, 'dicom')
"""

from __future__ import annotations

import numpy as np

from alignment.detect._image import Work
from alignment.vocabulary import View

__all__ = ["anterior_direction", "display_row_direction", "infer_view", "view_from_dicom"]

_AP_CODES = {"AP", "PA"}
_LAT_CODES = {"LL", "RL", "LAT", "LATERAL", "LLO", "RLO", "ML", "LM"}


def view_from_dicom(code: str | None) -> tuple[View | None, str]:
    """View from DICOM View Position (0018,5101): ``(view, 'dicom')`` or ``(None, 'none')``."""
    value = (code or "").strip().upper()
    if value in _AP_CODES:
        return "AP", "dicom"
    if value in _LAT_CODES:
        return "LAT", "dicom"
    return None, "none"


def display_row_direction(orientation: str | None) -> tuple[str, str]:
    """Which patient side ``+x`` points to on an AP film: ``('L' or 'R', source)``.

    From the first value of DICOM Patient Orientation (0020,0020); without it, the
    radiological convention (patient's right on the viewer's left: ``+x`` is the
    patient's left), source ``'default'``.
    """
    first = (orientation or "").replace("\\", "/").split("/")[0].strip().upper()
    if first[:1] in ("L", "R"):
        return first[0], "dicom"
    return "L", "default"


def anterior_direction(orientation: str | None) -> tuple[float | None, str]:
    """``+1`` if ``+x`` points anterior on a lateral film, ``-1`` if posterior, from
    DICOM Patient Orientation; ``(None, 'none')`` if it does not say."""
    first = (orientation or "").replace("\\", "/").split("/")[0].strip().upper()
    if first[:1] == "A":
        return 1.0, "dicom"
    if first[:1] == "P":
        return -1.0, "dicom"
    return None, "none"


def infer_view(work: Work) -> View | None:
    """Tell a long-leg AP film from a lateral knee film by its size.

    A standing long-leg film is at least 60 cm tall and much taller than wide; a
    knee film is under 50 cm. Anything else (for example a short film twice as tall as
    wide) is not told apart and gives None.
    """
    rows, cols = work.shape
    height = rows * work.spacing_mm[0]
    width = cols * work.spacing_mm[1]
    if height >= 600.0 and height >= 1.5 * width:
        return "AP"
    if max(height, width) <= 500.0:
        return "LAT"
    return None


def patella_side(work: Work, femur_x: float, joint_y: float) -> float | None:
    """``+1`` or ``-1``: the side of the femoral axis (in ``x``) where the patella (a
    bright bone in front of the distal femur) shows on a lateral film; None if unclear."""
    ys = np.arange(joint_y - 70.0, joint_y - 5.0, 2.0)
    sides = []
    for sign in (1.0, -1.0):
        xs = femur_x + sign * np.arange(30.0, 60.0, 2.0)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        values = work.sample(grid)
        sides.append(float(np.nanmean(values)) if np.isfinite(values).any() else np.nan)
    if not all(np.isfinite(sides)) or abs(sides[0] - sides[1]) < 0.02:
        return None
    return 1.0 if sides[0] > sides[1] else -1.0
