"""The assumed spacing of a long-leg film without one, from its femoral shafts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignment.detect import detect_landmarks
from alignment.detect.anatomy_scale import (
    femoral_shaft_widths_px,
    spacing_from_femur,
)
from alignment.detect.film_scale import size_spacing

from .conftest import as_radiograph


def _padded(pixels: np.ndarray, share: float) -> np.ndarray:
    """The film with black rows, `share` of its height, added above and below (an
    export padded to a fixed size: its size no longer tells its spacing)."""
    pad = np.zeros((int(share * pixels.shape[0]), pixels.shape[1]), pixels.dtype)
    return np.vstack([pad, pixels, pad])


@pytest.mark.parametrize("factor", [0.8, 0.9, 1.0])
def test_femoral_width_in_pixels_does_not_depend_on_the_spacing_read_at(ap_film, factor):
    # the phantom's femora are about 29 mm wide on its 0.5 mm pixels
    widths = femoral_shaft_widths_px(ap_film.bone_bright(), ap_film.spacing_mm[0] * factor)
    assert len(widths) == 2
    assert np.asarray(widths) * ap_film.spacing_mm[0] == pytest.approx(29.0, rel=0.05)


def test_no_spacing_from_a_film_without_femur():
    noise = np.random.default_rng(5).normal(1000, 50, (1200, 400)).astype(np.float32)
    assert spacing_from_femur(noise, prior_mm=1.0) is None


def test_padded_film_is_read_at_the_femurs_spacing(ap_film):
    # black rows a quarter of the film's height: the film-size spacing is 20 % small
    pixels = _padded(ap_film.bone_bright().astype(np.float32), 0.125)
    true_mm = ap_film.spacing_mm[0]
    assert size_spacing(pixels.shape, "AP long-leg") == pytest.approx(0.8 * true_mm)
    bare = as_radiograph(ap_film, pixels=pixels, rows=pixels.shape[0], spacing_mm=None)
    bare = dataclasses.replace(bare, spacing_source="none", magnification=None)
    result = detect_landmarks(bare, sphere=False)  # the phantom shows a sphere
    assert result.spacing_source == "assumed"
    assert result.spacing_used_mm is None
    assert np.isnan(result.landmarks["row_spacing_mm"]).all()
    note = next(n for n in result.notes if n.startswith("the film has no pixel spacing"))
    assert "from the femoral shafts' width" in note
    assumed = float(note.split("assumed ")[1].split(" mm")[0])
    # the femora read as FEMUR_SHAFT_MM wide: within 10 % of the true spacing (the
    # prior is 20 % off)
    assert assumed == pytest.approx(true_mm, rel=0.1)
