"""The :class:`Radiograph` that every reader returns, and its patient geometry.

Coordinates follow the measurement spec: a point ``(x, y)`` is in image pixels, ``x``
to the right (columns), ``y`` downward (rows), ``(0, 0)`` the top-left corner of the
top-left pixel, so the centre of the pixel at row ``r``, column ``c`` is
``(c + 0.5, r + 0.5)``. Spacing is ``(row_spacing_mm, col_spacing_mm)``.

Examples
--------
>>> geometry = ImageGeometry.planar((0.2, 0.1))
>>> geometry.pixel_to_patient([[0.5, 0.5], [10.5, 20.5]])
array([[0., 0., 0.],
       [1., 4., 0.]])
>>> xy, off_plane = geometry.patient_to_pixel([[1.0, 4.0, 0.0]])
>>> xy
array([[10.5, 20.5]])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SPACING_SOURCES", "ImageGeometry", "Radiograph"]

SPACING_SOURCES: dict[str, str] = {
    "pixel_spacing_calibrated": (
        "DICOM Pixel Spacing (0028,0030) with Pixel Spacing Calibration Type (0028,0A02) "
        "GEOMETRY or FIDUCIAL: calibrated in the patient"
    ),
    "pixel_spacing_corrected": (
        "DICOM Pixel Spacing that differs from Imager (or Nominal Scanned) Pixel Spacing: "
        "corrected for magnification by the modality (PS3.3 10.7.1.1)"
    ),
    "pixel_spacing": (
        "DICOM Pixel Spacing with neither a calibration type nor Imager or Nominal Scanned "
        "Pixel Spacing: whether it was corrected cannot be determined (PS3.3 10.7.1.1)"
    ),
    "imager_pixel_spacing": (
        "DICOM Imager Pixel Spacing (0018,1164), at the detector: lengths are magnified"
    ),
    "nominal_scanned_pixel_spacing": (
        "DICOM Nominal Scanned Pixel Spacing (0018,2010) of a film digitiser, at the film"
    ),
    "sidecar": "the spacing_mm of the image's sidecar JSON",
    "option": "the spacing_mm given to read_radiograph",
    "none": "no valid spacing anywhere: lengths cannot be measured",
}
"""Every base value of :attr:`Radiograph.spacing_source`, with its meaning.

