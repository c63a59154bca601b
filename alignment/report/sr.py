"""DICOM out: a TID 1500 Measurement Report and a Grayscale Softcopy Presentation State.

For one radiograph, :func:`build_measurement_report` turns the rows of the long results
table and the landmarks they came from into a Comprehensive SR (DICOM PS3.16 TID 1500
"Measurement Report"), and :func:`build_presentation_state` turns them into a GSPS
(PS3.3 A.33.1) that draws the axes and prints each value on the film, so the results
show up in any PACS viewer. :func:`write_dicom_outputs` writes both, atomically.

Coordinates pass through unchanged: the toolkit's landmark convention (``x`` right,
``y`` down, ``(0, 0)`` the top-left corner of the top-left pixel) is the convention of
SR SCOORD (PS3.3 C.18.6.1.2) and of GSPS ``PIXEL`` graphic data (PS3.3 C.10.5.1.2), so
there is no half-pixel shift.

By default neither object carries the patient's name, ID, birth date or sex, the
accession number, the study date, time or ID, the referring physician or the
institution: only the UIDs that the reference to the source image needs. See
``docs/dicom_out.md`` for the codes used and for the de-identification choice.

Examples
--------
>>> from pydicom import Dataset
>>> from pydicom.uid import DigitalXRayImageStorageForPresentation, generate_uid
>>> from alignment import LandmarkSet, landmark_table, measure_landmarks
>>> film = Dataset()
>>> film.SOPClassUID = DigitalXRayImageStorageForPresentation
>>> film.SOPInstanceUID = generate_uid()
>>> film.StudyInstanceUID, film.SeriesInstanceUID = generate_uid(), generate_uid()
>>> film.Modality, film.Rows, film.Columns, film.SamplesPerPixel = "DX", 1000, 400, 1
>>> film.PatientName, film.PatientID = "Doe^Jane", "MRN-1"
>>> leg = LandmarkSet("film.dcm", "right", "AP", {
...     "femoral_head_center": (100.0, 100.0), "femoral_knee_center": (120.0, 500.0),
...     "tibial_knee_center": (120.0, 520.0), "ankle_center": (110.0, 900.0),
... }, spacing_mm=(0.5, 0.5))
>>> landmarks = landmark_table([leg])
>>> results = measure_landmarks(landmarks)
>>> sr = build_measurement_report(film, results, landmarks)
>>> sr.SOPClassUID.name, str(sr.PatientName), sr.PatientIdentityRemoved
('Comprehensive SR Storage', '', 'YES')
>>> measure_concept("hka").value, measure_concept("hka").scheme_designator
('hka', '99ALIGN')
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pandas as pd
import pydicom
from highdicom.coding_schemes import CodingSchemeIdentificationItem
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sr.codedict import codes

from alignment import __version__
from alignment.atomic import atomic_path
from alignment.errors import AlignmentError, ImageReadError
from alignment.measures.registry import AXES, FALLBACKS, MEASURES
from alignment.notes import plain_note
from alignment.report._common import display_name, format_value, text_column

__all__ = [
    "LOCAL_SCHEME",
    "PR_SERIES_NUMBER",
    "SR_SERIES_NUMBER",
    "DicomExportError",
    "build_measurement_report",
    "build_presentation_state",
    "landmark_concept",
    "measure_concept",
    "write_dicom_outputs",
]

logger = logging.getLogger(__name__)

LOCAL_SCHEME = "99ALIGN"
"""Coding Scheme Designator of the toolkit's local codes (PS3.3 8.2: ``99`` = private)."""

SR_SERIES_NUMBER = 9001
"""Series Number of the Measurement Reports."""

PR_SERIES_NUMBER = 9002
"""Series Number of the presentation states."""

UNITS: Mapping[str, hd.sr.CodedConcept] = {
    "deg": hd.sr.CodedConcept("deg", "UCUM", "degree"),
    "mm": hd.sr.CodedConcept("mm", "UCUM", "millimeter"),
}
"""UCUM unit of each unit string of the results table."""

LATERALITY: Mapping[str, hd.sr.CodedConcept] = {
    "right": hd.sr.CodedConcept.from_code(codes.SCT.Right),
    "left": hd.sr.CodedConcept.from_code(codes.SCT.Left),
}
"""SNOMED CT laterality (CID 244) of each side."""

FINDING_SITES: Mapping[str, hd.sr.CodedConcept] = {
    "AP": hd.sr.CodedConcept.from_code(codes.SCT.LowerLimb),
    "LAT": hd.sr.CodedConcept.from_code(codes.SCT.Knee),
}
"""SNOMED CT anatomic site of each view: the whole lower limb (AP), the knee (LAT)."""

DRAWN_AXES: Mapping[str, tuple[str, ...]] = {
    "AP": ("dF", "dT", "aF", "aT", "jF", "jT", "mA"),
    "LAT": ("cF", "cT", "aF", "aT"),
}
"""Axes (symbols of :data:`alignment.measures.registry.AXES`) drawn by the GSPS."""

