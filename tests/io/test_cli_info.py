"""``alignment info``: text and JSON output, one record per file, errors included."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from alignment.cli import main
from alignment.cli.info import KEYS
from tests.io.dicom_factory import make_dataset, write_dicom
from tests.io.test_dicom import SPACING_CASES


@pytest.mark.parametrize(("attributes", "spacing", "source", "magnification"), SPACING_CASES)
def test_json_reports_spacing_and_source(
    tmp_path, capsys, attributes, spacing, source, magnification
):
    path = write_dicom(tmp_path / "image.dcm", make_dataset(**attributes))
    assert main(["info", "--json", str(path)]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert tuple(record) == KEYS
    assert record["spacing_source"] == source
    assert record["spacing_mm"] == (pytest.approx(list(spacing)) if spacing else None)
    assert record["magnification"] == (pytest.approx(magnification) if magnification else None)
    assert (record["status"], record["error"]) == ("ok", None)


def test_json_one_object_per_file_in_order_with_failures(tmp_path, capsys):
    dicom = write_dicom(
        tmp_path / "a.dcm",
        make_dataset(
            ImagerPixelSpacing=[0.15, 0.15],
            EstimatedRadiographicMagnificationFactor=1.5,
            ImageLaterality="R",
            ViewPosition="AP",
            photometric="MONOCHROME1",
        ),
    )
    png = tmp_path / "b.png"
    cv2.imwrite(str(png), np.zeros((5, 7), np.uint8))
    missing = tmp_path / "c.dcm"
    broken = tmp_path / "d.txt"
    broken.write_text("not an image")
    given = [str(dicom), str(png), str(missing), str(broken)]
    assert main(["info", "--json", *given]) == 1
    records = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in records] == given
    assert all(tuple(r) == KEYS for r in records)
    first, second, third, fourth = records
    assert first == {
        "path": str(dicom),
        "rows": 32,
        "columns": 24,
        "spacing_mm": [pytest.approx(0.1), pytest.approx(0.1)],
        "spacing_source": "imager_pixel_spacing/ermf",
        "magnification": 1.5,
        "laterality": "R",
        "view": "AP",
        "photometric": "MONOCHROME1",
        "transfer_syntax": "1.2.840.10008.1.2.1",
        "status": "ok",
        "error": None,
    }
    assert second["rows"] == 5 and second["columns"] == 7 and second["spacing_mm"] is None
    assert second["transfer_syntax"] is None and second["photometric"] == "MONOCHROME2"
    assert third["status"] == "error" and "no such image file" in third["error"]
    assert fourth["status"] == "error" and "not a DICOM, PNG, JPEG or TIFF" in fourth["error"]
    assert third["rows"] is None and third["spacing_mm"] is None


def test_text_output(tmp_path, capsys):
    path = write_dicom(tmp_path / "a.dcm", make_dataset(PixelSpacing=[0.2, 0.1]))
    assert main(["info", str(path), str(tmp_path / "absent.png")]) == 1
    out = capsys.readouterr().out
    assert "32 x 24 (rows x columns)" in out
    assert "0.2 x 0.1 mm (row x column), from pixel_spacing" in out
    assert "absent.png: error: " in out


def test_needs_a_file(capsys):
    assert main(["info"]) == 2