A base followed by ``/ermf`` means the spacing was divided by the DICOM Estimated
Radiographic Magnification Factor (0018,1114); followed by ``/magnification``, by a
magnification given by the caller (for example from a calibration marker) or by a
sidecar.
"""


def _vector(values: ArrayLike, n: int, what: str) -> tuple[float, ...]:
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.shape != (n,) or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be {n} finite numbers, got {values!r}")
    return tuple(float(v) for v in array)


@dataclass(frozen=True)
class ImageGeometry:
    """Where an image's pixels lie in patient space (DICOM LPS, millimetres).

    Follows PS3.3 C.7.6.2.1.1: the centre of the pixel at row ``r``, column ``c`` is
    at ``origin_lps + row_direction * col_mm * c + column_direction * row_mm * r``.
    In the spec's convention that pixel centre is ``(x, y) = (c + 0.5, r + 0.5)``.

    Parameters
    ----------
    origin_lps : (float, float, float)
        Image Position (Patient): the centre of the top-left pixel, in mm.
    row_direction : (float, float, float)
        Unit vector along a row (increasing column index): the first three values of
        Image Orientation (Patient).
    column_direction : (float, float, float)
        Unit vector along a column (increasing row index): its last three values.
    spacing_mm : (float, float)
        ``(row_spacing_mm, col_spacing_mm)`` used by the geometry.
    source : str, optional
        ``"dicom"`` when read from Image Position/Orientation (Patient) and Pixel
        Spacing, ``"planar"`` for the 2D convention of :meth:`planar`.

    Raises
    ------
    ValueError
        For non-finite values, a zero direction or a non-positive spacing.
    """

    origin_lps: tuple[float, float, float]
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    spacing_mm: tuple[float, float]
    source: str = "planar"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "origin_lps", _vector(self.origin_lps, 3, "origin_lps"))
        for name in ("row_direction", "column_direction"):
            vector = np.asarray(_vector(getattr(self, name), 3, name))
            norm = float(np.linalg.norm(vector))
            if norm == 0:
                raise ValueError(f"{name} must not be the zero vector")
            set_(self, name, tuple(float(v) for v in vector / norm))
        spacing = _vector(self.spacing_mm, 2, "spacing_mm")
        if not all(v > 0 for v in spacing):
            raise ValueError(f"spacing_mm must be positive, got {self.spacing_mm!r}")
        set_(self, "spacing_mm", spacing)

    @classmethod
    def planar(cls, spacing_mm: tuple[float, float] = (1.0, 1.0)) -> ImageGeometry:
        """Return the 2D convention used when an image carries no patient geometry.

        The centre of the top-left pixel is at the LPS origin, columns run along +L
        (patient left) and rows along +P, which is how 3D Slicer (through ITK) places
        a PNG, JPEG or TIFF, or a DICOM without Image Position/Orientation (Patient).

        Parameters
        ----------
        spacing_mm : (float, float), optional
            ``(row_spacing_mm, col_spacing_mm)``; 1 mm per pixel by default, which is
            what Slicer assumes for images without spacing.
        """
        return cls((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), spacing_mm, "planar")

    def _matrix(self) -> NDArray[np.float64]:
        row_mm, col_mm = self.spacing_mm
        return np.column_stack(
            [np.asarray(self.row_direction) * col_mm, np.asarray(self.column_direction) * row_mm]
        )

    def pixel_to_patient(self, xy: ArrayLike) -> NDArray[np.float64]:
        """Return LPS positions (mm), shape (n, 3), of spec pixel points `xy`, shape (n, 2)."""
        points = np.atleast_2d(np.asarray(xy, dtype=float))
        indices = points - 0.5  # (column, row) index of the pixel centre
        return np.asarray(self.origin_lps) + indices @ self._matrix().T

    def patient_to_pixel(
        self, points_lps: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project LPS points (mm), shape (n, 3), onto the image plane.

        Returns
        -------
        xy : numpy.ndarray, shape (n, 2)
            Spec pixel coordinates of the orthogonal projection of each point.
        off_plane_mm : numpy.ndarray, shape (n,)
            Distance of each point from the image plane, in mm.
        """
        points = np.atleast_2d(np.asarray(points_lps, dtype=float))
        offsets = points - np.asarray(self.origin_lps)
        matrix = self._matrix()
        indices, *_ = np.linalg.lstsq(matrix, offsets.T, rcond=None)
        residual = offsets - (matrix @ indices).T
        return indices.T + 0.5, np.linalg.norm(residual, axis=1)


