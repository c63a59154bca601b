"""The AP knee film (the commonest TKA follow-up film): component lines, knee centres
and the shaft axes as far as the film shows them.

1. The implant is found as metal (:mod:`.implant`). A total knee gives the component
   condyles' lowest points, the component's intercondylar opening, the tray's two
   inferior corners and the tray's centre (:func:`.implant.ap_component_points`).
2. Shafts: diaphysis runs (:func:`.legs.shaft_segments`, at least
   :data:`MIN_SHAFT_MM` long) above the femoral component and below the tray, within
   :data:`SHAFT_REACH_MM` of the implant's middle, refined across the bone at full
   resolution (:func:`.shaft.refine_shaft`). Where the film shows only the flaring
   metaphysis no run is found and the shaft points are omitted with that reason (a
   line on a metaphysis would bias ``ffc_anatomical`` by degrees). The point away
   from the knee goes where the diaphysis ends on the film, beyond the run read
   (:func:`.shaft.diaphysis_end`: to the film's edge or the metaphysis' flare), the
   point by the knee near the run's end.
3. The leg's axis, along which "lowest" is taken, is the mean of the shaft axes found,
   else the film's vertical.
4. Medial is toward ``medial_x`` (from the side the caller knows or guesses): it
   names the condyles and the plateau's ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, signal

from alignment.detect._image import Work
from alignment.detect.implant import ap_component_points, find_implant
from alignment.detect.knee import find_knee
from alignment.detect.lateral import _field, _joint
from alignment.detect.legs import Segment, shaft_candidates, shaft_segments
from alignment.detect.shaft import ShaftAxis, diaphysis_end, refine_shaft

__all__ = [
    "FIBULA_BANDS_MM",
    "FIBULA_MIN_BANDS",
    "MIN_SHAFT_MM",
    "SHAFT_REACH_MM",
    "FibulaSide",
    "detect_knee_film",
    "fibula_side",
    "find_joint",
]

F64 = NDArray[np.float64]

MIN_SHAFT_MM = 40.0
"""Shortest diaphysis run taken for a shaft axis on a knee film, mm."""

SHAFT_REACH_MM = 40.0
"""Largest distance of a shaft run's axis from the implant's middle, mm."""

IMPLANT_MM = 0.3
"""Pixel size of the working copy on which the metal is read, mm (never finer than
the film)."""

SHAFT_OVERLAP_MM = 10.0
"""How far below the femoral component's top a femoral shaft run may end, mm."""

SHAFT_CONFIDENCE = 0.45
"""Factor on the axis' confidence of a shaft point on a knee film: the line is seen,
the level along it of the point by the knee (near the end of the run read) is a
convention the film does not fix, as for the long-leg film's shaft points without a
head or ankle, so the leg asks for review."""

FIBULA_BANDS_MM = (20.0, 90.0, 10.0)
"""Where the fibula is looked for: bands from 20 to 90 mm below the joint line, each
10 mm tall (the fibular head lies about 10-25 mm below the plateau, its neck and
shaft below it)."""

FIBULA_OUTER = 0.3
"""The tibia-fibula gap lies in the outer part of the bone seen across a band: at
most this fraction of the bone's width from its edge."""

FIBULA_GAP = 0.25
"""A fibula standing clear of the tibia is part of the bone seen across a band when
the gap between them is at most this fraction of the tibia's width."""

FIBULA_AIR_STEP = 0.03
"""Columns brighter than the air (a band's 10th percentile) by this much, in the
film's normalised range, are the limb; the soft tissue is their lower quartile."""

FIBULA_DEPTH = 0.2
"""The gap between tibia and fibula is a dark valley at least this deep, as a
fraction of the fibula's brightness above the soft tissue (and 0.02 of the film's
range): two bones, not texture within one."""

FIBULA_MIN_BANDS = 3
"""Bands that must show the fibula on one side (and at most one on the other) for
the side to be told; fewer, and the side is a guess."""


@dataclass(frozen=True)
class FibulaSide:
    """The side of an AP knee film on which the fibula lies.

    ``direction`` is ``+1`` if the fibula (the knee's lateral side) is toward ``+x``,
    ``-1`` if toward ``-x``; ``bands`` how many bands showed it there, ``against``
    how many on the other side, of ``looked`` bands looked at. ``sure`` when at least
    :data:`FIBULA_MIN_BANDS` agree and at most one disagrees.
    """

    direction: float
    bands: int
    against: int
    looked: int

    @property
    def sure(self) -> bool:
        return self.bands >= FIBULA_MIN_BANDS and self.against <= 1


