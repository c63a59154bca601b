"""The knee centres of a long-leg film when the fine knee saw no intercondylar notch:
the bone column's femoral knee centre fills in only at the fine joint's level
(alignment.detect.core._column_knee_names), else the femoral centre is placed over the
tibial spines, for review (alignment.detect.core._notch_over_spines).

The real crops where the column's knee lies in the proximal tibia, 85 mm under the
joint, or is absent, are read where the folder of real films is.
"""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect import REVIEW_THRESHOLD
from alignment.detect.column import ColumnLeg
from alignment.detect.core import KNEE_LEVELS_APART_MM, _column_knee_names, _notch_over_spines
from alignment.detect.knee import DOUBTED_CONFIDENCE

from .conftest import assert_crop_hka_for_review

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


def test_the_femoral_knee_centre_is_placed_over_the_tibial_spines_for_review():
    out = _leg((102.0, 600.0))
    _notch_over_spines(out)
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
    _notch_over_spines(out)
    assert out["points"].keys() == before.keys()
    for name, p in before.items():
        np.testing.assert_array_equal(out["points"][name], p)


def test_a_real_crop_without_a_notch_gets_its_hka_for_review(realfilms):
    # The bone column's knee 85 mm under the joint, in the proximal tibia: no HKA.
    assert_crop_hka_for_review(realfilms, "02808303", 2.0)