@dataclass(frozen=True)
class Radiograph:
    """A radiograph as the toolkit sees it: pixels, spacing, side and view.

    Parameters
    ----------
    path : str
        The file, as given to :func:`~alignment.io.read_radiograph`.
    format : {'DICOM', 'PNG', 'JPEG', 'TIFF'}
        The file format.
    rows, columns : int
        Image size in pixels (height, width).
    pixels : numpy.ndarray, shape (rows, columns), or None
        Grey values, bone bright (MONOCHROME1 and TIFF min-is-white inverted), with
        the DICOM Modality LUT or rescale applied; None when read with
        ``pixels=False``. The VOI LUT is not applied: see :meth:`display`.
    spacing_mm : (float, float) or None
        ``(row_spacing_mm, col_spacing_mm)`` in the patient where known (after the
        magnification correction named by `spacing_source`); None if there is none.
    spacing_source : str
        Where `spacing_mm` came from: a key of :data:`SPACING_SOURCES`, optionally
        followed by ``/ermf`` or ``/magnification``.
    magnification : float or None
        The magnification factor `spacing_mm` was divided by, None if none was
        applied (lengths on the image then are at the plane the spacing refers to).
    laterality : {'L', 'R', 'B', 'U'} or None
        DICOM Image Laterality (0020,0062), else Laterality (0020,0060), or the
        sidecar's ``laterality``.
    view : str or None
        DICOM View Position (0018,5101) as written (``AP``, ``PA``, ``LL`` ...), or
        the sidecar's ``view``.
    patient_orientation : str
        DICOM Patient Orientation (0020,0020), such as ``"L\\\\F"``; ``""`` if unknown.
    photometric : str
        Photometric interpretation of the file (``MONOCHROME1``, ``MONOCHROME2``,
        ``RGB`` ...), before any conversion by the reader.
    transfer_syntax : str or None
        DICOM Transfer Syntax UID; None for other formats.
    frame : int
        The frame (0-based) the pixels come from.
    n_frames : int
        Frames in the file.
    bits_stored : int
        Bits per stored sample.
    window : (float, float) or None
        The first DICOM Window Center and Width, for display.
    geometry : ImageGeometry
        Where the pixels lie in patient space (for 3D Slicer markups).
    metadata : mapping of str to object
        De-identified DICOM attributes (keyword to value) or, for other formats,
        basic file facts; identifying attributes only when asked for.
    """

    path: str
    format: str
    rows: int
    columns: int
    pixels: NDArray[Any] | None = field(repr=False, compare=False)
    spacing_mm: tuple[float, float] | None
    spacing_source: str
    magnification: float | None
    laterality: str | None
    view: str | None
    patient_orientation: str
    photometric: str
    transfer_syntax: str | None
    frame: int
    n_frames: int
    bits_stored: int
    window: tuple[float, float] | None
    geometry: ImageGeometry
    metadata: Mapping[str, Any] = field(repr=False, compare=False)
    voi: Any = field(default=None, repr=False, compare=False)
    """Private: the VOI attributes of a DICOM file, for :meth:`display`."""
    inversion: float | None = field(default=None, repr=False, compare=False)
    """Private: ``lo + hi`` used to invert a MONOCHROME1 image, None if not inverted."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return (self.rows, self.columns)

    def display(self) -> NDArray[np.float32]:
        """Return the pixels ready to show: float32 in [0, 1], bone bright.

        For DICOM the VOI LUT Sequence or the first window (PS3.3 C.11.2) is applied
        through :func:`pydicom.pixels.apply_voi_lut`; otherwise, and for other
        formats, the grey values are scaled from their minimum to their maximum.

        Raises
        ------
        ValueError
            If the radiograph was read with ``pixels=False``.
        """
        if self.pixels is None:
            raise ValueError(f"{self.path}: read with pixels=False; no pixels to display")
        values = np.asarray(self.pixels, dtype=np.float64)
        inverted = self.inversion is not None
        if self.voi is not None:
            from pydicom.pixels import apply_voi_lut

            stored = self.inversion - values if self.inversion is not None else values
            shown = np.asarray(apply_voi_lut(stored, self.voi), dtype=np.float64)
            low, high = float(np.min(shown)), float(np.max(shown))
            if "VOILUTSequence" in self.voi:
                high = float(2 ** int(self.voi.VOILUTSequence[0].LUTDescriptor[2]) - 1)
                low = 0.0
            elif "WindowWidth" in self.voi:
                low, high = _window_output_range(self.voi)
            scaled = (shown - low) / (high - low) if high > low else np.zeros_like(shown)
            if inverted:
                scaled = 1.0 - scaled
        else:
            low, high = float(np.min(values)), float(np.max(values))
            scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
        return np.clip(scaled, 0.0, 1.0).astype(np.float32)


def _window_output_range(voi: Any) -> tuple[float, float]:
    """Output range pydicom's windowing maps onto: that of the Modality LUT output."""
    bits = int(voi.BitsStored)
    signed = int(voi.get("PixelRepresentation", 0)) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    slope = float(voi.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(voi.get("RescaleIntercept", 0.0) or 0.0)
    ends = sorted((low * slope + intercept, high * slope + intercept))
    if not all(math.isfinite(v) for v in ends):
        return 0.0, 1.0
    return ends[0], ends[1]
