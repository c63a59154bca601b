"""Name maps: normalisation, side words, aliases, user maps."""

from __future__ import annotations

import pytest

from alignment.annotations import DEFAULT_NAME_MAP_PATH, load_name_map, normalise_label
from alignment.errors import AnnotationError, UnknownLandmarkError
from alignment.vocabulary import AP_LANDMARKS, LAT_LANDMARKS


@pytest.mark.parametrize("name", sorted(set(AP_LANDMARKS + LAT_LANDMARKS)))
@pytest.mark.parametrize(
    ("template", "side"),
    [
        ("{}", None),
        ("L_{}", "left"),
        ("left {}", "left"),
        ("{} (R)", "right"),
        ("{}-right", "right"),
        ("RT.{}", "right"),
    ],
)
def test_spec_names_with_side_words(name, template, side):
    assert load_name_map().resolve(template.format(name)) == (name, side)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Femoral Head Centre", ("femoral_head_center", None)),
        ("L. hip centre", ("femoral_head_center", "left")),
        ("ankle-R", ("ankle_center", "right")),
        ("Medial Tibial Plateau", ("tibial_plateau_medial", None)),
        ("lateral condyle left", ("distal_femur_lateral", "left")),
        ("Intercondylar notch", ("femoral_knee_center", None)),
    ],
)
def test_default_aliases(label, expected):
    assert load_name_map().resolve(label) == expected


def test_ignored_and_unknown_labels():
    names = load_name_map()
    assert names.resolve("Calibration Ball") is None
    with pytest.raises(
        UnknownLandmarkError, match="file.json: label not in the name map.*'femoral_head_center'"
    ):
        names.resolve("femoral head centr", where="file.json")


def test_normalise_label():
    assert normalise_label("  L. Femoral-Head  (centre) ") == "l_femoral_head_centre"


def test_user_map_from_toml(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(
        '[aliases]\nankle_center = ["AJC"]\n'
        '[names]\n"F-1" = "right femoral_head_center"\n"F-2" = "calibration"\n'
        '[sides]\nleft = ["gauche"]\n'
        '[point_orders]\n"2" = ["left hip", ""]\n'
    )
    names = load_name_map(path)
    assert names.resolve("AJC gauche") == ("ankle_center", "left")
    assert names.resolve("F-1") == ("femoral_head_center", "right")
    assert names.resolve("F-2") is None
    assert names.point_orders[2] == ("left hip", "")
    assert names.point_orders[13][0] == "femoral_head_center"  # default kept
    assert str(path) in names.source
    assert load_name_map(names) is names


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ({"aliasses": {}}, AnnotationError, "unknown name map table\\(s\\) aliasses"),
        ({"aliases": {"ankle_centre": ["x"]}}, UnknownLandmarkError, "ankle_centre"),
        ({"aliases": {"ankle_center": "x"}}, AnnotationError, "must be a list"),
        ({"sides": {"up": ["u"]}}, AnnotationError, "\\[sides\\]"),
        ({"point_orders": {"2": ["a"]}}, AnnotationError, "must list exactly 2"),
        ({"names": {"a": 1}}, AnnotationError, "must map to a string"),
    ],
)
def test_bad_user_maps(document, error, message):
    with pytest.raises(error, match=message):
        load_name_map(document)


def test_bad_toml(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text("[aliases\n")
    with pytest.raises(AnnotationError, match="cannot read the name map"):
        load_name_map(path)


def test_default_map_ships_with_the_package():
    assert DEFAULT_NAME_MAP_PATH.name == "names.toml" and DEFAULT_NAME_MAP_PATH.is_file()
