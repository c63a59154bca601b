"""PNG, JPEG and TIFF reading, sidecar spacing, colour, frames and the size limit."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile

from alignment.errors import ImageReadError, ImageTooLargeError
from alignment.io import ImageWarning, read_radiograph, read_sidecar, sidecar_path


def grey(dtype: type = np.uint8, rows: int = 30, columns: int = 20) -> np.ndarray:
    high = np.iinfo(dtype).max
    return np.linspace(0, high, rows * columns).reshape(rows, columns).astype(dtype)


@pytest.mark.parametrize(
    ("suffix", "dtype"),
    [
        (".png", np.uint8),
        (".png", np.uint16),
        (".tif", np.uint8),
        (".tif", np.uint16),
        (".tiff", np.uint16),
    ],
)
def test_grey_images_read_exactly(tmp_path, suffix, dtype):
    array = grey(dtype)
    path = tmp_path / f"knee{suffix}"
    if suffix == ".png":
        assert cv2.imwrite(str(path), array)
    else:
        tifffile.imwrite(path, array)
    image = read_radiograph(path)
    np.testing.assert_array_equal(image.pixels, array)
    assert image.pixels is not None and image.pixels.dtype == dtype
    assert (image.rows, image.columns, image.transfer_syntax) == (30, 20, None)
    assert image.bits_stored == np.dtype(dtype).itemsize * 8
    assert image.spacing_mm is None and image.spacing_source == "none"
    header = read_radiograph(path, pixels=False)
    assert header.pixels is None and header.shape == (30, 20)


def test_jpeg_grey(tmp_path):
    array = grey()
    path = tmp_path / "knee.jpg"
    assert cv2.imwrite(str(path), array, [cv2.IMWRITE_JPEG_QUALITY, 98])
    image = read_radiograph(path)
    assert image.format == "JPEG" and image.photometric == "MONOCHROME2"
    assert np.abs(image.pixels.astype(int) - array.astype(int)).mean() < 3
    assert read_radiograph(path, pixels=False).shape == (30, 20)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_colour_becomes_grey_with_warning(tmp_path, suffix):
    bgr = np.zeros((16, 16, 3), np.uint8)
    bgr[..., 2] = 200  # red in OpenCV's BGR order
    path = tmp_path / f"colour{suffix}"
    if suffix == ".tif":
        tifffile.imwrite(path, bgr[..., ::-1], photometric="rgb")
    else:
        assert cv2.imwrite(str(path), bgr)
    with pytest.warns(ImageWarning, match="colour image converted to grey"):
        image = read_radiograph(path)
    assert image.pixels is not None
    assert abs(float(image.pixels.mean()) - 200 * 0.299) < 3


def test_grey_stored_as_rgb_needs_no_warning(tmp_path):
    path = tmp_path / "grey.png"
    assert cv2.imwrite(str(path), np.dstack([grey()] * 3))
    np.testing.assert_array_equal(read_radiograph(path).pixels, grey())


def test_tiff_pages_and_min_is_white(tmp_path):
    pages = np.stack([grey(np.uint16), grey(np.uint16)[::-1]])
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, pages)
    np.testing.assert_array_equal(read_radiograph(path, frame=1).pixels, pages[1])
    assert read_radiograph(path, pixels=False).n_frames == 2
    with pytest.raises(ImageReadError, match="frame 2 asked for, the file has 2 page"):
        read_radiograph(path, frame=2)
    white = tmp_path / "white.tif"
    tifffile.imwrite(white, grey(np.uint16), photometric="miniswhite")
    image = read_radiograph(white)
    assert image.photometric == "MONOCHROME1"
    np.testing.assert_array_equal(image.pixels, 65535 - grey(np.uint16))


def test_png_has_one_frame(tmp_path):
    path = tmp_path / "knee.png"
    cv2.imwrite(str(path), grey())
    with pytest.raises(ImageReadError, match="frame 1 asked for, a PNG file has one frame"):
        read_radiograph(path, frame=1)


@pytest.mark.parametrize(
    ("sidecar", "spacing", "source", "magnification"),
    [
        ({"spacing_mm": [0.2, 0.1]}, (0.2, 0.1), "sidecar", None),
        ({"spacing_mm": 0.15}, (0.15, 0.15), "sidecar", None),
        ({"spacing_mm": 0.15, "magnification": 1.5}, (0.1, 0.1), "sidecar/magnification", 1.5),
        ({"magnification": 1.5}, None, "none", None),
        ({"laterality": "l", "view": "AP"}, None, "none", None),
    ],
)
def test_sidecar_spacing(tmp_path, sidecar, spacing, source, magnification):
    path = tmp_path / "knee.png"
    cv2.imwrite(str(path), grey())
    sidecar_path(path).write_text(json.dumps(sidecar))
    image = read_radiograph(path, pixels=False)
    assert image.spacing_source == source
    assert image.spacing_mm == (pytest.approx(spacing) if spacing else None)
    assert image.magnification == magnification
    if "laterality" in sidecar:
        assert (image.laterality, image.view) == ("L", "AP")
    assert read_radiograph(path, pixels=False, sidecar=False).spacing_source == "none"


def test_option_beats_sidecar_and_explicit_sidecar(tmp_path):
    path = tmp_path / "knee.png"
    cv2.imwrite(str(path), grey())
    sidecar_path(path).write_text(json.dumps({"spacing_mm": 0.15}))
    image = read_radiograph(path, pixels=False, spacing_mm=(0.3, 0.3), magnification=1.5)
    assert image.spacing_mm == pytest.approx((0.2, 0.2))
    assert image.spacing_source == "option/magnification"
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"spacing_mm": [0.5, 0.5], "patient_orientation": "L\\F"}))
    image = read_radiograph(path, pixels=False, sidecar=other)
    assert image.spacing_mm == (0.5, 0.5) and image.patient_orientation == "L\\F"
    with pytest.raises(ImageReadError, match="no such sidecar file"):
        read_radiograph(path, pixels=False, sidecar=tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read the sidecar JSON"),
        ("[1, 2]", "a sidecar must be a JSON object"),
        ('{"spacing": 0.1}', "unknown sidecar key\\(s\\) 'spacing'; expected any of spacing_mm"),
        ('{"spacing_mm": [0.1, 0]}', "spacing_mm is \\[0.1, 0\\]"),
        ('{"spacing_mm": "0.1"}', "spacing_mm is '0.1'"),
        ('{"magnification": -1}', "magnification is -1"),
        ('{"laterality": "left"}', "laterality is 'left'; expected L, R, B or U"),
        ('{"view": 3}', "view must be a string"),
    ],
)
def test_bad_sidecar(tmp_path, content, message):
    path = tmp_path / "knee.spacing.json"
    path.write_text(content)
    with pytest.raises(ImageReadError, match=message):
        read_sidecar(path)


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def test_declared_size_above_limit_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageTooLargeError, match="bomb.png: declares 100000 x 100000 x 1"):
        read_radiograph(path)
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), grey())
    with pytest.raises(ImageTooLargeError, match="more than the limit of 599"):
        read_radiograph(small, max_pixels=599)
    assert read_radiograph(small, max_pixels=600).shape == (30, 20)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cut.png", b"\x89PNG\r\n\x1a\n\x00\x00", "truncated PNG"),
        ("cut.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "malformed JPEG|cannot decode"),
        ("bad.tif", b"II*\x00\xff\xff\xff\xff", "cannot read as TIFF"),
    ],
)
def test_corrupt_rasters(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message):
        read_radiograph(path)


def test_png_with_broken_data(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(_png_header_only(20, 30))
    with pytest.raises(ImageReadError, match="cannot decode the PNG image"):
        read_radiograph(path)
    assert read_radiograph(path, pixels=False).shape == (30, 20)


def test_display_scales_min_to_max(tmp_path):
    path = tmp_path / "knee.png"
    cv2.imwrite(str(path), grey())
    shown = read_radiograph(path).display()
    assert shown.min() == 0.0 and shown.max() == 1.0


def test_sidecar_path_name():
    assert sidecar_path(Path("/data/knee.png")) == Path("/data/knee.spacing.json")
