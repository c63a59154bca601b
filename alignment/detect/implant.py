"""Knee implants found as metal, and the component landmarks read from their outlines.

The components of a knee arthroplasty are the brightest, sharply edged objects of a
knee film. :func:`metal_regions` finds them as *stable* bright regions: lowering the
grey level by :data:`STABLE_DROP` (a tenth of the film's range) grows a metal region by
less than :data:`STABLE_GROWTH` (its edge is a step), while bone, whose edges are ramps,
grows far more. Each region's outline is then taken at half height between the metal
and what surrounds it. :func:`find_implant` names the parts: the femoral component
above, the tibial tray (with its keel or stem) below it, and whether it is a unicondylar
knee (a tray covering much less than the tibia). A small round solid region is a
calibration sphere, a region reaching two opposite edges of the film is a frame or a
bar, and small regions are markers and clips: none is an implant.

Landmarks are read from the outlines in the bone's own frame, in mm on the film: on AP
films in the leg's axis (:func:`ap_component_points`), on lateral films in the frame of
the component's opening and of the tray's plate (:func:`lat_component_points`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, robust_line

__all__ = [
    "Implant",
    "MetalRegion",
    "ap_component_points",
    "find_implant",
    "lat_component_points",
    "metal_regions",
]

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]

STABLE_DROP = 0.06
"""Grey-level drop (share of the film's range) over which a metal region must stay
nearly the same size."""

STABLE_GROWTH = 1.35
"""Largest area ratio over :data:`STABLE_DROP` for a region to count as sharply edged."""

SWEEP_MM = 0.6
"""Smallest pixel size of the copy on which grey levels are swept, mm."""

LEVEL_STEP = 0.02
"""Step of the grey levels swept (share of the film's range)."""

MIN_STEP = 0.1
"""Smallest brightness step (share of the range) from a metal region to its
surroundings (1-3 mm outside)."""

CORE_MIN_STEP = 0.06
"""Smallest brightness step (share of the range) from the core of a region run off
the film's edge (:func:`_core_off_border`) to the grey 1-3 mm outside it for the core
to be metal. Metal merged with a femur as bright as itself still steps up from the
bone around it (0.09-0.13 on the development set's AP TKA film read at 0.5-1 times
its pixels); the brightest part of a native femur, where the condyles overlap, fades
into it (0.03-0.04 on the native AP film): read at 0.67-1 mm a pixel its smooth
outline passed for a machined part, it was taken for a femoral component, and the
film for a lateral one. The bound lies between the two, under :data:`MIN_STEP` (a
region's step to the soft tissue around it), since bone, not soft tissue, surrounds
such a core."""

MIN_PART_MM2 = 120.0
"""Smallest metal region taken for a component or a tray (film mm^2); markers, clips
and the letters of a lead marker are smaller."""

ROUND_FILL = 0.72
"""Share of its enclosing circle above which a region is round and solid (a
calibration sphere)."""

FACING_DEG = 30.0
"""Largest angle between the femur's direction and the outward normal of an outline
point of the fixation surface (the chamfers face about 45 degrees away)."""

SURFACE_GAP_MM = 12.0
"""Longest gap along the fixation surface bridged (under the pegs), mm."""

SURFACE_MIN_POINTS = 6
"""Fewest outline points (one per two working pixels along it) of a run that may be
the fixation surface: as many as the line through it needs (:func:`_fixation_surface`
asks for 6 on the line)."""

SURFACE_BAND_MM = 8.0
"""How far above the most distal inner outline facing the femur the fixation surface
is looked for, mm."""

WALL_BAND_MM = (-3.0, 15.0)
"""Heights above the fixation surface (mm) at which the chamfer or flange that ends
it is read (:func:`_buried_end`)."""

WALL_STEP_MM = 0.6
"""Height step at which that wall is read, mm."""

WALL_FACING_DEG = 60.0
"""Largest angle between an inner wall's outward normal and the direction back along
the fixation surface toward its middle."""

WALL_MIN_DEG = 15.0
"""Smallest angle between that wall and the fixation surface (a chamfer is about 45
degrees to it, a flange about 90, both seen foreshortened on a flexed film)."""

WALL_JUMP_MM = 2.0
"""Largest step along the surface between the wall's points at successive heights;
a larger one ends the wall (a peg's top, the flange above a chamfer), mm."""

WALL_LEVELS = 5
"""Fewest heights a stretch of wall must span to be read."""

WALL_FOOT_MM = 5.0
"""Height of the wall's foot through which its line is fitted (a chamfer turns into
the flange higher up), mm."""

WALL_CLEAR_MM = 2.0
"""How far beyond the surface's visible run a wall must meet it to be a buried
corner; nearer, the visible run's end is the corner, mm."""

WALL_REACH_MM = 20.0
"""Farthest a buried corner is taken beyond the visible run of the surface, mm."""

COVERED_SHARE = 0.75
"""Smallest share of the surface line, 1 mm above it, between its visible end and a
buried corner that must lie under metal (pegs standing on it; slits between the pegs
are the rest)."""

MAX_ROUGHNESS = 1.3
"""Largest :func:`roughness` of an implant part's outline."""

CONDYLE_DEPTH_MM = 25.0
"""Height of the lowest part of a femoral component's outline in which its condyles
and intercondylar opening are read (AP), mm."""

BORDER_SHARE = 0.25
"""Largest share of its extent along which an implant part may touch the film's edge."""

UKA_WIDTH = 0.7
"""On an AP film, a femoral component narrower than this share of its tray is a
unicondylar one (a total knee's component is about as wide as its tray)."""


@dataclass(frozen=True)
class MetalRegion:
    """One sharply edged bright region on the working copy.

    Attributes
    ----------
    mask : numpy.ndarray of bool
        The region at half height, on the working copy.
    mm : float
        Pixel size of the working copy, mm.
    level : float
        Grey level (normalised) of the outline.
    step : float
        Brightness step from the region's rim to 1-3 mm outside it.
    """

    mask: Mask
    mm: float
    level: float
    step: float

    @property
    def area_mm2(self) -> float:
        """Area, film mm^2."""
        return float(self.mask.sum()) * self.mm * self.mm

    @property
    def points(self) -> F64:
        """Centres of the region's pixels, ``(x, y)`` mm, shape (n, 2)."""
        rows, cols = np.nonzero(self.mask)
        return np.column_stack([(cols + 0.5) * self.mm, (rows + 0.5) * self.mm])

    @property
    def centroid(self) -> F64:
        """Centre of the region, mm."""
        return np.asarray(self.points.mean(axis=0), dtype=float)

    def extent(self, direction: F64) -> tuple[float, float]:
        """Smallest and largest projection of the region's pixels on `direction` (mm)."""
        s = self.points @ np.asarray(direction, dtype=float)
        return float(s.min()), float(s.max())


@dataclass(frozen=True)
class Implant:
    """The parts of a knee implant on one film.

    Attributes
    ----------
    femoral, tray : MetalRegion or None
        The femoral component and the tibial tray (with its keel or stem).
    unicondylar : bool
        Whether the tray covers only one compartment of the tibia.
    others : list of MetalRegion
        Other implant-sized metal (a patellar button, a separate stem).
    """

    femoral: MetalRegion | None
    tray: MetalRegion | None
    unicondylar: bool = False
    others: list[MetalRegion] = field(default_factory=list)


def metal_regions(img: F32, mm: float, *, growth: float | None = None) -> list[MetalRegion]:
    """Sharply edged bright regions of a normalised film (bone bright, 0-1).

    Parameters
    ----------
    img : numpy.ndarray of float32
        The film, square pixels of `mm`, normalised (0 = dark, 1 = bright).
    mm : float
        Pixel size, mm.

    Returns
    -------
    list of MetalRegion
        Largest first; each at least :data:`MIN_PART_MM2`, with a step of at least
        :data:`MIN_STEP` to its surroundings unless it runs along the film's edge.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:200, 0:200]
    >>> bump = np.exp(-((xx - 100) ** 2 + (yy - 100) ** 2) / 3000)  # bone without edges
    >>> img = (0.2 + 0.4 * bump).astype(np.float32)
    >>> img[80:100, 20:180] = 1.0  # a metal plate, 32 x 4 mm
    >>> [round(r.area_mm2) for r in metal_regions(img, 0.2)]
    [128]
    """
    smooth = ndimage.gaussian_filter(img.astype(np.float32), 0.6)
    # the sweep runs on a copy of at least SWEEP_MM pixels (the cores only need to
    # be found there; each outline is then drawn at full resolution)
    factor = max(1, int(SWEEP_MM / mm))
    small = smooth[::factor, ::factor] if factor > 1 else smooth
    sweep_mm = mm * factor
    top = float(np.percentile(small, 99.95))
    # metal is brighter than most of the film: the sweep stops at its median
    levels = np.arange(top - LEVEL_STEP, max(0.2, float(np.median(small))), -LEVEL_STEP)
    drop = max(1, round(STABLE_DROP / LEVEL_STEP))
    min_px = MIN_PART_MM2 / (sweep_mm * sweep_mm)
    limit = STABLE_GROWTH if growth is None else growth
    labels: list[NDArray[np.int32]] = []
    stats: list[NDArray[np.int32]] = []
    for level in levels:
        _, lab, st, _ = cv2.connectedComponentsWithStats(
            (small > level).astype(np.uint8), connectivity=8
        )
        labels.append(np.asarray(lab, np.int32))
        stats.append(np.asarray(st, np.int32))
    candidates: list[tuple[int, float, int]] = []
    for k in range(len(levels) - drop):
        area = stats[k][:, cv2.CC_STAT_AREA]
        big = np.flatnonzero(area >= min_px)
        for label in big[big > 0]:
            # the region's parent `drop` levels lower, found from one of its pixels
            # (the first of its bounding box's top row)
            top_row, left, width = (int(v) for v in stats[k][label, [1, 0, 2]])
            row = labels[k][top_row, left : left + width]
            col = left + int(np.argmax(row == label))
            parent = labels[k + drop][top_row, col]
            ratio = float(stats[k + drop][parent, cv2.CC_STAT_AREA] / area[label])
            if ratio < limit:
                candidates.append((k, ratio, int(label)))
    # the brightest stable region of each nested chain (metal inside bone inside the
    # soft tissue: the lower levels' regions contain it and are skipped)
    candidates.sort()
    taken = np.zeros(small.shape, bool)
    found: list[MetalRegion] = []
    for k, _, label in candidates:
        box = _box_of(stats[k], label)
        inside = labels[k][box] == label
        if (taken[box] & inside).any():
            continue
        taken[box] |= inside
        core: Mask = np.zeros(img.shape, bool)
        up: Mask = np.repeat(np.repeat(inside, factor, axis=0), factor, axis=1)
        r0, c0 = box[0].start * factor, box[1].start * factor
        h = min(up.shape[0], img.shape[0] - r0)
        w = min(up.shape[1], img.shape[1] - c0)
        core[r0 : r0 + h, c0 : c0 + w] = up[:h, :w]
        region = _half_height(smooth, core, mm)
        # a region leaving the film may be metal merged with an equally bright bone
        # (its step to the soft tissue beside the bone is small): the caller decides
        if region is not None and (region.step >= MIN_STEP or _on_border(region)):
            found.append(region)
    found.sort(key=lambda r: -r.area_mm2)
    return found


def _box_of(st: NDArray[np.int32], label: int) -> tuple[slice, slice]:
    x, y, w, h = (int(v) for v in st[label, :4])
    return slice(y, y + h), slice(x, x + w)


def _half_height(img: F32, core: Mask, mm: float) -> MetalRegion | None:
    """The region grown from `core` at half height between its rim and its
    surroundings (1-3 mm out), or None if it is not brighter than them."""
    r1, r3 = max(1, round(1.0 / mm)), max(2, round(3.0 / mm))
    rows, cols = np.nonzero(core)
    pad = r3 + 2
    r0, c0 = max(0, rows.min() - pad), max(0, cols.min() - pad)
    r_1, c_1 = min(img.shape[0], rows.max() + pad + 1), min(img.shape[1], cols.max() + pad + 1)
    box = img[r0:r_1, c0:c_1]
    m = core[r0:r_1, c0:c_1]
    rim = m & ~ndimage.binary_erosion(m, iterations=r1)
    far = ndimage.binary_dilation(m, iterations=r3) & ~ndimage.binary_dilation(m, iterations=r1)
    if not rim.any() or not far.any():
        return None
    inside, outside = float(np.median(box[rim])), float(np.median(box[far]))
    step = inside - outside
    if step <= 0:
        return None
    level = outside + step / 2
    lab, _ = ndimage.label(box > level)
    keep = np.unique(lab[m & (lab > 0)])
    grown = np.isin(lab, keep[keep > 0]) & ndimage.binary_dilation(m, iterations=r3)
    mask = np.zeros(img.shape, bool)
    mask[r0:r_1, c0:c_1] = ndimage.binary_fill_holes(grown | m)
    return MetalRegion(mask, mm, level, step)


def _perimeter(mask: Mask) -> float:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return float(sum(cv2.arcLength(c, True) for c in contours))


def roughness(region: MetalRegion) -> float:
    """Perimeter of the region's outline over that of the outline smoothed over 1 mm:
    about 1 for a machined part, well above for a bone's textured bright patch."""
    smooth = ndimage.gaussian_filter(region.mask.astype(np.float32), 1.0 / region.mm) > 0.5
    return _perimeter(region.mask) / max(_perimeter(smooth), 1e-6)


def _is_round(region: MetalRegion) -> bool:
    pts = region.points
    c = pts.mean(axis=0)
    reach = float(np.sqrt(((pts - c) ** 2).sum(axis=1)).max()) + region.mm / 2
    return region.area_mm2 / (math.pi * reach * reach) > ROUND_FILL


def _on_border(region: MetalRegion) -> bool:
    """Whether the region runs along the film's edge for more than
    :data:`BORDER_SHARE` of its extent there (a frame, a bar, a bright band at the
    film's edge; a stem or flange cut by a tight crop touches it over its width only)."""
    m = region.mask
    rows, cols = np.nonzero(m)
    width, height = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
    along = (
        (m[0].sum(), width),
        (m[-1].sum(), width),
        (m[:, 0].sum(), height),
        (m[:, -1].sum(), height),
    )
    return any(contact > BORDER_SHARE * extent for contact, extent in along)


def _core_off_border(img: F32, region: MetalRegion) -> MetalRegion | None:
    """The largest part of `region` above a higher grey level that no longer runs
    along the film's edge (levels raised by :data:`LEVEL_STEP`), or None; also None
    when that part does not step up from the grey around it by
    :data:`CORE_MIN_STEP` (bright bone, not metal: higher levels are not tried, as
    metal merged with bone stands clear of it at the first level that parts them)."""
    rows, cols = np.nonzero(region.mask)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    smooth = ndimage.gaussian_filter(img[box].astype(np.float32), 0.6)
    inside = region.mask[box]
    min_px = MIN_PART_MM2 / (region.mm * region.mm)
    level = region.level + LEVEL_STEP
    top = float(smooth[inside].max())
    while level < top:
        lab, n = ndimage.label(inside & (smooth > level))
        if n == 0:
            return None
        sizes = np.bincount(lab.ravel())[1:]
        k = int(np.argmax(sizes)) + 1
        if sizes[k - 1] < min_px:
            return None
        mask = np.zeros(region.mask.shape, bool)
        mask[box] = ndimage.binary_fill_holes(lab == k)
        core = MetalRegion(mask, region.mm, level, region.step)
        if not _on_border(core):
            edged = _half_height(ndimage.gaussian_filter(img, 0.6), mask, region.mm)
            return core if edged is not None and edged.step >= CORE_MIN_STEP else None
        level += LEVEL_STEP
    return None


def _stacked(upper: MetalRegion, lower: MetalRegion) -> bool:
    """Whether `lower` lies under the lowest part of `upper`, overlapping it across
    and within :data:`CONDYLE_DEPTH_MM` of it."""
    x = np.array([1.0, 0.0])
    uy1 = upper.extent(np.array([0.0, 1.0]))[1]
    ly0 = lower.extent(np.array([0.0, 1.0]))[0]
    pts = upper.points
    foot = pts[pts[:, 1] >= uy1 - CONDYLE_DEPTH_MM]
    fx0, fx1 = float(foot[:, 0].min()), float(foot[:, 0].max())
    lx0, lx1 = lower.extent(x)
    overlap = min(fx1, lx1) - max(fx0, lx0)
    return bool(
        overlap >= 0.5 * min(fx1 - fx0, lx1 - lx0) and 0.0 <= ly0 - uy1 <= CONDYLE_DEPTH_MM
    )


def find_implant(work: Work, mm: float) -> tuple[Implant | None, F32]:
    """Find the knee implant on a film.

    Parameters
    ----------
    work : Work
        The film.
    mm : float
        Pixel size of the working copy the metal is read on.

    Returns
    -------
    implant : Implant or None
        None when no femoral component and no tray are seen.
    img : numpy.ndarray of float32
        The working copy (normalised) the regions refer to.
    """
    img = (
        work.coarse
        if math.isclose(work.coarse_mm, mm)
        else Work.of(work.pixels, work.spacing_mm, coarse_mm=mm).coarse
    )
    parts: list[MetalRegion] = []
    merged: list[MetalRegion] = []
    for region in metal_regions(img, mm):
        if _on_border(region):
            # metal run into bone as bright as itself, which leaves the film: the
            # brighter core that stays clear of the film's edge, if any
            core = _core_off_border(img, region)
            if core is None:
                merged.append(region)
                continue
            region = core
        if not _is_round(region) and roughness(region) <= MAX_ROUGHNESS:
            parts.append(region)
    if not parts:
        return None, img
    best: tuple[float, MetalRegion | None, MetalRegion | None] = (0.0, None, None)
    for upper in parts:
        ux0, ux1 = upper.extent(np.array([1.0, 0.0]))
        uy0, uy1 = upper.extent(np.array([0.0, 1.0]))
        for lower in parts:
            if lower is upper:
                continue
            lx0, lx1 = lower.extent(np.array([1.0, 0.0]))
            ly0, ly1 = lower.extent(np.array([0.0, 1.0]))
            overlap = min(ux1, lx1) - max(ux0, lx0)
            narrower = min(ux1 - ux0, lx1 - lx0)
            stacked = upper.centroid[1] < ly0 + 0.5 * (ly1 - ly0) and lower.centroid[1] > uy0
            if overlap < 0.3 * narrower or not stacked:
                continue
            gap = ly0 - uy1
            if gap > max(uy1 - uy0, ly1 - ly0):
                continue
            score = upper.area_mm2 + lower.area_mm2
            if score > best[0]:
                best = (score, upper, lower)
    _, femoral, tray = best
    if femoral is None:
        # a femoral component as bright as the distal femur (a saturated film) is one
        # region with the femur, which leaves the film at its top: its lower outline
        # is still the component's, when it sits just above a tray
        for upper in sorted(merged, key=lambda r: -r.area_mm2):
            below = [t for t in parts if _stacked(upper, t)]
            if below:
                femoral, tray = upper, max(below, key=lambda t: t.area_mm2)
                break
    if femoral is None:
        # one part only: a tray has its plate's long straight top, a femoral
        # component is taken when the part lies above the film's middle
        only = parts[0]
        if only.centroid[1] < 0.5 * img.shape[0] * mm:
            femoral = only
        else:
            tray = only
    others = [p for p in parts if p is not femoral and p is not tray]
    uka = femoral is not None and tray is not None and _width(femoral) < UKA_WIDTH * _width(tray)
    return Implant(femoral, tray, uka, others), img


def _width(region: MetalRegion) -> float:
    """Width across the film (mm)."""
    x0, x1 = region.extent(np.array([1.0, 0.0]))
    return x1 - x0


# ---------------------------------------------------------------------------
# outlines in a frame


@dataclass(frozen=True)
class _Frame:
    """An orthonormal frame: ``u`` across (mm), ``v`` along (down the bone)."""

    origin: F64
    v: F64

    @property
    def u(self) -> F64:
        return np.array([self.v[1], -self.v[0]])

    def to(self, p: F64) -> F64:
        d = np.atleast_2d(p) - self.origin
        return np.column_stack([d @ self.u, d @ self.v])

    def back(self, q: F64) -> F64:
        q = np.atleast_2d(q)
        return self.origin + q[:, :1] * self.u + q[:, 1:2] * self.v


def _outline(region: MetalRegion) -> F64:
    """Boundary pixels of the region as points (mm)."""
    edge = region.mask & ~ndimage.binary_erosion(region.mask)
    rows, cols = np.nonzero(edge)
    return np.column_stack([(cols + 0.5) * region.mm, (rows + 0.5) * region.mm])


def _lowest_by_column(pts: F64, step: float, *, lowest: bool = True) -> tuple[F64, F64]:
    """Per bin of width `step` along ``u`` (column 0), the largest (or smallest) ``v``."""
    bins = np.floor(pts[:, 0] / step).astype(int)
    order = np.argsort(bins)
    b, start = np.unique(bins[order], return_index=True)
    split = np.split(pts[order, 1], start[1:])
    vals = np.array([s.max() if lowest else s.min() for s in split])
    return (b + 0.5) * step, vals


def ap_component_points(
    implant: Implant, down: F64
) -> tuple[dict[str, F64], dict[str, float], list[str]]:
    """AP landmarks of a total knee from its metal outlines.

    In the frame whose ``v`` is `down` (the leg's axis, toward the foot):

    - ``distal_femur_a`` / ``_b``: the lowest point of each component condyle (the
      halves either side of the component's middle); a flat bottom gives the middle
      of the columns within 0.3 mm of the lowest;
    - ``femoral_knee_center``: midway between the two, at the top of the component's
      intercondylar opening (the highest point of its lower outline between them);
    - ``tibial_plateau_a`` / ``_b``: the tray's two inferior corners (the ends of its
      plate's lower surface);
    - ``tibial_knee_center``: the centre of the plate (mid-width, mid-thickness).

    ``_a`` is the end toward smaller ``u`` (for `down` = +y, smaller ``x``). A
    unicondylar knee gives its tray's ends, no tray centre (the tibial spines are
    native) and ``distal_femur_unicondylar``, the component's lowest point.

    Returns
    -------
    points, confidence : dict
        Film mm and confidence in [0, 1].
    notes : list of str
        Why a landmark is missing.
    """
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    notes: list[str] = []
    down = np.asarray(down, float) / np.linalg.norm(down)
    if implant.femoral is not None and not implant.unicondylar:
        fem = implant.femoral
        frame = _Frame(fem.centroid, down)
        got = _condyles(frame, fem)
        if got is None:
            notes.append("distal_femur_a: the component's condyles were not resolved")
        else:
            a, b, top = got
            points["distal_femur_a"], points["distal_femur_b"] = frame.back(a)[0], frame.back(b)[0]
            points["femoral_knee_center"] = frame.back(top)[0]
            for n in ("distal_femur_a", "distal_femur_b", "femoral_knee_center"):
                conf[n] = 0.85
    if implant.femoral is not None and implant.unicondylar:
        # a unicondylar component: its lowest point (the middle of a flat bottom)
        frame = _Frame(implant.femoral.centroid, down)
        q = frame.to(_outline(implant.femoral))
        flat = q[:, 1] >= q[:, 1].max() - max(0.3, 2 * implant.femoral.mm)
        low = np.array([float(np.median(q[flat, 0])), float(q[:, 1].max())])
        points["distal_femur_unicondylar"] = frame.back(low)[0]
        conf["distal_femur_unicondylar"] = 0.8
    if implant.tray is not None:
        centre = _tray_corners(implant.tray, down, points, conf)
        if centre is None:
            notes.append("tibial_plateau_a: the tray's plate was not resolved")
        elif not implant.unicondylar:
            points["tibial_knee_center"] = centre
            conf["tibial_knee_center"] = conf["tibial_plateau_a"]
    return points, conf, notes


def _condyles(frame: _Frame, fem: MetalRegion) -> tuple[F64, F64, F64] | None:
    """Lowest point of each half of the component's lower outline and the top of the
    opening between them, in the frame's coordinates."""
    # bins two pixels wide: a turned outline leaves no bin without its pixels
    step = 2 * fem.mm
    u, v = _lowest_by_column(frame.to(_outline(fem)), step)
    # the condyles' part only (a component merged with an equally bright femur
    # carries the femur above it)
    low = v >= v.max() - CONDYLE_DEPTH_MM
    u, v = u[low], v[low]
    if u.size < 10:
        return None
    mid = 0.5 * (u.min() + u.max())
    halves = []
    for side in (u < mid, u >= mid):
        uu, vv = u[side], v[side]
        flat = vv >= vv.max() - max(0.3, step)
        halves.append(np.array([float(np.median(uu[flat])), float(vv.max())]))
    a, b = halves
    between = (u > a[0] + 0.25 * (b[0] - a[0])) & (u < b[0] - 0.25 * (b[0] - a[0]))
    if not between.any():
        return None
    top = np.array([(a[0] + b[0]) / 2, float(v[between].min())])
    return a, b, top


def _tray_corners(
    tray: MetalRegion, down: F64, points: dict[str, F64], conf: dict[str, float]
) -> F64 | None:
    """Put the tray's two inferior corners (:func:`_plate`, in the frame whose ``down``
    is given) into `points` and `conf` as ``tibial_plateau_a`` and ``_b``; return the
    plate's centre (mm on the film), or None when the plate is not resolved."""
    frame = _Frame(tray.centroid, down)
    plate = _plate(frame, tray)
    if plate is None:
        return None
    a, b, centre, c = plate
    points["tibial_plateau_a"], points["tibial_plateau_b"] = frame.back(a)[0], frame.back(b)[0]
    conf["tibial_plateau_a"] = conf["tibial_plateau_b"] = c
    return frame.back(centre)[0]


def _plate(frame: _Frame, tray: MetalRegion) -> tuple[F64, F64, F64, float] | None:
    """The tray plate's two inferior corners, its centre and a confidence, in the
    frame's coordinates. The plate is the wide upper part of the tray: columns whose
    first metal run from the top is short (the keel's or stem's columns run on), under
    1.6 times the lower quartile of the runs' lengths (and a pixel)."""
    step = tray.mm
    pts = frame.to(tray.points)
    bins = np.floor(pts[:, 0] / step).astype(int)
    order = np.argsort(bins)
    b, start = np.unique(bins[order], return_index=True)
    split = np.split(pts[order, 1], start[1:])
    tops = np.array([s.min() for s in split])
    bottoms = []
    for s in split:
        # the first run of metal down the column (holes under 1 mm bridged)
        s = np.sort(s)
        gaps = np.flatnonzero(np.diff(s) > 1.0)
        bottoms.append(s[gaps[0]] if gaps.size else s[-1])
    bot = np.array(bottoms)
    thick = bot - tops
    u = (b + 0.5) * step
    # the plate's own thickness: the keel's or stem's columns, and a thicker part
    # beside them on some designs, can be half of the region's columns (with the
    # median, part of one counted as plate at some pixel sizes and the tray line's
    # end went 14 px low)
    typical = float(np.percentile(thick, 25.0))
    plate = thick < 1.6 * typical + step
    if plate.sum() < 6:
        return None
    fit = robust_line(np.column_stack([u[plate], bot[plate]]), threshold=max(0.6, 2 * step))
    if fit is None:
        return None
    ua, ub = float(u[plate].min()), float(u[plate].max())
    ends = []
    centre_line, along = fit[0], fit[1]
    for end, sign in ((ua, 1.0), (ub, -1.0)):
        # the corner: the plate's end on the line fitted to its lower edge (a rounded
        # or bevelled corner does not pull it up)
        v_end = float(centre_line[1] + (end - centre_line[0]) * along[1] / along[0])
        ends.append(np.array([end - sign * step / 2, v_end + step / 2]))
    a, b = ends
    # mid-thickness at mid-width: the plate's columns' middles, a line through them
    middles = np.polyfit(u[plate], (tops[plate] + bot[plate]) / 2, 1)
    centre = np.array([(ua + ub) / 2, float(np.polyval(middles, (ua + ub) / 2))])
    share = float(plate.mean())
    c = float(np.clip(0.5 + share, 0.0, 0.9))
    return a, b, centre, c


def lat_component_points(
    implant: Implant, femur_up: F64 | None = None
) -> tuple[dict[str, F64], dict[str, float], list[str]]:
    """Lateral landmarks of a knee implant from its metal outlines.

    - The femoral component's **distal fixation surface**: the component is seen as a
      C open toward the femur; its concavity (convex hull minus metal) points "up" the
      femur (`femur_up` when given). Outline points facing that way within 30 degrees
      (the chamfers face 45 degrees away) are the surface and the pegs' tops; of
      their runs along it (gaps up to 12 mm, the pegs' bases, bridged), the one with
      the most points (:func:`_longest_run`: beyond the chamfers lie shorter ones, a
      flange's or a condyle's inner contour seen doubled) holds the surface, and the
      line with the most of its points within 0.7 mm (the surface is longer than a
      peg's top) is the surface, its ends the extreme points on it - or, where pegs stand
      on it up to a chamfer or the flange, the foot of that wall
      (:func:`_buried_end`).
    - The tray's **inferior surface**: the two inferior corners of its plate, in the
      frame of the plate's long straight top.

    Returns ``femoral_component_a`` / ``_b`` and ``tibial_plateau_a`` / ``_b``; the
    caller names the ends anterior and posterior.
    """
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    notes: list[str] = []
    if implant.femoral is not None:
        got = _fixation_surface(implant.femoral, femur_up)
        if isinstance(got, str):
            notes.append("femoral_component_anterior: " + got)
        else:
            a, b, c = got
            points["femoral_component_a"], points["femoral_component_b"] = a, b
            conf["femoral_component_a"] = conf["femoral_component_b"] = c
    tray = implant.tray
    if tray is not None and _tray_corners(tray, _tray_down(tray), points, conf) is None:
        notes.append("tibial_plateau_anterior: the tray's plate was not resolved")
    return points, conf, notes


def concavity_direction(region: MetalRegion) -> F64 | None:
    """Unit vector from the region's centroid to the centroid of its largest
    concavity (convex hull minus metal): where a femoral component opens (toward the
    femur), or None for a convex region."""
    m = region.mask.astype(np.uint8)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    hull = cv2.convexHull(np.vstack(contours))
    filled = np.zeros_like(m)
    cv2.fillPoly(filled, [hull], 1)
    lab, n = ndimage.label((filled > 0) & ~region.mask)
    if n == 0:
        return None
    sizes = ndimage.sum_labels(np.ones_like(lab), lab, index=np.arange(1, n + 1))
    k = int(np.argmax(sizes)) + 1
    if sizes[k - 1] * region.mm**2 < 0.1 * region.area_mm2:
        return None
    rows, cols = np.nonzero(lab == k)
    c = np.array([(cols.mean() + 0.5) * region.mm, (rows.mean() + 0.5) * region.mm])
    d = c - region.centroid
    norm = float(np.linalg.norm(d))
    return d / norm if norm > 0 else None


def _normals(region: MetalRegion) -> tuple[F64, F64]:
    """Outline points (mm) and their outward unit normals (from metal into the
    surroundings), from the smoothed mask's gradient."""
    soft = ndimage.gaussian_filter(region.mask.astype(np.float32), 1.0)
    gy, gx = (np.asarray(g, np.float64) for g in np.gradient(soft))
    pts = _outline(region)
    rows = (pts[:, 1] / region.mm - 0.5).astype(int)
    cols = (pts[:, 0] / region.mm - 0.5).astype(int)
    g = -np.column_stack([gx[rows, cols], gy[rows, cols]])
    norm = np.linalg.norm(g, axis=1)
    ok = norm > 1e-6
    return pts[ok], g[ok] / norm[ok, None]


def _fixation_surface(fem: MetalRegion, femur_up: F64 | None) -> tuple[F64, F64, float] | str:
    up = femur_up if femur_up is not None else concavity_direction(fem)
    if up is None:
        return "the component's opening (its concavity) was not found"
    up = np.asarray(up, float) / np.linalg.norm(up)
    pts, normals = _normals(fem)
    tol = max(0.7, 2 * fem.mm)
    found = None
    # twice: the second time "up" is the first line's normal and the cone narrower,
    # so that chamfers (45 degrees off the surface) cannot join a tilted first guess
    for cone in (FACING_DEG, FACING_DEG / 2):
        cand = pts[normals @ up > math.cos(math.radians(cone))]
        if len(cand) < 10:
            return "no inner outline facing the femur"
        frame = _Frame(fem.centroid, -up)
        # the most distal outline facing the femur in each column; the arms' tops
        # (flange, posterior condyles) and the pegs' tips lie far above the surface
        u, v = _lowest_by_column(frame.to(cand), 2 * fem.mm, lowest=True)
        near = v >= v.max() - SURFACE_BAND_MM
        q = _longest_run(np.column_stack([u[near], v[near]]))
        fit = robust_line(q, threshold=tol)
        if fit is None:
            return "no straight fixation surface"
        centre, direction = fit[0], fit[1]
        normal = np.array([-direction[1], direction[0]])
        on = np.abs((q - centre) @ normal) <= tol
        if on.sum() < 6:
            return "no straight fixation surface"
        s = np.sort((q[on] - centre) @ direction)
        # the run of points on the line around its middle; gaps up to
        # SURFACE_GAP_MM (the pegs' bases) are bridged
        mid = int(np.argmin(np.abs(s - np.median(s))))
        cuts = np.flatnonzero(np.diff(s) > SURFACE_GAP_MM)
        lo = s[cuts[cuts < mid][-1] + 1] if (cuts < mid).any() else s[0]
        hi = s[cuts[cuts >= mid][0]] if (cuts >= mid).any() else s[-1]
        outline = (frame.to(pts) - centre, normals @ np.column_stack([frame.u, frame.v]))
        rise = normal if normal[1] < 0 else -normal  # toward the femur
        # where along the line the surface itself is seen: every outline point facing
        # the femur on it, in whichever run
        facing = frame.to(cand) - centre
        seen = facing[np.abs(facing @ normal) <= tol] @ direction
        corners = []
        for end, sign in ((lo, -1.0), (hi, 1.0)):
            corner = _buried_end(*outline, direction, rise, end, sign)
            along = np.linspace(end, corner[0], 16)
            # the surface between its visible end and the corner, 1 mm above it
            above = centre + np.outer(along, direction) + rise
            covered = _covered(fem, frame.back(above), _seen_at(along, seen, 2 * fem.mm))
            corners.append(corner if covered else (end, 0.0))
        at = np.vstack([centre + a * direction + b * rise for a, b in corners])
        found = (frame.back(at), on)
        film_normal = frame.back(np.vstack([normal, np.zeros(2)]))
        n = film_normal[0] - film_normal[1]
        up = n if n @ up > 0 else -n
        up = up / np.linalg.norm(up)
    assert found is not None
    ends, on = found
    return ends[0], ends[1], float(np.clip(0.4 + on.mean(), 0.0, 0.9))


def _longest_run(q: F64) -> F64:
    """The run of points `q` with the most points (mm, shape (n, 2), sorted by the
    first column; gaps along it up to :data:`SURFACE_GAP_MM` - the pegs' bases -
    bridged), of the runs of at least :data:`SURFACE_MIN_POINTS`; all of `q` if there
    is none.

    The inner outline facing the femur near the fixation surface has other, shorter
    runs beyond the chamfers (the inner contour of a flange or a condyle seen doubled,
    a chamfer's top): a line fitted to all of them can pass through a short visible
    stretch of the surface and such a run at once, degrees off the surface.

    >>> q = np.array([[x, 0.0] for x in range(-30, -24)] + [[x, 2.0] for x in range(10)], float)
    >>> _longest_run(q)[:, 0].tolist() == list(range(10))
    True
    """
    cuts = np.flatnonzero(np.diff(q[:, 0]) > SURFACE_GAP_MM) + 1
    runs = [r for r in np.split(q, cuts) if len(r) >= SURFACE_MIN_POINTS]
    return max(runs, key=len, default=q)


def _covered(region: MetalRegion, points: F64, seen: NDArray[np.bool_]) -> bool:
    """Whether at least :data:`COVERED_SHARE` of film `points` (mm, shape (n, 2); 1 mm
    above a stretch of the fixation surface) lie on the region's metal or over a stretch
    where the surface is `seen` (one flag per point): a stretch under pegs, with the
    surface seen between and beyond them, is; a surface curving away past its end is
    not.

    The pegs alone cover about 0.7-0.9 of the stretch between a visible run and the
    chamfer's foot on a development film, and the share crossed the bound with a 10 %
    change of the film's spacing (its component line lost at 0.9 and 1.1 times it);
    the surface seen beyond the pegs makes up the rest.

    >>> mask = np.zeros((4, 4), bool); mask[0, :2] = True  # a peg over half the stretch
    >>> region = MetalRegion(mask, 1.0, 0.9, 0.3)
    >>> points = np.array([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [3.5, 0.5]])
    >>> _covered(region, points, np.zeros(4, bool))
    False
    >>> _covered(region, points, np.array([False, False, True, True]))  # the rest seen
    True
    """
    rows = np.clip((points[:, 1] / region.mm).astype(int), 0, region.mask.shape[0] - 1)
    cols = np.clip((points[:, 0] / region.mm).astype(int), 0, region.mask.shape[1] - 1)
    return bool((region.mask[rows, cols] | seen).mean() >= COVERED_SHARE)


def _seen_at(along: F64, seen: F64, reach: float) -> NDArray[np.bool_]:
    """For each position `along` a line (mm), whether a point where the line is seen
    (`seen`, positions along it, mm) lies within `reach` of it.

    >>> _seen_at(np.array([0.0, 5.0, 10.0]), np.array([4.5, 20.0]), 1.0).tolist()
    [False, True, False]
    """
    if seen.size == 0:
        return np.zeros(along.shape, bool)
    return np.min(np.abs(along[:, None] - seen[None, :]), axis=1) <= reach


def _buried_end(
    q: F64, normals: F64, direction: F64, rise: F64, end: float, sign: float
) -> tuple[float, float]:
    """Where the fixation surface ends beyond its visible run: at the foot of the
    chamfer or flange that buries it (with the pegs standing on it in front, its
    visible run can stop well short of that corner).

    `q` and `normals` are the component's outline points (mm) and outward normals in
    the surface's frame (origin on the surface line, unit `direction` along it, unit
    `rise` square to it toward the femur); `end` is the visible run's end along
    `direction` and `sign` the side (+1 or -1) looked at.

    The wall is, at each height in :data:`WALL_BAND_MM`, the farthest inner outline
    point (within :data:`WALL_REACH_MM`) facing back toward the surface's middle
    (within :data:`WALL_FACING_DEG`). Of its stretches between jumps (a peg's side in
    front of the wall, a peg's top), the lowest spanning :data:`WALL_LEVELS` heights
    is taken, and a robust line fitted through its lowest :data:`WALL_FOOT_MM`. Where
    that line meets the surface more than :data:`WALL_CLEAR_MM` and at most
    :data:`WALL_REACH_MM` beyond `end`, the corner is buried: returns the line's point
    at the wall's lowest height or on the surface, whichever is lower (the notch
    between the pegs and the wall), as ``(along, height)`` in mm; else ``(end, 0)``
    (a visible corner: the wall meets the surface where its run stops).

    >>> h = np.arange(-0.5, 12.0, 0.3)
    >>> q = np.column_stack([10.0 + 0.2 * h, h])  # a wall standing at s = 10 mm
    >>> n = np.tile([-1.0, 0.0], (len(h), 1))
    >>> d, r = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> [round(v, 1) for v in _buried_end(q, n, d, r, 4.0, 1.0)]
    [9.9, -0.6]
    """
    s, h = q @ direction, q @ rise
    facing = (normals @ direction) * -sign > math.cos(math.radians(WALL_FACING_DEG))
    past = sign * (s - end)
    band = facing & (past > 0) & (past <= WALL_REACH_MM)
    band &= (h >= WALL_BAND_MM[0]) & (h <= WALL_BAND_MM[1])
    if band.sum() < 5:
        return end, 0.0
    sb, hb = s[band], h[band]
    level = np.round(hb / WALL_STEP_MM)
    levels = np.unique(level)
    at = [np.flatnonzero(level == k)[np.argmax(sign * sb[level == k])] for k in levels]
    wall = np.column_stack([hb[at], sb[at]])  # (height, along) of the farthest points
    # stretches of wall between jumps of the outline (a peg's side below the chamfer
    # behind it, a peg's top, the flange above a chamfer); the lowest stretch of
    # WALL_LEVELS heights or more rises from the corner
    jumps = np.flatnonzero((np.abs(np.diff(wall[:, 1])) > WALL_JUMP_MM) | (np.diff(levels) > 1))
    stretches = [w for w in np.split(wall, jumps + 1) if len(w) >= WALL_LEVELS]
    if not stretches:
        return end, 0.0
    wall = stretches[0]
    wall = wall[wall[:, 0] <= wall[0, 0] + WALL_FOOT_MM]  # a chamfer, not the flange above
    fit = robust_line(wall)
    if fit is None or abs(fit[1][0]) < math.sin(math.radians(WALL_MIN_DEG)):
        return end, 0.0
    c, d = fit[0], fit[1]
    if not WALL_CLEAR_MM < sign * (c[1] - c[0] * d[1] / d[0] - end) <= WALL_REACH_MM:
        return end, 0.0  # the wall meets the surface where its visible run stops
    foot = min(float(wall[0, 0]), 0.0)  # the surface runs on under a peg to the wall
    return float(c[1] + (foot - c[0]) * d[1] / d[0]), foot


def _tray_down(tray: MetalRegion) -> F64:
    """The tray's "down" (toward its keel), perpendicular to the plate's top: the
    direction of the smallest spread of the outline's longest straight stretch is
    approximated by the principal axes; of the two, the one along which the region
    is most asymmetric (the keel hangs from the plate) points down."""
    pts = tray.points - tray.centroid
    w, vecs = np.linalg.eigh(np.cov(pts.T))
    best = None
    for k in range(2):
        d = vecs[:, k]
        s = pts @ d
        skew = float(np.mean(s**3)) / max(float(np.mean(s**2)) ** 1.5, 1e-9)
        if best is None or abs(skew) > abs(best[0]):
            best = (skew, d)
    assert best is not None
    skew, d = best
    # the plate is wide and thin: the keel side is where the long tail is
    d = d if skew > 0 else -d
    return np.asarray(d, dtype=float)
