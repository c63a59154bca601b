"""Legs as bone columns: the coarse stage for real long-leg films.

On a real standing film the cortices of a diaphysis are faint, cut by cassette seams
and crossed by grid lines, so runs of cortical edge pairs (:mod:`.legs`) often break
up. What survives all of that is the bone column itself: from the hip to the ankle,
femur, knee and tibia form one band brighter than the soft tissue on either side of
it. This module follows that band from the top of the film to the bottom by dynamic
programming on a band-pass "bone-ness" map (:func:`bone_map`, :func:`trace_column`),
finds the knee on it as the dark joint gap where the column is widest
(:func:`knee_on_column`), and returns each leg as a femoral and a tibial
:class:`~alignment.detect.legs.Segment` for the fine stage (:func:`column_legs`).

All positions are in mm on the film (``x`` right, ``y`` down); the coarse film has
square pixels of ``coarse_mm``.

Examples
--------
>>> import numpy as np
>>> film = np.full((900, 300), 0.3, np.float32)
>>> film[:450, 130:158] = 0.8   # femoral shaft, 28 mm wide
>>> film[450:456, 110:180] = 0.2  # joint gap
>>> film[440:450, 110:180] = 0.85  # condyles
>>> film[456:466, 110:180] = 0.85  # plateau
>>> film[456:, 134:160] = 0.8   # tibial shaft
>>> legs = column_legs(film, 1.0)
>>> len(legs), round(legs[0].femur.x_at(300.0)), round(legs[0].tibia.x_at(600.0))
(1, 144, 146)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import content_box, robust_line
from alignment.detect.legs import LegGuess, Segment, film_seams, near_seam

__all__ = [
    "Column",
    "ColumnLeg",
    "bone_map",
    "column_legs",
    "equalised",
    "film_rows",
    "read_column_leg",
    "trace_column",
]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

CORE_HALF_MM = 6.0
"""Half-width (mm) of the band whose brightness stands for a bone's interior in
:func:`bone_map`."""

FLANK_MM = (16.0, 28.0)
"""Distances (mm) from the band's centre at which the film beside a bone is read:
just outside a diaphysis 20-35 mm wide."""

TICK_REACH_MM = 15.0
"""Vertical reach (mm) over which fine detail along the film (a ruler's ticks and
digits) is averaged into the penalty of :func:`bone_map`."""

TICK_WEIGHT = 3.0
"""Weight of that penalty against the band-pass: a bone's interior is smooth along
its length, a ruler is all edges."""

ACROSS_MM = 4.0
"""Smoothing of the bone-ness map across the film (mm)."""

ALONG_MM = 8.0
"""Vertical smoothing of the bone-ness map (mm): bones are long, text and markers not."""

STEP_MM = 3.0
"""Row step of the column trace (mm). One pixel of lateral move per step keeps the
column within about 18 degrees of vertical (standing legs lean a few degrees)."""

MOVE_PENALTY = 0.25
"""Cost of a lateral move per step, as a share of the bone-ness map's spread."""

LEG_SEPARATION_MM = 70.0
"""Closest two legs' columns come (mm): the knees of a bilateral film are farther apart."""

MIN_ASPECT = 1.8
"""Least height over width of a film read as bone columns: a standing hip-to-ankle film
(bilateral, about 3:1; one leg, taller still). A square film may hold a spine, a chest
or a lone tibia, whose straight bright bands are no legs."""

SECOND_LEG_SHARE = 0.45
"""A second column is a leg when its mean bone-ness along the diaphyses' stretches
(:data:`SHAFT_SHARES`) is at least this share of the first's."""

SHAFT_SHARES = {"femoral": (0.30, 0.48), "tibial": (0.66, 0.86)}
"""Stretch of the film's content height (shares from its first row) where each
diaphysis is read on the column. A standing long-leg film shows the hip near its top
and the ankle near its bottom; the knee falls at 50-62 % of its height whether the
pelvis or the feet are on it, so these stretches stay on the diaphyses, clear of the
trochanters, the metaphyses and the malleoli. The fine stage finds the knee between
them."""

MIN_SHAFT_MM = 80.0
"""Shortest diaphysis stretch a segment is made of (mm)."""

NOMINAL_WIDTH_MM = 28.0
"""Width a diaphysis is given when it cannot be read off the column (mm)."""


@dataclass(frozen=True)
class Column:
    """One leg's bone column on the coarse film.

    Attributes
    ----------
    ys, xs : numpy.ndarray, shape (n,)
        The column's centre line (mm), top to bottom.
    values : numpy.ndarray, shape (n,)
        Bone-ness (:func:`bone_map`, the map's units) at each point of it.
    """

    ys: F64
    xs: F64
    values: F64

    def x_at(self, y: float) -> float:
        """``x`` (mm) of the column at height `y` (mm), interpolated."""
        return float(np.interp(y, self.ys, self.xs))


def film_rows(coarse: F32) -> tuple[int, int]:
    """First and last row (inclusive, coarse pixels) with image content
    (:func:`~alignment.detect._image.content_box`): padding rows of one grey level
    (crops padded to a fixed height) are left out.

    >>> film = np.zeros((10, 4), np.float32); film[2:7] = np.arange(4)
    >>> film_rows(film)
    (2, 6)
    """
    _, top, _, bottom = content_box(coarse, 1.0)
    return int(top), int(bottom) - 1


