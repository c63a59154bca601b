"""Image plumbing shared by the detectors: working copies, sampling, edges, fits.

Everything here works on plain arrays. Points are ``(x, y)`` in the measurement spec's
pixel convention (the centre of the pixel at row ``r``, column ``c`` is
``(c + 0.5, r + 0.5)``); :class:`Work` converts between the full-resolution film and
its coarse, square-pixel working copy.

Examples
--------
>>> import numpy as np
>>> work = Work.of(np.zeros((40, 20), np.uint16), (0.5, 0.5), coarse_mm=1.0)
>>> work.coarse.shape
(20, 10)
>>> work.to_full([[5.0, 10.0]]).tolist()  # coarse (x, y) -> full-resolution (x, y)
[[10.0, 20.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

__all__ = [
    "Work",
    "circle_fit",
    "content_box",
    "edge_peak",
    "mad_sd",
    "robust_line",
    "subpixel_peak",
]

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Work:
    """A film prepared for detection: raw pixels, intensity scale and a coarse copy.

    Attributes
    ----------
    pixels : numpy.ndarray, shape (rows, columns)
        The film's grey values, bone bright, any numeric dtype (not copied).
    spacing_mm : (float, float)
        ``(row_mm, col_mm)`` used for detection (the film's own, or an assumed one).
    low, high : float
        Grey values mapped to 0 and 1 by :meth:`normalise` (robust percentiles).
    coarse : numpy.ndarray of float32, shape (m, n)
        The film resampled to square pixels of `coarse_mm`, normalised.
    coarse_mm : float
        Pixel size of `coarse`, mm.
    """

    pixels: NDArray[np.generic]
    spacing_mm: tuple[float, float]
    low: float
    high: float
    coarse: F32
    coarse_mm: float
    _coarse: dict[float, F32] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, pixels: ArrayLike, spacing_mm: tuple[float, float], *, coarse_mm: float) -> Work:
        """Prepare `pixels` (bone bright) with `spacing_mm` ``(row_mm, col_mm)``."""
        array = np.asarray(pixels)
        if array.dtype.kind not in "uif" or array.dtype == np.float16:
            array = array.astype(np.float32)
        if array.dtype.kind == "i" and array.dtype.itemsize > 2 or array.dtype == np.uint32:
            array = array.astype(np.float32)
        rows, cols = array.shape
        step = max(1, int(math.sqrt(rows * cols / 250_000)))
        sample = np.asarray(array[::step, ::step], dtype=np.float64)
        finite = sample[np.isfinite(sample)]
        if finite.size == 0:
            low, high = 0.0, 1.0
        else:
            low, high = (float(v) for v in np.percentile(finite, (0.5, 99.8)))
            if not high > low:
                high = low + 1.0
        spacing = (float(spacing_mm[0]), float(spacing_mm[1]))
        coarse = _coarse_copy(array, spacing, coarse_mm, low, high)
        return cls(array, spacing, low, high, coarse, coarse_mm)

    def coarse_at(self, mm: float) -> F32:
        """The film resampled to square pixels of `mm`, normalised as :attr:`coarse`
        is (computed once per pixel size)."""
        if mm == self.coarse_mm:
            return self.coarse
        if mm not in self._coarse:
            self._coarse[mm] = _coarse_copy(self.pixels, self.spacing_mm, mm, self.low, self.high)
        return self._coarse[mm]

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of the full-resolution film."""
        rows, cols = self.pixels.shape
        return (int(rows), int(cols))

    @property
    def scale(self) -> tuple[float, float]:
        """Full-resolution pixels per coarse pixel, ``(along x, along y)``."""
        rows, cols = self.shape
        return (cols / self.coarse.shape[1], rows / self.coarse.shape[0])

    def to_full(self, xy: ArrayLike) -> F64:
        """Coarse ``(x, y)`` points, shape (n, 2), to full-resolution points."""
        p = np.atleast_2d(np.asarray(xy, dtype=float))
        sx, sy = self.scale
        return np.column_stack([p[:, 0] * sx, p[:, 1] * sy])

    def to_coarse(self, xy: ArrayLike) -> F64:
        """Full-resolution ``(x, y)`` points, shape (n, 2), to coarse points."""
        p = np.atleast_2d(np.asarray(xy, dtype=float))
        sx, sy = self.scale
        return np.column_stack([p[:, 0] / sx, p[:, 1] / sy])

    def mm(self, xy: ArrayLike) -> F64:
        """Full-resolution ``(x, y)`` pixels, shape (n, 2), to mm."""
        p = np.atleast_2d(np.asarray(xy, dtype=float))
        return np.column_stack([p[:, 0] * self.spacing_mm[1], p[:, 1] * self.spacing_mm[0]])

    def px(self, xy_mm: ArrayLike) -> F64:
        """Points in mm, shape (n, 2), to full-resolution pixels."""
        p = np.atleast_2d(np.asarray(xy_mm, dtype=float))
        return np.column_stack([p[:, 0] / self.spacing_mm[1], p[:, 1] / self.spacing_mm[0]])

    def window(self, x0: float, y0: float, x1: float, y1: float) -> tuple[F32, int, int]:
        """Normalised full-resolution pixels of a box given in full pixels.

        Returns the window (float32) and the column and row of its top-left pixel;
        the box is clipped to the film.
        """
        rows, cols = self.shape
        c0, c1 = max(0, math.floor(x0)), min(cols, math.ceil(x1))
        r0, r1 = max(0, math.floor(y0)), min(rows, math.ceil(y1))
        if c1 <= c0 or r1 <= r0:
            return np.zeros((0, 0), np.float32), c0, r0
        block = np.asarray(self.pixels[r0:r1, c0:c1], dtype=np.float32)
        block = (block - np.float32(self.low)) / np.float32(self.high - self.low)
        return np.nan_to_num(block, nan=0.0), c0, r0

    def sample(self, xy_mm: ArrayLike) -> F64:
        """Normalised grey values at points given in mm, bilinear, shape ``(...)``.

        Points outside the film read NaN.
        """
        p = np.asarray(xy_mm, dtype=float)
        shape = p.shape[:-1]
        flat = p.reshape(-1, 2)
        cols = flat[:, 0] / self.spacing_mm[1] - 0.5
        rows = flat[:, 1] / self.spacing_mm[0] - 0.5
        nr, nc = self.shape
        inside = (cols >= -0.5) & (cols <= nc - 0.5) & (rows >= -0.5) & (rows <= nr - 0.5)
        out = np.full(flat.shape[0], np.nan)
        if inside.any():
            r0 = max(0, int(np.floor(rows[inside].min())))
            r1 = min(nr, int(np.ceil(rows[inside].max())) + 2)
            c0 = max(0, int(np.floor(cols[inside].min())))
            c1 = min(nc, int(np.ceil(cols[inside].max())) + 2)
            block = np.asarray(self.pixels[r0:r1, c0:c1], dtype=np.float32)
            values = ndimage.map_coordinates(
                block, [rows[inside] - r0, cols[inside] - c0], order=1, mode="nearest"
            )
            out[inside] = (values - self.low) / (self.high - self.low)
        return out.reshape(shape)

    def profiles(
        self,
        centres_mm: ArrayLike,
        across: ArrayLike,
        *,
        half_length_mm: float,
        half_width_mm: float,
        step_mm: float = 0.2,
    ) -> tuple[F64, F64]:
        """Intensity profiles across lines, averaged over a band along them.

        Parameters
        ----------
        centres_mm : array_like, shape (n, 2)
            Centre of each profile, mm.
        across : array_like, shape (2,)
            Unit vector the profiles run along (in mm space).
        half_length_mm : float
            Each profile runs from ``-half_length_mm`` to ``+half_length_mm``.
        half_width_mm : float
            Samples are averaged over ``+-half_width_mm`` perpendicular to `across`.
        step_mm : float, optional
            Sampling step, mm.

        Returns
        -------
        offsets : numpy.ndarray, shape (m,)
            Position along each profile, mm.
        values : numpy.ndarray, shape (n, m)
            Mean normalised grey value (NaN outside the film).
        """
        u = np.asarray(across, dtype=float)
        u = u / np.linalg.norm(u)
        v = np.array([-u[1], u[0]])
        offsets = np.arange(-half_length_mm, half_length_mm + step_mm / 2, step_mm)
        widths = np.arange(-half_width_mm, half_width_mm + step_mm / 2, max(step_mm, 0.25))
        centres = np.atleast_2d(np.asarray(centres_mm, dtype=float))
        pts = (
            centres[:, None, None, :]
            + offsets[None, :, None, None] * u
            + widths[None, None, :, None] * v
        )
        values = self.sample(pts)
        seen = np.isfinite(values)
        count = seen.sum(axis=2)
        total = np.where(seen, values, 0.0).sum(axis=2)
        mean = np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)
        return offsets, mean


