"""The ankle on an AP film: the talar dome under the tibial plafond.

The search starts on the tibial axis well above the end of the diaphysis read (a
diaphysis run may carry on through the talus, whose width is close to the tibia's).

1. **Joint level.** Along the axis, a band ``+-8 mm`` wide is averaged into one profile;
   candidates for the ankle joint space are its three deepest dark valleys with bone
   on both sides: the plafond above (within 20 mm) and the body of the talus below
   (within 12 mm). A thin joint space can be shallower than a pore of the metaphysis,
   so each is tried, from the top: the first with a dome edge under it is the ankle.
   Valleys fainter than 3 % of the grey range are tried only where no clearer one has
   a dome, and only from the clearer one's level down.
   The joints below it and the sole over a positioning board show long, strong edges
   too, so a stronger edge lower down never wins (the ankle is never below the
   malleoli); a dome seen across less of the columns only lowers the confidence.
2. **Dome.** Columns within 12 mm of the axis are read at full resolution; in each,
   the strongest rising edge (going down) from 3 mm above to 6 mm below the joint
   level is the talar dome. A parabola fitted to the dome's edge points (outliers
   dropped) gives its apex: ``ankle_center``, the top of the dome at the middle of the
   ankle joint, which is also the centre of the plafond.

On a long-leg film the search runs below the tibial diaphysis, and again from where
the femur's length puts the ankle where it finds nothing or an ankle that makes the
tibia implausibly long or short (:func:`ankle_below_tibia`, :data:`TIBIA_FEMUR_RATIO`).

Examples
--------
>>> import numpy as np
>>> from alignment.detect._image import Work
>>> yy, xx = np.mgrid[0:300, 0:200].astype(float)
>>> dome = 150 + 0.01 * (xx - 100) ** 2  # talus top, pixels (0.5 mm)
>>> image = np.where(yy < 140, 800, np.where(yy > dome, 800, 200)).astype(np.uint16)
>>> ankle = find_ankle(Work.of(image, (0.5, 0.5), coarse_mm=1.0), 50.0, 40.0)
>>> [round(float(v), 1) for v in ankle.point]
[50.3, 75.3]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from alignment.detect._image import Work, mad_sd, row_means, subpixel_offset
from alignment.detect.column import FAINT_GAP_DEPTH, film_rows
from alignment.detect.shaft import ShaftAxis

__all__ = [
    "TIBIA_FEMUR_RATIO",
    "AnkleFinding",
    "ankle_below_tibia",
    "find_ankle",
    "ratio_rejection",
    "tibia_to_femur",
]

F64 = NDArray[np.float64]

_ABOVE_MM = (3.0, 20.0)
"""Where the plafond's bone is looked for above a candidate joint level, mm."""
_BELOW_MM = (3.0, 12.0)
"""Where the talus' bone is looked for below a candidate joint level, mm."""
_LEAST_DEPTH = (0.03, FAINT_GAP_DEPTH)
"""Least depth of a joint space below the darker of the bones around it, as a share of
the film's grey range: a clear joint first, then a faint one. The malleoli overlap the
joint on an AP film, and a film whose contrast was equalised (CLAHE) or exported as
JPEG keeps 2 to 3 % of its range across the joint, so the second floor is set below
that (the bone column's floor for a faint gap); the noise of the profile (four times
its spread) raises both on noisy films."""
_SAME_JOINT_MM = 4.0
"""Two valleys of the profiles read with different depth floors this close (mm, half
the 8 mm that keeps the valleys of one profile apart) are the same joint space."""
_JOINT_ONLY_CONFIDENCE = 0.3
"""Confidence of an ankle placed on the joint space without its dome's edge: where the
joint is, is seen; its middle is not measured (below the review threshold)."""
_DOME_COLUMNS = 49
"""Columns read across the dome, 0.5 mm apart over +-12 mm."""

TIBIA_FEMUR_RATIO = (0.65, 1.05)
"""Plausible tibial over femoral mechanical length; outside it the ankle is rejected."""


@dataclass
class AnkleFinding:
    """The ankle centre (mm), its confidence, how it was placed (``talar-dome`` or
    ``joint-space``), and notes."""

    point: F64 | None = None
    confidence: float = 0.0
    method: str = "talar-dome"
    notes: list[str] = field(default_factory=list)


