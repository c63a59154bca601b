"""The 3D limb: bones, implant and soft tissue as analytic solids, with true landmarks.

A limb is built in its **leg frame** (mm): ``l`` lateral, ``d`` distal, ``a``
anterior, origin at the femoral knee centre; the femur's mechanical axis runs along
``d`` (head at ``(0, -femur_length, 0)``). The tibia is turned in the coronal plane so
that the measures of the spec come out as asked (see :func:`build_limb`), then the
pose (knee flexion, rotation about the hip-ankle axis) is applied.

Every landmark of the AP vocabulary lies in the coronal plane ``a = 0`` of the
unposed limb, and every landmark of the LAT vocabulary in the sagittal mid-plane of its
bone, so that on an unrotated limb their projections keep the angles exactly.

Examples
--------
>>> from alignment.phantom.parameters import LimbParameters
>>> limb = build_limb(LimbParameters(femur_length_mm=440.0))
>>> limb.ap["femoral_head_center"].round(6).tolist()
[0.0, -440.0, 0.0]
>>> sorted(p.name for p in limb.parts)[:3]
['calcaneus', 'femur', 'fibula']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alignment.phantom.parameters import LimbParameters
from alignment.phantom.solids import Clip, Part, Solid, Sweep, rotation

__all__ = ["MU", "Limb", "build_limb", "build_pelvis"]

Array = NDArray[np.float64]

MU: dict[str, float] = {
    "soft": 0.021,
    "cortex": 0.05,
    "trabecular": 0.014,
    "marrow": 0.002,
    "cobalt_chrome": 2.5,
    "titanium": 0.6,
    "polyethylene": -0.003,
    "steel": 2.5,
    "lead": 8.0,
}
"""Linear attenuation coefficients, 1/mm, at an effective energy near 50 keV; those of
solids inside the body are relative to soft tissue (which they displace)."""

TEXTURE = 0.35
"""Depth of the trabecular modulation of cancellous bone: the weight of a solid in the
textured image is this times its attenuation."""

_L, _D, _A = np.eye(3)


@dataclass(frozen=True, eq=False)
class Limb:
    """One synthetic leg in its leg frame (see the module docstring).

    Attributes
    ----------
    parameters : LimbParameters
    parts : tuple of Part
        Bones, implant (post-op) and the soft-tissue envelope (a coarse part).
    ap, lat : dict of str to ndarray, shape (3,)
        True 3D landmarks of the AP and LAT vocabularies, mm, posed.
    femur_frame : (ndarray (3, 3), ndarray (3,))
        ``(matrix, offset)`` taking leg-frame points to the femur's own frame
        (mechanical axis along ``d``, condylar axis along ``l``) before the pose; the
        LAT view images the knee in this frame.
    hip, knee, ankle : ndarray, shape (3,)
        Femoral head centre, tibial knee centre and ankle centre, posed.
    scale : float
        Size of the bones relative to a 440 mm femur.
    """

    parameters: LimbParameters
    parts: tuple[Part, ...]
    ap: dict[str, Array]
    lat: dict[str, Array]
    femur_frame: tuple[Array, Array]
    hip: Array
    knee: Array
    ankle: Array
    scale: float

    def moved(self, matrix: ArrayLike, offset: ArrayLike) -> Limb:
        """Return the limb after ``x -> matrix @ x + offset`` (to a view's frame)."""
        m = np.asarray(matrix, dtype=float)
        t = np.asarray(offset, dtype=float)

        def move(points: dict[str, Array]) -> dict[str, Array]:
            return {k: m @ v + t for k, v in points.items()}

        return Limb(
            self.parameters,
            tuple(p.moved(m, t) for p in self.parts),
            move(self.ap),
            move(self.lat),
            self.femur_frame,
            m @ self.hip + t,
            m @ self.knee + t,
            m @ self.ankle + t,
            self.scale,
        )


def _unit(v: ArrayLike) -> Array:
    u = np.asarray(v, dtype=float)
    return u / np.linalg.norm(u)


def _frame(e1: Array, direction: Array, distal: Array) -> Array:
    """Orthonormal axes (e1, e2, n): e2 from `direction` made orthogonal to e1, n = e1 x
    e2 turned to point along `distal`."""
    e2 = _unit(direction - (direction @ e1) * e1)
    n = np.cross(e1, e2)
    if n @ distal < 0:
        n = -n
    return np.column_stack([e1, e2, n])


def _shell(solid: Solid, cortex_mm: float, inner_mu: float) -> list[Solid]:
    """An outer solid of cortical bone and an inner one turning it to `inner_mu` (a
    cylinder or cone is left open at its ends)."""
    size = np.maximum(solid.size - cortex_mm, 0.5)
    if solid.kind in ("cone", "cylinder"):
        size[2] = solid.size[2]  # open at both ends: the bone runs on in another piece
    inner = Solid(
        solid.kind,
        solid.centre,
        solid.axes,
        size,
        inner_mu - solid.mu,
        solid.clips,
        texture=TEXTURE * inner_mu,
        taper=solid.taper,
    )
    return [solid, inner]


def _bone(
    centre: ArrayLike,
    size: ArrayLike,
    axes: ArrayLike | None = None,
    *,
    cortex: float,
    clips: tuple[Clip, ...] = (),
) -> list[Solid]:
    solid = Solid.ellipsoid(centre, size, mu=MU["cortex"], axes=axes, clips=clips)
    return _shell(solid, cortex, MU["trabecular"])


def _shaft(
    start: Array, end: Array, outer: tuple[float, float], canal: tuple[float, float]
) -> list[Solid]:
    tube = Solid.between(start, end, outer, mu=MU["cortex"], towards=_A)
    hole = Solid.between(start, end, canal, mu=MU["marrow"] - MU["cortex"], towards=_A)
    return [tube, hole]


def _flare(
    start: Array,
    end: Array,
    radii: tuple[float, float],
    end_radii: tuple[float, float],
    *,
    cortex: float,
    inner_mu: float | None = None,
    towards: ArrayLike = _A,
    clips: tuple[Clip, ...] = (),
) -> list[Solid]:
    """A truncated cone of cortical bone from `start` to `end` (a neck), filled with
    cancellous bone (or `inner_mu`); the first radius lies along `towards`."""
    outer = Solid.between(
        start,
        end,
        radii,
        mu=MU["cortex"],
        towards=towards,
        kind="cone",
        clips=clips,
        end_radii=end_radii,
    )
    return _shell(outer, cortex, MU["trabecular"] if inner_mu is None else inner_mu)


def _profile(
    origin: Array,
    axis: Array,
    stations: Sequence[tuple[float, float, float, float]],
    ratio: float,
) -> list[Solid]:
    """A long bone as one piece: a stack of truncated cones along `axis`.

    Each station ``(s, r, cortex, spongy)`` gives, at ``origin + s axis``, the
    medio-lateral outer radius ``r`` (the antero-posterior one is ``ratio r``), the
    cortical thickness and the share of cancellous bone in the medullary space (0:
    marrow of the diaphysis, 1: cancellous bone of a metaphysis). Neighbouring
    segments share their end planes, so the outline, the cortex and the canal run on
    without seams.
    """
    solids: list[Solid] = []
    for (s0, r0, c0, f0), (s1, r1, c1, f1) in zip(stations[:-1], stations[1:], strict=True):
        a = origin + s0 * axis
        b = origin + s1 * axis
        spongy = (f0 + f1) / 2.0
        inner_mu = MU["marrow"] + spongy * (MU["trabecular"] - MU["marrow"])
        solids.append(
            Solid.between(
                a, b, (ratio * r0, r0), mu=MU["cortex"], kind="cone", end_radii=(ratio * r1, r1)
            )
        )
        solids.append(
            Solid.between(
                a,
                b,
                (ratio * (r0 - c0), r0 - c0),
                mu=inner_mu - MU["cortex"],
                kind="cone",
                end_radii=(ratio * (r1 - c1), r1 - c1),
                texture=TEXTURE * (MU["marrow"] + spongy * MU["trabecular"]),
            )
        )
    return solids


def _rod(
    start: ArrayLike,
    end: ArrayLike,
    radii: tuple[float, float],
    *,
    cortex: float,
    towards: ArrayLike = _A,
) -> list[Solid]:
    """A rod of bone from `start` to `end` (a ramus, a neck), slightly waisted toward
    its ends: a long ellipsoid cut square at both ends."""
    a = np.asarray(start, dtype=float)
    b = np.asarray(end, dtype=float)
    axis = _unit(b - a)
    half = float(np.linalg.norm(b - a)) / 2.0
    body = Solid.between(a, b, radii, mu=MU["cortex"], towards=towards, kind="ellipsoid")
    body = Solid(
        "ellipsoid",
        body.centre,
        body.axes,
        np.array([radii[0], radii[1], 1.3 * half]),
        MU["cortex"],
        (Clip(axis, float(axis @ a), float(axis @ b)),),
    )
    return _shell(body, cortex, MU["trabecular"])


def _coronal_axes(direction: Array) -> Array:
    """Axes (perpendicular in the coronal plane toward lateral, direction, anterior)."""
    u = _unit(direction)
    perp = np.array([u[1], -u[0], 0.0])
    if perp[0] < 0:
        perp = -perp
    return np.column_stack([perp, u, _A])


def _femur(p: LimbParameters, k: float) -> tuple[list[Part], dict[str, Array], dict[str, Array]]:
    """Femur (and implant, patella) in the femur frame, with its landmarks."""
    lf = p.femur_length_mm
    m = math.radians(p.mldfa_deg)
    ama = math.radians(p.ama_deg)
    jf = np.array([math.sin(m), -math.cos(m), 0.0])
    nf = np.array([math.cos(m), math.sin(m), 0.0])
    knee = np.zeros(3)
    head = np.array([0.0, -lf, 0.0])
    ua = np.array([-math.sin(ama), math.cos(ama), 0.0])  # anatomical axis, distal
    half = 24.0 * k
    below = (10.0 if p.implant else 16.0) * k  # condyle bottoms below the knee centre
    medial = knee + below * nf - half * jf
    lateral = knee + below * nf + half * jf
    shaft_axes = _coronal_axes(ua)

    def on_axis(s: float, lateral_mm: float = 0.0, anterior_mm: float = 0.0) -> Array:
        return knee - s * ua + lateral_mm * shaft_axes[:, 0] + anterior_mm * _A

    # neck: meets the shaft axis where the neck-shaft angle is 128 degrees
    offset = lf * math.sin(ama)
    tau = lf * math.cos(ama) - offset / math.tan(math.radians(180.0 - 128.0))
    junction = on_axis(tau)
    along_neck = _unit(junction - head)
    # the distal resection (post-op) cuts the condyles and the epiphysis
    cond_axes = np.column_stack([jf, nf, _A])
    cut: tuple[Clip, ...] = ()
    comp_axes = cond_axes
    cut_centre = (medial + lateral) / 2.0
    if p.implant:
        g = math.radians(p.femoral_component_flexion_deg)
        sagittal = np.array([0.0, math.sin(g), math.cos(g)])  # posterior -> anterior
        comp_axes = _frame(jf, sagittal, nf)
        cut_centre = (medial + lateral) / 2.0 - 9.0 * k * comp_axes[:, 2]
        cut = (Clip.through(cut_centre, comp_axes[:, 2], above=0.0),)
    femur_profile = [
        (28, 34.0, 1.5, 1.0),
        (40, 35.0, 1.5, 1.0),
        (60, 29.0, 1.8, 1.0),
        (85, 21.0, 2.6, 0.8),
        (112, 16.0, 3.8, 0.35),
        (0.3 * lf / k, 14.5, 5.0, 0.1),
        (0.55 * lf / k, 14.0, 6.5, 0.0),
        (tau / k - 80, 15.0, 5.0, 0.1),
        (tau / k - 52, 18.0, 3.5, 0.5),
        (tau / k - 22, 24.0, 2.2, 0.9),
        (tau / k + 12, 25.0, 1.5, 1.0),
    ]
    pieces: list[list[Solid]] = [
        _bone(head, (23 * k,) * 3, cortex=1.5 * k),
        # neck, narrowest under the head, flaring into the intertrochanteric region
        _flare(
            head + 6 * k * along_neck,
            junction - 4 * k * along_neck,
            (15.5 * k, 14 * k),
            (22 * k, 18 * k),
            cortex=1.6 * k,
        ),
        _bone(on_axis(tau - 2 * k, 3 * k), (25 * k, 32 * k, 19 * k), shaft_axes, cortex=1.5 * k),
        # greater trochanter, its lateral wall in line with the lateral cortex
        _bone(
            on_axis(tau + 8 * k, 12 * k, -5 * k),
            (15 * k, 27 * k, 21 * k),
            shaft_axes,
            cortex=1.4 * k,
        ),
        # lesser trochanter, posteromedial
        _bone(
            on_axis(tau - 42 * k, -15 * k, -7 * k),
            (7 * k, 11 * k, 7 * k),
            shaft_axes,
            cortex=1.2 * k,
        ),
        # the whole shaft, from the trochanters to the epicondyles
        _profile(
            knee,
            -ua,
            [(s_ * k, r_ * k, c_ * k, f_) for s_, r_, c_, f_ in femur_profile],
            0.9,
        ),
        # epiphysis between the epicondyles; its lower surface, the notch roof, reaches
        # down to the knee centre (the apex of the intercondylar notch)
        _bone(
            knee - 30 * k * nf - 4 * k * _A,
            (38 * k, 30 * k, 30 * k),
            cond_axes,
            cortex=1.5 * k,
            clips=cut,
        ),
    ]
    for point in (medial, lateral):
        pieces.append(
            _bone(
                point - 26 * k * nf, (15 * k, 26 * k, 30 * k), cond_axes, cortex=1.5 * k, clips=cut
            )
        )
        # the posterior condyles, above the distal (weight-bearing) ones
        pieces.append(
            _bone(
                point - 24 * k * nf - 16 * k * _A,
                (14 * k, 21 * k, 20 * k),
                cond_axes,
                cortex=1.5 * k,
                clips=cut,
            )
        )
    parts = [Part.of("femur", *pieces)]
    patella = _bone(
        knee + np.array([4 * k, -30 * k, 40 * k]), (21 * k, 24 * k, 10 * k), cortex=1.5 * k
    )
    parts.append(Part.of("patella", patella))
    ap = {
        "femoral_head_center": head,
        "femoral_shaft_proximal": on_axis(0.65 * lf),
        "femoral_shaft_distal": on_axis(0.3 * lf),
        "femoral_knee_center": knee,
        "distal_femur_medial": medial,
        "distal_femur_lateral": lateral,
    }
    # LAT shaft points: midpoints between the cortices (the spec), i.e. on the
    # anatomical axis, which a rotated limb shows tilted against the mechanical one
    lat = {
        "femoral_shaft_proximal": on_axis(0.22 * lf),
        "femoral_shaft_distal": on_axis(0.1 * lf),
    }
    if p.implant:
        e1, e2, n3 = comp_axes.T
        metal = MU["cobalt_chrome"]
        top = Clip.through(cut_centre, n3, below=-32 * k, above=np.inf)
        inside = (
            Clip.through(cut_centre, n3, below=-32 * k, above=0.0),
            Clip.through(cut_centre, e2, below=-22 * k, above=22 * k),
            Clip.through(cut_centre, _unit(e2 + n3), above=12 * k / math.sqrt(2)),
            Clip.through(cut_centre, _unit(n3 - e2), above=12 * k / math.sqrt(2)),
        )
        component: list[list[Solid]] = []
        for point in (medial, lateral):
            runner = Solid.ellipsoid(
                point - 24 * k * n3, (13 * k, 30 * k, 24 * k), mu=metal, axes=comp_axes
            )
            component.append(
                [
                    runner.clipped(top),
                    runner.scaled(1.0, mu=-metal).clipped(*inside),
                ]
            )
        flange = Solid(
            "box",
            cut_centre + 24.5 * k * e2 - 14 * k * n3,
            comp_axes,
            np.array([half + 6 * k, 2.5 * k, 14 * k]),
            metal,
        )
        component.append([flange])
        parts.append(Part.of("femoral component", *component))
        # the distal fixation surface, where it crosses the sagittal mid-plane l = 0
        on_plane = cut_centre - (cut_centre[0] / e1[0]) * e1
        sagittal_dir = np.array([0.0, math.sin(g), math.cos(g)])
        lat["femoral_component_anterior"] = on_plane + 16 * k * sagittal_dir
        lat["femoral_component_posterior"] = on_plane - 16 * k * sagittal_dir
    return parts, ap, lat


def _tibia(
    p: LimbParameters, k: float, to_leg: Array
) -> tuple[list[Part], dict[str, Array], dict[str, Array]]:
    """Tibia (and implant), fibula and foot in the tibia frame (origin: tibial knee centre).

    `to_leg` turns tibia-frame directions into the leg frame; the slope is laid out in
    the femur's sagittal plane (that of a true lateral film), so that it shows as asked
    whatever the coronal angle between femur and tibia.
    """
    lt = p.tibia_length_mm
    mp = math.radians(p.mpta_deg)
    sl = math.radians(p.tibial_slope_deg)
    jt = np.array([math.sin(mp), -math.cos(mp), 0.0])
    nt = np.array([math.cos(mp), math.sin(mp), 0.0])
    knee = np.zeros(3)
    ankle = np.array([0.0, lt, 0.0])
    # posterior -> anterior along the plateau, with no lateral component in the leg frame
    sagittal = to_leg.T @ np.array([0.0, -math.sin(sl), math.cos(sl)])
    axes = _frame(jt, sagittal, _D)
    e1, e2, n3 = axes.T
    plateau = knee + (1.5 if p.implant else 9.0) * k * nt  # centre of the joint line
    half = 36.0 * k
    rim_depth, rim_height = 12.0 * k, 26.0 * k  # condyles' centre below the surface, semi-axis
    surface = Clip.through(plateau, n3, below=0.0, above=np.inf)
    lift = (1.5 if p.implant else 9.0) + 14.0
    tibia_profile = [
        (lift, 37.0, 1.5, 1.0),
        (45, 33.0, 1.5, 1.0),
        (75, 22.0, 2.4, 0.8),
        (110, 15.0, 3.8, 0.3),
        (150, 13.0, 5.0, 0.0),
        (0.6 * lt / k, 12.0, 5.5, 0.0),
        (lt / k - 100, 13.0, 4.5, 0.1),
        (lt / k - 60, 17.0, 2.6, 0.5),
        (lt / k - 25, 22.0, 1.6, 1.0),
        (lt / k - 2, 23.0, 1.5, 1.0),
    ]
    pieces: list[list[Solid]] = [
        # condyles: the plateau's rim, square to the surface, then rounding off; laid
        # along the joint line, so that the surface ends at the plateau landmarks
        _bone(
            plateau + rim_depth * nt,
            (half / math.sqrt(1.0 - (rim_depth / rim_height) ** 2), rim_height, 29 * k),
            np.column_stack([jt, nt, _A]),
            cortex=1.5 * k,
            clips=(surface,),
        ),
        # metaphyses and shaft in one piece
        _profile(
            knee,
            _D,
            [(s_ * k, r_ * k, c_ * k, f_) for s_, r_, c_, f_ in tibia_profile],
            0.78,
        ),
        # tibial tuberosity, in front
        _bone(
            plateau + np.array([2 * k, 38 * k, 22 * k]),
            (12 * k, 22 * k, 10 * k),
            cortex=1.2 * k,
        ),
        # medial malleolus
        _bone(ankle + np.array([-20 * k, 2 * k, 3 * k]), (7 * k, 16 * k, 11 * k), cortex=1.5 * k),
    ]
    parts: list[Part] = []
    if not p.implant:
        # the tibial spines rise into the femoral notch, up to the knee centre
        for sign in (-1.0, 1.0):
            pieces.append(
                _bone(
                    plateau + sign * 6 * k * jt - 0.5 * k * nt,
                    (5 * k, 9 * k, 9 * k),
                    cortex=1.2 * k,
                    clips=(Clip.through(plateau, n3, below=-9 * k, above=np.inf),),
                )
            )
    else:
        ti = MU["titanium"]
        tray = Solid(
            "cylinder", plateau - 1.5 * k * n3, axes, np.array([37 * k, 25 * k, 1.5 * k]), ti
        )
        keel_end = plateau + 42 * k * _D
        keel = Solid.between(plateau, keel_end, (7 * k, 7 * k), mu=ti)
        tip = Solid.ellipsoid(keel_end, (7 * k,) * 3, mu=ti, clips=(Clip(_D, keel_end[1]),))
        parts.append(Part.of("tibial tray", [tray], [keel, tip]))
        insert = Solid(
            "cylinder",
            plateau - (3 + 4.5) * k * n3,
            axes,
            np.array([35 * k, 24 * k, 4.5 * k]),
            MU["polyethylene"],
        )
        parts.append(Part.of("insert", insert))
    parts.insert(0, Part.of("tibia", *pieces))
    fib_head = knee + np.array([34 * k, 28 * k, -14 * k])
    fibula = [
        _bone(fib_head, (11 * k, 13 * k, 11 * k), cortex=1.5 * k),
        _shaft(
            fib_head + 10 * k * _D,
            ankle + np.array([27 * k, -30 * k, -9 * k]),
            (6 * k, 6 * k),
            (3 * k, 3 * k),
        ),
        _bone(ankle + np.array([26 * k, 4 * k, -8 * k]), (8 * k, 22 * k, 11 * k), cortex=1.5 * k),
    ]
    parts.append(Part.of("fibula", *fibula))
    parts.append(
        Part.of(
            "talus",
            _bone(ankle + np.array([0, 15 * k, 2 * k]), (19 * k, 15 * k, 24 * k), cortex=1.5 * k),
        )
    )
    parts.append(
        Part.of(
            "calcaneus",
            _bone(
                ankle + np.array([0, 50 * k, -28 * k]), (20 * k, 22 * k, 40 * k), cortex=1.5 * k
            ),
        )
    )
    parts.append(
        Part.of(
            "midfoot",
            _bone(
                ankle + np.array([-4 * k, 40 * k, 40 * k]),
                (18 * k, 14 * k, 17 * k),
                cortex=1.5 * k,
            ),
        )
    )
    medial = plateau - half * jt
    lateral = plateau + half * jt
    on_plane = plateau - ((to_leg @ plateau)[0] / (to_leg @ e1)[0]) * e1
    ap = {
        "tibial_knee_center": knee,
        "tibial_plateau_medial": medial,
        "tibial_plateau_lateral": lateral,
        "tibial_shaft_proximal": knee + 0.3 * lt * _D,
        "tibial_shaft_distal": knee + 0.75 * lt * _D,
        "ankle_center": ankle,
    }
    lat = {
        "tibial_plateau_anterior": on_plane + 20 * k * sagittal,
        "tibial_plateau_posterior": on_plane - 20 * k * sagittal,
        "tibial_shaft_proximal": knee + 0.18 * lt * _D,
        "tibial_shaft_distal": knee + 0.3 * lt * _D,
    }
    return parts, ap, lat


def _sweep(origin: Array, axis: Array, table: Sequence[Sequence[float]], k: float) -> Sweep:
    s, r1, r2, o1, o2 = (np.array(c, dtype=float) for c in zip(*table, strict=True))
    return Sweep(origin, axis, _L, s * k, r1 * k, r2 * k, o1 * k, o2 * k, MU["soft"])


def build_limb(parameters: LimbParameters) -> Limb:
    """Build one leg from its parameters, in the leg frame.

    Parameters
    ----------
    parameters : LimbParameters

    Returns
    -------
    Limb

    Notes
    -----
    In the coronal plane (``l``, ``d``) the femur keeps its frame and the tibia is
    turned by ``jlca - mpta + mldfa`` (positive from lateral toward distal), which
    gives ``jlca`` between the joint lines and ``hka = 180 + mpta - mldfa - jlca``.
    The tibia then sits below the femoral condyles with a joint space of 5 mm (native)
    or a 3 mm tray plus a 9 mm insert (post-op). Knee flexion turns the tibia and foot
    about the femoral condylar axis; rotation turns everything about the hip-ankle
    axis (+ internal: the anterior surface toward medial).
    """
    p = parameters
    k = p.femur_length_mm / 440.0
    f_parts, f_ap, f_lat = _femur(p, k)
    phi = p.jlca_deg - p.mpta_deg + p.mldfa_deg
    r_t = rotation(_A, phi)
    t_parts, t_ap, t_lat = _tibia(p, k, r_t)
    nf = np.array([math.cos(math.radians(p.mldfa_deg)), math.sin(math.radians(p.mldfa_deg)), 0])
    nt = np.array([math.cos(math.radians(p.mpta_deg)), math.sin(math.radians(p.mpta_deg)), 0])
    normal = _unit(nf + r_t @ nt)
    gap = (12.0 if p.implant else 5.0) * k
    condyles = (f_ap["distal_femur_medial"] + f_ap["distal_femur_lateral"]) / 2.0
    plateau = (t_ap["tibial_plateau_medial"] + t_ap["tibial_plateau_lateral"]) / 2.0
    t_offset = condyles + gap * normal - r_t @ plateau
    # knee flexion about the condylar axis (through the condyle centres), ankle moves back
    pivot = condyles - 26 * k * nf
    r_flex = rotation(_L, -p.knee_flexion_deg)
    m_t = r_flex @ r_t
    o_t = r_flex @ (t_offset - pivot) + pivot
    tibia_parts = [q.moved(m_t, o_t) for q in t_parts]
    thigh = _sweep(
        np.zeros(3),
        _D,
        [
            (-p.femur_length_mm / k - 80, 20, 20, 20, -20),
            (-p.femur_length_mm / k - 30, 62, 70, 30, -20),
            (-p.femur_length_mm / k + 40, 86, 86, 28, -18),
            (-330, 80, 82, 16, -12),
            (-220, 70, 74, 10, -8),
            (-110, 59, 63, 6, -6),
            (-40, 52, 56, 3, -4),
            (0, 50, 53, 2, -3),
            (40, 48, 50, 0, -4),
        ],
        k,
    )
    leg_table = [
        (-40, 50, 52, 0, -2),
        (0, 48, 50, 0, -4),
        (60, 50, 56, -2, -14),
        (130, 52, 60, -4, -18),
        (0.6 * p.tibia_length_mm / k, 42, 48, -3, -14),
        (0.8 * p.tibia_length_mm / k, 33, 36, -2, -8),
        (p.tibia_length_mm / k - 20, 30, 33, 0, -4),
        (p.tibia_length_mm / k + 10, 34, 44, 0, 4),
        (p.tibia_length_mm / k + 60, 38, 60, 0, 20),
    ]
    leg = _sweep(np.zeros(3), _D, leg_table, k).moved(m_t, o_t)
    soft = Part.of("soft tissue", thigh, leg, coarse=True)
    parts = (*f_parts, *tibia_parts, soft)
    ap = dict(f_ap)
    ap.update({n: m_t @ v + o_t for n, v in t_ap.items()})
    lat = dict(f_lat)
    lat.update({n: m_t @ v + o_t for n, v in t_lat.items()})
    hip = f_ap["femoral_head_center"]
    ankle = ap["ankle_center"]
    limb = Limb(
        p,
        parts,
        ap,
        lat,
        (np.eye(3), np.zeros(3)),
        hip.copy(),
        ap["tibial_knee_center"],
        ankle.copy(),
        k,
    )
    if p.rotation_deg:
        r_rot = rotation(ankle - hip, -p.rotation_deg)
        limb = limb.moved(r_rot, hip - r_rot @ hip)
    return limb


def build_pelvis(hips: dict[float, Array], k: float) -> list[Part]:
    """Return pelvis bones and the trunk's soft tissue, in world coordinates of an AP film.

    Parameters
    ----------
    hips : dict of float to ndarray, shape (3,)
        Femoral head centres keyed by the sign of the world ``X`` direction that
        points to that side's lateral (-1 or +1).
    k : float
        Size relative to a 440 mm femur.

    Returns
    -------
    list of Part
    """
    mid = (hips[-1.0] + hips[1.0]) / 2.0
    parts: list[Part] = []
    down = np.array([0.0, 1.0, 0.0])
    towards = np.array([0.0, 0.0, 1.0])
    cortex, spongy = MU["cortex"], MU["trabecular"]
    for sign, hip in hips.items():

        def at(x: float, y: float, z: float, base: Array = hip, s: float = sign) -> Array:
            """A point ``x`` lateral, ``y`` down, ``z`` anterior of `base`, mm."""
            return base + k * np.array([s * x, y, z])

        # iliac wing: a thin plate seen obliquely, cut along the pelvic brim
        brim = _unit(np.array([-sign * 0.55, 1.0, 0.0]))
        wing = Solid.ellipsoid(
            at(12, -84, -22),
            (72 * k, 64 * k, 6 * k),
            mu=cortex,
            axes=rotation(down, sign * 35.0) @ rotation(towards, sign * 12.0),
            clips=(Clip.through(at(-30, -34, 0), brim, above=0.0),),
        )
        # body of the ilium over the acetabulum, with the sourcil: the dense roof
        body = Solid.ellipsoid(at(-8, -24, -6), (31 * k, 42 * k, 19 * k), mu=cortex)
        roof = Clip.through(hip, _unit(np.array([sign * 0.35, 1.0, 0.0])), above=-5 * k)
        sourcil = Solid.ellipsoid(hip, (26.5 * k,) * 3, mu=cortex - spongy, clips=(roof,))
        pieces = [
            _shell(wing, 2.2 * k, spongy),
            [
                *_shell(body, 1.0 * k, spongy * 0.8),
                sourcil,
                sourcil.scaled((26.5 - 1.8) / 26.5, mu=spongy - cortex),
            ],
            # the pelvic brim, from the sacro-iliac joint to the pubis
            _rod(at(-46, -62, -42), at(-26, 10, 4), (5 * k, 5 * k), cortex=1.5 * k),
            # superior pubic ramus, pubic body, inferior ramus, ischium and tuberosity
            _rod(at(-20, 12, 5), at(14, 30, 12, mid), (9 * k, 8 * k), cortex=1.6 * k),
            _bone(at(13, 42, 12, mid), (11 * k, 22 * k, 12 * k), cortex=1.8 * k),
            _rod(at(12, 58, 9, mid), at(-14, 84, -6), (6.5 * k, 6 * k), cortex=1.4 * k),
            _rod(at(-4, 14, -10), at(-12, 80, -12), (13 * k, 11 * k), cortex=1.8 * k),
            _bone(at(-13, 86, -12), (13 * k, 11 * k, 14 * k), cortex=2.0 * k),
        ]
        parts.append(Part.of("pelvis", *pieces))
    # sacrum: narrowing downward, with its foramina; L5 above it
    sides = []
    for sign in (-1.0, 1.0):
        edge = _unit(np.array([sign * 104.0, 34.0, 0.0]))
        sides.append(Clip.through(mid + k * np.array([sign * 52, -120, 0]), edge, above=0.0))
    sacrum = Solid.ellipsoid(
        mid + k * np.array([0.0, -72, -50]),
        (54 * k, 62 * k, 13 * k),
        mu=cortex,
        clips=tuple(sides),
    )
    foramina = [
        Solid.ellipsoid(
            mid + k * np.array([sign * (24 - 3 * i), -104 + 21 * i, -50]),
            (4.5 * k, 4.0 * k, 8 * k),
            mu=-spongy * 0.9,
        )
        for i in range(4)
        for sign in (-1.0, 1.0)
    ]
    l5 = Solid.between(
        mid + k * np.array([0.0, -168, -45]),
        mid + k * np.array([0.0, -140, -45]),
        (26 * k, 18 * k),
        mu=cortex,
        towards=(1.0, 0.0, 0.0),
    )
    l5_inside = Solid.between(
        mid + k * np.array([0.0, -166, -45]),
        mid + k * np.array([0.0, -142, -45]),
        (24 * k, 16 * k),
        mu=spongy - cortex,
        towards=(1.0, 0.0, 0.0),
        texture=TEXTURE * spongy,
    )
    pedicles = [
        _bone(mid + k * np.array([sign * 16, -156, -24]), (5 * k, 8 * k, 10 * k), cortex=1.8 * k)
        for sign in (-1.0, 1.0)
    ]
    processes = [
        _rod(
            mid + k * np.array([sign * 14, -152, -30]),
            mid + k * np.array([sign * 48, -150, -34]),
            (4 * k, 5 * k),
            cortex=1.2 * k,
        )
        for sign in (-1.0, 1.0)
    ]
    parts.append(
        Part.of(
            "sacrum",
            [*_shell(sacrum, 1.3 * k, spongy * 0.8), *foramina],
            [l5, l5_inside],
            *pedicles,
            *processes,
        )
    )
    trunk = Sweep(
        mid + np.array([0.0, 0.0, -15 * k]),
        down,
        np.array([1.0, 0.0, 0.0]),
        np.array([-400, -160, -60, 0, 40, 70, 95, 115]) * k,
        np.array([175, 185, 192, 192, 178, 135, 70, 14]) * k,
        np.array([120, 112, 110, 106, 98, 80, 50, 14]) * k,
        np.zeros(8),
        np.zeros(8),
        MU["soft"],
    )
    parts.append(Part.of("trunk", trunk, coarse=True))
    return parts
