"""Following a diaphysis beyond the run read on it (alignment.detect.shaft): up and
down the film, tilted, to the edge of the film's content, to where the bone flares
or to where its cortices stop being a pair, on drawn shafts; and the AP knee film's
shaft points placed with it (alignment.detect.knee_film)."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect._image import Work
from alignment.detect.knee_film import _shaft_points
from alignment.detect.shaft import (
    DIAPHYSIS_FLARE,
    SHAFT_FLARE,
    TRACE_STEP_MM,
    ShaftAxis,
    diaphysis_end,
    trace_shaft_end,
)

WIDTH_MM = 30.0


def _shaft_film(
    spacing: float,
    *,
    tilt_deg: float = 0.0,
    flare_y: float | None = None,
    flare: float = 2.0,
) -> np.ndarray:
    """A 600 x 300 mm film at `spacing` mm per pixel: a bright shaft of
    :data:`WIDTH_MM` through (150, 300) mm, leaning `tilt_deg` from the vertical, cut
    by the film's top and bottom; below `flare_y` (mm) it is `flare` times as wide (a
    metaphysis). The soft tissue around it darkens a little up the film."""
    rows, cols = round(600 / spacing), round(300 / spacing)
    yy, xx = (np.mgrid[0:rows, 0:cols] + 0.5) * spacing
    lean = np.tan(np.radians(tilt_deg))
    across = np.abs(xx - 150.0 - lean * (yy - 300.0)) * np.cos(np.radians(tilt_deg))
    bone = across < WIDTH_MM / 2
    if flare_y is not None:
        bone |= (yy > flare_y) & (across < flare * WIDTH_MM / 2)
    soft_tissue = 0.3 + 0.05 * yy / yy.max()  # no column of a real film is flat
    return np.where(bone, 0.5, 0.0).astype(np.float32) + soft_tissue.astype(np.float32)


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


@pytest.mark.parametrize("flare", [1.3, 2.0])
def test_the_diaphysis_ends_where_the_bone_flares(flare):
    # 1.3 or 2 times the shaft's width below y 450 (a metaphysis): the diaphysis ends
    # there, DIAPHYSIS_FLARE times wider being past it (the hip's SHAFT_FLARE, 1.5,
    # would run on through a 1.3 times wider bone)
    assert DIAPHYSIS_FLARE < 1.3 < SHAFT_FLARE
    work = Work.of(_shaft_film(1.0, flare_y=450.0, flare=flare), (1.0, 1.0), coarse_mm=1.0)
    end = diaphysis_end(work, _axis(0.0, 250.0, 350.0), 1)
    assert 450.0 <= end <= 450.0 + 2 * TRACE_STEP_MM


def test_the_diaphysis_ends_where_its_cortices_stop_being_a_pair():
    # below y 450 the bone's right edge is gone (the film as bright as the bone beside
    # it): one cortex carries the trace of a single edge on to the film's edge, not
    # the diaphysis' end, which stops within a gap's length of where the pair was
    film = _shaft_film(1.0)
    film[450:, 150:] = 0.8
    work = Work.of(film, (1.0, 1.0), coarse_mm=1.0)
    axis = _axis(0.0, 250.0, 350.0)
    lone = trace_shaft_end(work.coarse, 1.0, axis.at_y(350.0), axis.direction, WIDTH_MM, sense=1)
    assert lone > 590.0
    assert 446.0 <= diaphysis_end(work, axis, 1) <= 450.0


def test_the_trace_stops_at_the_edge_of_the_film_s_content():
    # black padding above the film with a caption's faint grey over the shaft: flat,
    # its gradient's noise is nil and the grey's edges would pass for both cortices
    film = np.zeros((700, 300), np.float32)
    film[100:] = _shaft_film(1.0)
    film[:100, 135:165] = 0.004
    axis = _axis(0.0, 350.0, 450.0)
    end = trace_shaft_end(film, 1.0, np.array([150.0, 350.0]), axis.direction, WIDTH_MM)
    assert 100.0 <= end <= 100.0 + 3.0 + TRACE_STEP_MM


def test_the_diaphysis_end_is_never_inside_the_run():
    # no bone beyond the run: its ends stay where they were
    film = np.full((600, 300), 0.3, np.float32)
    film[250:350, 135:165] = 0.8
    work = Work.of(film, (1.0, 1.0), coarse_mm=1.0)
    axis = _axis(0.0, 260.0, 340.0)
    assert diaphysis_end(work, axis, -1) <= 260.0
    assert diaphysis_end(work, axis, 1) >= 340.0


def test_ap_knee_film_shaft_points_reach_as_far_as_the_film_shows():
    # a knee film (600 mm tall) whose femur runs from its top edge and tibia to its
    # bottom edge, the runs read on them in their middles: the point of each away from
    # the knee goes to the film's edge, the one by the knee near the run's end
    film = _shaft_film(1.0)
    film[240:280] = 0.3  # the knee: the joint, with the metaphyses left out
    work = Work.of(film, (1.0, 1.0), coarse_mm=1.0)
    out: dict = {"points": {}, "confidence": {}, "method": {}, "reasons": {}}
    _shaft_points(work, _axis(0.0, 100.0, 180.0), _axis(0.0, 350.0, 450.0), out)
    y = {name: float(p[1]) for name, p in out["points"].items()}
    assert y["femoral_shaft_proximal"] <= 3.0 + TRACE_STEP_MM
    assert y["femoral_shaft_distal"] == pytest.approx(180.0 - 0.05 * 80.0)
    assert y["tibial_shaft_proximal"] == pytest.approx(350.0 + 0.05 * 100.0)
    assert y["tibial_shaft_distal"] >= 600.0 - 3.0 - TRACE_STEP_MM
    assert not out["reasons"]