def subpixel_peak(values: ArrayLike, index: int) -> float:
    """Refine the index of a peak by a parabola through it and its neighbours.

    >>> round(subpixel_peak([0.0, 1.0, 0.5], 1), 3)
    1.167
    """
    v = np.asarray(values, dtype=float)
    if index <= 0 or index >= v.size - 1:
        return float(index)
    a, b, c = v[index - 1], v[index], v[index + 1]
    denom = a - 2 * b + c
    if denom == 0 or not np.isfinite(denom):
        return float(index)
    return float(index + 0.5 * (a - c) / denom)


def subpixel_offset(values: ArrayLike, index: int) -> float:
    """Offset in [-1, 1] from `index` to the vertex of the parabola through a peak and
    its two neighbours; 0 at either end or on a flat run.

    >>> round(subpixel_offset([0.0, 1.0, 0.5], 1), 3)
    0.167
    """
    v = np.asarray(values, dtype=float)
    if index <= 0 or index >= v.size - 1:
        return 0.0
    a, b, c = v[index - 1], v[index], v[index + 1]
    den = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / den, -1.0, 1.0)) if den != 0 else 0.0


def edge_peak(gradient: ArrayLike, lo: int, hi: int, *, sign: float) -> tuple[float, float] | None:
    """Strongest edge of `sign` in ``gradient[lo:hi]``: ``(subpixel index, strength)``.

    >>> edge_peak([0, 1, 3, 1, 0], 0, 5, sign=1.0)
    (2.0, 3.0)
    """
    g = np.asarray(gradient, dtype=float) * sign
    lo, hi = max(0, lo), min(g.size, hi)
    if hi - lo < 3:
        return None
    part = g[lo:hi]
    if not np.isfinite(part).any():
        return None
    i = int(np.nanargmax(part)) + lo
    if not np.isfinite(g[i]) or g[i] <= 0:
        return None
    return subpixel_peak(g, i), float(g[i])


