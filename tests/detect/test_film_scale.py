"""The scale a film without a spacing is read at (issue 12, point 7): a ruler's, else
the femoral shafts', else the film's size, each read from the pixels alone."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.anatomy_scale import FEMUR_SHAFT_MM
from alignment.detect.film_scale import film_scale, size_spacing

from .conftest import ruler_film

PHANTOM_FEMUR_MM = 29.0
"""Width of the phantom's femoral shafts on the film, mm (see test_anatomy_scale)."""


def test_a_ruler_gives_the_scale():
    scale = film_scale(ruler_film(0.763), "AP long-leg")
    assert scale.source == "ruler" and scale.ruler is not None
    assert scale.spacing_mm == pytest.approx(0.763, rel=0.02)
    assert scale.describe().startswith("a ruler (5 mm ticks, vertical at 29")


def test_the_femora_give_the_scale_without_a_ruler(ap_film):
    scale = film_scale(ap_film.bone_bright(), "AP long-leg")
    assert scale.source == "femur" and scale.ruler is None
    assert scale.describe() == "the femoral shafts' width"
    expected = ap_film.spacing_mm[0] * FEMUR_SHAFT_MM / PHANTOM_FEMUR_MM
    assert scale.spacing_mm == pytest.approx(expected, rel=0.05)


def test_the_films_size_is_the_last_resort(ap_film):
    blank = np.zeros((1200, 400), np.float32)
    scale = film_scale(blank, "AP long-leg")
    assert (scale.spacing_mm, scale.source) == (1.0, "size")
    assert scale.describe() == "the film's size"
    # the femora are read on a long-leg film only
    pixels = ap_film.bone_bright()
    knee = film_scale(pixels, "AP knee")
    assert knee.source == "size"
    assert knee.spacing_mm == size_spacing(pixels.shape, "AP knee")
