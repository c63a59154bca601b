"""PNG, JPEG and TIFF radiographs, with spacing from a sidecar JSON file.

The sidecar of ``knee.png`` is ``knee.spacing.json`` in the same folder (see
:func:`sidecar_path`). It is a JSON object with any of these keys:

``spacing_mm``
    ``[row_mm, col_mm]`` or one number for square pixels.
``magnification``
    A magnification factor (> 0) that `spacing_mm` is divided by: give it when the
    spacing is that of the detector or the film.
``laterality``
    ``"L"``, ``"R"``, ``"B"`` or ``"U"`` (as DICOM Image Laterality).
``view``
    As DICOM View Position: ``"AP"``, ``"PA"``, ``"LL"``, ``"RL"``, ``"LAT"`` ...
``patient_orientation``
    As DICOM Patient Orientation, such as ``"L\\\\F"``.

Any other key is an error, so a misspelt key is never ignored.

Examples
--------
>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sidecar_path(folder / "knee.png").name
'knee.spacing.json'
>>> _ = (folder / "knee.spacing.json").write_text(json.dumps({"spacing_mm": 0.1}))
>>> read_sidecar(sidecar_path(folder / "knee.png"))
{'spacing_mm': (0.1, 0.1)}
"""

from __future__ import annotations

import json
import logging
import math
import os
import struct
import warnings
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignment.errors import RUNTIME_LIMITS, ImageReadError, ImageTooLargeError
from alignment.io.dicom import ImageWarning
from alignment.io.radiograph import ImageGeometry, Radiograph

__all__ = ["SIDECAR_KEYS", "SIDECAR_SUFFIX", "read_raster", "read_sidecar", "sidecar_path"]

logger = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".spacing.json"
"""The sidecar of ``IMAGE.png`` is ``IMAGE.spacing.json``."""

SIDECAR_KEYS: tuple[str, ...] = (
    "spacing_mm",
    "magnification",
    "laterality",
    "view",
    "patient_orientation",
)
"""Keys a sidecar JSON object may have."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR = {0: "MONOCHROME2", 2: "RGB", 3: "PALETTE COLOR", 4: "MONOCHROME2", 6: "RGB"}
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def sidecar_path(image: str | os.PathLike[str]) -> Path:
    """Return the path of the sidecar JSON of `image`: ``IMAGE.spacing.json`` beside it."""
    image = Path(image)
    return image.with_name(image.stem + SIDECAR_SUFFIX)


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a sidecar JSON file (see the module docstring for its keys).

    Returns
    -------
    dict
        The keys present; ``spacing_mm`` as a ``(row_mm, col_mm)`` tuple of floats.

    Raises
    ------
    ImageReadError
        If the file is not a JSON object, has an unknown key, or a value is invalid.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageReadError(f"{path}: cannot read the sidecar JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ImageReadError(f"{path}: a sidecar must be a JSON object")
    unknown = sorted(set(document) - set(SIDECAR_KEYS))
    if unknown:
        raise ImageReadError(
            f"{path}: unknown sidecar key(s) {', '.join(map(repr, unknown))}; "
            f"expected any of {', '.join(SIDECAR_KEYS)}"
        )
    out: dict[str, Any] = {}
    if document.get("spacing_mm") is not None:
        value = document["spacing_mm"]
        values = [value, value] if isinstance(value, int | float) else value
        if (
            not isinstance(values, list)
            or len(values) != 2
            or not all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in values)
        ):
            raise ImageReadError(
                f"{path}: spacing_mm is {value!r}; expected [row_mm, col_mm] or one number, "
                "positive"
            )
        out["spacing_mm"] = (float(values[0]), float(values[1]))
    if document.get("magnification") is not None:
        value = document["magnification"]
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ImageReadError(f"{path}: magnification is {value!r}; expected a positive number")
        out["magnification"] = float(value)
    for key in ("laterality", "view", "patient_orientation"):
        if document.get(key) is not None:
            if not isinstance(document[key], str):
                raise ImageReadError(f"{path}: {key} must be a string, got {document[key]!r}")
            out[key] = document[key].strip()
    if "laterality" in out:
        out["laterality"] = out["laterality"].upper()
        if out["laterality"] not in ("L", "R", "B", "U"):
            raise ImageReadError(
                f"{path}: laterality is {document['laterality']!r}; expected L, R, B or U"
            )
    return out


def sniff_format(path: Path) -> str | None:
    """Return ``'PNG'``, ``'JPEG'`` or ``'TIFF'`` from the file's first bytes, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return None
    if head.startswith(_PNG_SIGNATURE):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    return None