def fibula_side(work: Work, joint_mm: tuple[float, float]) -> FibulaSide | None:
    """Which side of an AP knee film the fibula is on, i.e. the knee's lateral side.

    Parameters
    ----------
    work : Work
        The film (its 1 mm coarse copy is read, bone bright).
    joint_mm : tuple of float
        ``(x, y)`` of the knee joint, mm; the film is taken as upright (the leg
        along its rows).

    Returns
    -------
    FibulaSide or None
        None where no band shows a fibula, or the bands split evenly.

    Notes
    -----
    The fibula lies lateral to the tibia and below the tibial plateau. In each band
    of :data:`FIBULA_BANDS_MM` below the joint, the bone across the band is the run of
    columns brighter than the soft tissue (the lower quartile of the limb's columns,
    the air left out) by a third of the band's contrast, the widest such run (the
    tibia: the joint's column, the film's brightest band, lies over a unicondylar
    knee's metal, at or beyond the tibia's edge), with a run beyond a gap of at most
    :data:`FIBULA_GAP` of its width (a fibula clear of the tibia). A fibula shows as
    a dark valley (the gap between the two bones, or the thinner overlap of the two)
    in the outer :data:`FIBULA_OUTER` of that run, with bone beyond it, at least
    :data:`FIBULA_DEPTH` deep. The outermost such valley votes for its side.
    """
    image = np.clip(work.coarse, 0.0, 1.0)
    mm = work.coarse_mm
    x0, y0 = joint_mm
    start, stop, step = FIBULA_BANDS_MM
    votes: list[float] = []
    looked = 0
    for top in np.arange(start, stop, step):
        r0, r1 = round((y0 + top) / mm), round((y0 + top + step) / mm)
        if r1 > image.shape[0]:
            break
        looked += 1
        profile = ndimage.gaussian_filter1d(image[r0:r1].mean(axis=0).astype(float), 1.5 / mm)
        side = _fibula_in_band(profile, min(int(x0 / mm), profile.size - 1))
        if side is not None:
            votes.append(side)
    if not votes:
        return None
    plus = sum(1 for v in votes if v > 0)
    minus = len(votes) - plus
    if plus == minus:
        return None
    direction = 1.0 if plus > minus else -1.0
    return FibulaSide(direction, max(plus, minus), min(plus, minus), looked)


def find_joint(work: Work) -> tuple[float, float] | None:
    """``(x, y)`` (mm) of the knee joint of a knee film: the deepest dark band between
    bright bone on the film's brightest columns (:func:`.lateral._joint`), or None."""
    return _joint(work.coarse, work.coarse_mm, _field(work.coarse, work.coarse_mm))


def _fibula_in_band(profile: F64, column: int) -> float | None:
    """``+1`` / ``-1`` for a fibula toward ``+x`` / ``-x`` in one band's profile
    across the film (see :func:`fibula_side`), None if neither or both sides show one."""
    air = float(np.percentile(profile, 10))
    body = profile[profile > air + FIBULA_AIR_STEP]
    soft = float(np.percentile(body, 25)) if body.size else air  # the limb, not the air
    contrast = float(profile.max()) - soft
    if contrast <= 0.05:
        return None
    bone = profile > soft + contrast / 3.0
    labels, count = ndimage.label(bone)
    if count == 0:
        return None
    # the tibia is the widest bone under the knee; the joint's column (the brightest
    # band, on a unicondylar knee its metal) may lie at its edge or beyond it
    widest = 1 + int(np.argmax(ndimage.sum_labels(bone, labels, np.arange(1, count + 1))))
    xs = np.nonzero(labels == widest)[0]
    column = int(xs[np.argmin(np.abs(xs - column))])
    # a fibula clear of the tibia (a gap down to the soft tissue) joins its run
    gap = max(1, round(FIBULA_GAP * (int(xs.max()) - int(xs.min()))))
    labels, _ = ndimage.label(ndimage.binary_closing(bone, np.ones(gap, bool)))
    xs = np.nonzero(labels == labels[column])[0]
    a, b = int(xs.min()), int(xs.max())
    outer = FIBULA_OUTER * (b - a)
    found = []
    for sign, valleys in (
        (-1.0, [m for m in _valleys(profile, a, b) if m - a <= outer]),
        (1.0, [m for m in _valleys(profile, a, b) if b - m <= outer]),
    ):
        for m in sorted(valleys, key=lambda m: (m - a) if sign < 0 else (b - m)):
            beyond = profile[a:m] if sign < 0 else profile[m + 1 : b + 1]
            depth = float(beyond.max()) - profile[m]
            if depth >= max(0.02, FIBULA_DEPTH * (float(beyond.max()) - soft)):
                found.append(sign)
                break
    return found[0] if len(found) == 1 else None


