"""Canonical landmark files: validation, CSV and JSON round trips, error messages."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alignment import (
    LandmarkError,
    LandmarkFileError,
    LandmarkSet,
    UnknownLandmarkError,
    landmark_sets,
    landmark_table,
    read_landmarks,
    write_landmarks,
)
from tests.legs import ap_leg


def _sets() -> list[LandmarkSet]:
    return [
        ap_leg(side="left", image="patients/p1/long leg.dcm", spacing_mm=(0.143, 0.1431)),
        LandmarkSet(
            "p1_lat.dcm",
            "right",
            "LAT",
            {"tibial_plateau_anterior": (1 / 3, 2e-17), "tibial_shaft_distal": (5, 6)},
            case="p1",
            reader="reader A",
            magnification=1.15,
            patient_orientation="A\\F",
        ),  # fmt: skip
    ]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_round_trip_is_exact(tmp_path, suffix):
    table = landmark_table(_sets())
    path = write_landmarks(table, tmp_path / f"landmarks{suffix}")
    back = read_landmarks(path)
    pd.testing.assert_frame_equal(back, table)
    assert landmark_sets(back) == _sets()


def test_case_defaults_to_image_stem_and_reader_to_empty():
    table = landmark_table(_sets())
    assert table.groupby("image")["case"].first().to_dict() == {
        "p1_lat.dcm": "p1", "patients/p1/long leg.dcm": "long leg"}  # fmt: skip
    assert set(table["reader"]) == {"", "reader A"}


def _write_csv(tmp_path, text: str):
    path = tmp_path / "marks.csv"
    path.write_text(text)
    return path


HEADER = "image,side,view,landmark,x,y\n"


def test_unknown_landmark_lists_closest_names_and_line(tmp_path):
    path = _write_csv(
        tmp_path, HEADER + "a.dcm,L,AP,ankle_center,1,2\na.dcm,L,AP,femoral_head_centre,1,2\n"
    )
    with pytest.raises(UnknownLandmarkError) as info:
        read_landmarks(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line 3: unknown landmark 'femoral_head_centre'")
    assert "'femoral_head_center'" in message
    assert info.value.suggestions[0] == "femoral_head_center"


def test_landmark_of_the_other_view_is_named(tmp_path):
    path = _write_csv(tmp_path, HEADER + "a.dcm,left,LAT,ankle_center,1,2\n")
    with pytest.raises(UnknownLandmarkError, match="not a LAT landmark; LAT landmarks are"):
        read_landmarks(path)


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "abc", ""])
def test_non_finite_coordinate_names_file_and_line(tmp_path, bad):
    path = _write_csv(tmp_path, HEADER + "a.dcm,left,AP,ankle_center,1,2\n"
                      f"a.dcm,left,AP,knee_center,{bad},2\n")  # fmt: skip
    with pytest.raises(
        LandmarkFileError, match=rf"^{path}, line 3: x is .*expected a finite number"
    ):
        read_landmarks(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("image,side,view,landmark,x\n", "missing column(s) y"),
        (HEADER + "a.dcm,middle,AP,ankle_center,1,2\n", "line 2: invalid side 'middle'"),
        (HEADER + "a.dcm,left,PA-ish,ankle_center,1,2\n", "invalid view 'PA-ish'"),
        (HEADER + "a.dcm,left,AP,ankle_center,1,2\na.dcm,L,AP,ankle_center,3,4\n",
         "line 3: landmark 'ankle_center' of a.dcm (left AP) is given twice"),
        (HEADER + ",left,AP,ankle_center,1,2\n", "line 2: empty 'image'"),
        ("image,side,view,landmark,x,y,row_spacing_mm,col_spacing_mm\n"
         "a.dcm,left,AP,ankle_center,1,2,0,0.1\n", "row_spacing_mm is '0'"),
        ("image,side,view,landmark,x,y,row_spacing_mm,col_spacing_mm\n"
         "a.dcm,left,AP,ankle_center,1,2,0.1,0.1\na.dcm,left,AP,knee_center,1,2,0.2,0.1\n",
         "more than one value of row_spacing_mm"),
        ("", "cannot read as a landmark CSV"),
    ],
)  # fmt: skip
def test_malformed_csv(tmp_path, body, message):
    with pytest.raises(LandmarkFileError) as info:
        read_landmarks(_write_csv(tmp_path, body))
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "cannot read as landmark JSON"),
        ('{"format": "other"}', "not a canonical landmark JSON file"),
        ('{"format": "alignment-landmarks", "landmark_sets": {}}', "must be a list"),
        ('{"format": "alignment-landmarks", "landmark_sets": [{"landmarks": {"a": 1}}]}',
         "landmark 'a' must be [x, y]"),
    ],
)  # fmt: skip
def test_malformed_json(tmp_path, document, message):
    path = tmp_path / "marks.json"
    path.write_text(document)
    with pytest.raises(LandmarkFileError) as info:
        read_landmarks(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(LandmarkFileError, match="no such landmark file"):
        read_landmarks(tmp_path / "absent.csv")
    (tmp_path / "a.xyz").write_text("")
    with pytest.raises(LandmarkFileError, match="unknown landmark file type '.xyz'"):
        read_landmarks(tmp_path / "a.xyz")


def test_landmark_set_checks_its_input():
    with pytest.raises(UnknownLandmarkError):
        LandmarkSet("a", "left", "AP", {"hip": (1, 2)})
    with pytest.raises(LandmarkError, match="non-finite"):
        LandmarkSet("a", "left", "AP", {"knee_center": (np.nan, 2)})
    with pytest.raises(LandmarkError, match="spacing_mm must be two positive numbers"):
        LandmarkSet("a", "left", "AP", {}, spacing_mm=(0.1, -1))
    with pytest.raises(LandmarkError, match="invalid side"):
        LandmarkSet("a", "up", "AP", {})


def test_json_document_shape(tmp_path):
    path = write_landmarks(landmark_table(_sets()[1:]), tmp_path / "m.json")
    document = json.loads(path.read_text())
    assert document["format"] == "alignment-landmarks" and document["version"] == 1
    entry = document["landmark_sets"][0]
    assert entry["landmarks"]["tibial_shaft_distal"] == [5.0, 6.0]
    assert entry["spacing_mm"] is None and entry["magnification"] == 1.15
