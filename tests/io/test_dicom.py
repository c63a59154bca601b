"""DICOM reading: spacing rules, photometric interpretation, compression, limits."""

from __future__ import annotations

import math
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.encaps import encapsulate
from pydicom.tag import Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
)

from alignment.errors import AlignmentError, ImageReadError, ImageTooLargeError
from alignment.io import ImageWarning, Radiograph, read_radiograph, resolve_spacing
from tests.io.dicom_factory import make_dataset, stored_array, write_dicom

# (attributes, expected spacing_mm, expected source, expected magnification)
SPACING_CASES: list[tuple[dict[str, Any], tuple[float, float] | None, str, float | None]] = [
    ({}, None, "none", None),
    ({"EstimatedRadiographicMagnificationFactor": 1.2}, None, "none", None),
    ({"PixelSpacing": [0.1, 0.1]}, (0.1, 0.1), "pixel_spacing", None),
    (
        {"PixelSpacing": [0.1, 0.1], "EstimatedRadiographicMagnificationFactor": 1.2},
        (0.1, 0.1),
        "pixel_spacing",
        None,
    ),
    (
        {"PixelSpacing": [0.1, 0.1], "PixelSpacingCalibrationType": "GEOMETRY"},
        (0.1, 0.1),
        "pixel_spacing_calibrated",
        None,
    ),
    (
        {
            "PixelSpacing": [0.1, 0.1],
            "PixelSpacingCalibrationType": "FIDUCIAL",
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 1.2,
        },
        (0.1, 0.1),
        "pixel_spacing_calibrated",
        None,
    ),
    ({"ImagerPixelSpacing": [0.15, 0.15]}, (0.15, 0.15), "imager_pixel_spacing", None),
    (
        {"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 1.25},
        (0.12, 0.12),
        "imager_pixel_spacing/ermf",
        1.25,
    ),
    (
        {
            "PixelSpacing": [0.15, 0.15],
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 1.5,
        },
        (0.1, 0.1),
        "imager_pixel_spacing/ermf",
        1.5,
    ),
    (
        {"PixelSpacing": [0.15, 0.15], "ImagerPixelSpacing": [0.15, 0.15]},
        (0.15, 0.15),
        "imager_pixel_spacing",
        None,
    ),
    (
        {
            "PixelSpacing": [0.12, 0.12],
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 1.25,
        },
        (0.12, 0.12),
        "pixel_spacing_corrected",
        None,
    ),
    (
        {"ImagerPixelSpacing": [0.2, 0.1]},
        (0.2, 0.1),
        "imager_pixel_spacing",
        None,
    ),
    (
        {"ImagerPixelSpacing": [0.2, 0.1], "EstimatedRadiographicMagnificationFactor": 2.0},
        (0.1, 0.05),
        "imager_pixel_spacing/ermf",
        2.0,
    ),
    (
        {"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 0.8},
        (0.15, 0.15),
        "imager_pixel_spacing",
        None,
    ),
    (
        {"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 0},
        (0.15, 0.15),
        "imager_pixel_spacing",
        None,
    ),
    (
        {"NominalScannedPixelSpacing": [0.08, 0.08]},
        (0.08, 0.08),
        "nominal_scanned_pixel_spacing",
        None,
    ),
    ({"PixelSpacing": [0.0, 0.0]}, None, "none", None),
    ({"PixelSpacing": [-0.1, 0.1]}, None, "none", None),
    ({"PixelSpacing": [0.1]}, None, "none", None),
    ({"PixelSpacing": [0.1, 0.1, 0.1]}, None, "none", None),
    (
        {"ImagerPixelSpacing": [0.0, 0.0], "PixelSpacing": [0.1, 0.1]},
        (0.1, 0.1),
        "pixel_spacing",
        None,
    ),
    (
        {"ImagerPixelSpacing": [0.15, -1], "NominalScannedPixelSpacing": [0.08, 0.08]},
        (0.08, 0.08),
        "nominal_scanned_pixel_spacing",
        None,
    ),
]


def _check(result: tuple[Any, str, Any], spacing: Any, source: str, magnification: Any) -> None:
    got_spacing, got_source, got_magnification = result
    assert got_source == source
    if spacing is None:
        assert got_spacing is None
    else:
        assert got_spacing == pytest.approx(spacing)
    assert got_magnification == (pytest.approx(magnification) if magnification else None)


@pytest.mark.parametrize(("attributes", "spacing", "source", "magnification"), SPACING_CASES)
def test_resolve_spacing(attributes, spacing, source, magnification):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    _check(resolve_spacing(ds), spacing, source, magnification)


@pytest.mark.parametrize(("attributes", "spacing", "source", "magnification"), SPACING_CASES)
def test_spacing_read_from_file(tmp_path, attributes, spacing, source, magnification):
    path = write_dicom(tmp_path / "image.dcm", make_dataset(**attributes))
    image = read_radiograph(path, pixels=False)
    _check(
        (image.spacing_mm, image.spacing_source, image.magnification),
        spacing,
        source,
        magnification,
    )
    assert image.pixels is None


def test_malformed_spacing_text_is_no_spacing():
    ds = Dataset()
    ds[0x00280030] = RawDataElement(Tag(0x00280030), "DS", 8, b"abc\\0.1", 0, False, True)
    ds.ImagerPixelSpacing = [0.15, 0.15]
    assert resolve_spacing(ds) == ((0.15, 0.15), "imager_pixel_spacing", None)


@pytest.mark.parametrize(
    ("attributes", "spacing", "source"),
    [
        ({"ImagerPixelSpacing": [0.15, 0.15]}, (0.1, 0.1), "imager_pixel_spacing/magnification"),
        (
            {"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 1.2},
            (0.1, 0.1),
            "imager_pixel_spacing/magnification",
        ),
        (
            {"PixelSpacing": [0.15, 0.15], "ImagerPixelSpacing": [0.15, 0.15]},
            (0.1, 0.1),
            "imager_pixel_spacing/magnification",
        ),
        ({"PixelSpacing": [0.15, 0.15]}, (0.1, 0.1), "pixel_spacing/magnification"),
        (
            {"NominalScannedPixelSpacing": [0.15, 0.15]},
            (0.1, 0.1),
            "nominal_scanned_pixel_spacing/magnification",
        ),
        ({}, None, "none"),
    ],
)
def test_magnification_override(tmp_path, attributes, spacing, source):
    path = write_dicom(tmp_path / "image.dcm", make_dataset(**attributes))
    image = read_radiograph(path, pixels=False, magnification=1.5)
    assert image.spacing_source == source
    if spacing is None:
        assert image.spacing_mm is None and image.magnification is None
    else:
        assert image.spacing_mm == pytest.approx(spacing)
        assert image.magnification == 1.5


def test_magnification_override_keeps_calibrated_spacing(tmp_path):
    ds = make_dataset(
        PixelSpacing=[0.1, 0.1],
        PixelSpacingCalibrationType="GEOMETRY",
        ImagerPixelSpacing=[0.15, 0.15],
    )
    path = write_dicom(tmp_path / "image.dcm", ds)
    with pytest.warns(
        ImageWarning, match="already calibrated.*magnification 1.5 given is ignored"
    ):
        image = read_radiograph(path, pixels=False, magnification=1.5)
    assert image.spacing_mm == (0.1, 0.1)
    assert image.spacing_source == "pixel_spacing_calibrated"


def test_spacing_option_wins(tmp_path):
    path = write_dicom(tmp_path / "image.dcm", make_dataset(ImagerPixelSpacing=[0.15, 0.15]))
    image = read_radiograph(path, pixels=False, spacing_mm=0.2)
    assert (image.spacing_mm, image.spacing_source) == ((0.2, 0.2), "option")
    image = read_radiograph(path, pixels=False, spacing_mm=(0.3, 0.3), magnification=1.5)
    assert image.spacing_mm == pytest.approx((0.2, 0.2))
    assert image.spacing_source == "option/magnification"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spacing_mm": (0.1, -1)}, "spacing_mm must be two positive numbers"),
        ({"magnification": 0.0}, "magnification must be a positive number"),
        ({"frame": -1}, "frame must be a non-negative integer"),
        ({"max_pixels": 0}, "max_pixels must be a positive integer"),
    ],
)
def test_invalid_options(tmp_path, kwargs, message):
    path = write_dicom(tmp_path / "image.dcm", make_dataset())
    with pytest.raises(ValueError, match=message):
        read_radiograph(path, **kwargs)


@pytest.mark.parametrize("bits", [8, 12, 16])
@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_photometric_bone_bright(tmp_path, bits, photometric):
    stored = stored_array(bits=bits)
    path = write_dicom(
        tmp_path / "image.dcm", make_dataset(stored, photometric=photometric, bits=bits)
    )
    image = read_radiograph(path)
    expected = (2**bits - 1) - stored.astype(np.int64) if photometric == "MONOCHROME1" else stored
    np.testing.assert_array_equal(image.pixels, expected)
    assert image.photometric == photometric
    assert image.pixels is not None and image.pixels.dtype == stored.dtype


def test_modality_lut_applied(tmp_path):
    stored = stored_array(bits=12)
    ds = make_dataset(stored, RescaleSlope=2, RescaleIntercept=-100)
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", ds))
    np.testing.assert_allclose(image.pixels, stored * 2.0 - 100)


def test_monochrome1_with_rescale_inverts_over_output_range(tmp_path):
    stored = stored_array(bits=12)
    ds = make_dataset(stored, photometric="MONOCHROME1", RescaleSlope=2, RescaleIntercept=-100)
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", ds))
    # output range [-100, 8090]: inverted value = -100 + 8090 - (2 s - 100)
    np.testing.assert_allclose(image.pixels, 8090 - 2.0 * stored)


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_display_window_and_bone_bright(tmp_path, photometric):
    stored = np.tile(np.arange(0, 4096, 128, dtype=np.uint16), (4, 1))
    ds = make_dataset(stored, photometric=photometric, WindowCenter=2048, WindowWidth=1024)
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", ds))
    shown = image.display()
    assert image.window == (2048.0, 1024.0)
    assert shown.dtype == np.float32 and shown.min() >= 0 and shown.max() <= 1
    brightest_stored = shown[0, -1] if photometric == "MONOCHROME2" else shown[0, 0]
    assert brightest_stored == pytest.approx(1.0)
    middle = shown[0, 16]  # stored 2048, the window centre
    assert middle == pytest.approx(0.5, abs=0.01)


def test_display_needs_pixels(tmp_path):
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", make_dataset()), pixels=False)
    with pytest.raises(ValueError, match="read with pixels=False"):
        image.display()


LOSSLESS = [RLELossless, JPEGLSLossless, JPEG2000Lossless]


@pytest.mark.parametrize("syntax", LOSSLESS, ids=lambda uid: uid.name)
@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
@pytest.mark.parametrize("bits", [8, 12, 16])
def test_lossless_compression_round_trip(tmp_path, syntax, photometric, bits):
    stored = stored_array(rows=64, columns=80, bits=bits, seed=bits)  # J2K needs >= 32 px
    ds = make_dataset(stored, photometric=photometric, bits=bits)
    ds.compress(syntax, generate_instance_uid=False)
    path = write_dicom(tmp_path / "image.dcm", ds)
    image = read_radiograph(path)
    expected = (2**bits - 1) - stored.astype(np.int64) if photometric == "MONOCHROME1" else stored
    np.testing.assert_array_equal(image.pixels, expected)
    assert image.transfer_syntax == syntax


@pytest.mark.parametrize(
    "syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian]
)
def test_uncompressed_transfer_syntaxes(tmp_path, syntax):
    stored = stored_array(bits=12)
    ds = make_dataset(stored)
    ds.file_meta.TransferSyntaxUID = syntax
    if syntax == ExplicitVRBigEndian:
        ds.PixelData = stored.astype(">u2").tobytes()
    path = tmp_path / "image.dcm"
    ds.save_as(path, enforce_file_format=True)
    image = read_radiograph(path)
    np.testing.assert_array_equal(image.pixels, stored)
    assert image.transfer_syntax == syntax


def test_jpeg_baseline(tmp_path):
    stored = stored_array(bits=8)
    ok, encoded = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 98])
    assert ok
    ds = make_dataset(stored, bits=8)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([encoded.tobytes()])
    ds["PixelData"].VR = "OB"
    ds.LossyImageCompression = "01"
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", ds))
    assert image.pixels is not None
    assert np.abs(image.pixels.astype(int) - stored.astype(int)).mean() < 3
    assert image.metadata["LossyImageCompression"] == "01"


