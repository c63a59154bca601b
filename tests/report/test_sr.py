"""DICOM SR (TID 1500) and GSPS out: built, written, read back with pydicom and highdicom."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import highdicom as hd
import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom import Dataset
from pydicom.sr.codedict import codes

from alignment import LandmarkSet, landmark_table, measure_landmarks
from alignment.errors import AlignmentError, ImageReadError
from alignment.measures.registry import FALLBACKS, MEASURES
from alignment.report.sr import (
    LOCAL_SCHEME,
    PR_SERIES_NUMBER,
    SR_SERIES_NUMBER,
    DicomExportError,
    build_measurement_report,
    build_presentation_state,
    measure_concept,
    write_dicom_outputs,
)
from tests.io.dicom_factory import make_dataset
from tests.legs import Leg, ap_leg

# Made-up identifiers, odd enough never to occur by chance in an output.
SECRETS = {
    "PatientName": "Zzyzx^Quentina",
    "PatientID": "PID-7731-XQ",
    "PatientBirthDate": "19411123",
    "AccessionNumber": "ACC-55-ZQW",
    "InstitutionName": "Saint Nowhere Clinic",
    "ReferringPhysicianName": "Ovidius^Hrothgar",
    "StudyID": "STUDY-9QX",
    "OtherPatientIDs": "OTHER-4242-Q",
    "OperatorsName": "Tech^Wilhelmina",
    "StationName": "XRAYROOM-ZQ",
}
SIZE = 512  # rows = columns of the synthetic film
SPACING = (2.0, 2.0)


def make_film(**attributes: Any) -> Dataset:
    """A small DX For Presentation film carrying the made-up identifiers."""
    film: dict[str, Any] = {
        "PatientSex": "F",
        "StudyDate": "20240102",
        "StudyTime": "101500",
        "Manufacturer": "ACME Radiography",
        "DeviceSerialNumber": "SN-ZQ-000117",
        "PatientOrientation": ["L", "F"],
        "ImagerPixelSpacing": list(SPACING),
        "WindowCenter": 128,
        "WindowWidth": 256,
    }
    pixels = np.zeros((SIZE, SIZE), np.uint8)
    return make_dataset(pixels, bits=8, **(film | SECRETS | attributes))


def ap_landmarks(image: str = "film.dcm") -> pd.DataFrame:
    """Two AP legs; the left one lacks the distal tibial shaft (fta, ftc_anatomical miss)."""
    right = ap_leg(Leg(theta_dF=94.0), side="right", image=image, spacing_mm=SPACING)
    left = ap_leg(
        Leg(theta_dF=91.0, theta_jF=4.0),
        side="left",
        image=image,
        spacing_mm=SPACING,
        offset_px=(200.0, 0.0),
        drop=("tibial_shaft_distal",),
    )
    return landmark_table([right, left])


def lat_landmarks(image: str = "knee.dcm") -> pd.DataFrame:
    points = {
        "femoral_shaft_proximal": (200.0, 50.0),
        "femoral_shaft_distal": (203.0, 200.0),
        "femoral_component_anterior": (232.0, 258.0),
        "femoral_component_posterior": (170.0, 262.0),
        "tibial_plateau_anterior": (233.0, 300.0),
        "tibial_plateau_posterior": (168.0, 306.0),
        "tibial_shaft_proximal": (200.0, 330.0),
        "tibial_shaft_distal": (198.0, 480.0),
    }
    return landmark_table([LandmarkSet(image, "left", "LAT", points, spacing_mm=SPACING)])


@pytest.fixture(scope="module")
def film() -> Dataset:
    return make_film()


@pytest.fixture(scope="module")
def landmarks() -> pd.DataFrame:
    return ap_landmarks()


@pytest.fixture(scope="module")
def results(landmarks: pd.DataFrame) -> pd.DataFrame:
    return measure_landmarks(landmarks)


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory, film: Dataset, results: pd.DataFrame, landmarks
) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("dicom_out")
    source = folder / "film.dcm"
    film.save_as(source, enforce_file_format=True)
    sr_path, pr_path = write_dicom_outputs(source, results, landmarks, folder / "out", stem="k1")
    return sr_path, pr_path


def read_report(path: Path) -> hd.sr.MeasurementReport:
    sr = hd.sr.srread(path)
    assert isinstance(sr, hd.sr.ComprehensiveSR)
    return hd.sr.MeasurementReport.from_sequence(sr.content)


def groups_by_label(
    report: hd.sr.MeasurementReport,
) -> dict[str, hd.sr.MeasurementsAndQualitativeEvaluations]:
    return {str(g.tracking_identifier): g for g in report.get_image_measurement_groups()}


def texts_of(dataset: Dataset) -> Iterator[str]:
    """Every text value anywhere in `dataset` (file meta and nested sequences included)."""
    for ds in (dataset.file_meta, dataset):
        for element in ds.iterall():
            if element.VR == "SQ":
                continue
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                if isinstance(value, bytes):
                    yield value.decode("latin-1")
                elif value is not None:
                    yield str(value)


def landmark_point(landmarks: pd.DataFrame, side: str, name: str) -> tuple[float, float]:
    rows = landmarks[(landmarks["side"] == side) & (landmarks["landmark"] == name)]
    if rows.empty and name in FALLBACKS:
        return landmark_point(landmarks, side, FALLBACKS[name])
    return float(rows["x"].iloc[0]), float(rows["y"].iloc[0])


# ----------------------------------------------------------------------------- SR


def test_files_are_written_under_the_given_stem(written: tuple[Path, Path]) -> None:
    sr_path, pr_path = written
    assert (sr_path.name, pr_path.name) == ("k1_sr.dcm", "k1_pr.dcm")
    assert sorted(p.name for p in sr_path.parent.iterdir()) == ["k1_pr.dcm", "k1_sr.dcm"]


def test_sr_references_the_source_image(written: tuple[Path, Path], film: Dataset) -> None:
    sr = hd.sr.srread(written[0])
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"
    assert (sr.SeriesNumber, sr.InstanceNumber) == (SR_SERIES_NUMBER, 1)
    evidence = sr.get_evidence()
    assert [(e[0], e[1], e[2], e[3]) for e in evidence] == [
        (
            film.StudyInstanceUID,
            film.SeriesInstanceUID,
            film.SOPInstanceUID,
            film.SOPClassUID,
        )
    ]
    report = hd.sr.MeasurementReport.from_sequence(sr.content)
    for group in report.get_image_measurement_groups():
        for measurement in group.get_measurements():
            for scoord in measurement.referenced_coordinates:
                ref = scoord.ContentSequence[0].ReferencedSOPSequence[0]
                assert ref.ReferencedSOPInstanceUID == film.SOPInstanceUID


def test_every_ok_measure_is_present_with_value_and_unit(
    written: tuple[Path, Path], results: pd.DataFrame
) -> None:
    groups = groups_by_label(read_report(written[0]))
    assert sorted(groups) == ["left AP", "right AP"]
    for side in ("right", "left"):
        group = groups[f"{side} AP"]
        numeric = {m.name.value: m for m in group.get_measurements()}
        rows = results[(results["side"] == side) & (results["unit"] != "")]
        ok = rows[rows["status"] == "ok"]
        assert set(numeric) == set(ok["measure"])
        for measure, value, unit in zip(ok["measure"], ok["value"], ok["unit"], strict=True):
            measurement = numeric[str(measure)]
            assert measurement.name == measure_concept(str(measure))
            assert measurement.name.scheme_designator == LOCAL_SCHEME
            assert measurement.value == pytest.approx(value, rel=1e-12)
            expected_unit = codes.UCUM.Degree if unit == "deg" else codes.UCUM.Millimeter
            assert measurement.unit.value == expected_unit.value
            assert measurement.unit.scheme_designator == "UCUM"


def test_missing_measures_are_left_out(written: tuple[Path, Path], results: pd.DataFrame) -> None:
    missing = results[(results["side"] == "left") & (results["status"] == "missing")]
    assert set(missing["measure"]) == {"fta", "ftc_anatomical"}
    group = groups_by_label(read_report(written[0]))["left AP"]
    names = {m.name.value for m in group.get_measurements()}
    assert not names & {"fta", "ftc_anatomical"}


def test_each_measurement_carries_the_coordinates_of_its_landmarks(
    written: tuple[Path, Path], landmarks: pd.DataFrame
) -> None:
    groups = groups_by_label(read_report(written[0]))
    for side in ("right", "left"):
        for measurement in groups[f"{side} AP"].get_measurements():
            scoords = measurement.referenced_coordinates
            named = {s.name.value: s for s in scoords}
            assert list(named) == list(MEASURES[measurement.name.value].landmarks)
            for name, scoord in named.items():
                assert scoord.name.scheme_designator == LOCAL_SCHEME
                assert scoord.graphic_type == hd.sr.GraphicTypeValues.POINT
                np.testing.assert_allclose(
                    scoord.value[0], landmark_point(landmarks, side, name), atol=1e-3
                )


def test_laterality_and_finding_site(written: tuple[Path, Path]) -> None:
    groups = groups_by_label(read_report(written[0]))
    for side, code in (("right", codes.SCT.Right), ("left", codes.SCT.Left)):
        (site,) = groups[f"{side} AP"].finding_sites
        assert site.value == codes.SCT.LowerLimb
        assert site.laterality == code


def test_cpak_type_is_a_qualitative_evaluation(
    written: tuple[Path, Path], results: pd.DataFrame
) -> None:
    groups = groups_by_label(read_report(written[0]))
    for side in ("right", "left"):
        label = results[(results["side"] == side) & (results["measure"] == "cpak")]["label"]
        (evaluation,) = groups[f"{side} AP"].get_qualitative_evaluations()
        assert evaluation.name.value == "cpak"
        value = cast(hd.sr.CodedConcept, evaluation.value)  # typed as a number upstream
        assert value.value == f"CPAK-{label.iloc[0]}"
        assert value.scheme_designator == LOCAL_SCHEME


def test_lat_film_is_reported_at_the_knee(film: Dataset) -> None:
    landmarks = lat_landmarks()
    results = measure_landmarks(landmarks)
    sr = build_measurement_report(film, results, landmarks)
    report = hd.sr.MeasurementReport.from_sequence(sr.content)
    (group,) = report.get_image_measurement_groups()
    assert group.tracking_identifier == "left LAT"
    (site,) = group.finding_sites
    assert (site.value, site.laterality) == (codes.SCT.Knee, codes.SCT.Left)
    values = {m.name.value: m.value for m in group.get_measurements()}
    expected = results.set_index("measure")["value"]
    assert set(values) == {"lfc", "ltc", "femoral_component_flexion", "posterior_slope"}
    for name, value in values.items():
        assert value == pytest.approx(expected[name])


# ---------------------------------------------------------------------- identifiers


@pytest.mark.parametrize("which", [0, 1], ids=["sr", "pr"])
def test_no_patient_identifiers_by_default(
    written: tuple[Path, Path], film: Dataset, which: int
) -> None:
    path = written[which]
    raw = path.read_bytes()
    text = "\n".join(texts_of(pydicom.dcmread(path)))
    for keyword, secret in SECRETS.items():
        for part in secret.split("^"):
            assert part.encode() not in raw, keyword
            assert part not in text, keyword
    ds = pydicom.dcmread(path)
    assert ds.PatientIdentityRemoved == "YES"
    assert (str(ds.PatientName), ds.PatientID, ds.PatientBirthDate) == ("", "", "")
    assert (ds.PatientSex, ds.StudyDate, ds.StudyTime, ds.AccessionNumber) == ("", "", "", "")
    assert "InstitutionName" not in ds or ds.InstitutionName != SECRETS["InstitutionName"]
    # The UIDs are kept: without them the reference cannot be resolved.
    assert ds.StudyInstanceUID == film.StudyInstanceUID


def test_identifiers_are_copied_when_asked(
    tmp_path: Path, film: Dataset, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    source = tmp_path / "film.dcm"
    film.save_as(source, enforce_file_format=True)
    paths = write_dicom_outputs(
        source, results, landmarks, tmp_path / "out", stem="k1", identifiers=True
    )
    for path in paths:
        ds = pydicom.dcmread(path)
        assert str(ds.PatientName) == SECRETS["PatientName"]
        assert ds.PatientID == SECRETS["PatientID"]
        assert ds.PatientBirthDate == SECRETS["PatientBirthDate"]
        assert ds.AccessionNumber == SECRETS["AccessionNumber"]
        assert ds.StudyInstanceUID == film.StudyInstanceUID
        assert "PatientIdentityRemoved" not in ds


def test_same_input_gives_the_same_uids(
    film: Dataset, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    first = build_measurement_report(film, results, landmarks)
    again = build_measurement_report(film, results, landmarks)
    assert first.SOPInstanceUID == again.SOPInstanceUID
    assert first.SeriesInstanceUID == again.SeriesInstanceUID
    changed = results.copy()
    changed.loc[changed["measure"] == "hka", "value"] += 1.0
    other = build_measurement_report(film, changed, landmarks)
    assert other.SOPInstanceUID != first.SOPInstanceUID
    assert other.SeriesInstanceUID == first.SeriesInstanceUID


# ----------------------------------------------------------------------------- GSPS


def graphic_objects(pr: Dataset, layer: str) -> list[Dataset]:
    return [
        obj
        for ann in pr.GraphicAnnotationSequence
        if ann.GraphicLayer == layer
        for obj in ann.get("GraphicObjectSequence", [])
    ]


def text_objects(pr: Dataset) -> list[Dataset]:
    return [
        obj for ann in pr.GraphicAnnotationSequence for obj in ann.get("TextObjectSequence", [])
    ]


def test_gsps_draws_the_axes_as_pixel_polylines(
    written: tuple[Path, Path], film: Dataset, landmarks: pd.DataFrame
) -> None:
    pr = pydicom.dcmread(written[1])
    assert pr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.11.1"
    assert (pr.SeriesNumber, pr.ContentLabel) == (PR_SERIES_NUMBER, "ALIGNMENT")
    referenced = pr.ReferencedSeriesSequence[0].ReferencedImageSequence[0]
    assert referenced.ReferencedSOPInstanceUID == film.SOPInstanceUID
    axes = {obj.TrackingID: obj for obj in graphic_objects(pr, "AXES")}
    right = {"dF", "dT", "aF", "aT", "jF", "jT", "mA"}
    left = right - {"aT"}  # the left leg lacks tibial_shaft_distal
    assert set(axes) == {f"right AP {a}" for a in right} | {f"left AP {a}" for a in left}
    for obj in axes.values():
        assert (obj.GraphicType, obj.GraphicAnnotationUnits) == ("POLYLINE", "PIXEL")
    start = landmark_point(landmarks, "right", "femoral_head_center")
    end = landmark_point(landmarks, "right", "femoral_knee_center")
    np.testing.assert_allclose(
        np.reshape(axes["right AP dF"].GraphicData, (2, 2)), [start, end], atol=1e-3
    )
    assert [g.GraphicGroupLabel for g in pr.GraphicGroupSequence] == ["right AP", "left AP"]


def test_gsps_prints_each_ok_value_near_its_landmarks(
    written: tuple[Path, Path], results: pd.DataFrame
) -> None:
    pr = pydicom.dcmread(written[1])
    texts = text_objects(pr)
    ok = results[results["status"] == "ok"]
    assert len(texts) == len(ok)
    values = {t.UnformattedTextValue for t in texts}
    hka = ok[(ok["side"] == "right") & (ok["measure"] == "hka")]["value"].iloc[0]
    assert f"R HKA {hka:.1f} deg" in values
    cpak = ok[(ok["side"] == "left") & (ok["measure"] == "cpak")]["label"].iloc[0]
    assert f"L CPAK {cpak}" in values
    assert not any("FTA" in v for v in values if v.startswith("L "))
    boxes = []
    for t in texts:
        left, top = t.BoundingBoxTopLeftHandCorner
        right, bottom = t.BoundingBoxBottomRightHandCorner
        assert 0 <= left < right <= SIZE and 0 <= top < bottom <= SIZE
        assert t.BoundingBoxAnnotationUnits == "PIXEL"
        boxes.append((left, top, right, bottom))
    overlaps = [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]
    assert overlaps == []


def test_gsps_puts_outliers_on_their_own_layer(
    film: Dataset, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    tight = results.copy()
    tight["outlier"] = (tight["measure"] == "hka").astype("boolean")
    pr = build_presentation_state(film, tight, landmarks)
    by_layer = {
        ann.GraphicLayer: [t.UnformattedTextValue for t in ann.get("TextObjectSequence", [])]
        for ann in pr.GraphicAnnotationSequence
    }
    assert sorted(v.split()[1] for v in by_layer["OUTLIERS"]) == ["HKA", "HKA"]
    assert [layer.GraphicLayer for layer in pr.GraphicLayerSequence] == [
        "AXES",
        "VALUES",
        "OUTLIERS",
    ]


def test_gsps_clips_axes_that_leave_the_image(
    results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    small = make_film(Rows=400, Columns=SIZE)  # the ankles (y about 470) fall outside
    small.set_pixel_data(np.zeros((400, SIZE), np.uint8), "MONOCHROME2", 8)
    pr = build_presentation_state(small, results, landmarks)
    axes = {
        obj.TrackingID: np.reshape(obj.GraphicData, (-1, 2)) for obj in graphic_objects(pr, "AXES")
    }
    dT = axes["right AP dT"]
    assert dT[:, 1].max() == pytest.approx(400.0)
    assert dT[0, 1] == pytest.approx(landmark_point(landmarks, "right", "tibial_knee_center")[1])
    for t in text_objects(pr):
        assert t.BoundingBoxBottomRightHandCorner[1] <= 400


def test_gsps_copies_the_display_window(
    film: Dataset, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    pr = build_presentation_state(film, results, landmarks)
    voi = pr.SoftcopyVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (128.0, 256.0)


# ------------------------------------------------------------------- inputs, errors


def test_image_library_is_skipped_when_the_film_cannot_be_described(
    results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    bare = make_film()
    del bare.PatientOrientation
    sr = build_measurement_report(bare, results, landmarks)
    report = hd.sr.MeasurementReport.from_sequence(sr.content)
    assert len(report.get_image_measurement_groups()) == 2


def test_one_image_is_chosen_from_a_combined_table(film: Dataset) -> None:
    landmarks = pd.concat([ap_landmarks("a.dcm"), ap_landmarks("b.dcm")], ignore_index=True)
    results = measure_landmarks(landmarks)
    with pytest.raises(DicomExportError, match=r"hold 2 images, expected 1; pass image="):
        build_measurement_report(film, results, landmarks)
    sr = build_measurement_report(film, results, landmarks, image="b.dcm")
    report = hd.sr.MeasurementReport.from_sequence(sr.content)
    assert len(report.get_image_measurement_groups()) == 2
    with pytest.raises(DicomExportError, match="no results or landmarks for image 'c.dcm'"):
        build_presentation_state(film, results, landmarks, image="c.dcm")


def test_a_leg_with_nothing_measured_gives_an_empty_group(film: Dataset) -> None:
    landmarks = landmark_table(
        [LandmarkSet("film.dcm", "right", "AP", {"ankle_center": (10.0, 10.0)})]
    )
    results = measure_landmarks(landmarks)
    sr = build_measurement_report(film, results, landmarks)
    report = hd.sr.MeasurementReport.from_sequence(sr.content)
    (group,) = report.get_image_measurement_groups()
    assert group.tracking_identifier == "right AP"
    assert group.get_measurements() == []
    assert group.get_qualitative_evaluations() == []
    pr = build_presentation_state(film, results, landmarks)
    assert "GraphicAnnotationSequence" not in pr


def test_source_errors(results: pd.DataFrame, landmarks: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="source must be a pydicom.Dataset, got dict"):
        build_measurement_report({}, results, landmarks)  # type: ignore[arg-type]
    no_rows = make_film()
    del no_rows.Rows
    with pytest.raises(DicomExportError, match="source image lacks Rows"):
        build_measurement_report(no_rows, results, landmarks)
    multi = make_film(NumberOfFrames=3)
    with pytest.raises(DicomExportError, match="3 frames; only single-frame"):
        build_presentation_state(multi, results, landmarks)


def test_a_colour_film_gets_an_sr_but_no_gsps(
    tmp_path: Path,
    results: pd.DataFrame,
    landmarks: pd.DataFrame,
    caplog: pytest.LogCaptureFixture,
) -> None:
    colour = make_film()
    colour.set_pixel_data(np.zeros((SIZE, SIZE, 3), np.uint8), "RGB", 8)
    with pytest.raises(DicomExportError, match="3 samples per pixel; a grayscale"):
        build_presentation_state(colour, results, landmarks)
    source = tmp_path / "film.dcm"
    colour.save_as(source, enforce_file_format=True)
    paths = write_dicom_outputs(source, results, landmarks, tmp_path / "out", stem="c")
    assert [p.name for p in paths] == ["c_sr.dcm"]
    assert "c: a colour image; no presentation state written" in caplog.text


def test_table_errors(film: Dataset, results: pd.DataFrame, landmarks: pd.DataFrame) -> None:
    with pytest.raises(DicomExportError, match="results lacks column.s. status"):
        build_measurement_report(film, results.drop(columns="status"), landmarks)
    with pytest.raises(TypeError, match="landmarks must be a pandas.DataFrame, got list"):
        build_measurement_report(film, results, [])  # type: ignore[arg-type]
    with pytest.raises(DicomExportError, match="unknown measure 'nope'"):
        measure_concept("nope")


@pytest.mark.parametrize("stem", ["", "..", "a/b", "a\\b", "x\x00"])
def test_unsafe_stems_are_refused(
    tmp_path: Path, stem: str, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    with pytest.raises(DicomExportError, match="stem must be a single non-empty file-name"):
        write_dicom_outputs(tmp_path / "film.dcm", results, landmarks, tmp_path, stem=stem)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_source_is_an_image_read_error(
    tmp_path: Path, results: pd.DataFrame, landmarks: pd.DataFrame
) -> None:
    bad = tmp_path / "film.dcm"
    bad.write_bytes(b"not a dicom file")
    with pytest.raises(ImageReadError, match="film.dcm: cannot read the DICOM header") as info:
        write_dicom_outputs(bad, results, landmarks, tmp_path / "out", stem="film")
    assert isinstance(info.value, AlignmentError)
    assert not (tmp_path / "out").exists()


def _voi_lut(encoding: str) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    values = np.arange(0, 65536, 256, dtype=np.uint16)
    item.LUTData = values.tobytes() if encoding == "OW" else values.tolist()
    item["LUTData"].VR = encoding
    item.LUTExplanation = "Zzyzx's bone window"
    return item


@pytest.mark.parametrize(
    ("encoding", "window"), [("OW", False), ("US", False), ("OW", True), ("US", True)]
)
def test_films_with_a_voi_lut_sequence_get_an_sr_and_gsps(
    tmp_path: Path, results: pd.DataFrame, landmarks: pd.DataFrame, encoding: str, window: bool
) -> None:
    film = make_film(WindowCenterWidthExplanation="Quentina's window")
    if not window:
        del film.WindowCenter, film.WindowWidth
    film.VOILUTSequence = [_voi_lut(encoding)]
    source = tmp_path / "film.dcm"
    film.save_as(source, enforce_file_format=True)
    sr_path, pr_path = write_dicom_outputs(source, results, landmarks, tmp_path, stem="film")
    pr = pydicom.dcmread(pr_path)
    voi = pr.SoftcopyVOILUTSequence[0]
    if window:  # both in the film: the window is kept, as alignment displays it
        assert float(voi.WindowWidth) == 256 and "VOILUTSequence" not in voi
    else:
        lut = voi.VOILUTSequence[0]
        assert np.frombuffer(lut.LUTData, np.uint16).tolist() == list(range(0, 65536, 256))
    for path in (sr_path, pr_path):
        text = path.read_bytes()
        assert b"Zzyzx" not in text and b"Quentina" not in text  # free text not copied


def test_outputs_carry_the_deidentification_method_codes(written: tuple[Path, Path]) -> None:
    for path in written:
        dataset = pydicom.dcmread(path)
        assert dataset.PatientIdentityRemoved == "YES"
        codes = [(c.CodeValue, c.CodingSchemeDesignator) for c in
                 dataset.DeidentificationMethodCodeSequence]  # fmt: skip
        assert codes == [("113100", "DCM"), ("113110", "DCM")]
