"""The measures on the true landmarks equal the parameters the limb was built from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.landmarks import landmark_table
from alignment.phantom import FilmParameters, LimbParameters, render_film

LIMBS = [
    LimbParameters(),
    LimbParameters(mldfa_deg=91.0, mpta_deg=83.0, jlca_deg=3.0, ama_deg=4.0),  # varus
    LimbParameters(
        mldfa_deg=84.0, mpta_deg=91.0, jlca_deg=-1.0, femur_length_mm=500.0, tibia_length_mm=420.0
    ),  # valgus, long
    LimbParameters.postop(fta_deg=177.0, ffc_deg=88.0, ftc_deg=91.5, lfc_deg=84.0, ltc_deg=92.0),
    LimbParameters.postop(
        fta_deg=172.0,
        ffc_deg=92.5,
        ftc_deg=88.0,
        lfc_deg=97.0,
        ltc_deg=83.0,
        femur_length_mm=390.0,
        tibia_length_mm=320.0,
    ),
]


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.acos(float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))))


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("limb", LIMBS, ids=range(len(LIMBS)))
def test_spec_formulas_on_the_projected_landmarks(limb, side):
    """HKA, mLDFA and MPTA computed here from the spec's formulas, in mm."""
    film = render_film(FilmParameters.long_leg(sides=(side,)).downscaled(10), limb, seed=0)
    sp = np.array(film.spacing_mm[::-1])  # (col_mm, row_mm) multiplies (x, y)
    p = {n: np.array(v) * sp for n, v in film.landmarks[side].items()}
    dF = p["femoral_knee_center"] - p["femoral_head_center"]
    dT = p["ankle_center"] - p["tibial_knee_center"]
    jF = p["distal_femur_lateral"] - p["distal_femur_medial"]
    jT = p["tibial_plateau_lateral"] - p["tibial_plateau_medial"]
    lateral = jF / np.linalg.norm(jF) + jT / np.linalg.norm(jT)
    lateral /= np.linalg.norm(lateral)
    distal = np.array([-lateral[1], lateral[0]])
    if distal @ (p["ankle_center"] - p["femoral_head_center"]) < 0:
        distal = -distal

    def direction(v: np.ndarray) -> float:
        return math.degrees(math.atan2(v @ distal, v @ lateral))

    hka = 180.0 + direction(dF) - direction(dT)  # turn toward lateral = smaller direction
    assert hka == pytest.approx(limb.hka_deg, abs=0.01)
    assert _angle(jF, -dF) == pytest.approx(limb.mldfa_deg, abs=0.01)
    assert _angle(-jT, dT) == pytest.approx(limb.mpta_deg, abs=0.01)
    assert direction(jT) - direction(jF) == pytest.approx(limb.jlca_deg, abs=0.01)
    length = np.linalg.norm(dF) / film.magnification
    assert length == pytest.approx(limb.femur_length_mm, abs=0.01)


@pytest.mark.parametrize("limb", LIMBS, ids=range(len(LIMBS)))
def test_engine_measures_equal_the_parameters(limb):
    from alignment import measure_landmarks

    checked = 0
    for view, film in (
        ("AP", FilmParameters.long_leg().downscaled(10)),
        ("LAT", FilmParameters.lateral_knee("left").downscaled(8)),
    ):
        sets = render_film(film, limb, seed=0).landmark_sets(f"{view}.dcm", case="c")
        results = measure_landmarks(landmark_table(sets))
        checked += _check(results, limb)
    assert checked >= 2 * 15 + (4 if limb.implant else 2)


def _check(results, limb):
    checked = 0
    for row in results.itertuples():
        expected = limb.expected_measures(row.view)
        if row.measure in expected:
            assert row.status == "ok", row
            assert row.value == pytest.approx(expected[row.measure], abs=0.01), row.measure
            checked += 1
    return checked


def test_rotation_biases_the_measures():
    """What the phantom is for: a rotated, flexed knee does not show its true HKA."""
    from alignment import measure_landmarks

    film = FilmParameters.long_leg(sides=("right",)).downscaled(10)
    limb = LimbParameters(knee_flexion_deg=15.0, rotation_deg=20.0)
    table = landmark_table(render_film(film, limb, seed=0).landmark_sets("a.dcm"))
    results = measure_landmarks(table).set_index("measure")
    assert abs(results.loc["hka", "value"] - limb.hka_deg) > 0.5