def _joint_levels(
    work: Work, x_axis: float, y_start: float, bottom: float, slope: float, least: float
) -> list[tuple[float, float]]:
    """The three deepest dark valleys along the axis (at least 8 mm apart) with bone
    above and below, each at least `least` deep (a share of the film's grey range) and
    four times the profile's noise: ``(y, depth)`` each, deepest first."""
    step = 0.5
    ys = np.arange(y_start, bottom, step)
    offsets = np.arange(-8.0, 8.01, 1.0)
    xs = x_axis + slope * (ys - y_start)
    grid = np.stack(np.broadcast_arrays(xs[:, None] + offsets[None, :], ys[:, None]), axis=-1)
    values = work.sample(grid)
    profile = row_means(values)
    if np.isnan(profile).all():
        return []
    profile = ndimage.gaussian_filter1d(
        np.nan_to_num(profile, nan=float(np.nanmin(profile))), 0.6 / step
    )
    noise = 1.4826 * float(np.median(np.abs(np.diff(profile)))) + 1e-6
    a0, a1 = (int(v / step) for v in _ABOVE_MM)
    b0, b1 = (int(v / step) for v in _BELOW_MM)
    n = len(profile)
    depth = np.full(n, -np.inf)
    for k in range(a1, n - b1):
        above = float(profile[k - a1 : k - a0].max())
        below = float(profile[k + b0 : k + b1].mean())
        depth[k] = min(above, below) - profile[k]
    floor = max(least, 4 * noise)
    levels: list[tuple[float, float]] = []
    for k in np.argsort(depth)[::-1]:
        if not np.isfinite(depth[k]) or depth[k] < floor or len(levels) >= 3:
            break
        if all(abs(ys[k] - y) >= 8.0 for y, _ in levels):
            levels.append((float(ys[k]), float(depth[k])))
    return levels


def _content_end(work: Work) -> float:
    """Where the film's content ends (mm): padding rows of one grey level below a crop
    (:func:`~alignment.detect.column.film_rows`) are no part of the leg."""
    return (film_rows(work.coarse)[1] + 1) * work.coarse_mm


def find_ankle(
    work: Work,
    x_axis: float,
    y_start: float,
    *,
    search_mm: float = 140.0,
    slope: float = 0.0,
) -> AnkleFinding:
    """Find the ankle centre below ``(x_axis, y_start)`` (mm) on the tibial axis.

    Parameters
    ----------
    work : Work
        The film.
    x_axis, y_start : float
        A point of the tibial axis (mm) above the ankle, where the search starts.
    search_mm : float, optional
        Length of the search down the axis, mm.
    slope : float, optional
        ``dx/dy`` of the tibial axis on the film.

    Returns
    -------
    AnkleFinding
        ``point`` is None (with a note) when no joint is seen.
    """
    out = AnkleFinding()
    film_end = _content_end(work)
    bottom = min(y_start + search_mm, film_end)
    if bottom - y_start < _ABOVE_MM[1] + _BELOW_MM[1] + 5.0:
        out.notes.append("ankle_center: the film ends below the tibial diaphysis")
        return out
    # a clear joint space is tried before a faint one: a faint valley higher up (the
    # physeal scar, a pore of the metaphysis) must not take the place of the joint
    tiers = [_joint_levels(work, x_axis, y_start, bottom, slope, least) for least in _LEAST_DEPTH]
    if tiers[0]:
        # nor when the clear one has no dome under it: a fainter valley is tried
        # only from the clear one's level down (the joint read a little higher in
        # the fainter profile is kept)
        clear = min(y for y, _ in tiers[0]) - _SAME_JOINT_MM
        tiers[1:] = [[(y, d) for y, d in levels if y >= clear] for levels in tiers[1:]]
    found = [levels for levels in tiers if levels]
    if not found:
        cut = " - the film may be cut off above the ankle" if bottom < y_start + search_mm else ""
        out.notes.append(
            "ankle_center: no joint space (plafond over talar dome) below the tibia" + cut
        )
        return out
    best: tuple[float, F64, F64, NDArray[np.bool_]] | None = None
    for levels in found:
        best = _first_dome(work, levels, x_axis, y_start, slope, film_end)
        if best is not None:
            break
    if best is None:
        # the joint space is seen (plafond above, talus below) but not the dome's
        # edge in it: on a coarse or contrast-equalised film the dome is a few pixels
        # of weak edge. The middle of the highest clearest joint space on the axis is
        # the centre of the plafond, placed for a person to check
        y_joint = min(y for y, _ in found[0])
        out.point = np.array([x_axis + slope * (y_joint - y_start), y_joint])
        out.confidence = _JOINT_ONLY_CONFIDENCE
        out.method = "joint-space"
        out.notes.append(
            "ankle_center: joint space seen without a continuous talar dome edge: "
            "placed at the middle of the joint space on the tibial axis"
        )
        return out
    x_joint, arr, coef, keep = best
    a, b, _ = coef
    if a > 1e-4:
        x0 = float(np.clip(-b / (2 * a), -10.0, 10.0))
    else:  # flat: the middle of the columns found
        x0 = float(np.median(arr[keep, 0]) - x_joint)
    y0 = float(np.polyval(coef, x0))
    out.point = np.array([x_joint + x0, y0])
    share = keep.sum() / _DOME_COLUMNS
    strength = float(np.median(arr[keep, 2]))
    out.confidence = float(
        np.clip(share * 1.3, 0.0, 1.0) * np.clip((strength - 2.0) / 4.0, 0.2, 1.0)
    )
    return out


