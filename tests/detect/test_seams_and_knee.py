"""Seams across the film, joints never read on them, and the knee's own sanity checks
(alignment.detect.legs.film_seams, alignment.detect.column, alignment.detect.knee).

Drawn films on 1 mm pixels; real OAI crops where ../shared/realfilms is (skipped
otherwise).
"""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.column import Column, _joints, column_legs, read_column_leg
from alignment.detect.knee import _knee_plausible
from alignment.detect.legs import film_seams, near_seam

from .conftest import eval_real
from .test_column import ANKLE_Y, KNEE_Y, _film


def test_seams_are_the_lines_and_steps_across_the_film_not_its_joints():
    film = _film()  # a bright seam line at 430 mm, a cassette step at 620 mm
    seams = film_seams(film, 1.0)
    assert near_seam(np.array([431.0, 620.0]), seams).all()
    # the knees' and the ankles' gaps darken the bones only, the vertical grid lines
    # and the ruler run along the film
    assert not near_seam(np.array([KNEE_Y, ANKLE_Y, 300.0, 800.0]), seams).any()


def test_a_blank_or_tiny_film_has_no_seam():
    assert film_seams(np.zeros((100, 50), np.float32), 1.0).size == 0
    assert film_seams(np.ones((4, 50), np.float32), 1.0).size == 0


def _crop_with_a_dark_seam() -> tuple[np.ndarray, Column]:
    """A single-leg crop as narrow as the OAI crops (the soft tissue beside the knee,
    where a seam would show, is off the film), its bones faint (a low-resolution
    JPEG: the limb's outline, not the bone's, sets where it ends), with a dark seam
    line across it 40 mm below the knee's gap."""
    rows, cols = 1000, 110
    yy, xx = np.mgrid[0:rows, 0:cols] + 0.5
    film = np.full((rows, cols), 0.05, np.float32)
    film[:, 8:105] = 0.3  # the limb, air beside it
    bone = (yy < KNEE_Y - 2) & (np.abs(xx - 56) < 13)
    bone |= (yy > KNEE_Y - 40) & (yy < KNEE_Y - 2) & (np.abs(xx - 56) < 40)
    bone |= (yy > KNEE_Y + 2) & (yy < KNEE_Y + 40) & (np.abs(xx - 56) < 38)
    bone |= (yy > KNEE_Y + 40) & (np.abs(xx - 56) < 11)
    film[bone] += 0.05
    film[int(KNEE_Y) + 40 : int(KNEE_Y) + 42] -= 0.1
    ys = np.arange(0.5, rows, 3.0)
    return film, Column(ys, np.full(ys.size, 56.0), np.ones(ys.size))


def test_a_seam_is_never_read_as_the_knee():
    film, column = _crop_with_a_dark_seam()
    span, widths, sides = (KNEE_Y - 100.0, KNEE_Y + 100.0), (55.0, 130.0), (-1.0, 1.0)
    # without the seams known, the seam is the deepest gap with bone above and below
    unaware = _joints(film, 1.0, column, span, widths, sides)
    assert unaware[0][0] == pytest.approx(KNEE_Y + 41.0, abs=2.0)
    found = _joints(film, 1.0, column, span, widths, sides, seams=film_seams(film, 1.0))
    assert found[0][0] == pytest.approx(KNEE_Y, abs=2.0)


@pytest.mark.parametrize("apart", [12.0, 18.0, 24.0])
def test_no_knee_is_read_between_two_seams_closer_than_a_joints_reach(apart):
    # a stitched film's cassette overlap: two bright lines across the film `apart`
    # mm, over the tibia's metaphysis; the level between them is darker than both,
    # with wide bone above and below, and deeper than the faint joint
    film, column = _crop_with_a_dark_seam()
    film[int(KNEE_Y) + 40 : int(KNEE_Y) + 42] += 0.1  # no dark seam this time
    first = int(KNEE_Y) + 10
    for y in (first, first + int(apart)):
        film[y : y + 2] += 0.3
    span, widths, sides = (KNEE_Y - 100.0, KNEE_Y + 100.0), (55.0, 130.0), (-1.0, 1.0)
    unaware = _joints(film, 1.0, column, span, widths, sides)
    assert first + 2 < unaware[0][0] < first + apart  # the seams' own gap
    found = _joints(film, 1.0, column, span, widths, sides, seams=film_seams(film, 1.0))
    assert found[0][0] == pytest.approx(KNEE_Y, abs=2.0)


def _bilateral_film_with_a_line(y_lines: tuple[int, ...]) -> np.ndarray:
    """Two legs on a film wide enough to show the soft tissue beside each knee, bright
    lines 2 mm thick across the whole film at `y_lines` (mm), and film noise (every
    column of the exposed field lit)."""
    film = _film(seams=False)
    for y in y_lines:
        film[y : y + 2] += 0.15
    film += np.random.default_rng(3).normal(0.0, 0.005, film.shape).astype(np.float32)
    return np.clip(film, 0.0, 1.0)


