"""Bone columns: the coarse stage for real long-leg films (alignment.detect.column).

Drawn films on 1 mm pixels with what real standing films carry: soft tissue around
each bone, cassette seams (a bright line and a step in brightness), grid lines, a
ruler with ticks in the midline. Real films are read where ../shared/realfilms is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from alignment.detect.column import (
    bone_extent,
    bone_map,
    column_legs,
    equalised,
    film_rows,
    joint_gaps,
    read_column_leg,
)

REALFILMS = Path(__file__).resolve().parents[3] / "shared" / "realfilms"

KNEE_Y = 560.0
ANKLE_Y = 1010.0


def _leg(film: np.ndarray, x_knee: float, tilt_deg: float, knee_half_mm: float = 40.0) -> None:
    """Draw one leg whose knee's joint gap is at (x_knee, KNEE_Y) mm, femur leaning
    `tilt_deg` (its top toward -x for positive values), condyles `knee_half_mm` wide
    either side of the knee's middle."""
    rows, cols = film.shape
    yy, xx = np.mgrid[0:rows, 0:cols] + 0.5
    slope = np.tan(np.radians(tilt_deg))
    # soft tissue: a limb 150 mm wide
    film[np.abs(xx - x_knee) < 75] += 0.15
    femur_x = x_knee - slope * (KNEE_Y - yy)
    film[(yy < KNEE_Y - 8) & (np.abs(xx - femur_x) < 14)] += 0.35
    knee = np.abs(xx - x_knee) < knee_half_mm
    film[(yy > KNEE_Y - 40) & (yy < KNEE_Y - 2) & knee] += 0.35
    film[(yy > KNEE_Y + 2) & (yy < KNEE_Y + 40) & (np.abs(xx - x_knee) < knee_half_mm - 2)] += 0.35
    film[(yy > KNEE_Y + 40) & (yy < ANKLE_Y - 3) & (np.abs(xx - x_knee) < 12)] += 0.35
    # distal tibia and malleoli above the ankle's gap, talus below it
    film[(yy > ANKLE_Y - 30) & (yy < ANKLE_Y - 3) & (np.abs(xx - x_knee) < 26)] += 0.1
    film[(yy > ANKLE_Y + 2) & (yy < ANKLE_Y + 30) & (np.abs(xx - x_knee) < 28)] += 0.35


def _film(
    *,
    legs: tuple[tuple[float, float], ...] = ((110.0, 4.0), (290.0, -4.0)),
    seams: bool = True,
    ruler: bool = True,
    flip: bool = False,
    knee_half_mm: float = 40.0,
) -> np.ndarray:
    film = np.full((1100, 400), 0.05, np.float32)
    for x_knee, tilt in legs:
        _leg(film, x_knee, tilt, knee_half_mm)
    if ruler:
        film[80:1050, 192:208] += 0.4
        film[80:1050:10, 192:208] += 0.5  # cm ticks
    if seams:
        film[430:432] += 0.4  # a seam's bright line, near the knee
        film[620:] += 0.05  # and the step between two cassettes
        film[:, ::25] += 0.1  # grid lines
    film = np.clip(film, 0, 1)
    return film[:, ::-1].copy() if flip else film


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seams", [False, True])
def test_two_legs_found_beside_a_ruler(flip, seams):
    film = _film(seams=seams, flip=flip)
    legs = column_legs(film, 1.0)
    assert len(legs) == 2
    shift = np.tan(np.radians(4.0)) * 100.0  # femora lean outward, 100 mm up
    femurs, tibiae = [110.0 - shift, 290.0 + shift], [110.0, 290.0]
    if flip:
        femurs, tibiae = sorted(400.0 - x for x in femurs), sorted(400.0 - x for x in tibiae)
    assert [g.femur.x_at(KNEE_Y - 100.0) for g in legs] == pytest.approx(femurs, abs=3.0)
    assert [g.tibia.x_at(800.0) for g in legs] == pytest.approx(tibiae, abs=3.0)


@pytest.mark.parametrize("seams", [False, True])
def test_knee_and_ankle_read_on_the_column(seams):
    film = _film(seams=seams)
    for leg in column_legs(film, 1.0):
        read = read_column_leg(film, 1.0, leg.column)
        x_knee = 110.0 if leg.x_mm < 200 else 290.0
        fk, tk = read.points["femoral_knee_center"], read.points["tibial_knee_center"]
        assert fk[1] == pytest.approx(KNEE_Y, abs=4.0)
        assert tk[1] == pytest.approx(KNEE_Y, abs=4.0)
        assert fk[0] == pytest.approx(x_knee, abs=3.0)
        assert tk[0] == pytest.approx(x_knee, abs=3.0)
        ankle = read.points["ankle_center"]
        assert ankle == pytest.approx([x_knee, ANKLE_Y], abs=4.0)


