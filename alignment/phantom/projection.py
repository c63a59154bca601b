"""Cone-beam projection: points onto the detector, and line integrals of solids.

World frame (mm): ``X`` along the detector rows (image ``x``, to the right), ``Y``
along the columns (image ``y``, down), ``Z`` from the detector toward the source. The
detector is the plane ``Z = 0`` with its top-left corner at the origin; the source is
at ``(source_x, source_y, sid)``. A point ``P`` projects to the detector point where
the ray from the source through ``P`` meets ``Z = 0``; its image coordinates follow
the measurement spec: ``x = X / col_spacing``, ``y = Y / row_spacing``, so the centre of
the pixel at row ``r``, column ``c`` is ``(c + 0.5, r + 0.5)``.

Line integrals are computed per solid over the detector pixels of its projected
bounding box, in float32, with the ray parametrised by depth from the solid's centre
so that the quadratics stay well conditioned.

Examples
--------
>>> grid = DetectorGrid(shape=(100, 100), spacing_mm=(1.0, 1.0), source=(50.0, 50.0, 1000.0))
>>> grid.project([[50.0, 50.0, 500.0], [60.0, 50.0, 500.0]]).tolist()  # magnified x2
[[50.0, 50.0], [70.0, 50.0]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alignment.phantom.solids import Part, Solid, Sweep

__all__ = ["DetectorGrid", "render_parts"]

F32 = NDArray[np.float32]
_TINY = np.float32(1e-20)


@dataclass(frozen=True)
class DetectorGrid:
    """Pixel grid of a flat detector and the position of the focal spot.

    Parameters
    ----------
    shape : (int, int)
        ``(rows, columns)``.
    spacing_mm : (float, float)
        ``(row_mm, col_mm)`` at the detector.
    source : (float, float, float)
        ``(X, Y, Z)`` of the focal spot, mm; ``Z`` is the source-to-image distance.
    """

    shape: tuple[int, int]
    spacing_mm: tuple[float, float]
    source: tuple[float, float, float]

    def project(self, points: ArrayLike) -> NDArray[np.float64]:
        """Return image coordinates ``(x, y)`` in pixels of 3D points, shape (n, 2)."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        sx, sy, sid = self.source
        t = sid / (sid - p[:, 2])
        x = (sx + t * (p[:, 0] - sx)) / self.spacing_mm[1]
        y = (sy + t * (p[:, 1] - sy)) / self.spacing_mm[0]
        return np.column_stack([x, y])

    def coarsened(self, factor: int) -> DetectorGrid:
        """Return the grid of ``factor x factor`` blocks (edge blocks may overhang)."""
        rows, cols = self.shape
        return DetectorGrid(
            (math.ceil(rows / factor), math.ceil(cols / factor)),
            (self.spacing_mm[0] * factor, self.spacing_mm[1] * factor),
            self.source,
        )

    def pixel_window(
        self, lo: NDArray[np.float64], hi: NDArray[np.float64]
    ) -> tuple[slice, slice]:
        """Return ``(rows, cols)`` slices of the pixels whose rays may cross a box."""
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        xy = self.project(corners)
        c0 = max(0, math.ceil(xy[:, 0].min() - 0.5))
        c1 = min(self.shape[1], math.floor(xy[:, 0].max() - 0.5) + 1)
        r0 = max(0, math.ceil(xy[:, 1].min() - 0.5))
        r1 = min(self.shape[0], math.floor(xy[:, 1].max() - 0.5) + 1)
        return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


