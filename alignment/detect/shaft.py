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

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, content_box, edge_peak, mad_sd, robust_line

__all__ = [
    "DIAPHYSIS_FLARE",
    "SHAFT_FLARE",
    "TRACE_BAND_MM",
    "TRACE_GAP_MM",
    "TRACE_REACH_MM",
    "TRACE_STEP_MM",
    "ShaftAxis",
    "diaphysis_end",
    "refine_shaft",
    "trace_shaft_end",
]

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


TRACE_STEP_MM = 4.0
"""Step (mm) along the film by which :func:`trace_shaft_end` follows the cortices."""

TRACE_BAND_MM = 6.0
"""Height (mm) of the band averaged into each profile across the shaft (grid lines
and the film's grain average out; a long bone leans under 10 degrees, so its edges
move under 1 mm across the band)."""

TRACE_REACH_MM = 6.0
"""How far (mm) a cortex' edge may move from one step to the next: a long bone widens
toward its ends, most steeply at the proximal femur, whose lateral cortex bends out
toward the greater trochanter by up to about 45 degrees (4 mm in a step)."""

TRACE_GAP_MM = 24.0
"""Longest stretch (mm) over which neither cortex is seen before the trace stops: a
seam between stitched cassettes, a lead marker or the positioning frame hides the
shaft over a band of about 10-20 mm."""

SHAFT_FLARE = 1.5
"""Width, as a multiple of the diaphysis' width, at which the traced bone is no
longer the diaphysis (:func:`trace_shaft_end`'s default): the lesser trochanter and
the neck's base make the proximal femur 1.6-2 times as wide as its shaft."""

DIAPHYSIS_FLARE = 1.2
"""Width, as a multiple of the diaphysis' width, at which :func:`diaphysis_end` ends
the diaphysis: the shaft's width changes by a few per cent along its length, the
metaphysis above the knee and the one below it widen steadily toward the joint, so a
fifth wider is where the line through the shaft stops being the shaft's axis."""


def trace_shaft_end(
    coarse: NDArray[np.float32],
    coarse_mm: float,
    start: F64,
    direction: F64,
    width_mm: float,
    *,
    sense: int = -1,
    flare: float = SHAFT_FLARE,
    paired: bool = False,
) -> float:
    """Follow a diaphysis along the film from the end of a run read on it to where the
    diaphysis ends.

    A run of diaphyseal edge pairs read on a real film often stops short of the bone's
    end (a seam between cassettes, a grid line, thick soft tissue over the proximal
    thigh): the femoral head, say, is then far above it. From `start`, both cortices
    are followed up (or down) the film in steps of :data:`TRACE_STEP_MM`, each edge
    looked for within :data:`TRACE_REACH_MM` of where it was, the strongest edge of its
    polarity (bone bright: rising on the left, falling on the right) above 3 robust SDs
    of the profile's gradient. A step where one cortex is seen carries the trace on
    (the other kept where it was followed to); it stops at the edge of the film's
    content, where neither is seen over :data:`TRACE_GAP_MM`, or where the bone is
    wider than `flare` times `width_mm`: either cortex turning out (at the hip the
    lateral one into the greater trochanter, the medial one into the lesser trochanter
    and the neck; at the knee both into the metaphysis) ends the diaphysis.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float
    start : numpy.ndarray, shape (2,)
        The run's end on its axis, mm: its top when tracing up, its bottom when
        tracing down.
    direction : numpy.ndarray, shape (2,)
        The shaft axis' direction (either sense).
    width_mm : float
        The diaphysis' outer width, mm.
    sense : {-1, 1}, optional
        ``-1`` to trace up the film (toward smaller ``y``), ``+1`` to trace down.
    flare : float, optional
        Width, as a multiple of `width_mm`, that ends the diaphysis; default
        :data:`SHAFT_FLARE` (the proximal femur).
    paired : bool, optional
        Follow the two cortices as a pair: the trace stops where no step has seen
        both over :data:`TRACE_GAP_MM` (one cortex alone does not carry it on) and
        ends at the last step where both were seen. An edge followed alone over
        a long stretch may have left the bone for the greater trochanter's outline,
        then the soft tissue's or the film's edge, while the medial cortex turned
        out of reach into the lesser trochanter below; so may a cortex hidden for a
        while by a marker, which stops the pair early.

    Returns
    -------
    float
        ``y`` (mm) of the last step where a cortex (both with `paired`) was seen;
        ``start[1]`` when none was.

    Raises
    ------
    ValueError
        If `sense` is neither -1 nor 1.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:400, 0:200]
    >>> femur = (np.abs(xx - 100) < 12) & (yy > 120)
    >>> flare = (np.abs(xx - 100) < 30) & (yy > 80) & (yy <= 120)
    >>> film = np.where(femur | flare, 0.8, 0.3).astype(np.float32)
    >>> trace_shaft_end(film, 1.0, np.array([100.0, 300.0]), np.array([0.0, 1.0]), 24.0)
    120.0
    """
    if sense not in (-1, 1):
        raise ValueError(f"sense must be -1 (up the film) or 1 (down it), not {sense!r}")
    end = float(start[1])
    for y, seen, width in _follow_cortices(coarse, coarse_mm, start, direction, width_mm, sense):
        if seen and width > flare * width_mm:
            return y if seen == 2 or not paired else end
        if seen == 2 or (seen and not paired):
            end = y
        if abs(end - y) > TRACE_GAP_MM:
            break
    return end


