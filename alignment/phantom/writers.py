"""Write synthetic films as DICOM (DX or CR) or as PNG/TIFF with a spacing sidecar.

DICOM files are "For Presentation" Digital X-Ray (or Computed Radiography) images
with the attributes the toolkit reads: Imager Pixel Spacing (0018,1164), Estimated
Radiographic Magnification Factor (0018,1114), Distance Source to Detector / Patient
(0018,1110/1111), Image Laterality (0020,0062), View Position (0018,5101), Patient
Orientation (0020,0020), Photometric Interpretation, and, for a calibrated film, Pixel
Spacing (0028,0030) with Pixel Spacing Calibration Type ``GEOMETRY`` (PS3.3 10.7.1).
They carry made-up identifiers (:class:`FakePatient`) so that de-identification can be
tested; every UID is derived from the film's identity, so files are reproducible byte
for byte.

PNG and TIFF files hold the MONOCHROME2 values (16-bit); their sidecar
``IMAGE.spacing.json`` (see :mod:`alignment.io.raster`) gives ``spacing_mm`` (at the
detector), ``magnification``, ``laterality``, ``view`` and ``patient_orientation``.

Examples
--------
>>> import tempfile, pathlib
>>> from alignment.phantom import FilmParameters, LimbParameters, render_film
>>> film = render_film(FilmParameters.lateral_knee("right").downscaled(8), LimbParameters())
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_film(film, folder / "knee.dcm").name
'knee.dcm'
>>> import pydicom
>>> ds = pydicom.dcmread(folder / "knee.dcm")
>>> ds.Modality, ds.ImageLaterality, ds.ViewPosition, [float(v) for v in ds.ImagerPixelSpacing]
('DX', 'R', 'RL', [1.6, 1.6])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignment.atomic import atomic_path, write_text_atomic
from alignment.errors import PhantomError
from alignment.options import IMAGE_FORMATS as FORMATS
from alignment.phantom.render import Film

__all__ = ["FORMATS", "FakePatient", "fake_patient", "write_film"]

Format = Literal["dicom", "png", "tiff"]
SUFFIX = {"dicom": ".dcm", "png": ".png", "tiff": ".tif"}

_DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
_CR = "1.2.840.10008.5.1.4.1.1.1"
_UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's, for generated UIDs

_GIVEN = (
    "ALICE",
    "BRUNO",
    "CHIARA",
    "DMITRI",
    "EMMA",
    "FARID",
    "GRETA",
    "HUGO",
    "INES",
    "JONAS",
    "KAORI",
    "LUCAS",
    "MARTA",
    "NOAH",
    "OLGA",
    "PAVEL",
    "QUINN",
    "ROSA",
)
_FAMILY = ("PHANTOM", "SYNTHETIC", "TESTCASE", "MODEL", "EXAMPLE", "DUMMY", "SAMPLE")


@dataclass(frozen=True)
class FakePatient:
    """Made-up identifying attributes of a synthetic study (never a real person).

    Every field holds what a de-identification step must remove or replace.
    """

    name: str = "PHANTOM^ALICE"
    patient_id: str = "PH000000"
    birth_date: str = "19500101"
    sex: str = "F"
    accession: str = "ACC000000"
    study_id: str = "1"
    study_date: str = "20240101"
    study_time: str = "090000"
    institution: str = "Nowhere General Hospital"
    institution_address: str = "1 Imaginary Road, Nowhere"
    referring_physician: str = "DOCTOR^FICTIONAL"
    operator: str = "TECH^MADEUP"
    station: str = "XR-PHANTOM-1"
    device_serial: str = "SN-0000"
    other_ids: str = "MRN-0000000"


def fake_patient(rng: np.random.Generator, case: str) -> FakePatient:
    """Return made-up identifiers for `case`, drawn from `rng`.

    Examples
    --------
    >>> p = fake_patient(np.random.default_rng(0), "case001")
    >>> p.name.split("^")[0] in _FAMILY, len(p.patient_id)
    (True, 8)
    """
    number = int(rng.integers(0, 10**6))
    year = int(rng.integers(1935, 1975))
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    s_month, s_day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    return FakePatient(
        name=f"{_FAMILY[int(rng.integers(len(_FAMILY)))]}^{_GIVEN[int(rng.integers(len(_GIVEN)))]}",
        patient_id=f"PH{number:06d}",
        birth_date=f"{year:04d}{month:02d}{day:02d}",
        sex=("F", "M")[int(rng.integers(2))],
        accession=f"ACC{int(rng.integers(0, 10**6)):06d}",
        study_id=str(int(rng.integers(1, 9999))),
        study_date=f"2023{s_month:02d}{s_day:02d}",
        study_time=f"{int(rng.integers(7, 18)):02d}{int(rng.integers(0, 60)):02d}00",
        other_ids=f"MRN-{int(rng.integers(0, 10**7)):07d}",
        device_serial=f"SN-{int(rng.integers(0, 10**4)):04d}",
    )


def _uid(*parts: str) -> Any:
    from pydicom.uid import generate_uid

    return generate_uid(_UID_PREFIX, entropy_srcs=list(parts))


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters."""
    text = f"{value:.10g}"
    return text if len(text) <= 16 else f"{value:.8g}"


