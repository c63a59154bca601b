"""The knee centres of a long-leg film when the fine knee saw no intercondylar notch
or no tibial spines: the bone column's centres fill in only at the fine joint's level
(alignment.detect.core._column_knee_names), else the femoral centre is placed over the
tibial spines, or the tibial centre under the notch, for review
(alignment.detect.core._knee_centre_from_the_other).

The real crops where the column's knee lies in the proximal tibia, 85 mm under the
joint, or is absent, or 35 mm under the fine notch, are read where the folder of real
films is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from alignment.detect import REVIEW_THRESHOLD, detect_landmarks
from alignment.detect.column import ColumnLeg
from alignment.detect.core import (
    KNEE_LEVELS_APART_MM,
    SPINES_BELOW_NOTCH_MM,
    _column_knee_names,
    _knee_centre_from_the_other,
    _tibial_centre_midway,
)
from alignment.detect.knee import DOUBTED_CONFIDENCE

from .conftest import assert_crop_hka_for_review, diaphysis, eval_real, evaluated

BOTH = ("femoral_knee_center", "tibial_knee_center")


def _column(femoral_y: float) -> ColumnLeg:
    """A bone column's reading with its knee at `femoral_y` (mm)."""
    points = {
        "femoral_knee_center": np.array([100.0, femoral_y]),
        "tibial_knee_center": np.array([100.0, femoral_y + 1.0]),
    }
    return ColumnLeg(points=points, reasons={})


def _leg(tibial: tuple[float, float] | None, femoral: bool = False) -> dict:
    """A leg's landmarks as :func:`~alignment.detect.core._detect_ap_leg` holds them."""
    out: dict = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    if tibial is not None:
        out["points"]["tibial_knee_center"] = np.array(tibial)
        out["confidence"]["tibial_knee_center"] = 0.9
        out["method"]["tibial_knee_center"] = "knee-native"
    if femoral:
        out["points"]["femoral_knee_center"] = np.array([98.0, 590.0])
        out["confidence"]["femoral_knee_center"] = 0.8
        out["method"]["femoral_knee_center"] = "knee-native"
    out["reasons"]["femoral_knee_center"] = "no intercondylar notch between the condyles"
    return out


@pytest.mark.parametrize(
    ("column_y", "tibial", "names"),
    [
        (600.0, (102.0, 604.0), BOTH),  # the column's knee at the fine joint's level
        (600.0 - KNEE_LEVELS_APART_MM + 1.0, (102.0, 600.0), BOTH),
        (685.0, (102.0, 600.0), ("tibial_knee_center",)),  # in the proximal tibia
        (515.0, (102.0, 600.0), ("tibial_knee_center",)),  # up the femoral shaft
        (685.0, None, BOTH),  # no fine tibial centre to hold it against
    ],
)
def test_the_columns_femoral_knee_centre_only_at_the_joints_level(column_y, tibial, names):
    points = {} if tibial is None else {"tibial_knee_center": np.array(tibial)}
    assert _column_knee_names(_column(column_y), points) == names


@pytest.mark.parametrize(
    ("column_y", "names"),
    [
        (600.0, BOTH),  # the column's spines 11 mm under the fine notch at 590
        (590.0 + SPINES_BELOW_NOTCH_MM - 2.0, BOTH),
        (590.0 + SPINES_BELOW_NOTCH_MM + 1.0, ("femoral_knee_center",)),  # a lower gap
        (590.0 - KNEE_LEVELS_APART_MM - 2.0, ("femoral_knee_center",)),  # in the condyles
    ],
)
def test_the_columns_tibial_knee_centre_only_under_the_fine_notch(column_y, names):
    points = {"femoral_knee_center": np.array([98.0, 590.0])}
    assert _column_knee_names(_column(column_y), points) == names


def test_the_tibial_knee_centre_is_placed_under_the_notch_for_review():
    out = _leg(None, femoral=True)
    _knee_centre_from_the_other(out)
    np.testing.assert_array_equal(out["points"]["tibial_knee_center"], [98.0, 590.0])
    assert out["confidence"]["tibial_knee_center"] == DOUBTED_CONFIDENCE < REVIEW_THRESHOLD
    assert out["method"]["tibial_knee_center"] == "under-notch"
    out["points"]["femoral_knee_center"][1] += 5.0
    assert out["points"]["tibial_knee_center"][1] == 590.0
    # a tibial centre found beside the femoral one is left alone (as is a leg with
    # neither: test_a_femoral_knee_centre_found_or_no_tibial_one_is_left_alone)
    leg = _leg((102.0, 600.0), femoral=True)
    before = {n: p.copy() for n, p in leg["points"].items()}
    _knee_centre_from_the_other(leg)
    assert leg["points"].keys() == before.keys()
    for name, p in before.items():
        np.testing.assert_array_equal(leg["points"][name], p)


def test_the_femoral_knee_centre_is_placed_over_the_tibial_spines_for_review():
    out = _leg((102.0, 600.0))
    _knee_centre_from_the_other(out)
    np.testing.assert_array_equal(out["points"]["femoral_knee_center"], [102.0, 600.0])
    assert out["confidence"]["femoral_knee_center"] == DOUBTED_CONFIDENCE < REVIEW_THRESHOLD
    assert out["method"]["femoral_knee_center"] == "over-tibial-spines"
    assert "femoral_knee_center" not in out["reasons"]
    # a copy: moving one centre later does not move the other
    out["points"]["tibial_knee_center"][1] += 5.0
    assert out["points"]["femoral_knee_center"][1] == 600.0