def _valleys(profile: F64, a: int, b: int) -> list[int]:
    """Indices of the local minima of `profile` strictly inside ``[a, b]``."""
    return [int(m) + a for m in signal.argrelmin(profile[a : b + 1])[0]]


_KNEE = (
    "femoral_knee_center",
    "distal_femur_medial",
    "distal_femur_lateral",
    "tibial_knee_center",
    "tibial_plateau_medial",
    "tibial_plateau_lateral",
)


def detect_knee_film(work: Work, medial_x: float) -> dict[str, Any]:
    """Landmarks of an AP knee film with a total knee.

    Parameters
    ----------
    work : Work
        The film.
    medial_x : float
        ``+1`` if the knee's medial side is toward ``+x``, ``-1`` if toward ``-x``.

    Returns
    -------
    dict
        ``points`` (mm), ``confidence``, ``method``, ``reasons`` (for what is
        missing), ``required`` (the landmarks this film can show) and ``implant``.
    """
    points: dict[str, F64] = {}
    conf: dict[str, float] = {}
    method: dict[str, str] = {}
    reasons: dict[str, str] = {}
    mm = max(IMPLANT_MM, *work.spacing_mm)
    implant, _ = find_implant(work, mm)
    out: dict[str, Any] = {
        "points": points,
        "confidence": conf,
        "method": method,
        "reasons": reasons,
        "implant": implant,
    }
    if implant is None or implant.femoral is None or implant.tray is None:
        return _native(work, medial_x, out)
    if implant.unicondylar:
        # the reference's convention: native notch, spines and other condyle; the
        # component's lowest point on its side; the tray's ends as the plateau line
        _native(work, medial_x, out)
        found, c, _ = ap_component_points(implant, np.array([0.0, 1.0]))
        centre = points.get("femoral_knee_center")
        if centre is None or "distal_femur_unicondylar" not in found:
            return out
        uka = found.pop("distal_femur_unicondylar")
        key = "distal_femur_a" if uka[0] < centre[0] else "distal_femur_b"
        found[key] = uka
        c[key] = c["distal_femur_unicondylar"]
        _name(found, c, "metal-outline(unicondylar)", medial_x, out)
        return out
    # the femoral run ends above the component (beside it lie the condyles' flaring
    # metaphysis); the tibial run may pass beside the tray's keel or stem (the
    # cortices lie outside it): it only has to start below the tray's top
    fa, ta = _shafts(
        work,
        implant.femoral.extent(np.array([0.0, 1.0]))[0] + SHAFT_OVERLAP_MM,
        implant.tray.extent(np.array([0.0, 1.0]))[0],
        float((implant.femoral.centroid[0] + implant.tray.centroid[0]) / 2),
    )
    dirs = [a.direction / np.linalg.norm(a.direction) for a in (fa, ta) if a is not None]
    down = np.mean(dirs, axis=0) if dirs else np.array([0.0, 1.0])
    found, c, notes = ap_component_points(implant, down)
    for note in notes:
        name = note.split(":")[0].replace("_a", "_medial")
        reasons[name] = note
    _name(found, c, "metal-outline", medial_x, out)
    _shaft_points(work, fa, ta, out)
    return out