def _first_dome(
    work: Work,
    levels: list[tuple[float, float]],
    x_axis: float,
    y_start: float,
    slope: float,
    film_end: float,
) -> tuple[float, F64, F64, NDArray[np.bool_]] | None:
    """The highest of the joint `levels` with a dome edge under it: ``x_joint`` (mm)
    and :func:`_dome`'s reading; None when none has one.

    A thin joint space can be shallower than a pore of the metaphysis: each valley is
    tried, from the top. The joints below the ankle (talus over calcaneus) and the sole
    over a positioning board show long, strong edges too, so a stronger edge lower down
    does not win: the ankle is never below the malleoli (a partial dome only lowers the
    confidence)."""
    for y_joint, _ in sorted(levels):
        x_joint = x_axis + slope * (y_joint - y_start)
        dome = _dome(work, x_joint, y_joint, film_end)
        if dome is not None:
            return (x_joint, *dome)
    return None


def _dome(
    work: Work, x_joint: float, y_joint: float, film_end: float
) -> tuple[F64, F64, NDArray[np.bool_]] | None:
    """Talar dome edge points ``(x, y, strength)`` under a joint level, the parabola
    fitted to them and its inliers; None when fewer than 12 columns agree."""
    xs = np.linspace(x_joint - 12.0, x_joint + 12.0, _DOME_COLUMNS)
    step = max(0.1, min(work.spacing_mm) * 0.75)
    ys = np.arange(y_joint - 8.0, min(y_joint + 14.0, film_end), step)
    if len(ys) < int(14.0 / step):
        return None
    grid = np.stack(np.broadcast_arrays(xs[:, None], ys[None, :]), axis=-1)
    values = work.sample(grid)
    values = np.nan_to_num(values, nan=float(np.nanmedian(values)))
    sigma = max(0.3, min(work.spacing_mm)) / step
    g = ndimage.gaussian_filter1d(values, sigma, axis=1, order=1) / step
    noise = mad_sd(g) + 1e-6
    lo = int(5.0 / step)
    hi = int(14.0 / step)
    found: list[tuple[float, float, float]] = []  # x, y_dome, strength
    for i, x in enumerate(xs):
        col = g[i]
        k = int(np.argmax(col[lo:hi])) + lo
        if col[k] < 4 * noise or k <= 0 or k >= len(ys) - 1:
            continue
        y_dome = float(ys[k] + subpixel_offset(col, k) * step)
        found.append((float(x), y_dome, float(col[k] / noise)))
    if len(found) < 12:
        return None
    arr = np.array(found)
    level = float(np.median(arr[:, 1]))
    arr = arr[np.abs(arr[:, 1] - level) < 4.0]
    if len(arr) < 12:
        return None
    keep = np.ones(len(arr), dtype=bool)
    coef = np.zeros(3)
    for _ in range(4):
        coef = np.polyfit(arr[keep, 0] - x_joint, arr[keep, 1], 2)
        res = arr[:, 1] - np.polyval(coef, arr[:, 0] - x_joint)
        sd = 1.4826 * float(np.median(np.abs(res[keep]))) + 0.05
        new = np.abs(res) < 3 * sd
        if new.sum() < 10 or np.array_equal(new, keep):
            break
        keep = new
    return arr, coef, keep


