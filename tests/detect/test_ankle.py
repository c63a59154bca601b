"""The ankle centre found below the tibia (:func:`alignment.detect.ankle.find_ankle`)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from alignment.detect import ankle as ankle_module
from alignment.detect._image import Work
from alignment.detect.ankle import AnkleFinding, ankle_below_tibia, find_ankle
from alignment.options import REVIEW_THRESHOLD

from .conftest import diaphysis

SPACING_MM = 0.5
JOINT_Y_MM = 72.5
"""Middle of the drawn ankle's joint space (mm)."""


def _ankle_over_a_board(talus_half_width_mm: float) -> Work:
    """A tibia ending 70 mm down, its joint space, a talus whose top edge shows over
    ``+-talus_half_width_mm`` about x = 50 mm, soft tissue, then the air under the sole
    and a bright positioning board across the whole film from 155 mm down."""
    yy, xx = (np.mgrid[0:440, 0:200] + 0.5) * SPACING_MM
    film = np.full(yy.shape, 200.0)
    film[yy < 70.0] = 800.0  # distal tibia
    film[(yy > 75.0) & (yy < 110.0) & (np.abs(xx - 50.0) < talus_half_width_mm)] = 800.0
    film[(yy > 150.0) & (yy < 155.0)] = 50.0  # air under the sole
    film[yy > 155.0] = 1000.0  # the board
    return Work.of(film.astype(np.uint16), (SPACING_MM, SPACING_MM), coarse_mm=1.0)


@pytest.mark.parametrize("talus_half_width_mm", [7.0, 14.0])
def test_the_ankle_is_the_first_dome_not_the_board_below_it(talus_half_width_mm):
    # where the talar dome's edge shows over only part of its width (the malleoli
    # overlap it), the sole over the board, a strong edge across every column, was
    # taken instead: the ankle went into the foot
    ankle = find_ankle(_ankle_over_a_board(talus_half_width_mm), 50.0, 20.0, search_mm=180.0)
    assert ankle.point is not None
    assert ankle.point == pytest.approx([50.0, JOINT_Y_MM + 2.5], abs=2.0)


def test_a_partial_dome_is_less_sure_than_a_whole_one():
    partial = find_ankle(_ankle_over_a_board(7.0), 50.0, 20.0, search_mm=180.0)
    whole = find_ankle(_ankle_over_a_board(14.0), 50.0, 20.0, search_mm=180.0)
    assert 0.1 < partial.confidence < whole.confidence


def _faint_ankle_over_padding(blur_mm: float, noise: float) -> Work:
    """A distal tibia, a joint space (70-75 mm down) only 4 % of the film's grey range
    darker than it, the talus below, blurred by ``blur_mm`` with grain of sd `noise`,
    black padding rows from 110 mm down (a crop cut below the ankle and padded to a
    fixed height) and a bright ruler's edge along the left that sets the range."""
    yy, xx = (np.mgrid[0:440, 0:200] + 0.5) * SPACING_MM
    film = np.full(yy.shape, 720.0)
    film[(yy > 70.0) & (yy < 75.0)] = 690.0
    film[yy >= 75.0] = 740.0
    film = ndimage.gaussian_filter(film, blur_mm / SPACING_MM)
    film += np.random.default_rng(0).normal(0.0, noise, film.shape)
    film[yy > 110.0] = 0.0
    film[:, :10] = 1000.0
    return Work.of(
        np.clip(film, 0, None).astype(np.uint16), (SPACING_MM, SPACING_MM), coarse_mm=1.0
    )


def test_a_faint_joint_space_above_a_sharp_dome_is_the_ankle():
    # the digital films cut at the ankle and equalised keep 2-3 % of their range
    # across the joint: a floor of 3 % found no joint space at all
    ankle = find_ankle(_faint_ankle_over_padding(1.0, 3.0), 50.0, 10.0, search_mm=180.0)
    assert ankle.point is not None
    assert ankle.point[1] == pytest.approx(75.0, abs=1.5)
    assert ankle.method == "talar-dome"
    assert ankle.confidence >= REVIEW_THRESHOLD


