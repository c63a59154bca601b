"""DICOM radiographs: pixel spacing per PS3.3, pixels through pydicom's plugins.

Examples
--------
>>> from pydicom import Dataset
>>> ds = Dataset()
>>> ds.ImagerPixelSpacing = [0.15, 0.15]
>>> ds.EstimatedRadiographicMagnificationFactor = 1.2
>>> resolve_spacing(ds)
((0.125, 0.125), 'imager_pixel_spacing/ermf', 1.2)
>>> ds.PixelSpacing = [0.125, 0.125]
>>> resolve_spacing(ds)
((0.125, 0.125), 'pixel_spacing_corrected', None)
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignment.errors import RUNTIME_LIMITS, ImageReadError, ImageTooLargeError
from alignment.io.radiograph import ImageGeometry, Radiograph
from alignment.notes import plain_note

__all__ = [
    "CODECS_SYNTAXES",
    "DEFAULT_MAX_INFLATED_BYTES",
    "DEFAULT_MAX_INFLATE_RATIO",
    "IDENTIFYING_KEYWORDS",
    "METADATA_KEYWORDS",
    "ImageWarning",
    "read_dicom",
    "resolve_spacing",
]

logger = logging.getLogger(__name__)


class ImageWarning(UserWarning):
    """A radiograph was read, but something in it was changed or ignored (colour to grey ...)."""


METADATA_KEYWORDS: tuple[str, ...] = (
    "SOPClassUID",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "SoftwareVersions",
    "BodyPartExamined",
    "ViewPosition",
    "ImageLaterality",
    "Laterality",
    "PatientOrientation",
    "PatientPosition",
    "PresentationIntentType",
    "ImageType",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "NominalScannedPixelSpacing",
    "PixelSpacingCalibrationType",
    "PixelSpacingCalibrationDescription",
    "EstimatedRadiographicMagnificationFactor",
    "DistanceSourceToDetector",
    "DistanceSourceToPatient",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "RescaleSlope",
    "RescaleIntercept",
    "RescaleType",
    "WindowCenter",
    "WindowWidth",
    "VOILUTFunction",
    "PixelIntensityRelationship",
    "PixelIntensityRelationshipSign",
    "KVP",
    "ExposureTime",
    "XRayTubeCurrent",
    "Exposure",
    "LossyImageCompression",
    "LossyImageCompressionRatio",
    "BurnedInAnnotation",
)
"""DICOM attributes copied into :attr:`Radiograph.metadata` by default.

None of them identifies the patient, the study or the institution (compare the PS3.15
Basic Application Level Confidentiality Profile).
"""

IDENTIFYING_KEYWORDS: tuple[str, ...] = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "OtherPatientIDs",
    "AccessionNumber",
    "InstitutionName",
    "InstitutionAddress",
    "ReferringPhysicianName",
    "OperatorsName",
    "StationName",
    "DeviceSerialNumber",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "StudyID",
    "StudyDescription",
    "SeriesDescription",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
)
"""Attributes added to :attr:`Radiograph.metadata` only with ``identifiers=True``."""

_VOI_KEYWORDS = (
    "BitsStored",
    "PixelRepresentation",
    "RescaleSlope",
    "RescaleIntercept",
    "WindowCenter",
    "WindowWidth",
    "VOILUTFunction",
    "VOILUTSequence",
)
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")

DEFAULT_MAX_INFLATED_BYTES = 2**30
"""Largest size (1 GiB) a deflated DICOM dataset may inflate to before it is refused."""

DEFAULT_MAX_INFLATE_RATIO = 100
"""Largest ratio of inflated to deflated size of a deflated DICOM dataset.

A radiograph deflates two to ten times; zlib's ceiling is about 1 000, reached only by
runs of one byte, which is what deflate bombs are made of. Datasets that inflate to
no more than :data:`INFLATE_FLOOR_BYTES` are exempt (a small, blank test film may
deflate far better than 100:1 and costs nothing to read)."""

INFLATE_FLOOR_BYTES = 2**22
"""A deflated dataset may always inflate to 4 MiB, whatever its ratio."""


@contextlib.contextmanager
def _quiet_pydicom(path: str) -> Iterator[None]:
    """Turn warnings raised inside pydicom (invalid values ...) into log records.

    Our own :class:`ImageWarning` passes through unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            ours = [item for item in caught if issubclass(item.category, ImageWarning)]
            for item in caught:
                if not issubclass(item.category, ImageWarning):
                    logger.warning("%s: %s", path, plain_note(item.message, item.category))
    for item in ours:
        warnings.warn(item.message, item.category, stacklevel=4)


