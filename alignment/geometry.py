"""Vectorised plane geometry for the measurement spec.

Every function takes arrays of 2D vectors or points with shape ``(n, 2)`` (one row
per leg) in millimetres, ``x`` to the right and ``y`` downward as in the image, and
returns one value per row. Missing input is NaN and stays NaN; nothing here knows
about files, landmarks or measures.

Angles are in degrees. The anatomical frame of a leg is given by two unit vectors per
row, `lateral` and `distal`; only its handedness enters a signed result.

Examples
--------
>>> import numpy as np
>>> a = np.array([[0.0, 1.0]])              # pointing distal (down the image)
>>> b = np.array([[1.0, 1.0]])              # 45 degrees toward +x
>>> angle_deg(a, b)
array([45.])
>>> lateral, distal = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
>>> turn_deg(a, b, lateral, distal)         # b turns toward lateral: positive
array([45.])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "angle_deg",
    "direction_deg",
    "line_angle_deg",
    "norm",
    "perpendicular",
    "signed_offset",
    "to_mm",
    "turn_deg",
    "unit",
    "wrap_deg",
]

FloatArray = NDArray[np.float64]


def to_mm(points_px: FloatArray, spacing_mm: FloatArray) -> FloatArray:
    """Convert pixel coordinates to millimetres.

    Parameters
    ----------
    points_px : ndarray, shape (n, 2) or (n, k, 2)
        ``(x, y)`` in pixels.
    spacing_mm : ndarray, shape (n, 2)
        ``(row_spacing_mm, col_spacing_mm)`` per row, the DICOM order.

    Returns
    -------
    ndarray, same shape as `points_px`
        ``(x * col_spacing_mm, y * row_spacing_mm)``.

    Examples
    --------
    >>> to_mm(np.array([[10.0, 10.0]]), np.array([[0.2, 0.1]]))
    array([[1., 2.]])
    """
    scale = np.asarray(spacing_mm, dtype=float)[:, ::-1]
    if np.ndim(points_px) == 3:
        scale = scale[:, None, :]
    return np.asarray(points_px, dtype=float) * scale


def norm(v: FloatArray) -> FloatArray:
    """Euclidean length of each row of `v`, shape (n,)."""
    return np.hypot(v[..., 0], v[..., 1])


def unit(v: FloatArray) -> FloatArray:
    """Each row of `v` scaled to length 1; NaN where the row has length 0.

    Examples
    --------
    >>> unit(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [nan, nan]])
    """
    length = norm(v)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, v / length, np.nan)


def perpendicular(v: FloatArray) -> FloatArray:
    """Each row of `v` turned by +90 degrees in image coordinates: ``(-y, x)``."""
    return np.stack([-v[..., 1], v[..., 0]], axis=-1)


def wrap_deg(angle: FloatArray) -> FloatArray:
    """Wrap angles in degrees into ``(-180, 180]``.

    Examples
    --------
    >>> wrap_deg(np.array([190.0, -180.0, 180.0]))
    array([-170.,  180.,  180.])
    """
    wrapped = np.remainder(angle + 180.0, 360.0) - 180.0
    return np.where(wrapped == -180.0, 180.0, wrapped)


def angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Unsigned angle between rays `a` and `b`, in ``[0, 180]`` degrees.

    Computed as ``atan2(|a x b|, a . b)``, which stays accurate near 0 and 180
    degrees where ``arccos`` of the normalised dot product does not. NaN where
    either ray has length 0.
    """
    cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    dot = np.einsum("...i,...i->...", a, b)
    degenerate = (norm(a) == 0) | (norm(b) == 0)
    return np.where(degenerate, np.nan, np.degrees(np.arctan2(np.abs(cross), dot)))


def line_angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between the lines along `a` and `b` (either sense), in ``[0, 90]`` degrees:
    :func:`angle_deg` folded.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (..., 2)
        Directions of the two lines (any length, either sense), one per row.

    Returns
    -------
    numpy.ndarray, shape (...)
        Unsigned angle between the lines, degrees in ``[0, 90]``; NaN where either
        direction has length 0.

    Examples
    --------
    >>> float(line_angle_deg(np.array([0.0, 1.0]), np.array([0.1, -1.0])).round(2))
    5.71
    """
    return 90.0 - np.abs(90.0 - angle_deg(a, b))


def direction_deg(v: FloatArray, lateral: FloatArray, distal: FloatArray) -> FloatArray:
    """Direction of `v` in the leg frame: ``atan2(v . distal, v . lateral)``, degrees.

    0 points lateral, +90 distal, in ``(-180, 180]``. NaN where `v` has length 0.

    Examples
    --------
    >>> direction_deg(np.array([[0.0, -2.0]]), np.array([[-1.0, 0.0]]), np.array([[0.0, 1.0]]))
    array([-90.])
    """
    along_distal = np.einsum("...i,...i->...", v, distal)
    along_lateral = np.einsum("...i,...i->...", v, lateral)
    direction = np.degrees(np.arctan2(along_distal, along_lateral))
    return np.where(norm(v) == 0, np.nan, wrap_deg(direction))


def turn_deg(a: FloatArray, b: FloatArray, lateral: FloatArray, distal: FloatArray) -> FloatArray:
    """Signed angle from ray `a` to ray `b`, positive when `b` turns toward lateral.

    Equal to ``direction_deg(a) - direction_deg(b)`` wrapped into ``(-180, 180]``:
    turning toward lateral lowers the direction, which is measured from lateral
    toward distal.
    """
    return wrap_deg(direction_deg(a, lateral, distal) - direction_deg(b, lateral, distal))


def signed_offset(
    point: FloatArray, start: FloatArray, end: FloatArray, lateral: FloatArray
) -> FloatArray:
    """Perpendicular distance of `point` from the line ``start -> end``, signed.

    Positive when the point lies on the `lateral` side of the line. NaN where the
    line has length 0 or `lateral` is parallel to it.

    Examples
    --------
    >>> signed_offset(np.array([[5.0, 5.0]]), np.array([[0.0, 0.0]]),
    ...               np.array([[0.0, 10.0]]), np.array([[1.0, 0.0]]))
    array([5.])
    """
    along = unit(end - start)
    across = unit(lateral - np.einsum("...i,...i->...", lateral, along)[..., None] * along)
    return np.einsum("...i,...i->...", point - start, across)