def test_the_column_stands_in_for_a_knee_the_fine_stage_misses_beside_whole_runs(
    ap_film, monkeypatch
):
    # a film whose diaphysis runs pair into two whole legs, its knees not read at
    # full resolution (the stitched OAI film with its grey levels raised to the power
    # 1.25): the bone columns were only read where the runs made fewer whole legs, so
    # both knees, and both HKAs, were lost; each column's knee now stands in
    from alignment.detect import core, detect_landmarks

    from .conftest import as_radiograph

    monkeypatch.setattr(core, "_fine_knee", lambda *args, **kwargs: None)
    result = detect_landmarks(as_radiograph(ap_film))
    table = result.landmarks.set_index(["side", "landmark"])
    mm = ap_film.spacing_mm[1]
    for side in ("right", "left"):
        for name in ("femoral_knee_center", "tibial_knee_center"):
            row = table.loc[(side, name)]
            assert row["method"] in ("bone-column", "column-notch") and row["review"]
            truth = np.asarray(ap_film.landmarks[side][name])
            assert np.hypot(*(np.array([row["x"], row["y"]]) - truth)) * mm < 10.0


@pytest.mark.parametrize("scale", [0.8, 1.0, 1.2])
def test_a_wide_knee_read_with_a_spacing_20_percent_off(scale):
    # a knee 110 mm wide (as on the digital OAI long-leg film) read with a spacing
    # 20 % too large or too small, as a film without one is: the knee looks 88-132 mm
    # wide; at 1.2 its outline fell outside the search and beyond the widest knee
    # allowed, and the knee was lost
    film = _film(legs=((140.0, 4.0),), seams=False, ruler=False, knee_half_mm=55.0)
    # film noise: every column of the exposed field is lit (a knee's gap across a
    # film whose only lit columns are the leg's would be taken for a seam)
    film += np.random.default_rng(7).normal(0.0, 0.01, film.shape).astype(np.float32)
    film = ndimage.zoom(film, scale, order=1)
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    read = read_column_leg(film, 1.0, legs[0].column)
    for name in ("femoral_knee_center", "tibial_knee_center"):
        assert read.points[name] == pytest.approx([140.0 * scale, KNEE_Y * scale], abs=4.0)
    assert read.points["ankle_center"] == pytest.approx([140.0 * scale, ANKLE_Y * scale], abs=4.0)


def test_the_ankle_is_the_first_gap_above_a_whole_foot():
    # a film that shows the whole foot: below the talus, a gap as deep as the
    # ankle's (the malleoli overlap the ankle's gap, the foot's bones are dense)
    film = np.full((1150, 400), 0.05, np.float32)
    film[:1100] = _film(legs=((110.0, 4.0),), seams=False, ruler=False)
    yy, xx = np.mgrid[0:1150, 0:400] + 0.5
    film[(yy > 1100) & (np.abs(xx - 110) < 75)] += 0.15  # soft tissue of the foot
    film[(yy > ANKLE_Y - 3) & (yy < ANKLE_Y + 2) & (np.abs(xx - 110) < 26)] += 0.05
    film[(yy > ANKLE_Y + 38) & (yy < ANKLE_Y + 80) & (np.abs(xx - 120) < 40)] += 0.5
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    ankle = read_column_leg(film, 1.0, legs[0].column).points["ankle_center"]
    assert ankle == pytest.approx([110.0, ANKLE_Y], abs=4.0)


