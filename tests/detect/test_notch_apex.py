"""The apex of the intercondylar notch on a film too coarse for the full knee reader
(alignment.detect.knee.notch_apex), taken as the femoral knee centre of a leg read as a
bone column (alignment.detect.core._column_notch).

The bone column's femoral knee centre is the middle of the condyles' outline: the medial
condyle is the wider, so that middle lies a few mm medial of the notch (on the OAI crop
whose film has a reference, 2.8 crop pixels; the notch's apex 0.2). The drawn knees are
at an OAI crop's pixel size (1.4 mm), the notch's apex at sub-pixel places.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from alignment.detect import core
from alignment.detect._image import Work
from alignment.detect.column import COLUMN_CONFIDENCE, ColumnLeg
from alignment.detect.knee import notch_apex

PIXEL_MM = 1.4
JOINT_Y_MM = 90.0
"""Level of the condyles' lowest points (mm)."""
LATERAL_MM, MEDIAL_MM = 32.0, 42.0
"""Widths of the drawn lateral and medial condyles either side of the notch (mm): the
condyles' middle lies (42 - 32) / 2 = 5 mm medial (+x) of the notch."""
ROUND_MM = 6.0
"""How far (mm) each condyle's outline rises from its lowest point to its ends."""
NOTCH_RISE_MM, NOTCH_HALF_MM = 12.0, 9.0
"""Height of the notch's apex above the condyles' inner ends, and its half width at its
mouth (mm): the apex is drawn at JOINT_Y_MM - ROUND_MM - NOTCH_RISE_MM = 72 mm."""


def _knee(apex_x_mm: float, *, notch: bool = True) -> np.ndarray:
    """A drawn AP knee on 1.4 mm pixels: the femur bright above its distal outline (two
    rounded condyles, an inverted V notch between them whose apex is at `apex_x_mm`;
    without the notch, one flat outline),
    a dark joint space 5 mm tall, the tibia below with its spines rising into the notch
    1.5 mm medial of the apex; blurred by a pixel and with noise."""
    rows, cols = 130, 110
    yy, xx = (np.mgrid[0:rows, 0:cols] + 0.5) * PIXEL_MM
    u = xx - apex_x_mm
    lateral = np.clip((u + LATERAL_MM) / LATERAL_MM, 0, 1)
    medial = np.clip((MEDIAL_MM - u) / MEDIAL_MM, 0, 1)
    # each condyle's outline: lowest in its middle, rising to its ends
    roundness = np.where(u < 0, (2 * lateral - 1) ** 2, (2 * medial - 1) ** 2)
    outline = np.full_like(u, JOINT_Y_MM)
    if notch:
        outline -= ROUND_MM * roundness
        outline -= NOTCH_RISE_MM * np.clip(1 - np.abs(u) / NOTCH_HALF_MM, 0, 1)
    inside = (u > -LATERAL_MM) & (u < MEDIAL_MM)
    plateau = JOINT_Y_MM + 5.0 - 5.0 * np.clip(1 - np.abs(u - 1.5) / 5.0, 0, 1)
    film = np.full((rows, cols), 0.2)
    film[inside & (yy < outline)] = 0.75
    film[(np.abs(u - 5.0) < 40.0) & (yy >= plateau)] = 0.7
    film = ndimage.gaussian_filter(film, 1.0)
    film += np.random.default_rng(7).normal(0.0, 0.01, film.shape)
    return film.astype(np.float32)


@pytest.mark.parametrize("apex_x_mm", [70.0, 70.5, 71.0])
def test_the_notch_apex_is_found_off_the_condyles_middle(apex_x_mm):
    work = Work.of(_knee(apex_x_mm), (PIXEL_MM, PIXEL_MM), coarse_mm=PIXEL_MM)
    rough = apex_x_mm + 0.5 * (MEDIAL_MM - LATERAL_MM)  # the condyles' middle
    found = notch_apex(work, rough, JOINT_Y_MM + 2.0)
    assert found is not None
    point, clarity = found
    assert point[0] == pytest.approx(apex_x_mm, abs=0.5)
    # the V's tip, narrower than the blur, fades: the roof's edge is read 2-4 mm lower
    assert point[1] == pytest.approx(JOINT_Y_MM - ROUND_MM - NOTCH_RISE_MM, abs=4.5)
    assert clarity == pytest.approx(1.0)


def test_no_notch_is_found_between_condyles_without_one():
    work = Work.of(_knee(70.0, notch=False), (PIXEL_MM, PIXEL_MM), coarse_mm=PIXEL_MM)
    assert notch_apex(work, 75.0, JOINT_Y_MM + 2.0) is None


@pytest.mark.parametrize("off_mm", [-25.0, 25.0])
def test_no_notch_is_read_at_a_level_off_the_joint(off_mm):
    # a bone column's knee level on the metaphysis: no joint gap under the condyles
    # there, and a rising edge inside the bone is not a notch's roof
    work = Work.of(_knee(70.0), (PIXEL_MM, PIXEL_MM), coarse_mm=PIXEL_MM)
    assert notch_apex(work, 75.0, JOINT_Y_MM + 2.0 + off_mm) is None


def _column_read(x_mm: float) -> ColumnLeg:
    """A bone column's reading with both knee centres at `x_mm` on the joint."""
    points = {
        "femoral_knee_center": np.array([x_mm, JOINT_Y_MM + 1.0]),
        "tibial_knee_center": np.array([x_mm, JOINT_Y_MM + 3.0]),
    }
    return ColumnLeg(points, {})


@pytest.mark.parametrize("notch", [True, False])
def test_a_column_legs_femoral_knee_centre_is_the_notch_apex(notch):
    work = Work.of(_knee(70.0, notch=notch), (PIXEL_MM, PIXEL_MM), coarse_mm=PIXEL_MM)
    read = _column_read(75.0)
    out: dict = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    names = ("femoral_knee_center", "tibial_knee_center")
    core._column_notch(work, read, names, out)
    core._take_from_column(read, names, out)
    femoral = out["points"]["femoral_knee_center"]
    if notch:
        assert out["method"]["femoral_knee_center"] == "column-notch"
        assert femoral[0] == pytest.approx(70.0, abs=0.5)
    else:
        # no notch stands out: the column's middle of the condyles stays
        assert out["method"]["femoral_knee_center"] == "bone-column"
        assert femoral[0] == pytest.approx(75.0)
    assert out["confidence"]["femoral_knee_center"] <= COLUMN_CONFIDENCE
    # the tibial knee centre stays the column's plateau middle
    assert out["method"]["tibial_knee_center"] == "bone-column"


def test_a_femoral_knee_centre_found_by_the_fine_stage_is_kept():
    work = Work.of(_knee(70.0), (PIXEL_MM, PIXEL_MM), coarse_mm=PIXEL_MM)
    out: dict = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    core._place(out, "femoral_knee_center", np.array([72.0, 80.0]), 0.4, "knee")
    core._column_notch(work, _column_read(75.0), ("femoral_knee_center",), out)
    assert out["method"]["femoral_knee_center"] == "knee"
    # nor is it placed where the column may not fill the femoral centre in
    out = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    core._column_notch(work, _column_read(75.0), ("tibial_knee_center",), out)
    assert "femoral_knee_center" not in out["points"]
