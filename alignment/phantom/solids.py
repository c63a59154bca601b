"""Analytic solids of uniform attenuation, the building blocks of a synthetic limb.

Four convex primitives have closed-form chord lengths along a ray, which makes
rendering a film a sum of vectorised line integrals:

- ``ellipsoid``: ``|diag(1/size) axes.T (x - centre)| <= 1``;
- ``cylinder``: elliptic cross-section with semi-axes ``size[0], size[1]`` along
  ``axes[:, 0], axes[:, 1]``, half-length ``size[2]`` along ``axes[:, 2]``;
- ``cone``: a truncated elliptic cone, a cylinder whose semi-axes are
  ``size[0:2] * (1 + taper * u)`` at ``u`` half-lengths from the centre along
  ``axes[:, 2]`` (``-1 <= u <= 1``, ``|taper| < 1``): the flare of a metaphysis;
- ``box``: half-extents ``size`` along the three columns of ``axes``.

Each may be cut by extra slabs (:class:`Clip`: ``lo <= normal . x <= hi``), which keeps
it convex, so a ray meets it in one interval. A :class:`Sweep` is a generalised
elliptic cylinder whose cross-section varies along its axis (soft tissue). A
:class:`Part` groups solids into pieces: a piece's line integral is the sum of its
solids' (a cortical shell is an outer solid plus an inner one of negative
attenuation), a part's is the largest of its pieces' (a union without double counting
where pieces overlap), and parts add up. A solid may also carry a ``texture``
weight: the renderer adds ``texture * chord`` to a second image that it modulates
with a trabecular pattern (cancellous bone).

All coordinates are in mm; attenuation coefficients ``mu`` in 1/mm, relative to soft
tissue for anything inside the body.

Examples
--------
>>> import numpy as np
>>> ball = Solid.ellipsoid([0, 0, 0], [12.5, 12.5, 12.5], mu=2.0)
>>> lo, hi = ball.bounds()
>>> hi.tolist()
[12.5, 12.5, 12.5]
>>> moved = ball.moved(np.eye(3), [10.0, 0.0, 0.0])
>>> moved.centre.tolist()
[10.0, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Clip", "Part", "Solid", "Sweep", "rotation", "transform_points"]

Kind = Literal["ellipsoid", "cylinder", "cone", "box"]
Array = NDArray[np.float64]


def rotation(axis: ArrayLike, angle_deg: float) -> Array:
    """Return the 3 x 3 matrix of a right-handed rotation by `angle_deg` about `axis`.

    Examples
    --------
    >>> rotation([0, 0, 1], 90.0).round(6) @ [1.0, 0.0, 0.0]
    array([0., 1., 0.])
    """
    u = np.asarray(axis, dtype=float)
    u = u / np.linalg.norm(u)
    a = np.deg2rad(angle_deg)
    k = np.array([[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]])
    return np.eye(3) + np.sin(a) * k + (1.0 - np.cos(a)) * (k @ k)


def transform_points(points: ArrayLike, matrix: ArrayLike, offset: ArrayLike) -> Array:
    """Return ``matrix @ p + offset`` for each point ``p`` (rows of `points`)."""
    p = np.asarray(points, dtype=float)
    return p @ np.asarray(matrix, dtype=float).T + np.asarray(offset, dtype=float)


@dataclass(frozen=True, eq=False)
class Clip:
    """The slab ``lo <= normal . x <= hi`` (mm); ``lo`` or ``hi`` may be infinite.

    Parameters
    ----------
    normal : array_like, shape (3,)
        Unit normal.
    lo, hi : float
        Bounds of ``normal . x``, mm.
    """

    normal: Array
    lo: float = -np.inf
    hi: float = np.inf

    def __post_init__(self) -> None:
        n = np.asarray(self.normal, dtype=float)
        object.__setattr__(self, "normal", n / np.linalg.norm(n))

    @classmethod
    def through(
        cls, point: ArrayLike, normal: ArrayLike, *, below: float = -np.inf, above: float = 0.0
    ) -> Clip:
        """Return the slab ``below <= normal . (x - point) <= above``."""
        n = np.asarray(normal, dtype=float)
        n = n / np.linalg.norm(n)
        base = float(n @ np.asarray(point, dtype=float))
        return cls(n, base + below, base + above)

    def moved(self, matrix: Array, offset: Array) -> Clip:
        """Return the slab after ``x -> matrix @ x + offset`` (matrix orthogonal)."""
        n = matrix @ self.normal
        shift = float(n @ offset)
        return Clip(n, self.lo + shift, self.hi + shift)


@dataclass(frozen=True, eq=False)
class Solid:
    """A convex primitive of uniform attenuation, optionally cut by slabs.

    Parameters
    ----------
    kind : {'ellipsoid', 'cylinder', 'cone', 'box'}
    centre : array_like, shape (3,)
        Centre, mm.
    axes : array_like, shape (3, 3)
        Orthonormal local axes as columns (a reflection is allowed).
    size : array_like, shape (3,)
        Semi-axes (ellipsoid), ``(r0, r1, half_length)`` (cylinder; cone, radii at
        the centre) or half-extents (box), mm.
    mu : float
        Linear attenuation coefficient added inside the solid, 1/mm.
    clips : tuple of Clip, optional
        Slabs the solid is cut by.
    texture : float, optional
        Weight of the solid in the cancellous-bone image (1/mm; 0 = none), which the
        renderer modulates with a trabecular pattern.
    taper : float, optional
        Cone only: relative change of the radii per half-length along
        ``axes[:, 2]``, in (-1, 1).

    Raises
    ------
    ValueError
        If a cone's `taper` is not in (-1, 1).
    """

    kind: Kind
    centre: Array
    axes: Array
    size: Array
    mu: float
    clips: tuple[Clip, ...] = ()
    texture: float = 0.0
    taper: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "centre", np.asarray(self.centre, dtype=float).reshape(3))
        set_(self, "axes", np.asarray(self.axes, dtype=float).reshape(3, 3))
        set_(self, "size", np.asarray(self.size, dtype=float).reshape(3))
        set_(self, "clips", tuple(self.clips))
        if not -1.0 < self.taper < 1.0:
            raise ValueError(f"taper must be in (-1, 1), got {self.taper!r}")

    @classmethod
    def ellipsoid(
        cls,
        centre: ArrayLike,
        size: ArrayLike,
        *,
        mu: float,
        axes: ArrayLike | None = None,
        clips: Sequence[Clip] = (),
        texture: float = 0.0,
    ) -> Solid:
        """Return an ellipsoid (axes default to the identity)."""
        axes_ = np.eye(3) if axes is None else axes
        return cls("ellipsoid", centre, axes_, size, mu, tuple(clips), texture)  # type: ignore[arg-type]

    @classmethod
    def between(
        cls,
        start: ArrayLike,
        end: ArrayLike,
        radii: tuple[float, float],
        *,
        mu: float,
        towards: ArrayLike = (0.0, 0.0, 1.0),
        kind: Kind = "cylinder",
        clips: Sequence[Clip] = (),
        texture: float = 0.0,
        end_radii: tuple[float, float] | None = None,
    ) -> Solid:
        """Return a cylinder (or box, or ellipsoid, or cone) spanning `start` to `end`.

        The first radius lies along the part of `towards` perpendicular to the axis,
        the second along the third direction. A cone has `radii` at `start` and
        ``end_radii`` at `end` (in the same ratio: only the first sets the taper).

        Examples
        --------
        >>> cone = Solid.between([0, 0, 0], [0, 100, 0], (10, 10), mu=1.0, kind="cone",
        ...                      end_radii=(20, 20))
        >>> cone.size.tolist(), round(cone.taper, 4)
        ([15.0, 15.0, 50.0], 0.3333)
        """
        a = np.asarray(start, dtype=float)
        b = np.asarray(end, dtype=float)
        e3 = b - a
        half = float(np.linalg.norm(e3)) / 2.0
        e3 = e3 / (2.0 * half)
        t = np.asarray(towards, dtype=float)
        e1 = t - (t @ e3) * e3
        e1 = e1 / np.linalg.norm(e1)
        e2 = np.cross(e3, e1)
        axes = np.column_stack([e1, e2, e3])
        size = np.array([radii[0], radii[1], half])
        taper = 0.0
        if kind == "cone" and end_radii is not None:
            middle = (radii[0] + end_radii[0]) / 2.0
            taper = (end_radii[0] - radii[0]) / (2.0 * middle)
            size[:2] *= middle / radii[0]
        return cls(kind, (a + b) / 2.0, axes, size, mu, tuple(clips), texture, taper)

    def moved(self, matrix: ArrayLike, offset: ArrayLike) -> Solid:
        """Return the solid after ``x -> matrix @ x + offset`` (matrix orthogonal)."""
        m = np.asarray(matrix, dtype=float)
        t = np.asarray(offset, dtype=float)
        return Solid(
            self.kind,
            m @ self.centre + t,
            m @ self.axes,
            self.size,
            self.mu,
            tuple(c.moved(m, t) for c in self.clips),
            self.texture,
            self.taper,
        )

    def clipped(self, *clips: Clip) -> Solid:
        """Return the solid cut by more slabs."""
        return replace(self, clips=self.clips + clips)

    def scaled(self, factor: float, *, mu: float, texture: float | None = None) -> Solid:
        """Return the solid with its size times `factor`, attenuation `mu` (and
        `texture`, unchanged by default)."""
        return replace(
            self,
            size=self.size * factor,
            mu=mu,
            texture=self.texture if texture is None else texture,
        )

    def bounds(self) -> tuple[Array, Array]:
        """Return the corners ``(lo, hi)`` of an axis-aligned box holding the solid."""
        size = self.size
        if self.kind == "cone":
            size = size * np.array([1.0 + abs(self.taper), 1.0 + abs(self.taper), 1.0])
        scaled = self.axes * size
        if self.kind == "ellipsoid":
            half = np.sqrt((scaled**2).sum(axis=1))
        else:
            half = np.abs(scaled).sum(axis=1)
        return self.centre - half, self.centre + half


@dataclass(frozen=True, eq=False)
class Sweep:
    """An elliptic cross-section swept along a straight axis, its size varying.

    At axial position ``s`` (mm from `origin` along `axis`, ``stations[0] <= s <=
    stations[-1]``) the cross-section is the ellipse centred at ``origin + s axis +
    offset1(s) e1 + offset2(s) e2`` with semi-axes ``radius1(s)`` along `e1` and
    ``radius2(s)`` along `e2`; each of the four is interpolated linearly between the
    stations. Chords are computed as if the section were constant along the ray, which
    is exact for rays across the axis and good for soft tissue.

    Parameters
    ----------
    origin, axis, e1 : array_like, shape (3,)
        A point on the axis, the axis direction, and the first section direction
        (made orthogonal to the axis); ``e2 = axis x e1``.
    stations, radius1, radius2, offset1, offset2 : array_like, shape (k,)
        Increasing axial positions and the section at each, mm.
    mu : float
        Attenuation inside, 1/mm.
    """

    origin: Array
    axis: Array
    e1: Array
    stations: Array
    radius1: Array
    radius2: Array
    offset1: Array
    offset2: Array
    mu: float
    e2: Array = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        axis = np.asarray(self.axis, dtype=float)
        axis = axis / np.linalg.norm(axis)
        e1 = np.asarray(self.e1, dtype=float)
        e1 = e1 - (e1 @ axis) * axis
        e1 = e1 / np.linalg.norm(e1)
        set_(self, "origin", np.asarray(self.origin, dtype=float).reshape(3))
        set_(self, "axis", axis)
        set_(self, "e1", e1)
        set_(self, "e2", np.cross(axis, e1))
        for name in ("stations", "radius1", "radius2", "offset1", "offset2"):
            set_(self, name, np.asarray(getattr(self, name), dtype=float).reshape(-1))

    def moved(self, matrix: ArrayLike, offset: ArrayLike) -> Sweep:
        """Return the sweep after ``x -> matrix @ x + offset`` (matrix orthogonal).

        A reflection keeps the section (`e2` is recomputed and the sign of
        `offset2` follows it).
        """
        m = np.asarray(matrix, dtype=float)
        t = np.asarray(offset, dtype=float)
        axis, e1 = m @ self.axis, m @ self.e1
        flip = float(np.cross(axis, e1) @ (m @ self.e2))
        return Sweep(
            m @ self.origin + t,
            axis,
            e1,
            self.stations,
            self.radius1,
            self.radius2,
            self.offset1,
            self.offset2 * np.sign(flip),
            self.mu,
        )

    def bounds(self) -> tuple[Array, Array]:
        """Return the corners ``(lo, hi)`` of an axis-aligned box holding the sweep."""
        centres = (
            self.origin
            + self.stations[:, None] * self.axis
            + self.offset1[:, None] * self.e1
            + self.offset2[:, None] * self.e2
        )
        half = self.radius1[:, None] * np.abs(self.e1) + self.radius2[:, None] * np.abs(self.e2)
        return (centres - half).min(axis=0), (centres + half).max(axis=0)


Shape = Solid | Sweep


@dataclass(frozen=True, eq=False)
class Part:
    """A named group of pieces: pieces are unions (largest line integral wins).

    Parameters
    ----------
    name : str
        What it is (``"femur"``, ``"soft tissue"``...), for logs and tests.
    pieces : tuple of tuple of Solid or Sweep
        The solids of one piece add up; the part is the largest of its pieces.
    coarse : bool, optional
        Render on a coarser grid and interpolate (smooth parts such as soft tissue).
    """

    name: str
    pieces: tuple[tuple[Shape, ...], ...]
    coarse: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "pieces", tuple(tuple(p) for p in self.pieces if len(p)))

    @classmethod
    def of(cls, name: str, *pieces: Sequence[Shape] | Shape, coarse: bool = False) -> Part:
        """Return a part from pieces, each a shape or a sequence of shapes."""
        norm = tuple((p,) if isinstance(p, Solid | Sweep) else tuple(p) for p in pieces)
        return cls(name, norm, coarse)

    def moved(self, matrix: ArrayLike, offset: ArrayLike) -> Part:
        """Return the part after ``x -> matrix @ x + offset``."""
        return Part(
            self.name,
            tuple(tuple(s.moved(matrix, offset) for s in piece) for piece in self.pieces),
            self.coarse,
        )

    def bounds(self) -> tuple[Array, Array]:
        """Return the corners ``(lo, hi)`` of an axis-aligned box holding the part."""
        boxes: list[Any] = [s.bounds() for piece in self.pieces for s in piece]
        lo = np.min([b[0] for b in boxes], axis=0)
        hi = np.max([b[1] for b in boxes], axis=0)
        return lo, hi