def test_a_line_with_no_joint_beside_it_does_not_hide_the_ankle():
    # the whole foot on a bright positioning plate: the dark line between the sole and
    # the plate is far deeper than any joint, but the plate below it is wider than an
    # ankle, so it is no joint and must not set how deep the ankle's gap has to be
    # (it did: the subtalar gap was taken for the ankle)
    film = np.full((1150, 400), 0.05, np.float32)
    film[:1100] = _film(legs=((110.0, 4.0),), seams=False, ruler=False)
    yy, xx = np.mgrid[0:1150, 0:400] + 0.5
    foot = np.abs(xx - 110) < 70
    film[(yy > 1100) & (np.abs(xx - 110) < 75)] += 0.15  # soft tissue of the foot
    film[(yy > ANKLE_Y - 3) & (yy < ANKLE_Y + 2) & (np.abs(xx - 110) < 26)] += 0.05
    film[(yy > ANKLE_Y + 38) & (yy < ANKLE_Y + 80) & (np.abs(xx - 120) < 40)] += 0.5
    film[(yy > 1100) & foot] += 0.8  # the plate
    film[(yy > 1092) & (yy < 1100) & foot] = 0.0  # air under the sole
    legs = column_legs(np.clip(film, 0, 1), 1.0)
    assert len(legs) == 1
    read = read_column_leg(np.clip(film, 0, 1), 1.0, legs[0].column)
    assert read.points["ankle_center"] == pytest.approx([110.0, ANKLE_Y], abs=4.0)
    # the subtalar gap is kept as the next candidate, below the ankle
    assert [a[1] for a in read.ankles] == pytest.approx([ANKLE_Y, ANKLE_Y + 34], abs=4.0)


def test_the_ankle_above_the_lowest_seventh_of_a_film_with_the_feet_on_a_board():
    # a film that shows the feet on a positioning board: the ankle joint lies at 81 %
    # of the film's height, above where the search for it used to start (86 %), and
    # the board's edges in the foot were read as the ankle
    film = np.full((1250, 400), 0.05, np.float32)
    film[:1100] = _film(legs=((110.0, 4.0),), seams=False, ruler=False)
    yy, xx = np.mgrid[0:1250, 0:400] + 0.5
    film[(yy > 1100) & (np.abs(xx - 110) < 75)] += 0.15  # soft tissue of the foot
    film[(yy > ANKLE_Y + 2) & (yy < 1160) & (np.abs(xx - 110) < 35)] += 0.35  # tarsus
    film[yy > 1160] += 0.6  # the board, across the film
    film[(yy > 1150) & (yy < 1160) & (np.abs(xx - 110) < 70)] = 0.0  # air under the sole
    film = np.clip(film, 0, 1)
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    read = read_column_leg(film, 1.0, legs[0].column)
    assert read.points["ankle_center"] == pytest.approx([110.0, ANKLE_Y], abs=4.0)


def test_one_leg_crop_padded_with_black_rows():
    film = _film(legs=((70.0, 3.0),), ruler=False)[:, :180]
    padded = np.zeros((1300, 180), np.float32)
    padded[100:1200] = film
    assert film_rows(padded) == (100, 1199)
    legs = column_legs(padded, 1.0)
    assert len(legs) == 1
    read = read_column_leg(padded, 1.0, legs[0].column)
    assert read.points["femoral_knee_center"][1] == pytest.approx(KNEE_Y + 100.0, abs=4.0)


def _faint_crop() -> np.ndarray:
    """A single-leg crop as the OAI crops are: soft tissue out to both cut edges, a
    faint bone (a low-resolution JPEG), the pelvis a brightness ramp rising toward the
    femoral head, black rows above and below; the knee's gap at KNEE_Y + 70."""
    rows, cols = 1100, 150
    yy, xx = np.mgrid[0:rows, 0:cols] + 0.5
    film = np.full((rows, cols), 0.3, np.float32)
    x_knee = 70.0
    femur_x = x_knee - np.tan(np.radians(5.0)) * (KNEE_Y - yy)
    bone = (yy > 300) & (yy < KNEE_Y - 8) & (np.abs(xx - femur_x) < 13)
    bone |= (yy > KNEE_Y - 40) & (yy < KNEE_Y - 2) & (np.abs(xx - x_knee) < 40)
    bone |= (yy > KNEE_Y + 2) & (yy < KNEE_Y + 40) & (np.abs(xx - x_knee) < 38)
    bone |= (yy > KNEE_Y + 40) & (yy < ANKLE_Y - 3) & (np.abs(xx - x_knee) < 11)
    bone |= (yy > ANKLE_Y + 2) & (yy < ANKLE_Y + 30) & (np.abs(xx - x_knee) < 28)
    film[bone] += 0.05
    pelvis = yy < 300
    film[pelvis] += (0.15 + 0.002 * xx)[pelvis]
    film += np.random.default_rng(0).normal(0.0, 0.01, film.shape).astype(np.float32)
    padded = np.zeros((1250, cols), np.float32)
    padded[70:1170] = np.clip(film, 0, 1)
    return padded