_TOOLKIT = "alignment"
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.invalid/alignment")
_LAT_DEFAULT_SIGN = {"right": -1.0, "left": 1.0}  # radiological display: right leg lateral = -x
_RESULT_COLUMNS = ("image", "side", "view", "measure", "value", "unit", "status")
_LANDMARK_COLUMNS = ("image", "side", "view", "landmark", "x", "y")

# Attributes of the source copied into the header the SR and GSPS are built from when
# identifiers are not kept: what the reference, the image library and the display
# need, and nothing that names the patient, the study, the staff or the institution.
_REFERENCE_KEYWORDS = (
    "SpecificCharacterSet",
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "FrameOfReferenceUID",
    "Modality",
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "PatientOrientation",
    "RescaleSlope",
    "RescaleIntercept",
    "RescaleType",
    "ModalityLUTSequence",
    "WindowCenter",
    "WindowWidth",
    "VOILUTFunction",
    "VOILUTSequence",
)
# Type 2 attributes highdicom reads from the source; blanked (or filled, if absent).
_BLANKED_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
)
# Text identifiers of the source that must never appear in a de-identified output.
_GUARDED_KEYWORDS = (
    "PatientName",
    "PatientID",
    "OtherPatientIDs",
    "PatientBirthDate",
    "AccessionNumber",
    "InstitutionName",
    "InstitutionAddress",
    "ReferringPhysicianName",
    "OperatorsName",
    "PerformingPhysicianName",
    "StationName",
    "DeviceSerialNumber",
    "StudyID",
)
_REQUIRED_SOURCE = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
                    "Rows", "Columns")  # fmt: skip
_DEIDENTIFICATION_METHOD = [  # LO, at most 64 characters each
    "alignment: patient name, ID, birth date and sex not copied",
    "accession, study ID, date, time, physician, institution removed",
    "study, series and instance UIDs retained",
]
_DEIDENTIFICATION_CODES = (  # PS3.16 CID 7050, PS3.15 table E.1-1
    ("113100", "Basic Application Confidentiality Profile"),
    ("113110", "Retain UIDs Option"),
)
_UNSAFE_STEM = re.compile(r"[/\\\x00]")


class DicomExportError(AlignmentError, ValueError):
    """The SR or GSPS of an image cannot be built from what was given."""


def _short_meaning(text: str) -> str:
    """A Code Meaning (LO, at most 64 characters) from a registry description."""
    head = text.split(":")[0].strip()
    if len(head) <= 64:
        return head
    return head[:64].rsplit(" ", 1)[0]


def measure_concept(measure: str) -> hd.sr.CodedConcept:
    """The coded concept naming `measure` in the SR: a local ``99ALIGN`` code.

    No standard terminology (SNOMED CT, LOINC, DICOM) codes the measures of the spec,
    so each is coded in the toolkit's local scheme :data:`LOCAL_SCHEME` with its
    registry name as the code value and its registry meaning (up to the first colon,
    at most 64 characters) as the code meaning. Names longer than 16 characters go
    into Long Code Value (PS3.3 8.1).

    Parameters
    ----------
    measure : str
        A name of :data:`alignment.measures.registry.MEASURES`.

    Returns
    -------
    highdicom.sr.CodedConcept

    Raises
    ------
    DicomExportError
        If `measure` is not in the registry.

    Examples
    --------
    >>> concept = measure_concept("mldfa")
    >>> concept.value, concept.scheme_designator, concept.meaning
    ('mldfa', '99ALIGN', 'mechanical lateral distal femoral angle')
    """
    if measure not in MEASURES:
        raise DicomExportError(
            f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}"
        )
    return hd.sr.CodedConcept(measure, LOCAL_SCHEME, _short_meaning(MEASURES[measure].meaning))


def landmark_concept(landmark: str) -> hd.sr.CodedConcept:
    """The coded concept naming a landmark's SCOORD in the SR: a local ``99ALIGN`` code.

    Examples
    --------
    >>> concept = landmark_concept("femoral_head_center")
    >>> concept.value, concept.meaning
    ('femoral_head_center', 'femoral head center')
    """
    return hd.sr.CodedConcept(landmark, LOCAL_SCHEME, landmark.replace("_", " "))