def bone_map(coarse: F32, coarse_mm: float) -> F32:
    """Bone-ness of each coarse pixel: how much brighter a band of
    :data:`CORE_HALF_MM` around it is than the film on *both* sides of it (the darker
    side counts), at :data:`FLANK_MM` away, smoothed along the film by
    :data:`ALONG_MM`, less a ruler's fine detail.

    A diaphysis is a ridge, darker on both sides; the outline of a thigh or a calf
    against the air is a step, dark on one side only, and scores nothing.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float

    Returns
    -------
    numpy.ndarray of float32, shape (m, n)
        Positive on bright ridges of a bone's width.

    Examples
    --------
    >>> film = np.full((50, 200), 0.2, np.float32)
    >>> film[:, 90:120] = 0.8  # a bone
    >>> film[:, 160:] = 0.0    # air beside the limb
    >>> ridge = bone_map(film, 1.0)
    >>> int(np.argmax(ridge[25])), bool(ridge[25, 150] <= 0)
    (104, True)
    """
    image = coarse.astype(np.float32)
    half = max(1, int(round(CORE_HALF_MM / coarse_mm)))
    core = ndimage.uniform_filter1d(image, 2 * half + 1, axis=1, mode="nearest")
    near, far = (max(1, int(round(v / coarse_mm))) for v in FLANK_MM)
    flank = ndimage.uniform_filter1d(image, far - near + 1, axis=1, mode="nearest")
    shift = (near + far) // 2
    left = np.empty_like(flank)
    right = np.empty_like(flank)
    left[:, shift:] = flank[:, :-shift]
    left[:, :shift] = flank[:, :1]
    right[:, :-shift] = flank[:, shift:]
    right[:, -shift:] = flank[:, -1:]
    ridge = np.minimum(core - left, core - right)
    # smoothed along the film, and across it so that a flat-topped ridge peaks mid-bone
    ridge = ndimage.gaussian_filter(
        ridge, (ALONG_MM / coarse_mm, ACROSS_MM / coarse_mm), mode="nearest"
    )
    # a ruler's ticks and digits: fine detail along the film, all along a narrow strip
    fine = np.abs(image - ndimage.gaussian_filter1d(image, 1.5 / coarse_mm, axis=0))
    ticks = ndimage.gaussian_filter(fine, (TICK_REACH_MM / coarse_mm, 3.0 / coarse_mm))
    return (ridge - TICK_WEIGHT * ticks).astype(np.float32)


def trace_column(
    bone: F32, coarse_mm: float, rows: tuple[int, int], *, forbidden: F64 | None = None
) -> Column | None:
    """The brightest top-to-bottom path through the bone-ness map (dynamic programming).

    Parameters
    ----------
    bone : numpy.ndarray, shape (m, n)
        :func:`bone_map` of the film.
    coarse_mm : float
    rows : (int, int)
        First and last row of the film's content (:func:`film_rows`).
    forbidden : numpy.ndarray of bool, shape (m, n), optional
        Pixels the path may not cross (another leg's column).

    Returns
    -------
    Column or None
        None when the film is too short or narrow to hold a leg.
    """
    step = max(1, round(STEP_MM / coarse_mm))
    sampled = np.arange(rows[0], rows[1] + 1, step)
    if sampled.size < 20 or bone.shape[1] < 20:
        return None
    score = bone[sampled].astype(np.float64)
    if forbidden is not None:
        score = np.where(forbidden[sampled], -np.inf, score)
    # the film's outer 3 % hold collimation edges, not legs
    margin = max(1, int(0.03 * bone.shape[1]))
    score[:, :margin] = -np.inf
    score[:, -margin:] = -np.inf
    spread = float(np.nanpercentile(bone, 95) - np.nanpercentile(bone, 5)) or 1.0
    penalty = MOVE_PENALTY * spread
    n, m = score.shape
    total = score[0].copy()
    back = np.zeros((n, m), np.int8)
    for i in range(1, n):
        options = np.stack(
            [
                np.concatenate([[-np.inf], total[:-1]]) - penalty,
                total,
                np.concatenate([total[1:], [-np.inf]]) - penalty,
            ]
        )
        choice = np.argmax(options, axis=0)
        back[i] = choice - 1
        total = options[choice, np.arange(m)] + score[i]
    if not np.isfinite(total).any():
        return None
    cols = np.empty(n, np.int64)
    cols[-1] = int(np.argmax(total))
    for i in range(n - 1, 0, -1):
        cols[i - 1] = cols[i] + back[i, cols[i]]
    # the best path's total is finite, so is every value along it
    return Column(
        ys=((sampled + 0.5) * coarse_mm).astype(np.float64),
        xs=((cols + 0.5) * coarse_mm).astype(np.float64),
        values=score[np.arange(n), cols],
    )


def _segment(column: Column, y_from: float, y_to: float) -> Segment | None:
    """A :class:`Segment` fitted to the column between two heights (mm); its score is
    the column's mean bone-ness there."""
    top, bottom = min(y_from, y_to), max(y_from, y_to)
    keep = (column.ys >= top) & (column.ys <= bottom)
    if bottom - top < MIN_SHAFT_MM or keep.sum() < 5:
        return None
    fit = robust_line(np.column_stack([column.xs[keep], column.ys[keep]]), threshold=2.5)
    if fit is None:
        return None
    centre, direction, inliers, _ = fit
    return Segment(
        centre=centre,
        direction=direction,
        top=float(column.ys[keep][0]),
        bottom=float(column.ys[keep][-1]),
        width_mm=NOMINAL_WIDTH_MM,
        support=int(inliers.sum()),
        score=float(column.values[keep].mean()),
    )


