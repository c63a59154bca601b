"""The ankle read on a bone column (alignment.detect.column), on films that show the
foot: stitched long-leg films end on a positioning board under the feet.

Drawn films on 1 mm pixels (:func:`.test_column._film`); real films are read where the
folder of real films is.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from alignment.detect import detect_landmarks
from alignment.detect.column import ColumnLeg, bone_contrast, column_legs, read_column_leg
from alignment.detect.core import _column_ankle
from alignment.io import ImageWarning, read_radiograph

from .conftest import eval_real
from .test_column import ANKLE_Y, KNEE_Y, _film

BOARD_Y = 1085.0
"""Top of the drawn positioning board (mm), 75 mm below the ankle's gap."""


def _yx() -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres (mm) of the drawn films, ``y`` and ``x``."""
    yy, xx = np.mgrid[0:1250, 0:400] + 0.5
    return yy, xx


def _leg_over_a_foot(malleoli: float) -> np.ndarray:
    """One leg (knee at KNEE_Y, ankle's gap at ANKLE_Y, x = 110 mm) whose ankle's gap
    is overlapped by malleoli `malleoli` bright, the tarsus below it down to the
    board; soft tissue about the foot, air beside it."""
    film = np.full((1250, 400), 0.05, np.float32)
    film[:1100] = _film(legs=((110.0, 4.0),), seams=False, ruler=False)
    yy, xx = _yx()
    film[(yy > 1100) & (np.abs(xx - 110) < 75)] += 0.15  # soft tissue of the foot
    film[(yy > ANKLE_Y - 3) & (yy < ANKLE_Y + 2) & (np.abs(xx - 110) < 26)] += malleoli
    film[(yy > ANKLE_Y + 2) & (yy < BOARD_Y) & (np.abs(xx - 110) < 35)] += 0.35  # tarsus
    return film


def test_a_line_in_the_board_under_the_foot_is_no_ankle():
    # the stitched film 01959205: a board bright across the whole film under the feet,
    # the foot brighter over it, and a dark line of the board's frame under the foot
    # deeper than the ankle's gap (the malleoli overlap it). The line, with an outline
    # as wide as an ankle's, was read as the right ankle, 140 mm low. Beside the foot
    # the board is bright: the bone stands out from it far less than the tibial shaft
    # from the air beside the leg, and it is no ankle
    film = _leg_over_a_foot(malleoli=0.25)
    yy, xx = _yx()
    film[yy > BOARD_Y] += 0.5  # the board, across the film
    film[(yy > BOARD_Y) & (np.abs(xx - 110) < 35)] += 0.2  # the foot over it
    film[(yy > 1140) & (yy < 1146) & (np.abs(xx - 110) < 60)] -= 0.3  # the frame's line
    film = np.clip(film, 0, 1)
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    read = read_column_leg(film, 1.0, legs[0].column)
    assert read.points["ankle_center"] == pytest.approx([110.0, ANKLE_Y], abs=4.0)
    assert all(a[1] < BOARD_Y for a in read.ankles)


def test_bone_contrast_of_a_shaft_against_air_and_of_a_board():
    row = np.full((5, 300), 0.05, np.float32)
    row[:, 80:220] = 0.2  # soft tissue
    row[:, 125:175] = 0.55  # bone
    assert bone_contrast(row, 1.0, 2.5, 150.0) == pytest.approx(1 - 0.05 / 0.55)
    assert bone_contrast(row + 0.5, 1.0, 2.5, 150.0) == pytest.approx(1 - 0.55 / 1.05)
    assert np.isnan(bone_contrast(row, 1.0, 40.0, 150.0))  # off the film


def _foot_with_a_deep_gap() -> ColumnLeg:
    """The leg read on a film that shows the foot, air beside it, a gap in the foot
    58 mm below the ankle's (deeper than the ankle's, whose malleoli overlap it)."""
    film = _leg_over_a_foot(malleoli=0.25)[:1150]
    yy, xx = _yx()
    gap = (yy > ANKLE_Y + 55) & (yy < ANKLE_Y + 61) & (np.abs(xx - 110) < 35)
    film[gap[:1150]] -= 0.35
    film = np.clip(film, 0, 1)
    legs = column_legs(film, 1.0)
    assert len(legs) == 1
    return read_column_leg(film, 1.0, legs[0].column)


def test_a_faint_ankle_is_kept_after_a_deeper_gap_in_the_foot():
    # crop 02231304: the gaps in the foot were the only candidates, each made the tibia
    # longer than the femur, and the leg had no ankle; the ankle's own, fainter gap is
    # now the next candidate
    read = _foot_with_a_deep_gap()
    heights = [a[1] for a in read.ankles]
    assert heights[0] == pytest.approx(ANKLE_Y + 58, abs=4.0)
    assert heights[1] == pytest.approx(ANKLE_Y, abs=4.0)


def test_the_faint_ankle_stands_in_where_the_deep_gap_makes_the_tibia_too_long():
    read = _foot_with_a_deep_gap()
    # a long tibia, 0.95 times the femur at the ankle's gap: the foot's gap makes it
    # 1.07 times, too long (ankle.TIBIA_FEMUR_RATIO)
    femur_mm = (ANKLE_Y - KNEE_Y) / 0.95
    out: dict = {
        "points": {
            "femoral_head_center": np.array([110.0, KNEE_Y - femur_mm]),
            "femoral_knee_center": np.array([110.0, KNEE_Y]),
            "tibial_knee_center": np.array([110.0, KNEE_Y]),
        },
        "confidence": {},
        "method": {},
        "reasons": {},
    }
    _column_ankle(read, out, unchecked=False)
    assert out["points"]["ankle_center"] == pytest.approx([110.0, ANKLE_Y], abs=4.0)


def _detect(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)  # colour JPEGs read as grey
        return detect_landmarks(read_radiograph(path)).landmarks


def test_real_stitched_film_ankles_at_their_joints(realfilms):
    # both ankles of the stitched CR film (feet on a positioning board): the right one
    # was read in the board, 106 px (140 mm) below the reference
    found = _detect(realfilms / "longleg" / "01959205_1x1.jpg")
    reference = eval_real.find_films(realfilms, ["longleg/01959205"])[0].reference
    for side in ("left", "right"):
        truth = reference[(reference.side == side) & (reference.landmark == "ankle_center")]
        point = found[(found.side == side) & (found.landmark == "ankle_center")]
        assert len(point) == 1
        distance = np.hypot(
            *(point[["x", "y"]].to_numpy(float) - truth[["x", "y"]].to_numpy(float))[0]
        )
        assert distance < 12.0  # px at 1.32 mm: 16 mm


def test_real_crop_with_the_foot_on_a_board_has_an_ankle(realfilms):
    # crop 02231304 (a stitched film: foot and board): its leg had no ankle
    found = _detect(realfilms / "crops" / "images" / "02231304_1x1.jpg")
    assert "ankle_center" in set(found.landmark)