def _cpak_concepts(label: str) -> tuple[hd.sr.CodedConcept, hd.sr.CodedConcept]:
    name = hd.sr.CodedConcept("cpak", LOCAL_SCHEME, "CPAK type")
    return name, hd.sr.CodedConcept(f"CPAK-{label}", LOCAL_SCHEME, f"CPAK type {label}")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Leg:
    """One landmark set of the image: its key, results rows and points (pixels)."""

    side: str
    view: str
    reader: str
    rows: tuple[dict[str, Any], ...]
    points: Mapping[str, tuple[float, float]]
    preset: str
    preset_hash: str

    @property
    def label(self) -> str:
        return f"{self.side} {self.view}" + (f" reader {self.reader}" if self.reader else "")

    def point(self, landmark: str) -> tuple[str, tuple[float, float]] | None:
        """The landmark's name and point, falling back as the engine does."""
        if landmark in self.points:
            return landmark, self.points[landmark]
        fallback = FALLBACKS.get(landmark)
        if fallback is not None and fallback in self.points:
            return fallback, self.points[fallback]
        return None

    def used(self, measure: str) -> list[tuple[str, tuple[float, float]]]:
        """Each landmark a measure used (after fallbacks), once, in registry order."""
        found: dict[str, tuple[float, float]] = {}
        for landmark in MEASURES[measure].landmarks:
            hit = self.point(landmark)
            if hit is not None:
                found.setdefault(*hit)
        return list(found.items())

    def ok_rows(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            if row["status"] != "ok" or row["measure"] not in MEASURES:
                continue
            if MEASURES[row["measure"]].unit == "":
                if row["label"]:
                    yield row
            elif math.isfinite(row["value"]):
                yield row


def _check_columns(table: Any, columns: Iterable[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas.DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DicomExportError(f"{what} lacks column(s) {', '.join(missing)}")


def _legs(results: pd.DataFrame, landmarks: pd.DataFrame, image: str | None) -> list[_Leg]:
    """Split the tables of one image into landmark sets, in the results' order."""
    _check_columns(results, _RESULT_COLUMNS, "results")
    _check_columns(landmarks, _LANDMARK_COLUMNS, "landmarks")
    r_image = text_column(results, "image")
    l_image = text_column(landmarks, "image")
    if image is None:
        images = sorted(set(r_image) | set(l_image))
        if len(images) != 1:
            raise DicomExportError(
                f"results and landmarks hold {len(images)} images, expected 1; "
                "pass image= to choose one"
            )
        image = images[0]
    res = results[(r_image == image).to_numpy()]
    lms = landmarks[(l_image == image).to_numpy()]
    if res.empty and lms.empty:
        raise DicomExportError(f"no results or landmarks for image {image!r}")

    table = pd.DataFrame(
        {
            "side": text_column(res, "side"),
            "view": text_column(res, "view"),
            "reader": text_column(res, "reader"),
            "measure": text_column(res, "measure"),
            "value": pd.to_numeric(res["value"], errors="coerce").astype(float),
            "unit": text_column(res, "unit"),
            "status": text_column(res, "status"),
            "label": text_column(res, "label"),
            "outlier": res["outlier"].astype("boolean").fillna(False).astype(bool)
            if "outlier" in res.columns
            else False,
            "preset": text_column(res, "preset"),
            "preset_hash": text_column(res, "preset_hash"),
        }
    )
    points = pd.DataFrame(
        {
            "side": text_column(lms, "side"),
            "view": text_column(lms, "view"),
            "reader": text_column(lms, "reader"),
            "landmark": text_column(lms, "landmark"),
            "x": pd.to_numeric(lms["x"], errors="coerce").astype(float),
            "y": pd.to_numeric(lms["y"], errors="coerce").astype(float),
        }
    )
    keys = list(
        dict.fromkeys(
            [*zip(table["side"], table["view"], table["reader"], strict=True)]
            + [*zip(points["side"], points["view"], points["reader"], strict=True)]
        )
    )
    legs = []
    for side, view, reader in keys:
        here = (table["side"] == side) & (table["view"] == view) & (table["reader"] == reader)
        rows = tuple(table[here].to_dict("records"))
        mine = points[
            (points["side"] == side) & (points["view"] == view) & (points["reader"] == reader)
        ]
        pts = {
            str(name): (float(x), float(y))
            for name, x, y in zip(mine["landmark"], mine["x"], mine["y"], strict=True)
            if math.isfinite(x) and math.isfinite(y)
        }
        first = rows[0] if rows else {"preset": "", "preset_hash": ""}
        legs.append(
            _Leg(side, view, reader, rows, pts, str(first["preset"]), str(first["preset_hash"]))
        )
    return legs


def _reference(source: Any, identifiers: bool) -> Dataset:
    """The header the SR and GSPS are built from (and inherit patient and study from)."""
    if not isinstance(source, Dataset):
        raise TypeError(f"source must be a pydicom.Dataset, got {type(source).__name__}")
    missing = [k for k in _REQUIRED_SOURCE if k not in source]
    if missing:
        raise DicomExportError(
            f"source image lacks {', '.join(missing)}; an image with SOP Class, SOP "
            "Instance, Study and Series Instance UIDs, Rows and Columns is needed"
        )
    frames = source.get("NumberOfFrames")
    if frames is not None and int(frames) > 1:
        raise DicomExportError(
            f"source image has {int(frames)} frames; only single-frame radiographs are supported"
        )
    if identifiers:
        header = Dataset()
        for element in source:
            if element.keyword not in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
                header.add(deepcopy(element))
        for keyword in _BLANKED_KEYWORDS:
            if keyword not in header:
                setattr(header, keyword, "")
    else:
        header = Dataset()
        for keyword in _REFERENCE_KEYWORDS:
            if keyword in source:
                header.add(deepcopy(source[keyword]))
        for keyword in _BLANKED_KEYWORDS:
            setattr(header, keyword, "")
    if "SamplesPerPixel" not in header:
        header.SamplesPerPixel = 1
    _display_attributes(header)
    return header


def _display_attributes(header: Dataset) -> None:
    """Make the display attributes of `header` fit for a presentation state, in place.

    PS3.3 C.11.2 lets an image carry a window and a VOI LUT Sequence together, and LUT
    Data encoded as US (numbers) or OW (bytes); highdicom takes one of the two, as
    bytes. With both, the window is kept (it is what :mod:`alignment.io` displays);
    LUT Data is re-encoded as bytes; free-text explanations are dropped (they may name
    anyone: "Dr Smith's bone window"); a LUT that cannot be re-encoded is dropped with
    a log record, so the film is still shown with its window or its full range.
    """
    for keyword in ("WindowCenterWidthExplanation",):
        if keyword in header:
            del header[keyword]
    if "VOILUTSequence" not in header:
        return
    if "WindowCenter" in header and "WindowWidth" in header:
        del header.VOILUTSequence
        return
    try:
        items = [_voi_lut_item(item) for item in header.VOILUTSequence]
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        logger.warning("the VOI LUT Sequence is malformed (%s); not copied", error)
        del header.VOILUTSequence
        return
    header.VOILUTSequence = items


def _voi_lut_item(item: Dataset) -> Dataset:
    """A VOI LUT item with its data as bytes (8 or 16 bits an entry) and no free text."""
    count, first, bits = (int(v) for v in item.LUTDescriptor)
    count = count or 65536  # PS3.3 C.11.1.1.1: 0 means 2**16 entries
    dtype = np.uint8 if bits == 8 else np.uint16
    data = item.LUTData
    if isinstance(data, bytes | bytearray):
        values = np.frombuffer(bytes(data)[: count * np.dtype(dtype).itemsize], dtype)
    else:
        values = np.asarray(list(data) if isinstance(data, Iterable) else [data], dtype)
    if values.size != count:
        raise ValueError(f"LUT Descriptor says {count} entries, LUT Data has {values.size}")
    lut = hd.VOILUT(first_mapped_value=first, lut_data=values.astype(dtype))
    return Dataset(lut)


def _uid(*parts: object) -> str:
    """A UID derived from `parts`: the same input, the same UID.

    A name-based (SHA-1, version 5) UUID of the parts in the ``2.25.<integer>`` form of
    PS3.5 B.2, so no organisational root is needed.
    """
    name = "\x1f".join(str(p) for p in parts)
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"


def _digest(legs: Sequence[_Leg], identifiers: bool) -> str:
    """A hash of everything an output is built from, for its deterministic UIDs."""
    sha = hashlib.sha256(f"{__version__}|{identifiers}".encode())
    for leg in legs:
        sha.update(repr((leg.label, sorted(leg.points.items()))).encode())
        for row in leg.rows:
            sha.update(repr(sorted(row.items())).encode())
    return sha.hexdigest()


def _mark_deidentified(dataset: Dataset) -> None:
    """Patient Identity Removed, with the method in words and as codes (PS3.15 E)."""
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = _DEIDENTIFICATION_METHOD
    codes = []
    for value, meaning in _DEIDENTIFICATION_CODES:
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
        codes.append(code)
    dataset.DeidentificationMethodCodeSequence = codes


def _strings(dataset: Dataset) -> Iterator[str]:
    """Every text value in `dataset`, nested sequences included."""
    for element in dataset.iterall():
        if element.VR in ("SQ", "OB", "OW", "UN", "OF", "OD", "OL", "OV"):
            continue
        values = element.value if element.VM > 1 else [element.value]
        for value in values:
            if isinstance(value, str | pydicom.valuerep.PersonName):
                yield str(value)


def _check_no_identifiers(dataset: Dataset, source: Dataset, what: str) -> None:
    """Raise if a text identifier of `source` made its way into `dataset`."""
    guarded = set()
    for keyword in _GUARDED_KEYWORDS:
        value = source.get(keyword)
        if value is None:
            continue
        values = value if isinstance(value, pydicom.multival.MultiValue) else [value]
        guarded |= {str(v) for v in values if len(str(v).strip()) >= 3}
    leaked = sorted(guarded & set(_strings(dataset)))
    if leaked:
        raise DicomExportError(f"{what} would carry identifiers of the source: {leaked}")


# --------------------------------------------------------------------------- SR


def _leg_group(leg: _Leg, ref: Dataset) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """TID 1501: the measurements and the CPAK type of one leg (possibly none)."""
    measurements = []
    evaluations = []
    for row in leg.ok_rows():
        measure = row["measure"]
        if MEASURES[measure].unit == "":
            evaluations.append(hd.sr.QualitativeEvaluation(*_cpak_concepts(row["label"])))
            continue
        unit = UNITS.get(row["unit"])
        if unit is None:
            logger.debug("%s %s: unit %r has no UCUM code", leg.label, measure, row["unit"])
            continue
        coordinates = [
            hd.sr.CoordinatesForMeasurement(
                graphic_type=hd.sr.GraphicTypeValues.POINT,
                graphic_data=np.array([point], dtype=float),
                source_image=hd.sr.SourceImageForRegion.from_source_image(ref),
                purpose=landmark_concept(name),
            )
            for name, point in leg.used(measure)
        ]
        measurements.append(
            hd.sr.Measurement(
                name=measure_concept(measure),
                value=float(row["value"]),
                unit=unit,
                referenced_coordinates=coordinates or None,
            )
        )
    parameters = [f"view={leg.view}", f"side={leg.side}"]
    if leg.preset:
        parameters += [f"preset={leg.preset}", f"preset_hash={leg.preset_hash}"]
    site = FINDING_SITES.get(leg.view)
    laterality = LATERALITY.get(leg.side)
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=_uid(ref.SOPInstanceUID, "group", leg.label), identifier=leg.label
        ),
        finding_sites=[hd.sr.FindingSite(site, laterality=laterality)] if site else None,
        algorithm_id=hd.sr.AlgorithmIdentification(
            name=_TOOLKIT, version=__version__, parameters=parameters
        ),
        measurements=measurements or None,
        qualitative_evaluations=evaluations or None,
        source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(ref)],
    )