def ankle_below_tibia(
    work: Work, ta: ShaftAxis, points: dict[str, F64]
) -> tuple[AnkleFinding | None, AnkleFinding | None, str | None]:
    """The ankle found below the tibial diaphysis `ta` (:func:`find_ankle`).

    The search starts on the tibia's own axis, 80 mm above the run's end (a run may
    carry on through the talus); where it finds nothing, or an ankle that makes the
    tibia's length implausible (:data:`TIBIA_FEMUR_RATIO`), it is retried from 0.55 and
    0.7 femur lengths below the tibial knee centre along the femur's mechanical axis
    (method suffixed ``(retry)``). A joint space seen without its dome's edge
    (``joint-space``) is placed when the first search found it: right under the
    tibia's own run it is the plafond, surer than a search from a level the femur's
    length guesses (only as good as the femoral head) or the bone column's coarse gaps
    (on real crops both went into the tarsus, the talus or onto the positioning board
    while the first search's joint space lay on the plafond). Found on a retry
    (``joint-space(retry)``), it only stands in where neither a dome nor the column
    places the ankle.

    Parameters
    ----------
    work : Work
        The film.
    ta : ShaftAxis
        The tibial diaphysis read (mm).
    points : dict of str to numpy.ndarray
        The leg's landmarks so far (mm); the femoral head, the knee centres set the
        retries and the length check.

    Returns
    -------
    placed : AnkleFinding or None
        The ankle to place, its ``method`` saying how it was found.
    stand_in : AnkleFinding or None
        A joint space found on a retry, for where nothing else places the ankle.
    reason : str or None
        Why the last search placed nothing.
    """
    hd, fk = points.get("femoral_head_center"), points.get("femoral_knee_center")
    tk = points.get("tibial_knee_center")
    slope = float(ta.direction[0] / ta.direction[1])
    y_first = max(ta.top, ta.bottom - 80.0)
    starts = [(float(ta.at_y(y_first)[0]), y_first, slope)]
    if tk is not None and hd is not None and fk is not None:
        # retries follow the femur's mechanical axis down from the tibial knee
        # centre (a leg bends a few degrees at the knee, a wrong run far more)
        femur_mm = float(np.linalg.norm(fk - hd))
        slope_f = float((fk - hd)[0] / (fk - hd)[1])
        for share in (0.55, 0.7):
            y0 = float(tk[1]) + share * femur_mm
            starts.append((float(tk[0]) + slope_f * (y0 - float(tk[1])), y0, slope_f))
    stand_in: AnkleFinding | None = None
    reason: str | None = None
    for attempt, (x0, y0, slope0) in enumerate(starts):
        search = max(ta.bottom - y0, 0.0) + 140.0
        ankle = find_ankle(work, x0, y0, search_mm=search, slope=slope0)
        if ankle.point is None or ankle.confidence <= 0.1:
            reason = "; ".join(ankle.notes) or "no talar dome below the tibia"
            continue
        ratio = tibia_to_femur({**points, "ankle_center": ankle.point})
        if ratio is not None and not TIBIA_FEMUR_RATIO[0] <= ratio <= TIBIA_FEMUR_RATIO[1]:
            # a tibia far shorter or longer than its femur: a wrong ankle (a joint
            # found in the foot or the shaft), rejected, not guessed at
            reason = ratio_rejection(ratio)
            continue
        if attempt > 0:  # a retry
            stands_in = ankle.method == "joint-space"  # seen without its dome
            ankle.method = f"{ankle.method}(retry)"
            if stands_in:
                stand_in = stand_in or ankle
                continue
        return ankle, stand_in, None
    return None, stand_in, reason


def tibia_to_femur(points: dict[str, F64]) -> float | None:
    """Tibial over femoral mechanical length.

    Parameters
    ----------
    points : dict of str to numpy.ndarray
        Landmarks (mm) by name.

    Returns
    -------
    float or None
        The tibial knee centre to ankle centre distance over the femoral head centre to
        femoral knee centre distance; None unless all four are in `points`.

    >>> tibia_to_femur({"femoral_head_center": np.array([0.0, 0.0]),
    ...                 "femoral_knee_center": np.array([0.0, 450.0]),
    ...                 "tibial_knee_center": np.array([0.0, 452.0]),
    ...                 "ankle_center": np.array([0.0, 812.0])})
    0.8
    """
    names = ("femoral_head_center", "femoral_knee_center", "tibial_knee_center", "ankle_center")
    if not all(n in points for n in names):
        return None
    hd, fk, tk, an = (points[n] for n in names)
    return float(np.linalg.norm(an - tk)) / max(float(np.linalg.norm(fk - hd)), 1e-6)


def ratio_rejection(ratio: float) -> str:
    """Why an ankle making the tibia `ratio` times the femur's length is rejected.

    >>> print(ratio_rejection(1.2).split(" (")[0])
    the ankle found makes the tibia 1.20 times the femur's length
    """
    return (
        f"the ankle found makes the tibia {ratio:.2f} times the femur's length "
        f"(expected {TIBIA_FEMUR_RATIO[0]:g} to {TIBIA_FEMUR_RATIO[1]:g}): rejected"
    )
