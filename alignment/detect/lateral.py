"""The lateral knee film: sagittal shaft axes, femoral component and tibial plateau.

On the 0.5 mm working copy:

- **Field and knee.** The exposed field is the box inside the collimation edges
  (:func:`_field`); the bone column is the brightest band of columns across its middle
  rows, and the joint the deepest dark band between bright bone above and below on it,
  in the middle 60 % of the field (:func:`_joint`).
- **Shafts** (:func:`_follow_shaft`). The outer anterior and posterior cortices are
  followed row by row from the field's top edge down to 55 mm above the joint (femur)
  and from its bottom edge up to 50 mm below it (tibia), each edge searched within
  3 mm of where it was a row before; the axis is a robust line through the midpoints.
  The first row offers several edge pairs (the fibula beside the tibia makes one); each
  is followed, and the straightest, longest track wins. The midpoints of a flaring
  metaphysis still lie on the axis, so the rows do not have to stop at the diaphysis.
- **Tibia** (:func:`_tibial_line`). On a replaced knee, metal under the joint is the
  tray: in each column the lower edge of the first metal run under the joint (a run
  longer than 15 mm is the keel and is skipped), refined to the falling edge's
  centroid; on a native knee, the plateau: the first strong rising edge under the joint. A
  robust line through them; its ends are those of the run of columns on it around the
  axis (the keel or the spines bridged). ``tibial_plateau_anterior`` / ``_posterior`` sit on it at
  80 % of its half-length from its middle.
- **Femoral component** (:func:`_fixation_surface`). Metal above the joint is the
  component. In each column the first metal run above the joint is its distal part
  (a run longer than 15 mm is the flange or a posterior condyle); the run's upper edge
  is the distal fixation surface. A line through its flat part (the chamfers drop
  out), centred where the femoral axis crosses it, gives
  ``femoral_component_anterior`` / ``_posterior`` 16 mm either side.
- **Shaft points** go on the axes at fixed distances from the joint centre: femur 125
  and 70 mm above it, tibia 69 and 116 mm below (film mm); where the rows followed do
  not reach a point, its confidence is lowered.
- **Anterior** is read from DICOM Patient Orientation, else it is the side of the
  femur where the patella shows. The side comes from DICOM laterality or View
  Position (``RL``/``LL``), else from the display convention of the toolkit's films
  (a right knee has anterior on the viewer's left), recorded as inferred.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, robust_line, subpixel_offset
from alignment.detect.infer import anterior_direction, patella_side
from alignment.detect.knee import _column_edges
from alignment.detect.shaft import ShaftAxis
from alignment.vocabulary import Side

__all__ = ["FEMORAL_HALF_MM", "LAT_REQUIRED", "SHAFT_OFFSETS_MM", "TRAY_SHARE", "detect_lateral"]

F64 = NDArray[np.float64]

SHAFT_OFFSETS_MM = {"femur": (125.0, 70.0), "tibia": (69.0, 116.0)}
"""Distances (film mm) of the LAT shaft points from the joint centre, ``(proximal,
distal)``, along each axis."""

TRAY_SHARE = 0.8
"""Where the plateau points sit, as a share of the tray's (or plateau's) half-length."""

FEMORAL_HALF_MM = 16.0
"""Half the distance between the femoral component's two landmarks, film mm."""

CLEAR_OF_JOINT_MM = {"femur": 55.0, "tibia": 50.0}
"""How close to the joint the cortices are followed, mm: nearer, the patella and the
condyles (femur) or the fibular head and the tubercle (tibia) join the outline."""

EDGE_WINDOW_MM = 3.0
"""How far a cortical edge may move from one row of the working copy to the next, mm."""

METAL_LEVEL = 0.92
"""Normalised grey value above which a pixel near the knee is metal."""

PLATE_MAX_MM = 15.0
"""Longest metal run (along a column) taken for a tray's plate or the component's
distal part; longer runs are the keel, the flange or a posterior condyle."""