def test_a_faint_crop_whose_pelvis_outweighs_its_shafts_is_a_leg():
    # the column's mean bone-ness over its whole length is below zero (the pelvis and
    # the knee are no ridges); over its diaphyses it is above: the leg is found (on
    # main it was not, and 15 OAI crops lost their knee, tibia and ankle)
    film = _faint_crop()
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    shift = np.tan(np.radians(5.0)) * 160.0
    assert legs[0].femur.x_at(KNEE_Y + 70.0 - 160.0) == pytest.approx(70.0 - shift, abs=3.0)
    assert legs[0].tibia.x_at(ANKLE_Y - 100.0) == pytest.approx(70.0, abs=3.0)
    read = read_column_leg(film, 1.0, legs[0].column)
    assert read.points["femoral_knee_center"] == pytest.approx([70.0, KNEE_Y + 70.0], abs=4.0)
    assert read.points["ankle_center"] == pytest.approx([70.0, ANKLE_Y + 70.0], abs=4.0)


def test_square_films_and_noise_give_no_column():
    rng = np.random.default_rng(3)
    assert column_legs(rng.random((900, 300)).astype(np.float32), 1.0) == []
    assert column_legs(_film()[:400], 1.0) == []  # wider than tall: no long-leg film
    assert column_legs(np.zeros((900, 300), np.float32), 1.0) == []


def test_a_ridge_scores_and_a_limb_outline_does_not():
    film = np.full((60, 300), 0.05, np.float32)
    film[:, 60:240] = 0.3  # a limb against air: two steps
    film[:, 135:163] = 0.7  # its bone
    ridge = bone_map(film, 1.0)[30]
    assert abs(int(np.argmax(ridge)) - 149) <= 1
    assert ridge[60:75].max() <= 0 and ridge[225:240].max() <= 0


def test_joint_gap_profile_and_bone_extent():
    profile = np.r_[np.full(30, 0.8), 0.6, 0.3, 0.6, np.full(30, 0.7)]
    depth = joint_gaps(profile, 1.0)
    assert int(np.argmax(depth)) == 31
    assert np.isneginf(depth[:5]).all()
    rows = np.full((5, 300), 0.2, np.float32)
    rows[:, 100:180] = 0.9
    assert bone_extent(rows, 1.0, 2.5, 140.0) == (100.0, 180.0)
    assert bone_extent(rows, 1.0, 50.0, 140.0) is None  # off the film


def test_equalised_removes_a_seam_line():
    film = _film(seams=True)
    flat = equalised(film, 1.0)
    seam = flat[430:432, 20:60].mean()
    around = flat[420:428, 20:60].mean()
    assert abs(seam - around) < 0.05


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_equalised_takes_a_line_off_no_pixel_beyond_its_own_departure(sign):
    # a grid line of a digitised film, strong over the soft tissue and faint over the
    # bone: taken off at its film-wide strength it would dig a valley across the bone
    # (a false joint gap); each pixel loses only what it departs from its column
    film = np.full((120, 200), 0.3, np.float32)
    film[:, 80:130] = 0.8  # a shaft
    film[60, :] += sign * 0.12
    film[60, 80:130] = 0.8 + sign * 0.01
    flat = equalised(film, 1.0)
    assert np.abs(flat[60] - flat[56]).max() < 0.02
    bone = flat[50:71, 95:115].mean(axis=1)
    assert np.ptp(bone) < 0.02


@pytest.mark.skipif(not REALFILMS.is_dir(), reason="no real films at ../shared/realfilms")
@pytest.mark.parametrize("name, spacing", [("01924704_1x1.jpg", 0.763)])
def test_real_long_leg_films_knees(name, spacing):
    """Knee centres read on the columns of a real digital film lie near the
    reference's (a regression guard: on the stitched CR film and the thumbnail some
    knees are still read at a seam or a wrong gap; docs/detect.md has the figures)."""
    from alignment.detect._image import Work
    from alignment.io import read_radiograph

    radiograph = read_radiograph(REALFILMS / "longleg" / name, spacing_mm=spacing)
    work = Work.of(np.asarray(radiograph.pixels), (spacing, spacing), coarse_mm=1.0)
    legs = column_legs(work.coarse, 1.0)
    assert len(legs) == 2
    reference = pd.read_csv(REALFILMS / "reference_landmarks.csv")
    reference = reference[
        (reference.image == f"longleg/{name}") & (reference.landmark == "tibial_knee_center")
    ]
    truth = reference[["x", "y"]].to_numpy() * spacing
    found = [read_column_leg(work.coarse, 1.0, g.column).points for g in legs]
    tibial = [p["tibial_knee_center"] for p in found if "tibial_knee_center" in p]
    assert tibial, "no tibial knee centre read"
    for point in tibial:
        assert np.min(np.linalg.norm(truth - point, axis=1)) < 12.0
