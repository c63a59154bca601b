"""The lateral knee film: sagittal shaft axes, femoral component and tibial plateau.

On the 0.5 mm working copy:

- **Field and knee.** The exposed field is the box inside the collimation edges
  (:func:`_field`); the bone column is the brightest band of columns across its middle
  rows, and the joint the deepest dark band between bright bone above and below on it,
  in the middle 60 % of the field (:func:`_joint`).
- **Shafts** (:func:`_follow_shaft`). The outer anterior and posterior cortices are
  followed row by row from the field's top edge down to 55 mm above the joint (femur)
  and from its bottom edge up to 50 mm below it (tibia), each edge searched within
  3 mm of where it was a row before; a cortex lies at least 3 mm inside the field.
  The first row, and every row 15 mm further on while 40 mm remain (a shaft leaving
  the film's side, or hidden under a bar at its edge, starts lower), offers several
  edge pairs (the fibula beside the tibia makes one); each is followed. A shaft is
  continuous with the knee: a track that stops more than 45 mm short of where it was
  followed to (a metal bar, a marker plate; a femur's cortices, followed row by row,
  may stop where its metaphysis flares) is dropped; of the others, those followed
  over at least 3/4 of the longest one's rows (the shaft as far from the knee as the
  film shows it) compete and the straightest wins; a rival nearly as straight whose
  axis differs by more than :data:`RIVAL_DEG` (the fibula behind the tibia) leaves the
  axis a guess, and its points ask for review. The axis through its midpoints is
  refined across the bone at full resolution, so a tilted tibia (a flexed knee) is
  read square to its axis; the midpoints of a flaring metaphysis still lie on the
  axis.
- **Metal** (:class:`_Metal`): connected regions above the metal level near the
  joint (a fixed level, or the implant outline's own where the fixed one misses the
  tray or the component: :func:`_metal_level`); the largest below the joint level is
  the tray, above it the component. A
  component that merges there with a saturated cortex (a JPEG export's window) is
  still found by the implant reader (:func:`.implant.find_implant`), and its lines
  are read from its outlines. Only the reader's parts within
  :data:`IMPLANT_REACH_MM` of the joint count (a lead side marker is as bright and
  as sharply edged).
- **Tibia** (:func:`_tibial_line`). Profiles run along the tibial axis
  (:class:`_ShaftFrame`). With a tray, each gives the lower edge of the tray's first
  metal run (a run longer than 15 mm is the keel and is skipped), refined to the
  falling edge's centroid; on a native knee, the plateau: the first strong rising
  edge under the joint. A robust line through them; its ends are those of the run of
  profiles on it around the axis (the keel or the spines bridged).
  ``tibial_plateau_anterior`` / ``_posterior`` sit on it at 80 % of its half-length
  from its middle.
- **Femoral component** (:func:`_fixation_surface`). Profiles along the femoral axis;
  going up, the first run of the component's metal is its distal part (a run longer
  than 15 mm is the flange or a posterior condyle), the run's upper edge the distal
  fixation surface. A line through its flat part (the chamfers drop out), centred
  where the femoral axis crosses it, gives ``femoral_component_anterior`` /
  ``_posterior`` 16 mm either side. A flat part shorter than 12 mm is a peg's base
  or a chamfer's corner; the metal's outlines are read instead.
- **Shaft points**: the one away from the knee goes where the diaphysis ends on the
  film, its cortices followed as a pair beyond the rows read to the film's edge or the
  metaphysis' flare (:func:`.shaft.diaphysis_end`, as on the AP knee film); the one
  by the knee at a fixed distance from the middle of the tibial line (the joint centre
  without one): the femur's 70 mm above it, the tibia's 69 mm below (film mm), moved
  into the rows where the cortices were read where it falls outside them, so no point
  lies where no cortex was seen (where that brings the two within 30 mm, to the other
  end of those rows).
- **Confidence** of the two lines follows the standard error of their fitted angle and
  the share of profiles on them (:func:`_line_confidence`); of the shafts, the share
  of levels used, the fit and the edges (:meth:`ShaftAxis.confidence`).
- **Anterior** is read from DICOM Patient Orientation, else it is the side of the
  femur (or of the femoral component, its metal left out) where the patella shows
  as a compact bone standing out of the soft tissue (:func:`.infer.patella_side`:
  a white top-hat; the thicker, brighter soft tissue behind the knee is smooth and
  does not count). The side comes from DICOM laterality or View
  Position (``RL``/``LL``), else from the display convention of the toolkit's films
  (a right knee has anterior on the viewer's left), recorded as inferred.

Knees flexed up to about 30 degrees are read (the tests cover 20 and 30); beyond, the
tibia runs too obliquely for row-by-row following. A shaft tilted more than 25 degrees
to the film's columns (a flexed knee, or a film turned on the detector) may be read
through its flaring metaphysis, degrees off: its points ask for review
(:data:`TILTED_SHAFT_DEG`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from alignment.detect._image import Work, mad_sd, robust_line, subpixel_offset
from alignment.detect.implant import Implant, MetalRegion, find_implant, lat_component_points
from alignment.detect.infer import anterior_direction, patella_side
from alignment.detect.shaft import ShaftAxis, diaphysis_end, refine_shaft
from alignment.geometry import line_angle_deg
from alignment.vocabulary import Side

__all__ = ["FEMORAL_HALF_MM", "LAT_REQUIRED", "SHAFT_NEAR_MM", "TRAY_SHARE", "detect_lateral"]

F64 = NDArray[np.float64]

SHAFT_NEAR_MM = {"femur": 70.0, "tibia": 69.0}
"""Distance (film mm) along each axis from the joint centre of the LAT shaft point by
the knee (the femur's distal, the tibia's proximal); the other goes where the
diaphysis ends on the film (:func:`.shaft.diaphysis_end`)."""

TRAY_SHARE = 0.8
"""Where the plateau points sit, as a share of the tray's (or plateau's) half-length."""

FEMORAL_HALF_MM = 16.0
"""Half the distance between the femoral component's two landmarks, film mm."""

CLEAR_OF_JOINT_MM = {"femur": 55.0, "tibia": 50.0}
"""How close to the joint the cortices are followed, mm: nearer, the patella and the
condyles (femur) or the fibular head and the tubercle (tibia) join the outline."""

MIN_SHAFT_SPAN_MM = 30.0
"""Shortest distance between a bone's two LAT shaft points for full confidence."""

SHORT_SPAN_CONFIDENCE = 0.45
"""Factor on the axis' confidence of LAT shaft points closer than
:data:`MIN_SHAFT_SPAN_MM` (a short stretch of cortex read: below the review
threshold)."""

TILTED_SHAFT_DEG = 25.0
"""Largest tilt of a LAT shaft's axis to the film's columns read at full confidence:
the cortices are followed row by row, exact for an upright bone; a bone tilted more
is cut obliquely by the rows (10 % wider at 25 degrees) and its flaring metaphysis
enters the rows followed, which can turn the axis by degrees (drawn films rotated on
the detector: 2.7-5.9 degrees off at 27-31 degrees of tilt)."""

TILTED_CONFIDENCE = 0.45
"""Factor on the axis' confidence of LAT shaft points on a shaft tilted more than
:data:`TILTED_SHAFT_DEG` (below the review threshold: a person checks the axis)."""