def _write_dicom(
    film: Film, path: Path, *, patient: FakePatient, case: str, modality: str, compression: str
) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, JPEGLSLossless, RLELossless

    f = film.film
    sop_class = _DX_PRESENTATION if modality == "DX" else _CR
    identity = (patient.patient_id, case, f.view, "".join(f.sides))
    study_uid = _uid("study", patient.patient_id, case)
    series_uid = _uid("series", *identity)
    instance_uid = _uid("instance", *identity)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _uid("alignment.phantom")
    meta.ImplementationVersionName = "ALIGNMENT_PHANT"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"] if modality == "DX" else ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = instance_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = patient.study_date
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = patient.study_time
    ds.AccessionNumber = patient.accession
    ds.Modality = modality
    ds.Manufacturer = "alignment phantom"
    ds.InstitutionName = patient.institution
    ds.InstitutionAddress = patient.institution_address
    ds.ReferringPhysicianName = patient.referring_physician
    ds.StationName = patient.station
    long_leg = f.view == "AP"
    ds.StudyDescription = "XR LOWER LIMBS STANDING" if long_leg else "XR KNEE"
    ds.SeriesDescription = "Long leg AP standing" if long_leg else "Knee lateral"
    ds.OperatorsName = patient.operator
    ds.ManufacturerModelName = "synthetic long-leg phantom"
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = patient.birth_date
    ds.PatientSex = patient.sex
    ds.OtherPatientIDs = patient.other_ids
    ds.BodyPartExamined = "LEG" if long_leg else "KNEE"
    ds.DeviceSerialNumber = patient.device_serial
    ds.SoftwareVersions = "alignment.phantom"
    ds.DistanceSourceToDetector = _ds(f.sid_mm)
    ds.DistanceSourceToPatient = _ds(f.sid_mm - f.oid_mm)
    ds.EstimatedRadiographicMagnificationFactor = _ds(film.magnification)
    ds.ImagerPixelSpacing = [_ds(v) for v in f.spacing_mm]
    ds.ViewPosition = film.view_position
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = patient.study_id
    ds.SeriesNumber = 1 if long_leg else 2
    ds.InstanceNumber = 1
    ds.PatientOrientation = film.patient_orientation.split("\\")
    ds.ImageLaterality = film.laterality
    if modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.DetectorType = "SCINTILLATOR"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = -1 if f.photometric == "MONOCHROME2" else 1
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.RescaleType = "US"
        ds.PresentationLUTShape = "IDENTITY" if f.photometric == "MONOCHROME2" else "INVERSE"
        ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    if f.calibrated:
        spacing = film.object_spacing_mm
        ds.PixelSpacing = [_ds(v) for v in spacing]
        ds.PixelSpacingCalibrationType = "GEOMETRY"
        ds.PixelSpacingCalibrationDescription = "Imager spacing over landmark-plane magnification"
    maxval = (1 << f.bits_stored) - 1
    ds.WindowCenter = _ds((maxval + 1) / 2)
    ds.WindowWidth = _ds(maxval + 1)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = f.photometric
    ds.Rows, ds.Columns = film.pixels.shape
    ds.BitsAllocated = 16
    ds.BitsStored = f.bits_stored
    ds.HighBit = f.bits_stored - 1
    ds.PixelRepresentation = 0
    pixels = np.ascontiguousarray(film.pixels, dtype="<u2")
    ds.PixelData = pixels.tobytes()
    if compression == "rle":
        ds.compress(RLELossless, pixels, generate_instance_uid=False)
    elif compression == "jpeg-ls":
        ds.compress(JPEGLSLossless, pixels, generate_instance_uid=False)
    with atomic_path(path) as temporary:
        ds.save_as(temporary, enforce_file_format=True)