def _positive_values(ds: Any, keyword: str, n: int) -> tuple[float, ...] | None:
    """Return the `n` values of `keyword` if all are finite and positive, else None."""
    if keyword not in ds:
        return None
    try:
        raw = ds[keyword].value
        values = list(raw) if isinstance(raw, Sequence) and not isinstance(raw, str) else [raw]
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        logger.info("%s is malformed (%r): ignored", keyword, ds.get(keyword))
        return None
    if len(numbers) != n or not all(math.isfinite(v) and v > 0 for v in numbers):
        logger.info("%s is %r: not %d positive numbers, ignored", keyword, numbers, n)
        return None
    return numbers


def resolve_spacing(
    ds: Any, *, magnification: float | None = None
) -> tuple[tuple[float, float] | None, str, float | None]:
    """Return the pixel spacing of a projection radiograph, where it came from, and why.

    Implements PS3.3 section 10.7.1 (Basic Pixel Spacing Calibration Macro), the DX
    Detector and CR Image modules (Imager Pixel Spacing, C.8.11.4, C.8.1.2) and the X-Ray
    Acquisition Dose module (Estimated Radiographic Magnification Factor, ERMF), in
    this order:

    1. Pixel Spacing (0028,0030) with Pixel Spacing Calibration Type (0028,0A02):
       calibrated in the patient, ``pixel_spacing_calibrated``.
    2. Pixel Spacing different from Imager Pixel Spacing (0018,1164) or Nominal
       Scanned Pixel Spacing (0018,2010): corrected by the modality,
       ``pixel_spacing_corrected``.
    3. Imager Pixel Spacing (or a Pixel Spacing equal to it): at the detector, divided
       by `magnification` if given (``/magnification``), else by ERMF (``/ermf``).
    4. Nominal Scanned Pixel Spacing, the same way.
    5. Pixel Spacing alone: ``pixel_spacing`` (cannot tell whether it was corrected;
       divided by `magnification` only if that is given).
    6. Nothing valid: ``(None, 'none', None)``.

    A value that is missing, not two numbers, zero, negative or not finite counts as
    absent, as does an ERMF below 1 (SID/SOD cannot be below 1). Anisotropic spacing
    is kept as is.

    Parameters
    ----------
    ds : pydicom.Dataset
        The header.
    magnification : float, optional
        A magnification factor that replaces ERMF, for example one measured on a
        calibration marker. It applies to the spacing at the detector; a calibrated or
        corrected Pixel Spacing is kept and the override is ignored with a warning.

    Returns
    -------
    spacing_mm : (float, float) or None
        ``(row_mm, col_mm)``.
    source : str
        See :data:`~alignment.io.SPACING_SOURCES`.
    magnification : float or None
        The factor the spacing was divided by, None if none.

    Raises
    ------
    ValueError
        If `magnification` is not a positive finite number.
    """
    if magnification is not None and not (math.isfinite(magnification) and magnification > 0):
        raise ValueError(f"magnification must be a positive number, got {magnification!r}")
    pixel = _positive_values(ds, "PixelSpacing", 2)
    imager = _positive_values(ds, "ImagerPixelSpacing", 2)
    scanned = _positive_values(ds, "NominalScannedPixelSpacing", 2)
    ermf = _positive_values(ds, "EstimatedRadiographicMagnificationFactor", 1)
    if ermf is not None and ermf[0] < 1:
        logger.info("Estimated Radiographic Magnification Factor %s < 1: ignored", ermf[0])
        ermf = None
    calibration = str(ds.get("PixelSpacingCalibrationType", "") or "").strip().upper()
    detector = imager or scanned

    def same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(math.isclose(u, v, rel_tol=1e-6) for u, v in zip(a, b, strict=True))

    corrected: str | None = None
    if pixel is not None and calibration in ("GEOMETRY", "FIDUCIAL"):
        corrected = "pixel_spacing_calibrated"
    elif pixel is not None and detector is not None and not same(pixel, detector):
        corrected = "pixel_spacing_corrected"
    if corrected is not None and pixel is not None:
        if magnification is not None:
            warnings.warn(
                f"Pixel Spacing is already {corrected.split('_')[-1]} "
                f"({pixel[0]:g}\\{pixel[1]:g} mm); the magnification {magnification:g} "
                "given is ignored",
                ImageWarning,
                stacklevel=3,
            )
        return (pixel[0], pixel[1]), corrected, None
    if detector is not None:
        base = "imager_pixel_spacing" if imager is not None else "nominal_scanned_pixel_spacing"
    elif pixel is not None:
        detector, base = pixel, "pixel_spacing"
    else:
        return None, "none", None
    if magnification is not None:
        factor, suffix = magnification, "/magnification"
    elif ermf is not None and base != "pixel_spacing":
        factor, suffix = ermf[0], "/ermf"
    else:
        return (detector[0], detector[1]), base, None
    return (detector[0] / factor, detector[1] / factor), base + suffix, factor


