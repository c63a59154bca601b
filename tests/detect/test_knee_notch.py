"""The bone column's knee centres where the intercondylar notch parts the condyles.

Just above the joint's gap the notch is as dark as the soft tissue on a faint film: the
condyles' outline walked out from a column running down one condyle stopped at the notch,
and, narrower than the plateau's, it was taken for the right one: the knee centres were
placed in the middle of that one condyle (on OAI single-leg crops 20-30 mm lateral of
the notch, HKA 5-14 degrees off; alignment.detect.column.knee_middles).
"""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.column import column_legs, read_column_leg

from .conftest import assert_crop_hka_for_review
from .test_column import KNEE_Y, _film

KNEE_X = 140.0
"""Middle of the drawn knee (mm): condyles 75-205 mm, plateau 77-203 mm (a large knee,
so that one condyle's outline is as wide as the narrowest knee: on the real crops the
limb's soft tissue beside the lateral condyle widened it so)."""


def _notched_film(*, notch: bool) -> np.ndarray:
    """One drawn leg whose femoral shaft enters the knee 22 mm lateral (toward -x) of
    its middle, with (or without) a notch 14 mm wide and 25 mm tall between the
    condyles, as dark as the soft tissue."""
    film = _film(legs=((KNEE_X, 0.0),), seams=False, ruler=False, knee_half_mm=65.0)
    yy, xx = np.mgrid[0 : film.shape[0], 0 : film.shape[1]] + 0.5
    shaft = (yy < KNEE_Y - 8) & (np.abs(xx - KNEE_X) < 14)
    film[shaft] -= 0.35
    film[(yy < KNEE_Y - 40) & (np.abs(xx - (KNEE_X - 22.0)) < 14)] += 0.35
    film[(yy >= KNEE_Y - 40) & (yy < KNEE_Y - 8) & (np.abs(xx - (KNEE_X - 22.0)) < 14)] += 0.1
    if notch:
        film[(yy > KNEE_Y - 27) & (yy < KNEE_Y - 2) & (np.abs(xx - KNEE_X) < 7)] -= 0.35
    film = np.clip(film, 0, 1) + np.random.default_rng(3).normal(0.0, 0.01, film.shape)
    return film.astype(np.float32)


@pytest.mark.parametrize("notch", [False, True])
def test_the_column_knee_is_not_placed_on_one_condyle(notch):
    film = _notched_film(notch=notch)
    legs = column_legs(film, 1.0, max_legs=1)
    assert len(legs) == 1
    read = read_column_leg(film, 1.0, legs[0].column)
    # with the notch, the condyles' outline read 4 mm above the gap is the lateral
    # condyle's alone (75-133 mm), and both centres were put at its middle (104 mm)
    for name in ("femoral_knee_center", "tibial_knee_center"):
        assert read.points[name][0] == pytest.approx(KNEE_X, abs=3.0)
        assert read.points[name][1] == pytest.approx(KNEE_Y, abs=4.0)


@pytest.mark.parametrize("case", ["02279004", "02517201"])
def test_real_crops_knee_is_not_read_on_one_condyle(realfilms, case):
    # OAI single-leg crops whose column ran down the lateral condyle: both knee centres
    # were put in that condyle's middle, 20-30 mm lateral of the notch (HKA -13.6 and
    # -5.4 degrees off OAI's reading)
    assert_crop_hka_for_review(realfilms, case, 5.0)