def _sidecar(film: Film) -> str:
    document = {
        "spacing_mm": list(film.spacing_mm),
        "magnification": film.magnification,
        "laterality": film.laterality,
        "view": film.view_position,
        "patient_orientation": film.patient_orientation,
    }
    if film.film.calibrated:
        document["spacing_mm"] = list(film.object_spacing_mm)
        del document["magnification"]
    return json.dumps(document, indent=1) + "\n"


def write_film(
    film: Film,
    path: str | os.PathLike[str],
    *,
    patient: FakePatient | None = None,
    case: str = "",
    modality: Literal["DX", "CR"] = "DX",
    compression: Literal["none", "rle", "jpeg-ls"] = "none",
) -> Path:
    """Write a film as DICOM, PNG or TIFF, chosen by the suffix of `path`.

    Parameters
    ----------
    film : Film
    path : path-like
        Ends in ``.dcm`` (DICOM), ``.png`` or ``.tif``/``.tiff``; PNG and TIFF get
        the sidecar ``IMAGE.spacing.json`` beside them.
    patient : FakePatient, optional
        Made-up identifiers for the DICOM header (default: :class:`FakePatient`).
    case : str, optional
        The case the film belongs to; enters the DICOM UIDs.
    modality : {'DX', 'CR'}, optional
        DICOM modality (and SOP class: DX For Presentation, or CR).
    compression : {'none', 'rle', 'jpeg-ls'}, optional
        DICOM transfer syntax: Explicit VR Little Endian, RLE Lossless or JPEG-LS
        Lossless.

    Returns
    -------
    pathlib.Path
        The image written. Files are written atomically.

    Raises
    ------
    PhantomError
        For an unknown suffix, modality or compression.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if modality not in ("DX", "CR"):
        raise PhantomError(f"modality is {modality!r}; expected 'DX' or 'CR'")
    if compression not in ("none", "rle", "jpeg-ls"):
        raise PhantomError(f"compression is {compression!r}; expected 'none', 'rle' or 'jpeg-ls'")
    if suffix in (".dcm", ".dicom"):
        _write_dicom(
            film,
            path,
            patient=patient or FakePatient(),
            case=case,
            modality=modality,
            compression=compression,
        )
        return path
    if suffix not in (".png", ".tif", ".tiff"):
        raise PhantomError(f"{path}: cannot write a film as {suffix!r}; use .dcm, .png or .tif")
    values = np.ascontiguousarray(film.bone_bright(), dtype=np.uint16)
    with atomic_path(path) as temporary:
        if suffix == ".png":
            from PIL import Image

            Image.fromarray(values).save(temporary, format="PNG", optimize=False)
        else:
            import tifffile

            tifffile.imwrite(temporary, values, photometric="minisblack", compression="zlib")
    from alignment.io.raster import sidecar_path

    write_text_atomic(sidecar_path(path), _sidecar(film))
    return path
