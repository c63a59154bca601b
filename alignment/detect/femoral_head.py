"""The femoral head of a long-leg film's femur: where to look for it, which circle it
is, and how far to trust it.

:mod:`.hip` finds round things (Hough circles on the coarse film, a circle fit at full
resolution). Here the femur decides which is its head: the diaphysis is followed up
to its proximal end and the circles are looked for in the anatomical window over it
(never the iliac crest, the acetabular rim or the obturator foramen, above or medial
of it); where the knee's and the ankle's centres are known, each circle is weighted by
its distance from the mechanical axis they predict (:func:`_on_mechanical_axis`); a
circle must lie where a head can (:func:`_head_plausible`); a faint head is read
several times (:data:`HEAD_READINGS`) and the median taken; a head seen only coarse
stays below the review threshold (:data:`COARSE_HEAD_CONFIDENCE`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from alignment.detect._image import Work, content_box
from alignment.detect.hip import (
    FIELD_MARGIN_MM,
    HEAD_ABOVE_MM,
    HEAD_WINDOW_MM,
    find_head_coarse,
    refine_head,
)
from alignment.detect.shaft import ShaftAxis, trace_shaft_end

__all__ = [
    "COARSE_HEAD_CONFIDENCE",
    "HEAD_ALONG_MM",
    "HEAD_READINGS",
    "HeadReading",
    "find_head",
    "medial_from_lean",
]

F64 = NDArray[np.float64]


MECHANICAL_TO_ANATOMICAL_DEG = 6.0
"""Angle between the femur's mechanical axis (knee centre to head centre) and its
anatomical axis on an AP film, the head lying medial (about 5-7 degrees in adults)."""

HEAD_ALONG_MM = (300.0, 700.0)
"""Range of the femur's mechanical length on a film (mm, magnified), knee centre to
head centre."""

FEMUR_TO_TIBIA = (1.2, 0.06)
"""The femur's mechanical length as a multiple of the tibia's: mean and SD (adults:
about 1.2; the head's candidates are weighted by this Gaussian, not cut by a window,
so an unusual leg only costs its head some weight)."""

HEAD_CORRIDOR_MM = 15.0
"""Spread (mm) of the head's centre about the line from the knee centre along the
expected mechanical axis; candidates beyond twice this get no weight from the axis."""

AXIS_PRIOR_FLOOR = 0.5
"""Least weight of the mechanical-axis prior (:func:`_on_mechanical_axis`): a head
candidate far from the axis a knee and an ankle read on the film put it on keeps half
its score (a knee read at a cassette seam or an ankle read in the foot moves that axis
by centimetres; the femur's own proximal end does not move)."""

FEMORAL_LEAN_DEG = 3.0
"""Least lean (degrees from the film's vertical) of the femoral diaphysis that tells
the leg's medial side. Standing, the femoral shaft runs down and medially, from the
greater trochanter to the knee: its anatomical axis lies 5-7 degrees from the
mechanical axis, which itself leans a few degrees in from the hip's width to the
knees', so the shaft leans 6-10 degrees on a long-leg film, whether the knee is in
varus or valgus."""


def medial_from_lean(fa: ShaftAxis) -> float | None:
    """The medial side of the leg whose femoral diaphysis is `fa`, from its lean.

    A femur leans from the hip, medial, down to the knee by 5-9 degrees on an AP
    film; leaning less than :data:`FEMORAL_LEAN_DEG` it tells no side.

    Parameters
    ----------
    fa : ShaftAxis
        The femoral diaphysis (mm on the film, ``y`` down).

    Returns
    -------
    float or None
        +1.0 when medial is toward larger ``x``, -1.0 toward smaller, None when the
        shaft stands too near the vertical to tell.
    """
    d = fa.direction if fa.direction[1] >= 0 else -fa.direction
    lean = math.degrees(math.atan2(float(d[0]), float(d[1])))
    return None if abs(lean) < FEMORAL_LEAN_DEG else math.copysign(1.0, lean)


def _mechanical_directions(fa: ShaftAxis, medial_x: float | None) -> list[F64]:
    """Unit directions (up the film) of the femur's expected mechanical axis: the
    anatomical axis `fa` turned by :data:`MECHANICAL_TO_ANATOMICAL_DEG` toward the
    medial side, or toward either side when `medial_x` is None."""
    up = -fa.direction / np.linalg.norm(fa.direction)
    if up[1] > 0:
        up = -up
    across = np.array([-up[1], up[0]])
    theta = math.radians(MECHANICAL_TO_ANATOMICAL_DEG)
    sides = (-1.0, 1.0) if medial_x is None else (float(np.sign(medial_x)),)
    return [
        math.cos(theta) * up + math.sin(theta) * (across if across[0] * s > 0 else -across)
        for s in sides
    ]


def _femur_length_range(centres: dict[str, F64]) -> tuple[float, float]:
    """Range (mm) of the femur's mechanical length: three SDs of
    :data:`FEMUR_TO_TIBIA` about the tibia's length where ``tibial_knee_center`` and
    ``ankle_center`` are in `centres`, else :data:`HEAD_ALONG_MM`."""
    if "tibial_knee_center" not in centres or "ankle_center" not in centres:
        return HEAD_ALONG_MM
    tibia = float(np.linalg.norm(centres["ankle_center"] - centres["tibial_knee_center"]))
    mean, sd = FEMUR_TO_TIBIA
    return (mean - 3 * sd) * tibia, (mean + 3 * sd) * tibia


def _on_mechanical_axis(
    circles: list[tuple[F64, float, float]],
    centres: dict[str, F64],
    fa: ShaftAxis,
    medial_x: float | None,
) -> list[tuple[F64, float, float]]:
    """Head candidates re-ranked by how near they lie to the expected mechanical axis
    from the femoral knee centre (in `centres`, mm; :func:`_mechanical_directions`),
    at the femur's expected length from the knee: a Gaussian of
    :data:`FEMUR_TO_TIBIA` times the tibia's length when ``tibial_knee_center`` and
    ``ankle_center`` are in `centres`, else anywhere in :data:`HEAD_ALONG_MM`. The
    weight is :data:`AXIS_PRIOR_FLOOR` plus the rest of 1 times that Gaussian: no
    candidate is dropped, since the knee and the ankle are read less surely than the
    femur the head sits on."""
    knee = centres["femoral_knee_center"]
    lo, hi = _femur_length_range(centres)
    tibia = None
    if "tibial_knee_center" in centres and "ankle_center" in centres:
        tibia = float(np.linalg.norm(centres["ankle_center"] - centres["tibial_knee_center"]))
    ranked: list[tuple[F64, float, float]] = []
    for centre, radius, score in circles:
        best = 0.0
        for u in _mechanical_directions(fa, medial_x):
            rel = centre - knee
            along = float(rel @ u)
            across = float(np.linalg.norm(rel - along * u))
            if not lo <= along <= hi or across > 2.0 * HEAD_CORRIDOR_MM:
                continue
            weight = math.exp(-0.5 * (across / HEAD_CORRIDOR_MM) ** 2)
            if tibia is not None:
                mean, sd = FEMUR_TO_TIBIA
                weight *= math.exp(-0.5 * ((along / tibia - mean) / sd) ** 2)
            best = max(best, weight)
        ranked.append((centre, radius, score * (AXIS_PRIOR_FLOOR + (1 - AXIS_PRIOR_FLOOR) * best)))
    ranked.sort(key=lambda c: -c[2])
    return ranked


HEAD_RADIUS_MM = (16.0, 34.0)
"""Radius of a femoral head on the film (the trochanters fit smaller circles)."""

HEAD_TO_SHAFT = 0.65
"""Smallest femoral head radius as a share of the femoral diaphysis' width (an adult
head's diameter is about 1.6-1.9 times the mid-shaft's; the trochanters and the
pelvis' rounded outlines give smaller circles)."""

HEAD_RADIUS_TO_SHAFT = 0.875
"""Expected femoral head radius as a share of the femoral diaphysis' width: the middle
of an adult head's diameter over the mid-shaft's width, 1.6-1.9 (:data:`HEAD_TO_SHAFT`)."""

HEAD_FIT_FLOOR = 0.15
"""Least confidence of a refined head fit (:meth:`~alignment.detect.hip.HeadFit.confidence`)
that counts as one; a circle with no such fit is weighed as if its fit had this
confidence."""

COARSE_HEAD_CONFIDENCE = 0.4
"""Largest confidence of a femoral head read only as a coarse circle (no edge ring
refined at full resolution): placed where anatomy and the film agree, but always
below the review threshold."""


class HeadReading(NamedTuple):
    """One reading of the femoral head's window (:func:`_head_over`): on the coarse film
    resampled to `scale` times its pixel, `mirrored` left-right or not, the window led
    by `lead` of a contrast tile (:func:`~alignment.detect.hip.find_head_coarse`)."""

    scale: float
    mirrored: bool
    lead: tuple[float, float]


HEAD_READINGS = (
    HeadReading(1.0, False, (0.0, 0.0)),
    HeadReading(1.0, True, (0.0, 0.0)),
    HeadReading(1.0, False, (0.5, 0.5)),
    HeadReading(1.0, True, (0.5, 0.5)),
    HeadReading(0.9, False, (0.0, 0.0)),
    HeadReading(0.9, True, (0.0, 0.0)),
    HeadReading(1.1, False, (0.0, 0.0)),
    HeadReading(1.1, True, (0.0, 0.0)),
)
"""How a faint femoral head's window is read (:func:`_head_over`). A faint head (its
outline 15 grey levels over the pelvis' texture) gives a handful of coarse circles of
nearly equal votes; which one wins turns on the rounding of the window's contrast
tiles, edges and votes, and on the pixel grid: by 10-20 mm between two processors'
runs of the same film, by 4-11 mm when the assumed spacing is 10 % off. The median of
readings on other tiles, mirrored and on pixels 10 % smaller and larger, is steadier
(the crops' HKA 1.22 -> 1.12 degrees, the spacing swing of the OAI film within its
bound) at about 0.1 s a reading; the first reading alone is kept where it refines
(a clear head, whose fit at full resolution is steady: :data:`REFINED_HEAD`)."""

REFINED_HEAD = "hough+circle-fit"
"""The method of a femoral head whose coarse circle was refined at full resolution
(:func:`~alignment.detect.hip.refine_head`)."""

HEAD_ABOVE_UNSIDED_MM = 25.0
"""Least height (mm) of the head's centre above the diaphysis' traced proximal end
(:func:`~alignment.detect.shaft.trace_shaft_end`) where the leg's medial side is not
known: the greater trochanter, lateral and round on the film, then cannot be told from
the head by its side, but its centre lies lower than the head's (the head's other
bounds are :data:`~alignment.detect.hip.HEAD_WINDOW_MM` ``above``)."""

HEAD_OFFSET_MM = (20.0, 75.0)
"""Range (mm) of the femoral head centre's distance medial of the femoral diaphysis'
axis extended: the femoral offset, about 35-55 mm in adults, 10-20 % more on a
standing film, with room for an axis read a few degrees off. The greater trochanter
lies lateral of the axis and round outlines of the shaft on it; the ischium, the
obturator foramen and the pubis lie further medial."""


def _coarse_head_centre(centre: F64, radius_mm: float, fa: ShaftAxis) -> F64:
    """Where the femoral head's centre lies, given only its coarse circle (mm).

    A faint head's sharpest edges are its upper outline and the acetabular roof over
    it, so the coarse search, which scores a circle by the share of its perimeter on
    an edge, takes a circle inscribed under the dome's top when it is smaller than the
    head: its centre is too high by the difference of the radii (on the development
    set's long-leg films, circles of 16-19 mm under heads of 23-26 mm, their centres
    7-12 mm above the reference's). Such a centre is moved down the femoral shaft
    (`fa`) by the head's expected radius (:data:`HEAD_RADIUS_TO_SHAFT` of the shaft's
    width) less the circle's; a circle as large as that or larger stays (the
    acetabulum's is concentric with the head).

    >>> from types import SimpleNamespace
    >>> fa = SimpleNamespace(direction=np.array([0.0, -1.0]), width_mm=32.0)
    >>> _coarse_head_centre(np.array([80.0, 200.0]), 18.0, fa).tolist()
    [80.0, 210.0]
    >>> _coarse_head_centre(np.array([80.0, 200.0]), 30.0, fa).tolist()
    [80.0, 200.0]
    """
    down = np.asarray(fa.direction, float) / float(np.linalg.norm(fa.direction))
    if down[1] < 0:
        down = -down
    drop = max(0.0, HEAD_RADIUS_TO_SHAFT * fa.width_mm - radius_mm)
    return np.asarray(centre, float) + drop * down


def _head_plausible(
    centre: F64,
    r: float,
    fa: ShaftAxis,
    end_y: float,
    medial_x: float | None,
    field: tuple[float, float, float, float],
) -> bool:
    """Whether a circle (`centre` and radius `r`, mm) can be the femoral head of the
    femur on axis `fa`, whose diaphysis ends proximally at height `end_y` (mm,
    :func:`~alignment.detect.shaft.trace_shaft_end`): whole in the exposed `field`
    ``(x0, y0, x1, y1)`` (mm, :func:`~alignment.detect._image.content_box`), its rim at
    least :data:`~alignment.detect.hip.FIELD_MARGIN_MM` inside (a circle cut by the
    film's edge is not a head seen, and one grazing it was drawn by that edge), at a
    height over `end_y` in :data:`~alignment.detect.hip.HEAD_WINDOW_MM` ``above`` (its
    lower bound raised to :data:`HEAD_ABOVE_UNSIDED_MM` when `medial_x` is None), and
    medial of the axis extended by the femoral offset (:data:`HEAD_OFFSET_MM`; on
    either side when the medial side is not known). A
    circle below that window is the neck, a trochanter or a round outline of the
    shaft; above it, the acetabular roof, the ilium or its crest."""
    x0, y0, x1, y1 = field
    reach = r + FIELD_MARGIN_MM
    if not (x0 + reach <= centre[0] <= x1 - reach and y0 + reach <= centre[1] <= y1 - reach):
        return False
    low, high = HEAD_WINDOW_MM["above"]
    if medial_x is None:
        low = max(low, HEAD_ABOVE_UNSIDED_MM)
    if not low <= end_y - centre[1] <= high:
        return False
    offset = float(centre[0] - fa.at_y(float(centre[1]))[0])
    medial = abs(offset) if medial_x is None else offset * float(np.sign(medial_x))
    return HEAD_OFFSET_MM[0] <= medial <= HEAD_OFFSET_MM[1]


def find_head(
    work: Work,
    fa: ShaftAxis,
    medial_x: float | None,
    centres: dict[str, F64],
    *,
    level: float | None = None,
) -> tuple[F64, float, str] | None:
    """The femoral head of the femur on axis `fa`.

    The diaphysis is followed up the film to its proximal end
    (:func:`~alignment.detect.shaft.trace_shaft_end`: the run read on a real film may stop
    far below the trochanters) and circles are looked for in the anatomical window
    over that end (:data:`~alignment.detect.hip.HEAD_WINDOW_MM`): the head is where
    the femur leads, so the iliac crest, the acetabular rim, the pubis and the
    obturator foramen, above or medial of it, are never searched. Where the knee's
    centre is known (`centres`, :func:`.core._head_axis_centres`) the circles are also
    weighted by their distance from the expected mechanical axis
    (:func:`_on_mechanical_axis`), a soft weight: a knee or an ankle misread (at a
    seam, in the foot) must not move the head off its femur. Each circle's weight is
    then multiplied by its refined fit's confidence
    (:func:`~alignment.detect.hip.refine_head`), or by :data:`HEAD_FIT_FLOOR` where no
    plausible ring refines (a faint real head, kept as seen coarse, below the review
    threshold: :data:`COARSE_HEAD_CONFIDENCE`); the heaviest wins. Given a `level`
    (mm: the other femoral head's height on a bilateral film, :data:`.core.HEAD_LEVEL_MM`),
    the window is set around it instead of over the traced end. Where no circle at all
    is plausible over the traced end, or the head's expected centre
    (:data:`~alignment.detect.hip.HEAD_ABOVE_MM` over it) would lie less than the
    smallest head radius inside the exposed field's top
    (:func:`~alignment.detect._image.content_box`), the trace was carried up the film by
    one edge past the trochanters, to the pelvis or the film's top edge: the window is
    then set over the highest step where both cortices were seen
    (``trace_shaft_end(..., paired=True)``) when that lies more than the height prior's
    spread lower, and a head found there, a second guess, keeps a confidence of at
    most :data:`COARSE_HEAD_CONFIDENCE`.

    Parameters
    ----------
    work : Work
        The film.
    fa : ShaftAxis
        The femoral diaphysis read (mm on the film).
    medial_x : float or None
        +1 or -1: the side of larger or smaller ``x`` that is medial; None if unknown
        (both sides are searched).
    centres : dict of str to numpy.ndarray
        The leg's knee and ankle centres found so far (mm), for the mechanical-axis
        prior; may be empty.
    level : float, optional
        The other femoral head's height (mm), to search around instead.

    Returns
    -------
    tuple of (numpy.ndarray, float, str) or None
        The head's centre (mm), its confidence and how it was found (``hough(coarse)``,
        ``hough+circle-fit``, suffixed ``(paired)`` for a second guess); None when no
        circle is plausible.
    """
    field = content_box(work.coarse, work.coarse_mm)
    if level is not None:
        return _head_over(work, fa, medial_x, centres, level + HEAD_ABOVE_MM[0], field)
    top = fa.at_y(fa.top)
    end = trace_shaft_end(work.coarse, work.coarse_mm, top, fa.direction, fa.width_mm)
    head = _head_over(work, fa, medial_x, centres, end, field)
    if head is not None and end - HEAD_ABOVE_MM[0] >= field[1] + HEAD_RADIUS_MM[0]:
        return head
    paired = trace_shaft_end(
        work.coarse, work.coarse_mm, top, fa.direction, fa.width_mm, paired=True
    )
    if paired - end <= HEAD_ABOVE_MM[1]:
        return head
    low = _head_over(work, fa, medial_x, centres, paired, field)
    if low is None:
        return head
    return low[0], min(low[1], COARSE_HEAD_CONFIDENCE), low[2] + "(paired)"


def _head_over(
    work: Work,
    fa: ShaftAxis,
    medial_x: float | None,
    centres: dict[str, F64],
    end: float,
    field: tuple[float, float, float, float],
) -> tuple[F64, float, str] | None:
    """The femoral head over the diaphysis' proximal end at height `end` (mm), as
    :func:`find_head` ranks its circles, on the film's exposed `field`
    (:func:`~alignment.detect._image.content_box`); None when no circle is plausible
    there.

    The window is read as :data:`HEAD_READINGS` lists (:func:`_head_reading`). A head
    refined at full resolution on the first reading is taken as it is; else the head
    is the median of the readings' centres (each coordinate), at the lowest of their
    confidences, or None where fewer than half of the readings find one."""
    read = (_head_reading(work, fa, medial_x, centres, end, field, r) for r in HEAD_READINGS)
    first = next(read)
    if first is not None and first[2] == REFINED_HEAD:
        return first
    readings = [first, *read]
    found = [r for r in readings if r is not None]
    if 2 * len(found) < len(readings):
        return None
    least = min(found, key=lambda r: r[1])
    return np.median([r[0] for r in found], axis=0), least[1], least[2]


def _head_reading(
    work: Work,
    fa: ShaftAxis,
    medial_x: float | None,
    centres: dict[str, F64],
    end: float,
    field: tuple[float, float, float, float],
    reading: HeadReading,
) -> tuple[F64, float, str] | None:
    """One `reading` of :func:`_head_over`: the heaviest of the circles found in the
    window (:func:`~alignment.detect.hip.find_head_coarse`), refined where a fit
    holds."""
    mm = work.coarse_mm * reading.scale
    circles = find_head_coarse(
        work.coarse_at(mm),
        mm,
        fa.at_y(end),
        medial_x=medial_x,
        direction=fa.direction,
        mirrored=reading.mirrored,
        lead=reading.lead,
    )
    if centres:
        circles = _on_mechanical_axis(circles, centres, fa, medial_x)
    circles = [c for c in circles if _head_plausible(c[0], c[1], fa, end, medial_x, field)]
    best: tuple[F64, float, str] | None = None
    best_rank = 0.0
    for centre, radius, score in circles:
        if score <= best_rank:
            break  # sorted by score, and a fit's confidence is at most 1: none can win
        fit = refine_head(work, centre, radius)
        refined = (
            fit is not None
            and HEAD_RADIUS_MM[0] <= fit.radius_mm <= HEAD_RADIUS_MM[1]
            and fit.radius_mm >= HEAD_TO_SHAFT * fa.width_mm
            and fit.confidence() > HEAD_FIT_FLOOR
            and _head_plausible(fit.centre, fit.radius_mm, fa, end, medial_x, field)
        )
        if fit is not None and refined:
            rank = score * fit.confidence()
            found = (fit.centre, fit.confidence(), REFINED_HEAD)
        else:
            rank = score * HEAD_FIT_FLOOR
            found = (
                _coarse_head_centre(centre, radius, fa),
                COARSE_HEAD_CONFIDENCE * min(1.0, score),
                "hough(coarse)",
            )
        if rank > best_rank:
            best, best_rank = found, rank
    return best
