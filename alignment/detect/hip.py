"""The femoral head: a circle found by Hough on the coarse film, refined by a robust
least-squares fit to radial edges at full resolution.

The femoral diaphysis is first followed up the film to its proximal end
(:func:`.shaft.trace_shaft_end`); the coarse search looks above that end, on the medial side
when it is known (else on both), for circles of radius 16 to 34 mm (heads of adult femurs,
magnified), up to :data:`HOUGH_PEAKS` of them. The refinement reads 90 rays from the
coarse centre and takes, on each, the strongest falling edge (bright head to darker
surroundings) within 20 % of the coarse radius, so the acetabular roof and the neck
rarely compete; the circle is then fitted to these points, dropping those more than
2.5 robust SDs off (Kasa fit).

Examples
--------
>>> import numpy as np
>>> from alignment.detect._image import Work
>>> yy, xx = np.mgrid[0:400, 0:400]
>>> image = np.where((xx - 199.5) ** 2 + (yy - 149.5) ** 2 < 48**2, 900, 200).astype(np.uint16)
>>> work = Work.of(image, (0.5, 0.5), coarse_mm=1.0)
>>> head = refine_head(work, np.array([98.0, 76.0]), 23.0)
>>> [round(float(v), 1) for v in (*head.centre, head.radius_mm)]
[100.0, 75.0, 24.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage import exposure
from skimage.feature import canny
from skimage.transform import hough_circle

from alignment.detect._image import Work, circle_fit, mad_sd, subpixel_offset

__all__ = [
    "HeadFit",
    "circle_peaks",
    "find_head_coarse",
    "refine_head",
    "rim_polarity",
]

F64 = NDArray[np.float64]

HOUGH_PEAKS = 30
"""Circles taken from the Hough accumulator. The pelvis' texture and the trochanters
give many circles of their own; a head that overlaps the acetabulum (its upper outline
lost) may rank well below ten."""

HEAD_RMS_SCALE_MM = 1.2
"""Scale of the circle fit's RMS residual in the head's confidence. The trabecular
texture scatters the edge points of a correct head by up to about 1.3 mm RMS (on
phantom films, heads within 4 mm of the truth had up to 1.4 mm); a fit to the
acetabulum, the pelvis or a trochanter scatters by more and covers fewer rays."""


@dataclass(frozen=True)
class HeadFit:
    """A femoral head (mm on the film).

    Attributes
    ----------
    centre : numpy.ndarray, shape (2,)
    radius_mm : float
    rms_mm : float
        RMS radial residual of the edge points kept.
    coverage : float
        Share of the rays whose edge was kept, in [0, 1].
    """

    centre: F64
    radius_mm: float
    rms_mm: float
    coverage: float

    def confidence(self) -> float:
        """Confidence in [0, 1] from the coverage and the residual
        (:data:`HEAD_RMS_SCALE_MM`)."""
        fit = float(np.exp(-((self.rms_mm / HEAD_RMS_SCALE_MM) ** 2)))
        return float(np.clip(self.coverage * 1.4 - 0.2, 0.0, 1.0) * (0.4 + 0.6 * fit))


HEAD_WINDOW_MM = {"above": (10.0, 110.0), "medial": (10.0, 95.0)}
"""Where the femoral head's centre is looked for, in the frame of the femoral shaft's
axis (mm): ``above`` along the axis over the diaphysis' proximal end
(:func:`.shaft.trace_shaft_end`), ``medial`` square to it toward the body's midline. Anatomy,
not the film, sets these: the diaphysis ends where its medial cortex flares into the
lesser trochanter and the neck; the head sits on a neck of 125-135 degrees, 40-90 mm
above that level and 35-55 mm medial of the anatomical axis on the film (femoral
offset, magnified), level with the greater trochanter's tip; the iliac crest, the
acetabular roof and the obturator foramen lie above or medial of that window."""

FIELD_MARGIN_MM = 3.0
"""Least distance (mm) of a femoral head's rim from the edge of the film's content
(:func:`~alignment.detect._image.content_box`): the coarse search's edge detector
smooths over 1.5 mm, so a circle whose rim comes nearer takes votes from the field's
straight edge, not from the film inside it."""


HEAD_OFFSET_MM = (45.0, 25.0)
"""Expected medial offset of the head's centre from the shaft's axis and its spread
(mm): candidates are ranked by their Hough votes times this Gaussian prior and
:data:`HEAD_ABOVE_MM`'s."""

