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
    """An outer solid of cortical bone and an inner one turning it to `inner_mu`."""
    inner = Solid(
        solid.kind,
        solid.centre,
        solid.axes,
        np.maximum(solid.size - cortex_mm, 0.5),
        inner_mu - solid.mu,
        solid.clips,
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
    neck_end = head + 0.4 * (junction - head)
    pieces: list[list[Solid]] = [
        _bone(head, (23 * k,) * 3, cortex=1.5 * k),
        [
            Solid.between(
                junction + 0.15 * (junction - head),
                neck_end,
                (16 * k, 14 * k),
                mu=MU["cortex"] * 0.5,
                kind="ellipsoid",
            ),
        ],
        _bone(on_axis(tau + 10 * k, 14 * k), (17 * k, 30 * k, 21 * k), shaft_axes, cortex=1.5 * k),
        _bone(
            on_axis(tau - 48 * k, -15 * k, -6 * k),
            (8 * k, 13 * k, 8 * k),
            shaft_axes,
            cortex=1.5 * k,
        ),
        _bone(on_axis(tau - 22 * k, 2 * k), (21 * k, 55 * k, 19 * k), shaft_axes, cortex=2 * k),
        _shaft(on_axis(tau - 45 * k), on_axis(0.2 * lf), (14 * k, 13.5 * k), (8 * k, 7.5 * k)),
    ]
    # distal femur: metaphysis and condyles, cut by the distal resection post-op
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
    pieces.append(
        _bone(knee - 46 * k * ua, (35 * k, 47 * k, 31 * k), shaft_axes, cortex=2 * k, clips=cut)
    )
    for point in (medial, lateral):
        pieces.append(
            _bone(
                point - 26 * k * nf, (15 * k, 26 * k, 30 * k), cond_axes, cortex=1.5 * k, clips=cut
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
    lat = {
        "femoral_shaft_proximal": np.array([0.0, -0.22 * lf, 0.0]),
        "femoral_shaft_distal": np.array([0.0, -0.1 * lf, 0.0]),
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
    surface = Clip.through(plateau, n3, below=0.0, above=np.inf)
    pieces: list[list[Solid]] = [
        _bone(plateau + 12 * k * _D, (40 * k, 26 * k, 29 * k), cortex=1.5 * k, clips=(surface,)),
        _bone(plateau + 62 * k * _D, (28 * k, 55 * k, 25 * k), cortex=2 * k),
        _shaft(knee + 70 * k * _D, ankle - 60 * k * _D, (13 * k, 12 * k), (7 * k, 6 * k)),
        _bone(
            ankle - 32 * k * _D,
            (23 * k, 38 * k, 21 * k),
            cortex=2 * k,
            clips=(Clip(_D, -np.inf, lt - 2 * k),),
        ),
        _bone(ankle + np.array([-20 * k, 2 * k, 3 * k]), (7 * k, 16 * k, 11 * k), cortex=1.5 * k),
    ]
    parts: list[Part] = []
    if not p.implant:
        for sign in (-1.0, 1.0):
            pieces.append(
                _bone(
                    knee + sign * 6 * k * jt + 8 * k * nt,
                    (5 * k, 9 * k, 8 * k),
                    cortex=1.5 * k,
                    clips=(surface,),
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
            (-p.femur_length_mm / k - 10, 70, 80, 30, -20),
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
    for sign, hip in hips.items():
        out = np.array([sign, 0.0, 0.0])
        roof = Clip(down, -np.inf, hip[1] + 2 * k)
        sourcil = Solid.ellipsoid(hip, (29 * k,) * 3, mu=MU["cortex"], clips=(roof,))
        ilium_axes = rotation(towards, -sign * 28.0)
        ilium = Solid.ellipsoid(
            hip + np.array([sign * 22 * k, -88 * k, -12 * k]),
            (60 * k, 82 * k, 12 * k),
            mu=MU["cortex"],
            axes=ilium_axes,
        )
        symphysis = np.array([mid[0] - sign * 9 * k, hip[1] + 40 * k, hip[2] + 10 * k])
        ischium = hip + np.array([-sign * 14 * k, 88 * k, -12 * k])
        pubis_low = np.array([mid[0] - sign * 9 * k, hip[1] + 72 * k, hip[2] + 8 * k])

        def rod(a: Array, b: Array, r: float, mu: float) -> list[Solid]:
            return [Solid.between(a, b, (r, r * 0.9), mu=mu, towards=towards, kind="ellipsoid")]

        pieces = [
            _shell(sourcil, 3.0 * k, 0.0),
            _shell(ilium, 2.5 * k, MU["trabecular"]),
            rod(hip - 5 * k * out + 8 * k * down, symphysis, 10 * k, MU["cortex"] * 0.35),
            rod(hip + 10 * k * down, ischium + 6 * k * down, 17 * k, MU["cortex"] * 0.3),
            rod(ischium - 4 * k * out, pubis_low, 8 * k, MU["cortex"] * 0.35),
            rod(symphysis, pubis_low, 9 * k, MU["cortex"] * 0.4),
        ]
        parts.append(Part.of("pelvis", *pieces))
    sacrum = Solid.ellipsoid(
        mid + np.array([0.0, -78 * k, -55 * k]),
        (46 * k, 66 * k, 16 * k),
        mu=MU["trabecular"] * 1.2,
    )
    parts.append(Part.of("sacrum", sacrum))
    trunk = Sweep(
        mid + np.array([0.0, 0.0, -15 * k]),
        down,
        np.array([1.0, 0.0, 0.0]),
        np.array([-400, -160, -60, 0, 50, 85, 110]) * k,
        np.array([175, 185, 195, 200, 190, 120, 20]) * k,
        np.array([120, 112, 110, 106, 98, 70, 20]) * k,
        np.zeros(7),
        np.zeros(7),
        MU["soft"],
    )
    parts.append(Part.of("trunk", trunk, coarse=True))
    return parts
