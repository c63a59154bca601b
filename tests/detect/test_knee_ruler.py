"""A cm ruler laid down the film beside the knee is not read as the knee's edge.

On real single-leg crops the ruler runs down the medial edge, a few millimetres from the
knee: its bright edge was taken for the medial condyle's and the plateau's ends, pulling
the knee centres 20-30 mm toward it (alignment.detect.knee.ruler_columns).
"""

from __future__ import annotations

import numpy as np

from alignment.detect._image import Work
from alignment.detect.knee import find_knee, ruler_columns

from .test_column import KNEE_Y, _film

KNEE_X = 110.0
"""Middle of the drawn knee (mm); its condyles and plateau span 70-150 mm."""


def _knee_film(*, ruler: bool) -> Work:
    """One drawn leg on 1 mm pixels, cut 42 mm medial of the knee, with a ruler (16 mm
    wide, cm ticks) 10 mm from the knee's medial edge."""
    film = _film(legs=((KNEE_X, 0.0),), seams=False, ruler=False)[:, :192].copy()
    if ruler:
        film[80:1050, 160:176] += 0.4
        film[80:1050:10, 160:176] += 0.5
    return Work.of(np.clip(film, 0, 1), (1.0, 1.0), coarse_mm=1.0)


def test_the_knee_beside_a_ruler_is_read_on_the_bone():
    work = _knee_film(ruler=True)
    masked = ruler_columns(work)
    assert masked is not None and masked[0] > 150.0  # the ruler, not the knee
    knee = find_knee(work, None, None, KNEE_Y, KNEE_X, masked=masked)
    # unmasked, the condyle's end was read on the ruler's edge (160 mm)
    assert abs(knee.points["distal_femur_b"][0] - 150.0) < 2.0
    assert abs(knee.points["tibial_plateau_b"][0] - 150.0) < 3.0
    assert abs(knee.points["tibial_knee_center"][0] - KNEE_X) < 1.0


def test_a_film_without_a_ruler_masks_nothing():
    assert ruler_columns(_knee_film(ruler=False)) is None