@pytest.mark.parametrize("offset", [-2, 0, 1])
def test_a_knee_on_a_grid_line_is_read_where_the_soft_tissue_shows_no_line(offset):
    # a stitched film's grid line across the knee's gap (the knee of a development
    # film's right leg lay on one): the soft tissue beside the knee shows that the
    # gap is the joint's, not the line's; the gap was dropped as near a seam and the
    # knee read 20 mm low, on the tibia
    film = _bilateral_film_with_a_line((int(KNEE_Y) + offset,))
    seams = film_seams(film, 1.0)
    assert near_seam(np.array(KNEE_Y), seams)
    for leg in column_legs(film, 1.0):
        read = read_column_leg(film, 1.0, leg.column, seams=seams)
        assert read.points["femoral_knee_center"][1] == pytest.approx(KNEE_Y, abs=4.0)
        assert read.points["tibial_knee_center"][1] == pytest.approx(KNEE_Y, abs=4.0)


def test_two_lines_across_a_wide_film_are_no_knee():
    # the cassette overlap's two lines below the knee: their gap crosses the soft
    # tissue too, so it stays unread though the flanks are on the film
    apart, first = 18, int(KNEE_Y) + 10
    film = _bilateral_film_with_a_line((first, first + apart))
    seams = film_seams(film, 1.0)
    for leg in column_legs(film, 1.0):
        read = read_column_leg(film, 1.0, leg.column, seams=seams)
        assert read.points["femoral_knee_center"][1] == pytest.approx(KNEE_Y, abs=4.0)


def _knee(*, tibial: tuple[float, float], plateau_mm: float) -> dict[str, np.ndarray]:
    """A knee's points as find_knee names them: condyles' lowest points 45 mm apart at
    y = 100 mm, the notch's apex 12 mm above, a plateau `plateau_mm` wide under it."""
    half = plateau_mm / 2
    return {
        "distal_femur_a": np.array([77.5, 100.0]),
        "distal_femur_b": np.array([122.5, 100.0]),
        "femoral_knee_center": np.array([100.0, 88.0]),
        "tibial_knee_center": np.array(tibial),
        "tibial_plateau_a": np.array([100.0 - half, 104.0]),
        "tibial_plateau_b": np.array([100.0 + half, 104.0]),
    }


def test_a_knee_whose_parts_face_each_other_is_kept():
    assert _knee_plausible(_knee(tibial=(101.0, 95.0), plateau_mm=70.0))
    # a unicompartmental tray covers one compartment
    assert _knee_plausible(_knee(tibial=(101.0, 95.0), plateau_mm=25.0))
    # missing parts leave nothing to compare
    assert _knee_plausible({"distal_femur_a": np.array([0.0, 0.0])})


@pytest.mark.parametrize(
    ("tibial", "plateau_mm"),
    [
        ((101.0, 95.0), 14.0),  # a seam's line under one condyle taken for a tray
        ((125.0, 95.0), 70.0),  # the tibial centre 25 mm off the notch
        ((100.0, 123.0), 70.0),  # 35 mm below the notch's apex
        ((100.0, 80.0), 70.0),  # above it
    ],
)
def test_a_knee_read_on_something_else_is_dropped(tibial, plateau_mm):
    assert not _knee_plausible(_knee(tibial=tibial, plateau_mm=plateau_mm))


# OAI single-leg crops whose leg was found only as a head and a short femoral run (no
# knee, no tibia, no ankle), or not at all, though the whole leg is on the film
LOST_CROPS = ("02279701", "02138404", "02194104", "02361103", "02293501", "02595203")
WRONG_HEAD_CROP = "02595203"
FOUND_WHOLE = ("femoral_knee_center", "tibial_knee_center", "tibial_shaft_proximal")


def test_real_crops_found_whole(realfilms):
    films = eval_real.find_films(realfilms, only=[f"crops/images/{n}" for n in LOST_CROPS])
    if len(films) != len(LOST_CROPS):
        pytest.skip("some of the crops are absent")
    errors = []
    for film in films:
        record = eval_real.evaluate_film(film)
        placed = {point["landmark"] for point in record["detected"]}
        assert set(FOUND_WHOLE) <= placed, film.key
        if film.key.endswith(WRONG_HEAD_CROP + "_1x1.jpg"):
            # its head is taken off the femur (a failure of the head's reader): read at the femur's
            # spacing its ankle passes the length check and its HKA, given, is wrong,
            # so the leg must not be ok (review, or incomplete where a point is unsure)
            assert record["legs"]["right"]["status"] in {"review", "incomplete"}
            continue
        errors += [m["error"] for m in record["measures"] if m["measure"] == "hka"]
    measured = [abs(e) for e in errors if e is not None]
    assert len(measured) >= 5
    # the run fix finds these legs whole; their HKA then carries the other readers'
    # errors (0.5-2.7 deg with the anatomical spacing, the ruler mask and the joint line)
    assert np.median(measured) <= 1.5
    assert max(measured) <= 3.0
