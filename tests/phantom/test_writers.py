"""Films written as DICOM or PNG read back through the I/O layer with the right spacing."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pydicom
import pytest

from alignment.errors import PhantomError
from alignment.io import read_radiograph, sidecar_path
from alignment.phantom import FakePatient, FilmParameters, render_film, write_film


def test_dicom_header(ap_film, tmp_path):
    path = write_film(ap_film, tmp_path / "a.dcm", patient=FakePatient(name="PHANTOM^BOB"))
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1"
    assert ds.Modality == "DX" and ds.PresentationIntentType == "FOR PRESENTATION"
    assert ds.ImageLaterality == "B" and ds.ViewPosition == "AP"
    assert list(ds.PatientOrientation) == ["L", "F"]
    assert [float(v) for v in ds.ImagerPixelSpacing] == pytest.approx([2.0, 2.0])
    assert float(ds.EstimatedRadiographicMagnificationFactor) == pytest.approx(
        ap_film.magnification, rel=1e-9
    )
    assert float(ds.DistanceSourceToDetector) / float(ds.DistanceSourceToPatient) == (
        pytest.approx(ap_film.magnification)
    )
    assert "PixelSpacing" not in ds
    assert str(ds.PatientName) == "PHANTOM^BOB" and ds.PatientBirthDate
    assert ds.InstitutionName and ds.AccessionNumber and ds.ReferringPhysicianName
    assert ds.BitsStored == 12 and ds.PhotometricInterpretation == "MONOCHROME2"
    assert np.array_equal(ds.pixel_array, ap_film.pixels)


def test_dicom_reads_back_with_the_spacing_of_the_landmark_plane(ap_film, tmp_path):
    path = write_film(ap_film, tmp_path / "a.dcm")
    image = read_radiograph(path)
    assert image.spacing_mm == pytest.approx(ap_film.object_spacing_mm, rel=1e-9)
    assert image.magnification == pytest.approx(ap_film.magnification, rel=1e-9)
    assert image.spacing_source == "imager_pixel_spacing/ermf"
    assert image.laterality == "B" and image.view == "AP"
    assert np.array_equal(image.pixels, ap_film.pixels)


def test_calibrated_monochrome1_cr(postop_limb, tmp_path):
    film = FilmParameters.lateral_knee(
        "left", calibrated=True, photometric="MONOCHROME1", bits_stored=14
    ).downscaled(8)
    rendered = render_film(film, postop_limb, seed=2)
    path = write_film(rendered, tmp_path / "k.dcm", modality="CR")
    ds = pydicom.dcmread(path)
    assert ds.Modality == "CR" and ds.PixelSpacingCalibrationType == "GEOMETRY"
    assert ds.ViewPosition == "LL" and ds.ImageLaterality == "L"
    image = read_radiograph(path)
    assert image.spacing_source == "pixel_spacing_calibrated"
    assert image.spacing_mm == pytest.approx(rendered.object_spacing_mm, rel=1e-6)
    assert image.magnification is None
    assert image.photometric == "MONOCHROME1"
    bright = np.asarray(image.pixels)
    # bone bright after the reader inverts MONOCHROME1, like the MONOCHROME2 values
    assert np.corrcoef(bright.ravel(), rendered.bone_bright().ravel())[0, 1] > 0.999


@pytest.mark.parametrize("compression", ["rle", "jpeg-ls"])
def test_lossless_compression_round_trips(lat_film, tmp_path, compression):
    plain = write_film(lat_film, tmp_path / "plain.dcm")
    packed = write_film(lat_film, tmp_path / "packed.dcm", compression=compression)
    assert packed.stat().st_size < plain.stat().st_size
    ds = pydicom.dcmread(packed)
    assert ds.file_meta.TransferSyntaxUID.is_compressed
    assert np.array_equal(ds.pixel_array, lat_film.pixels)
    assert ds.SOPInstanceUID == pydicom.dcmread(plain).SOPInstanceUID


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_raster_with_sidecar(lat_film, tmp_path, suffix):
    path = write_film(lat_film, tmp_path / f"knee{suffix}")
    sidecar = json.loads(sidecar_path(path).read_text())
    assert sidecar["spacing_mm"] == list(lat_film.spacing_mm)
    assert sidecar["magnification"] == lat_film.magnification
    image = read_radiograph(path)
    assert image.spacing_mm == pytest.approx(lat_film.object_spacing_mm, rel=1e-9)
    assert image.laterality == "R" and image.view == "RL"
    assert np.array_equal(image.pixels, lat_film.bone_bright())


def test_same_film_same_bytes(lat_film, tmp_path):
    a = write_film(lat_film, tmp_path / "a.dcm", compression="jpeg-ls").read_bytes()
    b = write_film(lat_film, tmp_path / "b.dcm", compression="jpeg-ls").read_bytes()
    assert a == b


def test_bad_options(lat_film, tmp_path):
    with pytest.raises(PhantomError, match=r"cannot write a film as '\.jpg'"):
        write_film(lat_film, tmp_path / "a.jpg")
    with pytest.raises(PhantomError, match="modality is 'MR'"):
        write_film(lat_film, tmp_path / "a.dcm", modality="MR")
    with pytest.raises(PhantomError, match="compression is 'zip'"):
        write_film(lat_film, tmp_path / "a.dcm", compression="zip")


def test_unchanged_dataclass_repr():
    film = dataclasses.replace(FilmParameters(), bits_stored=14)
    assert repr(film) == "FilmParameters(bits_stored=14)"
