"""The femur of a long-leg film: its anatomical axis read over the same stretch of the
femur whatever run of diaphyseal edges was found (alignment.detect.core._femoral_stretch),
and, on a leg found as a bone column, the notch read at full resolution as its femoral
knee centre (alignment.detect.core._take_notch).

A femoral diaphysis is bowed: a run that covers its upper or its lower part only (where
a seam, a grid line or the film's contrast stops it) gives an axis turned by a degree or
two, and the run found depends on the spacing the film is read at. The real long-leg film
is read where the folder of real films is.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest

from alignment.detect import core, detect_landmarks
from alignment.detect._image import Work
from alignment.detect.column import COLUMN_CONFIDENCE
from alignment.detect.knee import KneeFinding
from alignment.detect.shaft import refine_shaft
from alignment.geometry import line_angle_deg
from alignment.io import ImageWarning

from .conftest import OAI_SPACING_MM, eval_real, evaluated, oai_film

HEAD = np.array([150.0, 60.0])
KNEE = np.array([150.0, 510.0])
BOW_MM = 6.0
"""Sag of the drawn diaphysis' middle from the chord of its ends (mm)."""


def _bowed_femur() -> np.ndarray:
    """A film (1 mm pixels) with a bright femoral diaphysis 28 mm wide whose midline
    bows laterally (-x) by :data:`BOW_MM` between the head's and the knee's levels."""
    yy, xx = np.mgrid[0:600, 0:300] + 0.5
    t = np.clip((yy - HEAD[1]) / (KNEE[1] - HEAD[1]), 0.0, 1.0)
    middle = HEAD[0] - 4.0 * BOW_MM * t * (1.0 - t)
    film = np.where(np.abs(xx - middle) < 14.0, 0.8, 0.25)
    return film.astype(np.float32)


def _run(work: Work, top: float, bottom: float) -> Any:
    """The axis read on one stretch of the drawn diaphysis only."""
    centre = np.array([HEAD[0], (top + bottom) / 2])
    axis = refine_shaft(work, centre, np.array([0.0, 1.0]), top=top, bottom=bottom, width_mm=28.0)
    assert axis is not None
    return axis


def test_the_femoral_axis_does_not_turn_with_the_stretch_its_run_covered():
    work = Work.of(_bowed_femur(), (1.0, 1.0), coarse_mm=1.0)
    upper, lower = _run(work, 120.0, 260.0), _run(work, 330.0, 470.0)
    # the runs' own axes turn with the bow
    assert float(line_angle_deg(upper.direction, lower.direction)) > 2.0
    points = {"femoral_head_center": HEAD, "femoral_knee_center": KNEE}
    read = [core._femoral_stretch(work, fa, points) for fa in (upper, lower)]
    assert float(line_angle_deg(read[0].direction, read[1].direction)) < 0.1
    lo, hi = (HEAD[1] + s * (KNEE[1] - HEAD[1]) for s in core.FEMORAL_STRETCH)
    assert all(lo - 20.0 <= axis.top and axis.bottom <= hi + 20.0 for axis in read)


def test_a_read_on_another_edge_leaves_the_run_standing():
    # the run's axis 8 degrees off the drawn femur (as a coarse run on a soft-tissue
    # outline would be): the read over the stretch finds the femur, which does not
    # agree with the run, so the run's axis is kept, not a line from another edge
    work = Work.of(_bowed_femur(), (1.0, 1.0), coarse_mm=1.0)
    fa = _run(work, 120.0, 260.0)
    turn = np.radians(8.0)
    tilted = dataclasses.replace(fa, direction=np.array([np.sin(turn), np.cos(turn)]))
    points = {"femoral_head_center": HEAD, "femoral_knee_center": KNEE}
    assert core._femoral_stretch(work, tilted, points) is tilted


@pytest.mark.parametrize("missing", ["femoral_head_center", "femoral_knee_center"])
def test_without_the_head_or_the_knee_the_run_stands(missing):
    work = Work.of(_bowed_femur(), (1.0, 1.0), coarse_mm=1.0)
    fa = _run(work, 120.0, 260.0)
    points = {"femoral_head_center": HEAD, "femoral_knee_center": KNEE}
    del points[missing]
    assert core._femoral_stretch(work, fa, points) is fa


def _leg(joint_line: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    if joint_line:
        out["points"]["distal_femur_medial"] = np.array([180.0, 500.0])
        out["points"]["distal_femur_lateral"] = np.array([130.0, 500.0])
    out["reasons"]["femoral_knee_center"] = "not read"
    return out


def _knee() -> KneeFinding:
    return KneeFinding(
        points={"femoral_knee_center": np.array([154.0, 492.0])},
        confidence={"femoral_knee_center": 0.9},
        method={"femoral_knee_center": "knee-native"},
    )


def test_a_column_leg_read_whole_at_its_knee_takes_the_notch():
    out = _leg(joint_line=True)
    core._take_notch(_knee(), out)
    np.testing.assert_array_equal(out["points"]["femoral_knee_center"], [154.0, 492.0])
    assert out["confidence"]["femoral_knee_center"] == COLUMN_CONFIDENCE
    assert out["method"]["femoral_knee_center"] == "knee-native"
    assert "femoral_knee_center" not in out["reasons"]


@pytest.mark.parametrize(
    ("knee", "joint_line"), [(None, True), ("whole", False), ("no notch", True)]
)
def test_no_notch_is_taken_from_a_knee_not_read_whole(knee, joint_line):
    finding = {"whole": _knee(), "no notch": KneeFinding(), None: None}[knee]
    out = _leg(joint_line)
    core._take_notch(finding, out)
    assert "femoral_knee_center" not in out["points"]


def test_real_longleg_femoral_axes_and_notches(realfilms):
    # the digital OAI film at its ruler spacing and 10 % off: the femoral anatomical
    # axes turned by up to 1.6 degrees (left FTA 173.5 / 174.1 / 175.1) and the
    # femoral knee centres were the column's outline middles, 7.7 and 9.5 mm off
    film = oai_film(realfilms)
    tables = []
    for scale in (0.9, 1.0, 1.1):
        spacing = (OAI_SPACING_MM * scale, OAI_SPACING_MM * scale)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImageWarning)
            found = detect_landmarks(dataclasses.replace(film, spacing_mm=spacing))
        tables.append(found.landmarks.drop(columns=["confidence", "method", "review"]))
    angles = [eval_real._angles(t) for t in tables]
    for side in ("left", "right"):
        for measure in ("fta", "ffc_anatomical"):
            values = [a[(side, measure)] for a in angles]
            assert max(values) - min(values) <= 0.5, (side, measure, values)
    record = evaluated(realfilms, "longleg/01924704_1x1.jpg")
    notches = [
        entry["mm"]
        for entry in record["landmarks"]
        if entry["landmark"] == "femoral_knee_center" and entry["found"]
    ]
    assert len(notches) == 2 and max(notches) < 3.0, notches