class _Rays:
    """Rays through the pixel centres of a window, as separable row/column terms."""

    def __init__(self, grid: DetectorGrid, rows: slice, cols: slice) -> None:
        sx, sy, sid = grid.source
        self.sid = sid
        self.x = ((np.arange(cols.start, cols.stop) + 0.5) * grid.spacing_mm[1]).astype(float)
        self.y = ((np.arange(rows.start, rows.stop) + 0.5) * grid.spacing_mm[0]).astype(float)
        self.sx, self.sy = sx, sy
        # direction per unit of depth: v = ((X - sx) / sid, (Y - sy) / sid, -1)
        self.vx = (self.x - sx) / sid
        self.vy = (self.y - sy) / sid
        norm2 = self.vy[:, None] ** 2 + self.vx[None, :] ** 2 + 1.0
        self.length = np.sqrt(norm2).astype(np.float32)

    def at_depth(self, z: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """X (per column) and Y (per row) where the rays cross the plane ``Z = z``."""
        t = (self.sid - z) / self.sid
        return self.sx + t * (self.x - self.sx), self.sy + t * (self.y - self.sy)

    def linear(self, n: NDArray[np.float64], centre: NDArray[np.float64]) -> tuple[F32, F32]:
        """``n . (P0 - centre)`` and ``n . v`` as 2D float32, P0 at the centre's depth."""
        px, py = self.at_depth(float(centre[2]))
        g0 = (n[1] * (py - centre[1]))[:, None] + (n[0] * (px - centre[0]))[None, :]
        g1 = (n[1] * self.vy)[:, None] + (n[0] * self.vx - n[2])[None, :]
        return g0.astype(np.float32), g1.astype(np.float32)


def _slab(
    g0: F32, g1: F32, lo: float, hi: float, t_lo: F32 | None, t_hi: F32 | None
) -> tuple[F32, F32]:
    """Intersect the running interval with ``lo <= g0 + t g1 <= hi``."""
    safe = np.where(g1 == 0, _TINY, g1)
    inv = np.reciprocal(safe)
    a = (np.float32(lo) - g0) * inv if math.isfinite(lo) else None
    b = (np.float32(hi) - g0) * inv if math.isfinite(hi) else None
    if a is not None and b is not None:
        near, far = np.minimum(a, b), np.maximum(a, b)
    else:
        one = a if a is not None else b
        if one is None:
            return t_lo, t_hi  # type: ignore[return-value]
        # a one-sided slab: lo <= g (a given) or g <= hi (b given)
        lower_bound = (safe > 0) if a is not None else (safe < 0)
        big = np.float32(3e38)
        near = np.where(lower_bound, one, -big)
        far = np.where(lower_bound, big, one)
    t_lo = near if t_lo is None else np.maximum(t_lo, near)
    t_hi = far if t_hi is None else np.minimum(t_hi, far)
    return t_lo, t_hi


def _solid_chords(solid: Solid, rays: _Rays) -> F32:
    """Chord lengths (mm) of the rays through `solid`, shape of the window."""
    m = (solid.axes / solid.size).T  # local unit coordinates: u = m (x - centre)
    c = solid.centre
    u0: list[F32] = []
    u1: list[F32] = []
    for k in range(3):
        g0, g1 = rays.linear(m[k], c)
        u0.append(g0)
        u1.append(g1)
    quad = {"ellipsoid": (0, 1, 2), "cylinder": (0, 1), "cone": ()}.get(solid.kind, ())
    slabs = [k for k in range(3) if k not in quad and not (solid.kind == "cone" and k < 2)]
    t_lo: F32 | None = None
    t_hi: F32 | None = None
    if quad:
        a = sum(u1[k] * u1[k] for k in quad)
        b = sum(u0[k] * u1[k] for k in quad)
        cc = sum(u0[k] * u0[k] for k in quad) - np.float32(1.0)
        disc: F32 = np.asarray(b * b - a * cc, dtype=np.float32)
        if not slabs and not solid.clips:
            root = np.sqrt(np.maximum(disc, np.float32(0)))
            return (np.float32(2.0) * root / a * rays.length).astype(np.float32)
        inside = disc > 0
        root = np.sqrt(np.where(inside, disc, 0))
        t_lo = np.where(inside, (-b - root) / a, np.float32(1.0))
        t_hi = np.where(inside, (-b + root) / a, np.float32(-1.0))
    for k in slabs:
        t_lo, t_hi = _slab(u0[k], u1[k], -1.0, 1.0, t_lo, t_hi)
    for clip in solid.clips:
        base = float(clip.normal @ c)
        g0, g1 = rays.linear(clip.normal, c)
        t_lo, t_hi = _slab(g0, g1, clip.lo - base, clip.hi - base, t_lo, t_hi)
    if t_lo is None or t_hi is None:  # pragma: no cover - a solid always bounds the ray
        raise ValueError("a solid without a quadric or slab")
    if solid.kind == "cone":
        return (_cone_interval(solid.taper, u0, u1, t_lo, t_hi) * rays.length).astype(np.float32)
    return (np.maximum(t_hi - t_lo, 0) * rays.length).astype(np.float32)


def _cone_interval(taper: float, u0: list[F32], u1: list[F32], t_lo: F32, t_hi: F32) -> F32:
    """Length in ray parameter of ``[t_lo, t_hi]`` inside ``u0^2 + u1^2 <= (1 + taper
    u2)^2``, the slab ``|u2| <= 1`` being already in ``[t_lo, t_hi]``.

    Within the slab the cone is one convex nappe (its apex lies beyond the slab), so
    the answer is one interval. The quadratic ``a t^2 + 2 b t + c <= 0`` has the
    nappe between its roots when ``a > 0`` (a ray across the axis), outside them when
    ``a < 0`` (a ray steeper than the cone's flank).
    """
    tau = np.float32(taper)
    w0 = np.float32(1.0) + tau * u0[2]
    w1 = tau * u1[2]
    a = u1[0] * u1[0] + u1[1] * u1[1] - w1 * w1
    b = u0[0] * u1[0] + u0[1] * u1[1] - w0 * w1
    cc = u0[0] * u0[0] + u0[1] * u0[1] - w0 * w0
    a = np.where(np.abs(a) < _TINY, _TINY, a)
    disc = b * b - a * cc
    real = disc > 0
    root = np.sqrt(np.where(real, disc, 0))
    r1 = (-b - root) / a
    r2 = (-b + root) / a
    big = np.float32(3e38)
    across = a > 0
    # a > 0: inside between the roots (none if disc <= 0)
    lo = np.where(across, np.maximum(t_lo, np.minimum(r1, r2)), t_lo)
    hi = np.where(across, np.minimum(t_hi, np.maximum(r1, r2)), t_hi)
    inside = np.where(across & ~real, np.float32(0), np.maximum(hi - lo, 0))
    # a < 0: inside outside the roots (everywhere if disc <= 0); one side is empty
    near = np.where(real, np.minimum(r1, r2), big)
    far = np.where(real, np.maximum(r1, r2), big)
    steep = np.maximum(np.minimum(t_hi, near) - t_lo, 0) + np.maximum(
        t_hi - np.maximum(t_lo, far), 0
    )
    return np.asarray(np.where(across, inside, steep), dtype=np.float32)


def _sweep_chords(sweep: Sweep, rays: _Rays) -> F32:
    """Chord lengths (mm) of the rays through `sweep`, shape of the window."""
    s, _ = rays.linear(sweep.axis, sweep.origin)
    w1, d1 = rays.linear(sweep.e1, sweep.origin)
    w2, d2 = rays.linear(sweep.e2, sweep.origin)
    flat = s.ravel()
    st = sweep.stations

    def at(values: NDArray[np.float64]) -> F32:
        return np.interp(flat, st, values).astype(np.float32).reshape(s.shape)

    r1, r2 = at(sweep.radius1), at(sweep.radius2)
    x1 = (w1 - at(sweep.offset1)) / r1
    x2 = (w2 - at(sweep.offset2)) / r2
    y1, y2 = d1 / r1, d2 / r2
    a = y1 * y1 + y2 * y2
    b = x1 * y1 + x2 * y2
    disc = b * b - a * (x1 * x1 + x2 * x2 - np.float32(1.0))
    inside = (disc > 0) & (s >= st[0]) & (s <= st[-1])
    root = np.sqrt(np.where(inside, disc, 0))
    return (np.float32(2.0) * root / a * rays.length).astype(np.float32)


def _accumulate(out: F32, part: Part, grid: DetectorGrid, texture: F32 | None) -> None:
    lo, hi = part.bounds()
    rows, cols = grid.pixel_window(lo, hi)
    if rows.stop <= rows.start or cols.stop <= cols.start:
        return
    shape2 = (rows.stop - rows.start, cols.stop - cols.start)
    total: F32 | None = None
    textured: F32 | None = None
    for piece in part.pieces:
        value = np.zeros(shape2, np.float32)
        spongy = np.zeros(shape2, np.float32) if texture is not None else None
        for shape in piece:
            s_lo, s_hi = shape.bounds()
            r, c = grid.pixel_window(s_lo, s_hi)
            r = slice(max(r.start, rows.start), min(r.stop, rows.stop))
            c = slice(max(c.start, cols.start), min(c.stop, cols.stop))
            if r.stop <= r.start or c.stop <= c.start:
                continue
            rays = _Rays(grid, r, c)
            chords = (
                _solid_chords(shape, rays)
                if isinstance(shape, Solid)
                else _sweep_chords(shape, rays)
            )
            sub = (
                slice(r.start - rows.start, r.stop - rows.start),
                slice(c.start - cols.start, c.stop - cols.start),
            )
            value[sub] += np.float32(shape.mu) * chords
            if spongy is not None and isinstance(shape, Solid) and shape.texture:
                spongy[sub] += np.float32(shape.texture) * chords
        total = value if total is None else np.maximum(total, value, out=total)
        if spongy is not None:
            textured = spongy if textured is None else np.maximum(textured, spongy, out=textured)
    if total is not None:
        out[rows, cols] += total
    if texture is not None and textured is not None:
        texture[rows, cols] += textured


def render_parts(parts: Iterable[Part], grid: DetectorGrid, *, texture: F32 | None = None) -> F32:
    """Return the line integral of attenuation through `parts` at every pixel.

    Parameters
    ----------
    parts : iterable of Part
        Solids in world coordinates (see the module docstring).
    grid : DetectorGrid
        Detector and source.
    texture : numpy.ndarray of float32, shape ``grid.shape``, optional
        If given, the line integral of the solids' ``texture`` weights (cancellous
        bone) is added to it, combined over pieces and parts as the attenuation is.

    Returns
    -------
    numpy.ndarray of float32, shape ``grid.shape``
        ``sum over parts of max over pieces of sum over solids of mu * chord``,
        dimensionless (mu in 1/mm times chord in mm).

    Examples
    --------
    >>> grid = DetectorGrid((64, 64), (1.0, 1.0), (32.0, 32.0, 1000.0))
    >>> ball = Part.of("ball", Solid.ellipsoid([32.0, 32.0, 0.0], [10.0, 10.0, 10.0], mu=0.1))
    >>> image = render_parts([ball], grid)
    >>> round(float(image.max()), 2)  # 0.1/mm through 20 mm at the centre
    2.0
    """
    out = np.zeros(grid.shape, np.float32)
    for part in parts:
        _accumulate(out, part, grid, texture)
    return out