def _has_library_entry(ref: Dataset) -> bool:
    """Whether highdicom can describe `ref` in the Image Library (TID 1601)."""
    try:
        hd.sr.ImageLibraryEntryDescriptors(ref)
    except (AttributeError, KeyError, IndexError, ValueError) as error:
        logger.debug("no image library entry for the source: %s", error)
        return False
    return True


def build_measurement_report(
    source: Dataset,
    results: pd.DataFrame,
    landmarks: pd.DataFrame,
    *,
    identifiers: bool = False,
    image: str | None = None,
) -> hd.sr.ComprehensiveSR:
    """Build the TID 1500 Measurement Report of one radiograph as a Comprehensive SR.

    The report references the source image and holds one measurement group (TID 1501)
    per landmark set (side x view x reader). Each measure whose ``status`` is ``ok``
    is a TID 300 measurement with its value, its UCUM unit and one SCOORD ``POINT``
    per landmark it used; the CPAK type is a qualitative evaluation. Missing measures
    are left out (their reason stays in the results table).

    Parameters
    ----------
    source : pydicom.Dataset
        Header of the radiograph (``pydicom.dcmread(path, stop_before_pixels=True)``).
        It needs SOP Class and Instance UIDs, Study and Series Instance UIDs, Rows
        and Columns; a single frame.
    results : pandas.DataFrame
        The long results table of :func:`alignment.measure_landmarks` (columns
        ``image, side, view, measure, value, unit, status``; ``reader, label,
        outlier, preset, preset_hash`` are used where present).
    landmarks : pandas.DataFrame
        The landmark table the results came from (columns ``image, side, view,
        landmark, x, y``; ``reader`` where present), in pixels.
    identifiers : bool, optional
        Copy the source's patient and study attributes (name, ID, birth date, sex,
        accession number, study ID, date, time, referring physician) and its
        equipment, so that a PACS files the SR with its study. Default: none of
        them (see Notes).
    image : str, optional
        The ``image`` whose rows to use when the tables hold several images.

    Returns
    -------
    highdicom.sr.ComprehensiveSR
        Series Number :data:`SR_SERIES_NUMBER`, Instance Number 1. The series and
        instance UIDs are derived from the source's UIDs and the content, so the same
        input gives the same UIDs.

    Raises
    ------
    TypeError
        If `source` is not a pydicom Dataset or a table not a DataFrame.
    DicomExportError
        If a table lacks a column, the tables hold several images and `image` is not
        given, there are no rows for the image, or the source lacks a required
        attribute or has several frames.

    Notes
    -----
    Content tree (PS3.16 TID 1500): the language, an observer context naming the
    toolkit as device observer (TID 1004), the procedure reported (SCT 363679005
    "Imaging procedure"), the image library (when highdicom can describe the source:
    a projection radiograph needs Patient Orientation and Imager Pixel Spacing), then
    one group per landmark set with

    - tracking identifier ``"<side> <view>[ reader <reader>]"`` and a tracking UID;
    - finding site SCT 61685007 "Lower limb" (AP) or SCT 72696002 "Knee" (LAT) with
      the laterality modifier SCT 24028007 "Right" or SCT 7771000 "Left";
    - algorithm identification ``alignment`` with the version, view, side and preset;
    - each measurement coded ``(<measure>, 99ALIGN, <meaning>)`` (:func:`measure_concept`)
      in UCUM ``deg`` or ``mm``, with one ``INFERRED FROM`` SCOORD ``POINT`` per
      landmark whose purpose is ``(<landmark>, 99ALIGN, <name>)``;
    - the CPAK type as ``(cpak, 99ALIGN, "CPAK type") = (CPAK-<I..IX>, 99ALIGN, ...)``.

    Without `identifiers`, the SR is built from a copy of the source that holds only
    the UIDs, image geometry and display attributes, with the patient and study
    attributes empty; Patient Identity Removed is ``YES``. The UIDs (study, series,
    instance) are kept: the SR must name the image it measures, and a viewer or PACS
    can only resolve the reference through them.

    References
    ----------
    DICOM PS3.16 TID 1500, 1501, 300, 1001; PS3.3 C.17 (SR Document), C.18.6 (SCOORD).
    """
    legs = _legs(results, landmarks, image)
    ref = _reference(source, identifiers)
    groups = [_leg_group(leg, ref) for leg in legs]
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=_uid("device observer"), name=_TOOLKIT, model_name=f"{_TOOLKIT} {__version__}"
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=groups,
        referenced_images=[ref] if _has_library_entry(ref) else None,
    )
    digest = _digest(legs, identifiers)
    sr = hd.sr.ComprehensiveSR(
        evidence=[ref],
        content=report[0],
        series_instance_uid=_uid(ref.SeriesInstanceUID, "alignment SR series"),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=_uid(ref.SOPInstanceUID, "alignment SR", digest),
        instance_number=1,
        manufacturer=_TOOLKIT,
        is_complete=True,
        series_description="alignment measurements",
        coding_schemes=[
            CodingSchemeIdentificationItem(
                designator=LOCAL_SCHEME,
                name="alignment toolkit measures and landmarks",
                responsible_organization="alignment developers",
            )
        ],
    )
    if not identifiers:
        _mark_deidentified(sr)
        _check_no_identifiers(sr, source, "the SR")
    return sr