def _diaphysis_score(column: Column, spans: Iterable[tuple[float, float]]) -> float:
    """Mean bone-ness (:func:`bone_map`) along `column` within the stretches `spans`
    (mm) where the diaphyses lie (:data:`SHAFT_SHARES`). Only a diaphysis is a ridge
    darker on both sides: the pelvis, the knee's metaphyses and the foot are wider
    than the map's flanks and score below zero, and on a single-leg crop whose cut
    edges pass close to the bone they outweigh the shafts over the whole column."""
    keep = np.zeros(column.ys.size, bool)
    for top, bottom in spans:
        keep |= (column.ys >= top) & (column.ys <= bottom)
    return float(column.values[keep].mean()) if keep.any() else float("-inf")


def column_legs(coarse: F32, coarse_mm: float, *, max_legs: int = 2) -> list[LegGuess]:
    """Legs of a long-leg AP film as bone columns split at the knee.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float
    max_legs : int, optional

    Returns
    -------
    list of LegGuess
        Ordered by ``x``; each with its femoral and tibial diaphysis as read on the
        column (either None where the film does not show it) and the column. Empty
        for a film less than :data:`MIN_ASPECT` times as tall as wide.
    """
    rows = film_rows(coarse)
    if (rows[1] - rows[0] + 1) < MIN_ASPECT * coarse.shape[1]:
        return []
    bone = bone_map(coarse, coarse_mm)
    forbidden = np.zeros(coarse.shape, bool)
    columns: list[Column] = []
    scores: list[float] = []
    xx = (np.arange(coarse.shape[1]) + 0.5) * coarse_mm
    y0 = rows[0] * coarse_mm
    height = (rows[1] - rows[0] + 1) * coarse_mm
    stretches = {b: (y0 + s * height, y0 + e * height) for b, (s, e) in SHAFT_SHARES.items()}
    for _ in range(max_legs):
        column = trace_column(bone, coarse_mm, rows, forbidden=forbidden)
        if column is None:
            break
        # a leg stands above its surroundings along its diaphyses; on noise or a blank
        # film the best path's mean bone-ness there is not even positive
        score = _diaphysis_score(column, stretches.values())
        if score <= 0.0 or (scores and score < SECOND_LEG_SHARE * scores[0]):
            break
        columns.append(column)
        scores.append(score)
        centre = np.interp((np.arange(coarse.shape[0]) + 0.5) * coarse_mm, column.ys, column.xs)
        forbidden |= np.abs(xx[None, :] - centre[:, None]) < LEG_SEPARATION_MM
    legs: list[LegGuess] = []
    for column in columns:
        femur, tibia = (_segment(column, *stretches[b]) for b in ("femoral", "tibial"))
        if femur is None and tibia is None:
            continue
        legs.append(LegGuess(femur, tibia, column))
    legs.sort(key=lambda g: g.x_mm)
    return legs


# -- reading a leg on its column ------------------------------------------------------

EQUALISE_KERNEL_MM = 64.0
"""Tile size of the local contrast equalisation (CLAHE) the column reader works on, mm:
a femur a few grey levels above a thick thigh and a tibia far above a thin calf come
out alike."""

LINE_REACH_MM = 12.0
"""Half-height (mm) of the window of rows a pixel's departure from its column is read
over, to find film-wide lines (a cassette seam, a grid line) and take them off before
a joint gap is looked for (:func:`equalised`)."""

RIDGE_REACH_MM = 12.0
"""How far (mm) on either side of the column the bone's ridge is looked for at each
level of a diaphysis."""

JOINT_GAP_MM = (2.0, 14.0)
"""A joint gap is a dark valley: darker than the brightest bone between these
distances (mm) above it and below it."""

JOINT_BAND_MM = 15.0
"""Half-width (mm) of the band along the column whose mean brightness is searched for
the knee's and the ankle's joint gaps."""

EXTENT_OFFSET_MM = 4.0
"""Distance (mm) above and below a joint gap at which the bones' outline is read
(condyles above the knee's gap, plateau below; distal tibia and talus at the ankle)."""

COLUMN_CONFIDENCE = 0.45
"""Confidence of a landmark read on a bone column: its place is a good start for a
person, never a result to trust unchecked (below the review threshold)."""