HEAD_ABOVE_MM = (55.0, 20.0)
"""Expected height of the head's centre over the diaphysis' proximal end
(:func:`.shaft.trace_shaft_end`) and its spread (mm): the lesser trochanter lies 50-60 mm
below the head's centre in adults, 10-20 % more on a standing film, and the traced end
within a step or two of it (38-57 mm on four legs of real long-leg films). The
ischium and the obturator foramen's rim, level with the lesser trochanter, and the
ilium, over the acetabulum, score less."""

EDGE_PERCENTILES = (75.0, 90.0)
"""Canny's low and high thresholds as percentiles of the window's gradient magnitude
(after local contrast equalisation): a real head's outline is faint (a few grey
levels against the acetabulum), so fixed thresholds miss it on one film and drown in
texture on the next."""


RIM_BAND = (0.8, 1.2)
"""Radii, as shares of a circle's radius, at which the film inside and outside its rim
is compared by :func:`rim_polarity`."""


def rim_polarity(
    coarse: NDArray[np.float32], coarse_mm: float, centre: F64, radius_mm: float
) -> float:
    """Share of a circle's rim where the film is brighter inside than outside.

    A femoral head is a ball of bone: along most of its rim the film is brighter just
    inside (bone, or bone under the acetabulum's overlap) than just outside (the joint
    space, the soft tissue, the acetabular roof alone). Circles that an edge detector
    also finds have the other polarity over much of their rim: the obturator
    foramen (a dark hole in bright bone), an arc of the acetabular rim or of the
    iliac crest whose circle lies in darker tissue below or beside the bone.

    Parameters
    ----------
    coarse : numpy.ndarray, shape (m, n)
        Normalised film on square pixels of `coarse_mm` (bone bright).
    coarse_mm : float
    centre : numpy.ndarray, shape (2,)
        Circle centre, mm.
    radius_mm : float

    Returns
    -------
    float
        In [0, 1]: the share of 48 rays along which the film at
        :data:`RIM_BAND` ``[0]`` of the radius is brighter than at ``[1]``; rays
        leaving the film do not count.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:100, 0:100]
    >>> ball = np.where((xx - 50) ** 2 + (yy - 50) ** 2 < 20**2, 0.8, 0.2).astype(np.float32)
    >>> rim_polarity(ball, 1.0, np.array([50.0, 50.0]), 20.0)
    1.0
    >>> rim_polarity(1 - ball, 1.0, np.array([50.0, 50.0]), 20.0)
    0.0
    """
    angles = np.linspace(0.0, 2.0 * np.pi, 48, endpoint=False)
    u = np.column_stack([np.cos(angles), np.sin(angles)])
    inner, outer = (np.asarray(centre) + f * radius_mm * u for f in RIM_BAND)
    shape = np.array(coarse.shape[::-1], float) * coarse_mm
    seen = np.all((outer >= 0) & (outer < shape) & (inner >= 0) & (inner < shape), axis=1)
    if not seen.any():
        return 0.0
    values = [
        ndimage.map_coordinates(
            coarse, [p[seen, 1] / coarse_mm - 0.5, p[seen, 0] / coarse_mm - 0.5], order=1
        )
        for p in (inner, outer)
    ]
    return float(np.mean(values[0] > values[1]))


