"""The knee on an AP film: condyles, notch and plateau, or the components of a TKA.

In a window around the joint (from the shaft axes), every image column is read at full
resolution; its strongest falling edge (going down) is the distal boundary of the
femur (condyle, or the metal of a femoral component) and the strongest rising edge a
little below it the top of the tibia (plateau, or tibial tray).

- **Femur.** The distal boundary is kept in smooth runs at least
  :data:`OUTLINE_RUN_MM` wide; the condylar tangent starts as the bitangent of their
  lower convex hull and is refitted as one line through both condyles' contact runs
  (:func:`_condylar_contacts`); ``distal_femur_medial`` / ``_lateral`` are on the
  outline at the middles of the runs (the middle of a flat condyle's lowest part, a
  round one's lowest point). ``femoral_knee_center`` is where the
  perpendicular bisector of the two contacts meets the boundary in the notch (native:
  the apex of the intercondylar notch; TKA: the component's intercondylar roof).
- **Tibia, native.** The plateau's top is a faint ramp over strong trabecular texture:
  the columns are smoothed along the joint line first, and each column's edge is the
  centroid of its first strong rising ramp (:func:`_plateau_edges`). A parabola
  through the edges outside the spines follows the plateau's slightly domed outline;
  each end is found by walking outward from the middle of its half while the edges
  stay on it (the plateau's corners), less the overshoot of the smoothing; the tibial
  knee centre lies midway between the spines' outer flanks, at their tips' level.
- **Tibia, TKA.** A tray is a thin plate brighter than the bone below it: its inferior
  edge (a falling edge 1 to 8 mm below the top) is fitted by a line (the keel's columns
  drop out as outliers), its ends are where the plate's columns stop on each side of
  the keel, and the tibial knee centre is the middle of the plate.

Examples
--------
>>> lower_hull_bitangent(np.array([[0, 5], [1, 6], [2, 5], [3, 3], [4, 5], [5, 6.5], [6, 5]]),
...                      across=3.0)
(1, 5)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, mad_sd, robust_line, subpixel_offset
from alignment.detect.ruler import find_ruler

__all__ = [
    "SPINE_HEIGHT",
    "KneeFinding",
    "find_knee",
    "joint_line_doubt",
    "lower_hull_bitangent",
    "notch_apex",
    "one_compartment_tray",
    "ruler_columns",
]

SPINE_HEIGHT = 0.125
"""Height of the tibial spines' tips above the plateau, as a share of the plateau's
width, used when the spines cannot be seen."""

F64 = NDArray[np.float64]

CENTRES_ACROSS_SHARE = 0.25
"""Largest distance across the joint between the femoral and the tibial knee centres,
as a share of the distance between the condyles' lowest points: the tibial spines
stand in the intercondylar notch, under its apex (0.08 of it at most on the
development films' references)."""

CENTRES_DROP_SHARE = (-0.1, 0.6)
"""Range of the tibial knee centre's drop below the femoral one, as a share of the
distance between the condyles' lowest points: the notch's apex stands above the
spines' tips by about a third of it at most (0.08-0.34 on the development films'
references, native and TKA, long-leg and knee films). A knee read outside this range
has one of its edges on something else (a cassette seam, a grid line)."""


RULER_HALF_WIDTH_MM = 15.0
"""Half width (mm) of the band of columns, centred on a vertical ruler's strip of
ticks, in which no knee edge is read: a radiographic cm ruler is about 15-30 mm wide
(ticks and numbers), so the band covers the whole ruler when its ticks run down its
middle and its numbered half when they run along an edge. Laid down the film beside
the knee, its bright edge was read as the medial condyle's and the plateau's ends,
pulling the tibial knee centre 20-30 mm toward it; the knee's own edge lies at least
10 mm from the ruler's, beyond the soft tissue."""


def ruler_columns(work: Work) -> tuple[float, float] | None:
    """Range ``(x_min, x_max)`` (mm) of the columns a vertical ruler covers, or None.

    The ruler (:func:`~alignment.detect.ruler.find_ruler`) is looked for on the coarse
    copy at its own pixel size, so a film without a ruler (no strictly periodic strip of
    ticks down it) gives None and nothing of its knee is masked.
    """
    ruler = find_ruler(work.coarse, prior_mm=work.coarse_mm)
    if ruler is None or ruler.axis != "vertical":
        return None
    x = ruler.position_px * work.coarse_mm
    return x - RULER_HALF_WIDTH_MM, x + RULER_HALF_WIDTH_MM


PLATEAU_MIN_SHARE = 0.45
"""Narrowest tibial plateau (or tray) read, as a share of the distance between the
condyles' lowest points: a whole plateau is 1.3-1.7 times as wide on the development
films' references, a unicompartmental tray covers one compartment (0.54); a seam's
bright line under one condyle is narrower."""

ONE_COMPARTMENT_SHARE = (1.0, 0.25)
"""A tray covers one compartment only (a unicompartmental knee) when it is narrower
than the first share of the distance between the condyles' lowest points and its
middle lies more than the second share of that distance off their midpoint, under
one condyle. A total knee's tray spans the plateau, centred under the notch: its ends
as detected lie 1.5 and 1.7 times the condyles' distance apart on the development
films; the UKA's detected ends 0.73 times, its middle 0.63 of it off the midpoint
(0.54 wide between the reference's ends, :data:`PLATEAU_MIN_SHARE`). Taken as the
tibial knee centre, the UKA tray's middle was 70 mm from the spines; a total knee's
tray read short at one end keeps its middle near the notch and its centre."""


def one_compartment_tray(ends: tuple[F64, F64], contacts: tuple[F64, F64]) -> bool:
    """Whether a tibial tray with inferior `ends` (mm) covers one compartment of a
    knee whose condyles' lowest points are `contacts` (mm): narrow, and off the
    middle (:data:`ONE_COMPARTMENT_SHARE`).

    >>> contacts = (np.array([0.0, 0.0]), np.array([50.0, 0.0]))
    >>> one_compartment_tray((np.array([-15.0, 8.0]), np.array([65.0, 8.0])), contacts)
    False
    >>> one_compartment_tray((np.array([32.0, 8.0]), np.array([68.0, 8.0])), contacts)
    True
    >>> one_compartment_tray((np.array([5.0, 8.0]), np.array([45.0, 8.0])), contacts)
    False
    """
    narrow, off = ONE_COMPARTMENT_SHARE
    span = float(np.linalg.norm(contacts[1] - contacts[0]))
    width = float(np.linalg.norm(ends[1] - ends[0]))
    shift = float(np.linalg.norm((ends[0] + ends[1]) / 2 - (contacts[0] + contacts[1]) / 2))
    return width < narrow * span and shift > off * span


@dataclass
class KneeFinding:
    """Landmarks (mm) and per-landmark confidence of one AP knee.

    Attributes
    ----------
    points : dict of str to numpy.ndarray, shape (2,)
        Found landmarks, mm on the film, named for a leg whose medial side is toward
        ``medial_x`` (set by the caller).
    confidence : dict of str to float
    method : dict of str to str
    implant : bool or None
        Whether a TKA was recognised (None if the tibia was not found).
    notes : list of str
        What could not be found and why.
    """

    points: dict[str, F64] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)
    implant: bool | None = None
    notes: list[str] = field(default_factory=list)