def _plain(value: Any) -> Any:
    """A DICOM value as plain JSON-friendly Python (None for binary or sequences)."""
    from pydicom.multival import MultiValue
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.valuerep import IS, DSdecimal, DSfloat

    if isinstance(value, DicomSequence | bytes | bytearray):
        return None
    if isinstance(value, MultiValue | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, IS):
        return int(value)
    if isinstance(value, DSfloat | DSdecimal | float):
        return float(value)
    if isinstance(value, int | str):
        return value
    return str(value)


def _metadata(ds: Any, identifiers: bool) -> dict[str, Any]:
    keywords = METADATA_KEYWORDS + (IDENTIFYING_KEYWORDS if identifiers else ())
    out: dict[str, Any] = {}
    for keyword in keywords:
        if keyword in ds:
            try:
                value = _plain(ds[keyword].value)
            except RUNTIME_LIMITS:
                raise
            except Exception:  # a malformed value must not stop the reading
                continue
            if value is not None and value != "":
                out[keyword] = value
    return out


def _text(ds: Any, *keywords: str) -> str | None:
    for keyword in keywords:
        value = str(ds.get(keyword, "") or "").strip().upper()
        if value:
            return value
    return None


def _geometry(ds: Any, spacing: tuple[float, ...] | None) -> ImageGeometry:
    position = _finite_values(ds, "ImagePositionPatient", 3)
    orientation = _finite_values(ds, "ImageOrientationPatient", 6)
    if position is not None and orientation is not None and spacing is not None:
        with contextlib.suppress(ValueError):
            return ImageGeometry(position, orientation[:3], orientation[3:], spacing, "dicom")  # type: ignore[arg-type]
    return ImageGeometry.planar((spacing[0], spacing[1]) if spacing else (1.0, 1.0))


def _finite_values(ds: Any, keyword: str, n: int) -> Any:
    try:
        values = tuple(float(v) for v in ds[keyword].value)
    except RUNTIME_LIMITS:
        raise
    except Exception:
        return None
    return values if len(values) == n and all(math.isfinite(v) for v in values) else None


def _grey(arr: NDArray[Any], path: str, photometric: str) -> NDArray[Any]:
    """Luminance (ITU-R BT.601 weights) of an RGB array, with a warning."""
    if arr.ndim == 3 and arr.shape[-1] >= 3:
        rgb = arr[..., :3]
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            return rgb[..., 0]
        warnings.warn(
            f"{path}: colour image ({photometric}) converted to grey",
            ImageWarning,
            stacklevel=4,
        )
        return rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if arr.ndim == 3:
        return arr[..., 0]
    return arr


def _invert(arr: NDArray[Any], ds: Any) -> tuple[NDArray[Any], float]:
    """Invert MONOCHROME1 values over the nominal Modality LUT output range."""
    from pydicom.pixels import apply_modality_lut

    bits = int(ds.BitsStored)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    stored = np.arange(low, high + 1) if high - low <= 2**16 else np.array([low, high])
    dtype = np.int32 if signed else np.uint32
    ends = np.asarray(apply_modality_lut(stored.astype(dtype), ds), dtype=np.float64)
    total = float(np.min(ends) + np.max(ends))
    if np.issubdtype(arr.dtype, np.integer) and total.is_integer():
        out = int(total) - arr.astype(np.int64)
        info = np.iinfo(arr.dtype)
        if out.size == 0 or (out.min() >= info.min and out.max() <= info.max):
            return out.astype(arr.dtype), total
        return out, total
    return total - arr.astype(np.float64), total


