"""The front door for images: :func:`read_radiograph`.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np, cv2
>>> path = pathlib.Path(tempfile.mkdtemp()) / "knee.png"
>>> _ = cv2.imwrite(str(path), np.zeros((30, 20), np.uint16))
>>> image = read_radiograph(path, spacing_mm=(0.2, 0.2))
>>> image.shape, image.pixels.dtype, image.spacing_mm, image.spacing_source
((30, 20), dtype('uint16'), (0.2, 0.2), 'option')
>>> read_radiograph(path, pixels=False).pixels is None
True
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from alignment.errors import ImageReadError, typed_errors
from alignment.io.dicom import DEFAULT_MAX_INFLATED_BYTES, is_dicom, read_dicom
from alignment.io.radiograph import Radiograph
from alignment.io.raster import read_raster, sniff_format

__all__ = ["DEFAULT_MAX_PIXELS", "DICOM_SUFFIXES", "read_radiograph"]

DEFAULT_MAX_PIXELS = 2**28
"""Largest number of samples (rows x columns x samples per pixel) of one frame that
:func:`read_radiograph` decodes: 268 million, about 16 000 x 16 000 grey pixels."""

DICOM_SUFFIXES: tuple[str, ...] = ("", ".dcm", ".dicom", ".dic", ".ima")
"""Suffixes read as DICOM even without the ``DICM`` prefix (files with no preamble)."""


def read_radiograph(
    path: str | os.PathLike[str],
    *,
    pixels: bool = True,
    frame: int = 0,
    spacing_mm: tuple[float, float] | float | None = None,
    magnification: float | None = None,
    sidecar: str | os.PathLike[str] | bool = True,
    identifiers: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED_BYTES,
) -> Radiograph:
    """Read a radiograph (DICOM, PNG, JPEG or TIFF) with its spacing, side and view.

    The format is recognised from the file's first bytes (DICOM by its ``DICM``
    prefix, or by a suffix of :data:`DICOM_SUFFIXES`). DICOM pixel data of any
    transfer syntax pydicom's plugins decode (JPEG baseline, extended, lossless,
    JPEG-LS, JPEG 2000, RLE, deflated) is read; the Modality LUT is applied and
    MONOCHROME1 inverted, so bone is bright. Colour images are converted to grey with
    an :class:`~alignment.io.ImageWarning`.

    Parameters
    ----------
    path : path-like
        The image file.
    pixels : bool, optional
        If False, read only the header: nothing is decoded and
        :attr:`Radiograph.pixels` is None.
    frame : int, optional
        The frame (0-based) of a multi-frame DICOM or multi-page TIFF.
    spacing_mm : (float, float) or float, optional
        ``(row_mm, col_mm)`` to use instead of what the file says (source
        ``option``); one number for square pixels.
    magnification : float, optional
        A radiographic magnification factor (for example from a calibration marker)
        that the spacing at the detector is divided by; it replaces the DICOM
        Estimated Radiographic Magnification Factor. See
        :func:`alignment.io.dicom.resolve_spacing`.
    sidecar : bool or path-like, optional
        For PNG, JPEG and TIFF: True (default) reads ``IMAGE.spacing.json`` beside the
        image if it exists, False ignores it, a path names the sidecar to read (it
        must exist). See :mod:`alignment.io.raster` for its keys.
    identifiers : bool, optional
        If True, :attr:`Radiograph.metadata` also holds identifying attributes
        (patient name, ID, birth date, accession number, institution, dates, UIDs).
    max_pixels : int, optional
        Refuse a frame that declares more samples than this, before anything is
        allocated.
    max_inflated_bytes : int, optional
        Refuse a deflated DICOM whose dataset inflates beyond this many bytes, found
        out by inflating it in chunks before pydicom inflates it whole.

    Returns
    -------
    Radiograph

    Raises
    ------
    ImageReadError
        The file is missing, not an image, corrupt, or its pixels cannot be decoded
        (the message names the file and the cause).
    ImageTooLargeError
        The frame declares more than `max_pixels` samples, or a deflated dataset
        inflates beyond `max_inflated_bytes`.
    ValueError
        `spacing_mm`, `magnification`, `frame` or `max_pixels` is invalid.
    """
    if isinstance(spacing_mm, int | float):
        spacing_mm = (float(spacing_mm), float(spacing_mm))
    if spacing_mm is not None:
        values = tuple(float(v) for v in spacing_mm)
        if len(values) != 2 or not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"spacing_mm must be two positive numbers, got {spacing_mm!r}")
        spacing_mm = (values[0], values[1])
    if magnification is not None and not (math.isfinite(magnification) and magnification > 0):
        raise ValueError(f"magnification must be a positive number, got {magnification!r}")
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise ValueError(f"frame must be a non-negative integer, got {frame!r}")
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels <= 0:
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    file = Path(path)
    if not file.is_file():
        raise ImageReadError(f"{os.fspath(path)}: no such image file")
    with typed_errors(ImageReadError, path):
        dicom = is_dicom(file)  # first: a DICOM preamble may also make it a valid TIFF
        kind = None if dicom else sniff_format(file)
        if kind is not None:
            return read_raster(
                path,
                kind,
                pixels=pixels,
                frame=frame,
                spacing_mm=spacing_mm,
                magnification=magnification,
                sidecar=sidecar,
                max_pixels=max_pixels,
            )
        if dicom or file.suffix.lower() in DICOM_SUFFIXES:
            return read_dicom(
                path,
                pixels=pixels,
                frame=frame,
                spacing_mm=spacing_mm,
                magnification=magnification,
                identifiers=identifiers,
                max_pixels=max_pixels,
                max_inflated_bytes=max_inflated_bytes,
            )
    raise ImageReadError(
        f"{os.fspath(path)}: not a DICOM, PNG, JPEG or TIFF file (unrecognised content and "
        f"suffix {file.suffix!r})"
    )
