"""Following a diaphysis beyond the run read on it (alignment.detect.shaft): up and
down the film, tilted, to the film's edge or to where the bone flares, on drawn
shafts."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect._image import Work
from alignment.detect.shaft import (
    DIAPHYSIS_FLARE,
    TRACE_STEP_MM,
    ShaftAxis,
    diaphysis_end,
    trace_shaft_end,
)

WIDTH_MM = 30.0


def _shaft_film(
    spacing: float, *, tilt_deg: float = 0.0, flare_y: float | None = None
) -> np.ndarray:
    """A 600 x 300 mm film at `spacing` mm per pixel: a bright shaft of
    :data:`WIDTH_MM` through (150, 300) mm, leaning `tilt_deg` from the vertical, cut
    by the film's top and bottom; below `flare_y` (mm) it is twice as wide (a
    metaphysis)."""
    rows, cols = round(600 / spacing), round(300 / spacing)
    yy, xx = (np.mgrid[0:rows, 0:cols] + 0.5) * spacing
    lean = np.tan(np.radians(tilt_deg))
    across = np.abs(xx - 150.0 - lean * (yy - 300.0)) * np.cos(np.radians(tilt_deg))
    bone = across < WIDTH_MM / 2
    if flare_y is not None:
        bone |= (yy > flare_y) & (across < WIDTH_MM)
    return np.where(bone, 0.8, 0.3).astype(np.float32)


def _axis(tilt_deg: float, top: float, bottom: float) -> ShaftAxis:
    """The drawn shaft's axis, as a run read from `top` to `bottom` (mm) gives it."""
    t = np.radians(tilt_deg)
    direction = np.array([np.sin(t), np.cos(t)])
    return ShaftAxis(np.array([150.0, 300.0]), direction, 0.3, 15, 15, WIDTH_MM, 8.0, top, bottom)


@pytest.mark.parametrize("tilt_deg", [-8.0, 0.0, 5.0])
@pytest.mark.parametrize("paired", [False, True])
def test_tracing_down_is_tracing_up_turned_over(tilt_deg, paired):
    # a shaft flaring at y 450 traced up on the film turned upside down ends where
    # tracing it down on the film itself does
    film = _shaft_film(1.0, tilt_deg=tilt_deg, flare_y=450.0)
    axis = _axis(tilt_deg, 250.0, 350.0)
    start = axis.at_y(350.0)
    down = trace_shaft_end(film, 1.0, start, axis.direction, WIDTH_MM, sense=1, paired=paired)
    flipped = film[::-1]
    up = trace_shaft_end(
        flipped,
        1.0,
        np.array([start[0], 600.0 - start[1]]),
        axis.direction * [-1.0, 1.0],
        WIDTH_MM,
        sense=-1,
        paired=paired,
    )
    assert down == pytest.approx(600.0 - up)
    assert 450.0 <= down <= 450.0 + 2 * TRACE_STEP_MM


@pytest.mark.parametrize("sense", [0, 2, -2, "up"])
def test_a_sense_other_than_up_or_down_is_refused(sense):
    film = _shaft_film(1.0)
    with pytest.raises(ValueError, match="sense"):
        trace_shaft_end(
            film, 1.0, np.array([150.0, 300.0]), np.array([0.0, 1.0]), 30.0, sense=sense
        )


@pytest.mark.parametrize("spacing", [0.5, 1.0])
@pytest.mark.parametrize("tilt_deg", [0.0, 6.0])
def test_a_shaft_cut_by_the_film_is_followed_to_its_edges(spacing, tilt_deg):
    # a knee film shows the diaphyses up to its edges: the run read on them (here
    # 250-350 mm) is not where they end
    work = Work.of(_shaft_film(spacing, tilt_deg=tilt_deg), (spacing, spacing), coarse_mm=1.0)
    axis = _axis(tilt_deg, 250.0, 350.0)
    assert diaphysis_end(work, axis, -1) < 3.0 + TRACE_STEP_MM
    assert diaphysis_end(work, axis, 1) > 600.0 - 3.0 - TRACE_STEP_MM


def test_the_diaphysis_ends_where_the_bone_flares():
    # twice the shaft's width below y 450 (a metaphysis): the diaphysis ends there,
    # DIAPHYSIS_FLARE times wider being past it
    assert DIAPHYSIS_FLARE < 2.0
    work = Work.of(_shaft_film(1.0, flare_y=450.0), (1.0, 1.0), coarse_mm=1.0)
    end = diaphysis_end(work, _axis(0.0, 250.0, 350.0), 1)
    assert 450.0 <= end <= 450.0 + 2 * TRACE_STEP_MM


def test_the_diaphysis_end_is_never_inside_the_run():
    # no bone beyond the run: its ends stay where they were
    film = np.full((600, 300), 0.3, np.float32)
    film[250:350, 135:165] = 0.8
    work = Work.of(film, (1.0, 1.0), coarse_mm=1.0)
    axis = _axis(0.0, 260.0, 340.0)
    assert diaphysis_end(work, axis, -1) <= 260.0
    assert diaphysis_end(work, axis, 1) >= 340.0