FLAT_TOLERANCE_MM = 0.5
"""Distance from the fixation surface's line within which a traced point is on its flat
part (:func:`_flat_part`)."""

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
    gx, noise = _x_gradient(work.coarse, work.coarse_mm, box)
    mm = work.coarse_mm
    top, bottom = box[0] * mm + 5.0, box[1] * mm - 5.0
    fa = _follow_shaft(gx, noise, mm, box, top, joint[1] - CLEAR_OF_JOINT_MM["femur"], joint[0])
    ta = _follow_shaft(gx, noise, mm, box, bottom, joint[1] + CLEAR_OF_JOINT_MM["tibia"], joint[0])
    if fa is None or ta is None:
        bone = "femoral" if fa is None else "tibial"
        ctx.notes.append(f"lateral film: the {bone} cortices could not be followed")
        return "none"
    joint = (float(fa.at_y(joint[1])[0] + ta.at_y(joint[1])[0]) / 2, joint[1])
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
    required = list(LAT_REQUIRED)
    centre = None
    tray = _metal_share(work, joint, below=True) > 0.01
    if anterior is None:
        reasons.update(
            dict.fromkeys(_PLATEAU, "anterior could not be told (no orientation, no patella)")
        )
    else:
        line = _tibial_line(work, ta, joint, tray=tray)
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
    if _metal_share(work, joint, below=False) > 0.01:
        required += list(_COMPONENT)
        found = _fixation_surface(work, fa, joint, anterior)
        if isinstance(found, str):
            reasons.update(dict.fromkeys(_COMPONENT, found))
        else:
            front, back, conf_f = found
            for name, p in zip(_COMPONENT, (front, back), strict=True):
                points[name], conf[name], method[name] = p, conf_f, "lat-fixation-surface"
    ref = centre if centre is not None else np.array(joint)
    _lat_shaft(points, conf, method, fa, ref, "femoral", SHAFT_OFFSETS_MM["femur"], up=True)
    _lat_shaft(points, conf, method, ta, ref, "tibial", SHAFT_OFFSETS_MM["tibia"], up=False)
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


def _x_gradient(
    coarse: NDArray[np.float32], mm: float, box: tuple[int, int, int, int]
) -> tuple[F64, float]:
    """Horizontal gradient of the smoothed working copy and its noise (robust SD over
    the field)."""
    smooth = ndimage.gaussian_filter(coarse.astype(float), (1.0 / mm, 0.8 / mm))
    gx = ndimage.sobel(smooth, axis=1) / 8.0
    r0, r1, c0, c1 = box
    inside = gx[r0:r1, c0:c1]
    return gx, 1.4826 * float(np.median(np.abs(inside - np.median(inside)))) + 1e-6


def _follow_shaft(
    gx: F64,
    noise: float,
    mm: float,
    box: tuple[int, int, int, int],
    y_from: float,
    y_to: float,
    x_hint: float,
    *,
    starts: int = 6,
) -> ShaftAxis | None:
    """Follow a bone's outer cortices from row `y_from` toward `y_to` (mm) and fit its
    axis through the midpoints.

    On the first row, every rising edge left of `x_hint` and falling edge right of it,
    10-70 mm apart, each over 4 x `noise`, makes a start (the `starts` strongest
    pairs); each is followed (:func:`_track`), and the track with the smallest RMS
    residual per square root of its length wins (a track along the tibia and the
    fibula together bends).
    """
    r0, r1, c0, c1 = box
    y0 = int(np.clip(y_from / mm, r0, r1 - 1))
    y1 = int(np.clip(y_to / mm, r0, r1 - 1))
    if abs(y1 - y0) < round(20.0 / mm):
        return None
    row = gx[y0]
    peaks = (row >= np.roll(row, 1)) & (row >= np.roll(row, -1))
    troughs = (row <= np.roll(row, 1)) & (row <= np.roll(row, -1))
    cols = np.arange(row.size)
    hint = x_hint / mm
    inside = (cols > c0 + 1) & (cols < c1 - 2)
    up = cols[inside & peaks & (row > 4 * noise) & (cols < hint)]
    down = cols[inside & troughs & (row < -4 * noise) & (cols > hint)]
    pairs = sorted(
        (
            (float(row[i] - row[j]), int(i), int(j))
            for i in up
            for j in down
            if 10.0 <= (j - i) * mm <= 70.0
        ),
        reverse=True,
    )
    best: tuple[float, ShaftAxis] | None = None
    span = abs(y1 - y0)
    for _, left, right in pairs[:starts]:
        track = _track(gx, noise, mm, box, y0, y1, left, right)
        if len(track) < max(20, 0.3 * span):
            continue
        axis = _axis_of(track, mm, span)
        if axis is None:
            continue
        score = axis.rms_mm / np.sqrt(len(track))
        if best is None or score < best[0]:
            best = (score, axis)
    return None if best is None else best[1]