def _native(work: Work, medial_x: float, out: dict[str, Any]) -> dict[str, Any]:
    """A knee without metal: the joint is the deepest dark band between bright bone
    on the film's brightest columns (:func:`.lateral._joint`), the landmarks those of
    the long-leg film's knee (:func:`.knee.find_knee`). The shafts are read beside
    the joint whether or not the knee's points are resolved (they need only its
    level)."""
    reasons = out["reasons"]
    joint = find_joint(work)
    if joint is None:
        reasons.update(dict.fromkeys(_KNEE, "no knee joint (a dark band between two bones)"))
        return out
    # the shafts need only the joint's level: a knee whose condyles or plateau are
    # not resolved still shows its diaphyses (and FTA, their angle)
    fa, ta = _shafts(work, joint[1] + 10.0, joint[1] - 10.0, joint[0])  # beside the joint
    _shaft_points(work, fa, ta, out)
    knee = find_knee(work, None, None, joint[1], joint[0])
    if not knee.points:
        reasons.update(dict.fromkeys(_KNEE, "; ".join(knee.notes) or "the knee was not resolved"))
        return out
    for note in knee.notes:
        reasons[note.split(":")[0]] = note
    _name(knee.points, knee.confidence, "knee", medial_x, out, methods=knee.method)
    for name in _KNEE:
        if name not in out["points"]:
            reasons.setdefault(name, "; ".join(knee.notes) or "not resolved at the knee")
    return out


def _name(
    found: dict[str, F64],
    confidence: dict[str, float],
    method: str,
    medial_x: float,
    out: dict[str, Any],
    *,
    methods: dict[str, str] | None = None,
) -> None:
    """Record `found` in `out`, ``*_a`` / ``*_b`` renamed medial or lateral."""
    points, conf, how = out["points"], out["confidence"], out["method"]
    a, b = ("lateral", "medial") if medial_x > 0 else ("medial", "lateral")
    for name, p in found.items():
        if name.endswith(("_a", "_b")):
            final = name[:-2] + "_" + (a if name.endswith("_a") else b)
        else:
            final = name
        points[final], conf[final] = p, confidence.get(name, 0.0)
        how[final] = (methods or {}).get(name, method)


def _shaft_points(
    work: Work, fa: ShaftAxis | None, ta: ShaftAxis | None, out: dict[str, Any]
) -> None:
    """Shaft points of the knee film: on each axis, the point away from the knee where
    the diaphysis ends as the film shows it (:func:`.shaft.diaphysis_end`, beyond the
    run read), the one by the knee near the run's end; a bone without an axis gets its
    shaft points' reason."""
    for bone, axis, far in (("femoral", fa, -1), ("tibial", ta, 1)):
        names = (f"{bone}_shaft_proximal", f"{bone}_shaft_distal")
        if axis is None:
            out["reasons"].update(
                dict.fromkeys(
                    names,
                    f"no {bone} diaphysis on the film (only the metaphysis, or cut off): "
                    "shaft omitted",
                )
            )
            continue
        margin = 0.05 * (axis.bottom - axis.top)
        end = diaphysis_end(work, axis, far)
        ends = (end, axis.bottom - margin) if far < 0 else (axis.top + margin, end)
        for name, y in zip(names, ends, strict=True):
            out["points"][name] = axis.at_y(y)
            out["confidence"][name] = SHAFT_CONFIDENCE * axis.confidence()
            out["method"][name] = "cortices+robust-line(knee-film)"


def _shafts(
    work: Work, femur_bottom: float, tibia_top: float, x_mid: float
) -> tuple[ShaftAxis | None, ShaftAxis | None]:
    """The femoral shaft ending above `femur_bottom` and the tibial shaft starting
    below `tibia_top` (mm), each the longest run within :data:`SHAFT_REACH_MM` of
    `x_mid`."""
    coarse = work.coarse
    air = float(np.percentile(coarse, 3)) + 0.04
    # bands at two phases: a knee film shows 40-90 mm of each diaphysis, five to nine
    # bands, and a run needs five of them
    cands = np.vstack(
        [
            shaft_candidates(coarse, work.coarse_mm, air_level=air, phase=phase)
            for phase in (0.0, 0.5)
        ]
    )
    if len(cands) == 0:
        return None, None
    segs = shaft_segments(cands, min_length_mm=MIN_SHAFT_MM)

    def pick(ok: list[Segment]) -> ShaftAxis | None:
        near = [s for s in ok if abs(float(s.centre[0]) - x_mid) <= SHAFT_REACH_MM]
        if not near:
            return None
        s = max(near, key=lambda s: s.length_mm)
        margin = 0.05 * s.length_mm
        return refine_shaft(
            work,
            s.centre,
            s.direction,
            top=s.top + margin,
            bottom=s.bottom - margin,
            width_mm=s.width_mm,
        )

    femur = pick([s for s in segs if s.bottom <= femur_bottom])
    tibia = pick([s for s in segs if s.top >= tibia_top])
    return femur, tibia
