"""Every file of pydicom's test data and of pydicom-data loads or fails with a typed error.

The files are walked on disk (no ``get_testdata_file``, which may download); pixels are
decoded with a size cap to keep the run short.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pydicom
import pytest

from alignment.errors import ImageReadError
from alignment.io import ImageWarning, read_radiograph

MAX_PIXELS = 3_000_000


def _files() -> list[Path]:
    roots = [Path(pydicom.__file__).parent / "data"]
    spec = importlib.util.find_spec("data_store")  # the pydicom-data package
    if spec is not None and spec.origin is not None:
        roots.append(Path(spec.origin).parent / "data")
    return [
        p
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]


FILES = _files()


def test_pydicom_data_is_installed():
    assert len(FILES) > 250, "pydicom-data (the test extra) should be installed"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loads_or_raises_typed_error(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)  # colour files become grey
        for pixels in (False, True):
            try:
                image = read_radiograph(path, pixels=pixels, max_pixels=MAX_PIXELS)
            except ImageReadError as exc:
                assert path.name in str(exc)
                continue
            assert image.rows > 0 and image.columns > 0
            if pixels:
                assert image.pixels is not None and image.pixels.shape == (
                    image.rows,
                    image.columns,
                )


@pytest.mark.parametrize(
    ("name", "syntax"),
    [
        ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91"),
        ("JPEG-LL.dcm", "1.2.840.10008.1.2.4.70"),
        ("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50"),
        ("emri_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"),
        ("MR_small_RLE.dcm", "1.2.840.10008.1.2.5"),
    ],
)
def test_compressed_public_files_decode(name, syntax):
    path = next(p for p in FILES if p.name == name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)
        image = read_radiograph(path)
    assert image.transfer_syntax == syntax
    assert image.pixels is not None and image.pixels.shape == (image.rows, image.columns)


def test_monochrome1_cr_is_inverted():
    path = next(p for p in FILES if p.name == "MR_small.dcm")
    assert read_radiograph(path).photometric == "MONOCHROME2"
    mono1 = [p for p in FILES if p.name in ("RG1_UNCI.dcm", "RG3_UNCI.dcm")]
    for path in mono1:
        image = read_radiograph(path, pixels=False)
        assert image.photometric in ("MONOCHROME1", "MONOCHROME2")
