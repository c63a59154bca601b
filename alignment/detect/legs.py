"""Coarse localisation on the downsampled film: bone shafts, legs and joints.

A long bone's diaphysis is a bright band with two cortical edges: rising on one side,
falling on the other, 14 to 45 mm apart. Every horizontal band of the coarse film
(1 mm pixels) is searched for such edge pairs (:func:`shaft_candidates`); straight
runs of candidates are found by RANSAC (:func:`shaft_segments`), where pairs whose
canal reads dark only bridge the gaps between solid ones; an upper and a lower
segment that meet at a plausible knee make a leg (:func:`pair_legs`).

All positions here are in mm on the film (``x`` right, ``y`` down).

Examples
--------
>>> import numpy as np
>>> image = np.full((300, 200), 0.3, np.float32)
>>> image[:, 90:115] = 0.8  # a vertical bright band, 25 mm wide, on 1 mm pixels
>>> cands = shaft_candidates(image, 1.0, air_level=0.05)
>>> round(float(np.median(cands[:, 1])), 1), round(float(np.median(cands[:, 3])), 1)
(102.5, 25.0)
>>> segments = shaft_segments(cands)
>>> len(segments), round(segments[0].length_mm)
(1, 290)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import CONTENT_CONTRAST, mad_sd
from alignment.geometry import line_angle_deg

__all__ = [
    "LegGuess",
    "Segment",
    "film_seams",
    "near_seam",
    "pair_legs",
    "shaft_candidates",
    "shaft_segments",
]

F64 = NDArray[np.float64]

BAND_MM = 10.0
"""Height of the horizontal bands searched for cortical edge pairs, mm."""

WIDTH_MM = (14.0, 45.0)
"""Range of diaphyseal widths searched, mm (femur and tibia, adult, magnified)."""

SOLID_SHAFT = 0.5
"""Share of its contrast by which a diaphysis' interior must stand above the soft
tissue beside it (:func:`shaft_candidates`): a long bone's canal reads well above it
(0.6-0.9 of the contrast), an edge pair spanning the tibia's lateral cortex and the
fibula dips to it or below."""

RUN_CONTRAST_SHARE = 0.5
"""A band joins a diaphysis run only if its contrast is at least this share of the
hypothesis band's (:func:`shaft_segments`): edge pairs in the metaphyses' texture have
bone outside them, hence little contrast."""

CANAL_SHAFT = 0.2
"""Share of its contrast by which the interior of a pair that fails :data:`SOLID_SHAFT`
must still stand above the soft tissue beside it to bridge a run (:func:`shaft_segments`):
on a faint film a femur's medullary canal reads barely above the thigh's soft tissue
(0.3 of the contrast, its cortices clear), where the tibia's lateral cortex and the
fibula have soft tissue at the outside level, or below it, between them."""

SOLID_MARGIN_MM = 2.0
"""Interior of a pair left out next to each edge (the edges' blur) when its floor is
read, mm."""


SEAM_REACH_MM = 3.0
"""Rows this far (mm) above and below a row are its neighbours in :func:`film_seams`:
a cassette seam's bright line and a grid line are 1-2 mm thick, a brightness step
between two cassettes is sharp."""

SEAM_SHARE = 0.8
"""Share of the film's lit columns in which a row must show the same line or step for
it to be a seam (:func:`film_seams`): a seam crosses bone, soft tissue, air and the
ruler alike; a joint gap darkens only the bones, at most about 60 % of a single-leg
crop's width (the soft tissue beside the knee stays as it is)."""

SEAM_CLEAR_MM = 4.0
"""A joint gap is never read within this distance (mm) of a seam: the line's own dark
flank and the blur of the step reach about this far on the coarse film."""

SEAM_BAND_MM = 28.0
"""Two seam rows closer than this (mm, row to row: a seam gives a few rows, so two
seams' centres may be a few mm farther apart) bound a band where no joint gap is read:
a gap between them has a seam within 14 mm above and below, where its bright bone is
looked for (`column.JOINT_GAP_MM`, the knee's rough level between the shafts), so its
depth is the seams'. A stitched film's cassette overlap shows both cassettes' edges
and grid lines a few cm apart; the knee of an OAI crop was read between two, 17 mm
apart, 85 mm under its joint."""


def film_seams(coarse: NDArray[np.float32], coarse_mm: float) -> F64:
    """Heights (mm) of the lines and steps that cross the whole film: cassette seams,
    grid lines, the brightness step between two cassettes of a stitched film.

    A row is on a seam when, in at least :data:`SEAM_SHARE` of the lit columns, it
    stands out the same way from the rows :data:`SEAM_REACH_MM` above and below: brighter
    (or darker) than both (a line), or the mean of the rows below it differs from that
    of the rows above by the same sign (a step); "stands out" is more than 3 times the
    film's noise (MAD) of that difference. No joint gap is read within
    :data:`SEAM_CLEAR_MM` of one (:func:`near_seam`): the knee's rough level between the
    shafts and the knee of a bone column.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm`.
    coarse_mm : float
        Pixel size, mm.

    Returns
    -------
    numpy.ndarray, shape (k,)
        Centres (mm, ``y`` down) of the rows on a seam, ascending; a seam a few rows
        thick gives a few values.

    Examples
    --------
    >>> film = np.tile(np.linspace(0.2, 0.6, 60, dtype=np.float32), (100, 1))
    >>> film[:, 20:40] += 0.2  # a bone: no seam
    >>> film[50] += 0.1  # a grid line across the film
    >>> film[80:] += 0.05  # a brightness step between two cassettes
    >>> seams = film_seams(film, 1.0)
    >>> near_seam(np.array([30.0, 50.0, 80.0, 95.0]), seams)
    array([False,  True,  True, False])
    >>> bool(near_seam(np.array(65.0), seams))  # between the line and the step
    True
    """
    image = coarse.astype(np.float64)
    lit = image.max(axis=0) - image.min(axis=0) > CONTENT_CONTRAST
    k = max(1, round(SEAM_REACH_MM / coarse_mm))
    image = image[:, lit]
    if image.shape[0] <= 2 * k or image.shape[1] == 0:
        return np.zeros(0)
    line = image[k:-k] - 0.5 * (image[: -2 * k] + image[2 * k :])
    sums = np.vstack([np.zeros((1, image.shape[1])), np.cumsum(image, axis=0)])
    above = (sums[k:-k] - sums[: -2 * k]) / k  # rows r - k .. r - 1
    below = (sums[2 * k :] - sums[k:-k]) / k  # rows r .. r + k - 1
    step = (below - above)[: line.shape[0]]
    rows = np.zeros(image.shape[0], bool)
    for change in (line, step):
        noise = mad_sd(change) + 1e-6
        sign = np.sign(np.median(change, axis=1))[:, None]
        agree = (np.sign(change) == sign) & (np.abs(change) > 3.0 * noise)
        rows[k : k + change.shape[0]] |= agree.mean(axis=1) >= SEAM_SHARE
    return ((np.flatnonzero(rows) + 0.5) * coarse_mm).astype(np.float64)


def near_seam(y_mm: NDArray[np.float64], seams: F64) -> NDArray[np.bool_]:
    """Whether each height `y_mm` lies within :data:`SEAM_CLEAR_MM` of a seam, or
    between two seam rows less than :data:`SEAM_BAND_MM` apart.

    >>> near_seam(np.array([10.0, 50.0]), np.array([47.5]))
    array([False,  True])
    >>> near_seam(np.array([30.0, 60.0, 100.0]), np.array([50.0, 70.0, 110.0]))
    array([False,  True, False])
    """
    y = np.asarray(y_mm, dtype=float)
    if seams.size == 0:
        return np.zeros(y.shape, bool)
    near = np.min(np.abs(y[..., None] - seams), axis=-1) <= SEAM_CLEAR_MM
    rows = np.sort(seams)
    close = np.flatnonzero(np.diff(rows) < SEAM_BAND_MM)
    if close.size:
        between = (y[..., None] >= rows[close]) & (y[..., None] <= rows[close + 1])
        near |= between.any(axis=-1)
    return near


def shaft_candidates(
    coarse: NDArray[np.float32],
    coarse_mm: float,
    *,
    air_level: float,
    per_band: int = 6,
    solid: float = SOLID_SHAFT,
    canal_share: float = CANAL_SHAFT,
    phase: float = 0.0,
) -> F64:
    """Cortical edge pairs in horizontal bands of the coarse film.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm`, bone bright.
    coarse_mm : float
        Pixel size, mm.
    air_level : float
        Grey value below which a pixel is air (no patient); a pair with air just
        outside an edge is a skin line, not bone.
    per_band : int, optional
        Keep at most this many pairs per band (non-overlapping, strongest first).
    solid : float, optional
        A pair is solid if its interior's lowest level (smoothed over
        about 1 mm, :data:`SOLID_MARGIN_MM` from each edge left out) stands at least
        this share of its contrast above the level outside. A diaphysis is brighter
        than the soft tissue across its whole width (the medullary canal is still
        covered by the cortices in front and behind); a pair that spans two bones -
        the tibia's lateral cortex and the fibula - has soft tissue between them.
    canal_share : float, optional
        A pair that is not solid is still kept, marked, if that lowest level
        stands at least this share of its contrast above the outside and no solid
        pair of its band shares an edge with it: a diaphysis whose canal reads dark
        (:data:`CANAL_SHAFT`), which only bridges a run of solid pairs
        (:func:`shaft_segments`).
    phase : float, optional
        Start the bands this share of a band down the film (bands read at two
        phases give a short diaphysis twice as many bands).

    Returns
    -------
    numpy.ndarray, shape (k, 6)
        ``y_mm, x_centre_mm, score, width_mm, contrast, solid`` of each pair; score
        is the sum of the two edge gradients over the band's noise, contrast the
        grey level inside over outside, solid 1.0 for a solid pair and 0.0 for one
        with a dark canal.
    """
    rows, cols = coarse.shape
    band = max(2, round(BAND_MM / coarse_mm))
    wmin = max(2, round(WIDTH_MM[0] / coarse_mm))
    wmax = max(wmin + 1, round(WIDTH_MM[1] / coarse_mm))
    out: list[tuple[float, float, float, float, float, float]] = []
    outside = max(2, round(4.0 / coarse_mm))
    margin = max(1, round(SOLID_MARGIN_MM / coarse_mm))
    for r0 in range(round(phase * band), rows - band + 1, band):
        profile = coarse[r0 : r0 + band].mean(axis=0).astype(float)
        g = ndimage.gaussian_filter1d(profile, 1.2 / coarse_mm, order=1)
        smooth = ndimage.gaussian_filter1d(profile, 1.0 / coarse_mm)
        noise = mad_sd(g) + 1e-4
        up = np.flatnonzero((g > 3 * noise) & (g >= np.roll(g, 1)) & (g >= np.roll(g, -1)))
        down = np.flatnonzero((g < -3 * noise) & (g <= np.roll(g, 1)) & (g <= np.roll(g, -1)))
        if up.size == 0 or down.size == 0:
            continue
        width = down[None, :] - up[:, None]
        valid = (width >= wmin) & (width <= wmax)
        if not valid.any():
            continue
        score = (g[up][:, None] - g[down][None, :]) / noise
        score = np.where(valid, score, -np.inf)
        order = np.argsort(score, axis=None)[::-1]
        # (left, right, score, contrast, share of the contrast the interior's floor
        # stands above the outside) of the pairs kept: solid ones, then dark-canal ones
        taken: list[tuple[int, int, float, float, float]] = []
        canal: list[tuple[int, int, float, float, float]] = []
        for flat in order[:200]:
            i, j = np.unravel_index(flat, score.shape)
            if not np.isfinite(score[i, j]) or len(taken) >= per_band:
                break
            left, right = int(up[i]), int(down[j])
            if any(left == a or right == b for a, b, *_ in taken):
                continue
            lo = max(0, left - outside)
            hi = min(cols - 1, right + outside)
            inner = float(profile[left + 1 : right].mean()) if right > left + 1 else 0.0
            if profile[lo] < air_level or profile[hi] < air_level:
                continue
            level = 0.5 * (profile[lo] + profile[hi])
            contrast = inner - level
            if contrast <= 0:
                continue
            floor = smooth[left + margin : right - margin + 1]
            share = (float(floor.min()) - level) / contrast if floor.size else 1.0
            if share < solid:
                if share >= canal_share:
                    canal.append((left, right, float(score[i, j]), contrast, share))
                continue
            taken.append((left, right, float(score[i, j]), contrast, share))
        # a pair with a dark canal is kept only where no solid pair of the band shares
        # an edge with it (the strongest of those sharing one), within `per_band`
        for pair in canal:
            if len(taken) < per_band and not any(
                pair[0] == t[0] or pair[1] == t[1] for t in taken
            ):
                taken.append(pair)
        for left, right, sc, contrast, share in taken:
            xl = left + 0.5
            xr = right + 0.5
            out.append(
                (
                    (r0 + band / 2) * coarse_mm,
                    (xl + xr) / 2 * coarse_mm,
                    sc,
                    (xr - xl) * coarse_mm,
                    contrast,
                    share >= solid,
                )
            )
    return np.array(out, dtype=float).reshape(-1, 6)


@dataclass(frozen=True)
class Segment:
    """A straight run of diaphyseal edge pairs: one bone shaft, coarse.

    Attributes
    ----------
    centre : numpy.ndarray, shape (2,)
        A point on the axis, mm.
    direction : numpy.ndarray, shape (2,)
        Unit vector along the axis, pointing down (``+y``).
    top, bottom : float
        ``y`` (mm) of the first and last band of the run.
    width_mm : float
        Median width between the edges.
    support : int
        Bands in the run.
    score : float
        Median edge score of the run (of a segment read on a bone column, its mean
        bone-ness: :func:`.column.column_legs`).
    """

    centre: F64
    direction: F64
    top: float
    bottom: float
    width_mm: float
    support: int
    score: float

    @property
    def length_mm(self) -> float:
        """``bottom - top``."""
        return self.bottom - self.top

    def x_at(self, y: float) -> float:
        """``x`` (mm) of the axis at height `y` (mm)."""
        t = (y - self.centre[1]) / self.direction[1]
        return float(self.centre[0] + t * self.direction[0])


def shaft_segments(
    candidates: F64,
    *,
    tolerance_mm: float = 3.0,
    max_gap_mm: float = 45.0,
    min_length_mm: float = 90.0,
    width_tolerance: float = 0.15,
    min_contrast_share: float = RUN_CONTRAST_SHARE,
    seed: int = 0,
) -> list[Segment]:
    """Straight, contiguous runs of edge pairs (RANSAC, then split at gaps).

    Line hypotheses are drawn from solid pairs and scored by them alone; a pair with
    a dark canal joins a run only between two of its solid bands (:func:`_bridges`),
    and a run starts and ends on a solid band: on a faint film a femur's canal reads
    barely above the soft tissue over much of its length, its cortices clear, and its
    solid stretches are too short, or too far apart, to make a run on their own.

    Parameters
    ----------
    candidates : numpy.ndarray, shape (k, 6)
        From :func:`shaft_candidates`.
    tolerance_mm : float, optional
        Largest distance of a centre from the line.
    max_gap_mm : float, optional
        A run is split where consecutive bands are farther apart than this.
    min_length_mm : float, optional
        Shortest run kept.
    width_tolerance : float, optional
        Largest relative difference of a band's width from the hypothesis'.
    min_contrast_share : float, optional
        A band's contrast (grey level inside over outside) must be at
        least this share of the hypothesis band's: pairs of texture edges inside a
        metaphysis (bone on both sides, so hardly any contrast) must not carry a
        diaphysis' run on through the knee.
    seed : int, optional
        Seeds the RANSAC sampling (the result is deterministic).

    Returns
    -------
    list of Segment
        Longest first.
    """
    rng = np.random.default_rng(seed)
    left = np.ones(len(candidates), dtype=bool)
    segments: list[Segment] = []
    for _ in range(40):
        idx = np.flatnonzero(left)
        if idx.size < 5:
            break
        pts = candidates[idx]
        best: NDArray[np.bool_] | None = None
        # hypotheses from pairs of bands 20-80 mm apart that could be one bone (near
        # vertical, similar width): sampling only such pairs finds a run of a few
        # dozen bands among hundreds of pairs (a thigh's soft tissue, a metaphysis)
        dy_all = pts[None, :, 0] - pts[:, None, 0]
        dx_all = pts[None, :, 1] - pts[:, None, 1]
        w_all = np.maximum(pts[:, None, 3], pts[None, :, 3])
        valid = (dy_all >= 20.0) & (dy_all <= 80.0) & (np.abs(dx_all) <= 0.35 * dy_all)
        valid &= np.abs(pts[:, None, 3] - pts[None, :, 3]) <= max(0.25, width_tolerance) * w_all
        valid &= (pts[:, None, 5] > 0) & (pts[None, :, 5] > 0)
        i_all, j_all = np.nonzero(valid)
        if i_all.size == 0:
            break
        pick = rng.choice(i_all.size, size=min(i_all.size, 3000), replace=False)
        i, j = i_all[pick], j_all[pick]
        slope = (pts[j, 1] - pts[i, 1]) / (pts[j, 0] - pts[i, 0])
        predicted = pts[i, 1][:, None] + slope[:, None] * (pts[None, :, 0] - pts[i, 0][:, None])
        resid = np.abs(pts[None, :, 1] - predicted) / np.hypot(1.0, slope)[:, None]
        near = resid <= tolerance_mm
        near &= (
            np.abs(pts[None, :, 3] - pts[i, 3][:, None])
            <= width_tolerance * pts[i, 3][:, None] + 1.0
        )
        near &= pts[None, :, 4] >= min_contrast_share * pts[i, 4][:, None]
        solid = pts[:, 5] > 0
        totals = (near * solid * pts[None, :, 2].clip(0, 50)).sum(axis=1)
        k = int(np.argmax(totals))
        if (near[k] & solid).sum() >= 5:
            bright = pts[:, 4] >= min_contrast_share * pts[i[k], 4]
            bridges = _bridges(pts, near[k] & solid, tolerance_mm, width_tolerance)
            best = (near[k] & solid) | (bridges & bright)
        if best is None:
            break
        chosen = idx[best]
        order = chosen[np.argsort(candidates[chosen, 0])]
        ys = candidates[order, 0]
        cuts = np.flatnonzero(np.diff(ys) > max_gap_mm) + 1
        # a run starts and ends on solid pairs (pairs with a dark canal only bridge)
        runs = [_solid_ends(candidates, r) for r in np.split(order, cuts)]
        longest = max(runs, key=lambda r: float(np.ptp(candidates[r, 0])) if len(r) else 0.0)
        # only the run taken is used up: a line that crosses a diaphysis obliquely and
        # is rejected must not take the diaphysis' own pairs with it
        left[longest] = False
        if len(longest) < 5:
            continue
        run = candidates[longest]
        length = float(run[:, 0].max() - run[:, 0].min())
        if length < min_length_mm:
            continue
        xy = run[:, [1, 0]]
        centre = xy.mean(axis=0)
        slope, intercept = np.polyfit(run[:, 0], run[:, 1], 1)
        direction = np.array([slope, 1.0]) / np.hypot(slope, 1.0)
        centre = np.array([intercept + slope * centre[1], centre[1]])
        segments.append(
            Segment(
                centre,
                direction,
                float(run[:, 0].min()),
                float(run[:, 0].max()),
                float(np.median(run[:, 3])),
                len(run),
                float(np.median(run[:, 2])),
            )
        )
    segments.sort(key=lambda s: -s.length_mm)
    return segments


def _bridges(
    candidates: F64,
    run: NDArray[np.bool_],
    tolerance_mm: float,
    width_tolerance: float,
) -> NDArray[np.bool_]:
    """Pairs with a dark canal that continue a run of solid pairs across its gaps.

    A pair that failed :data:`SOLID_SHAFT` (``candidates[:, 5] == 0``) joins the run
    where it lies between two of the run's solid bands, its centre within
    `tolerance_mm` and its width within `width_tolerance` (+ 1 mm) of theirs,
    interpolated linearly: the same diaphysis, its two cortices clear and its canal
    dark. Interpolating between the nearest solid bands rather than reading off the
    run's straight line lets a bridge follow a femur's bow.

    Parameters
    ----------
    candidates : numpy.ndarray, shape (k, 6)
        From :func:`shaft_candidates`.
    run : numpy.ndarray of bool, shape (k,)
        The solid pairs of the run.
    tolerance_mm, width_tolerance : float
        As in :func:`shaft_segments`.

    Returns
    -------
    numpy.ndarray of bool, shape (k,)
        The bridging pairs.
    """
    solid = candidates[run]
    ys, xs, ws = solid[np.argsort(solid[:, 0])][:, [0, 1, 3]].T
    y = candidates[:, 0]
    x_line = np.interp(y, ys, xs)
    w_line = np.interp(y, ys, ws)
    return (
        (candidates[:, 5] == 0)
        & (y > ys[0])
        & (y < ys[-1])
        & (np.abs(candidates[:, 1] - x_line) <= tolerance_mm)
        & (np.abs(candidates[:, 3] - w_line) <= width_tolerance * w_line + 1.0)
    )


def _solid_ends(candidates: F64, run: NDArray[np.intp]) -> NDArray[np.intp]:
    """`run` (indices into `candidates`, by ``y``) cut to its first and last solid pair."""
    solid = np.flatnonzero(candidates[run, 5] > 0)
    return run[solid[0] : solid[-1] + 1] if solid.size else run[:0]


@dataclass(frozen=True)
class LegGuess:
    """A leg found on the coarse film: its femoral and tibial shafts.

    Either shaft may be None when the film shows only one (cut-off film).
    """

    femur: Segment | None
    tibia: Segment | None
    column: Any = None
    """The bone column (:class:`~alignment.detect.column.Column`) the leg was read on,
    when it was found by following the column rather than by diaphysis runs."""

    @property
    def x_mm(self) -> float:
        """``x`` of the leg near the knee, mm."""
        if self.femur is not None:
            return self.femur.x_at(self.femur.bottom)
        if self.tibia is not None:
            return self.tibia.x_at(self.tibia.top)
        return float("nan")


def pair_legs(segments: list[Segment], *, max_legs: int = 2) -> list[LegGuess]:
    """Pair shaft segments into legs: a femur above, a tibia below, meeting at a knee.

    A femur and a tibia belong together when the tibia starts 40 to 400 mm below the
    femur's last band and their axes are within 60 mm of each other at the knee. A
    segment left over and longer than 120 mm becomes a leg of its own (a film cut
    off above the knee or the ankle), named by its position.

    Returns
    -------
    list of LegGuess
        Ordered by ``x``.
    """
    pairs: list[tuple[float, int, int]] = []
    # diaphyses are the narrowest long runs; a run along a metaphysis is wider
    long_widths = [s.width_mm for s in segments if s.length_mm >= 150.0]
    widths = long_widths or [s.width_mm for s in segments]
    ref = float(np.percentile(widths, 25)) if widths else 0.0

    def shaft_like(seg: Segment) -> bool:
        return 0.6 * ref <= seg.width_mm <= 1.45 * ref

    for i, f in enumerate(segments):
        if not shaft_like(f):
            continue
        for j, t in enumerate(segments):
            # the tibial diaphysis is no wider than the femoral one (a wider run below
            # a femur is its own metaphysis or the knee)
            if i == j or not shaft_like(t) or t.width_mm > 1.15 * f.width_mm:
                continue
            gap = t.top - f.bottom
            if not 60.0 <= gap <= 400.0:
                continue
            knee_y = (f.bottom + t.top) / 2
            if abs(f.x_at(knee_y) - t.x_at(knee_y)) > 60.0:
                continue
            angle = float(line_angle_deg(f.direction, t.direction))
            if angle > 25.0:
                continue
            pairs.append((f.length_mm + t.length_mm, i, j))
    pairs.sort(reverse=True)
    tops = [s.top for s in segments]
    bottoms = [s.bottom for s in segments]
    split_y = (min(tops) + max(bottoms)) / 2 if segments else 0.0
    used: set[int] = set()
    legs: list[LegGuess] = []
    for _, i, j in pairs:
        if i in used or j in used or len(legs) >= max_legs:
            continue
        xi = segments[i].x_at(segments[i].bottom)
        if any(abs(xi - leg.x_mm) < 60.0 for leg in legs):
            continue
        used.update((i, j))
        legs.append(LegGuess(segments[i], segments[j]))
    for k, s in enumerate(segments):
        if k in used or len(legs) >= max_legs or s.length_mm < 120.0 or not shaft_like(s):
            continue
        x = s.x_at((s.top + s.bottom) / 2)
        if any(abs(x - leg.x_mm) < 80.0 for leg in legs):
            continue
        used.add(k)
        # a lone run: a femur if it lies in the upper part of the film's bone, else a
        # tibia (whose leg the caller does not guess at without its femur)
        if (s.top + s.bottom) / 2 <= split_y:
            legs.append(LegGuess(s, None))
        else:
            legs.append(LegGuess(None, s))
    legs.sort(key=lambda g: g.x_mm)
    return legs
