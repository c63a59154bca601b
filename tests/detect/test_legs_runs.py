"""Diaphysis runs on drawn films (alignment.detect.legs): a femur whose medullary
canal reads almost as dark as the thigh's soft tissue is still one run."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.legs import pair_legs, shaft_candidates, shaft_segments

SOFT = 0.40  # soft tissue
CORTEX = 0.50  # cortical bone seen edge-on
SOLID_CANAL = 0.47  # a canal covered by the cortices in front and behind
DARK_CANAL = 0.42  # a faint film's canal: about 0.35 of the contrast above the soft tissue


def _bone(
    film: np.ndarray, y0: int, y1: int, x0: float, x1: float, width: float, canal: np.ndarray
) -> None:
    """Draw a diaphysis from row `y0` to `y1` (centre from `x0` to `x1`, 1 mm pixels):
    two 6 mm cortices at :data:`CORTEX`, the canal between them at `canal[row]`."""
    cols = np.arange(film.shape[1]) + 0.5
    for y in range(y0, y1):
        centre = x0 + (x1 - x0) * (y - y0) / (y1 - y0)
        inside = np.abs(cols - centre) <= width / 2
        film[y, inside] = CORTEX
        film[y, np.abs(cols - centre) <= width / 2 - 6.0] = canal[y]


def _leg(canal_of_femur: float) -> np.ndarray:
    """A leg on a 1 mm film: a femur leaning 6 deg whose canal is dark over its middle
    140 mm (rows 180-320), a straight tibia below it."""
    rng = np.random.default_rng(3)
    film = np.full((800, 200), 0.05, np.float32)
    film[:, 20:180] = SOFT
    canal = np.full(800, SOLID_CANAL)
    canal[180:320] = canal_of_femur
    _bone(film, 100, 400, 80.0, 110.0, 26.0, canal)
    _bone(film, 480, 760, 112.0, 114.0, 20.0, np.full(800, SOLID_CANAL))
    return film + rng.normal(0.0, 0.003, film.shape).astype(np.float32)


def test_a_femur_with_a_dark_canal_is_one_run_paired_with_its_tibia():
    film = _leg(DARK_CANAL)
    segments = shaft_segments(shaft_candidates(film, 1.0, air_level=0.09))
    legs = pair_legs(segments)
    assert len(legs) == 1 and legs[0].femur is not None and legs[0].tibia is not None
    femur = legs[0].femur
    assert femur.top <= 120.0 and femur.bottom >= 380.0
    assert abs(femur.x_at(250.0) - 95.0) <= 2.0


def test_pairs_with_soft_tissue_inside_do_not_bridge_a_run():
    # the femur's middle 140 mm drawn as two bones with soft tissue between them (as the
    # tibia's lateral cortex and the fibula): its two solid ends, 80 mm each, stay apart
    film = _leg(SOFT)
    segments = shaft_segments(shaft_candidates(film, 1.0, air_level=0.09))
    assert not any(s.top <= 150.0 and s.bottom >= 350.0 for s in segments)


def test_bands_read_half_a_band_down_lie_between_the_others():
    film = _leg(SOLID_CANAL)
    straight = shaft_candidates(film, 1.0, air_level=0.09)
    shifted = shaft_candidates(film, 1.0, air_level=0.09, phase=0.5)
    rows = [np.unique(c[:, 0]) for c in (straight, shifted)]
    band = float(np.min(np.diff(rows[0])))
    assert band == pytest.approx(np.min(np.diff(rows[1])))
    # every shifted band's centre is half a band below one of the others'
    offsets = (rows[1][:, None] - rows[0][None, :]) % band
    assert np.all(np.isclose(offsets, band / 2).any(axis=1))