def find_head_coarse(
    coarse: NDArray[np.float32],
    coarse_mm: float,
    shaft_top: F64,
    *,
    medial_x: float | None,
    direction: F64 | None = None,
    radii_mm: tuple[float, float] = (16.0, 34.0),
    mirrored: bool = False,
    lead: tuple[float, float] = (0.0, 0.0),
) -> list[tuple[F64, float, float]]:
    """Circles in the femoral head's window above the shaft, best first:
    ``(centre_mm, r_mm, score)`` each.

    Parameters
    ----------
    coarse : numpy.ndarray
        Normalised film on square pixels of `coarse_mm`.
    shaft_top : numpy.ndarray, shape (2,)
        The femoral diaphysis' proximal end (mm, :func:`.shaft.trace_shaft_end`), on its
        axis.
    medial_x : float or None
        +1 or -1: the medial side is toward larger or smaller ``x``; None for unknown
        (both sides are searched).
    direction : numpy.ndarray, shape (2,), optional
        The shaft axis' direction; default vertical. The window
        (:data:`HEAD_WINDOW_MM`) follows it.
    mirrored : bool
        Read the window mirrored left-right (the circles are returned on the film).
    lead : (float, float)
        Start the window this share of a contrast tile (CLAHE's) further left and up.
        A mirrored or led window lays its tiles and rounds its edges and votes
        otherwise: another reading of the same head.

    Returns
    -------
    list of (numpy.ndarray, float, float)
        Centre (mm), radius (mm) and score: the share of the circle's perimeter on an
        edge times its rim polarity (:func:`rim_polarity`) times the offset and
        height priors (:data:`HEAD_OFFSET_MM`, :data:`HEAD_ABOVE_MM`).
    """
    d = np.array([0.0, 1.0]) if direction is None else np.asarray(direction, float)
    d = d / np.linalg.norm(d) * (1.0 if d[1] >= 0 else -1.0)  # down the film
    up = -d
    (a0, a1), (m0, m1) = HEAD_WINDOW_MM["above"], HEAD_WINDOW_MM["medial"]
    sides = (-1.0, 1.0) if medial_x is None else (float(np.sign(medial_x)),)
    corners = np.array(
        [
            shaft_top + a * up + np.array([s * m, 0.0])
            for a in (a0, a1)
            for m in (m0, m1)
            for s in sides
        ]
    )
    pad = radii_mm[1]
    x_lo, y_lo = corners.min(axis=0) - pad
    x_hi, y_hi = corners.max(axis=0) + pad
    tile = max(8, int(32 / coarse_mm))
    c0 = max(0, int(x_lo / coarse_mm) - int(lead[0] * tile))
    r0 = max(0, int(y_lo / coarse_mm) - int(lead[1] * tile))
    c1, r1 = (
        min(coarse.shape[1], int(x_hi / coarse_mm)),
        min(coarse.shape[0], int(y_hi / coarse_mm)),
    )
    if c1 - c0 < 20 or r1 - r0 < 20:
        return []
    patch = coarse[r0:r1, c0:c1].astype(float)
    if mirrored:
        patch = patch[:, ::-1]
    equalised = exposure.equalize_adapthist(
        np.clip(patch, 0.0, 1.0), kernel_size=tile, clip_limit=0.02
    )
    gradient = np.hypot(*np.gradient(ndimage.gaussian_filter(equalised, 1.5)))
    low, high = np.percentile(gradient, EDGE_PERCENTILES)
    edges = canny(equalised, sigma=1.5, low_threshold=low, high_threshold=high)
    if edges.sum() < 20:
        return []
    radii = np.arange(radii_mm[0], radii_mm[1] + 0.1, 1.0) / coarse_mm
    acc = hough_circle(edges, radii)  # votes are shares of each circle's perimeter
    cx, cy, rr = circle_peaks(acc, radii, HOUGH_PEAKS, apart=5)
    found: list[tuple[F64, float, float]] = []
    expected, spread = HEAD_OFFSET_MM
    for x, y, r in zip(cx, cy, rr, strict=True):
        votes = float(acc[list(radii).index(r), y, x])
        column = c1 - 1 - x if mirrored else c0 + x
        centre = np.array([(column + 0.5) * coarse_mm, (y + r0 + 0.5) * coarse_mm])
        rel = centre - shaft_top
        above = float(rel @ up)
        offset = float(rel[0] - (rel @ d) * d[0]) if abs(d[1]) > 0 else float(rel[0])
        if not a0 <= above <= a1:
            continue
        medial = max(s * offset for s in sides)
        if not m0 <= medial <= m1:
            continue
        prior = float(
            np.exp(-0.5 * ((medial - expected) / spread) ** 2)
            * np.exp(-0.5 * ((above - HEAD_ABOVE_MM[0]) / HEAD_ABOVE_MM[1]) ** 2)
        )
        polarity = rim_polarity(coarse, coarse_mm, centre, float(r * coarse_mm))
        found.append((centre, float(r * coarse_mm), votes * polarity * prior))
    found.sort(key=lambda f: -f[2])
    return found


