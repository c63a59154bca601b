"""The lateral knee film: sagittal shaft axes, femoral component and tibial plateau.

- **Shafts.** The femoral and tibial diaphyses are the upper and lower runs of
  cortical edge pairs (anterior and posterior cortices) on a 0.5 mm copy, refined like
  the AP shafts (:mod:`.shaft`).
- **Tibia.** Around the joint level between them, the tray's inferior line on a
  replaced knee (metal in the window; the strongest falling edge below the insert's
  gap) or the plateau on a native one (the strongest rising edge), fitted by a robust
  line (:func:`_lat_plateau`). The landmarks ``tibial_plateau_anterior`` /
  ``_posterior`` are placed on that line at 80 % of its half-length from its middle
  (the line's ends are rounded on a film).
- **Femoral component.** Between the component's anterior flange and posterior
  condyles, the bone rests on the distal fixation surface: in each column within 9 mm
  of the femoral axis, the strongest rising edge (bone to metal, going down) above
  the joint. A line through them, centred where the femoral axis crosses it, gives
  ``femoral_component_anterior`` / ``_posterior`` 16 mm either side.
- **Shaft points** go on the axes at fixed distances from the joint centre: femur 70
  and 125 mm above it, tibia 69 and 116 mm below (film mm).
- **Anterior** is read from DICOM Patient Orientation, else it is the side of the
  femur where the patella shows. The side comes from DICOM laterality or View
  Position (``RL``/``LL``), else from the display convention of the toolkit's films
  (a right knee has anterior on the viewer's left), recorded as inferred.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from alignment.detect._image import Work, robust_line, subpixel_offset
from alignment.detect.infer import anterior_direction, patella_side
from alignment.detect.knee import _column_edges, find_knee
from alignment.detect.legs import shaft_candidates, shaft_segments
from alignment.detect.shaft import ShaftAxis, refine_shaft
from alignment.vocabulary import Side

__all__ = ["FEMORAL_HALF_MM", "SHAFT_OFFSETS_MM", "TRAY_SHARE", "detect_lateral"]

F64 = NDArray[np.float64]

SHAFT_OFFSETS_MM = {"femur": (125.0, 70.0), "tibia": (69.0, 116.0)}
"""Distances (film mm) of the LAT shaft points from the joint centre, ``(proximal,
distal)``, along each axis."""

TRAY_SHARE = 0.8
"""Where the plateau points sit, as a share of the tray's (or plateau's) half-length."""

FEMORAL_HALF_MM = 16.0
"""Half the distance between the femoral component's two landmarks, film mm."""

LAT_REQUIRED: tuple[str, ...] = (
    "femoral_shaft_proximal",
    "femoral_shaft_distal",
    "tibial_plateau_anterior",
    "tibial_plateau_posterior",
    "tibial_shaft_proximal",
    "tibial_shaft_distal",
)