def test_multi_frame_takes_the_chosen_frame(tmp_path):
    frames = np.stack([stored_array(bits=12, seed=s) for s in range(3)])
    ds = make_dataset(frames, bits=12)
    path = write_dicom(tmp_path / "image.dcm", ds)
    for frame in range(3):
        image = read_radiograph(path, frame=frame)
        np.testing.assert_array_equal(image.pixels, frames[frame])
        assert (image.frame, image.n_frames) == (frame, 3)
    with pytest.raises(ImageReadError, match="frame 3 asked for, the file has 3 frame"):
        read_radiograph(path, frame=3)


def test_colour_dicom_becomes_grey_with_a_warning(tmp_path):
    rgb = np.zeros((8, 6, 3), np.uint8)
    rgb[..., 0] = 200
    path = write_dicom(tmp_path / "image.dcm", make_dataset(rgb, photometric="RGB", bits=8))
    with pytest.warns(ImageWarning, match=r"colour image \(RGB\) converted to grey"):
        image = read_radiograph(path)
    np.testing.assert_allclose(image.pixels, 200 * 0.299)


def test_size_limit_refuses_before_decoding(tmp_path):
    ds = make_dataset()
    ds.Rows, ds.Columns = 60000, 60000  # declared; the pixel data is tiny
    path = write_dicom(tmp_path / "huge.dcm", ds)
    with pytest.raises(ImageTooLargeError, match=r"huge.dcm: declares 60000 x 60000 x 1"):
        read_radiograph(path)
    with pytest.raises(ImageTooLargeError, match="more than the limit of 100"):
        read_radiograph(write_dicom(tmp_path / "small.dcm", make_dataset()), max_pixels=100)