def circle_peaks(
    accumulator: NDArray[np.floating], radii: F64, count: int, *, apart: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], F64]:
    """The strongest circles of a Hough accumulator, none within `apart` of a stronger one.

    The same peaks, in the same order, as :func:`skimage.transform.hough_circle_peaks`
    with ``total_num_peaks=count`` and ``min_xdistance=min_ydistance=apart`` at the
    ``apart=5`` used here (tested), at a fraction of its time: skimage builds a
    ``regionprops`` object for every local maximum of every radius' slice, and that was
    a third of a long-leg film's detection. Each slice keeps its local maxima (in a
    square of side ``2 * apart + 1``) above half its largest vote, each plateau at its
    rounded centroid, and suppresses, strongest first, the neighbourhood of every one it
    keeps. Like skimage, that neighbourhood skips the slice's first row and wraps across
    its left and right edges (skimage's peak picker also serves Hough line spaces, whose
    columns are angles), so a circle near a patch's edge is kept or dropped as skimage
    would. The slices' peaks are then taken, largest vote first (sorted in the
    accumulator's dtype, as skimage sorts them: ties fall in another order in another
    dtype), up to `count` of them, none within `apart` (in both x and y) of one taken
    before. At some other `apart` skimage differs: at 1 it skips that last step, at 3
    and 6 its search radius ``hypot(apart, apart)`` rounds just short of the square's
    corners, and it fails on a slice narrower than `apart`.

    Parameters
    ----------
    accumulator : numpy.ndarray, shape (R, M, N)
        Votes, one slice per radius, as :func:`skimage.transform.hough_circle` gives.
    radii : numpy.ndarray, shape (R,)
    count : int
    apart : int
        Pixels.

    Returns
    -------
    cx, cy : numpy.ndarray of int
        Column and row of each circle's centre.
    radius : numpy.ndarray of float

    Examples
    --------
    >>> acc = np.zeros((2, 40, 40))
    >>> acc[0, 10, 10], acc[0, 12, 13], acc[1, 30, 20] = 0.9, 0.8, 0.7
    >>> cx, cy, radius = circle_peaks(acc, np.array([5.0, 6.0]), 5, apart=5)
    >>> cx.tolist(), cy.tolist(), radius.tolist()
    ([10, 20], [10, 30], [5.0, 6.0])
    """
    peaks = [
        (votes, x, y, radius)
        for radius, slice_ in zip(radii, accumulator, strict=True)
        for votes, x, y in _slice_peaks(slice_, apart)
    ]
    votes = np.array([p[0] for p in peaks], dtype=accumulator.dtype)
    peaks = [peaks[i] for i in np.argsort(votes)[::-1]]
    taken: list[tuple[float, int, int, float]] = []
    for peak in peaks:
        if len(taken) == count:
            break
        if not any(abs(peak[1] - t[1]) <= apart and abs(peak[2] - t[2]) <= apart for t in taken):
            taken.append(peak)
    table = np.array(taken, dtype=float).reshape(-1, 4)
    return table[:, 1].astype(np.intp), table[:, 2].astype(np.intp), table[:, 3]