@pytest.mark.parametrize(("tibial", "femoral"), [((102.0, 600.0), True), (None, False)])
def test_a_femoral_knee_centre_found_or_no_tibial_one_is_left_alone(tibial, femoral):
    out = _leg(tibial, femoral)
    before = {n: p.copy() for n, p in out["points"].items()}
    _knee_centre_from_the_other(out)
    assert out["points"].keys() == before.keys()
    for name, p in before.items():
        np.testing.assert_array_equal(out["points"][name], p)


def test_a_real_crop_without_a_notch_gets_its_hka_for_review(realfilms):
    # The bone column's knee 85 mm under the joint, in the proximal tibia: no HKA.
    assert_crop_hka_for_review(realfilms, "02808303", 2.0)


def test_a_real_crops_tibial_knee_centre_is_not_taken_from_a_lower_gap(realfilms):
    # The fine knee read the notch; the bone column's knee lay 35 mm lower, on the
    # tibia, and its tibial centre was taken with the fine femoral one: HKA 4.3 deg off.
    record = evaluated(realfilms, "crops/images/02252101_1x1.jpg")
    centres = {
        p["landmark"]: np.array([p["x"], p["y"]])
        for p in record["detected"]
        if p["landmark"] in BOTH
    }
    assert np.linalg.norm(centres["femoral_knee_center"] - centres["tibial_knee_center"]) < 10
    assert_crop_hka_for_review(realfilms, "02252101", 3.0)


@pytest.mark.parametrize("lean", [-0.1, 0.0, 0.15])
@pytest.mark.parametrize("offset_mm", [-9.0, 0.0, 6.0])
def test_the_tibial_knee_centre_goes_midway_to_the_diaphysis_line(lean, offset_mm):
    # where the ankle is a joint space found straight down the tibial diaphysis, the
    # line carried up is a second reading of the tibial knee centre: the centre goes
    # halfway across to it, at its own level, whatever the tibia's lean on the film
    axis = diaphysis((60.0, 400.0), 300.0, 500.0, lean=lean)
    line_x = float(axis.at_y(120.0)[0])
    out = {
        "points": {"tibial_knee_center": np.array([line_x + offset_mm, 120.0])},
        "method": {"tibial_knee_center": "bone-column"},
    }
    _tibial_centre_midway(out, axis)
    assert out["points"]["tibial_knee_center"] == pytest.approx([line_x + offset_mm / 2, 120.0])
    assert out["method"]["tibial_knee_center"] == "bone-column+diaphysis"


def test_a_leg_without_a_tibial_knee_centre_is_left_alone():
    axis = diaphysis((60.0, 400.0), 300.0, 500.0)
    out: dict[str, dict[str, Any]] = {"points": {}, "method": {}}
    _tibial_centre_midway(out, axis)
    assert out == {"points": {}, "method": {}}


def test_a_real_crops_tibial_knee_centre_goes_midway_to_its_diaphysis(realfilms):
    # 02279004: its ankle a joint space straight down the tibia, its tibial knee
    # centre (the plateau's outline on the bone column) 8 px medial of the tibial
    # spines; HKA 1.33 degrees off OAI's reading with the centre where the column put
    # it, 0.20 with it midway to the diaphysis' line (nearer the spines, by eye)
    assert_crop_hka_for_review(realfilms, "02279004", 0.8)


def _midway_follows_the_ankle(table: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """Each leg of a detection table: its ankle's method, and whether its tibial knee
    centre went midway to the diaphysis (``+diaphysis``)."""
    legs = []
    for side, leg in table.groupby("side"):
        method = leg.set_index("landmark")["method"]
        ankle = str(method.get("ankle_center", ""))
        legs.append((str(side), ankle, "+diaphysis" in str(method.get("tibial_knee_center", ""))))
    return legs


def test_the_phantoms_ankles_on_their_domes_leave_the_knee_centres_alone(ap_result):
    # the synthetic film's ankles are read on the talar dome: not a joint space found
    # straight down the tibia, so neither tibial knee centre moves
    legs = _midway_follows_the_ankle(ap_result.landmarks)
    assert len(legs) == 2
    assert all(ankle != "joint-space" and not midway for _, ankle, midway in legs), legs


def test_real_knee_centres_go_midway_only_over_a_joint_space_ankle(realfilms):
    # over the first OAI crops and the long-leg films: every tibial knee centre moved
    # midway sits over an ankle read as a joint space down the tibia, and none over
    # an ankle read on its dome or the malleoli' outline (the bone column)
    long_legs = ("longleg/", "crops/")
    films = [f for f in eval_real.find_films(realfilms) if f.key.startswith(long_legs)][:14]
    seen = set()
    for film in films:
        table = detect_landmarks(eval_real.read_film(film), image=film.key).landmarks
        for side, ankle, midway in _midway_follows_the_ankle(table):
            assert midway == (ankle == "joint-space"), (film.key, side, ankle)
            seen.add((ankle, midway))
    # both kinds were met
    assert {("joint-space", True), ("bone-column", False)} <= seen, seen