def _track(
    gx: F64,
    noise: float,
    mm: float,
    box: tuple[int, int, int, int],
    y0: int,
    y1: int,
    left: int,
    right: int,
) -> F64:
    """Rows ``(y, x_left, x_right, strength)`` (coarse pixels, sub-pixel edges) of one
    bone followed from row `y0` toward `y1`, starting at edges `left` and `right`; it
    stops after 6 rows in a row without both edges (3 x `noise`)."""
    _, _, c0, c1 = box
    window = max(1, round(EDGE_WINDOW_MM / mm))
    step = 1 if y1 > y0 else -1
    rows: list[tuple[float, float, float, float]] = []
    misses = 0
    for y in range(y0, y1, step):
        g = gx[y]
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
    fit = robust_line(mids, threshold=3.0)
    if fit is None:
        return None
    centre, direction, keep, rms = fit
    used = mids[keep]
    return ShaftAxis(
        centre,
        direction,
        rms,
        int(keep.sum()),
        span,
        float(np.median((track[keep, 2] - track[keep, 1]) * mm)),
        float(np.median(track[keep, 3])),
        float(used[:, 1].min()),
        float(used[:, 1].max()),
    )


def _metal_share(work: Work, joint: tuple[float, float], *, below: bool) -> float:
    """Share of metal pixels within 45 mm of the joint centre across and 3-35 mm
    below (or above) the joint level."""
    x, y = joint
    y_lo, y_hi = (y + 3.0, y + 35.0) if below else (y - 35.0, y - 3.0)
    xs = np.arange(x - 45.0, x + 45.01, 1.0)
    _, values, _ = _column_edges(work, xs, y_lo, y_hi)
    return float(np.mean(values > METAL_LEVEL))


def _metal_runs(metal: NDArray[np.bool_]) -> tuple[int, int] | None:
    """``(start, stop)`` of the first run of True in a column, or None."""
    hits = np.flatnonzero(metal)
    if hits.size == 0:
        return None
    start = int(hits[0])
    gaps = np.flatnonzero(~metal[start:])
    return start, start + (int(gaps[0]) if gaps.size else int(metal.size - start))