def equalised(coarse: F32, coarse_mm: float) -> F32:
    """The coarse film with film-wide lines removed and local contrast equalised.

    Lines across the film (cassette seams, grid lines, the edge of a positioning
    frame) show as rows brighter or darker than the rows around them all the way
    across. Each pixel's departure from its column (the running median of the pixels
    within :data:`LINE_REACH_MM` above and below it) is read; a row's line is the
    median departure of its pixels, and each pixel loses as much of that line as it
    departs the same way, no more. A grid line on a digitised film is much fainter
    over bone than over the soft tissue: taken off every pixel at its film-wide
    strength, it left a dark valley across the tibia that was read as the ankle's
    joint gap (on 6 of the development set's crops, 50 to 130 mm above the joint).
    Then CLAHE with tiles of :data:`EQUALISE_KERNEL_MM`.

    A joint gap that darkens more than half of a row's pixels is taken for a line as
    far as the row's median departure: near the knee of 25 of the development set's
    98 crops up to 72 % of the lit columns lie below their column's median, and their
    gap loses 0.004-0.02 of a depth of 0.02-0.06 (docs/detect.md has the trials of a
    stricter rule).

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float
        Pixel size, mm.

    Returns
    -------
    numpy.ndarray of float32, shape (m, n)
        The equalised film, in [0, 1].

    Examples
    --------
    A line strong over the soft tissue and faint over a bone leaves neither a line nor
    a valley across the bone:

    >>> film = np.tile(np.linspace(0.2, 0.4, 60, dtype=np.float32), (80, 1))
    >>> film[:, 20:40] = 0.8  # a bone
    >>> film[40] += 0.2
    >>> film[40, 20:40] -= 0.18
    >>> flat = equalised(film, 1.0)
    >>> bool(abs(flat[40] - flat[36]).max() < 0.02)
    True
    """
    from skimage import exposure

    image = np.clip(coarse.astype(np.float64), 0.0, 1.0)
    reach = max(3, int(round(2 * LINE_REACH_MM / coarse_mm)) | 1)
    departure = image - _column_medians(image, reach)
    line = np.median(departure, axis=1)[:, None]
    image = np.clip(image - np.clip(departure, np.minimum(line, 0.0), np.maximum(line, 0.0)), 0, 1)
    kernel = max(8, int(EQUALISE_KERNEL_MM / coarse_mm))
    return exposure.equalize_adapthist(image, kernel_size=kernel, clip_limit=0.01).astype(
        np.float32
    )


