"""Something bright beside the knee is not read as the knee's edge.

On real single-leg crops a cm ruler runs down the medial edge, a few millimetres from the
knee: its bright edge was taken for the medial condyle's and the plateau's ends, pulling
the knee centres 20-30 mm toward it (alignment.detect.knee.ruler_columns); the bone
column's outline of the plateau ran on into it (alignment.detect.column.knee_middles).
"""

from __future__ import annotations

import numpy as np

from alignment.detect._image import Work
from alignment.detect.column import column_legs, read_column_leg
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
    bare = find_knee(_knee_film(ruler=False), None, None, KNEE_Y, KNEE_X)
    # unmasked, the medial condyle's contact was read on the ruler's edge (165 mm);
    # masked, the condyles are touched where the film without a ruler touches them,
    # symmetric about the knee's middle
    assert abs(knee.points["distal_femur_b"][0] - bare.points["distal_femur_b"][0]) < 1.0
    contacts = knee.points["distal_femur_a"][0] + knee.points["distal_femur_b"][0]
    assert abs(0.5 * contacts - KNEE_X) < 1.0
    assert abs(knee.points["tibial_plateau_b"][0] - 150.0) < 3.0
    assert abs(knee.points["tibial_knee_center"][0] - KNEE_X) < 1.0


def test_a_film_without_a_ruler_masks_nothing():
    assert ruler_columns(_knee_film(ruler=False)) is None


def test_the_column_knee_is_not_pulled_toward_something_bright_beside_the_plateau():
    film = _film(legs=((140.0, 0.0),), seams=False, ruler=False)
    # a bright band (a ruler's edge, its numbers) against the plateau's medial side
    film[int(KNEE_Y) + 2 : int(KNEE_Y) + 12, 178:196] += 0.35
    film = np.clip(film, 0, 1) + np.random.default_rng(7).normal(0.0, 0.01, film.shape)
    legs = column_legs(film.astype(np.float32), 1.0, max_legs=1)
    read = read_column_leg(film.astype(np.float32), 1.0, legs[0].column)
    # the plateau's outline reads 102-196 mm (its middle 149), the condyles' 100-180
    for name in ("femoral_knee_center", "tibial_knee_center"):
        assert abs(read.points[name][0] - 140.0) < 2.0