def read_dicom(
    path: str | os.PathLike[str],
    *,
    pixels: bool = True,
    frame: int = 0,
    spacing_mm: tuple[float, float] | None = None,
    magnification: float | None = None,
    identifiers: bool = False,
    max_pixels: int,
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED_BYTES,
    max_inflate_ratio: float = DEFAULT_MAX_INFLATE_RATIO,
) -> Radiograph:
    """Read a DICOM radiograph; see :func:`alignment.io.read_radiograph`."""
    with _quiet_pydicom(os.fspath(path)):
        _check_inflated_size(os.fspath(path), max_inflated_bytes, max_inflate_ratio)
        return _read_dicom(
            path,
            pixels=pixels,
            frame=frame,
            spacing_mm=spacing_mm,
            magnification=magnification,
            identifiers=identifiers,
            max_pixels=max_pixels,
        )


_PLUGIN_PREFERENCE = ("pylibjpeg", "pyjpegls", "pillow", "pydicom", "gdcm")
"""Decoders in order of preference. GDCM comes last: on some malformed streams it
aborts the whole process (a C++ ``terminate``), which no Python code can catch, so it
is used only where it is the sole decoder (JPEG Lossless without the GPL extra)."""


def _decoding_plugin(syntax: str | None) -> str:
    """The pydicom decoding plugin to use for `syntax` ('' lets pydicom choose)."""
    from pydicom.pixels import get_decoder
    from pydicom.uid import UID

    if not syntax or not UID(syntax).is_compressed:
        return ""
    try:
        available = get_decoder(UID(syntax)).available_plugins
    except (NotImplementedError, ValueError):
        return ""
    return next((p for p in _PLUGIN_PREFERENCE if p in available), "")


CODECS_SYNTAXES: frozenset[str] = frozenset(
    {
        "1.2.840.10008.1.2.4.57",  # JPEG Lossless: pylibjpeg-libjpeg (GPL) or GDCM
        "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1: likewise
        "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless: pylibjpeg-openjpeg, else Pillow
        "1.2.840.10008.1.2.4.91",  # JPEG 2000: likewise
        "1.2.840.10008.1.2.4.201",  # HTJ2K Lossless: pylibjpeg-openjpeg only
        "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless RPCL
        "1.2.840.10008.1.2.4.203",  # HTJ2K
    }
)
"""Transfer syntaxes whose decoders come with the ``codecs`` extra (pylibjpeg,
pylibjpeg-openjpeg, pylibjpeg-rle, python-gdcm). The core install decodes the others:
uncompressed, deflated, RLE (pydicom itself), JPEG baseline (Pillow) and JPEG-LS
(pyjpegls)."""


def _decoder_hint(syntax: str | None) -> str:
    """What to install so that `syntax` decodes, as the tail of an error message, where
    a missing optional decoder explains the failure; else ``""``."""
    if syntax == "1.2.840.10008.1.2.4.51":
        return (
            "; 12-bit JPEG needs the optional GPL decoder: "
            "pip install 'radiographic-alignment[gpl-jpeg]'"
        )
    if syntax not in CODECS_SYNTAXES:
        return ""
    from pydicom.pixels import get_decoder
    from pydicom.uid import UID

    if get_decoder(UID(syntax)).is_available:
        return ""
    return (
        f"; no decoder for {UID(syntax).name} is installed: "
        "pip install 'radiographic-alignment[codecs]'"
    )


def inflate_limit(deflated_bytes: int, max_bytes: int, max_ratio: float) -> int:
    """Most bytes a deflated dataset of `deflated_bytes` may inflate to.

    The smaller of `max_bytes` and `max_ratio` times the deflated size, but never less
    than :data:`INFLATE_FLOOR_BYTES` (nor more than `max_bytes`).

    Examples
    --------
    >>> inflate_limit(100_000, 2**30, 100)  # the 100 KB bomb of the fuzz corpus
    10000000
    >>> inflate_limit(1_000, 2**30, 100)  # a tiny dataset: the floor
    4194304
    >>> inflate_limit(10**8, 2**30, 100)  # a big one: the absolute ceiling
    1073741824
    """
    by_ratio = max(int(max_ratio * deflated_bytes), INFLATE_FLOOR_BYTES)
    return min(max_bytes, by_ratio)