def _follow_cortices(
    coarse: NDArray[np.float32],
    coarse_mm: float,
    start: F64,
    direction: F64,
    width_mm: float,
    sense: int,
) -> Iterator[tuple[float, int, float]]:
    """The steps of :func:`trace_shaft_end`: ``(y, seen, width)`` at each level, mm,
    with how many cortices were seen there (0, 1 or 2) and the bone's width between
    the two edges as followed so far; ends at the edge of the film's content
    (:func:`~alignment.detect._image.content_box`: in the flat padding of an export
    the gradient's noise is nil, and any speck would pass for a cortex)."""
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d) * (1.0 if d[1] >= 0 else -1.0)
    slope = float(d[0] / d[1]) if d[1] > 0 else 0.0
    step = sense * TRACE_STEP_MM
    edges = [float(start[0]) - width_mm / 2, float(start[0]) + width_mm / 2]
    y = float(start[1])
    half_band = TRACE_BAND_MM / 2
    reach = TRACE_REACH_MM / coarse_mm
    left, top, right, bottom = content_box(coarse, coarse_mm)  # no cortex in padding
    while top + half_band < y + step < bottom - half_band:
        y += step
        edges = [e + slope * step for e in edges]
        r0, r1 = int((y - half_band) / coarse_mm), int((y + half_band) / coarse_mm)
        c0 = int(max(left, edges[0] - width_mm) / coarse_mm)
        c1 = int(min(right, edges[1] + width_mm) / coarse_mm)
        if c1 - c0 < 5 or r1 <= r0:
            return
        profile = coarse[r0:r1, c0:c1].mean(axis=0).astype(float)
        g = ndimage.gaussian_filter1d(profile, 1.2 / coarse_mm, order=1)
        noise = 3.0 * mad_sd(g) + 1e-6
        seen = 0
        for k, polarity in enumerate((1.0, -1.0)):
            at = edges[k] / coarse_mm - c0
            peak = edge_peak(g, int(at - reach), int(at + reach) + 1, sign=polarity)
            if peak is not None and peak[1] > noise:
                edges[k] = (peak[0] + c0 + 0.5) * coarse_mm
                seen += 1
        yield y, seen, edges[1] - edges[0]


def diaphysis_end(work: Work, axis: ShaftAxis, sense: int) -> float:
    """``y`` (mm) where the diaphysis of `axis` ends beyond the run read on it.

    The run's end (its top for ``sense=-1``, its bottom for ``sense=1``) is where the
    edge pairs stopped being read well, not where the bone's shaft ends: on a knee film
    the diaphysis often runs on to the film's edge. Both cortices are followed as a pair
    from there (:func:`trace_shaft_end`) until the bone is :data:`DIAPHYSIS_FLARE` times
    the axis' width, the pair is lost, or the film ends. Never inside the run.

    Parameters
    ----------
    work : Work
        The film (its coarse copy is read).
    axis : ShaftAxis
        The diaphysis' axis and the run it was read on.
    sense : {-1, 1}
        ``-1`` for the run's proximal end up the film, ``+1`` for its distal end down it.

    Returns
    -------
    float
        ``y`` (mm), at or beyond the run's end in the direction of `sense`.

    Examples
    --------
    >>> image = np.full((600, 200), 100, np.uint16)
    >>> image[:, 80:120] = 900  # a 40 mm shaft, cut by the film's top and bottom
    >>> work = Work.of(image, (1.0, 1.0), coarse_mm=1.0)
    >>> axis = refine_shaft(work, np.array([100.0, 300.0]), np.array([0.0, 1.0]),
    ...                     top=250.0, bottom=350.0, width_mm=40.0)
    >>> diaphysis_end(work, axis, -1), diaphysis_end(work, axis, 1)
    (6.0, 594.0)
    """
    y = axis.top if sense < 0 else axis.bottom
    return trace_shaft_end(
        work.coarse,
        work.coarse_mm,
        axis.at_y(y),
        axis.direction,
        axis.width_mm,
        sense=sense,
        flare=DIAPHYSIS_FLARE,
        paired=True,
    )