# --------------------------------------------------------------------------- GSPS


def _clip(p: np.ndarray, q: np.ndarray, width: float, height: float) -> np.ndarray | None:
    """The part of segment p-q inside [0, width] x [0, height] (Liang-Barsky), or None."""
    d = q - p
    lo, hi = 0.0, 1.0
    for delta, start, low, high in ((d[0], p[0], 0.0, width), (d[1], p[1], 0.0, height)):
        if delta == 0.0:
            if not low <= start <= high:
                return None
            continue
        t0, t1 = sorted(((low - start) / delta, (high - start) / delta))
        lo, hi = max(lo, t0), min(hi, t1)
        if lo > hi:
            return None
    return np.array([p + lo * d, p + hi * d])


def _lateral_sign(leg: _Leg) -> float:
    """+1 where the leg's lateral side is toward larger x on the film, else -1."""
    pairs = (("distal_femur_medial", "distal_femur_lateral"),
             ("tibial_plateau_medial", "tibial_plateau_lateral"))  # fmt: skip
    dx = sum(
        leg.points[b][0] - leg.points[a][0]
        for a, b in pairs
        if a in leg.points and b in leg.points
    )
    if dx != 0.0:
        return math.copysign(1.0, dx)
    return _LAT_DEFAULT_SIGN.get(leg.side, 1.0)