def test_a_joint_space_without_a_dome_edge_is_placed_for_review():
    # a blurred, grainy dome gives no continuous edge: the joint space is still seen,
    # and its middle is given for a person to check rather than nothing
    ankle = find_ankle(_faint_ankle_over_padding(2.0, 8.0), 50.0, 10.0, search_mm=180.0)
    assert ankle.point is not None
    assert ankle.point == pytest.approx([50.0, JOINT_Y_MM], abs=1.5)
    assert ankle.method == "joint-space"
    assert 0.1 < ankle.confidence < REVIEW_THRESHOLD


def _faint_ankle_over_a_foot() -> Work:
    """:func:`_faint_ankle_over_padding`'s ankle (joint space 70-75 mm down, no dome
    edge seen) over a talus down to 170 mm, then a dark gap and a bright block with a
    sharp, straight top at 180 mm: a joint of the foot, or the board under the sole."""
    yy = np.mgrid[0:500, 0:200][0] * SPACING_MM + SPACING_MM / 2
    film = np.full(yy.shape, 720.0)
    film[(yy > 70.0) & (yy < 75.0)] = 690.0
    film[yy >= 75.0] = 740.0
    film = ndimage.gaussian_filter(film, 2.0 / SPACING_MM)
    film[(yy > 170.0) & (yy < 180.0)] = 300.0
    film[yy >= 180.0] = 1000.0
    film += np.random.default_rng(0).normal(0.0, 8.0, film.shape)
    return Work.of(
        np.clip(film, 0, None).astype(np.uint16), (SPACING_MM, SPACING_MM), coarse_mm=1.0
    )


def test_a_joint_space_under_the_tibia_beats_a_dome_found_from_the_femurs_length():
    # crops 02176203 and 02501601: the search under the tibia's own run saw the joint
    # space but no dome edge; the retry from where the femur's length puts the ankle
    # (a head misread sets that length) started below the plafond and found a dome in
    # the tarsus, which was placed. Here the tibial run ends 20 mm down (the search
    # from its axis reaches 160 mm), and the femur's 0.7 length starts the retry at
    # 90 mm, past the joint space, with the foot's edge 180 mm down in reach
    tibia = diaphysis((50.0, 20.0), 0.0, 20.0)
    femur_mm = 500.0  # the tibia 0.66 times as long at the joint space, 0.88 at the foot
    knee_y = 90.0 - 0.7 * femur_mm
    points = {
        "femoral_head_center": np.array([50.0, knee_y - femur_mm]),
        "femoral_knee_center": np.array([50.0, knee_y]),
        "tibial_knee_center": np.array([50.0, knee_y]),
    }
    placed, stand_in, reason = ankle_below_tibia(_faint_ankle_over_a_foot(), tibia, points)
    assert placed is not None and placed.point is not None
    assert placed.point == pytest.approx([50.0, JOINT_Y_MM], abs=1.5)
    assert placed.method == "joint-space"
    assert placed.confidence < REVIEW_THRESHOLD
    assert stand_in is None and reason is None


def test_a_faint_line_above_a_clear_joint_space_is_not_the_ankle():
    # crops 02279004 and 02401201: a clear joint space with no dome edge seen, and a
    # faint grid line across the distal tibia 30 mm above it, its sharp edge read as a
    # dome when the fainter valleys were tried from the top: the ankle went onto the line
    yy = np.mgrid[0:440, 0:200][0] * SPACING_MM + SPACING_MM / 2
    film = np.full(yy.shape, 720.0)
    film[(yy > 70.0) & (yy < 75.0)] = 600.0
    film[yy >= 75.0] = 740.0
    film = ndimage.gaussian_filter(film, 2.0 / SPACING_MM)
    film[(yy > 40.0) & (yy < 41.5)] -= 25.0  # the grid line, 2.5 % of the range
    film += np.random.default_rng(0).normal(0.0, 8.0, film.shape)
    film[yy > 110.0] = 0.0
    film[:, :10] = 1000.0
    work = Work.of(
        np.clip(film, 0, None).astype(np.uint16), (SPACING_MM, SPACING_MM), coarse_mm=1.0
    )
    ankle = find_ankle(work, 50.0, 10.0, search_mm=180.0)
    assert ankle.point is not None
    assert ankle.point == pytest.approx([50.0, JOINT_Y_MM], abs=1.5)
    assert ankle.method == "joint-space"