def mad_sd(values: ArrayLike) -> float:
    """Robust SD of `values`: 1.4826 times their median absolute deviation from their
    median (the SD for Gaussian noise, untouched by a few strong edges).

    >>> mad_sd([0.0, 1.0, 2.0, 3.0, 100.0])
    1.4826
    """
    v = np.asarray(values)  # in its own dtype, as the callers' arrays come
    return 1.4826 * float(np.median(np.abs(v - np.median(v))))


def row_means(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """The mean of each row of `values` over its finite entries, NaN for a row with
    none (a profile sampled partly off the film), without numpy's warning for them.

    >>> row_means(np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])).tolist()
    [2.0, nan]
    """
    seen = np.sum(~np.isnan(values), axis=1)
    sums = np.nansum(values, axis=1)
    return np.where(seen > 0, sums / np.maximum(seen, 1), np.nan)


def robust_line(
    points: ArrayLike, *, weights: ArrayLike | None = None, threshold: float = 2.5
) -> tuple[F64, F64, NDArray[np.bool_], float] | None:
    """Fit a line to 2D points, dropping outliers (iterated total least squares).

    Parameters
    ----------
    points : array_like, shape (n, 2)
    weights : array_like, shape (n,), optional
    threshold : float, optional
        Points farther than ``threshold`` robust SDs (at least 0.3 units) from the
        line are dropped, and the fit repeated.

    Returns
    -------
    (centre, direction, inliers, rms) or None
        A point on the line, its unit direction (pointing toward increasing second
        coordinate), the inlier mask, and the RMS distance of the inliers; None with
        fewer than 3 points.

    Examples
    --------
    >>> points = [[0, 0], [0.01, 1], [0, 2], [-0.01, 3], [3, 4], [0, 5], [0.01, 6], [0, 7]]
    >>> c, d, keep, rms = robust_line(points)
    >>> keep.tolist(), round(float(d[1]), 3)
    ([True, True, True, True, False, True, True, True], 1.0)
    """
    p = np.asarray(points, dtype=float)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(p).all(axis=1) & np.isfinite(w) & (w > 0)
    if keep.sum() < 3:
        return None
    centre = np.zeros(2)
    direction = np.array([0.0, 1.0])
    for _ in range(5):
        ww = w[keep]
        centre = (p[keep] * ww[:, None]).sum(axis=0) / ww.sum()
        d = p[keep] - centre
        cov = (d * ww[:, None]).T @ d
        _, vecs = np.linalg.eigh(cov)
        direction = vecs[:, 1]
        normal = np.array([-direction[1], direction[0]])
        dist = np.abs((p - centre) @ normal)
        sd = 1.4826 * float(np.median(dist[keep])) + 1e-9
        new = np.isfinite(dist) & (dist <= max(threshold * sd, 0.3)) & (w > 0)
        if new.sum() < 3 or np.array_equal(new, keep):
            break
        keep = new
    if direction[1] < 0:
        direction = -direction
    normal = np.array([-direction[1], direction[0]])
    rms = float(np.sqrt(np.mean(((p[keep] - centre) @ normal) ** 2)))
    return centre, direction, keep, rms


def circle_fit(points: ArrayLike) -> tuple[float, float, float] | None:
    """Algebraic (Kasa) least-squares circle through 2D points: ``(cx, cy, r)``.

    >>> t = np.linspace(0, 3, 20)
    >>> [round(v, 6) for v in circle_fit(np.c_[2 + 5 * np.cos(t), -1 + 5 * np.sin(t)])]
    [2.0, -1.0, 5.0]
    """
    p = np.asarray(points, dtype=float)
    if len(p) < 3:
        return None
    a = np.column_stack([2 * p[:, 0], 2 * p[:, 1], np.ones(len(p))])
    b = (p**2).sum(axis=1)
    try:
        sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    except np.linalg.LinAlgError:
        return None
    cx, cy, c = sol
    r2 = c + cx * cx + cy * cy
    if not np.isfinite(r2) or r2 <= 0:
        return None
    return float(cx), float(cy), float(math.sqrt(r2))


CONTENT_CONTRAST = 0.02
"""Least grey range (share of the normalised film's) across a whole row or column for
it to hold image content: any row or column through a leg crosses bone and soft
tissue, while an export's padding or a blanked band is one flat grey."""


def _coarse_copy(
    array: NDArray[Any], spacing_mm: tuple[float, float], mm: float, low: float, high: float
) -> F32:
    """`array` (spacing `spacing_mm`) resampled by area to square pixels of `mm`, grey
    values mapped from `low`..`high` to 0..1 and clipped to -0.5..1.5, NaN as 0."""
    rows, cols = array.shape
    shape = (max(8, round(rows * spacing_mm[0] / mm)), max(8, round(cols * spacing_mm[1] / mm)))
    source = (
        array if array.dtype in (np.uint8, np.uint16, np.float32) else array.astype(np.float32)
    )
    small = cv2.resize(source, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    coarse = ((np.asarray(small, np.float32) - np.float32(low)) / np.float32(high - low)).clip(
        -0.5, 1.5
    )
    return np.nan_to_num(coarse, nan=0.0).astype(np.float32)


def content_box(coarse: F32, coarse_mm: float) -> tuple[float, float, float, float]:
    """The box of the film with image content: ``(x0, y0, x1, y1)`` in mm, without the
    flat rows and columns (:data:`CONTENT_CONTRAST`) along its edges (an export's
    padding, crops padded to a fixed height, a film cropped into a larger frame).

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm`.
    coarse_mm : float
        Pixel size of `coarse`, mm.

    Returns
    -------
    x0, y0, x1, y1 : float
        Left, top, right and bottom edges of the box, mm from the film's top left
        corner (``x1`` and ``y1`` past the last column and row with content). Along
        an axis where no row (column) has contrast, the whole film.

    Examples
    --------
    >>> film = np.zeros((100, 50), np.float32)
    >>> film[20:90, :] = np.linspace(0.2, 0.8, 50)
    >>> content_box(film, 1.0)
    (0.0, 20.0, 50.0, 90.0)
    """
    spans = []
    for axis in (0, 1):  # columns (range down each), then rows (range across each)
        seen = np.flatnonzero(np.ptp(coarse, axis=axis) > CONTENT_CONTRAST)
        if seen.size == 0:
            spans.append((0.0, coarse.shape[1 - axis] * coarse_mm))
        else:
            spans.append((seen[0] * coarse_mm, (seen[-1] + 1) * coarse_mm))
    (x0, x1), (y0, y1) = spans
    return float(x0), float(y0), float(x1), float(y1)
