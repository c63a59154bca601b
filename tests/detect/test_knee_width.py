"""A knee read at full resolution is a knee only where the bone above its condyles is
as wide as a distal femur over the femoral shaft (alignment.detect.column.condyles_wide):
on crops whose femoral and tibial runs split above the joint, the fine reader found
"condyles" on the distal femoral shaft (the soft tissue's outline beside it)."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect._image import Work
from alignment.detect.column import condyles_wide, equalised
from alignment.detect.knee import find_knee

from .test_column import KNEE_Y, _film

SHAFT_MM = 28.0
"""Width of the drawn femoral shaft (test_column._leg)."""


def _contacts(y: float) -> tuple[np.ndarray, np.ndarray]:
    """Condylar contacts 44 mm apart around the drawn knee (x 200 mm) at `y`."""
    return np.array([178.0, y]), np.array([222.0, y])


@pytest.mark.parametrize("tilt", [0.0, 4.0])
def test_the_knee_is_wide_and_the_shaft_above_it_is_not(tilt):
    film = equalised(_film(seams=False, ruler=False, legs=((200.0, tilt),)), 1.0)
    shift = np.tan(np.radians(tilt)) * 102.0  # the shaft's axis 102 mm above the gap
    assert condyles_wide(film, 1.0, _contacts(KNEE_Y - 2.0), 200.0, SHAFT_MM)
    # the same reading 90 mm higher, on the shaft, is no knee
    assert not condyles_wide(film, 1.0, _contacts(KNEE_Y - 92.0), 200.0 - shift, SHAFT_MM)


def _knee_beside_a_ruler(ruler: bool) -> np.ndarray:
    """A drawn AP knee on 0.5 mm pixels (joint gap at y 100 mm, centre x 100 mm, condyles
    80 mm wide with their lowest points at x 78 and 122 mm), a cm ruler with mm ticks
    and digits down the film 6 mm beside its medial side when `ruler`."""
    mm = 0.5
    yy, xx = (np.mgrid[0:400, 0:360] + 0.5) * mm
    film = np.full(yy.shape, 0.25, np.float32)
    film[np.abs(xx - 100.0) < 60.0] += 0.1  # soft tissue
    # two condyles, round below, and the shaft above them
    for cx in (78.0, 122.0):
        film[(np.hypot(xx - cx, np.maximum(yy - 80.0, 0.0) * 1.5) < 20.0) & (yy < 98.0)] += 0.4
    film[(np.abs(xx - 100.0) < 14.0) & (yy < 85.0)] += 0.4
    film[(np.abs(xx - 100.0) < 40.0) & (yy > 70.0) & (yy < 90.0)] = 0.75
    film[(np.abs(xx - 100.0) < 38.0) & (yy > 102.0) & (yy < 140.0)] += 0.4  # tibia
    film[(np.abs(xx - 100.0) < 13.0) & (yy >= 140.0)] += 0.4
    if ruler:
        strip = (xx > 146.0) & (xx < 160.0)
        film[strip] = 0.15
        film[strip & ((yy % 10.0) < 1.0)] = 0.95  # cm ticks
        film[strip & ((yy % 1.0) < 0.5) & (xx < 150.0)] = 0.9  # mm ticks
        film[strip & ((yy % 10.0) > 4.0) & ((yy % 10.0) < 7.0) & (xx > 152.0)] = 0.9
    return np.clip(film, 0.0, 1.0)


@pytest.mark.parametrize("ruler", [False, True])
def test_a_ruler_beside_the_knee_is_not_a_condyle(ruler):
    work = Work.of(_knee_beside_a_ruler(ruler), (0.5, 0.5), coarse_mm=1.0)
    knee = find_knee(work, None, None, 100.0, 100.0)
    contacts = sorted(float(knee.points[n][0]) for n in ("distal_femur_a", "distal_femur_b"))
    assert contacts == pytest.approx([78.0, 122.0], abs=4.0)
    assert knee.points["femoral_knee_center"][0] == pytest.approx(100.0, abs=3.0)