class _Layout:
    """Places text boxes near their anchors on the film without overlapping."""

    def __init__(self, columns: float, rows: float) -> None:
        self.columns, self.rows = columns, rows
        self.height = float(np.clip(min(columns, rows) / 40.0, 8.0, 64.0))
        self.boxes: list[tuple[float, float, float, float]] = []

    def _free(self, box: tuple[float, float, float, float]) -> bool:
        left, top, right, bottom = box
        return all(
            right <= b[0] or left >= b[2] or bottom <= b[1] or top >= b[3] for b in self.boxes
        )

    def place(
        self, text: str, anchor: tuple[float, float], sign: float
    ) -> tuple[float, float, float, float]:
        h = min(self.height, self.rows)
        w = min(0.6 * h * len(text), self.columns)
        x, y = anchor
        left = x + h if sign > 0 else x - h - w
        left = float(np.clip(left, 0.0, self.columns - w))
        start = float(np.clip(y - h / 2, 0.0, self.rows - h))
        box = (left, start, left + w, start + h)
        # Try the anchor's line, then one line below, one above, two below ...
        for k in range(1, 2 * int(self.rows // h) + 3):
            if self._free(box):
                break
            top = start + (k + 1) // 2 * h * (1 if k % 2 else -1)
            if 0.0 <= top <= self.rows - h:
                box = (left, top, left + w, top + h)
        self.boxes.append(box)
        return box


def _is_grey(ref: Dataset) -> bool:
    return int(ref.get("SamplesPerPixel", 1)) == 1


def _value_text(leg: _Leg, row: Mapping[str, Any], several_readers: bool) -> str:
    side = {"right": "R", "left": "L"}.get(leg.side, leg.side)
    value = format_value(row["value"], row["unit"], row["label"])
    if row["unit"] == "deg":
        value += " deg"
    text = f"{side} {display_name(row['measure'])} {value}"
    if several_readers and leg.reader:
        text += f" [{leg.reader}]"
    return text


def build_presentation_state(
    source: Dataset,
    results: pd.DataFrame,
    landmarks: pd.DataFrame,
    *,
    identifiers: bool = False,
    image: str | None = None,
) -> hd.pr.GrayscaleSoftcopyPresentationState:
    """Build a GSPS that draws the axes and prints each measured value on the film.

    Parameters
    ----------
    source, results, landmarks, identifiers, image
        As for :func:`build_measurement_report`.

    Returns
    -------
    highdicom.pr.GrayscaleSoftcopyPresentationState
        Series Number :data:`PR_SERIES_NUMBER`, Instance Number 1, content label
        ``ALIGNMENT``, with three graphic layers:

        - ``AXES``: one ``POLYLINE`` per axis of :data:`DRAWN_AXES` whose two
          landmarks are present (AP: dF, dT, aF, aT, jF, jT, mA; LAT: cF, cT, aF, aT),
          in ``PIXEL`` units, clipped to the image; tracking ID
          ``"<side> <view> <axis>"``.
        - ``VALUES``: one ``TEXT`` object per measure whose ``status`` is ``ok``, such
          as ``"R HKA 184.4 deg"``, ``"L MAD -9.0 mm"`` or ``"R CPAK II"``, in a box
          beside the measure's landmarks (on the leg's lateral side), anchored at their
          centroid.
        - ``OUTLIERS``: the same for values outside their tolerance, in red.

        The objects of each landmark set form one graphic group labelled
        ``"<side> <view>[ reader <reader>]"``.

    Raises
    ------
    TypeError, DicomExportError
        As for :func:`build_measurement_report`; also if the source is a colour image
        (Samples per Pixel other than 1).

    Notes
    -----
    Graphic data in ``PIXEL`` units has its origin at the top-left corner of the
    top-left pixel (PS3.3 C.10.5.1.2), the landmarks' convention: no shift is applied.
    The display (window, modality LUT) follows the source's attributes; the displayed
    area is the whole image.
    """
    legs = _legs(results, landmarks, image)
    ref = _reference(source, identifiers)
    if not _is_grey(ref):
        raise DicomExportError(
            f"source image has {ref.SamplesPerPixel} samples per pixel; a grayscale "
            "presentation state needs 1"
        )
    columns, rows = float(ref.Columns), float(ref.Rows)
    layers = {
        "AXES": hd.pr.GraphicLayer(
            "AXES", 1, "axes of the measurement spec", hd.color.CIELabColor(97.1, -21.6, 94.5)
        ),
        "VALUES": hd.pr.GraphicLayer(
            "VALUES", 2, "measured values", hd.color.CIELabColor(100.0, 0.0, 0.0)
        ),
        "OUTLIERS": hd.pr.GraphicLayer(
            "OUTLIERS", 3, "values outside tolerance", hd.color.CIELabColor(53.2, 80.1, 67.2)
        ),
    }
    graphics: list[hd.pr.GraphicObject] = []
    texts: dict[str, list[hd.pr.TextObject]] = {"VALUES": [], "OUTLIERS": []}
    groups = []
    layout = _Layout(columns, rows)
    several_readers = len({leg.reader for leg in legs}) > 1
    for number, leg in enumerate(legs, start=1):
        group = hd.pr.GraphicGroup(number, leg.label[:64])
        used = False
        for symbol in DRAWN_AXES.get(leg.view, ()):
            start, end = leg.point(AXES[symbol].start), leg.point(AXES[symbol].end)
            if start is None or end is None:
                continue
            segment = _clip(np.array(start[1]), np.array(end[1]), columns, rows)
            if segment is None or np.allclose(segment[0], segment[1]):
                logger.debug("%s %s: outside the image; not drawn", leg.label, symbol)
                continue
            tracking = f"{leg.label} {symbol}"
            graphics.append(
                hd.pr.GraphicObject(
                    graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
                    graphic_data=segment,
                    units=hd.pr.AnnotationUnitsValues.PIXEL,
                    tracking_id=tracking[:64],
                    tracking_uid=_uid(ref.SOPInstanceUID, "axis", tracking),
                    graphic_group=group,
                )
            )
            used = True
        sign = _lateral_sign(leg)
        for row in leg.ok_rows():
            where = np.array([p for _, p in leg.used(row["measure"])], dtype=float)
            if where.size == 0:
                continue
            anchor = tuple(np.clip(where.mean(axis=0), 0.0, [columns, rows]).tolist())
            text = _value_text(leg, row, several_readers)
            box = layout.place(text, anchor, sign)
            texts["OUTLIERS" if row["outlier"] else "VALUES"].append(
                hd.pr.TextObject(
                    text_value=text,
                    units=hd.pr.AnnotationUnitsValues.PIXEL,
                    bounding_box=box,
                    anchor_point=anchor,
                    anchor_point_visible=False,
                    graphic_group=group,
                )
            )
            used = True
        if used:
            groups.append(group)
    annotations = []
    if graphics:
        annotations.append(
            hd.pr.GraphicAnnotation(
                referenced_images=[ref], graphic_layer=layers["AXES"], graphic_objects=graphics
            )
        )
    for name, objects in texts.items():
        if objects:
            annotations.append(
                hd.pr.GraphicAnnotation(
                    referenced_images=[ref], graphic_layer=layers[name], text_objects=objects
                )
            )
    drawn = {a.GraphicLayer for a in annotations}
    pr = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[ref],
        series_instance_uid=_uid(ref.SeriesInstanceUID, "alignment PR series"),
        series_number=PR_SERIES_NUMBER,
        sop_instance_uid=_uid(ref.SOPInstanceUID, "alignment PR", _digest(legs, identifiers)),
        instance_number=1,
        manufacturer=_TOOLKIT,
        manufacturer_model_name=_TOOLKIT,
        software_versions=__version__,
        device_serial_number="",
        content_label="ALIGNMENT",
        content_description="alignment axes and measured values",
        graphic_annotations=annotations or None,
        graphic_layers=[layers[n] for n in layers if n in drawn] or None,
        graphic_groups=groups or None,
        series_description="alignment axes and values",
    )
    if not identifiers:
        _mark_deidentified(pr)
        _check_no_identifiers(pr, source, "the presentation state")
    return pr


# --------------------------------------------------------------------------- files


def _read_header(path: Path) -> Dataset:
    """The DICOM header of `path`; pydicom's warnings become log records."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            header = pydicom.dcmread(path, stop_before_pixels=True)
        except (OSError, InvalidDicomError, ValueError, EOFError) as error:
            raise ImageReadError(f"{path}: cannot read the DICOM header: {error}") from error
    for item in caught:
        logger.warning("%s: %s", path, plain_note(item.message, item.category))
    return header


def write_dicom_outputs(
    source_path: str | os.PathLike[str],
    results: pd.DataFrame,
    landmarks: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    stem: str,
    identifiers: bool = False,
    image: str | None = None,
) -> list[Path]:
    """Write the SR and the GSPS of one radiograph: ``<stem>_sr.dcm``, ``<stem>_pr.dcm``.

    Parameters
    ----------
    source_path : path-like
        The radiograph (DICOM); only its header is read.
    results, landmarks, identifiers, image
        As for :func:`build_measurement_report`.
    out_dir : path-like
        Folder to write into (created if needed).
    stem : str
        The caller's sanitised key of the image (never built here from DICOM
        values, which may name the patient). A single file-name component.

    Returns
    -------
    list of pathlib.Path
        The SR's path, then the GSPS's (none for a colour image, which a grayscale
        presentation state cannot reference; a warning is logged). Each file is written
        atomically (a crash never leaves half a file under its name) as DICOM Part 10,
        Explicit VR Little Endian.

    Raises
    ------
    ImageReadError
        If `source_path` cannot be read as DICOM.
    DicomExportError
        If `stem` is empty or not a single file-name component, or as for
        :func:`build_measurement_report`.
    """
    if not isinstance(stem, str) or stem in ("", ".", "..") or _UNSAFE_STEM.search(stem):
        raise DicomExportError(
            f"stem must be a single non-empty file-name component, got {stem!r}"
        )
    source = _read_header(Path(source_path))
    sr = build_measurement_report(source, results, landmarks, identifiers=identifiers, image=image)
    outputs: list[tuple[str, Dataset]] = [("sr", sr)]
    if _is_grey(source):
        pr = build_presentation_state(
            source, results, landmarks, identifiers=identifiers, image=image
        )
        outputs.append(("pr", pr))
    else:
        logger.warning("%s: a colour image; no presentation state written", stem)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, dataset in outputs:
        path = folder / f"{stem}_{suffix}.dcm"
        with atomic_path(path) as temporary:
            dataset.save_as(temporary, enforce_file_format=True)
        written.append(path)
    return written
