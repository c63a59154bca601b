"""The joint line of an AP knee at long-leg resolution: the condyles' lowest points
(alignment.detect.knee.find_knee).

Drawn knees at 0.75 mm per pixel, a knee about 100 px wide as on a long-leg film: two
condyles whose lowest parts are flat over 20 mm (the reader takes the middle of each
flat part), an intercondylar notch 8 mm deep, the joint gap and the plateau below.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from alignment.detect._image import Work
from alignment.detect.knee import find_knee

SPACING_MM = 0.75
CENTRE_MM = (75.0, 75.0)  # (x, y) of the condylar tangent's middle
FLAT_MM = (15.0, 35.0)  # each condyle's flat lowest part, mm either side of the notch


def _knee_film(*, fragment_mm: float | None = None, seed: int = 0) -> np.ndarray:
    """A drawn AP knee (bone bright): femur above its distal outline, a 6 mm joint
    gap, tibia below. `fragment_mm`: a 2 mm wide bright fragment in the notch whose
    lower edge stands that far below the condyles' tangent (a spine's top, a grid
    line's piece)."""
    n = int(150 / SPACING_MM)
    x = (np.arange(n) + 0.5) * SPACING_MM - CENTRE_MM[0]
    y = (np.arange(n) + 0.5) * SPACING_MM - CENTRE_MM[1]
    ax = np.abs(x)
    notch = 8.0 * np.clip(1.0 - (ax / FLAT_MM[0]) ** 2, 0.0, None)
    side = np.clip(ax - FLAT_MM[1], 0.0, None) ** 2 / 4.0
    outline = -notch - side  # mm, down the film; 0 on the flat parts
    femur = (y[:, None] <= outline[None, :]) & (ax[None, :] <= 42.0)
    tibia = (y[:, None] >= 6.0) & (ax[None, :] <= 38.0)
    image = 0.25 + 0.45 * (femur | tibia)
    if fragment_mm is not None:
        image[(y[:, None] >= -6.0) & (y[:, None] <= fragment_mm) & (ax[None, :] <= 1.0)] = 0.7
    image = ndimage.gaussian_filter(image, 1.0)
    rng = np.random.default_rng(seed)
    return (image + rng.normal(0.0, 0.01, image.shape)).astype(np.float32)


def _contacts(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    work = Work.of(image, (SPACING_MM, SPACING_MM), coarse_mm=4.0)
    knee = find_knee(work, None, None, CENTRE_MM[1] + 3.0, CENTRE_MM[0])
    assert "distal_femur_a" in knee.points, knee.notes
    return knee.points["distal_femur_a"], knee.points["distal_femur_b"]


@pytest.mark.parametrize("seed", [0, 1])
def test_flat_condyles_are_touched_at_the_middle_of_their_flat_parts(seed):
    a, b = _contacts(_knee_film(seed=seed))
    middle = 0.5 * sum(FLAT_MM)  # 25 mm either side of the notch
    assert abs(a[0] - (CENTRE_MM[0] - middle)) < 2.0
    assert abs(b[0] - (CENTRE_MM[0] + middle)) < 2.0
    # on the outline, and one tangent: the joint line is level
    assert abs(a[1] - CENTRE_MM[1]) < 0.6 and abs(b[1] - CENTRE_MM[1]) < 0.6
    assert abs(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))) < 0.5


def test_a_short_edge_in_the_notch_does_not_carry_the_tangent():
    a, b = _contacts(_knee_film(fragment_mm=3.0))
    assert abs(a[0] - (CENTRE_MM[0] - 25.0)) < 2.0
    assert abs(b[0] - (CENTRE_MM[0] + 25.0)) < 2.0
    assert abs(a[1] - CENTRE_MM[1]) < 0.6 and abs(b[1] - CENTRE_MM[1]) < 0.6