RIVAL_SCORE = 2.0
"""A followed track whose score (:func:`_follow_shaft`'s: its RMS residual per square
root of its rows, for the tibia over its edges' strength) is within this factor of
the winner's is a rival reading of the same shaft."""

RIVAL_DEG = 1.5
"""A rival reading (:data:`RIVAL_SCORE`) whose axis differs from the winner's by more
than this (degrees: under the 2 degrees within which LFC and LTC are judged against a
reference, over the readers' own spread of about 1 degree) leaves the shaft's axis a
guess: the film shows two bones nearly as straight (the fibula behind the tibia, the
skin's edge in front of a faint anterior cortex), and nothing in the edges says which
is the shaft. Its points get :data:`RIVAL_CONFIDENCE` times the axis' confidence."""

RIVAL_CONFIDENCE = 0.45
"""Factor on the axis' confidence of LAT shaft points whose axis has a rival reading
(:data:`RIVAL_DEG`; below the review threshold: a person checks which bone it is)."""

REFINE_LEVELS = 30
"""Levels at which a LAT shaft's axis is refined across the bone at full resolution."""

REFINE_SLACK_MM = 2.5
"""How far from the followed edges the refinement looks for them, mm (the fibula's
cortex lies a few millimetres behind the tibia's)."""

START_STEP_MM = 15.0
"""Step between the rows from which a shaft's cortices are followed, mm."""

MIN_TRACK_MM = 40.0
"""Shortest run of rows a shaft is followed over, mm."""

SHAFT_REACH_END_MM = 45.0
"""A followed shaft ends at most this far from where it was followed to, mm: the
distal femur flares from about 100 mm above the joint (its posterior cortex curves
into the condyles, a track of the cortices row by row stops there), 45 mm beyond the
:data:`CLEAR_OF_JOINT_MM` kept clear; a bar or a marker plate at the film's edge stops
a track much farther from the knee."""

LONG_TRACK_SHARE = 0.75
"""Share of the longest followed track's rows a track must cover to compete for a
shaft: a narrower pair (the fibula over the posterior tibial cortex) or a pair picked
up near the knee is followed over fewer rows than the bone's outer cortices, and its
few straight rows would otherwise win on straightness."""

FIELD_EDGE_CLEAR_MM = 3.0
"""A cortex lies at least this far inside the exposed field's side edges, mm."""

MIN_SURFACE_MM = 12.0
"""Shortest distal fixation surface of a femoral component, mm (they are about
15-30 mm long between the chamfers): a shorter one read along the femoral axis is a
peg's base or a chamfer's corner, and the metal's outlines are read instead."""

COMPONENT_SQUARE_DEG = 20.0
"""Largest angle (degrees) between a femoral component's distal fixation surface read
and the square to the femoral axis (LFC 70-110): components sit within about 10
degrees of it (the spec's target is 90 +- 3). A line farther off is a chamfer (45
degrees), the flange's inner face (about parallel to the femur) or a line read along
a wrong axis: at 1.4 times a development film's spacing the flange gave an LFC 28
degrees off, left out (:func:`_square_to_femur`)."""

EDGE_WINDOW_MM = 3.0
"""How far a cortical edge may move from one row of the working copy to the next, mm."""

METAL_LEVEL = 0.92
"""Normalised grey value above which a pixel near the knee is metal, unless the
implant's own outline says lower (:func:`_metal_level`)."""

OUTLINE_LEVEL_SHARE = 0.75
"""Height between the metal's surroundings (0) and its rim (1) taken as the metal
level from the implant's outline (:func:`_metal_level`): above the half height at
which the outline is drawn, so that bone as bright as the blurred edge stays out."""

IMPLANT_WINDOW_MM = 70.0
"""Half-size of the window around the joint centre where metal is read, mm: a femoral
component's flange and a tray's keel reach about 50 mm from the joint."""

ROUND_FILL = 0.7
"""Share of its enclosing circle above which a metal region is a round, solid blob (a
calibration sphere), not an implant."""

MIN_IMPLANT_MM2 = 100.0
"""Smallest metal region (mm^2 on the film) taken for a component or a tray."""

PLATE_MAX_MM = 15.0
"""Longest metal run (along a column) taken for a tray's plate or the component's
distal part; longer runs are the keel, the flange or a posterior condyle."""

METAL_MARGIN_MM = 4.0
"""Margin around the implant's metal left out where the patella is looked for, mm
(the metal's blurred edge would outshine any bone)."""

OUTLINE_MM = 0.3
"""Pixel size of the working copy on which the implant's outlines are read, mm
(:mod:`.implant`; never finer than the film)."""

IMPLANT_REACH_MM = 30.0
"""A femoral component's distal outline lies at the knee joint and a tray's plate just
under it: a part of the implant reader (:func:`.implant.find_implant`) that stays
farther than this from the joint found between the bones (a lead side marker or a
label in the field's corner, sharply edged and as bright as metal) is not the implant,
mm."""

OUTLINE_CONFIDENCE = 0.45
"""Largest confidence of a LAT landmark read from the metal's outline: on real films a
component's inner outline against bright bone is often not where the segmentation
puts it, so these points always ask for review."""

FLAT_TOLERANCE_MM = 0.5
"""Distance from the fixation surface's line within which a traced point is on its flat
part (:func:`_flat_part`)."""

MAX_TILT_DEG = 25.0
"""Largest angle between the tibial line (or the fixation surface) and the normal of
its shaft's axis: a tibial slope or a component's flexion beyond it is not taken."""

ANGLE_SE_DEG = 0.5
"""Standard error of a fitted line's angle (degrees) at which its confidence falls to
1/e (:func:`_line_confidence`)."""

BRIDGE_MM = 25.0
"""Widest gap bridged along the tibial line: the keel under a tray, the tibial spines
standing above a native plateau."""

LAT_REQUIRED: tuple[str, ...] = (
    "femoral_shaft_proximal",
    "femoral_shaft_distal",
    "tibial_plateau_anterior",
    "tibial_plateau_posterior",
    "tibial_shaft_proximal",
    "tibial_shaft_distal",
)

_COMPONENT = ("femoral_component_anterior", "femoral_component_posterior")
_PLATEAU = ("tibial_plateau_anterior", "tibial_plateau_posterior")
_X, _Y = np.array([1.0, 0.0]), np.array([0.0, 1.0])