def lower_hull_bitangent(points: F64, *, across: float) -> tuple[int, int] | None:
    """Indices of the hull edge under the points (largest ``y``) spanning ``x = across``.

    `points` are ``(x, y)`` sorted by ``x``, ``y`` growing down; the edge is the line
    that touches the distal boundary from below at two points, all others above it.
    """
    hull: list[int] = []
    for i in range(len(points)):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = points[hull[-2]], points[hull[-1]]
            x3, y3 = points[i]
            cross = (x2 - x1) * (y3 - y1) - (y2 - y1) * (x3 - x1)
            if cross >= 0:  # keeps the chain of maximal y (convex from below)
                hull.pop()
            else:
                break
        hull.append(i)
    for a, b in zip(hull[:-1], hull[1:], strict=True):
        if points[a][0] <= across <= points[b][0]:
            return a, b
    return None


GAP_OFF_MM = 4.0
"""Largest distance (mm) of a column's darkest level from the joint gap's line for the
column to be taken as under the joint: the joint space is 2-8 mm tall, so under the
condyles its darkest level lies within a few mm of the line, while a column beside
the knee (soft tissue) or across a condyle's outline has its darkest level 10-20 mm
off."""


def _darkest_levels(values: F64, ys: F64) -> tuple[F64, NDArray[np.bool_]]:
    """Each column's darkest level, and whether it is a valley.

    Parameters
    ----------
    values : numpy.ndarray, shape (columns, levels)
        Grey values down each column.
    ys : numpy.ndarray, shape (levels,)
        The levels (mm).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray of bool)
        The level of each column's minimum, and whether it lies inside the band: a
        column darkest at the band's first or last level has no valley in it (soft
        tissue beside the knee, still darkening toward the band's edge); taken for
        the joint gap, such columns tilted its line (by 10 degrees on a real long-leg
        film read at 0.9 times its spacing).

    >>> values = np.array([[0.5, 0.2, 0.6], [0.5, 0.4, 0.3]])
    >>> levels, valley = _darkest_levels(values, np.array([10.0, 11.0, 12.0]))
    >>> levels.tolist(), valley.tolist()
    ([11.0, 12.0], [True, False])
    """
    deepest = np.argmin(values, axis=1)
    return ys[deepest], (deepest > 0) & (deepest < values.shape[1] - 1)


def _joint_gap_line(points: F64) -> tuple[F64, F64, NDArray[np.bool_], float] | None:
    """The joint gap's line through the columns' darkest levels `points` (``(x, y)``
    mm): seeded by the Theil-Sen line (the median of the pairwise slopes, then of the
    intercepts; it holds with up to 29 % of the columns off), the columns within
    :data:`GAP_OFF_MM` of it are fitted by :func:`~._image.robust_line`. A least-squares
    start would be tilted by a cluster of columns beside the knee whose darkest level
    lies in the soft tissue: how many columns of the band fall there changes with the
    film's spacing, and the tilt moved the condyles' contacts by 6 mm at a 10 %
    change of it. Returns :func:`~._image.robust_line`'s ``(centre, direction,
    inliers, rms)`` over `points`, or None.

    >>> x = np.arange(40.0)
    >>> y = np.where(x >= 32, 15.0, 0.1 * x)  # the last 8 columns beside the knee
    >>> c, d, keep, rms = _joint_gap_line(np.column_stack([x, y]))
    >>> round(float(d[1] / d[0]), 3), int(keep.sum())
    (0.1, 32)
    """
    ok = np.asarray(np.isfinite(points).all(axis=1), dtype=bool)
    x, y = points[ok, 0], points[ok, 1]
    if x.size < 3:
        return None
    i, j = np.triu_indices(x.size, k=1)
    dx = x[j] - x[i]
    apart = dx != 0
    if not apart.any():
        return None
    slope = float(np.median((y[j] - y[i])[apart] / dx[apart]))
    intercept = float(np.median(y - slope * x))
    near = ok.copy()
    near[ok] = np.abs(y - (slope * x + intercept)) <= GAP_OFF_MM
    fit = robust_line(points[near], threshold=2.0)
    if fit is None:
        return None
    centre, direction, inliers, rms = fit
    keep = np.zeros(len(points), dtype=bool)
    keep[np.flatnonzero(near)[inliers]] = True
    return centre, direction, keep, rms


OUTLINE_STEP_MM = 1.0
"""Largest step (mm) of the distal femoral outline between neighbouring columns (0.5 mm
apart, a slope of 63 degrees) within one run of it: the condyles' distal outline is a
smooth curve, while an edge read on something else (a spine's top in the notch, a grid
line, trabeculae) jumps away from it."""

OUTLINE_RUN_MM = 4.0
"""Narrowest run (mm across the film) of the distal femoral outline kept: a condyle's
distal outline is a continuous curve 20-35 mm wide; shorter fragments of edges (a
tibial spine's top seen through the notch, a grid line's or a trabecula's piece) must
not carry the condylar tangent."""

CONTACT_MM = 0.6
"""Largest distance (mm) above the condylar tangent of an outline point still on a
condyle's contact: about twice the subpixel edge's noise on a film read at 0.7-1.5 mm
per pixel. A condyle's lowest part is often flat over 10-20 mm (the reader then takes
the middle of the flat part, not its end); on a round condyle (frontal radius 20-30
mm) the points within this distance span +-5 mm about its lowest point."""


