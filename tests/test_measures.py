"""The engine against hand-derived values, invariances and every missing-landmark path."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment import LandmarkSet, landmark_table, measure_landmarks, to_wide
from alignment.measures import MEASURES, RESULT_COLUMNS, measures_for
from alignment.measures.registry import FALLBACKS
from alignment.vocabulary import AP_LANDMARKS
from tests.legs import Leg, ap_leg

TOL = 1e-6  # degrees (and mm): the spec's agreement bound


def measured(*sets: LandmarkSet, **kwargs) -> pd.DataFrame:
    return measure_landmarks(landmark_table(sets), **kwargs)


def values(results: pd.DataFrame, *, side: str | None = None) -> dict[str, float]:
    rows = results if side is None else results[results["side"] == side]
    return dict(zip(rows["measure"], rows["value"], strict=True))


def assert_matches(found: dict[str, float], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, abs=TOL), name


def test_straight_leg_by_hand():
    leg = Leg(theta_dF=90, theta_dT=90, theta_jF=0, theta_jT=0, theta_aF=90, theta_aT=90)
    found = values(measured(ap_leg(leg)))
    assert_matches(
        found,
        {"hka": 180, "fta": 180, "mldfa": 90, "mpta": 90, "aldfa": 90, "jlca": 0, "ama": 0,
         "ffc": 90, "ftc": 90, "ffc_anatomical": 90, "ftc_anatomical": 90, "ahka": 0,
         "jlo": 180, "cpak": 5, "mad_mm": 0},
    )  # fmt: skip


def test_three_four_five_by_hand():
    # Right leg, lateral = -x. The femoral mechanical axis runs 3 lateral per 4 distal
    # into a vertical tibia: the knee lies lateral of the hip-ankle line (varus).
    points = {
        "femoral_head_center": (0.0, 0.0),
        "femoral_knee_center": (-300.0, 400.0),
        "tibial_knee_center": (-300.0, 400.0),
        "ankle_center": (-300.0, 800.0),
        "distal_femur_medial": (-250.0, 400.0),
        "distal_femur_lateral": (-350.0, 400.0),
    }
    results = measured(LandmarkSet("a.png", "right", "AP", points, spacing_mm=(1.0, 1.0)))
    found = values(results)
    turn = math.degrees(math.atan2(3, 4))
    # dF turns toward lateral (-x) by `turn` from distal; dT is distal: b turns medial.
    assert found["hka"] == pytest.approx(180 - turn, abs=TOL)
    assert found["mldfa"] == pytest.approx(90 + turn, abs=TOL)
    assert found["femur_length_mm"] == pytest.approx(500.0, abs=TOL)
    # The hip-ankle line is x = -0.375 y; the knee (-300, 400) lies lateral of it.
    distance = abs(-300 + 0.375 * 400) / math.hypot(1, 0.375)
    assert found["mad_mm"] == pytest.approx(distance, abs=TOL)


@pytest.mark.parametrize("side", ["left", "right"])
def test_hand_derived_leg(side):
    leg = Leg()
    found = values(measured(ap_leg(leg, side=side)))
    assert_matches(found, leg.expected())


def test_identity_holds_to_float_precision():
    rng = np.random.default_rng(7)
    sets = []
    for k in range(200):
        leg = Leg(*(rng.normal([93, 90.5, 1, -0.5, 99, 90.2], 3)))
        sets.append(ap_leg(leg, image=f"f{k}.dcm", rotate_deg=rng.uniform(-180, 180)))
    wide = to_wide(measured(*sets))
    residual = (wide["hka"] - 180) - (wide["mpta"] - wide["mldfa"] - wide["jlca"])
    assert np.abs(residual).max() < 1e-9


@pytest.mark.parametrize("angle", range(-180, 180, 15))
def test_invariant_under_rotation(angle):
    assert_matches(values(measured(ap_leg(rotate_deg=angle))), Leg().expected())


@pytest.mark.parametrize("spacing", [(0.1, 0.1), (0.1, 0.2), (0.3, 0.143), (1.0, 0.5)])
def test_invariant_under_anisotropic_spacing(spacing):
    found = values(measured(ap_leg(spacing_mm=spacing, rotate_deg=20)))
    assert_matches(found, Leg().expected())


def test_invariant_under_flip_and_translation():
    base = values(measured(ap_leg()))
    moved = values(measured(ap_leg(flip=True, offset_px=(-123.4, 987.6))))
    assert_matches(moved, base)


def test_left_right_mirror_symmetry():
    both = measured(ap_leg(side="left"), ap_leg(side="right"))
    assert_matches(values(both, side="left"), values(both, side="right"))


@settings(max_examples=60, deadline=None)
@given(
    theta=st.tuples(*(st.floats(-6, 6) for _ in range(6))),
    angle=st.floats(-180, 180),
    spacing=st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)),
    flip=st.booleans(),
    side=st.sampled_from(["left", "right"]),
)
def test_property_invariances(theta, angle, spacing, flip, side):
    leg = Leg(93 + theta[0], 90 + theta[1], theta[2], theta[3], 99 + theta[4], 90 + theta[5])
    film = ap_leg(leg, side=side, rotate_deg=angle, spacing_mm=spacing, flip=flip)
    assert_matches(values(measured(film)), leg.expected())


def _affected(landmark: str) -> set[str]:
    """Measures that need `landmark` once its substitute is taken into account."""
    return {m.name for m in measures_for("AP") if landmark in m.landmarks}


@pytest.mark.parametrize("landmark", [n for n in AP_LANDMARKS if n != "knee_center"])
def test_every_missing_landmark_path(landmark):
    results = measured(ap_leg(drop=(landmark,)))
    missing = results[results["status"] == "missing"]
    assert set(missing["measure"]) == _affected(landmark)
    assert missing["value"].isna().all()
    assert missing["reason"].str.contains(landmark).all()
    ok = results[results["status"] == "ok"]
    assert_matches(
        values(ok), {k: v for k, v in Leg().expected().items() if k in set(ok["measure"])}
    )


def test_knee_center_stands_for_both_knee_centres():
    film = ap_leg(drop=("femoral_knee_center", "tibial_knee_center"))
    knee = np.array(ap_leg().points["femoral_knee_center"])
    with_knee = replace(film, points={**film.points, "knee_center": tuple(knee)})
    same = replace(film, points={**film.points, "femoral_knee_center": tuple(knee),
                                 "tibial_knee_center": tuple(knee)})  # fmt: skip
    assert_matches(values(measured(with_knee)), values(measured(same)))
    assert set(FALLBACKS) == {"femoral_knee_center", "tibial_knee_center"}


def test_missing_knee_centre_reason_names_the_substitute():
    results = measured(ap_leg(drop=("femoral_knee_center",)))
    reason = results.set_index("measure").loc["hka", "reason"]
    assert reason == "missing landmark(s): femoral_knee_center (or knee_center)"


def test_coincident_landmarks_give_a_zero_length_axis():
    film = ap_leg()
    points = {**film.points, "femoral_shaft_distal": film.points["femoral_shaft_proximal"]}
    results = measured(replace(film, points=points)).set_index("measure")
    assert results.loc["fta", "status"] == "missing"
    assert results.loc["fta", "reason"] == (
        "zero-length axis: aF (femoral_shaft_proximal and femoral_shaft_distal coincide)"
    )
    assert results.loc["hka", "status"] == "ok"


def test_no_spacing_keeps_angles_and_drops_lengths():
    film = replace(ap_leg(spacing_mm=(1.0, 1.0)), spacing_mm=None)
    results = measured(film).set_index("measure")
    assert results.loc["hka", "status"] == "ok"
    assert results.loc["hka", "flags"] == "no_spacing"
    for name in ("femur_length_mm", "tibia_length_mm", "mad_mm"):
        assert results.loc[name, "status"] == "missing"
        assert results.loc[name, "reason"] == "no pixel spacing: lengths are unknown"


def test_magnification_divides_lengths():
    film = replace(ap_leg(), magnification=1.25)
    found = values(measured(film))
    assert found["femur_length_mm"] == pytest.approx(450.0 / 1.25, abs=TOL)
    assert found["hka"] == pytest.approx(Leg().expected()["hka"], abs=TOL)


def test_lateral_from_default_orientation_is_flagged():
    film = ap_leg(drop=("distal_femur_medial", "distal_femur_lateral", "tibial_plateau_medial",
                        "tibial_plateau_lateral"))  # fmt: skip
    results = measured(film).set_index("measure")
    assert results.loc["hka", "flags"] == "lateral_from_default_orientation"
    assert results.loc["hka", "value"] == pytest.approx(Leg().expected()["hka"], abs=TOL)
    assert results.loc["ama", "flags"] == ""  # unsigned: the frame does not enter it
    # A known orientation that puts the patient's right at +x mirrors the frame.
    flipped = measured(film, orientation="R\\F").set_index("measure")
    assert flipped.loc["hka", "flags"] == "lateral_from_orientation"
    assert flipped.loc["hka", "value"] - 180 == pytest.approx(180 - results.loc["hka", "value"])


@pytest.mark.parametrize(("orientation", "conflict"), [("L\\F", False), ("R\\F", True),
                                                       ("L\\H", True), ("", False)])  # fmt: skip
def test_orientation_conflict(orientation, conflict):
    film = replace(ap_leg(side="right"), patient_orientation=orientation)
    results = measured(film)
    assert results["flags"].str.contains("orientation_conflict").all() == conflict
    assert_matches(values(results), Leg().expected())  # the landmarks win


@pytest.mark.parametrize(
    ("mldfa", "mpta", "label"),
    [(90, 86, "I"), (88, 86, "II"), (86, 86, "II"), (85, 88, "III"), (92, 87.5, "IV"),
     (90, 90, "V"), (88, 92, "VI"), (94, 91, "VII"), (90, 93, "VI"), (91, 93, "VIII"),
     (89, 95, "IX"),
     (88.5, 88.5, "V"), (91.5, 91.5, "V"), (91.6, 91.5, "VIII")],
)  # fmt: skip
def test_cpak_types_and_inclusive_bounds(mldfa, mpta, label):
    # theta_jF = mldfa - 180 + theta_dF; theta_jT = mpta - 180 + theta_dT
    leg = Leg(theta_jF=mldfa - 180 + 93.0, theta_jT=mpta - 180 + 90.5)
    results = measured(ap_leg(leg)).set_index("measure")
    assert results.loc["cpak", "label"] == label
    assert results.loc["cpak", "value"] == (
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"].index(label) + 1
    )


def _lat_knee(theta_cF: float, theta_aF: float, theta_cT: float, theta_aT: float) -> LandmarkSet:
    """A lateral knee: directions measured in the image from +x toward +y (degrees)."""

    def at(point, theta, length):
        t = math.radians(theta)
        return (point[0] + length * math.cos(t), point[1] + length * math.sin(t))

    fsp = (500.0, 100.0)
    fca = (440.0, 700.0)
    tpa = (440.0, 760.0)
    tsp = (500.0, 850.0)
    return LandmarkSet("k.dcm", "left", "LAT", {
        "femoral_shaft_proximal": fsp, "femoral_shaft_distal": at(fsp, theta_aF, 400),
        "femoral_component_anterior": fca, "femoral_component_posterior": at(fca, theta_cF, 60),
        "tibial_plateau_posterior": at(tpa, theta_cT, 55), "tibial_plateau_anterior": tpa,
        "tibial_shaft_proximal": tsp, "tibial_shaft_distal": at(tsp, theta_aT, 300),
    }, spacing_mm=(0.2, 0.2))  # fmt: skip


def test_lateral_view_by_hand():
    # Anterior is -x. Femoral axis straight down (90); component line 3 degrees off the
    # perpendicular toward flexion; tibial axis down; tray sloping 5 degrees.
    knee = _lat_knee(theta_cF=-3.0, theta_aF=90.0, theta_cT=5.0, theta_aT=90.0)
    found = values(measured(knee))
    # lfc = angle(anterior->posterior, -aF): (-3) vs (-90) -> 87; ltc: tray from posterior
    # toward anterior points at 185 degrees, -aT at -90 (= 270): 85.
    assert_matches(found, {"lfc": 87.0, "ltc": 85.0, "femoral_component_flexion": 3.0,
                           "posterior_slope": 5.0})  # fmt: skip


def test_result_columns_and_order():
    results = measured(ap_leg(side="right"), ap_leg(side="left", image="b.dcm"))
    assert tuple(results.columns) == RESULT_COLUMNS
    names = [m.name for m in measures_for("AP")]
    assert results["measure"].tolist() == names * 2
    assert results["image"].tolist() == ["film.dcm"] * len(names) + ["b.dcm"] * len(names)
    assert results["preset"].unique().tolist() == ["default"]
    hka = results.set_index("measure").loc["hka"].iloc[0]
    assert hka["target"] == 180 and hka["tolerance"] == 3
    assert hka["deviation"] == pytest.approx(hka["value"] - 180)


def test_outliers_follow_tolerance_and_overrides():
    leg = Leg(theta_dF=95.0, theta_dT=90.0)  # hka 185: 5 degrees valgus
    base = measured(ap_leg(leg)).set_index("measure")
    assert bool(base.loc["hka", "outlier"]) is True
    loose = measured(ap_leg(leg), overrides={"hka": {"tolerance": 6}}).set_index("measure")
    assert bool(loose.loc["hka", "outlier"]) is False
    assert loose.loc["hka", "preset_hash"] != base.loc["hka", "preset_hash"]
    assert pd.isna(base.loc["mad_mm", "outlier"])  # no target: no outlier call


def test_knee_society_scores_anatomical_component_angles():
    results = measured(ap_leg(), preset="knee-society").set_index("measure")
    assert math.isnan(results.loc["ffc", "target"])
    assert results.loc["ffc_anatomical", "target"] == 96
    assert results.loc["ffc", "preset"] == "knee-society"


def test_bilateral_image_and_readers():
    sets = [ap_leg(side="left"), ap_leg(side="right"),
            replace(ap_leg(side="left"), reader="B")]  # fmt: skip
    wide = to_wide(measured(*sets))
    assert wide[["side", "reader"]].values.tolist() == [["left", ""], ["right", ""], ["left", "B"]]
    assert list(wide.columns[:5]) == ["image", "case", "reader", "side", "view"]
    assert wide["cpak"].tolist() == ["V", "V", "V"] or wide["cpak"].dtype == object


def test_registry_is_complete_and_consistent():
    spec_ap = {"hka", "fta", "mldfa", "mpta", "aldfa", "jlca", "ama", "ffc", "ftc",
               "ffc_anatomical", "ftc_anatomical", "ahka", "jlo", "cpak", "mad_mm",
               "femur_length_mm", "tibia_length_mm"}  # fmt: skip
    spec_lat = {"lfc", "ltc", "femoral_component_flexion", "posterior_slope"}
    assert {m.name for m in measures_for("AP")} == spec_ap
    assert {m.name for m in measures_for("LAT")} == spec_lat
    assert {n for n, m in MEASURES.items() if m.signed} == {"hka", "fta", "jlca", "mad_mm"}


def test_empty_table_gives_empty_results():
    empty = pd.DataFrame(columns=["image", "side", "view", "landmark", "x", "y"])
    results = measure_landmarks(empty)
    assert list(results.columns) == list(RESULT_COLUMNS) and results.empty


def test_mixed_views_in_one_table():
    knee = _lat_knee(theta_cF=-3.0, theta_aF=90.0, theta_cT=5.0, theta_aT=90.0)
    results = measured(ap_leg(), knee)
    assert results.groupby("view", observed=True).size().to_dict() == {"AP": 17, "LAT": 4}
    assert_matches(values(results[results["view"] == "LAT"]), {"lfc": 87.0, "ltc": 85.0})