def _slice_peaks(votes: NDArray[np.floating], apart: int) -> list[tuple[float, int, int]]:
    """One radius' peaks ``(votes, x, y)``, strongest first, as skimage's
    ``_prominent_peaks`` finds them (:func:`circle_peaks`)."""
    rows, cols = votes.shape
    threshold = 0.5 * votes.max()
    local_max = _window_max(votes, apart)
    labels, n = ndimage.label((votes == local_max) & (votes > threshold), np.ones((3, 3)))
    if n == 0:
        return []
    flat = labels.ravel()
    inside = flat > 0
    ys, xs = np.divmod(np.flatnonzero(inside), cols)
    pixels = np.bincount(flat[inside], minlength=n + 1)[1:]
    centre_y = np.round(np.bincount(flat[inside], ys, n + 1)[1:] / pixels).astype(np.intp)
    centre_x = np.round(np.bincount(flat[inside], xs, n + 1)[1:] / pixels).astype(np.intp)
    # a region's pixels are each other's neighbours, all equal to its maximum
    plateau = np.empty(n, dtype=local_max.dtype)
    plateau[flat[inside] - 1] = local_max.ravel()[inside]
    order = np.argsort(plateau, kind="stable")[::-1]
    above = local_max[centre_y, centre_x] > threshold
    # a peak whose square marks no other peak's centre, and whose centre no other
    # square marks, is taken or not on its own: only the others go through the loop
    cells, in_slice = _marked_cells(centre_y, centre_x, rows, cols, apart)
    alone = _alone(cells, in_slice, centre_y * cols + centre_x, rows * cols)
    suppressed = np.zeros(rows * cols, dtype=bool)
    taken = np.zeros(n, dtype=bool)
    for k in order:
        if alone[k]:
            taken[k] = above[k]
        elif not suppressed[centre_y[k] * cols + centre_x[k]] and above[k]:
            suppressed[cells[k][in_slice[k]]] = True
            taken[k] = True
    return [
        (float(local_max[centre_y[k], centre_x[k]]), int(centre_x[k]), int(centre_y[k]))
        for k in order
        if taken[k]
    ]


def _window_max(votes: NDArray[np.floating], apart: int) -> NDArray[np.floating]:
    """The largest of `votes` within `apart` of each cell, 0 beyond the slice's edges,
    as ``ndimage.maximum_filter(votes, 2 * apart + 1, mode="constant")``: by OpenCV's
    dilation where it takes the dtype (exact, several times faster)."""
    if votes.dtype not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        return ndimage.maximum_filter(votes, size=2 * apart + 1, mode="constant", cval=0.0)
    kernel = np.ones((2 * apart + 1, 2 * apart + 1), np.uint8)
    return np.asarray(
        cv2.dilate(votes, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0), votes.dtype
    )