def test_laterality_view_orientation_and_geometry(tmp_path):
    ds = make_dataset(
        ImageLaterality="L",
        ViewPosition="AP",
        PatientOrientation=["R", "F"],
        PixelSpacing=[0.2, 0.1],
        ImagePositionPatient=[-100, -50, 20],
        ImageOrientationPatient=[1, 0, 0, 0, 0, -1],
    )
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", ds), pixels=False)
    assert (image.laterality, image.view, image.patient_orientation) == ("L", "AP", "R\\F")
    assert image.geometry.source == "dicom"
    np.testing.assert_allclose(image.geometry.pixel_to_patient([[20.5, 10.5]]), [[-98, -50, 18]])


def test_laterality_falls_back_to_series_laterality(tmp_path):
    ds = make_dataset(Laterality="R")
    assert read_radiograph(write_dicom(tmp_path / "image.dcm", ds), pixels=False).laterality == "R"


@pytest.mark.parametrize("identifiers", [False, True])
def test_metadata_is_de_identified_unless_asked(tmp_path, identifiers):
    path = write_dicom(tmp_path / "image.dcm", make_dataset(ImagerPixelSpacing=[0.15, 0.15]))
    metadata = read_radiograph(path, pixels=False, identifiers=identifiers).metadata
    assert metadata["Modality"] == "DX"
    assert metadata["ImagerPixelSpacing"] == [0.15, 0.15]
    for keyword in (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "AccessionNumber",
        "InstitutionName",
    ):
        assert (keyword in metadata) is identifiers
    if identifiers:
        assert metadata["PatientName"] == "Doe^Jane"


