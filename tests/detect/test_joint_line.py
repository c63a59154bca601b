"""The joint line of an AP knee at long-leg resolution: the condyles' lowest points
(alignment.detect.knee.find_knee) and when a knee's joint line is taken
(alignment.detect.core._take_joint_line).

Drawn knees at 0.75 mm per pixel, a knee about 100 px wide as on a long-leg film: two
condyles whose lowest parts are flat over 20 mm (the reader takes the middle of each
flat part), an intercondylar notch 8 mm deep, the joint gap and the plateau below.
The real digital OAI long-leg film where the folder of real films is (skipped
otherwise).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from alignment.detect import detect_landmarks
from alignment.detect._image import Work
from alignment.detect.core import _take_joint_line
from alignment.detect.knee import KneeFinding, find_knee
from alignment.io import ImageWarning, read_radiograph
from alignment.measures import measure_landmarks

from .conftest import OAI_SPACING_MM, oai_film

SPACING_MM = 0.75
CENTRE_MM = (75.0, 75.0)  # (x, y) of the condylar tangent's middle
FLAT_MM = (15.0, 35.0)  # each condyle's flat lowest part, mm either side of the notch


def _knee_film(
    *,
    fragment_mm: float | None = None,
    seed: int = 0,
    gap_mm: float = 6.0,
    plus_half_mm: float = 42.0,
    rim: bool = False,
    notch_mm: float = 8.0,
) -> np.ndarray:
    """A drawn AP knee (bone bright): femur above its distal outline, a `gap_mm` joint
    gap, tibia below. `fragment_mm`: a 2 mm wide bright fragment in the notch whose
    lower edge stands that far below the condyles' tangent (a spine's top, a grid
    line's piece). `notch_mm`: the intercondylar notch's depth. `plus_half_mm`: the
    femur's half width toward +x (the tibia's is 4 mm less); a narrower knee has soft
    tissue beside it there, darker downward. `rim`: the plateau's rim seen obliquely
    under the +x condyle, a bright band 3 mm tall whose lower edge is a falling edge
    `gap_mm` + 3 mm under the condyle."""
    n = int(150 / SPACING_MM)
    x = (np.arange(n) + 0.5) * SPACING_MM - CENTRE_MM[0]
    y = (np.arange(n) + 0.5) * SPACING_MM - CENTRE_MM[1]
    ax = np.abs(x)
    notch = notch_mm * np.clip(1.0 - (ax / FLAT_MM[0]) ** 2, 0.0, None)
    side = np.clip(ax - FLAT_MM[1], 0.0, None) ** 2 / 4.0
    outline = -notch - side  # mm, down the film; 0 on the flat parts
    half = np.where(x > 0, plus_half_mm, 42.0)[None, :]
    femur = (y[:, None] <= outline[None, :]) & (ax[None, :] <= half)
    tibia = (y[:, None] >= gap_mm) & (ax[None, :] <= half - 4.0)
    image = 0.25 + 0.45 * (femur | tibia)
    if rim:
        band = (y[:, None] >= gap_mm) & (y[:, None] <= gap_mm + 3.0)
        image[band & (x[None, :] >= 10.0) & tibia] = 0.9
    beside = (x[None, :] > 0) & (ax[None, :] > half)
    image -= 0.15 * beside * np.clip((y[:, None] + 10.0) / 30.0, 0.0, 1.0)
    if fragment_mm is not None:
        image[(y[:, None] >= -6.0) & (y[:, None] <= fragment_mm) & (ax[None, :] <= 1.0)] = 0.7
    image = ndimage.gaussian_filter(image, 1.0)
    rng = np.random.default_rng(seed)
    return (image + rng.normal(0.0, 0.01, image.shape)).astype(np.float32)


def _knee_at(image: np.ndarray, factor: float = 1.0) -> KneeFinding:
    """The knee of `image` read with its spacing taken as `factor` times the drawn one
    (the pixels unchanged, as a film read at a wrong spacing); points in mm at it."""
    spacing = SPACING_MM * factor
    work = Work.of(image, (spacing, spacing), coarse_mm=4.0)
    return find_knee(work, None, None, (CENTRE_MM[1] + 3.0) * factor, CENTRE_MM[0] * factor)


def _contacts(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    knee = _knee_at(image)
    assert "distal_femur_a" in knee.points, knee.notes
    return knee.points["distal_femur_a"], knee.points["distal_femur_b"]


@pytest.mark.parametrize("seed", [0, 1])
def test_flat_condyles_are_touched_at_the_middle_of_their_flat_parts(seed):
    a, b = _contacts(_knee_film(seed=seed))
    middle = 0.5 * sum(FLAT_MM)  # 25 mm either side of the notch
    assert abs(a[0] - (CENTRE_MM[0] - middle)) < 2.0
    assert abs(b[0] - (CENTRE_MM[0] + middle)) < 2.0
    # on the outline, and one tangent: the joint line is level
    assert abs(a[1] - CENTRE_MM[1]) < 0.6 and abs(b[1] - CENTRE_MM[1]) < 0.6
    assert abs(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))) < 0.5


def test_a_short_edge_in_the_notch_does_not_carry_the_tangent():
    a, b = _contacts(_knee_film(fragment_mm=3.0))
    assert abs(a[0] - (CENTRE_MM[0] - 25.0)) < 2.0
    assert abs(b[0] - (CENTRE_MM[0] + 25.0)) < 2.0
    assert abs(a[1] - CENTRE_MM[1]) < 0.6 and abs(b[1] - CENTRE_MM[1]) < 0.6


def test_the_joint_line_does_not_move_with_a_ten_percent_spacing_change() -> None:
    # a knee narrower on one side, with soft tissue darker downward beside it, and the
    # plateau's rim under that condyle (its lower edge 7 mm under the condyle): read at
    # 0.9 times the spacing, the columns beside the knee tilted the joint gap's line
    # and the femur's edge was read on the rim under the +x condyle (7 mm low: mLDFA
    # 89.4 -> 80.7 on the digital OAI film's right knee). At 0.9, 1.0 and 1.1 times
    # the spacing the four joint-line points stay within a pixel, the lines' tilts
    # within 0.5 degree.
    image = _knee_film(gap_mm=4.0, plus_half_mm=36.0, rim=True)
    names = ("distal_femur_a", "distal_femur_b", "tibial_plateau_a", "tibial_plateau_b")
    found = []
    for factor in (0.9, 1.0, 1.1):
        knee = _knee_at(image, factor)
        assert set(names) <= set(knee.points), (factor, knee.notes)
        found.append({n: knee.points[n] / (SPACING_MM * factor) for n in names})  # pixels

    def tilt(p: dict[str, np.ndarray], bone: str) -> float:
        d = p[f"{bone}_b"] - p[f"{bone}_a"]
        return float(np.degrees(np.arctan2(d[1], d[0])))

    for p in found[::2]:
        assert max(float(np.linalg.norm(p[n] - found[1][n])) for n in names) < 1.0
        for bone in ("distal_femur", "tibial_plateau"):
            assert abs(tilt(p, bone) - tilt(found[1], bone)) < 0.5
    # and on the condyles, above the plateau: the flat parts' level, 4 mm over it
    for p in found:
        assert abs(p["distal_femur_b"][1] * SPACING_MM - CENTRE_MM[1]) < 1.0


def test_contacts_with_no_notch_between_them_are_flagged_for_review() -> None:
    # a distal outline with no notch: nothing tells that the two contacts are on two
    # condyles (a knee film's UKA was read with both 20 mm inward, confidence 1.0)
    knee = _knee_at(_knee_film(notch_mm=0.0))
    assert "femoral_knee_center" not in knee.points
    assert {"distal_femur_a", "distal_femur_b"} <= set(knee.points)
    assert max(knee.confidence.values()) < 0.5  # the tibia read under them too
    assert any("no notch between the condyles' contacts" in note for note in knee.notes)
    # with the notch the same knee is sure
    sure = _knee_at(_knee_film())
    assert min(sure.confidence["distal_femur_a"], sure.confidence["distal_femur_b"]) >= 0.5


def test_half_a_knee_gives_no_joint_line():
    # condyles read without a plateau below them (a tangent to something else is
    # possible): the joint line is left out, with the reason, never guessed
    knee = KneeFinding(
        points={
            "distal_femur_a": np.array([50.0, 75.0]),
            "distal_femur_b": np.array([100.0, 75.0]),
            "femoral_knee_center": np.array([75.0, 67.0]),
        },
        confidence={"distal_femur_a": 0.9, "distal_femur_b": 0.9, "femoral_knee_center": 0.9},
        notes=["proximal tibia: no clear plateau or tray below the femur"],
    )
    out: dict[str, Any] = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    out["medial_x"] = 1.0
    _take_joint_line(knee, out)
    assert out["points"] == {}
    assert set(out["reasons"]) == {
        "distal_femur_medial",
        "distal_femur_lateral",
        "tibial_plateau_medial",
        "tibial_plateau_lateral",
    }
    assert all("no clear plateau" in why for why in out["reasons"].values())


@pytest.mark.parametrize(
    ("moved", "why"),
    [
        # the second contact on the first condyle, beside the first: the notch is
        # not between them
        ({"distal_femur_b": np.array([62.0, 75.0])}, "the notch lies at"),
        # both contacts on one condyle with a dip between them read as the notch
        (
            {"distal_femur_b": np.array([68.0, 75.0]), "femoral_knee_center": [59.0, 71.0]},
            "of the plateau's width apart",
        ),
        # the second contact on the plateau's rim, under the plateau's line (an edge
        # under the femur, as read at 0.9 times the spacing on the OAI film)
        ({"distal_femur_b": np.array([100.0, 84.0])}, "under the plateau"),
    ],
)
def test_an_implausible_contact_pair_gives_no_joint_line(moved: dict[str, Any], why: str) -> None:
    points = {
        "distal_femur_a": np.array([50.0, 75.0]),
        "distal_femur_b": np.array([100.0, 75.0]),
        "femoral_knee_center": np.array([75.0, 67.0]),
        "tibial_plateau_a": np.array([40.0, 81.0]),
        "tibial_plateau_b": np.array([110.0, 81.0]),
    }
    points.update({k: np.asarray(v, dtype=float) for k, v in moved.items()})
    knee = KneeFinding(points=points, confidence=dict.fromkeys(points, 0.9))
    out: dict[str, Any] = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    out["medial_x"] = 1.0
    _take_joint_line(knee, out)
    assert out["points"] == {}
    assert len(out["reasons"]) == 4
    assert all(why in reason for reason in out["reasons"].values()), out["reasons"]


def test_a_whole_knee_gives_its_joint_line_named_by_side():
    a, b = np.array([50.0, 75.0]), np.array([100.0, 75.0])
    knee = KneeFinding(
        points={
            "distal_femur_a": a,
            "distal_femur_b": b,
            "femoral_knee_center": np.array([75.0, 67.0]),
            "tibial_plateau_a": np.array([40.0, 81.0]),
            "tibial_plateau_b": np.array([110.0, 81.0]),
        },
        confidence=dict.fromkeys(["distal_femur_a", "distal_femur_b"], 0.8),
    )
    out: dict[str, Any] = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    out["medial_x"] = 1.0  # medial toward +x: the `b` points are medial
    _take_joint_line(knee, out)
    assert np.array_equal(out["points"]["distal_femur_medial"], b)
    assert np.array_equal(out["points"]["distal_femur_lateral"], a)
    assert out["points"]["tibial_plateau_medial"][0] == 110.0
    assert "femoral_knee_center" not in out["points"]  # the centres are not its part
    assert out["confidence"]["distal_femur_medial"] == 0.8


def test_real_long_leg_film_gets_its_mechanical_knee_angles(realfilms):
    # the digital OAI film: both legs are found as bone columns, whose joint lines
    # were not read (mLDFA, MPTA on 0 of 2 legs); both within 2 degrees of the
    # reference landmarks' angles now (0.3 / 0.4 mLDFA, 1.6 / 0.2 MPTA when written)
    path = realfilms / "longleg" / "01924704_1x1.jpg"
    table = pd.read_csv(realfilms / "reference_landmarks.csv")
    reference = measure_landmarks(table[table["image"] == "longleg/01924704_1x1.jpg"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)
        film = read_radiograph(path, spacing_mm=0.763)
    got = measure_landmarks(detect_landmarks(film).landmarks)
    want = reference.set_index(["side", "measure"])["value"]
    found = got.set_index(["side", "measure"])["value"]
    for side in ("left", "right"):
        for name in ("mldfa", "mpta"):
            assert abs(found[(side, name)] - want[(side, name)]) < 2.0, (side, name)


def test_real_long_leg_joint_lines_do_not_swing_with_the_spacing(realfilms):
    # the digital OAI film at 0.9, 1.0 and 1.1 times its ruler spacing: each leg's
    # condylar line keeps its tilt on the film, and the joint-line convergence angle
    # (condylar line to plateau line) its value, within 0.5 degree (at 0.9 the right
    # femur's edge was read on the plateau's rim: JLCA 0.9 -> 11.5 degrees). mLDFA and
    # MPTA also carry the mechanical axes' swing (the femoral head, the knee centres).
    film = oai_film(realfilms)
    tilts: dict[str, list[float]] = {}
    jlca: dict[str, list[float]] = {}
    for factor in (0.9, 1.0, 1.1):
        spacing = OAI_SPACING_MM * factor
        found = detect_landmarks(dataclasses.replace(film, spacing_mm=(spacing, spacing)))
        table = found.landmarks.set_index(["side", "landmark"])
        angles = measure_landmarks(found.landmarks).set_index(["side", "measure"])["value"]
        for side in ("left", "right"):
            a, b = (
                table.loc[(side, f"distal_femur_{n}"), ["x", "y"]].to_numpy(float)
                for n in ("lateral", "medial")
            )
            tilt = float(np.degrees(np.arctan2(abs(b[1] - a[1]), abs(b[0] - a[0]))))
            tilts.setdefault(side, []).append(tilt * np.sign(b[1] - a[1]))
            jlca.setdefault(side, []).append(float(angles[(side, "jlca")]))
    for side in ("left", "right"):
        assert max(tilts[side]) - min(tilts[side]) <= 0.5, (side, tilts[side])
        assert max(jlca[side]) - min(jlca[side]) <= 0.5, (side, jlca[side])