def _check_inflated_size(name: str, max_bytes: int, max_ratio: float) -> None:
    """Refuse a Deflated Explicit VR file whose dataset would inflate too far.

    pydicom inflates a deflated dataset whole, in memory, as it reads it (PS3.5 A.5):
    a few kilobytes can claim gigabytes, and parsing a hundred megabytes of a single
    repeated byte takes a minute. The stream is inflated here first, in chunks,
    counting and keeping nothing, and given up on as soon as it passes
    :func:`inflate_limit` (a ratio to the deflated size, and an absolute size): the
    cost of a bomb is bounded by the limit, not by what the bomb claims.
    """
    import zlib

    from pydicom.uid import DeflatedExplicitVRLittleEndian

    with open(name, "rb") as f:
        head = f.read(132 + 12)
        if len(head) < 144 or head[128:132] != b"DICM" or head[132:136] != b"\x02\x00\x00\x00":
            return
        meta_length = int.from_bytes(head[140:144], "little")
        meta = f.read(meta_length)
        if DeflatedExplicitVRLittleEndian.encode() not in meta:
            return
        deflated = max(os.fstat(f.fileno()).st_size - f.tell(), 0)
        limit = inflate_limit(deflated, max_bytes, max_ratio)
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        total = 0
        while chunk := f.read(1 << 16):
            while chunk:
                total += len(inflater.decompress(chunk, 1 << 20))
                if total > limit:
                    raise ImageTooLargeError(
                        f"{name}: the deflated dataset ({deflated} bytes) inflates to more "
                        f"than {limit} bytes (limits: {max_ratio:g} times its size, at least "
                        f"{INFLATE_FLOOR_BYTES} and at most {max_bytes} bytes); "
                        "refused as a possible deflate bomb"
                    )
                chunk = inflater.unconsumed_tail