def test_radiograph_is_frozen(tmp_path):
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", make_dataset()), pixels=False)
    assert isinstance(image, Radiograph)
    with pytest.raises(AttributeError):
        image.rows = 3


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.dcm", "cannot read as DICOM|not a DICOM image"),
        (
            b"\x00" * 128 + b"DICM" + b"\x02\x00",
            "truncated.dcm",
            "cannot read as DICOM|not a DICOM",
        ),
        (b"hello world, not an image", "notes.txt", "not a DICOM, PNG, JPEG or TIFF file"),
        (np.random.default_rng(1).bytes(4000), "noise.dcm", "cannot read as DICOM|not a DICOM"),
    ],
)
def test_unreadable_files_raise_typed_errors(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message) as info:
        read_radiograph(path)
    assert name in str(info.value)
    assert isinstance(info.value, AlignmentError) and isinstance(info.value, OSError)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="no such image file"):
        read_radiograph(tmp_path / "absent.dcm")


def test_no_pixel_data(tmp_path):
    ds = make_dataset()
    del ds.PixelData
    path = write_dicom(tmp_path / "image.dcm", ds)
    with pytest.raises(ImageReadError, match="no Pixel Data element"):
        read_radiograph(path)
    assert read_radiograph(path, pixels=False).rows == 32