def detect_lateral(ctx: Any, work: Work, wanted: tuple[Side, ...] | None) -> str:
    """Find the landmarks of a lateral knee film; record them in `ctx` (see
    :mod:`.core`). Returns where the side came from."""
    coarse = work.coarse
    air = float(np.percentile(coarse, 3)) + 0.04
    cands = shaft_candidates(coarse, work.coarse_mm, air_level=air)
    segments = shaft_segments(cands, min_length_mm=35.0, max_gap_mm=20.0, width_tolerance=0.5)
    rows = work.shape[0] * work.spacing_mm[0]
    upper = [s for s in segments if (s.top + s.bottom) / 2 < 0.5 * rows]
    lower = [s for s in segments if (s.top + s.bottom) / 2 >= 0.5 * rows]
    if not upper or not lower:
        ctx.notes.append(
            "lateral film: no femoral and tibial diaphyses above and below the middle of the film"
        )
        return "none"
    # a femoral and a tibial run with room for the knee between them (a run through
    # the condyles or the metaphyses would leave none): the longest such pair
    pairs = [
        (f.length_mm + t.length_mm, f, t)
        for f in upper
        for t in lower
        if 30.0 <= t.top - f.bottom <= 200.0
    ]
    if not pairs:
        ctx.notes.append(
            "lateral film: no femoral and tibial diaphyses with a knee joint between them"
        )
        return "none"
    _, seg_f, seg_t = max(pairs, key=lambda p: p[0])
    fa = refine_shaft(
        work,
        seg_f.centre,
        seg_f.direction,
        top=seg_f.top,
        bottom=seg_f.bottom,
        width_mm=seg_f.width_mm,
    )
    ta = refine_shaft(
        work,
        seg_t.centre,
        seg_t.direction,
        top=seg_t.top,
        bottom=seg_t.bottom,
        width_mm=seg_t.width_mm,
    )
    if fa is None or ta is None:
        ctx.notes.append("lateral film: the cortices of the shafts could not be followed")
        return "none"
    from alignment.detect.core import _joint_level

    joint = _joint_level(work, fa, ta)
    if joint is None:
        ctx.notes.append("lateral film: no knee joint between the shafts")
        return "none"
    r = ctx.radiograph
    anterior, a_source = anterior_direction(r.patient_orientation)
    if anterior is None:
        anterior = patella_side(work, float(fa.at_y(joint[1])[0]), joint[1])
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
    knee = find_knee(work, None, None, joint[1], joint[0], half_width_mm=50.0)
    required = list(LAT_REQUIRED)
    centre = None
    if anterior is None:
        reasons.update(
            dict.fromkeys(
                ("tibial_plateau_anterior", "tibial_plateau_posterior"),
                "anterior could not be told (no orientation, no patella)",
            )
        )
    else:
        plateau = _lat_plateau(work, ta, joint)
        if plateau is None:
            for name in ("tibial_plateau_anterior", "tibial_plateau_posterior"):
                reasons[name] = "no straight tibial plateau or tray line below the femur"
        else:
            a, b, conf_t, implant = plateau
            centre = (a + b) / 2
            ant, post = (b, a) if anterior > 0 else (a, b)
            for name, end in (
                ("tibial_plateau_anterior", ant),
                ("tibial_plateau_posterior", post),
            ):
                points[name] = centre + TRAY_SHARE * (end - centre)
                conf[name] = conf_t
                method[name] = "lat-tray" if implant else "lat-plateau"
            knee.implant = implant
    if knee.implant:
        required += ["femoral_component_anterior", "femoral_component_posterior"]
        _femoral_component(work, fa, joint, anterior, points, conf, method, reasons)
    ref = centre if centre is not None else np.array(joint)
    _lat_shaft(points, conf, method, fa, ref, "femoral", SHAFT_OFFSETS_MM["femur"], up=True)
    _lat_shaft(points, conf, method, ta, ref, "tibial", SHAFT_OFFSETS_MM["tibia"], up=False)
    if a_source != "dicom" and anterior is not None:
        ctx.notes.append("lateral film: anterior told from the patella")
    ctx.add_leg(side, "LAT", points, conf, method, reasons, required, work)
    return side_source


def _lat_plateau(
    work: Work, ta: ShaftAxis, joint: tuple[float, float]
) -> tuple[F64, F64, float, bool] | None:
    """The tibial joint line of a lateral film: ``(end_a, end_b, confidence, tka)``.

    Columns within 40 mm of the tibial axis are read from 15 mm above to 25 mm below
    the joint level. A replaced knee (metal in the window) gives the tray's inferior
    surface: in each column the strongest falling edge (metal to bone, going down).
    A native knee gives the plateau: the strongest rising edge (joint space to bone).
    A robust line through them drops the spines, the keel and the femoral contact;
    its ends are those of the run of columns on the line around the axis.
    """
    x_axis = float(ta.at_y(joint[1])[0])
    xs = np.arange(x_axis - 40.0, x_axis + 40.01, 0.5)
    ys, values, g = _column_edges(work, xs, joint[1] - 15.0, joint[1] + 25.0)
    dy = ys[1] - ys[0]
    implant = bool(np.mean(values > 0.92) > 0.01)
    noise = 1.4826 * float(np.median(np.abs(g - np.median(g)))) + 1e-6
    signed = -g if implant else g
    # on a replaced knee the femoral component's lower edge lies above the insert's
    # dark gap (the joint level): only the tray below it is read
    k0 = int(np.searchsorted(ys, joint[1] - 2.0)) if implant else 1
    k0 = min(max(k0, 1), len(ys) - 3)
    found = []
    for i, x in enumerate(xs):
        col = signed[i]
        k = int(np.argmax(col[k0:-1])) + k0
        if col[k] > 5 * noise:
            found.append((x, ys[k] + subpixel_offset(col, k) * dy))
    if len(found) < 30:
        return None
    pts = np.array(found)
    fit = robust_line(pts, threshold=2.0)
    if fit is None:
        return None
    c, d, keep, rms = fit
    d = d if d[0] > 0 else -d
    if abs(d[1]) > 0.45:  # steeper than about 24 degrees: not a plateau
        return None
    nrm = np.array([-d[1], d[0]])
    on = np.abs((pts - c) @ nrm) < 1.5
    xs_on = np.sort(pts[on, 0])
    if xs_on.size < 20:
        return None
    # the keel interrupts a tray's line in the middle: bridge it
    cuts = np.flatnonzero(np.diff(xs_on) > (20.0 if implant else 4.0)) + 1
    runs = [r for r in np.split(xs_on, cuts) if r.size]
    run = min(runs, key=lambda r: 0.0 if r[0] <= x_axis <= r[-1] else 1e3 - r.size)
    if run[-1] - run[0] < 25.0:
        return None
    ends = [c + ((x - c[0]) / d[0]) * d for x in (float(run[0]), float(run[-1]))]
    confidence = float(np.clip(1.0 - rms / 1.2, 0.2, 1.0)) * float(
        min(1.0, on.sum() / (0.5 * len(xs)))
    )
    return ends[0], ends[1], confidence, implant


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


