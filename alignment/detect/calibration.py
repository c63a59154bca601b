"""The calibration sphere: a bright, round, isolated blob whose size gives the
radiographic magnification.

A steel sphere of known diameter (25 mm by default) placed at the depth of the bone
projects to a disc ``magnification x 25 mm`` across on the detector. Candidates are
connected components of the brightest pixels of the coarse film (at a lower level
where none is found: a sphere can be dimmer than an implant) that are round
(circularity ``4 pi A / P^2 > 0.75``), solid and 8 to 20 mm in radius; the best is
refined by the radial-edge circle fit of :func:`~alignment.detect.hip.refine_head`.

Examples
--------
>>> import numpy as np
>>> from alignment.detect._image import Work
>>> yy, xx = np.mgrid[0:300, 0:300]
>>> image = np.where((xx - 150) ** 2 + (yy - 150) ** 2 < 66**2, 4000, 300).astype(np.uint16)
>>> sphere = find_sphere(Work.of(image, (0.2, 0.2), coarse_mm=1.0))
>>> round(sphere.radius_mm, 1)
13.2
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.measure import label, regionprops

from alignment.detect._image import Work
from alignment.detect.hip import refine_head

__all__ = ["SPHERE_DIAMETER_MM", "Sphere", "find_sphere"]

SPHERE_DIAMETER_MM = 25.0
"""Diameter of the calibration sphere assumed, mm."""


@dataclass(frozen=True)
class Sphere:
    """A calibration sphere's shadow: centre (mm on the film), radius (mm on the film)
    and a confidence in [0, 1]."""

    centre: NDArray[np.float64]
    radius_mm: float
    confidence: float


def find_sphere(
    work: Work, *, radius_range_mm: tuple[float, float] = (8.0, 20.0)
) -> Sphere | None:
    """Find the calibration sphere on the film, or None."""
    coarse = work.coarse
    top = max(0.85, float(np.percentile(coarse, 99.5)) * 0.9)
    best: Sphere | None = None
    # the sphere is the brightest object of a native film, but on a film with an
    # implant it may be dimmer than the implant: lower levels are tried if need be
    for level in (top, 0.75 * top, 0.6 * top):
        best = _best_at(work, coarse >= level, radius_range_mm)
        if best is not None:
            break
    return best


def _best_at(
    work: Work, mask: NDArray[np.bool_], radius_range_mm: tuple[float, float]
) -> Sphere | None:
    """The best sphere among the connected regions of `mask` (coarse pixels)."""
    coarse, mm = work.coarse, work.coarse_mm
    labels = label(mask)
    best: Sphere | None = None
    for region in regionprops(labels):
        radius = np.sqrt(region.area / np.pi) * mm
        if not radius_range_mm[0] <= radius <= radius_range_mm[1]:
            continue
        perimeter = region.perimeter * mm
        circularity = 4 * np.pi * region.area * mm * mm / max(perimeter**2, 1e-9)
        if circularity < 0.75 or region.solidity < 0.93:
            continue
        r, c = region.centroid
        ring = _ring_mean(coarse, r, c, radius / mm)
        inside = float(coarse[labels == region.label].mean())
        if inside - ring < 0.2:
            continue
        centre = np.array([(c + 0.5) * mm, (r + 0.5) * mm])
        fit = refine_head(work, centre, radius, rays=72)
        if fit is None or abs(fit.radius_mm - radius) > 0.3 * radius:
            continue
        conf = float(np.clip(fit.confidence() * min(1.0, circularity / 0.85), 0.0, 1.0))
        if best is None or conf > best.confidence:
            best = Sphere(fit.centre, fit.radius_mm, conf)
    return best


def _ring_mean(image: NDArray[np.float32], r: float, c: float, radius: float) -> float:
    angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    rows = np.clip(np.round(r + 1.6 * radius * np.sin(angles)).astype(int), 0, image.shape[0] - 1)
    cols = np.clip(np.round(c + 1.6 * radius * np.cos(angles)).astype(int), 0, image.shape[1] - 1)
    return float(np.median(image[rows, cols]))