def test_truncated_pixel_data(tmp_path):
    ds = make_dataset()
    ds.PixelData = ds.PixelData[:100]
    path = write_dicom(tmp_path / "image.dcm", ds)
    with pytest.raises(ImageReadError, match="cannot decode the pixel data"):
        read_radiograph(path)


def test_spacing_is_nan_free(tmp_path):
    image = read_radiograph(write_dicom(tmp_path / "image.dcm", make_dataset()), pixels=False)
    assert image.spacing_mm is None and image.spacing_source == "none"
    assert not math.isnan(image.geometry.spacing_mm[0])


def test_header_only_is_fast_and_reads_no_pixels(tmp_path, monkeypatch):
    import pydicom.pixels

    def fail(*args, **kwargs):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(pydicom.pixels, "pixel_array", fail)
    path = write_dicom(tmp_path / "image.dcm", make_dataset())
    assert read_radiograph(path, pixels=False).pixels is None


def test_path_is_kept_as_given(tmp_path):
    path = write_dicom(tmp_path / "image.dcm", make_dataset())
    assert read_radiograph(str(path), pixels=False).path == str(path)
    assert Path(read_radiograph(path, pixels=False).path) == path


def _deflate_bomb(path: Path, inflated_bytes: int) -> Path:
    """A deflated DICOM whose dataset is `inflated_bytes` of zeros (about 1000:1)."""
    ds = make_dataset()
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    write_dicom(path, ds)
    head = path.read_bytes()
    meta_end = 144 + int.from_bytes(head[140:144], "little")
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = packer.compress(bytes(inflated_bytes)) + packer.flush()
    path.write_bytes(head[:meta_end] + body)
    return path


def test_deflate_bomb_refused_by_ratio_before_inflating(tmp_path):
    path = _deflate_bomb(tmp_path / "bomb.dcm", 2**26)  # 64 KB that claim 64 MB
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLargeError, match=r"bomb.dcm: .*possible deflate bomb"):
            read_radiograph(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**24  # inflated in chunks and counted, never held whole


def test_deflate_absolute_limit_and_small_datasets(tmp_path):
    path = _deflate_bomb(tmp_path / "bomb.dcm", 2**21)  # under the 4 MiB floor: read
    with pytest.raises(ImageReadError) as error:
        read_radiograph(path)
    assert error.type is ImageReadError  # malformed zeros, but not refused as a bomb
    with pytest.raises(ImageTooLargeError, match="at most 1000000 bytes"):
        read_radiograph(path, max_inflated_bytes=10**6)


def test_a_time_limit_inside_the_reader_is_not_a_read_error(tmp_path, monkeypatch):
    import pydicom

    def slow(*args: Any, **kwargs: Any) -> Any:
        raise TimeoutError("the time limit struck inside pydicom")

    monkeypatch.setattr(pydicom, "dcmread", slow)
    path = write_dicom(tmp_path / "image.dcm", make_dataset())
    with pytest.raises(TimeoutError, match="struck inside pydicom"):
        read_radiograph(path)

    def hungry(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(pydicom, "dcmread", hungry)  # a file may claim any size: typed
    with pytest.raises(ImageReadError, match=r"image.dcm: .*MemoryError"):
        read_radiograph(path)
