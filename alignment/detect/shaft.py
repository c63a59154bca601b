"""Diaphyseal axes at full resolution: cortical edge pairs at many levels, robust line.

Along the coarse axis of a shaft (:class:`~alignment.detect.legs.Segment`), profiles
across the bone are read at full resolution every few millimetres; in each, the outer
cortical edges are the strongest rising and falling gradient near where the coarse
width puts them, refined to a fraction of a pixel; their midpoints are fitted by a
line that drops outliers (:func:`~alignment.detect._image.robust_line`).

Examples
--------
>>> import numpy as np
>>> from alignment.detect._image import Work
>>> image = np.full((800, 400), 100, np.uint16)
>>> image[:, 180:230] = 900  # a 50-pixel bright band = 25 mm at 0.5 mm
>>> work = Work.of(image, (0.5, 0.5), coarse_mm=1.0)
>>> axis = refine_shaft(work, np.array([102.0, 200.0]), np.array([0.0, 1.0]),
...                     top=50.0, bottom=350.0, width_mm=25.0)
>>> round(float(axis.centre[0]), 2), axis.levels
(102.5, 15)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, edge_peak, robust_line

__all__ = ["ShaftAxis", "refine_shaft"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class ShaftAxis:
    """A diaphyseal axis fitted at full resolution (mm on the film).

    Attributes
    ----------
    centre : numpy.ndarray, shape (2,)
        A point on the axis, mm.
    direction : numpy.ndarray, shape (2,)
        Unit vector along the axis, pointing down the film.
    rms_mm : float
        RMS distance of the midpoints used from the line.
    levels : int
        Levels whose edge pair was used.
    tried : int
        Levels read.
    width_mm : float
        Median outer width of the bone.
    strength : float
        Median edge gradient over the profile noise (a signal-to-noise ratio).
    top, bottom : float
        ``y`` (mm) of the first and last level used.
    """

    centre: F64
    direction: F64
    rms_mm: float
    levels: int
    tried: int
    width_mm: float
    strength: float
    top: float
    bottom: float

    @classmethod
    def through(cls, mids: F64, widths: F64, strengths: F64, tried: int) -> ShaftAxis | None:
        """The axis through the midpoints `mids` (mm, shape (n, 2)) of edge pairs of
        `widths` (mm) and `strengths`, by a robust line dropping points over 3 robust
        SDs off; `tried` levels were read. None with fewer than 3 points."""
        fit = robust_line(mids, threshold=3.0)
        if fit is None:
            return None
        centre, direction, keep, rms = fit
        used = mids[keep]
        return cls(
            centre,
            direction,
            rms,
            int(keep.sum()),
            tried,
            float(np.median(widths[keep])),
            float(np.median(strengths[keep])),
            float(used[:, 1].min()),
            float(used[:, 1].max()),
        )

    def at_y(self, y: float) -> F64:
        """The axis point at height `y` (mm)."""
        t = (y - self.centre[1]) / self.direction[1]
        return self.centre + t * self.direction

    def confidence(self) -> float:
        """Confidence in [0, 1] from the share of levels used, the fit and the edges."""
        share = self.levels / max(self.tried, 1)
        fit = float(np.exp(-((self.rms_mm / 1.0) ** 2)))
        edges = float(np.clip((self.strength - 3.0) / 7.0, 0.0, 1.0))
        return float(np.clip(share * (0.5 + 0.5 * fit) * (0.4 + 0.6 * edges), 0.0, 1.0))


def refine_shaft(
    work: Work,
    centre: F64,
    direction: F64,
    *,
    top: float,
    bottom: float,
    width_mm: float | F64,
    levels: int = 15,
    slack_mm: float | None = None,
) -> ShaftAxis | None:
    """Fit the axis of one diaphysis at full resolution.

    Parameters
    ----------
    work : Work
        The film.
    centre, direction : numpy.ndarray, shape (2,)
        Coarse axis (mm): a point and a unit vector.
    top, bottom : float
        ``y`` range (mm) of the diaphysis to read.
    width_mm : float or numpy.ndarray of shape (levels,)
        Coarse outer width, or the width expected at each level (a flaring bone).
    levels : int, optional
        Number of profiles, evenly spaced from `top` to `bottom`.
    slack_mm : float, optional
        How far from where the width puts it an edge is looked for; default a quarter
        of the width, at least 4 mm.

    Returns
    -------
    ShaftAxis or None
        None when fewer than 4 levels give an edge pair.
    """
    d = direction / np.linalg.norm(direction)
    if d[1] < 0:
        d = -d
    across = np.array([d[1], -d[0]])  # toward +x
    if across[0] < 0:
        across = -across
    ys = np.linspace(top, bottom, levels)
    t = (ys - centre[1]) / d[1]
    points = centre[None, :] + t[:, None] * d[None, :]
    expected = np.broadcast_to(np.asarray(width_mm, dtype=float), (levels,))
    half = float(expected.max()) / 2.0 + 12.0
    step = max(0.1, min(work.spacing_mm) * 0.75)
    offsets, values = work.profiles(
        points, across, half_length_mm=half, half_width_mm=2.0, step_mm=step
    )
    mids: list[F64] = []
    widths: list[float] = []
    strengths: list[float] = []
    sigma = max(0.35, min(work.spacing_mm)) / step
    for k in range(levels):
        width = float(expected[k])
        slack = max(4.0, 0.25 * width) if slack_mm is None else slack_mm
        row = values[k]
        if np.isnan(row).any():
            continue
        g = ndimage.gaussian_filter1d(row, sigma, order=1)
        noise = 1.4826 * float(np.median(np.abs(np.diff(row)))) / np.sqrt(2) + 1e-6
        noise_g = noise / (sigma * np.sqrt(8 * np.sqrt(np.pi) * sigma)) * 2.0

        def index(mm: float) -> int:
            return int(round((mm - offsets[0]) / step))

        left = edge_peak(g, index(-width / 2 - slack), index(-width / 2 + slack), sign=1.0)
        right = edge_peak(g, index(width / 2 - slack), index(width / 2 + slack), sign=-1.0)
        if left is None or right is None:
            continue
        xl = offsets[0] + left[0] * step
        xr = offsets[0] + right[0] * step
        if not 0.5 * width <= xr - xl <= 1.6 * width:
            continue
        mids.append(points[k] + across * (xl + xr) / 2.0)
        widths.append(xr - xl)
        strengths.append(min(left[1], right[1]) / (noise_g + 1e-9))
    if len(mids) < 4:
        return None
    return ShaftAxis.through(np.array(mids), np.array(widths), np.array(strengths), levels)