def detect_lateral(ctx: Any, work: Work, wanted: tuple[Side, ...] | None) -> str:
    """Find the landmarks of a lateral knee film; record them in `ctx` (see
    :mod:`.core`). Returns where the side came from."""
    box = _field(work.coarse, work.coarse_mm)
    joint = _joint(work.coarse, work.coarse_mm, box)
    if joint is None:
        ctx.notes.append(
            "lateral film: no knee joint (a dark band between two bones) in the middle of the film"
        )
        return "none"
    rough = joint
    edges = _Edges.of(work.coarse, work.coarse_mm, box)
    top, bottom = box[0] * edges.mm + 5.0, box[1] * edges.mm - 5.0
    femur = _follow_shaft(work, edges, top, joint[1] - CLEAR_OF_JOINT_MM["femur"])
    tibia = _follow_shaft(
        work, edges, bottom, joint[1] + CLEAR_OF_JOINT_MM["tibia"], weigh_edges=True
    )
    fa = None if femur is None else femur.axis
    r = ctx.radiograph
    anterior, a_source = anterior_direction(r.patient_orientation)

    @cache
    def implant() -> Implant | None:
        # read only when needed: without orientation, or for the outlines
        return _at_knee(find_implant(work, max(OUTLINE_MM, *work.spacing_mm))[0], rough)

    if femur is None or tibia is None:
        bone = "femoral" if femur is None else "tibial"
        note = f"lateral film: the {bone} cortices could not be followed"
        # the implant's outlines still give the component lines (a flexed knee, a
        # tight crop): the leg is recorded without its shafts
        if anterior is None:
            anterior = _patella_side(work, implant(), None, joint[1])
        if not _implant_only(ctx, work, implant(), wanted, anterior, fa, note):
            ctx.notes.append(note)
            return "none"
        return _lat_side(r.laterality, r.view, anterior)[1]
    fa, ta = femur.axis, tibia.axis
    joint = (float(fa.at_y(joint[1])[0] + ta.at_y(joint[1])[0]) / 2, joint[1])
    if anterior is None:
        anterior = _patella_side(work, implant(), fa, joint[1])
    side, side_source = _lat_side(r.laterality, r.view, anterior)
    if side is None:
        ctx.notes.append("lateral film: the side of the knee could not be told")
        return "none"
    if wanted is not None and side not in wanted:
        return side_source
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    method: dict[str, str] = {}
    reasons: dict[str, str] = {}
    required = list(LAT_REQUIRED)
    centre = None
    metal = _Metal.find(work.coarse, work.coarse_mm, joint, box, METAL_LEVEL)
    if not (metal.tray and metal.component) and (level := _metal_level(implant())) < METAL_LEVEL:
        # metal under the fixed level: a film whose brightest is a lead marker or a
        # label, or a JPEG export's window; read at the level of the implant's outline
        metal = _Metal.find(work.coarse, work.coarse_mm, joint, box, level)
    tray = metal.tray > 0
    if anterior is None:
        reasons.update(
            dict.fromkeys(_PLATEAU, "anterior could not be told (no orientation, no patella)")
        )
    else:
        line = _tibial_line(work, ta, joint, metal)
        if isinstance(line, str):
            reasons.update(dict.fromkeys(_PLATEAU, line))
        else:
            a, b, conf_t = line
            centre = (a + b) / 2
            ant, post = (b, a) if anterior > 0 else (a, b)
            for name, end in zip(_PLATEAU, (ant, post), strict=True):
                points[name] = centre + TRAY_SHARE * (end - centre)
                conf[name] = conf_t
                method[name] = "lat-tray" if tray else "lat-plateau"
    # the implant reader's sharply edged regions find a component as bright as the
    # bone around it, which a fixed metal level merges with the femur
    component = bool(metal.component)
    if not component:
        read = implant()
        component = read is not None and read.femoral is not None
    if metal.component:
        required += list(_COMPONENT)
        found = _fixation_surface(work, fa, joint, anterior, metal)
        if not isinstance(found, str) and np.linalg.norm(found[0] - found[1]) < MIN_SURFACE_MM:
            found = (
                f"the fixation surface read along the femoral axis is "
                f"{np.linalg.norm(found[0] - found[1]):.1f} mm long (< {MIN_SURFACE_MM:.0f} mm)"
            )
        if isinstance(found, str):
            reasons.update(dict.fromkeys(_COMPONENT, found))
        else:
            front, back, conf_f = found
            for name, p in zip(_COMPONENT, (front, back), strict=True):
                points[name], conf[name], method[name] = p, conf_f, "lat-fixation-surface"
    wanted_names = _PLATEAU + (_COMPONENT if component else ())
    if anterior is not None and any(n not in points for n in wanted_names):
        # what the profiles along the shafts missed, from the metal's outlines
        _from_outlines(implant(), anterior, fa, points, conf, method, reasons, required)
    _square_to_femur(points, conf, reasons, fa)
    ref = centre if centre is not None else np.array(joint)
    _lat_shaft(work, points, conf, method, femur, ref, "femoral", up=True)
    _lat_shaft(work, points, conf, method, tibia, ref, "tibial", up=False)
    if a_source != "dicom" and anterior is not None:
        ctx.notes.append("lateral film: anterior told from the patella")
    ctx.add_leg(side, "LAT", points, conf, method, reasons, required, work)
    return side_source