def _outline_runs(xs: F64, y: F64, good: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Columns of `good` in runs of the outline `y` (mm) at least
    :data:`OUTLINE_RUN_MM` wide, a run going on while neighbouring columns step by at
    most :data:`OUTLINE_STEP_MM`.

    >>> xs = np.arange(30) * 0.5
    >>> y = np.where((xs >= 6.0) & (xs < 7.5), 8.0, 0.0)  # a 1.5 mm fragment 8 mm low
    >>> _outline_runs(xs, y, np.ones(30, bool)).astype(int).tolist()
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    """
    idx = np.flatnonzero(good)
    keep = np.zeros(len(xs), dtype=bool)
    if idx.size == 0:
        return keep
    step = xs[1] - xs[0] if len(xs) > 1 else 1.0
    breaks = (np.diff(idx) * step > 2 * step + 1e-9) | (np.abs(np.diff(y[idx])) > OUTLINE_STEP_MM)
    starts = np.concatenate([[0], np.flatnonzero(breaks) + 1])
    ends = np.concatenate([np.flatnonzero(breaks) + 1, [idx.size]])
    for s0, s1 in zip(starts, ends, strict=True):
        if xs[idx[s1 - 1]] - xs[idx[s0]] >= OUTLINE_RUN_MM - 1e-9:
            keep[idx[s0:s1]] = True
    return keep


def _condylar_contacts(pts: F64, a: F64, b: F64) -> tuple[F64, F64] | None:
    """The condyles' lowest points on the outline `pts` (``(x, y)`` mm, sorted by
    ``x``), from the hull bitangent's contacts `a` and `b`.

    Each condyle's contact is the run of outline points within :data:`CONTACT_MM` of
    the tangent around its lowest point (on its side of the notch); the tangent is
    then refitted as one line through both runs, the runs read again about it, twice
    (the hull's line rests on the lowest noisy columns, the fitted one on the whole
    contacts), and each lowest point is the outline's most distal point within
    :data:`CONTACT_MM` of its run's middle. None when a condyle has no run.
    """
    along = (b - a) / np.linalg.norm(b - a)
    normal = np.array([-along[1], along[0]])
    normal = normal if normal[1] > 0 else -normal  # distal (down the film)
    u = (pts - a) @ along
    v = (pts - a) @ normal
    half = 0.5 * float(np.linalg.norm(b - a))
    middles = [0.0, 2 * half]
    line = np.zeros(2)  # v = line[0] * u + line[1]: the tangent in the hull's frame
    for _ in range(3):
        on = np.abs(v - np.polyval(line, u)) <= CONTACT_MM
        runs = []
        for start, side in zip(middles, (u < half, u >= half), strict=True):
            cand = u[on & side]
            lo = _run_end(cand, start, -1.0, gap=1.0)
            hi = _run_end(cand, start, 1.0, gap=1.0)
            if lo is None or hi is None:
                return None
            runs.append((u >= lo) & (u <= hi) & on & side)
        middles = [0.5 * float(u[run].min() + u[run].max()) for run in runs]
        both = runs[0] | runs[1]
        line = np.polyfit(u[both], v[both], 1)
    # on the outline: its level about the middle of each run (the fitted line lies
    # amid the run's points, a few tenths of a mm above a round condyle's lowest one)
    levels = [
        float(np.max(v[run & (np.abs(u - m) <= CONTACT_MM)], initial=float(np.polyval(line, m))))
        for run, m in zip(runs, middles, strict=True)
    ]
    first, second = (a + m * along + h * normal for m, h in zip(middles, levels, strict=True))
    return first, second


NOTCH_SHARE = (0.25, 0.75)
"""Range of the notch's apex (``femoral_knee_center``) along the line from one
condyle's contact to the other's, as a share of their distance: one contact on each
condyle puts it near the middle (0.43-0.57 on the development films' references); two
contacts on one condyle, or on a condyle and the femur's outer outline, put it near
an end or outside."""

CONTACTS_PLATEAU_SHARE = 0.45
"""Smallest distance between the condyles' contacts, as a share of the plateau's (or
tray's) width: each condyle rests over the middle of its compartment, so the contacts
are 0.6-0.75 of the plateau's width apart (0.59-0.76 on the development films'
references); two contacts on one condyle are less than a third of it apart. A
unicompartmental tray is narrower than the contacts' distance and passes."""

JOINT_SPACE_MIN_MM = -1.5
"""Lowest signed height (mm) of a condyle's contact above the line through the
plateau's ends: the condyle rests on the plateau's cartilage (3-8 mm above the line on
the development films' long-leg references); with the cartilage worn through it can
sink into the plateau's concavity, about 1-2 mm under its rim. An edge read lower is
under the femur (the plateau's rim seen obliquely, a grid line)."""


def joint_line_doubt(points: dict[str, F64]) -> str | None:
    """Why the joint line in `points` (``distal_femur_a``/``_b``, ``tibial_plateau_a``/
    ``_b``, ``femoral_knee_center``; mm) is not a knee's, or None when it is plausible.

    The two contacts lie one on each side of the notch (:data:`NOTCH_SHARE`), a
    condylar width apart (:data:`CONTACTS_PLATEAU_SHARE`), and above the plateau
    (:data:`JOINT_SPACE_MIN_MM`). A point that is missing fails no check.

    >>> names = ("distal_femur_a", "distal_femur_b", "tibial_plateau_a", "tibial_plateau_b")
    >>> xy = ([50.0, 75.0], [95.0, 75.0], [38.0, 81.0], [108.0, 81.0])
    >>> knee = {n: np.array(p) for n, p in zip(names, xy)}
    >>> knee["femoral_knee_center"] = np.array([73.0, 65.0])
    >>> joint_line_doubt(knee) is None
    True
    >>> print(joint_line_doubt({**knee, "distal_femur_b": np.array([95.0, 84.0])}))
    distal femur: a condyle's contact lies 3.0 mm under the plateau (at most 1.5 mm)
    """
    a, b = points.get("distal_femur_a"), points.get("distal_femur_b")
    if a is None or b is None:
        return None
    span = float(np.linalg.norm(b - a))
    along = (b - a) / span
    notch = points.get("femoral_knee_center")
    if notch is not None:
        share = float((notch - a) @ along) / span
        if not NOTCH_SHARE[0] <= share <= NOTCH_SHARE[1]:
            return (
                f"distal femur: the notch lies at {share:.2f} of the way between the "
                f"condyles' contacts (expected {NOTCH_SHARE[0]:g}-{NOTCH_SHARE[1]:g}): "
                "both on one condyle?"
            )
    ends = points.get("tibial_plateau_a"), points.get("tibial_plateau_b")
    if ends[0] is None or ends[1] is None:
        return None
    width = float(np.linalg.norm(ends[1] - ends[0]))
    if span < CONTACTS_PLATEAU_SHARE * width:
        return (
            f"distal femur: the condyles' contacts are {span / width:.2f} of the plateau's "
            f"width apart (at least {CONTACTS_PLATEAU_SHARE:g}): both on one condyle?"
        )
    d = (ends[1] - ends[0]) / width
    normal = np.array([-d[1], d[0]])
    normal = normal if normal[1] > 0 else -normal  # down the film
    under = max(float((c - ends[0]) @ normal) for c in (a, b))
    if under > -JOINT_SPACE_MIN_MM:
        return (
            f"distal femur: a condyle's contact lies {under:.1f} mm under the plateau "
            f"(at most {-JOINT_SPACE_MIN_MM:g} mm)"
        )
    return None


DOUBTED_CONFIDENCE = 0.3
"""Highest confidence of joint-line points that :func:`joint_line_doubt` doubts, and of a
knee's points read about contacts with no notch between them: below the review
threshold (0.5), so the leg is flagged for a reader's look (a knee film's UKA read with
both contacts 20 mm inward of the condyles' lowest points had confidence 1.0, its
tibial knee centre, 70 mm off in the tray's middle, 0.59)."""


def _doubt_joint_line(knee: KneeFinding) -> None:
    """Lower points of `knee` to :data:`DOUBTED_CONFIDENCE`, with the reason in its
    notes: the joint line's when it is not plausibly a knee's
    (:func:`joint_line_doubt`); all of them when no notch was seen between the
    condyles' contacts (nothing then tells that they touch both condyles, and the
    tibia was read under their middle)."""
    names: tuple[str, ...] = ("distal_femur_a", "distal_femur_b")
    if "femoral_knee_center" not in knee.points:
        doubt: str | None = (
            "knee: no notch between the condyles' contacts, so they are not known to be "
            "on both condyles, nor the tibia read under their middle to be the knee's"
        )
        names = tuple(knee.confidence)
    else:
        doubt = joint_line_doubt(knee.points)
        names += ("tibial_plateau_a", "tibial_plateau_b")
    if doubt is None:
        return
    knee.notes.append(doubt)
    for name in names:
        if name in knee.confidence:
            knee.confidence[name] = min(knee.confidence[name], DOUBTED_CONFIDENCE)


def _column_edges(work: Work, xs: F64, y_lo: float, y_hi: float) -> tuple[F64, F64, F64]:
    """Vertical profiles of columns `xs` (mm) from `y_lo` to `y_hi`; returns ``(ys,
    values, gradient)`` with values and gradient of shape (len(xs), len(ys))."""
    step = max(0.1, min(work.spacing_mm) * 0.75)
    ys = np.arange(y_lo, y_hi, step)
    grid = np.stack(np.broadcast_arrays(xs[:, None], ys[None, :]), axis=-1)
    values = work.sample(grid)
    values = np.nan_to_num(
        values, nan=float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0
    )
    sigma = max(0.3, min(work.spacing_mm)) / step
    g = ndimage.gaussian_filter1d(values, sigma, axis=1, order=1) / step
    return ys, values, g


def find_knee(
    work: Work,
    femur_axis: tuple[F64, F64] | None,
    tibia_axis: tuple[F64, F64] | None,
    y_joint: float,
    x_joint: float,
    *,
    half_width_mm: float = 60.0,
    masked: tuple[float, float] | None = None,
) -> KneeFinding:
    """Find the knee landmarks of one leg near ``(x_joint, y_joint)`` (mm).

    Parameters
    ----------
    work : Work
    femur_axis, tibia_axis : (centre, direction) or None
        Shaft axes (mm), for orientation only.
    y_joint, x_joint : float
        Rough position of the joint line, mm.
    half_width_mm : float, optional
        Half width of the window searched.
    masked : (float, float), optional
        Range of columns (mm) where no edge is read: a ruler's (:func:`ruler_columns`).

    Returns
    -------
    KneeFinding
        Landmarks are named ``*_a`` (toward smaller ``x``) and ``*_b``; the caller
        renames them medial or lateral.
    """
    out = KneeFinding()
    step_x = 0.5
    xs = np.arange(x_joint - half_width_mm, x_joint + half_width_mm + step_x / 2, step_x)
    ys, values, g = _column_edges(work, xs, y_joint - 45.0, y_joint + 40.0)
    dy = ys[1] - ys[0]
    noise = mad_sd(g) + 1e-6
    # per column: strongest falling edge (femur) then rising edge 1.5..16 mm below (tibia)
    n = len(xs)
    # the joint gap: the darkest level of each central column, fitted by a line
    smooth = ndimage.gaussian_filter1d(values, 1.5 / dy, axis=1)
    band = (ys >= y_joint - 14.0) & (ys <= y_joint + 14.0)
    # under the condyles, not in the notch (whose darkest level is far above the gap)
    central = (np.abs(xs - x_joint) <= 40.0) & (np.abs(xs - x_joint) >= 12.0)
    on_ruler = np.zeros(n, bool) if masked is None else (xs >= masked[0]) & (xs <= masked[1])
    central &= ~on_ruler
    dark, valley = _darkest_levels(smooth[:, band], ys[band])
    central &= valley
    gap_fit = _joint_gap_line(np.column_stack([xs[central], dark[central]]))
    if gap_fit is None:
        out.notes.append("knee: no joint space found")
        return out
    gc, gd, _, _ = gap_fit
    gd = gd if gd[0] > 0 else -gd
    if abs(gd[1]) > 0.35:
        out.notes.append("knee: the joint space found is not near horizontal")
        return out
    gap = gc[1] + (xs - gc[0]) * gd[1] / gd[0]
    y_f = np.full(n, np.nan)
    s_f = np.zeros(n)
    y_t = np.full(n, np.nan)
    for i in range(n):
        col = g[i]
        lo = max(1, int((gap[i] - 30.0 - ys[0]) / dy))
        mid_i = int((gap[i] - ys[0]) / dy)
        hi = min(len(ys) - 1, mid_i + int(3.0 / dy))
        if hi - lo < 5:
            continue
        seg = col[lo:hi]
        strongest = float(-seg.min())
        if strongest < 5 * noise:
            continue
        peaks = np.flatnonzero(
            (seg < -max(0.35 * strongest, 5 * noise))
            & (seg <= np.roll(col, 1)[lo:hi])
            & (seg <= np.roll(col, -1)[lo:hi])
        )
        if peaks.size:
            j = int(peaks[-1]) + lo
            y_f[i] = ys[j] + subpixel_offset(col, j) * dy
            s_f[i] = -col[j] / noise
        lo_t = max(1, mid_i - int(3.0 / dy))
        if np.isfinite(y_f[i]):
            lo_t = max(lo_t, int((y_f[i] - ys[0]) / dy) + max(2, int(0.6 / dy)))
        hi_t = min(len(ys) - 1, mid_i + int(14.0 / dy))
        if hi_t - lo_t < 5:
            continue
        seg = col[lo_t:hi_t]
        strongest = float(seg.max())
        if strongest < 5 * noise:
            continue
        peaks = np.flatnonzero(
            (seg > max(0.35 * strongest, 5 * noise))
            & (seg >= np.roll(col, 1)[lo_t:hi_t])
            & (seg >= np.roll(col, -1)[lo_t:hi_t])
        )
        if peaks.size:
            k = int(peaks[0]) + lo_t
            y_t[i] = ys[k] + subpixel_offset(col, k) * dy
    y_f[on_ruler] = y_t[on_ruler] = np.nan
    good_f = np.isfinite(y_f)
    if good_f.sum() < 20:
        out.notes.append("distal femur: no clear distal boundary near the joint")
        return out
    # the condyles' (or the component's) edge is among the strongest of the window:
    # faint edges beside the knee (soft tissue, cut bone) must not carry the tangent
    good_f &= s_f >= 0.25 * float(np.percentile(s_f[good_f], 90))
    # smooth away single-column outliers
    yf_med = ndimage.median_filter(np.where(good_f, y_f, np.nanmedian(y_f)), size=5)
    good_f &= np.abs(y_f - yf_med) < 1.5
    good_f &= _outline_runs(xs, y_f, good_f)
    pts = np.column_stack([xs[good_f], y_f[good_f]])
    pair = lower_hull_bitangent(pts, across=x_joint)
    if pair is None:
        out.notes.append("distal femur: no condylar tangent spans the knee")
        return out
    a, b = pts[pair[0]], pts[pair[1]]
    if not 20.0 <= b[0] - a[0] <= 90.0:
        out.notes.append(
            f"distal femur: condyles {b[0] - a[0]:.0f} mm apart; expected 20 to 90 mm"
        )
        return out
    contacts = _condylar_contacts(pts, a, b)
    if contacts is None:
        out.notes.append("distal femur: the condyles' outline leaves the tangent at once")
        return out
    a, b = contacts
    along = (b - a) / np.linalg.norm(b - a)
    normal = np.array([-along[1], along[0]])
    if normal[1] < 0:
        normal = -normal
    tilt = float(np.degrees(np.arctan2(along[1], along[0])))
    strength = float(np.median(s_f[good_f]))
    conf_f = float(np.clip((strength - 4.0) / 8.0, 0.2, 1.0)) * (1.0 if abs(tilt) < 20 else 0.3)
    out.points["distal_femur_a"] = a
    out.points["distal_femur_b"] = b
    out.confidence["distal_femur_a"] = out.confidence["distal_femur_b"] = conf_f
    mid = (a + b) / 2
    # notch: boundary points near the bisector, above the tangent
    rel = pts - mid
    u = rel @ along
    v = rel @ normal
    central = np.abs(u) <= 2.5
    method_kind = "native"
    if central.sum() >= 3 and np.median(v[central]) < -3.0:
        depth = float(np.median(v[central]))
        out.points["femoral_knee_center"] = mid + depth * normal
        out.confidence["femoral_knee_center"] = conf_f * float(
            np.clip(1.0 - np.std(v[central]) / 3.0, 0.2, 1.0)
        )
    else:
        out.notes.append("femoral_knee_center: no intercondylar notch between the condyles")
    # tibia
    good_t = np.isfinite(y_t)
    if good_t.sum() < 20:
        out.notes.append("proximal tibia: no clear plateau or tray below the femur")
        return out
    # is there a bright plate (tray) just under the tibial edge?
    plate_y = np.full(n, np.nan)
    plate_c = np.full(n, np.nan)
    for i in (int(v) for v in np.flatnonzero(good_t)):
        k = int(round((y_t[i] - ys[0]) / dy))
        k0, k1 = min(len(ys), k + int(0.8 / dy)), min(len(ys), k + int(14.0 / dy))
        if k1 - k0 < 3:
            continue
        col = g[i]
        j = int(np.argmin(col[k0:k1])) + k0
        if -col[j] < 4 * noise:
            continue
        below = values[i, min(len(ys) - 1, j + int(2.0 / dy)) : min(len(ys), j + int(6.0 / dy))]
        inside = values[i, k + 1 : j]
        if below.size == 0 or inside.size == 0:
            continue
        plate_y[i] = ys[j] + subpixel_offset(col, j) * dy
        plate_c[i] = float(inside.mean() - below.mean())
    plate = np.isfinite(plate_y) & (plate_c > 0.12) & (plate_y - y_t < 14.0)
    implant = bool(plate.sum() >= 0.5 * good_t.sum() and plate.sum() >= 30)
    out.implant = implant
    if implant:
        method_kind = "tka"
        ptsp = np.column_stack([xs[plate], plate_y[plate]])
        fit = robust_line(ptsp, threshold=2.5)
        if fit is None:
            out.notes.append("tibial tray: no inferior line")
            return out
        c, d, keep, rms = fit
        d = d if d[0] > 0 else -d
        # the plate's ends: walking outward from the middle of each half of the plate
        # (the keel splits it) while the plate columns go on without a hole
        xp = xs[plate]
        middle = float(np.median(xp))
        x_lo = _run_end(xp, float(np.median(xp[xp <= middle])), -1.0, gap=TRAY_HOLE_MM)
        x_hi = _run_end(xp, float(np.median(xp[xp >= middle])), 1.0, gap=TRAY_HOLE_MM)
        if x_lo is None or x_hi is None:
            out.notes.append("tibial tray: no plate on both sides of the keel")
            return out
        ends = [c + ((x - c[0]) / d[0]) * d for x in (x_lo, x_hi)]
        thickness = float(np.nanmedian(plate_y[plate] - y_t[plate]))
        nrm = np.array([-d[1], d[0]])
        if nrm[1] < 0:
            nrm = -nrm
        conf_t = float(np.clip(1.0 - rms / 1.0, 0.2, 1.0)) * float(keep.mean())
        out.points["tibial_plateau_a"] = ends[0]
        out.points["tibial_plateau_b"] = ends[1]
        if one_compartment_tray((ends[0], ends[1]), (a, b)):
            out.notes.append(
                "tibial_knee_center: the tray covers one compartment (a unicompartmental "
                "knee); its middle is not the knee's centre"
            )
        else:
            out.points["tibial_knee_center"] = (ends[0] + ends[1]) / 2 - 0.5 * thickness * nrm
        for name in ("tibial_plateau_a", "tibial_plateau_b", "tibial_knee_center"):
            if name in out.points:
                out.confidence[name] = conf_t
    elif not _native_tibia(out, xs, ys, values, gap, y_f, a, b, on_ruler):
        return out

    if not _knee_plausible(out.points):
        out.notes.append(
            "knee: the femoral and tibial knee centres found do not face each other "
            "across the joint, or the plateau is narrower than a compartment (an edge "
            "read on a seam or a line of the film?)"
        )
        out.points.clear()
        out.confidence.clear()
        return out
    _doubt_joint_line(out)
    for name in out.points:
        out.method.setdefault(name, f"knee-{method_kind}")
    return out


NOTCH_SEARCH_MM = 12.0
"""Largest distance across (mm) of the notch's apex from the rough knee centre it is
looked for around: the bone column's centres (the middles of the condyles' and the
plateau's outlines) lie within a few mm of the notch on the development crops (its
apex is off the condyles' middle because the medial condyle is the wider); farther
out lie the condyles' outer flanks."""

NOTCH_FLANKS_MM = (8.0, 25.0)
"""Range of distances (mm) across from the notch's apex at which the condyles' distal
outline is read to tell a notch: the notch is 15-25 mm wide at its mouth, the
condyles' lowest parts lie 15-25 mm either side of it."""

NOTCH_RISE_MM = 2.0
"""Least height (mm) of the notch's apex above the lower of the condyles' outlines on
either side (:data:`NOTCH_FLANKS_MM`) for it to be taken as the notch: the notch rises
10-20 mm above the joint line; a bump of the outline under 2 mm (1.5 crop pixels) is
the edge's noise, a grid line, or a flat condyle."""

NOTCH_DARK_SHARE = 0.3
"""Least darkening of a notch's column below its apex, against the condyles beside it
at the same heights, as a share of the condyles' contrast with the joint gap: the
notch is the joint space carried up between the condyles (on the crops its darkest
parts are as dark as the gap, its roof as faint as the blur of a 1.4 mm pixel lets
it be)."""

NOTCH_GAP_DEPTH = 0.015
"""Least depth of the joint gap (normalised grey, the median over the columns under the
condyles of the valley's depth below the lower of its two sides): on the development
crops a knee level read on the joint has 0.02-0.11, one read on the metaphysis or the
shaft 10-25 mm off it 0.003-0.013 (and there a rising edge in the bone was read as a
notch's roof)."""

NOTCH_ROOF_MM = 3.0
"""Depth (mm) under a notch's apex over which its column must be dark
(:func:`_notch_dark`): deeper in the notch the tibial spines stand up into it, as
bright as the condyles beside them."""

NOTCH_LEVEL_MM = 12.0
"""How far (mm) above and below the rough level the joint gap is looked for: the bone
column places its knee on a dark valley, on most crops the joint's, within a few mm of
it; where it read the metaphysis or the shaft instead (10-25 mm off on some crops), no
joint gap is in reach and :data:`NOTCH_GAP_DEPTH` refuses the level. Searching 20 mm
either side did not find those knees' joints better (crops' HKA no better)."""

NOTCH_UNDER_CONDYLES_MM = (10.0, 35.0)
"""Distances across (mm) from the rough knee centre of the columns whose darkest level
carries the joint gap's line: under the condyles, not in the notch (whose darkest
level lies above the gap) nor beyond the knee."""

NOTCH_HEIGHT_MM = 20.0
"""Highest level (mm above the joint gap) at which the femur's distal outline is read:
the notch's apex stands 5-20 mm above the gap."""


def notch_apex(
    work: Work, x_mm: float, y_mm: float, *, masked: tuple[float, float] | None = None
) -> tuple[F64, float] | None:
    """The apex of the intercondylar notch near a rough knee centre, at sub-pixel
    resolution, for films where :func:`find_knee` does not resolve the condyles.

    The joint gap's line is fitted through the darkest level of the columns under the
    condyles (:func:`_joint_gap_line`, :data:`NOTCH_UNDER_CONDYLES_MM`), and must be a
    valley at least :data:`NOTCH_GAP_DEPTH` deep (else the rough level is not the
    joint's and None is returned); above it, each
    column's femoral outline is its strongest rising edge going up from the gap (dark
    joint space to bright bone), read on the film resampled along the gap and smoothed
    across it; the outline is median-filtered and smoothed along the joint. The notch
    is the outline's highest local peak within :data:`NOTCH_SEARCH_MM` of `x_mm`
    standing at least :data:`NOTCH_RISE_MM` above the outline on both sides
    (:data:`NOTCH_FLANKS_MM`), with its column dark below it as a notch is
    (:func:`_notch_dark`); its apex is that peak, refined by a parabola.

    Parameters
    ----------
    work : Work
    x_mm, y_mm : float
        Rough knee centre on the joint line (mm on the film).
    masked : (float, float), optional
        Range of columns (mm) not read: a ruler's (:func:`ruler_columns`).

    Returns
    -------
    (numpy.ndarray, shape (2,), float) or None
        The apex ``(x, y)`` (mm) and the share of a clear notch it shows (its rise over
        twice :data:`NOTCH_RISE_MM`, at most 1); None when no notch is seen.
    """
    step = max(0.1, 0.25 * min(work.spacing_mm))
    reach = NOTCH_UNDER_CONDYLES_MM[1]
    xs = np.arange(x_mm - reach, x_mm + reach + step / 2, step)
    ys, values, _ = _column_edges(work, xs, y_mm - NOTCH_LEVEL_MM, y_mm + NOTCH_LEVEL_MM)
    smooth = ndimage.gaussian_filter1d(values, 1.0 / (ys[1] - ys[0]), axis=1)
    under = np.abs(xs - x_mm) >= NOTCH_UNDER_CONDYLES_MM[0]
    if masked is not None:
        under &= (xs < masked[0]) | (xs > masked[1])
    darkest = np.argmin(smooth, axis=1)
    fit = _joint_gap_line(np.column_stack([xs[under], ys[darkest][under]]))
    if fit is None:
        return None
    centre, direction, inliers, _ = fit
    if abs(direction[1]) > 0.35 * abs(direction[0]):
        return None
    # a joint: under the condyles the gap is a valley between bright bone above and below
    depths = [
        min(float(smooth[i, : darkest[i] + 1].max()), float(smooth[i, darkest[i] :].max()))
        - float(smooth[i, darkest[i]])
        for i in np.flatnonzero(under)[inliers]
    ]
    if not depths or float(np.median(depths)) < NOTCH_GAP_DEPTH:
        return None
    gap = centre[1] + (xs - centre[0]) * direction[1] / direction[0]
    heights = np.arange(-4.0, NOTCH_HEIGHT_MM + step / 2, step)  # above the gap
    grid = np.stack(np.broadcast_arrays(xs[:, None], gap[:, None] - heights[None, :]), -1)
    sheared = np.nan_to_num(work.sample(grid), nan=0.0)
    sheared = ndimage.gaussian_filter(sheared, (1.5 / step, 0.7 / step))
    rising = np.diff(sheared, axis=1)  # going up: dark joint space to bright bone
    lo = int(np.searchsorted(heights, 0.5))
    outline = heights[lo + np.argmax(rising[:, lo:], axis=1)]
    outline = ndimage.median_filter(outline, int(2.0 / step) | 1)
    outline = ndimage.gaussian_filter1d(outline, 1.5 / step)
    if masked is not None:
        outline[(xs >= masked[0]) & (xs <= masked[1])] = np.nan
    best: tuple[float, int] | None = None
    for k in (int(i) for i in np.flatnonzero(np.abs(xs - x_mm) <= NOTCH_SEARCH_MM)):
        if not 0 < k < len(xs) - 1 or not outline[k] >= max(outline[k - 1], outline[k + 1]):
            continue
        off = xs - xs[k]
        flanks = [
            outline[(sign * off >= NOTCH_FLANKS_MM[0]) & (sign * off <= NOTCH_FLANKS_MM[1])]
            for sign in (-1.0, 1.0)
        ]
        if any(f.size == 0 or not np.isfinite(f).all() for f in flanks):
            continue
        rise = float(outline[k] - max(f.min() for f in flanks))
        if rise >= NOTCH_RISE_MM and not _notch_dark(sheared, heights, off, k, outline[k]):
            continue
        if best is None or rise > best[0]:
            best = (rise, k)
    if best is None or best[0] < NOTCH_RISE_MM:
        return None
    rise, apex = best
    x = float(xs[apex] + subpixel_offset(-outline, apex) * step)
    y = float(np.interp(x, xs, gap - outline))
    return np.array([x, y]), min(1.0, rise / (2.0 * NOTCH_RISE_MM))


def _notch_dark(sheared: F64, heights: F64, off: F64, k: int, height: float) -> bool:
    """Whether column `k` of `sheared` (columns by `heights` above the joint gap, mm)
    is dark up to its outline's `height` as a notch is: below the outline it is the
    joint space carried up between the condyles, darker than the condyles beside it
    (columns :data:`NOTCH_FLANKS_MM` away, `off` mm across from `k`) at the same
    heights by at least :data:`NOTCH_DARK_SHARE` of the condyles' contrast with the
    joint gap under them. A rising edge read inside the bone (a trabecula, the
    metaphysis' outline above a knee level read too high) has bone below it."""
    band = (heights >= max(0.5, height - NOTCH_ROOF_MM)) & (heights <= height - 0.5)
    if band.sum() < 2:
        return False
    gap = np.abs(heights) <= 0.5
    levels = []
    for sign in (-1.0, 1.0):
        flank = (sign * off >= NOTCH_FLANKS_MM[0]) & (sign * off <= NOTCH_FLANKS_MM[1])
        bone = float(sheared[flank][:, band].mean())
        levels.append((bone, bone - float(sheared[flank][:, gap].mean())))
    bone, contrast = min(levels)
    return bone - float(sheared[k, band].mean()) >= NOTCH_DARK_SHARE * contrast


def _knee_plausible(points: dict[str, F64]) -> bool:
    """Whether the plateau found is at least :data:`PLATEAU_MIN_SHARE` as wide as the
    condyles' lowest points are apart, and the tibial knee centre lies under the
    femoral one as in a knee (:data:`CENTRES_ACROSS_SHARE`,
    :data:`CENTRES_DROP_SHARE`); a check whose landmarks are missing passes."""
    if "distal_femur_a" not in points or "distal_femur_b" not in points:
        return True
    a, b = points["distal_femur_a"], points["distal_femur_b"]
    span = float(np.linalg.norm(b - a))
    ends = ("tibial_plateau_a", "tibial_plateau_b")
    if all(n in points for n in ends):
        plateau = float(np.linalg.norm(points[ends[1]] - points[ends[0]]))
        if plateau < PLATEAU_MIN_SHARE * span:
            return False
    if "femoral_knee_center" not in points or "tibial_knee_center" not in points:
        return True
    femoral, tibial = points["femoral_knee_center"], points["tibial_knee_center"]
    along = (b - a) / span
    normal = np.array([-along[1], along[0]])
    normal = normal if normal[1] > 0 else -normal
    offset = tibial - femoral
    across, drop = float(offset @ along) / span, float(offset @ normal) / span
    return (
        abs(across) <= CENTRES_ACROSS_SHARE
        and CENTRES_DROP_SHARE[0] <= drop <= CENTRES_DROP_SHARE[1]
    )


TRAY_HOLE_MM = 1.5
"""Widest run of columns without a plate that a tray's end may bridge: faint plate-like
edges just beyond the tray (soft tissue under the insert's rim) used to carry its ends
a few mm out; the keel, which splits the plate, is not walked across."""

PLATEAU_ALONG_MM = 1.5
"""SD (mm) of the smoothing along the joint line before a native plateau's edge is
read. The plateau's top is a faint ramp (the surface seen obliquely, its posterior
slope spreading it over a few mm) over strong trabecular texture; averaged along the
line, the texture fades and the ramp stays."""

PLATEAU_ACROSS_MM = 0.8
"""SD (mm) of the gradient across the joint line: the plateau's edge is a ramp of a few
mm whose upper and lower outlines (the rim seen obliquely) may show as two edges; the
ramp's centroid lies between them."""

PLATEAU_ABOVE_GAP_MM = 12.0
"""How far above the joint gap's line a native tibia's edge is looked for (in the
notch, the spines' tips stand about 9 mm above the plateau; under the condyles the
search starts just below the femur's edge)."""

PLATEAU_MAIN_SHARE = 0.6
"""A column's plateau edge is its first rising ramp at least this share as strong as
the column's strongest: fainter rising edges above it, where a condyle's outlines
overlap, are passed over (a spine's top, faint at its flanks, is the first edge)."""

PLATEAU_RAMP_SHARE = 0.5
"""A column's edge is the gradient-weighted centroid of a rising ramp: the contiguous
levels around the ramp's peak where the gradient is at least this share of the peak
(the landmark lies mid-ramp, on the middle of the surface)."""

PLATEAU_ON_LINE_MM = 1.5
"""A column is on the plateau while its edge is within this distance (mm) of the
plateau's fitted profile."""

PLATEAU_END_INSET_MM = 1.2
"""How far (mm) inside the last column on the profile a plateau's end lies: smoothed along the
line, the edge fades out about one smoothing SD (:data:`PLATEAU_ALONG_MM`) past the
rim's corner, where the condyle's outline still widens below it (the median overshoot
on phantom films)."""


def _plateau_edges(xs: F64, ys: F64, values: F64, gap: F64, y_f: F64) -> tuple[F64, F64]:
    """Per column, the native tibia's edges under the joint gap: ``(first, main)``.

    The columns are read in the frame of the gap line (so that smoothing them along
    :data:`PLATEAU_ALONG_MM` follows the joint), from :data:`PLATEAU_ABOVE_GAP_MM`
    above the gap (and below the femur's edge) to 14 mm below it. An edge is the
    centroid of a rising ramp (:data:`PLATEAU_RAMP_SHARE`): `first` that of the first
    ramp at least 0.35 times as strong as the column's strongest (a spine's top in
    the notch), `main` that of the first at least :data:`PLATEAU_MAIN_SHARE` times as
    strong. NaN where no edge stands out.
    """
    dy = ys[1] - ys[0]
    step_x = xs[1] - xs[0]
    rel = np.arange(int(-PLATEAU_ABOVE_GAP_MM / dy), int(14.0 / dy))
    k0 = np.round((gap - ys[0]) / dy).astype(int)
    rows = np.clip(k0[:, None] + rel[None, :], 0, len(ys) - 1)
    sheared = np.take_along_axis(values, rows, axis=1)
    sheared = ndimage.gaussian_filter1d(sheared, PLATEAU_ALONG_MM / step_x, axis=0)
    g = ndimage.gaussian_filter1d(sheared, PLATEAU_ACROSS_MM / dy, axis=1, order=1) / dy
    noise = mad_sd(g) + 1e-6
    edges = np.full((2, len(xs)), np.nan)
    start = np.where(np.isfinite(y_f), np.ceil((y_f - gap + 0.6) / dy), rel[0]) - rel[0]

    def centroid(col: F64, j: int, lo: int, threshold: float) -> float:
        """Level (in samples) of the ramp around peak `j`: its top level within the
        run above `threshold`, then the centroid of the levels above a share of it."""
        top = j
        while top + 1 < len(col) and col[top + 1] > threshold:
            top += 1
        j = int(np.argmax(col[j : top + 1])) + j
        floor = PLATEAU_RAMP_SHARE * col[j]
        r0, r1 = j, j
        while r0 > lo and col[r0 - 1] >= floor:
            r0 -= 1
        while r1 + 1 < len(col) and col[r1 + 1] >= floor:
            r1 += 1
        w = col[r0 : r1 + 1]
        return r0 + float(w @ np.arange(w.size)) / float(w.sum())

    for i in range(len(xs)):
        lo = int(np.clip(start[i], 1, len(rel) - 2))
        col = g[i]
        seg = col[lo:-1]
        if seg.size < 5:
            continue
        strongest = float(seg.max())
        peak = (seg >= col[lo - 1 : -2]) & (seg >= col[lo + 1 :]) & (seg > 5 * noise)
        for e, share in enumerate((0.35, PLATEAU_MAIN_SHARE)):
            threshold = max(share * strongest, 5 * noise)
            peaks = np.flatnonzero(peak & (seg > threshold))
            if peaks.size:
                level = centroid(col, int(peaks[0]) + lo, lo, threshold)
                edges[e, i] = gap[i] + (rel[0] + level) * dy
    return edges[0], edges[1]


def _robust_quadratic(
    x: F64, y: F64, *, threshold: float = 2.0
) -> tuple[F64, NDArray[np.bool_], float] | None:
    """Fit ``y = c0 x^2 + c1 x + c2`` dropping points more than `threshold` robust SDs
    (at least 0.5) off; ``(coefficients, inliers, rms)``, None with under 6 points.

    >>> x = np.arange(10.0)
    >>> c, keep, rms = _robust_quadratic(x, 0.1 * x**2 + np.where(x == 4, 5.0, 0.0))
    >>> np.round(c, 3).tolist(), int(keep.sum())
    ([0.1, 0.0, 0.0], 9)
    """
    keep = np.isfinite(y)
    coef = np.zeros(3)
    for _ in range(5):
        if keep.sum() < 6:
            return None
        coef = np.polyfit(x[keep], y[keep], 2)
        res = np.abs(y - np.polyval(coef, x))
        sd = 1.4826 * float(np.median(res[keep]))
        new = res <= max(threshold * sd, 0.5)
        if np.array_equal(new, keep):
            break
        keep = new
    res = (y - np.polyval(coef, x))[keep]
    return coef, keep, float(np.sqrt(np.mean(res**2)))


def _native_tibia(
    out: KneeFinding,
    xs: F64,
    ys: F64,
    values: F64,
    gap: F64,
    y_f: F64,
    a: F64,
    b: F64,
    on_ruler: NDArray[np.bool_],
) -> bool:
    """The plateau's ends and the tibial knee centre of a native knee under the
    condyles' contacts `a` and `b`, into `out`; False (with a note) when the plateau
    is not seen on both sides of the spines. No edge is read in the columns `on_ruler`.

    The plateau's edge is the upper outline of its rim seen obliquely, domed by up to
    a few mm and dropping to the ends: it is fitted by a parabola, not a line.
    """
    first, main = _plateau_edges(xs, ys, values, gap, y_f)
    first[on_ruler] = main[on_ruler] = np.nan
    good_t = np.isfinite(main)
    ptst = np.column_stack([xs[good_t], main[good_t]])
    mid = (a + b) / 2
    half = 0.5 * float(np.linalg.norm(b - a))
    # the spines rise from the middle third of the plateau: fit the plateau outside
    spine_zone = 0.55 * half
    side = np.abs(ptst[:, 0] - mid[0]) >= spine_zone
    u = ptst[:, 0] - mid[0]
    fit = _robust_quadratic(u[side], ptst[side, 1])
    if fit is None:
        out.notes.append("tibial plateau: no joint line on both sides of the spines")
        return False
    coef, keep, rms = fit
    off = ptst[:, 1] - np.polyval(coef, u)  # down the film
    on = np.abs(off) < PLATEAU_ON_LINE_MM
    # each end: walk outward along the plateau from the middle of its half (the
    # fit's inliers there) while the boundary stays on the profile
    inliers = u[side][keep]
    if not ((inliers < 0).any() and (inliers > 0).any()):
        out.notes.append("tibial plateau: the joint line is not seen on both sides")
        return False
    end_lo = _run_end(u[on], float(np.median(inliers[inliers < 0])), -1.0, gap=4.0)
    end_hi = _run_end(u[on], float(np.median(inliers[inliers > 0])), 1.0, gap=4.0)
    if end_lo is None or end_hi is None:
        out.notes.append("tibial plateau: the joint line is not seen on both sides")
        return False
    ends_u = []
    for end, sign in ((end_lo, 1.0), (end_hi, -1.0)):
        slope = float(np.polyval(np.polyder(coef), end))
        ends_u.append(end + sign * PLATEAU_END_INSET_MM / np.hypot(1.0, slope))
    ends = [np.array([mid[0] + e, np.polyval(coef, e)]) for e in ends_u]
    centre = (ends[0] + ends[1]) / 2
    d = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
    nrm = np.array([-d[1], d[0]])
    if nrm[1] < 0:
        nrm = -nrm
    # the spines: first edges standing more than 2 mm above the plateau near its
    # middle; the centre is midway between their outer flanks, at the level of their
    # tips above the line through the ends
    seen = np.isfinite(first)
    tops = np.column_stack([xs[seen], first[seen]])
    along_c = (tops - centre) @ d
    spine = (np.abs(along_c) <= 14.0) & (tops[:, 1] - np.polyval(coef, tops[:, 0] - mid[0]) < -2.0)
    conf_t = float(np.clip(1.0 - rms / 1.2, 0.2, 1.0))
    out.points["tibial_plateau_a"] = ends[0]
    out.points["tibial_plateau_b"] = ends[1]
    out.confidence["tibial_plateau_a"] = out.confidence["tibial_plateau_b"] = conf_t
    if spine.sum() >= 6:
        u_lo, u_hi = (float(v) for v in np.percentile(along_c[spine], (2, 98)))
        tip = float(np.percentile(((tops - centre) @ nrm)[spine], 10))
        balance = 1.0 - min(1.0, abs(u_lo + u_hi) / 16.0)
        out.points["tibial_knee_center"] = centre + 0.5 * (u_lo + u_hi) * d + tip * nrm
        out.confidence["tibial_knee_center"] = conf_t * (0.6 + 0.4 * balance)
    else:
        # spines not resolved: the usual height of the spines above the plateau,
        # about 1/8 of the plateau's width (9 mm on a 72 mm plateau); a prior, so
        # below the review threshold
        width = float(np.linalg.norm(ends[1] - ends[0]))
        out.points["tibial_knee_center"] = centre - SPINE_HEIGHT * width * nrm
        out.confidence["tibial_knee_center"] = min(0.45, 0.6 * conf_t)
        out.method["tibial_knee_center"] = "knee-native-spine-prior"
    return True


def _run_end(xs: F64, start: float, sign: float, *, gap: float) -> float | None:
    """Outer end of the run of column positions `xs` that starts within `gap` of
    `start` and goes on in direction `sign` (-1: toward smaller ``x``) without a hole
    wider than `gap`; None when no column is near `start`.

    >>> _run_end(np.array([1.0, 2.0, 3.0, 8.0, 9.0]), 2.5, 1.0, gap=2.0)
    3.0
    >>> _run_end(np.array([-9.0, -7.5, -6.0, 4.0]), -5.0, -1.0, gap=2.0)
    -9.0
    """
    along = np.sort(sign * (np.asarray(xs, dtype=float) - start))
    along = along[along >= -gap]
    if along.size == 0 or along[0] > gap:
        return None
    holes = np.flatnonzero(np.diff(along) > gap)
    last = along[holes[0]] if holes.size else along[-1]
    return float(start + sign * last)
