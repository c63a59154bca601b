"""A spacing for a long-leg film without one, from the width of its femoral shafts.

A film exported without a pixel spacing, and showing no ruler or calibration sphere,
is read at an assumed spacing. The film's size alone (a long-leg cassette about
1.2 m tall) is wrong by 10-25 % on a film cropped or padded after the exposure. The
femoral diaphysis is on every long-leg film and varies far less: its mid-shaft
mediolateral breadth is about 24-28 mm in adults (women about 25, men about 27.5),
magnified 1.05-1.2 on a standing film. Its width in pixels, read by the diaphysis
runs and their full-resolution cortical edges (:mod:`.legs`, :mod:`.shaft`) at the
film-size spacing, gives the spacing: :data:`FEMUR_SHAFT_MM` over that width.

It is an estimate from a population, not a measurement (about +-10 % on one adult):
detection uses it, but the spacing stays ``assumed`` and no length is reported.

Examples
--------
A film without a femoral shaft keeps its film-size spacing:

>>> import numpy as np
>>> print(spacing_from_femur(np.zeros((1200, 400), np.float32), prior_mm=1.0))
None
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignment.detect._image import Work
from alignment.detect.legs import pair_legs, shaft_candidates, shaft_segments
from alignment.detect.shaft import refine_shaft

__all__ = ["FEMUR_SHAFT_MM", "femoral_shaft_widths_px", "spacing_from_femur"]

FEMUR_SHAFT_MM = 27.0
"""Width of the femoral diaphysis on a standing long-leg film, mm: an adult
mid-shaft mediolateral breadth of about 26 mm (24-28) magnified about 1.1, less about
1 mm for the cortical edges read where the gradient peaks, inside the outline of a
round shaft."""

MIN_SHAFT_PX = 12.0
"""Narrowest femoral shaft (pixels) whose width gives a spacing: below it the two
blurred cortical edges (about a pixel each) bias the width by more than 15 %."""

PRIOR_RANGE = (0.8, 1.3)
"""Range of the femur's spacing as a share of the film-size prior (a long-leg film
1.2 m tall): the film is then 0.96-1.56 m tall in rows, black padding of an export
included; a femur read beyond is clipped to the range (a misread shaft)."""


def femoral_shaft_widths_px(pixels: NDArray[Any], prior_mm: float) -> list[float]:
    """Widths (pixels) of the femoral diaphyses of a long-leg AP film.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)
        The film, bone bright.
    prior_mm : float
        A spacing to read it at (mm per pixel; within about 25 % of the true one).

    Returns
    -------
    list of float
        The median outer width of each femoral diaphysis found (one per leg, read at
        full resolution over the middle 90 % of its run), pixels; empty if none.
    """
    work = Work.of(pixels, (prior_mm, prior_mm), coarse_mm=1.0)
    air = float(np.percentile(work.coarse, 3)) + 0.04
    segments = shaft_segments(shaft_candidates(work.coarse, work.coarse_mm, air_level=air))
    widths: list[float] = []
    for leg in pair_legs(segments):
        femur = leg.femur
        if femur is None:
            continue
        margin = 0.05 * femur.length_mm
        fine = refine_shaft(
            work,
            femur.centre,
            femur.direction,
            top=femur.top + margin,
            bottom=femur.bottom - margin,
            width_mm=femur.width_mm,
        )
        if fine is not None:
            widths.append(fine.width_mm / prior_mm)
    return widths


def spacing_from_femur(pixels: NDArray[Any], *, prior_mm: float) -> float | None:
    """The spacing (mm per pixel) that gives the femoral shafts their adult width.

    Parameters
    ----------
    pixels : numpy.ndarray, shape (m, n)
        A long-leg AP film, bone bright.
    prior_mm : float
        The spacing assumed from the film's size, mm per pixel.

    Returns
    -------
    float or None
        ``FEMUR_SHAFT_MM`` over the median femoral width in pixels, clipped to
        :data:`PRIOR_RANGE` times `prior_mm`; None when no femoral shaft is found at
        least :data:`MIN_SHAFT_PX` wide.
    """
    widths = femoral_shaft_widths_px(pixels, prior_mm)
    if not widths or float(np.median(widths)) < MIN_SHAFT_PX:
        return None
    spacing = FEMUR_SHAFT_MM / float(np.median(widths))
    return float(np.clip(spacing, PRIOR_RANGE[0] * prior_mm, PRIOR_RANGE[1] * prior_mm))