def _field(coarse: NDArray[np.float32], mm: float) -> tuple[int, int, int, int]:
    """``(row0, row1, col0, col1)`` of the exposed field, coarse pixels, 3 mm inside
    the collimation edges (a bright margin falling into the field within the outer
    fifth of the film on each side); the film's edge where there is none.

    >>> image = np.full((100, 80), 0.9, np.float32)
    >>> image[10:90, 8:72] = 0.3
    >>> _field(image, 1.0)
    (12, 86, 10, 68)
    """
    bounds: list[int] = []
    for axis in (0, 1):
        n, other = coarse.shape[axis], coarse.shape[1 - axis]
        middle = slice(other // 4, 3 * other // 4)
        cut = coarse[:, middle] if axis == 0 else coarse[middle, :].T
        g = ndimage.gaussian_filter1d(np.median(cut, axis=1).astype(float), 1.0, order=1)
        k = max(3, n // 5)
        first, last = int(np.argmin(g[:k])), n - k + int(np.argmax(g[n - k :]))
        inset = round(3.0 / mm)
        bounds += [
            first + inset if g[first] < -0.03 else 0,
            last - inset if g[last] > 0.03 else n,
        ]
    return bounds[0], bounds[1], bounds[2], bounds[3]


def _at_knee(implant: Implant | None, joint: tuple[float, float]) -> Implant | None:
    """`implant` without the parts that stay farther than :data:`IMPLANT_REACH_MM` from
    `joint` (``(x, y)`` mm); None when neither a femoral component nor a tray is left."""
    if implant is None:
        return None

    def near(part: MetalRegion | None) -> MetalRegion | None:
        if part is None:
            return None
        gaps = [
            max(lo - c, c - hi, 0.0)
            for c, (lo, hi) in zip(joint, (part.extent(_X), part.extent(_Y)), strict=True)
        ]
        return part if float(np.hypot(gaps[0], gaps[1])) <= IMPLANT_REACH_MM else None

    femoral, tray = near(implant.femoral), near(implant.tray)
    if femoral is None and tray is None:
        return None
    others = [p for p in implant.others if near(p) is not None]
    unicondylar = implant.unicondylar and femoral is not None and tray is not None
    return replace(implant, femoral=femoral, tray=tray, unicondylar=unicondylar, others=others)


def _joint(
    coarse: NDArray[np.float32], mm: float, box: tuple[int, int, int, int]
) -> tuple[float, float] | None:
    """``(x, y)`` (mm) of the knee joint: on the brightest band of columns (the bones)
    across the field's middle rows, the deepest dark band between bright bone 3-14 mm
    above and below, within the middle 60 % of the field's height."""
    r0, r1, c0, c1 = box
    if r1 - r0 < 20 or c1 - c0 < 20:
        return None
    fifth = (r1 - r0) // 5
    columns = np.clip(coarse[r0 + fifth : r1 - fifth, c0:c1], 0.0, 0.9).mean(axis=0)
    x = c0 + int(np.argmax(ndimage.gaussian_filter1d(columns.astype(float), 5.0 / mm)))
    half = round(15.0 / mm)
    band = np.clip(coarse[r0:r1, max(c0, x - half) : min(c1, x + half)], 0.0, 1.0)
    profile = ndimage.gaussian_filter1d(band.mean(axis=1).astype(float), 1.5 / mm)
    near, far = round(3.0 / mm), round(14.0 / mm)
    n = profile.size
    depth = np.full(n, -np.inf)
    for k in range(max(far, n // 5), min(n - far, n - n // 5)):
        above, below = profile[k - far : k - near], profile[k + near : k + far]
        depth[k] = min(float(above.max()), float(below.max())) - profile[k]
    k = int(np.argmax(depth))
    if not depth[k] > 0.02:
        return None
    return (x + 0.5) * mm, (r0 + k + 0.5) * mm


@dataclass(frozen=True)
class _Edges:
    """The working copy prepared for following cortices: smoothed, its horizontal
    gradient and that gradient's noise (robust SD over the field), the grey level of
    air, the pixel size (mm) and the field (:func:`_field`)."""

    smooth: F64
    gx: F64
    noise: float
    air: float
    mm: float
    box: tuple[int, int, int, int]

    @classmethod
    def of(cls, coarse: NDArray[np.float32], mm: float, box: tuple[int, int, int, int]) -> _Edges:
        smooth = ndimage.gaussian_filter(coarse.astype(float), (1.0 / mm, 0.8 / mm))
        gx = ndimage.sobel(smooth, axis=1) / 8.0
        r0, r1, c0, c1 = box
        inside = gx[r0:r1, c0:c1]
        noise = mad_sd(inside) + 1e-6
        air = float(np.percentile(coarse[r0:r1, c0:c1], 3)) + 0.04
        return cls(smooth, gx, noise, air, mm, box)

    def starts(self, y: int) -> list[tuple[int, int]]:
        """Edge pairs ``(left, right)`` on row `y` that may be a bone's outer cortices,
        strongest first: a rising and a falling edge over 4 x the noise, 10-70 mm
        apart and at least :data:`FIELD_EDGE_CLEAR_MM` inside the field, brighter
        between them than 4 mm outside, with no air there."""
        row, grey = self.gx[y], self.smooth[y]
        _, _, c0, c1 = self.box
        cols = np.arange(row.size)
        clear = max(2, round(FIELD_EDGE_CLEAR_MM / self.mm))
        inside = (cols > c0 + clear) & (cols < c1 - 1 - clear)  # the field's edge is no cortex
        peaks = (row >= np.roll(row, 1)) & (row >= np.roll(row, -1))
        troughs = (row <= np.roll(row, 1)) & (row <= np.roll(row, -1))
        up = cols[inside & peaks & (row > 4 * self.noise)]
        down = cols[inside & troughs & (row < -4 * self.noise)]
        out = round(4.0 / self.mm)
        pairs = []
        for i in up:
            for j in down:
                if not 10.0 <= (j - i) * self.mm <= 70.0:
                    continue
                left, right = grey[max(c0, i - out)], grey[min(c1 - 1, j + out)]
                if min(left, right) < self.air or grey[i:j].mean() <= max(left, right):
                    continue
                pairs.append((float(row[i] - row[j]), int(i), int(j)))
        return [(i, j) for _, i, j in sorted(pairs, reverse=True)]


@dataclass(frozen=True)
class _Followed:
    """A LAT shaft read by :func:`_follow_shaft`: its axis and the largest angle
    (degrees) between it and a rival reading's (:data:`RIVAL_SCORE`; 0 without one)."""

    axis: ShaftAxis
    rival_deg: float


def _follow_shaft(
    work: Work,
    edges: _Edges,
    y_from: float,
    y_to: float,
    *,
    starts: int = 8,
    weigh_edges: bool = False,
) -> _Followed | None:
    """Follow a bone's outer cortices from row `y_from` toward `y_to` (mm) and fit its
    axis.

    The `starts` strongest edge pairs of the first row (:meth:`_Edges.starts`), and
    of every row :data:`START_STEP_MM` further on while :data:`MIN_TRACK_MM` remain
    (a shaft leaving the film's side near the field's edge, or hidden there by a bar,
    starts lower), are each followed (:func:`_track`). A shaft is continuous with
    the knee: a track that stops more than :data:`SHAFT_REACH_END_MM` short of
    `y_to` (a metal bar, a marker plate) is dropped. Of the others that cover at
    least :data:`LONG_TRACK_SHARE` of the longest one's rows (the shaft as far from
    the knee as the film shows it), the one with the smallest RMS residual per square
    root of its length wins (a track along the tibia and the fibula together bends);
    with `weigh_edges` (the tibia, the fibula beside it), that residual over the
    track's edges' median strength (in noise units): of two straight tracks the
    tibia's outer cortices are the stronger pair (a track from the fibula to the
    tibia's posterior cortex, as straight as the tibia's on a real film, has edges a
    third as strong, and won at some pixel sizes).
    The axis through its midpoints is then refined at full resolution across the bone
    (:func:`~alignment.detect.shaft.refine_shaft` at :data:`REFINE_LEVELS` levels,
    each expecting the track's width there): a row cuts a tilted, tapering bone
    obliquely, and its midpoint drifts off the axis. The competing tracks nearly as
    straight as the winner (:data:`RIVAL_SCORE`) give the rival angle.
    """
    mm = edges.mm
    r0, r1, _, _ = edges.box
    y0 = int(np.clip(y_from / mm, r0, r1 - 1))
    y1 = int(np.clip(y_to / mm, r0, r1 - 1))
    span = abs(y1 - y0)
    if span < round(20.0 / mm):
        return None
    followed: list[tuple[float, float, ShaftAxis, F64]] = []
    step = (1 if y1 > y0 else -1) * round(START_STEP_MM / mm)
    reach = round(SHAFT_REACH_END_MM / mm)
    # the first row always, then every START_STEP_MM while MIN_TRACK_MM remain: a
    # shaft seen over less than MIN_TRACK_MM past the joint's clearance (a knee film
    # cut 40 mm below it) was looked for from no row at all at some pixel sizes
    later = range(y0 + step, y1 - (step // abs(step)) * round(MIN_TRACK_MM / mm), step)
    for y_start in (y0, *later):
        left_rows = abs(y1 - y_start)
        for left, right in edges.starts(y_start)[:starts]:
            track = _track(edges, y_start, y1, left, right)
            if len(track) < max(20, 0.3 * left_rows):
                continue
            if abs(track[-1, 0] - y1) > reach:
                continue  # it stops short of the knee: a bar, a marker, not the shaft
            axis = _axis_of(track, mm, span)
            if axis is not None:
                extent = abs(float(track[-1, 0] - track[0, 0]))
                score = axis.rms_mm / np.sqrt(len(track))
                if weigh_edges:
                    score /= float(np.median(track[:, 3]))
                followed.append((extent, score, axis, track))
    if not followed:
        return None
    longest = max(f[0] for f in followed)
    # as far from the knee as the film shows: a short, straight stretch (a cortex
    # beside the fibula, a few rows of one edge pair) does not outrank the shaft
    competing = [f for f in followed if f[0] >= LONG_TRACK_SHARE * longest]
    _, score, axis, track = min(competing, key=lambda f: f[1])
    rival_deg = max(
        (
            float(line_angle_deg(axis.direction, f[2].direction))
            for f in competing
            if f[1] <= RIVAL_SCORE * score
        ),
        default=0.0,
    )
    ys = np.linspace(axis.top, axis.bottom, REFINE_LEVELS)
    order = np.argsort(track[:, 0])
    across = (track[order, 2] - track[order, 1]) * mm * abs(float(axis.direction[1]))
    expected = np.interp(ys, (track[order, 0] + 0.5) * mm, across)
    fine = refine_shaft(
        work,
        axis.centre,
        axis.direction,
        top=axis.top,
        bottom=axis.bottom,
        width_mm=expected,
        levels=REFINE_LEVELS,
        slack_mm=REFINE_SLACK_MM,
    )
    return _Followed(
        fine if fine is not None and fine.levels >= REFINE_LEVELS // 2 else axis, rival_deg
    )


def _track(edges: _Edges, y0: int, y1: int, left: int, right: int) -> F64:
    """Rows ``(y, x_left, x_right, strength)`` (coarse pixels, sub-pixel edges) of one
    bone followed from row `y0` toward `y1`, starting at edges `left` and `right`, each
    edge looked for within :data:`EDGE_WINDOW_MM` of where it was. A row without both
    edges (each over 3 x the noise, at least 8 mm apart) is skipped; the track ends
    when more than 6 rows in a row are."""
    _, _, c0, c1 = edges.box
    mm, noise = edges.mm, edges.noise
    window = max(1, round(EDGE_WINDOW_MM / mm))
    step = 1 if y1 > y0 else -1
    rows: list[tuple[float, float, float, float]] = []
    misses = 0
    for y in range(y0, y1, step):
        g = edges.gx[y]
        a, b = max(c0, left - window), min(c1, left + window + 1)
        i = a + int(np.argmax(g[a:b]))
        a, b = max(c0, right - window), min(c1, right + window + 1)
        j = a + int(np.argmin(g[a:b]))
        if g[i] < 3 * noise or -g[j] < 3 * noise or (j - i) * mm < 8.0:
            misses += 1
            if misses > 6:
                break
            continue
        misses = 0
        left, right = i, j
        rows.append(
            (
                float(y),
                i + subpixel_offset(g, i),
                j + subpixel_offset(-g, j),
                float(min(g[i], -g[j]) / noise),
            )
        )
    return np.array(rows, dtype=float).reshape(-1, 4)


def _axis_of(track: F64, mm: float, span: int) -> ShaftAxis | None:
    """The :class:`ShaftAxis` through a track's midpoints (mm; pixel centres at
    ``(i + 0.5) * mm``); `span` is the number of rows the track was asked to cover."""
    mids = np.column_stack(
        [((track[:, 1] + track[:, 2]) / 2 + 0.5) * mm, (track[:, 0] + 0.5) * mm]
    )
    return ShaftAxis.through(mids, (track[:, 2] - track[:, 1]) * mm, track[:, 3], span)


@dataclass(frozen=True)
class _Metal:
    """The implant near the knee: connected regions of metal on the working copy.

    Metal is read in a window of :data:`IMPLANT_WINDOW_MM` around the joint centre,
    inside the exposed field. ``tray`` and ``component`` are the labels of the largest
    region whose centre lies below (above) the joint level, 0 if none. A region does
    not count if it is under :data:`MIN_IMPLANT_MM2` (a marker, a clip), touches the
    window's edge (a collimation border, a plate on the shaft) or is round and solid,
    filling over :data:`ROUND_FILL` of its enclosing circle (a calibration sphere):
    a tray with its keel and a component with its condyles are neither.
    """

    labels: NDArray[np.int32]
    mm: float
    level: float
    tray: int
    component: int

    @classmethod
    def find(
        cls,
        coarse: NDArray[np.float32],
        mm: float,
        joint: tuple[float, float],
        box: tuple[int, int, int, int],
        level: float,
    ) -> _Metal:
        reach = round(IMPLANT_WINDOW_MM / mm)
        jx, jy = int(joint[0] / mm), int(joint[1] / mm)
        r0, r1 = max(box[0], jy - reach), min(box[1], jy + reach)
        c0, c1 = max(box[2], jx - reach), min(box[3], jx + reach)
        metal = np.zeros(coarse.shape, bool)
        metal[r0:r1, c0:c1] = coarse[r0:r1, c0:c1] > level
        labels: NDArray[np.int32] = ndimage.label(metal)[0].astype(np.int32)
        found: dict[bool, tuple[float, int]] = {}
        for label, where in enumerate(ndimage.find_objects(labels), start=1):
            if where is None:
                continue
            rows, cols = np.nonzero(labels[where] == label)
            area = rows.size * mm * mm
            rows, cols = rows + where[0].start, cols + where[1].start
            if area < MIN_IMPLANT_MM2 or _touches(rows, cols, (r0, r1, c0, c1)):
                continue
            cy, cx = rows.mean(), cols.mean()
            reach_px = float(np.sqrt((rows - cy) ** 2 + (cols - cx) ** 2).max()) + 0.5
            if area / (np.pi * (reach_px * mm) ** 2) > ROUND_FILL:
                continue
            below = (cy + 0.5) * mm > joint[1]
            if area > found.get(below, (0.0, 0))[0]:
                found[below] = (area, label)
        return cls(labels, mm, level, found.get(True, (0.0, 0))[1], found.get(False, (0.0, 0))[1])

    def at(self, part: int, points: F64) -> NDArray[np.bool_]:
        """Whether film points (mm, shape ``(..., 2)``) lie within one working-copy
        pixel of region `part`."""
        region = ndimage.binary_dilation(self.labels == part)
        rows = np.clip((points[..., 1] / self.mm).astype(int), 0, region.shape[0] - 1)
        cols = np.clip((points[..., 0] / self.mm).astype(int), 0, region.shape[1] - 1)
        return np.asarray(region[rows, cols])


def _metal_level(implant: Implant | None) -> float:
    """The normalised grey level above which a pixel is metal by the implant's own
    outline: :data:`OUTLINE_LEVEL_SHARE` of the way from the surroundings to the rim
    of its dimmest part (femoral component or tray); :data:`METAL_LEVEL` without one.

    A fixed level fails where something brighter than the metal (a lead marker, a
    burned-in label) or a JPEG export's window sets the film's top grey value; the
    outline's edge step is relative to the metal's own surroundings.
    """
    if implant is None:
        return METAL_LEVEL
    parts = [p for p in (implant.femoral, implant.tray) if p is not None]
    if not parts:
        return METAL_LEVEL
    return min(p.level + (OUTLINE_LEVEL_SHARE - 0.5) * p.step for p in parts)


def _touches(
    rows: NDArray[np.intp], cols: NDArray[np.intp], box: tuple[int, int, int, int]
) -> bool:
    """Whether pixels ``(rows, cols)`` reach the edge of ``box`` ``(r0, r1, c0, c1)``."""
    r0, r1, c0, c1 = box
    return bool(
        rows.min() <= r0 or rows.max() >= r1 - 1 or cols.min() <= c0 or cols.max() >= c1 - 1
    )


def _metal_runs(metal: NDArray[np.bool_]) -> tuple[int, int] | None:
    """``(start, stop)`` of the first run of True in a column, or None."""
    hits = np.flatnonzero(metal)
    if hits.size == 0:
        return None
    start = int(hits[0])
    gaps = np.flatnonzero(~metal[start:])
    return start, start + (int(gaps[0]) if gaps.size else int(metal.size - start))


@dataclass(frozen=True)
class _ShaftFrame:
    """Profiles along a shaft's axis: ``t`` across it (mm, toward ``+x``), ``s`` along
    it (mm, down the film), from `origin` on the axis."""

    origin: F64
    along: F64
    across: F64

    @classmethod
    def of(cls, axis: ShaftAxis, y: float) -> _ShaftFrame:
        u = axis.direction / np.linalg.norm(axis.direction)
        n = np.array([u[1], -u[0]])
        return cls(axis.at_y(y), u, n if n[0] > 0 else -n)

    def grid(self, ts: F64, ss: F64) -> F64:
        """Film points (mm) of the grid ``ts x ss``, shape ``(len(ts), len(ss), 2)``."""
        return (
            self.origin
            + ts[:, None, None] * self.across[None, None, :]
            + ss[None, :, None] * self.along[None, None, :]
        )

    def to_film(self, ts: ArrayLike) -> F64:
        """Film points (mm) of ``(t, s)`` points, shape ``(n, 2)``."""
        p = np.atleast_2d(np.asarray(ts, dtype=float))
        return self.origin + p[:, :1] * self.across + p[:, 1:2] * self.along

    def profiles(self, work: Work, ts: F64, ss: F64) -> tuple[F64, F64, F64]:
        """Grey values and their gradient along ``s`` at the grid ``ts x ss`` (shape
        ``(len(ts), len(ss))``), and the grid's film points."""
        points = self.grid(ts, ss)
        values = work.sample(points)
        values = np.nan_to_num(
            values, nan=float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0
        )
        step = float(ss[1] - ss[0])
        sigma = max(0.3, min(work.spacing_mm)) / step
        return values, ndimage.gaussian_filter1d(values, sigma, axis=1, order=1) / step, points


def _tibial_line(
    work: Work, ta: ShaftAxis, joint: tuple[float, float], metal: _Metal
) -> tuple[F64, F64, float] | str:
    """The tibial joint line of a lateral film, ``(end_a, end_b, confidence)``, or why
    there is none.

    Profiles run along the tibial axis (:class:`_ShaftFrame`; a flexed knee's tibia
    is tilted) within 45 mm of it, from 15 mm (native: 5 mm) above to 40 mm below the
    joint level.
    A tray gives, in each, the lower edge of the first run of the tray's metal
    no longer than :data:`PLATE_MAX_MM` (longer: the keel), refined to the falling
    edge's centroid within 2 mm; a native knee the first rising edge (joint space to
    bone) from 5 mm above to 25 mm below the joint at least half as strong as the
    profile's strongest (:func:`_first_rise`).
    """
    frame = _ShaftFrame.of(ta, joint[1])
    ts = np.arange(-45.0, 45.01, 0.5)
    step = max(0.1, min(work.spacing_mm) * 0.75)
    tray = metal.tray > 0
    ss = np.arange(-15.0 if tray else -5.0, 40.0, step)
    values, g, points = frame.profiles(work, ts, ss)
    noise = mad_sd(g) + 1e-6
    found: list[tuple[float, float]] = []
    keel: list[float] = []
    reach = max(1, round(2.0 / step))
    last = int(np.searchsorted(ss, 25.0))
    mask = (values > metal.level) & metal.at(metal.tray, points) if tray else None
    for i, t in enumerate(ts):
        col = g[i]
        if mask is not None:
            run = _metal_runs(mask[i])
            if run is None:
                continue
            if (run[1] - run[0]) * step > PLATE_MAX_MM:
                keel.append(float(t))
                continue
            at = _edge_centroid(-col, run[1], reach, 5 * noise)
        else:
            k = _first_rise(col[:last], 5 * noise)
            at = None if k is None else k + subpixel_offset(col, k)
        if at is not None:
            found.append((float(t), float(ss[0] + at * step)))
    if len(found) < 30:
        return "no tray or plateau edge across the tibia under the joint"
    pts = np.array(found)
    fit = robust_line(pts, threshold=2.0)
    if fit is None:
        return "no straight tibial plateau or tray line under the femur"
    c, d, _, _ = fit
    d = d if d[0] > 0 else -d
    if (why := _too_tilted(d, "the tibial line")) is not None:
        return why
    off = (pts - c) @ np.array([-d[1], d[0]])
    on = np.abs(off) < 1.5
    rms = float(np.sqrt(np.mean(off[on] ** 2))) if on.any() else np.inf
    ts_on = np.sort(np.concatenate([pts[on, 0], keel]))
    cuts = np.flatnonzero(np.diff(ts_on) > BRIDGE_MM) + 1
    runs = [r for r in np.split(ts_on, cuts) if r.size]
    if not runs:
        return "no tibial plateau or tray edge on the line found"
    span = min(runs, key=lambda r: 0.0 if r[0] <= 0.0 <= r[-1] else 1e3 - r.size)
    if span[-1] - span[0] < 25.0:
        return "the tibial line found is shorter than 25 mm"
    ends = frame.to_film([c + ((t - c[0]) / d[0]) * d for t in (float(span[0]), float(span[-1]))])
    in_run = (pts[on, 0] >= span[0]) & (pts[on, 0] <= span[-1])
    share = in_run.sum() / ((span[-1] - span[0]) / (ts[1] - ts[0]) + 1)
    return ends[0], ends[1], _line_confidence(pts[on, 0][in_run], rms, share)


def _edge_centroid(gradient: F64, near: int, reach: int, floor: float) -> float | None:
    """Sub-pixel index of a rising edge within `reach` samples of index `near`: the
    centroid of the gradient above half its peak there (a surface seen slightly
    obliquely shows as two close steps; their centroid is its middle); None if the
    peak is under `floor`.

    >>> _edge_centroid(np.array([0.0, 0.0, 4.0, 4.0, 0.0, 0.0]), 3, 2, 1.0)
    2.5
    """
    lo, hi = max(0, near - reach), min(gradient.size, near + reach + 1)
    part = np.asarray(gradient[lo:hi], dtype=float)
    if part.size == 0 or not part.max() > floor:
        return None
    weight = np.clip(part - 0.5 * part.max(), 0.0, None)
    return float(lo + (weight * np.arange(part.size)).sum() / weight.sum())


def _first_rise(gradient: F64, floor: float) -> int | None:
    """Index of the first local maximum of `gradient` over `floor` and at least half
    the column's strongest (the plateau's surface, not the texture under it).

    >>> _first_rise(np.array([0.0, 3.0, 1.0, 0.0, 5.0, 2.0]), 1.0)
    1
    """
    g = np.asarray(gradient, dtype=float)
    if g.size < 3:
        return None
    level = max(floor, 0.5 * float(g[1:-1].max()))
    peaks = np.flatnonzero((g[1:-1] >= level) & (g[1:-1] >= g[:-2]) & (g[1:-1] >= g[2:]))
    return int(peaks[0]) + 1 if peaks.size else None


def _fixation_surface(
    work: Work, fa: ShaftAxis, joint: tuple[float, float], anterior: float | None, metal: _Metal
) -> tuple[F64, F64, float] | str:
    """The femoral component's distal fixation surface: its ``(anterior, posterior)``
    landmark and their confidence, or why it was not found.

    Profiles run along the femoral axis (:class:`_ShaftFrame`) within 30 mm of it,
    from 50 mm above the joint level to 15 mm below it; going up, the first run of
    the component's metal no longer than :data:`PLATE_MAX_MM` is its distal part, the
    run's upper end (refined to the edge centroid within 2 mm, :func:`_edge_centroid`)
    the fixation surface; its flat part (:func:`_flat_part`) drops the chamfers. The
    landmarks lie :data:`FEMORAL_HALF_MM` either side of where the axis crosses it.
    """
    if anterior is None:
        return "anterior could not be told (no orientation, no patella)"
    frame = _ShaftFrame.of(fa, joint[1])
    ts = np.arange(-30.0, 30.01, 0.5)
    step = max(0.1, min(work.spacing_mm) * 0.75)
    ss = np.arange(-50.0, 15.0, step)
    values, g, points = frame.profiles(work, ts, ss)
    mask = (values > metal.level) & metal.at(metal.component, points)
    noise = mad_sd(g) + 1e-6
    reach = max(1, round(2.0 / step))
    found: list[tuple[float, float]] = []
    for i, t in enumerate(ts):
        run = _metal_runs(mask[i, ::-1])  # upward
        if run is None or (run[1] - run[0]) * step > PLATE_MAX_MM:
            continue
        at = _edge_centroid(g[i], len(ss) - run[1], reach, 5 * noise)
        if at is not None:
            found.append((float(t), float(ss[0] + at * step)))
    if len(found) < 8:
        return "no distal fixation surface inside the femoral component"
    pts = np.array(found)
    fit = _flat_part(pts)
    if fit is None:
        return "no straight fixation surface inside the femoral component"
    c, d, keep, rms = fit
    d = d if d[0] > 0 else -d
    if (why := _too_tilted(d, "the fixation surface")) is not None:
        return why
    centre = c - (c[0] / d[0]) * d  # where the axis (t = 0) crosses the line
    sign = 1.0 if anterior * frame.across[0] > 0 else -1.0
    front, back = frame.to_film(
        [centre + sign * FEMORAL_HALF_MM * d, centre - sign * FEMORAL_HALF_MM * d]
    )
    flat = pts[keep, 0]
    covered = (flat.max() - flat.min()) / (ts[1] - ts[0]) + 1
    confidence = _line_confidence(flat, rms, keep.sum() / covered)
    return front, back, confidence


def _flat_part(points: F64) -> tuple[F64, F64, NDArray[np.bool_], float] | None:
    """The straight part of a surface traced column by column (the fixation surface
    between its chamfers): a robust line through the middle 60 % of the points, then
    refitted to the points within :data:`FLAT_TOLERANCE_MM` of it until they no longer
    change. Returns :func:`~alignment.detect._image.robust_line`'s ``(centre,
    direction, inliers, rms)`` with the inliers over all `points`.

    >>> x = np.arange(0.0, 40.0, 0.5)
    >>> y = np.where(x < 8, 8 - x, 0.0) + np.where(x > 32, x - 32, 0.0) + 0.05 * x
    >>> c, d, keep, rms = _flat_part(np.column_stack([x, y]))
    >>> round(float(d[1] / d[0]), 4), int(keep.sum())
    (0.05, 51)
    """
    lo, hi = np.percentile(points[:, 0], (20, 80))
    keep = (points[:, 0] >= lo) & (points[:, 0] <= hi)
    for _ in range(10):
        fit = robust_line(points[keep], threshold=2.5)
        if fit is None:
            return None
        c, d, _, _ = fit
        off = np.abs((points - c) @ np.array([-d[1], d[0]]))
        new = off <= FLAT_TOLERANCE_MM
        if new.sum() < 3 or np.array_equal(new, keep):
            break
        keep = new
    rms = float(np.sqrt(np.mean(off[keep] ** 2)))
    return c, d, keep, rms


def _too_tilted(direction: F64, what: str) -> str | None:
    """Why a line of a :class:`_ShaftFrame` is not taken: tilted over
    :data:`MAX_TILT_DEG` to the ``t`` axis (the shaft's normal); None if it is not.

    >>> _too_tilted(np.array([1.0, 0.1]), "the line") is None
    True
    >>> _too_tilted(np.array([1.0, 0.9]), "the line")
    "the line found is tilted 42 degrees to the shaft's normal (at most 25)"
    """
    tilt = float(np.degrees(np.arctan2(abs(direction[1]), abs(direction[0]))))
    if tilt <= MAX_TILT_DEG:
        return None
    limit = f"at most {MAX_TILT_DEG:g}"
    return f"{what} found is tilted {tilt:.0f} degrees to the shaft's normal ({limit})"


def _line_confidence(along: F64, rms: float, share: float) -> float:
    """Confidence in [0, 1] of a line fitted to points spread `along` it (mm) with
    RMS residual `rms` (mm), `share` of the columns it spans lying on it: the
    standard error of its angle, ``rms / (sqrt(n) sd(along))``, against
    :data:`ANGLE_SE_DEG`, times the share over 0.6 (at most 1).

    >>> round(_line_confidence(np.linspace(-20, 20, 81), 0.3, 0.9), 3)
    0.899
    >>> round(_line_confidence(np.linspace(-5, 5, 11), 1.5, 0.4), 3)
    0.0
    """
    n, spread = along.size, float(np.std(along))
    if n < 3 or spread <= 0:
        return 0.0
    se_deg = float(np.degrees(rms / (np.sqrt(n) * spread)))
    return float(np.exp(-((se_deg / ANGLE_SE_DEG) ** 2)) * min(1.0, share / 0.6))


def _square_to_femur(
    points: dict[str, F64], conf: dict[str, float], reasons: dict[str, str], fa: ShaftAxis | None
) -> None:
    """Leave out the femoral component's line where it lies more than
    :data:`COMPONENT_SQUARE_DEG` off the square to the femoral axis `fa` (with the
    reason why); nothing to check without the axis or the line.

    >>> mids = np.column_stack([np.linspace(0.0, 2.0, 5), np.linspace(0.0, 100.0, 5)])
    >>> axis = ShaftAxis.through(mids, np.full(5, 25.0), np.ones(5), 5)
    >>> points = {_COMPONENT[0]: np.array([0.0, 0.0]), _COMPONENT[1]: np.array([20.0, 14.0])}
    >>> conf, reasons = dict.fromkeys(_COMPONENT, 0.5), {}
    >>> _square_to_femur(points, conf, reasons, axis)
    >>> sorted(points), reasons[_COMPONENT[0]]  # doctest: +ELLIPSIS
    ([], "the femoral component's line read is 36 degrees off square ... the flange")
    """
    if fa is None or any(n not in points for n in _COMPONENT):
        return
    line = points[_COMPONENT[1]] - points[_COMPONENT[0]]
    off = 90.0 - float(line_angle_deg(line, fa.direction))
    if off <= COMPONENT_SQUARE_DEG:
        return
    why = (
        f"the femoral component's line read is {off:.0f} degrees off square to the femoral "
        f"axis (at most {COMPONENT_SQUARE_DEG:g}): a chamfer or the flange"
    )
    for name in _COMPONENT:
        points.pop(name)
        conf.pop(name, None)
        reasons[name] = why


def _from_outlines(
    implant: Implant | None,
    anterior: float,
    fa: ShaftAxis | None,
    points: dict[str, F64],
    conf: dict[str, float],
    method: dict[str, str],
    reasons: dict[str, str],
    required: list[str],
) -> bool:
    """Fill the component and tray landmarks not yet placed from the implant's metal
    outlines (:func:`.implant.lat_component_points`); the ends are named anterior or
    posterior by their ``x`` along `anterior`. Returns whether any was placed."""
    if implant is None:
        return False
    up = None if fa is None else -fa.direction / np.linalg.norm(fa.direction)
    found, c, notes = lat_component_points(implant, up)
    placed = False
    if implant.femoral is not None and _COMPONENT[0] not in required:
        required += list(_COMPONENT)
    for names, a, b in (
        (_COMPONENT, "femoral_component_a", "femoral_component_b"),
        (_PLATEAU, "tibial_plateau_a", "tibial_plateau_b"),
    ):
        if names[0] in points or a not in found:
            continue
        pa, pb = found[a], found[b]
        ant, post = (pa, pb) if (pa[0] - pb[0]) * anterior > 0 else (pb, pa)
        for name, p in zip(names, (ant, post), strict=True):
            points[name] = p
            conf[name] = min(c[a], OUTLINE_CONFIDENCE)
            method[name] = "lat-metal-outline"
            reasons.pop(name, None)
        placed = True
    for note in notes:
        name = note.split(":")[0]
        reasons.setdefault(name, note)
    return placed


def _implant_only(
    ctx: Any,
    work: Work,
    implant: Implant | None,
    wanted: tuple[Side, ...] | None,
    anterior: float | None,
    fa: ShaftAxis | None,
    note: str,
) -> bool:
    """Record a leg whose shafts were not followed from its implant's outlines alone
    (its shaft landmarks missing with `note`); False if there is no implant or its
    side or anterior direction cannot be told."""
    if implant is None or implant.femoral is None:
        return False
    r = ctx.radiograph
    side, _ = _lat_side(r.laterality, r.view, anterior)
    if side is None or anterior is None or (wanted is not None and side not in wanted):
        return False
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    method: dict[str, str] = {}
    required = list(LAT_REQUIRED)
    reasons = dict.fromkeys(required, note)
    if not _from_outlines(implant, anterior, fa, points, conf, method, reasons, required):
        return False
    _square_to_femur(points, conf, reasons, fa)
    ctx.notes.append(note + "; the implant's lines were read from its outlines")
    ctx.add_leg(side, "LAT", points, conf, method, reasons, required, work)
    return True


def patella_beside_implant(work: Work) -> float | None:
    """The side (``+1`` / ``-1`` in ``x``) where a patella stands beside the film's
    femoral component (:func:`.infer.patella_side`, the metal left out): the film is
    a lateral one, that side anterior. None without a femoral component or where no
    side shows a patella (an AP film: there the patella lies over the femur)."""
    implant = find_implant(work, max(OUTLINE_MM, *work.spacing_mm))[0]
    if implant is None or implant.femoral is None:
        return None
    return _patella_side(work, implant, None, 0.0)


def _patella_side(
    work: Work, implant: Implant | None, fa: ShaftAxis | None, joint_y: float
) -> float | None:
    """Anterior (``+1`` / ``-1`` in ``x``) from the patella (:func:`.infer.patella_side`):
    beyond the femoral component's anterior and posterior faces, its metal left out,
    where there is one (the patella, or the patellar button, lies in front of the
    component's anterior flange); else beyond the distal femur around its axis."""
    if implant is not None and implant.femoral is not None:
        fem = implant.femoral
        x0, x1 = fem.extent(np.array([1.0, 0.0]))
        metal = np.zeros_like(work.coarse, dtype=bool)
        for part in (fem, implant.tray, *implant.others):
            if part is not None:
                idx = (part.points / work.coarse_mm).astype(int)
                inside = (idx[:, 1] < len(metal)) & (idx[:, 0] < metal.shape[-1])
                metal[idx[inside, 1], idx[inside, 0]] = True
        grown = ndimage.binary_dilation(
            metal, iterations=max(1, round(METAL_MARGIN_MM / work.coarse_mm))
        )
        bottom = fem.extent(np.array([0.0, 1.0]))[1]
        return patella_side(
            work, (x0 + x1) / 2, bottom, half_width_mm=(x1 - x0) / 2, exclude=grown
        )
    if fa is None:
        return None
    return patella_side(work, float(fa.at_y(joint_y)[0]), joint_y)


def _lat_side(
    laterality: str | None, view: str | None, anterior: float | None
) -> tuple[Side | None, str]:
    lat = (laterality or "").strip().upper()
    if lat in ("L", "R"):
        return ("left" if lat == "L" else "right"), "dicom"
    code = (view or "").strip().upper()
    if code in ("RL", "LL"):
        return ("right" if code == "RL" else "left"), "dicom"
    if anterior is not None:
        return ("right" if anterior < 0 else "left"), "inferred"
    return None, "none"


def _lat_shaft(
    work: Work,
    points: dict[str, F64],
    conf: dict[str, float],
    method: dict[str, str],
    followed: _Followed,
    ref: F64,
    bone: str,
    *,
    up: bool,
) -> None:
    """Place the two LAT shaft points of `bone` on the `followed` axis: the one away
    from the knee, up (`up`) or down the film, where the diaphysis ends on the film
    (:func:`.shaft.diaphysis_end`: its edge or the metaphysis' flare, beyond the rows
    where the cortices were read); the one by the knee :data:`SHAFT_NEAR_MM` from the
    foot of `ref` on the axis, moved into those rows where it falls outside them (the
    spec leaves the levels open and no angle depends on them), or to their other end
    where that leaves the two closer than :data:`MIN_SHAFT_SPAN_MM`. Two points still
    closer than that get :data:`SHORT_SPAN_CONFIDENCE` times the axis' confidence,
    points on an axis tilted more than :data:`TILTED_SHAFT_DEG` to the film's columns
    :data:`TILTED_CONFIDENCE` times it, and points on an axis with a rival reading
    more than :data:`RIVAL_DEG` off :data:`RIVAL_CONFIDENCE` times it."""
    axis = followed.axis
    d = axis.direction / np.linalg.norm(axis.direction)  # down the film
    foot = axis.centre + ((ref - axis.centre) @ d) * d
    sense = -1 if up else 1
    far = axis.at_y(diaphysis_end(work, axis, sense))
    level = (foot + sense * SHAFT_NEAR_MM["femur" if up else "tibia"] * d)[1]
    near = axis.at_y(float(np.clip(level, axis.top, axis.bottom)))
    if float(np.linalg.norm(far - near)) < MIN_SHAFT_SPAN_MM:
        near = axis.at_y(axis.bottom if up else axis.top)
    ends = (far, near) if up else (near, far)  # proximal first
    short = float(np.linalg.norm(far - near)) < MIN_SHAFT_SPAN_MM
    tilt = float(np.degrees(np.arctan2(abs(d[0]), abs(d[1]))))
    c = axis.confidence() * (SHORT_SPAN_CONFIDENCE if short else 1.0)
    c *= TILTED_CONFIDENCE if tilt > TILTED_SHAFT_DEG else 1.0
    c *= RIVAL_CONFIDENCE if followed.rival_deg > RIVAL_DEG else 1.0
    for name, p in zip((f"{bone}_shaft_proximal", f"{bone}_shaft_distal"), ends, strict=True):
        points[name], conf[name], method[name] = p, c, "lat-cortices+robust-line"