@pytest.mark.parametrize("knee_offset_mm", [-8.0, 0.0, 8.0])
def test_a_joint_space_ankle_stays_on_the_diaphysis_line(knee_offset_mm):
    # a joint space without its dome gives the ankle's level; its x is the tibial
    # diaphysis' line carried down, wherever the knee centre lies (the knee centre,
    # not the ankle, is moved toward the line: core._tibial_centre_midway)
    tibia = diaphysis((50.0, 20.0), 0.0, 20.0)
    knee = np.array([50.0 + knee_offset_mm, -300.0])
    points = {
        "femoral_head_center": np.array([50.0, -750.0]),
        "femoral_knee_center": knee,
        "tibial_knee_center": knee,
    }
    placed, _, _ = ankle_below_tibia(_faint_ankle_over_a_foot(), tibia, points)
    assert placed is not None and placed.point is not None
    assert placed.method == "joint-space"
    assert placed.point == pytest.approx([50.0, JOINT_Y_MM], abs=1.5)
    assert placed.point[0] == pytest.approx(50.0, abs=0.2)


def test_an_ankle_on_its_dome_is_left_where_it_was_measured():
    # the dome's apex is a measurement of the ankle's middle: a tibial knee centre
    # 8 mm across the diaphysis' line leaves it where the dome put it
    tibia = diaphysis((50.0, 20.0), 0.0, 20.0)
    film = _ankle_over_a_board(14.0)
    points = {"tibial_knee_center": np.array([58.0, -300.0])}
    placed, _, _ = ankle_below_tibia(film, tibia, points)
    alone = find_ankle(film, 50.0, 0.0, search_mm=160.0)
    assert placed is not None and placed.point is not None and alone.point is not None
    assert placed.method == "talar-dome"
    assert placed.point == pytest.approx(alone.point, abs=1e-9)


@pytest.mark.parametrize(
    ("found", "placed_method", "stand_in_method"),
    [
        # nothing under the tibia's own run; a retry sees only the joint space: it
        # stands in, marked as a retry's, and is not taken for the plafond
        (["none", "joint-space", "none"], None, "joint-space(retry)"),
        # a retry's dome is placed, a retry's
        (["none", "talar-dome", "none"], "talar-dome(retry)", None),
        # the first search's joint space is placed as it is
        (["joint-space", "none", "none"], "joint-space", None),
    ],
)
def test_a_retrys_ankle_says_it_is_one(monkeypatch, found, placed_method, stand_in_method):
    # the tibial knee centre goes midway to the diaphysis only over the first
    # search's joint space (core._tibial_centre_midway): a retry's joint space must
    # not pass for it
    findings = iter(
        AnkleFinding() if method == "none" else AnkleFinding(np.array([50.0, 380.0]), 0.3, method)
        for method in found
    )
    monkeypatch.setattr(ankle_module, "find_ankle", lambda *a, **k: next(findings))
    tibia = diaphysis((50.0, 200.0), 0.0, 300.0)
    points = {
        "femoral_head_center": np.array([50.0, -500.0]),
        "femoral_knee_center": np.array([50.0, 0.0]),
        "tibial_knee_center": np.array([50.0, 0.0]),
    }
    blank = Work.of(np.zeros((64, 64), np.float32), (1.0, 1.0), coarse_mm=1.0)
    placed, stand_in, _ = ankle_below_tibia(blank, tibia, points)
    assert (placed.method if placed else None) == placed_method
    assert (stand_in.method if stand_in else None) == stand_in_method