def _femoral_component(
    work: Work,
    fa: ShaftAxis,
    joint: tuple[float, float],
    anterior: float | None,
    points: dict[str, F64],
    conf: dict[str, float],
    method: dict[str, str],
    reasons: dict[str, str],
) -> None:
    names = ("femoral_component_anterior", "femoral_component_posterior")
    x_axis = float(fa.at_y(joint[1])[0])
    xs = np.arange(x_axis - 9.0, x_axis + 9.01, 0.5)
    ys, _, g = _column_edges(work, xs, joint[1] - 40.0, joint[1] - 1.0)
    dy = ys[1] - ys[0]
    noise = 1.4826 * float(np.median(np.abs(g - np.median(g)))) + 1e-6
    found = []
    for i, x in enumerate(xs):
        col = g[i]
        k = int(np.argmax(col[1:-1])) + 1
        if col[k] > 6 * noise:
            found.append((x, ys[k] + subpixel_offset(col, k) * dy))
    if len(found) < 8 or anterior is None:
        for n in names:
            reasons[n] = "no distal fixation surface inside the femoral component"
        return
    fit = robust_line(np.array(found), threshold=2.5)
    if fit is None:
        for n in names:
            reasons[n] = "no straight fixation surface inside the femoral component"
        return
    c, d, keep, rms = fit
    d = d if d[0] > 0 else -d
    if abs(d[1]) > 0.5:
        for n in names:
            reasons[n] = "the fixation surface found is steeper than 27 degrees"
        return
    # centre: where the femoral axis crosses the line
    u = fa.direction
    m = np.array([[d[0], -u[0]], [d[1], -u[1]]])
    try:
        t, _ = np.linalg.solve(m, fa.at_y(joint[1]) - c)
    except np.linalg.LinAlgError:
        t = 0.0
    centre = c + t * d
    forward = d * (1.0 if anterior > 0 else -1.0)
    points[names[0]] = centre + FEMORAL_HALF_MM * forward
    points[names[1]] = centre - FEMORAL_HALF_MM * forward
    confidence = float(np.clip(1.0 - rms / 1.0, 0.2, 1.0) * min(1.0, keep.sum() / (0.6 * len(xs))))
    for n in names:
        conf[n] = confidence
        method[n] = "lat-fixation-surface"


def _lat_shaft(
    points: dict[str, F64],
    conf: dict[str, float],
    method: dict[str, str],
    axis: ShaftAxis,
    ref: F64,
    bone: str,
    offsets: tuple[float, float],
    *,
    up: bool,
) -> None:
    d = axis.direction / np.linalg.norm(axis.direction)
    foot = axis.centre + ((ref - axis.centre) @ d) * d
    sign = -1.0 if up else 1.0
    c = axis.confidence()
    for name, dist in zip(
        (f"{bone}_shaft_proximal", f"{bone}_shaft_distal"), offsets, strict=True
    ):
        p = foot + sign * dist * d
        points[name] = p
        outside = max(0.0, axis.top - p[1], p[1] - axis.bottom)
        conf[name] = c * (1.0 if outside < 20.0 else 0.6)
        method[name] = "lat-cortices+robust-line"
