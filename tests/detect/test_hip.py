"""The femoral head (alignment.detect.hip) and where the long-leg stage looks for it
(alignment.detect.core): drawn hips on 1 mm pixels with what real films put around a
head: an acetabular rim arc above it, a bright iliac crest, the obturator foramen.
"""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect import core
from alignment.detect.hip import find_head_coarse, rim_polarity
from alignment.detect.shaft import ShaftAxis

HEAD = np.array([150.5, 150.5])
HEAD_R = 24.0
SHAFT_TOP = np.array([110.0, 230.0])


def _hip(*, rim: bool = True, crest: bool = True, foramen: bool = True) -> np.ndarray:
    """A right hip seen AP on 1 mm pixels (medial toward +x): femoral head, neck and
    shaft, and around them the pelvis' outlines that also draw circles."""
    yy, xx = np.mgrid[0:400, 0:260] + 0.5
    film = np.full(yy.shape, 0.2)
    film[np.hypot(xx - HEAD[0], yy - HEAD[1]) < HEAD_R] = 0.7
    # neck down and laterally to the shaft, shaft down the film
    t = np.clip(((xx - HEAD[0]) * -0.6 + (yy - HEAD[1]) * 0.8) / 1.0, 0, 100)
    neck = np.hypot(xx - (HEAD[0] - 0.6 * t), yy - (HEAD[1] + 0.8 * t)) < 14
    film[neck & (yy > HEAD[1])] = 0.65
    film[(yy > 210) & (np.abs(xx - SHAFT_TOP[0]) < 15)] = 0.65
    if rim:
        # the acetabular roof: a bright arc of bone over the head, wider than it
        ring = np.abs(np.hypot(xx - HEAD[0], yy - HEAD[1] + 18) - 40) < 4
        film[ring & (yy < HEAD[1] - 10)] = 0.75
    if crest:
        # the iliac crest: a bright round outline high above the hip
        film[np.abs(np.hypot(xx - 130, yy - 75) - 30) < 3] = 0.9
    if foramen:
        # the obturator foramen: a dark hole in bright bone, below and medial
        film[(np.abs(xx - 215) < 30) & (np.abs(yy - 215) < 35)] = 0.6
        film[np.hypot(xx - 215, yy - 215) < 20] = 0.15
    return film.astype(np.float32)


def _axis(top: np.ndarray, lean_deg: float) -> ShaftAxis:
    """A femoral shaft axis from `top` down the film, leaning `lean_deg` (its lower
    end toward +x for positive values)."""
    d = np.array([np.sin(np.radians(lean_deg)), np.cos(np.radians(lean_deg))])
    return ShaftAxis(top + 150 * d, d, 0.5, 20, 20, 28.0, 1.0, float(top[1]), float(top[1]) + 300)


def test_a_head_is_bright_inside_its_rim_and_a_foramen_is_not():
    film = _hip()
    assert rim_polarity(film, 1.0, HEAD, HEAD_R) >= 0.6
    assert rim_polarity(film, 1.0, np.array([215.0, 215.0]), 20.0) == 0.0


@pytest.mark.parametrize("parts", [{}, {"rim": False}, {"crest": False, "foramen": False}])
def test_the_head_wins_over_the_rim_the_crest_and_the_foramen(parts):
    film = _hip(**parts)
    circles = find_head_coarse(film, 1.0, SHAFT_TOP, medial_x=1.0, direction=np.array([-0.1, 1.0]))
    centre, radius, _ = circles[0]
    assert np.hypot(*(centre - HEAD)) <= 3.0
    assert abs(radius - HEAD_R) <= 3.0


def test_a_search_box_holds_the_circles_found():
    film = _hip()
    box = (np.array([0.0, 0.0]), np.array([260.0, 110.0]))  # above the head
    circles = find_head_coarse(film, 1.0, SHAFT_TOP, medial_x=1.0, within=box)
    assert circles
    assert all(np.all((box[0] <= c) & (c <= box[1])) for c, _, _ in circles)
    assert all(np.hypot(*(c - HEAD)) > 20 for c, _, _ in circles)


@pytest.mark.parametrize("lean", [-9.0, -4.0, 4.0, 9.0])
def test_the_medial_side_from_the_femoral_lean(lean):
    # the femoral shaft runs down toward the medial side
    assert core._medial_from_lean(_axis(np.array([100.0, 0.0]), lean)) == np.sign(lean)


def test_a_shaft_near_the_vertical_tells_no_side():
    assert core._medial_from_lean(_axis(np.array([100.0, 0.0]), 1.0)) is None


def test_the_femur_length_prior_prefers_the_head_to_the_iliac_crest():
    # a leg of tibia 360 mm: the head lies about 1.2 x 360 mm above the knee, on the
    # mechanical axis; a circle of the pelvis on the axis 50 mm above it ranks below
    # it even with twice the votes, the iliac crest higher still and the trochanter
    # beside the axis are dropped
    knee = np.array([300.0, 800.0])
    centres = {
        "femoral_knee_center": knee,
        "tibial_knee_center": knee + [0.0, 5.0],
        "ankle_center": knee + [0.0, 365.0],
    }
    fa = _axis(np.array([260.0, 420.0]), 6.0)
    up = core._mechanical_directions(fa, 1.0)[0]
    head = knee + 432.0 * up
    pelvis = knee + 482.0 * up
    crest = knee + 560.0 * up
    trochanter = knee + 400.0 * up + np.array([-45.0, 0.0])
    circles = [(c, 24.0, 1.0) for c in (pelvis, crest, trochanter)] + [(head, 24.0, 0.5)]
    ranked = core._on_mechanical_axis(circles, centres, fa, 1.0)
    assert [tuple(c) for c, _, _ in ranked] == [tuple(head), tuple(pelvis)]
    low, high = core._head_region(centres, fa, 1.0)
    assert np.all((low <= head) & (head <= high))


@pytest.mark.parametrize("below_run_top", [-60.0, -20.0, 0.0])
def test_a_head_beside_a_run_that_reaches_the_neck_is_plausible(below_run_top):
    # a diaphysis run read on a real film may reach up through the trochanters to the
    # head's level: the head, 45 mm medial of the axis, stays a candidate (it was
    # dropped unless 40 mm above the run); the ischium further medial, the greater
    # trochanter lateral, a round outline on the shaft and a circle on the neck below
    # the run's top never are
    head = np.array([155.0, 150.0])
    fa = _axis(np.array([110.0, 150.0 - below_run_top]), 0.0)
    film = (400.0, 260.0)
    assert core._head_plausible(head, 24.0, fa, 1.0, film)
    for other in ([200.0, 150.0], [85.0, 150.0], [112.0, 150.0]):
        assert not core._head_plausible(np.array(other), 20.0, fa, 1.0, film)
    low = head + [0.0, 45.0 - below_run_top]
    assert not core._head_plausible(low, 24.0, fa, 1.0, film)


def test_without_the_medial_side_a_circle_level_with_the_run_is_refused():
    # the greater trochanter, lateral and level with the run's top, cannot be told
    # from the head by its side when the side is not known: only a circle well above
    # the run is taken then (a trochanter taken for the head gave the wrong side)
    fa = _axis(np.array([110.0, 150.0]), 0.0)
    film = (400.0, 260.0)
    trochanter = np.array([75.0, 150.0])
    assert not core._head_plausible(trochanter, 20.0, fa, None, film)
    assert core._head_plausible(trochanter - [0.0, 45.0], 20.0, fa, None, film)
    assert core._head_plausible(np.array([155.0, 150.0]), 24.0, fa, 1.0, film)