def _tibial_line(
    work: Work, ta: ShaftAxis, joint: tuple[float, float], *, tray: bool
) -> tuple[F64, F64, float] | str:
    """The tibial joint line of a lateral film, ``(end_a, end_b, confidence)``, or why
    there is none.

    Columns within 45 mm of the tibial axis are read from 5 mm above to 40 mm below
    the joint level. A tray (`tray`) gives, per column, the lower edge of the first
    metal run under the joint no longer than :data:`PLATE_MAX_MM` (longer: the keel),
    refined to the falling edge's centroid within 2 mm; a native knee the first
    rising edge (joint space to bone) from 5 mm above to 25 mm below the joint at least
    half as strong as the column's strongest (:func:`_first_rise`).
    """
    x_axis = float(ta.at_y(joint[1])[0])
    xs = np.arange(x_axis - 45.0, x_axis + 45.01, 0.5)
    ys, values, g = _column_edges(work, xs, joint[1] - 5.0, joint[1] + 40.0)
    dy = ys[1] - ys[0]
    noise = 1.4826 * float(np.median(np.abs(g - np.median(g)))) + 1e-6
    found: list[tuple[float, float]] = []
    keel: list[float] = []
    reach = max(1, round(2.0 / dy))
    level = int(np.searchsorted(ys, joint[1]))
    last = int(np.searchsorted(ys, joint[1] + 25.0))
    for i, x in enumerate(xs):
        col = g[i]
        if tray:
            run = _metal_runs(values[i, level:] > METAL_LEVEL)
            if run is None:
                continue
            if (run[1] - run[0]) * dy > PLATE_MAX_MM:
                keel.append(float(x))
                continue
            at = _edge_centroid(-col, level + run[1], reach, 5 * noise)
        else:
            k = _first_rise(col[:last], 5 * noise)
            at = None if k is None else k + subpixel_offset(col, k)
        if at is not None:
            found.append((float(x), float(ys[0] + at * dy)))
    if len(found) < 30:
        return "no tray or plateau edge across the tibia under the joint"
    pts = np.array(found)
    fit = robust_line(pts, threshold=2.0)
    if fit is None:
        return "no straight tibial plateau or tray line under the femur"
    c, d, _, _ = fit
    d = d if d[0] > 0 else -d
    if abs(d[1]) > 0.45:  # steeper than about 24 degrees: not a plateau
        return "the tibial line found is steeper than 24 degrees"
    off = (pts - c) @ np.array([-d[1], d[0]])
    on = np.abs(off) < 1.5
    rms = float(np.sqrt(np.mean(off[on] ** 2))) if on.any() else np.inf
    xs_on = np.sort(np.concatenate([pts[on, 0], keel]))
    cuts = np.flatnonzero(np.diff(xs_on) > BRIDGE_MM) + 1
    runs = [r for r in np.split(xs_on, cuts) if r.size]
    span = min(runs, key=lambda r: 0.0 if r[0] <= x_axis <= r[-1] else 1e3 - r.size)
    if span[-1] - span[0] < 25.0:
        return "the tibial line found is shorter than 25 mm"
    ends = [c + ((x - c[0]) / d[0]) * d for x in (float(span[0]), float(span[-1]))]
    in_run = (pts[on, 0] >= span[0]) & (pts[on, 0] <= span[-1])
    share = in_run.sum() / ((span[-1] - span[0]) / 0.5 + 1)
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
    work: Work, fa: ShaftAxis, joint: tuple[float, float], anterior: float | None
) -> tuple[F64, F64, float] | str:
    """The femoral component's distal fixation surface: its ``(anterior, posterior)``
    landmark and their confidence, or why it was not found.

    Columns within 30 mm of the femoral axis are read from 50 mm above the joint
    level down to it; going up from the joint, the first metal run no longer than
    :data:`PLATE_MAX_MM` is the component's distal part, its upper end (refined to the
    edge centroid within 2 mm, :func:`_edge_centroid`) the fixation surface; its flat
    part (:func:`_flat_part`) drops the chamfers.
    """
    if anterior is None:
        return "anterior could not be told (no orientation, no patella)"
    x_axis = float(fa.at_y(joint[1])[0])
    xs = np.arange(x_axis - 30.0, x_axis + 30.01, 0.5)
    ys, values, g = _column_edges(work, xs, joint[1] - 50.0, joint[1])
    dy = ys[1] - ys[0]
    noise = 1.4826 * float(np.median(np.abs(g - np.median(g)))) + 1e-6
    reach = max(1, round(2.0 / dy))
    found: list[tuple[float, float]] = []
    for i, x in enumerate(xs):
        run = _metal_runs((values[i] > METAL_LEVEL)[::-1])  # upward from the joint
        if run is None or (run[1] - run[0]) * dy > PLATE_MAX_MM:
            continue
        at = _edge_centroid(g[i], len(ys) - run[1], reach, 5 * noise)
        if at is not None:
            found.append((float(x), float(ys[0] + at * dy)))
    if len(found) < 8:
        return "no distal fixation surface inside the femoral component"
    pts = np.array(found)
    fit = _flat_part(pts)
    if fit is None:
        return "no straight fixation surface inside the femoral component"
    c, d, keep, rms = fit
    d = d if d[0] > 0 else -d
    if abs(d[1]) > 0.5:
        return "the fixation surface found is steeper than 27 degrees"
    # centre: where the femoral axis crosses the line
    u = fa.direction
    try:
        t, _ = np.linalg.solve(np.array([[d[0], -u[0]], [d[1], -u[1]]]), fa.at_y(joint[1]) - c)
    except np.linalg.LinAlgError:
        t = 0.0
    centre = c + t * d
    forward = d * (1.0 if anterior > 0 else -1.0)
    flat = pts[keep, 0]
    confidence = _line_confidence(flat, rms, keep.sum() / ((flat.max() - flat.min()) / 0.5 + 1))
    return centre + FEMORAL_HALF_MM * forward, centre - FEMORAL_HALF_MM * forward, confidence


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