def _png_header(path: Path) -> tuple[int, int, int, int, str]:
    """Rows, columns, samples, bit depth and photometric from the IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(33)
    if len(head) < 33 or head[12:16] != b"IHDR":
        raise ImageReadError(f"{path}: truncated PNG (no IHDR chunk)")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if colour not in _PNG_COLOUR:
        raise ImageReadError(f"{path}: PNG colour type {colour} is not valid")
    return height, width, _PNG_SAMPLES[colour], depth, _PNG_COLOUR[colour]


def _jpeg_header(path: Path) -> tuple[int, int, int, int, str]:
    """Rows, columns, samples, precision and photometric from the first SOF marker."""
    with open(path, "rb") as f:
        data = f.read(1 << 20)  # markers before the frame header are small
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ImageReadError(f"{path}: malformed JPEG (no marker at byte {position})")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if position + 10 > len(data):
                break
            precision, height, width, components = struct.unpack(
                ">BHHB", data[position + 4 : position + 10]
            )
            photometric = "MONOCHROME2" if components == 1 else "RGB"
            return height, width, components, precision, photometric
        position += 2 + length
    raise ImageReadError(f"{path}: malformed JPEG (no frame header found)")


def _check_size(path: Path, rows: int, columns: int, samples: int, max_pixels: int) -> None:
    if rows <= 0 or columns <= 0:
        raise ImageReadError(f"{path}: declares {rows} x {columns} pixels")
    declared = rows * columns * samples
    if declared > max_pixels:
        raise ImageTooLargeError(
            f"{path}: declares {rows} x {columns} x {samples} = {declared} samples, more than "
            f"the limit of {max_pixels}"
        )


def _to_grey(array: NDArray[Any], path: Path, bgr: bool) -> NDArray[Any]:
    """Drop alpha; convert colour to grey with a warning (not when all channels are equal)."""
    if array.ndim == 2:
        return array
    if array.shape[-1] in (1, 2):
        return array[..., 0]
    colour = array[..., :3]
    if np.array_equal(colour[..., 0], colour[..., 1]) and np.array_equal(
        colour[..., 0], colour[..., 2]
    ):
        return colour[..., 0]
    warnings.warn(f"{path}: colour image converted to grey", ImageWarning, stacklevel=4)
    weights = np.array([0.114, 0.587, 0.299] if bgr else [0.299, 0.587, 0.114])
    grey = colour.astype(np.float64) @ weights
    if np.issubdtype(array.dtype, np.integer):
        return np.round(grey).astype(array.dtype)
    return grey


def read_raster(
    path: str | os.PathLike[str],
    kind: str,
    *,
    pixels: bool = True,
    frame: int = 0,
    spacing_mm: tuple[float, float] | None = None,
    magnification: float | None = None,
    sidecar: str | os.PathLike[str] | bool = True,
    max_pixels: int,
) -> Radiograph:
    """Read a PNG, JPEG or TIFF radiograph; see :func:`alignment.io.read_radiograph`."""
    name = os.fspath(path)
    path = Path(path)
    frames = 1
    tiff_photometric = ""
    if kind == "PNG":
        rows, columns, samples, bits, photometric = _png_header(path)
    elif kind == "JPEG":
        rows, columns, samples, bits, photometric = _jpeg_header(path)
    else:
        import tifffile

        try:
            with tifffile.TiffFile(path) as tif:
                frames = len(tif.pages)
                if frames == 0:
                    raise ImageReadError(f"{path}: cannot read as TIFF: no readable page")
                if not 0 <= frame < frames:
                    raise ImageReadError(
                        f"{path}: frame {frame} asked for, the file has {frames} page(s)"
                    )
                page = tif.pages[frame]
                shape = tuple(int(v) for v in page.shape)
                bits = int(page.bitspersample)  # type: ignore[union-attr]
                tiff_photometric = page.photometric.name  # type: ignore[union-attr]
        except ImageReadError:
            raise
        except RUNTIME_LIMITS:
            raise
        except Exception as exc:
            raise ImageReadError(
                f"{path}: cannot read as TIFF: {type(exc).__name__}: {exc}"
            ) from exc
        if len(shape) == 2:
            (rows, columns), samples = shape, 1
        elif len(shape) == 3 and shape[-1] <= 4:
            rows, columns, samples = shape
        else:
            raise ImageReadError(f"{path}: TIFF page of shape {shape}; expected a 2D image")
        photometric = {
            "MINISBLACK": "MONOCHROME2",
            "MINISWHITE": "MONOCHROME1",
            "RGB": "RGB",
            "PALETTE": "PALETTE COLOR",
        }.get(tiff_photometric, tiff_photometric)
    _check_size(path, rows, columns, samples, max_pixels)
    if kind != "TIFF" and frame != 0:
        raise ImageReadError(f"{path}: frame {frame} asked for, a {kind} file has one frame")

    details: dict[str, Any] = {}
    if sidecar is not False:
        candidate = sidecar_path(path) if sidecar is True else Path(sidecar)
        if candidate.is_file():
            details = read_sidecar(candidate)
        elif sidecar is not True:
            raise ImageReadError(f"{candidate}: no such sidecar file")
    spacing: tuple[float, float] | None
    if spacing_mm is not None:
        spacing, source = (float(spacing_mm[0]), float(spacing_mm[1])), "option"
    elif "spacing_mm" in details:
        spacing, source = details["spacing_mm"], "sidecar"
    else:
        spacing, source = None, "none"
    factor = magnification if magnification is not None else details.get("magnification")
    applied = None
    if spacing is not None and factor is not None:
        spacing = (spacing[0] / factor, spacing[1] / factor)
        source, applied = source + "/magnification", float(factor)

    array = None
    if pixels:
        try:
            if kind == "TIFF":
                import tifffile

                array = tifffile.imread(path, key=frame)
                if tiff_photometric == "PALETTE":
                    with tifffile.TiffFile(path) as tif:
                        colormap = tif.pages[frame].colormap  # type: ignore[union-attr]
                    if colormap is not None:
                        array = np.moveaxis(np.asarray(colormap)[:, array], 0, -1)
            else:
                import cv2

                data = np.fromfile(path, dtype=np.uint8)
                array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
                if array is None:
                    raise ValueError("OpenCV could not decode the file")
        except RUNTIME_LIMITS:
            raise
        except Exception as exc:
            raise ImageReadError(f"{path}: cannot decode the {kind} image: {exc}") from exc
        array = _to_grey(np.asarray(array), path, bgr=kind != "TIFF")
        if array.shape != (rows, columns):
            raise ImageReadError(
                f"{path}: decoded pixels have shape {array.shape}, expected ({rows}, {columns})"
            )
        if photometric == "MONOCHROME1":
            if np.issubdtype(array.dtype, np.integer):
                high = int(np.iinfo(array.dtype).max)
                array = (high - array.astype(np.int64)).astype(array.dtype)
            else:
                array = float(np.max(array) + np.min(array)) - array
    geometry = ImageGeometry.planar()
    metadata = {"format": kind, "samples_per_pixel": samples, "bits": bits}
    if tiff_photometric:
        metadata["tiff_photometric"] = tiff_photometric
    if details:
        metadata["sidecar"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in details.items()
        }
    return Radiograph(
        path=name,
        format=kind,
        rows=rows,
        columns=columns,
        pixels=array,
        spacing_mm=spacing,
        spacing_source=source,
        magnification=applied,
        laterality=details.get("laterality") or None,
        view=details.get("view") or None,
        patient_orientation=details.get("patient_orientation", ""),
        photometric=photometric,
        transfer_syntax=None,
        frame=frame,
        n_frames=frames,
        bits_stored=bits,
        window=None,
        geometry=geometry,
        metadata=MappingProxyType(metadata),
        voi=None,
        inversion=None,
    )
