"""The side of an AP knee film from its anatomy (the fibula is lateral) and from its
lead marker, on drawn films: either side, flipped, with and without the fibula."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alignment.detect import DetectionResult, detect_landmarks
from alignment.detect._image import Work
from alignment.detect.core import KNEE_SIDE_GUESS
from alignment.detect.infer import infer_film_view
from alignment.detect.knee_film import fibula_side, find_joint
from alignment.io import read_radiograph

SPACING_MM = 0.5
JOINT_MM = 120.0


def _ap_knee(*, fibula_x: float | None, marker: str | None = None) -> np.ndarray:
    """A drawn AP knee, 300 mm tall and 240 mm wide at 0.5 mm a pixel: soft tissue,
    a femur above a dark joint gap, a tibia below it narrowing from 76 to 50 mm, and
    a fibula 14 mm wide from 15 mm below the plateau whose middle is `fibula_x` mm
    from the tibia's (None: no fibula), with an optional lead `marker` letter."""
    rows, cols = round(300 / SPACING_MM), round(240 / SPACING_MM)
    y, x = np.mgrid[:rows, :cols] * SPACING_MM
    film = np.where(np.abs(x - 120) < 90, 0.3, 0.05)
    femur = (y < JOINT_MM - 2) & (np.abs(x - 120) < 40 - 0.12 * np.clip(JOINT_MM - y, 0, 100))
    tibia_half = 38 - 13 * np.clip((y - JOINT_MM) / 90, 0, 1)
    tibia = (y > JOINT_MM + 2) & (np.abs(x - 120) < tibia_half)
    film = np.where(femur | tibia, 0.75, film)
    if fibula_x is not None:
        fibula = (y > JOINT_MM + 15) & (np.abs(x - 120 - fibula_x) < 7)
        film = film + np.where(fibula, 0.35, 0.0)  # attenuation adds where they overlap
    rng = np.random.default_rng(5)
    pixels = (film * 255 + rng.normal(0, 3, film.shape)).clip(0, 255).astype(np.uint8)
    if marker is not None:
        cv2.putText(pixels, marker, (30, 80), cv2.FONT_HERSHEY_DUPLEX, 1.6, 255, 5, cv2.LINE_AA)
    return pixels


def _detect(pixels: np.ndarray, folder: Path) -> DetectionResult:
    """Detection on the drawn film saved as a PNG (no spacing, no DICOM tags: the
    front door a real exported film takes), its view given as AP."""
    path = folder / "knee.png"
    cv2.imwrite(str(path), pixels)
    return detect_landmarks(read_radiograph(path), view="AP")


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("offset", [-42.0, 42.0])
def test_fibula_side_follows_the_fibula_under_flips(offset: float, flip: bool) -> None:
    pixels = _ap_knee(fibula_x=offset)
    pixels = pixels[:, ::-1] if flip else pixels
    work = Work.of(pixels, (SPACING_MM, SPACING_MM), coarse_mm=1.0)
    joint = find_joint(work)
    assert joint is not None and abs(joint[1] - JOINT_MM) < 5
    fibula = fibula_side(work, joint)
    assert fibula is not None and fibula.sure
    assert fibula.direction == np.sign(offset) * (-1 if flip else 1)


def test_no_fibula_tells_no_side() -> None:
    work = Work.of(_ap_knee(fibula_x=None), (SPACING_MM, SPACING_MM), coarse_mm=1.0)
    joint = find_joint(work)
    assert joint is not None
    assert fibula_side(work, joint) is None


@pytest.mark.parametrize(("offset", "side"), [(-42.0, "right"), (42.0, "left")])
def test_knee_side_from_the_fibula(offset: float, side: str, tmp_path: Path) -> None:
    # displayed as usual (patient's right on the viewer's left): a fibula on the
    # viewer's left is a right knee's
    result = _detect(_ap_knee(fibula_x=offset), tmp_path)
    assert result.side_source == "anatomy"
    assert [leg.side for leg in result.legs] == [side]


def test_a_knee_nothing_tells_the_side_of_is_read_for_review(tmp_path: Path) -> None:
    # no DICOM laterality, no marker, no fibula (a tight crop): the knee is still
    # read, under a guessed side recorded as unknown, and goes to review
    result = _detect(_ap_knee(fibula_x=None), tmp_path)
    assert result.side_source == "unknown"
    assert [leg.side for leg in result.legs] == [KNEE_SIDE_GUESS]
    assert all(leg.review for leg in result.legs)
    # the condyles are named for the guessed side: a right knee's medial side is on
    # the viewer's right in the usual display
    x = result.landmarks.set_index("landmark")["x"]
    assert x["distal_femur_medial"] > x["distal_femur_lateral"]
    assert any("a guess" in note for note in result.notes)


def test_marker_and_fibula_that_disagree_leave_the_side_unknown(tmp_path: Path) -> None:
    # a right knee's fibula on the viewer's left, and a lead 'L': one of them is
    # wrong (a flipped film or a marker on the wrong side)
    result = _detect(_ap_knee(fibula_x=-42.0, marker="L"), tmp_path)
    assert result.side_source == "unknown"
    assert all(leg.review for leg in result.legs)
    assert any("the lead marker says left" in note for note in result.notes)


def test_marker_and_fibula_that_agree(tmp_path: Path) -> None:
    result = _detect(_ap_knee(fibula_x=-42.0, marker="R"), tmp_path)
    assert result.side_source == "marker"
    assert [leg.side for leg in result.legs] == ["right"]


def test_the_brightest_bone_of_a_native_knee_is_not_metal() -> None:
    # a native AP knee whose brightest bone (condyles and patella overlapping, drawn
    # as an oblique ramp 64 grey levels high) crosses the metal level: being
    # asymmetric, it used to read as a lateral component (a native AP film of the
    # development set); it fades into the femur, metal ends in a step
    pixels = _ap_knee(fibula_x=-42.0).astype(float)
    y, x = np.mgrid[: pixels.shape[0], : pixels.shape[1]] * SPACING_MM
    turn = np.radians(45.0)
    u = (x - 110) * np.cos(turn) + (y - 75) * np.sin(turn)
    v = -(x - 110) * np.sin(turn) + (y - 75) * np.cos(turn)
    ramp = np.clip(1 - np.hypot(u / 70, v / 30), 0, 1)
    view = infer_film_view(np.clip(pixels + 64 * ramp, 0, 255).astype(np.uint8))
    assert view.kind == "AP knee" and "metal" not in view.evidence


@pytest.mark.parametrize("offset", [-42.0, 42.0])
def test_fibula_found_when_the_joint_is_read_at_the_tibias_edge(offset: float) -> None:
    # on a unicondylar knee the joint's column (the film's brightest band) is the
    # metal's, over one condyle: at or beyond the tibia's medial edge lower down;
    # the bone across each band used to be the run holding that column (none)
    work = Work.of(_ap_knee(fibula_x=offset), (SPACING_MM, SPACING_MM), coarse_mm=1.0)
    medial_edge = 120.0 - np.sign(offset) * 36.0
    fibula = fibula_side(work, (medial_edge, JOINT_MM))
    assert fibula is not None and fibula.sure
    assert fibula.direction == np.sign(offset)
