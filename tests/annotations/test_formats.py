"""Every annotation format: fixtures written by the tests, read back to the same table."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import roifile

from alignment.annotations import (
    AnnotationWarning,
    detect_format,
    read_annotations,
    read_bonefinder_pts,
    read_coco,
    read_imagej_roi,
    read_slicer_markups,
    write_slicer_markups,
)
from alignment.errors import AnnotationError, LandmarkFileError, UnknownLandmarkError
from alignment.io import ImageGeometry, read_radiograph
from alignment.landmarks import read_landmarks, write_landmarks
from alignment.vocabulary import AP_LANDMARKS
from tests.io.dicom_factory import make_dataset, write_dicom

IMAGE = "knee.png"
RNG = np.random.default_rng(7)
TRUTH: dict[str, dict[str, tuple[float, float]]] = {
    side: {
        name: (float(x), float(y))
        for name, x, y in zip(
            AP_LANDMARKS[:12],
            np.round(RNG.uniform(10, 290, 12), 2) + offset,
            np.round(np.linspace(20, 380, 12), 2),
            strict=True,
        )
    }
    for side, offset in (("left", 0.0), ("right", 1.25))
}


def truth_table() -> pd.DataFrame:
    rows = [
        {"image": IMAGE, "side": side, "view": "AP", "landmark": n, "x": x, "y": y}
        for side, points in TRUTH.items()
        for n, (x, y) in points.items()
    ]
    return pd.DataFrame(rows)


def write_image(folder: Path) -> Path:
    """A blank 400 x 300 PNG named :data:`IMAGE`."""
    image = folder / IMAGE
    cv2.imwrite(str(image), np.zeros((400, 300), np.uint8))
    return image


def write_point_roi(path: Path, coordinates: np.ndarray, name: str) -> None:
    """Write (or, for a ``.zip``, add) an ImageJ point ROI."""
    roi = roifile.ImagejRoi.frompoints(coordinates, name=name)
    roi.roitype = roifile.ROI_TYPE.POINT
    roi.tofile(path)


def write_labelme(folder: Path) -> Path:
    shapes: list[dict[str, object]] = [
        {
            "label": f"{side[0].upper()} {name}",
            "points": [[x, y]],
            "shape_type": "point",
            "group_id": None,
            "flags": {},
        }
        for side, points in TRUTH.items()
        for name, (x, y) in points.items()
    ]
    shapes.append({"label": "tibia outline", "points": [[1, 2], [3, 4]], "shape_type": "line"})
    document: dict[str, object] = {
        "version": "5.4.1",
        "flags": {},
        "shapes": shapes,
        "imagePath": IMAGE,
        "imageData": None,
        "imageHeight": 400,
        "imageWidth": 300,
    }
    path = folder / "knee.json"
    path.write_text(json.dumps(document))
    return path


def write_coco(folder: Path) -> Path:
    names = list(AP_LANDMARKS[:12])
    categories = [
        {
            "id": i + 1,
            "name": f"{side}_leg",
            "supercategory": "leg",
            "keypoints": names,
            "skeleton": [],
        }
        for i, side in enumerate(TRUTH)
    ]
    annotations = []
    for i, points in enumerate(TRUTH.values()):
        values: list[float] = []
        for name in names:
            x, y = points[name]
            values += [x - 0.5, y - 0.5, 2]
        annotations.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": i + 1,
                "keypoints": values,
                "num_keypoints": len(names),
                "bbox": [0, 0, 300, 400],
                "iscrowd": 0,
            }
        )
    other = {"id": 9, "image_id": 2, "category_id": 1, "keypoints": [0, 0, 0] * 12}
    document: dict[str, object] = {
        "images": [
            {"id": 1, "file_name": IMAGE, "width": 300, "height": 400},
            {"id": 2, "file_name": "other.png", "width": 300, "height": 400},
        ],
        "annotations": [*annotations, other],
        "categories": categories,
    }
    path = folder / "coco.json"
    path.write_text(json.dumps(document))
    return path


def write_cvat(folder: Path) -> Path:
    left = "".join(
        f'<points label="{n}" source="manual" outside="0" occluded="0" '
        f'points="{x:.2f},{y:.2f}" z_order="0"/>'
        for n, (x, y) in TRUTH["left"].items()
    )
    right = "".join(
        f'<points label="{n}" source="manual" occluded="0" points="{x:.2f},{y:.2f}" z_order="0">'
        '<attribute name="side">right</attribute></points>'
        for n, (x, y) in TRUTH["right"].items()
    )
    hidden = '<points label="knee_center" outside="1" points="5.00,5.00"/>'
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>'
        f'<image id="0" name="{IMAGE}" width="300" height="400">'
        f'<skeleton label="left leg" source="manual" z_order="0">{left}{hidden}</skeleton>{right}'
        "</image></annotations>"
    )
    path = folder / "annotations.xml"
    path.write_text(xml)
    return path


def write_imagej(folder: Path) -> Path:
    path = folder / "RoiSet.zip"
    for side, points in TRUTH.items():
        for name, (x, y) in points.items():
            write_point_roi(path, np.array([[x, y]], dtype=np.float32), f"{side} {name}")
    return path


def write_pts(folder: Path, side: str = "left") -> Path:
    points = [*TRUTH[side].values(), (150.0, 200.0)]  # 13th: knee_center
    body = "\n".join(f"{x} {y}" for x, y in points)
    path = folder / f"{side}.pts"
    path.write_text(f"version: 1\nn_points: {len(points)}\n{{\n{body}\n}}\n")
    return path


def write_slicer(folder: Path) -> Path:
    return write_slicer_markups(truth_table(), folder / "knee.mrk.json")


def write_canonical_csv(folder: Path) -> Path:
    return write_landmarks(truth_table(), folder / "knee.csv")


def write_canonical_json(folder: Path) -> Path:
    return write_landmarks(truth_table(), folder / "knee.landmarks.json")


WRITERS: dict[str, Callable[[Path], Path]] = {
    "labelme": write_labelme,
    "coco": write_coco,
    "cvat": write_cvat,
    "imagej": write_imagej,
    "slicer": write_slicer,
    "csv": write_canonical_csv,
    "json": write_canonical_json,
}


def check_against_truth(
    table: pd.DataFrame, sides: tuple[str, ...] = ("left", "right"), atol: float = 1e-4
) -> None:
    assert set(table["view"]) == {"AP"}
    assert set(table["side"]) == set(sides)
    for side in sides:
        got = table[table["side"] == side].set_index("landmark")
        for name, (x, y) in TRUTH[side].items():
            assert got.loc[name, "x"] == pytest.approx(x, abs=atol), (side, name)
            assert got.loc[name, "y"] == pytest.approx(y, abs=atol), (side, name)


@pytest.mark.parametrize("kind", list(WRITERS))
def test_round_trip_through_read_landmarks(tmp_path, kind):
    path = WRITERS[kind](tmp_path)
    check_against_truth(read_landmarks(path))
    table = read_landmarks(path)
    if kind in ("labelme", "coco", "cvat", "csv", "json"):
        assert set(table["image"]) == {IMAGE}


@pytest.mark.parametrize("kind", ["labelme", "coco", "cvat", "imagej", "slicer"])
def test_detect_format(tmp_path, kind):
    assert detect_format(WRITERS[kind](tmp_path)) == kind


def test_canonical_files_are_not_foreign(tmp_path):
    assert detect_format(write_canonical_json(tmp_path)) is None
    assert detect_format(write_canonical_csv(tmp_path)) is None


def test_bonefinder_round_trip(tmp_path):
    table = read_landmarks(write_pts(tmp_path, "right"), side="right")
    check_against_truth(table, sides=("right",))
    assert table.set_index("landmark").loc["knee_center", "x"] == 150.0
    assert set(table["image"]) == {str(tmp_path / "right")}


def test_bonefinder_y_up_uses_image_height(tmp_path):
    image = write_image(tmp_path)
    path = write_pts(tmp_path)
    table = read_bonefinder_pts(path, side="left", image=image, y_axis="up")
    got = table.set_index("landmark")
    x, y = TRUTH["left"]["ankle_center"]
    assert (got.loc["ankle_center", "x"], got.loc["ankle_center", "y"]) == pytest.approx(
        (x, 400 - y)
    )
    with pytest.raises(AnnotationError, match="needs the image"):
        read_bonefinder_pts(path, side="left", y_axis="up")


def test_imagej_integer_coordinates_are_pixel_indices(tmp_path):
    path = tmp_path / "hip.roi"
    write_point_roi(path, np.array([[10, 20]]), "L femoral head")
    table = read_imagej_roi(path)
    assert (table.loc[0, "x"], table.loc[0, "y"], table.loc[0, "side"]) == (10.5, 20.5, "left")


def test_imagej_multipoint_uses_point_order(tmp_path):
    path = tmp_path / "leg.roi"
    points = [*TRUTH["left"].values(), (150.0, 200.0)]
    write_point_roi(path, np.array(points, dtype=np.float32), "left leg")
    check_against_truth(read_imagej_roi(path), sides=("left",))


def test_coco_selects_the_image_and_pixel_offset(tmp_path):
    path = write_coco(tmp_path)
    image = write_image(tmp_path)
    check_against_truth(read_coco(path, image=image))
    shifted = read_coco(path, pixel_offset=0.0)
    assert shifted["x"].to_numpy() == pytest.approx(truth_table()["x"].to_numpy() - 0.5)
    document = json.loads(path.read_text())
    document["annotations"][-1]["keypoints"][:3] = [5, 5, 2]  # other.png: one visible point
    path.write_text(json.dumps(document))
    both = read_coco(path, view="AP")
    assert set(both["image"]) == {IMAGE, "other.png"}
    check_against_truth(read_coco(path, image=image))
    third = tmp_path / "third.png"
    cv2.imwrite(str(third), np.zeros((4, 3), np.uint8))
    with pytest.raises(AnnotationError, match="no annotation of image 'third.png'"):
        read_coco(path, image=third)


# --- 3D Slicer: patient geometry -----------------------------------------------------


def write_slicer_points(
    folder: Path, positions: list[list[float]], labels: list[str], system: str = "LPS"
) -> Path:
    """A Slicer markups file of one point list, written by hand (not by the exporter)."""
    document = {
        "@schema": "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/"
        "Markups/Resources/Schema/markups-schema-v1.0.3.json#",
        "markups": [
            {
                "type": "Fiducial",
                "coordinateSystem": system,
                "coordinateUnits": "mm",
                "controlPoints": [
                    {
                        "id": str(i),
                        "label": label,
                        "position": position,
                        "positionStatus": "defined",
                    }
                    for i, (label, position) in enumerate(zip(labels, positions, strict=True))
                ],
            }
        ],
    }
    path = folder / "points.mrk.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def coronal_dicom(tmp_path) -> Path:
    ds = make_dataset(
        PixelSpacing=[0.2, 0.1],
        ImagePositionPatient=[-100, -50, 20],
        ImageOrientationPatient=[1, 0, 0, 0, 0, -1],
        ImageLaterality="L",
        ViewPosition="AP",
    )
    return write_dicom(tmp_path / "knee.dcm", ds)


@pytest.mark.parametrize(
    ("system", "position"), [("LPS", [-98.0, -50.0, 18.0]), ("RAS", [98.0, 50.0, 18.0])]
)
def test_slicer_points_map_back_through_dicom_geometry(tmp_path, coronal_dicom, system, position):
    path = write_slicer_points(tmp_path, [position], ["femoral head"], system)
    table = read_slicer_markups(path, image=coronal_dicom)
    row = table.iloc[0]
    # pixel (row 10, col 20) is (20.5, 10.5); side from Image Laterality, view from View Position
    assert (row["x"], row["y"]) == pytest.approx((20.5, 10.5))
    assert (row["side"], row["view"], row["landmark"]) == ("left", "AP", "femoral_head_center")
    assert (row["row_spacing_mm"], row["col_spacing_mm"]) == (0.2, 0.1)
    assert row["image"] == str(coronal_dicom)


def test_slicer_round_trip_with_dicom_geometry(tmp_path, coronal_dicom):
    table = truth_table().assign(image=str(coronal_dicom))
    path = write_slicer_markups(table, tmp_path / "out.mrk.json", image=coronal_dicom)
    positions = np.array(
        [c["position"] for c in json.loads(path.read_text())["markups"][0]["controlPoints"]]
    )
    assert np.allclose(positions[:, 1], -50.0)  # a coronal plane at P = -50
    check_against_truth(read_landmarks(path, image=coronal_dicom))


def test_slicer_off_plane_points_warn(tmp_path, coronal_dicom):
    path = write_slicer_points(tmp_path, [[-98.0, -40.0, 18.0]], ["femoral head"])
    with pytest.warns(AnnotationWarning, match="10.0 mm off the image plane"):
        table = read_slicer_markups(path, image=coronal_dicom)
    assert (table.loc[0, "x"], table.loc[0, "y"]) == pytest.approx((20.5, 10.5))


def test_slicer_planar_convention_for_png(tmp_path):
    path = write_slicer_points(tmp_path, [[20.0, 10.0, 0.0]], ["R ankle"])
    table = read_slicer_markups(path)
    assert (table.loc[0, "x"], table.loc[0, "y"]) == (20.5, 10.5)
    geometry = ImageGeometry.planar((0.5, 0.5))
    table = read_slicer_markups(path, geometry=geometry)
    assert (table.loc[0, "x"], table.loc[0, "y"]) == (40.5, 20.5)


def test_slicer_export_needs_one_image(tmp_path):
    table = pd.concat([truth_table(), truth_table().assign(image="other.png")])
    with pytest.raises(AnnotationError, match="holds the landmarks of one image; the table has 2"):
        write_slicer_markups(table, tmp_path / "x.mrk.json")


# --- options and errors ----------------------------------------------------------------


def labelme_file(folder: Path, labels: list[str], name: str = "a.json") -> Path:
    shapes = [
        {"label": label, "points": [[10.0 + i, 20.0 + i]], "shape_type": "point"}
        for i, label in enumerate(labels)
    ]
    path = folder / name
    path.write_text(json.dumps({"shapes": shapes, "imagePath": IMAGE}))
    return path


def test_unknown_labels_error_warn_ignore(tmp_path):
    path = labelme_file(tmp_path, ["L femoral head", "L femur thing"])
    with pytest.raises(UnknownLandmarkError, match="a.json, shapes\\[1\\]"):
        read_landmarks(path)
    with pytest.warns(AnnotationWarning, match="'L femur thing' is not in the name map; skipped"):
        assert len(read_landmarks(path, unknown="warn")) == 1
    assert len(read_landmarks(path, unknown="ignore")) == 1


def test_side_and_view_options(tmp_path):
    path = labelme_file(tmp_path, ["femoral_shaft_proximal", "femoral_shaft_distal"])
    with pytest.raises(AnnotationError, match="cannot tell the side of 'femoral_shaft_proximal'"):
        read_landmarks(path)
    with pytest.raises(AnnotationError, match="AP or LAT \\(only shaft points\\); give view="):
        read_landmarks(path, side="right")
    table = read_landmarks(path, side="right", view="lateral")
    assert set(table["view"]) == {"LAT"} and set(table["side"]) == {"right"}


def test_mixed_views_need_an_option(tmp_path):
    path = labelme_file(tmp_path, ["L ankle", "L tibial_plateau_anterior"])
    with pytest.raises(AnnotationError, match="both AP-only and LAT-only names"):
        read_landmarks(path)


def test_user_name_map_option(tmp_path):
    path = labelme_file(tmp_path, ["F-1", "F-2"])
    table = read_landmarks(
        path, name_map={"names": {"F-1": "left hip", "F-2": "left ankle"}}, reader="AB"
    )
    assert list(table["landmark"]) == ["femoral_head_center", "ankle_center"]
    assert set(table["reader"]) == {"AB"}


def test_duplicate_points_are_an_error(tmp_path):
    path = labelme_file(tmp_path, ["L hip", "left femoral head"])
    with pytest.raises(LandmarkFileError, match="'femoral_head_center' .* is given twice"):
        read_landmarks(path)


def test_image_fills_spacing_and_side(tmp_path):
    image = write_image(tmp_path)
    (tmp_path / "knee.spacing.json").write_text(
        json.dumps({"spacing_mm": [0.2, 0.1], "laterality": "R"})
    )
    path = labelme_file(tmp_path, ["hip", "ankle"])
    table = read_landmarks(path, image=read_radiograph(image, pixels=False))
    assert set(table["side"]) == {"right"}
    assert (table["row_spacing_mm"].iloc[0], table["col_spacing_mm"].iloc[0]) == (0.2, 0.1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.mrk.json", "{", "cannot read as Slicer markups JSON"),
        ("a.mrk.json", '{"markups": [{"coordinateSystem": "XYZ"}]}', "coordinateSystem 'XYZ'"),
        ("a.mrk.json", '{"markups": [{"coordinateUnits": "inch"}]}', "coordinateUnits 'inch'"),
        (
            "a.mrk.json",
            '{"markups": [{"controlPoints": [{"label": "hip", "position": [1]}]}]}',
            "expected three numbers",
        ),
        ("a.mrk.json", '{"markups": []}', "no landmark found"),
        ("a.json", '{"shapes": [{"label": "L hip", "points": [[1]]}]}', "points must hold"),
        (
            "a.json",
            '{"shapes": [{"label": "L hip", "points": [["a", 1]]}]}',
            "'a' is not a number",
        ),
        ("a.json", '{"shapes": "x"}', "not a LabelMe file"),
        (
            "c.json",
            '{"images": [], "annotations": [], "categories": [], "shapes": 1}',
            "not a LabelMe",
        ),
        ("a.xml", "<annotations><image", "cannot read as CVAT XML"),
        ("a.xml", "<other/>", "not a CVAT for images file"),
        (
            "a.xml",
            '<annotations><image name="a"><points label="L hip" points="1;2"/>'
            "</image></annotations>",
            "malformed points",
        ),
        ("a.roi", "not a roi", "cannot read as ImageJ ROI"),
        ("a.pts", "version: 1\nn_points: 2\n{\n1 2\n}\n", "n_points is 2 but 1 points follow"),
        ("a.pts", "version: 1\n1 2\n", "no \\{ ... \\} block"),
        (
            "a.pts",
            "version: 1\n{\n1 2\n3 4\n}\n",
            "has 2 unnamed points and the name map has no point order",
        ),
        ("a.txt.gz", "", "unknown landmark file type '.gz'"),
        ("b.json", '{"something": 1}', "not a canonical landmark JSON"),
    ],
)
def test_malformed_files_name_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LandmarkFileError, match=message) as info:
        read_landmarks(path)
    assert name in str(info.value)


def test_read_annotations_errors(tmp_path):
    with pytest.raises(AnnotationError, match="no such annotation file"):
        read_annotations(tmp_path / "absent.xml")
    path = tmp_path / "a.json"
    path.write_text("{}")
    with pytest.raises(AnnotationError, match="not a recognised annotation file"):
        read_annotations(path)
    with pytest.raises(AnnotationError, match="unknown annotation format 'x'"):
        read_annotations(path, format="x")


def test_imagej_zip_is_a_zip(tmp_path):
    path = write_imagej(tmp_path)
    assert zipfile.is_zipfile(path)