def _marked_cells(
    y: NDArray[np.intp], x: NDArray[np.intp], rows: int, cols: int, apart: int
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """The flat indices of the cells each peak at ``(y, x)`` marks as suppressed, as
    skimage's ``_prominent_peaks`` does: the square within `apart`, less row 0 and the
    rows beyond the slice, its cells beyond a side wrapped to the other side at row
    ``rows - y``. Both arrays have shape ``(peaks, (2 * apart + 1) ** 2)``: the indices
    (0 where the cell is left out) and which of them are in the slice."""
    dy, dx = (d.ravel() for d in np.mgrid[-apart : apart + 1, -apart : apart + 1])
    ny, nx = y[:, None] + dy, x[:, None] + dx
    inside = (ny > 0) & (ny < rows)
    wrapped = (nx < 0) | (nx >= cols)
    ny = np.where(wrapped, rows - ny, ny)
    return np.where(inside, ny * cols + nx % cols, 0), inside


def _alone(
    cells: NDArray[np.intp], in_slice: NDArray[np.bool_], centres: NDArray[np.intp], size: int
) -> NDArray[np.bool_]:
    """Which peaks (flat `centres` on a slice of `size` cells) neither mark another
    peak's centre nor have theirs marked by another's (`cells` and `in_slice`,
    :func:`_marked_cells`; the marking can be one-way at row 0 and across the sides).
    Cells are counted with multiplicity (a narrow slice's square can hold one twice)
    and each peak's own marks are subtracted; an over-count could only send a peak
    through the loop, which is exact."""
    marks = np.bincount(cells[in_slice], minlength=size)
    occupied = np.bincount(centres, minlength=size)
    own = ((cells == centres[:, None]) & in_slice).sum(axis=1)
    marked_by_others = marks[centres] - own > 0
    marking_others = np.where(in_slice, occupied[cells], 0).sum(axis=1) - own > 0
    return ~(marked_by_others | marking_others)


def refine_head(work: Work, centre: F64, radius_mm: float, *, rays: int = 90) -> HeadFit | None:
    """Fit the head's circle to radial edges at full resolution.

    Parameters
    ----------
    work : Work
    centre : numpy.ndarray, shape (2,)
        Coarse centre, mm.
    radius_mm : float
        Coarse radius, mm.
    rays : int, optional

    Returns
    -------
    HeadFit or None
        None when fewer than a quarter of the rays give an edge.
    """
    c = np.asarray(centre, dtype=float)
    r = float(radius_mm)
    step = max(0.1, min(work.spacing_mm) * 0.75)
    for _ in range(2):
        angles = np.linspace(0, 2 * np.pi, rays, endpoint=False)
        u = np.column_stack([np.cos(angles), np.sin(angles)])
        radial = np.arange(0.75 * r, 1.3 * r, step)
        pts = c[None, None, :] + radial[None, :, None] * u[:, None, :]
        values = work.sample(pts)
        if np.isnan(values).all():
            return None
        values = np.nan_to_num(values, nan=float(np.nanmedian(values)))
        sigma = max(0.3, min(work.spacing_mm)) / step
        g = ndimage.gaussian_filter1d(values, sigma, axis=1, order=1)
        lo = int((0.86 * r - radial[0]) / step)
        hi = int((1.12 * r - radial[0]) / step)
        seg = g[:, lo:hi]
        j = np.argmin(seg, axis=1)
        strength = -seg[np.arange(rays), j]
        noise = mad_sd(g) + 1e-6
        ok = strength > 3 * noise
        if ok.sum() < rays / 4:
            return None
        offsets = np.array([subpixel_offset(g[i], lo + j[i]) for i in range(rays)])
        rad = radial[lo + j] + offsets * step
        edge = c[None, :] + rad[:, None] * u
        keep = ok.copy()
        fit = None
        for _ in range(4):
            fit = circle_fit(edge[keep])
            if fit is None:
                return None
            res = np.hypot(edge[:, 0] - fit[0], edge[:, 1] - fit[1]) - fit[2]
            sd = 1.4826 * float(np.median(np.abs(res[keep]))) + 1e-3
            new = ok & (np.abs(res) <= max(2.5 * sd, 0.3))
            if new.sum() < rays / 4 or np.array_equal(new, keep):
                break
            keep = new
        if fit is None:
            return None
        c = np.array(fit[:2])
        r = fit[2]
    res = np.hypot(edge[keep, 0] - c[0], edge[keep, 1] - c[1]) - r
    return HeadFit(c, r, float(np.sqrt(np.mean(res**2))), float(keep.sum() / rays))