def _transfer_syntax(ds: Any, name: str) -> str | None:
    """The Transfer Syntax UID; inferred from the encoding read if the meta lacks it."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is not None and meta.get("TransferSyntaxUID"):
        return str(meta.TransferSyntaxUID)
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if implicit is None or little is None:
        return None
    uid = (
        ImplicitVRLittleEndian
        if implicit
        else (ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    )
    if implicit and not little:
        return None
    if meta is None:
        ds.file_meta = meta = FileMetaDataset()
    meta.TransferSyntaxUID = uid
    logger.info("%s: no Transfer Syntax UID in the file meta; read as %s", name, uid.name)
    return str(uid)


def _read_dicom(
    path: str | os.PathLike[str],
    *,
    pixels: bool,
    frame: int,
    spacing_mm: tuple[float, float] | None,
    magnification: float | None,
    identifiers: bool,
    max_pixels: int,
) -> Radiograph:
    from pydicom import dcmread
    from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

    name = os.fspath(path)
    try:
        ds = dcmread(name, stop_before_pixels=not pixels, defer_size="256 KB", force=True)
    except RUNTIME_LIMITS:
        raise
    except Exception as exc:
        raise ImageReadError(f"{name}: cannot read as DICOM: {type(exc).__name__}: {exc}") from exc
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        bits_stored = int(ds.get("BitsStored", ds.get("BitsAllocated", 8)) or 8)
    except RUNTIME_LIMITS:
        raise
    except Exception as exc:
        raise ImageReadError(
            f"{name}: not a DICOM image (Rows, Columns, Samples per Pixel, Number of Frames "
            f"missing or malformed: {type(exc).__name__}: {exc})"
        ) from exc
    if rows <= 0 or columns <= 0 or samples <= 0 or frames <= 0:
        raise ImageReadError(
            f"{name}: declares {rows} x {columns} pixels, {samples} samples and {frames} "
            "frames; expected positive numbers"
        )
    declared = rows * columns * samples
    if declared > max_pixels:
        raise ImageTooLargeError(
            f"{name}: declares {rows} x {columns} x {samples} = {declared} samples per frame, "
            f"more than the limit of {max_pixels}"
        )
    if not 0 <= frame < frames:
        raise ImageReadError(f"{name}: frame {frame} asked for, the file has {frames} frame(s)")
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    syntax = _transfer_syntax(ds, name)
    spacing, source, applied = (
        (tuple(float(v) for v in spacing_mm), "option", None)
        if spacing_mm is not None
        else resolve_spacing(ds, magnification=magnification)
    )
    if spacing_mm is not None and magnification is not None:
        spacing = (spacing[0] / magnification, spacing[1] / magnification)  # type: ignore[index]
        source, applied = "option/magnification", magnification
    array = None
    inversion = None
    if pixels:
        if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            raise ImageReadError(f"{name}: no Pixel Data element; not an image")
        try:
            array = pixel_array(
                ds, index=frame if frames > 1 else None, decoding_plugin=_decoding_plugin(syntax)
            )
            if photometric == "PALETTE COLOR":
                array = apply_color_lut(array, ds)
            if photometric in _MONOCHROME and samples == 1:
                array = apply_modality_lut(array, ds)
                if photometric == "MONOCHROME1":
                    array, inversion = _invert(array, ds)
        except RUNTIME_LIMITS:
            raise
        except Exception as exc:  # third-party decoders raise anything
            hint = _decoder_hint(syntax)
            raise ImageReadError(
                f"{name}: cannot decode the pixel data (transfer syntax {syntax or 'unknown'}):"
                f" {type(exc).__name__}: {exc}{hint}"
            ) from exc
        array = _grey(np.asarray(array), name, photometric or "colour")
        if array.shape != (rows, columns):
            raise ImageReadError(
                f"{name}: decoded pixels have shape {array.shape}, expected ({rows}, {columns})"
            )
    voi = None
    window = None
    if photometric in _MONOCHROME and samples == 1:
        from pydicom import Dataset

        voi = Dataset()
        for keyword in _VOI_KEYWORDS:
            if keyword in ds:
                try:
                    setattr(voi, keyword, ds[keyword].value)
                except RUNTIME_LIMITS:
                    raise
                except Exception:  # a malformed value is left out of the VOI
                    continue
        if "BitsStored" not in voi:
            voi.BitsStored = bits_stored
        voi.PhotometricInterpretation = "MONOCHROME2"  # inversion is ours, in display()
        center = _positive_or_any(ds, "WindowCenter")
        width = _positive_or_any(ds, "WindowWidth")
        if center is not None and width is not None and width > 0:
            window = (center, width)
        if "VOILUTSequence" not in voi and window is None:
            voi = None
    orientation = ds.get("PatientOrientation", "")
    orientation_text = (
        "\\".join(str(v) for v in orientation)
        if isinstance(orientation, Sequence) and not isinstance(orientation, str)
        else str(orientation or "")
    )
    return Radiograph(
        path=name,
        format="DICOM",
        rows=rows,
        columns=columns,
        pixels=array,
        spacing_mm=spacing,  # type: ignore[arg-type]
        spacing_source=source,
        magnification=applied,
        laterality=_text(ds, "ImageLaterality", "Laterality"),
        view=_text(ds, "ViewPosition"),
        patient_orientation=orientation_text,
        photometric=photometric,
        transfer_syntax=str(syntax) if syntax else None,
        frame=frame,
        n_frames=frames,
        bits_stored=bits_stored,
        window=window,
        geometry=_geometry(ds, _positive_values(ds, "PixelSpacing", 2) or _detector(ds)),
        metadata=MappingProxyType(_metadata(ds, identifiers)),
        voi=voi,
        inversion=inversion,
    )


def _detector(ds: Any) -> tuple[float, ...] | None:
    return _positive_values(ds, "ImagerPixelSpacing", 2) or _positive_values(
        ds, "NominalScannedPixelSpacing", 2
    )


def _positive_or_any(ds: Any, keyword: str) -> float | None:
    """First value of a possibly multi-valued numeric attribute, None if unusable."""
    if keyword not in ds:
        return None
    try:
        value = ds[keyword].value
        first = value[0] if isinstance(value, Sequence) and not isinstance(value, str) else value
        number = float(first)
    except RUNTIME_LIMITS:
        raise
    except Exception:
        return None
    return number if math.isfinite(number) else None


def is_dicom(path: Path) -> bool:
    """True if the file has the DICOM preamble and ``DICM`` prefix (PS3.10 7.1)."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"