def _column_medians(image: F64, size: int) -> F64:
    """Running median of `size` pixels down each column of `image`, its edge pixels
    repeated. One column at a time: scipy's one-dimensional median is about five
    times as fast as its n-dimensional one with a ``(size, 1)`` window, and gives the
    same values.

    >>> _column_medians(np.array([[0.0, 1.0], [9.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    columns = np.ascontiguousarray(image.T)
    return np.stack([ndimage.median_filter(c, size=size, mode="nearest") for c in columns], 1)


def _band_profile(
    image: F32, coarse_mm: float, column: Column, y0: float, y1: float, *, offset: float = 0.0
) -> F64:
    """Mean brightness of a band of :data:`JOINT_BAND_MM` either side of the column
    (shifted by `offset` mm along ``x``), one value per coarse row from `y0` to `y1`
    (mm), lightly smoothed."""
    rows = np.arange(int(y0 / coarse_mm), int(y1 / coarse_mm))
    rows = rows[(rows >= 0) & (rows < image.shape[0])]
    half = int(JOINT_BAND_MM / coarse_mm)
    out = np.empty(rows.size)
    for k, r in enumerate(rows):
        c = int((column.x_at((r + 0.5) * coarse_mm) + offset) / coarse_mm)
        band = image[r, max(0, c - half) : max(0, c + half + 1)]
        out[k] = band.mean() if band.size else 0.0
    return ndimage.gaussian_filter1d(out, 1.0 / coarse_mm) if out.size else out


def joint_gaps(profile: F64, coarse_mm: float) -> F64:
    """Depth of each row of `profile` as a joint gap: the brightest bone within
    :data:`JOINT_GAP_MM` above and below, the darker of the two, minus the row
    (``-inf`` near the ends).

    >>> p = np.r_[np.full(20, 0.8), 0.5, 0.3, 0.5, np.full(20, 0.7)]
    >>> int(np.argmax(joint_gaps(p, 1.0))), round(float(joint_gaps(p, 1.0).max()), 2)
    (21, 0.4)
    """
    near, far = (max(1, int(round(r / coarse_mm))) for r in JOINT_GAP_MM)
    n = profile.size
    depth = np.full(n, -np.inf)
    for k in range(far, n - far):
        above = profile[k - far : k - near + 1].max()
        below = profile[k + near : k + far + 1].max()
        depth[k] = min(above, below) - profile[k]
    return depth


def _row_around(
    image: F32, coarse_mm: float, y: float, x: float
) -> tuple[F32, int, int, int] | None:
    """Row `y` (mm) of `image`, 3 rows averaged, with the column of `x` and the
    columns ``[lo, hi)`` within :data:`MAX_HALF_WIDTH_MM` of it; None near the film's
    edges."""
    r = int(y / coarse_mm)
    if not 1 <= r < image.shape[0] - 1:
        return None
    line = image[r - 1 : r + 2].mean(axis=0)
    c = int(x / coarse_mm)
    reach = int(MAX_HALF_WIDTH_MM / coarse_mm)
    lo, hi = max(0, c - reach), min(line.size, c + reach + 1)
    if hi - lo < 10 or not lo <= c < hi:
        return None
    return line, c, lo, hi


def bone_extent(image: F32, coarse_mm: float, y: float, x: float) -> tuple[float, float] | None:
    """Outer edges ``(x_left, x_right)`` (mm) of the bone crossing row `y` at `x`.

    From `x`, outward on each side, the first place where the row (3 rows averaged)
    falls below halfway between the bone's level (around `x`) and the darkest soft
    tissue within :data:`MAX_HALF_WIDTH_MM`, for 3 pixels running. None when either
    side never falls.

    >>> row = np.full((5, 200), 0.2, np.float32); row[:, 80:130] = 0.9
    >>> bone_extent(row, 1.0, 2.5, 100.0)
    (80.0, 130.0)
    """
    row = _row_around(image, coarse_mm, y, x)
    if row is None:
        return None
    line, c, lo, hi = row
    core = line[max(lo, c - 3) : c + 4].mean()
    level = 0.5 * (core + line[lo:hi].min())
    below = line < level
    run = np.convolve(below, np.ones(3), mode="same") >= 3
    left = np.flatnonzero(run[lo:c])
    right = np.flatnonzero(run[c:hi])
    if left.size == 0 or right.size == 0:
        return None
    # a run is centred on its middle pixel: the bone begins after its far end
    return float((lo + left[-1] + 2) * coarse_mm), float((c + right[0] - 1) * coarse_mm)


CONDYLES_ABOVE_MM = 10.0
"""Height (mm) above the condyles' lowest points at which their width is read: the
distal femur is near its widest there (the epicondyles), well below the metaphysis."""

CONDYLES_TO_SHAFT = 2.0
"""Least width of the distal femur (read :data:`CONDYLES_ABOVE_MM` above the condyles)
over its diaphysis's width: a distal femur is 2.5 to 3.5 times as wide as its shaft;
2 leaves room for a faint outline read short. A "knee" read on the femoral shaft
(the joint looked for too high) is about 1 time as wide."""


def condyles_wide(
    image: F32, coarse_mm: float, y_mm: float, x_shaft: float, shaft_mm: float
) -> bool:
    """Whether the bone at height `y_mm` (mm; :data:`CONDYLES_ABOVE_MM` above the
    condyles' lowest points) is as wide as a distal femur on a femoral shaft
    `shaft_mm` wide.

    The outline (:func:`bone_extent` of the equalised film `image`) is read from the
    femoral shaft's axis `x_shaft` (mm) at that height, and must be
    :data:`CONDYLES_TO_SHAFT` times `shaft_mm` at least.

    >>> film = np.full((200, 200), 0.2, np.float32); film[:100, 85:115] = 0.9
    >>> film[100:, 60:140] = 0.9  # a shaft 30 mm wide, an 80 mm wide end below it
    >>> condyles_wide(film, 1.0, 150.0 - CONDYLES_ABOVE_MM, 100.0, 30.0)
    True
    >>> condyles_wide(film, 1.0, 95.0 - CONDYLES_ABOVE_MM, 100.0, 30.0)
    False
    """
    extent = bone_extent(image, coarse_mm, y_mm, x_shaft)
    return extent is not None and extent[1] - extent[0] >= CONDYLES_TO_SHAFT * shaft_mm


KNEE_SHARES = (0.42, 0.74)
"""Where the knee's joint gap is looked for, as shares of the film's content height
(:data:`SHAFT_SHARES` leaves it between the two diaphyses)."""

KNEE_WIDTH_MM = (55.0, 150.0)
"""Plausible width (mm) of the condyles and of the plateau on the film: adult condyles
are 70-95 mm wide, magnified 1.05-1.2 on a standing film, with room for a spacing
25 % off (a film without one is read at a spacing assumed from its size); the
outline read here also takes in the blur of the cortex. At 130 mm the knees of the
digital OAI long-leg film (about 110 mm at its ruler's spacing) were lost at a spacing
10 % too large, and a gap 100 mm lower, across the tibia's metaphysis, taken instead."""

OUTLINE_MARGIN_MM = 20.0
"""How far (mm) past half the widest knee an outline is looked for: the column runs
along the brightest bone, not always down the knee's middle."""

MAX_HALF_WIDTH_MM = KNEE_WIDTH_MM[1] / 2 + OUTLINE_MARGIN_MM
"""How far (mm) from the column a knee's or an ankle's outline is looked for: half the
widest knee (:data:`KNEE_WIDTH_MM`) plus :data:`OUTLINE_MARGIN_MM`. At 70 mm the outline
of a 110 mm knee read with a spacing 10 % too large fell outside it and the knee's gap
was lost."""

FLANK_OFFSET_MM = 75.0
"""Distance (mm) from the column of the soft-tissue bands whose own valleys are taken
off a joint gap's depth (beyond a knee's or an ankle's half-width)."""

ANKLE_WIDTH_MM = (40.0, 95.0)
"""Plausible width (mm) of the ankle's bones (malleoli and talus) on the film."""

ANKLE_SEARCH_SHARES = (0.76, 0.86)
"""Where the searches for the ankle's gap start down the column, as shares of the
film's content height: the middle and the end of the tibial diaphysis's stretch
(:data:`SHAFT_SHARES`); the gaps of both are candidates, highest first. The plafond
lies below the middle on every standing film, 100 mm and more down the shaft, but it
can lie above the stretch's end: on a film that shows the feet on a positioning board
the ankle joint falls at 85 % of the height, and a search started at 86 % read the
board's edges in the foot as the ankle (63 and 140 mm off). From the middle, a line
across the shaft deeper than a faint joint can set the depth the joint must reach
(:data:`FIRST_GAP_SHARE`) and hide it; the search from the end still sees it."""

FIRST_GAP_SHARE = 0.5
"""Below the tibia, the ankle is the first joint gap, not the deepest: a film that
shows the whole foot has gaps as deep or deeper below the talus (subtalar, midtarsal,
the sole against the floor). The ankle's gap is the highest of those at least this
share as deep as the deepest; the malleoli overlapping the talar dome make it the
shallower of them on many films."""

FAINT_GAP_DEPTH = 0.015
"""Least depth of a joint gap (a share of the film's grey range) for it to stand in
where every deep gap was rejected (a tibia that does not fit its femur: the board
under the feet, a joint of the foot). The malleoli overlap the ankle's gap on an AP
film, and a contrast-equalised (CLAHE) or JPEG-exported film keeps 2 to 3 % of its
range across it; the sole and a positioning board can be several times deeper."""

ANKLE_CONTRAST_SHARE = 2.0 / 3.0
"""Least share of the tibial shaft's contrast (:func:`bone_contrast`) that the bones
below an ankle's gap keep. The limb narrows from the calf to the ankle and the
malleoli and the talus are as dense as the shaft, so the film beside the ankle is as
dark, against its bone, as beside the shaft; the third left over allows for the
contrast equalisation (CLAHE) changing from tile to tile. A row across a foot
standing on a positioning board, or across the board, is bright all the way: it keeps
far less (the board of a stitched film was read as the right ankle, 140 mm low)."""

SHAFT_CONTRAST_MM = 60.0
"""Length (mm) of the tibial shaft, from where the ankle's search starts, over which
its contrast is read (the median of rows 2 mm apart)."""


def bone_contrast(image: F32, coarse_mm: float, y: float, x: float) -> float:
    """How much the bone crossing row `y` (mm) at `x` stands out from the film beside
    it: one less the darkest of the row within :data:`MAX_HALF_WIDTH_MM` of `x` over
    the bone's level (the row around `x`; 3 rows averaged). NaN near the film's edges.

    >>> row = np.full((5, 200), 0.2, np.float32); row[:, 80:130] = 0.8
    >>> round(bone_contrast(row, 1.0, 2.5, 100.0), 2)  # air beside the bone
    0.75
    >>> round(bone_contrast(row + 0.4, 1.0, 2.5, 100.0), 2)  # a board under it all
    0.5
    """
    row = _row_around(image, coarse_mm, y, x)
    if row is None:
        return float("nan")
    line, c, lo, hi = row
    return float(1.0 - line[lo:hi].min() / max(float(line[max(lo, c - 3) : c + 4].mean()), 1e-6))


FLANK_CLEAR_SHARE = 0.25
"""Largest depth of the soft tissue's valley beside a joint gap, as a share of the
gap's own depth, for a film-wide line there to be ruled out as the gap's cause
(:func:`_flanks_clear`)."""

FLANK_REACH_MM = 2.0
"""A film-wide line's valley in the soft tissue is looked for this far (mm) above and
below the gap's row: over bone and soft tissue the same line's valley is read a row or
two apart."""


def _flanks_clear(
    column: Column, y: float, lit: tuple[float, float], flank_depths: list[float], depth: float
) -> bool:
    """Whether the soft tissue beside a joint gap at height `y` (mm) on `column` shows
    that no line across the film made it: a flank band (:data:`FLANK_OFFSET_MM` to
    one side, :data:`JOINT_BAND_MM` either side of that) lies wholly on the film's
    content, between ``lit = (x0, x1)`` (mm), and its own valley there
    (`flank_depths`, that side's first) is at most :data:`FLANK_CLEAR_SHARE` of the
    gap's `depth`.

    A seam or a grid line crosses the soft tissue as it crosses the bone; a joint gap
    darkens the bone only. On a stitched long-leg film grid lines come every 100 mm
    or so, and the knee's gap of a development film lay on one (its knee centres were
    read 20 mm low, on the tibia's metaphysis). Where no flank is on the film (a
    single-leg crop cut close to the limb) a gap near a seam stays unread.

    >>> column = Column(np.array([0.0, 500.0]), np.array([100.0, 100.0]), np.zeros(2))
    >>> _flanks_clear(column, 250.0, (0.0, 300.0), [0.0, 0.01], 0.05)
    True
    >>> _flanks_clear(column, 250.0, (0.0, 300.0), [0.03, 0.04], 0.05)  # a line
    False
    >>> _flanks_clear(column, 250.0, (50.0, 150.0), [0.0, 0.0], 0.05)  # off the film
    False
    """
    x = column.x_at(y)
    return any(
        lit[0] <= x + side * FLANK_OFFSET_MM - JOINT_BAND_MM
        and x + side * FLANK_OFFSET_MM + JOINT_BAND_MM <= lit[1]
        and flank <= FLANK_CLEAR_SHARE * depth
        for side, flank in zip((-1.0, 1.0), flank_depths, strict=True)
    )


def _joints(
    image: F32,
    coarse_mm: float,
    column: Column,
    span: tuple[float, float],
    width_mm: tuple[float, float],
    sides: tuple[float, ...],
    *,
    first: bool = False,
    seams: F64 | None = None,
    least_contrast: float | None = None,
    least_depth: float = 0.0,
) -> list[tuple[float, list[tuple[float, float]]]]:
    """The joint gaps along `column` within `span` (mm) whose bones, read
    :data:`EXTENT_OFFSET_MM` above (side -1) and/or below (side +1) them, are each
    `width_mm` wide: ``(y_mm, [extent per side])`` each, deepest first; with `first`,
    those at least :data:`FIRST_GAP_SHARE` as deep as the deepest of them, highest
    first (a seam, a line of the film or the sole deeper than any joint, with no bone
    of a joint's width beside it, does not set the depth a joint must reach).
    A gap's depth is taken less that of the same rows in the soft tissue
    :data:`FLANK_OFFSET_MM` to either side (a line across the whole film is no
    joint), and a gap near one of the film's `seams` (:func:`.legs.film_seams`) is
    none unless the soft tissue beside it, on the film, shows no line there
    (:func:`_flanks_clear`): on a single-leg crop the soft tissue beside the bone,
    where a seam would show, may be off the film. With `least_contrast`, a bone that
    stands out less from the film beside it (:func:`bone_contrast`) is none of a
    joint's; a gap less than `least_depth` deep is none."""
    profile = _band_profile(image, coarse_mm, column, *span)
    gap = depth = joint_gaps(profile, coarse_mm)
    # a seam or a grid line crosses the soft tissue beside the bone too; a joint
    # gap does not: the flanks' own valleys are taken off
    flanks = [
        joint_gaps(
            _band_profile(image, coarse_mm, column, *span, offset=side * FLANK_OFFSET_MM),
            coarse_mm,
        )
        for side in (-1.0, 1.0)
    ]
    lit = (0.0, 0.0)
    if seams is not None:  # the flanks beside a gap near a seam must lie on the film
        x0, _, x1, _ = content_box(image, coarse_mm)
        lit = (x0, x1)
    reach = max(1, round(FLANK_REACH_MM / coarse_mm))
    depth = depth - np.clip(np.maximum(*flanks), 0.0, None)
    valleys = [
        k
        for k in range(1, depth.size - 1)
        if depth[k] > least_depth and depth[k] >= depth[k - 1] and depth[k] >= depth[k + 1]
    ]
    found: list[tuple[float, list[tuple[float, float]]]] = []
    deepest = 0.0
    for k in sorted(valleys, key=lambda k: -depth[k]):
        if first and depth[k] < FIRST_GAP_SHARE * deepest:
            break
        y = span[0] + (k + 0.5) * coarse_mm
        if (
            seams is not None
            and near_seam(np.array(y), seams)
            and not _flanks_clear(
                column,
                y,
                lit,
                [f[max(0, k - reach) : k + reach + 1].max() for f in flanks],
                gap[k],
            )
        ):
            continue
        extents = []
        for side in sides:
            level = y + side * EXTENT_OFFSET_MM
            x_level = column.x_at(level)
            extent = bone_extent(image, coarse_mm, level, x_level)
            if extent is None or not width_mm[0] <= extent[1] - extent[0] <= width_mm[1]:
                break
            if least_contrast is not None and not (
                bone_contrast(image, coarse_mm, level, x_level) >= least_contrast
            ):
                break
            extents.append(extent)
        else:
            found.append((y, extents))
            deepest = max(deepest, float(depth[k]))
    return sorted(found, key=lambda f: f[0]) if first else found


KNEE_MIDDLES_MM = 8.0
"""Largest distance across (mm) between the middles of the condyles' and the plateau's
outlines that both are taken as read: the tibial spines stand under the notch's apex
(within about 4 mm on the development films' references) and a subluxed tibia of an
arthritic knee moves by up to about 8 mm."""

ONE_CONDYLE_SHARE = 0.7
"""Widest outline of the condyles, as a share of the plateau's, that is one condyle
only. Just above the joint's gap the intercondylar notch parts the condyles (its width
is about a quarter of the condyles', so each condyle is about 0.35-0.45 of it; the
soft tissue's blur at the outer edge adds a little), and the outline walked out from a
column running down one condyle stops at the notch. The condyles and the plateau are
about equally wide (0.9-1.1), and an outline run on into something bright beside the
bone (a ruler, the limb's outline) is wider by at most a ruler's width: at least 0.8 of
the other."""


def knee_middles(above: tuple[float, float], below: tuple[float, float]) -> tuple[float, float]:
    """The middles ``(x_femur, x_tibia)`` (mm) of the condyles' outline `above` the
    knee's gap and the plateau's outline `below` it (each ``(x_left, x_right)``, mm).

    The condyles and the plateau are about equally wide and face each other. A
    condyles' outline at most :data:`ONE_CONDYLE_SHARE` as wide as the plateau's and
    lying within it (give or take :data:`KNEE_MIDDLES_MM`) is one condyle, cut off at
    the intercondylar notch: both centres are the plateau's middle (the plateau has no
    notch). Otherwise, middles more than :data:`KNEE_MIDDLES_MM` apart, with the wider
    outline wider by more than that, mean one outline ran on past its bone into
    something bright beside it (the limb's outline on a faint film, a ruler): both
    centres are then the narrower outline's middle. A tibia shifted across under the
    femur keeps both outlines equally wide, and both middles.

    >>> knee_middles((30.0, 110.0), (32.0, 112.0))
    (70.0, 72.0)
    >>> knee_middles((5.0, 95.0), (30.0, 100.0))
    (65.0, 65.0)
    >>> knee_middles((45.0, 106.0), (48.0, 164.0))  # the lateral condyle only
    (106.0, 106.0)
    """
    middles = (0.5 * (above[0] + above[1]), 0.5 * (below[0] + below[1]))
    widths = (above[1] - above[0], below[1] - below[0])
    inside = above[0] >= below[0] - KNEE_MIDDLES_MM and above[1] <= below[1] + KNEE_MIDDLES_MM
    if widths[0] <= ONE_CONDYLE_SHARE * widths[1] and inside:
        return middles[1], middles[1]
    apart = abs(middles[0] - middles[1])
    if apart <= KNEE_MIDDLES_MM or abs(widths[0] - widths[1]) <= apart:
        return middles
    narrower = middles[int(np.argmin(widths))]
    return narrower, narrower


@dataclass(frozen=True)
class ColumnLeg:
    """Landmarks read on one leg's column (mm on the film), and why others were not.

    Attributes
    ----------
    points : dict of str to numpy.ndarray
        ``femoral_knee_center``, ``tibial_knee_center`` and ``ankle_center`` where found.
    reasons : dict of str to str
        Why a landmark was not read.
    ankles : tuple of numpy.ndarray
        Every ankle centre read on a joint gap below the tibia, in the order they are
        tried (:func:`_ankle_gaps`: the deep gaps highest first, then the faint ones
        deepest first): the first is ``points["ankle_center"]``, the others stand in
        where it makes a tibia that does not fit its femur.
    """

    points: dict[str, F64]
    reasons: dict[str, str]
    ankles: tuple[F64, ...] = ()


def read_column_leg(
    coarse: F32,
    coarse_mm: float,
    column: Column,
    *,
    image: F32 | None = None,
    seams: F64 | None = None,
) -> ColumnLeg:
    """Read the knee's and the ankle's centres of a leg on its column.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float
    column : Column
        The leg's column (:func:`column_legs`).
    image : numpy.ndarray, shape (m, n), optional
        :func:`equalised` of `coarse`, where the caller has it for the whole film;
        worked out here otherwise.
    seams : numpy.ndarray, shape (k,), optional
        :func:`.legs.film_seams` of `coarse` (mm), likewise.

    Returns
    -------
    ColumnLeg

    Notes
    -----
    The knee's joint gap is the deepest dark valley (:func:`joint_gaps`) of a band
    along the column within :data:`KNEE_SHARES` of the film; the knee centres lie at
    the middle of the condyles' and of the plateau's outline (:func:`bone_extent`)
    :data:`EXTENT_OFFSET_MM` above and below it. The ankle's gap is the first deep
    valley below the tibial diaphysis; its centre is the middle of the malleoli and
    the talus just below it (the midpoint of the transmalleolar width), the highest
    gap of the deep ones (:data:`FIRST_GAP_SHARE`), not the deepest, whose bones
    stand out from the film beside them (:data:`ANKLE_CONTRAST_SHARE`).
    """
    points: dict[str, F64] = {}
    reasons: dict[str, str] = {}
    rows = film_rows(coarse)
    if image is None:
        image = equalised(coarse, coarse_mm)
    if seams is None:
        seams = film_seams(coarse, coarse_mm)
    y_first = rows[0] * coarse_mm
    height = (rows[1] - rows[0] + 1) * coarse_mm
    k0, k1 = (y_first + s * height for s in KNEE_SHARES)
    knees = _joints(
        image,
        coarse_mm,
        column,
        (k0, k1),
        KNEE_WIDTH_MM,
        (-1.0, 1.0),
        seams=seams,
    )
    if not knees:
        for name in ("femoral_knee_center", "tibial_knee_center"):
            reasons[name] = (
                "no joint gap with condyles above and a plateau below it between the "
                "femoral and tibial diaphyses"
            )
    else:
        y, (above, below) = knees[0]
        x_femur, x_tibia = knee_middles(above, below)
        points["femoral_knee_center"] = np.array([x_femur, y - 1.0])
        points["tibial_knee_center"] = np.array([x_tibia, y + 1.0])
    ankles = _ankle_gaps(image, coarse_mm, column, y_first, height)
    if ankles:
        points["ankle_center"] = ankles[0]
    else:
        reasons["ankle_center"] = (
            "no joint gap with the talus below it under the tibial diaphysis "
            "(film cut above the ankle?)"
        )
    return ColumnLeg(points, reasons, ankles)


def _ankle_gaps(
    image: F32, coarse_mm: float, column: Column, y_first: float, height: float
) -> tuple[F64, ...]:
    """Ankle centres (mm) read on the joint gaps below the tibia of `column`, in the
    order they are to be tried: the deep gaps (:data:`FIRST_GAP_SHARE`) of the
    searches from :data:`ANKLE_SEARCH_SHARES` of the content's `height` (from
    `y_first`, mm), highest first, then the fainter ones (at least
    :data:`FAINT_GAP_DEPTH`), deepest first. Each centre is the middle of the talus'
    and malleoli's outline below its gap, whose bone keeps
    :data:`ANKLE_CONTRAST_SHARE` of the tibial shaft's contrast with the film beside
    it (read over :data:`SHAFT_CONTRAST_MM` from the first search's start)."""
    spans = [(y_first + share * height, y_first + height) for share in ANKLE_SEARCH_SHARES]
    shaft = [
        bone_contrast(image, coarse_mm, y, column.x_at(y))
        for y in np.arange(spans[0][0], spans[0][0] + SHAFT_CONTRAST_MM, 2.0)
    ]
    least = ANKLE_CONTRAST_SHARE * float(np.nanmedian(shaft)) if np.isfinite(shaft).any() else 0.0
    deep = [
        gap
        for span in spans
        for gap in _joints(
            image,
            coarse_mm,
            column,
            span,
            ANKLE_WIDTH_MM,
            (1.0,),
            first=True,
            least_contrast=least,
        )
    ]
    faint = _joints(
        image,
        coarse_mm,
        column,
        spans[0],
        ANKLE_WIDTH_MM,
        (1.0,),
        least_contrast=least,
        least_depth=FAINT_GAP_DEPTH,
    )
    found: dict[float, F64] = {}
    for y, (below,) in sorted(deep, key=lambda gap: gap[0]) + faint:
        if all(abs(y - other) > coarse_mm for other in found):
            found[y] = np.array([0.5 * (below[0] + below[1]), y])
    return tuple(found.values())
