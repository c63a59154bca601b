"""Detection on small phantom films: per-landmark error bounds, sides and views."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignment.detect import AP_REQUIRED, DETECTION_COLUMNS, detect_landmarks
from alignment.landmarks import validate_landmarks
from alignment.measures import measure_landmarks

from .conftest import as_radiograph, errors_mm

# strict bounds (mm in the landmark plane) on 0.5 mm films
BOUNDS_MM = {
    "femoral_head_center": 4.0,
    "femoral_shaft_proximal": 3.0,
    "femoral_shaft_distal": 3.0,
    "femoral_knee_center": 2.5,
    "distal_femur_medial": 1.0,
    "distal_femur_lateral": 1.0,
    "tibial_knee_center": 4.0,
    "tibial_plateau_medial": 4.0,
    "tibial_plateau_lateral": 4.0,
    "tibial_shaft_proximal": 2.0,  # 30 % down from tibial_knee_center: its error too
    "tibial_shaft_distal": 1.5,
    "ankle_center": 1.5,
}


def test_both_legs_found_with_the_right_sides(ap_result):
    assert sorted(leg.side for leg in ap_result.legs) == ["left", "right"]
    assert ap_result.view == "AP" and ap_result.view_source == "dicom"
    assert list(ap_result.landmarks.columns) == list(DETECTION_COLUMNS)
    validate_landmarks(ap_result.landmarks)  # the canonical table, as is


_CASES = [
    pytest.param(
        side,
        name,
        id=f"{side}-{name}",
    )
    for side in ("right", "left")
    for name in AP_REQUIRED
]


@pytest.mark.parametrize(("side", "name"), _CASES)
def test_landmark_error_bounds(ap_film, ap_result, side, name):
    errors = errors_mm(ap_film, ap_result.landmarks)
    assert (side, name) in errors, f"{side} {name} not found: {ap_result.missing}"
    assert errors[(side, name)] <= BOUNDS_MM[name], (side, name, errors[(side, name)])


def test_confidence_and_method_columns(ap_result):
    table = ap_result.landmarks
    assert table["confidence"].between(0, 1).all()
    assert (table["method"] != "").all()
    assert table["row_spacing_mm"].notna().all()


def test_measures_close_to_truth(ap_film, ap_result):
    results = measure_landmarks(ap_result.landmarks)
    right = ap_film.limbs["right"]
    got = results.set_index(["side", "measure"])["value"]
    assert abs(got[("right", "hka")] - right.hka_deg) < 1.0
    assert abs(got[("right", "ffc")] - right.ffc_deg) < 1.0
    assert abs(got[("right", "ftc")] - right.ftc_deg) < 1.0
    assert abs(got[("left", "hka")] - ap_film.limbs["left"].hka_deg) < 1.0


def test_sides_follow_the_orientation_of_a_flipped_film(ap_film):
    flipped = as_radiograph(ap_film)
    flipped = dataclasses.replace(
        flipped, pixels=np.ascontiguousarray(flipped.pixels[:, ::-1]), patient_orientation="R\\F"
    )
    result = detect_landmarks(flipped)
    sides = {leg.side for leg in result.legs}
    assert sides == {"left", "right"}
    table = result.landmarks.set_index(["side", "landmark"])
    width = ap_film.pixels.shape[1]
    truth_x = width - ap_film.landmarks["right"]["ankle_center"][0]
    assert abs(table.loc[("right", "ankle_center"), "x"] - truth_x) < 5


def test_view_and_sides_inferred_without_tags(ap_film):
    bare = as_radiograph(ap_film, view=None, patient_orientation="", laterality=None)
    result = detect_landmarks(bare)
    assert result.view == "AP" and result.view_source == "inferred"
    assert result.film_view == "AP long-leg" and result.view_confidence >= 0.8
    assert result.side_source == "anatomy"  # medial toward the other leg
    assert {leg.side for leg in result.legs} == {"left", "right"}


def test_sides_option_keeps_one_leg(ap_film):
    result = detect_landmarks(as_radiograph(ap_film), sides=["left"])
    assert set(result.landmarks["side"]) == {"left"}


def test_wrong_arguments_raise():
    with pytest.raises(TypeError, match="Radiograph"):
        detect_landmarks(np.zeros((10, 10)))


@pytest.fixture(scope="module")
def lat_film():
    """Lateral film of a replaced right knee (0.5 mm pixels)."""
    from alignment.phantom import FilmParameters, LimbParameters, render_film

    from .conftest import DOWNSCALE

    film = FilmParameters.lateral_knee("right").downscaled(DOWNSCALE)
    limb = LimbParameters.postop(fta_deg=176.0, ffc_deg=91.0, ftc_deg=89.0, lfc_deg=93.0)
    return render_film(film, {"right": limb}, seed=7001)


def test_lateral_tka_tray_and_component(lat_film):
    result = detect_landmarks(as_radiograph(lat_film))
    assert [(leg.side, leg.view) for leg in result.legs] == [("right", "LAT")]
    errors = errors_mm(lat_film, result.landmarks)
    for name in (
        "tibial_plateau_anterior",
        "tibial_plateau_posterior",
        "femoral_component_anterior",
        "femoral_component_posterior",
    ):
        assert errors[("right", name)] <= 2.0, (name, errors[("right", name)])
    methods = result.landmarks.set_index("landmark")["method"]
    assert methods["tibial_plateau_anterior"] == "lat-tray"
