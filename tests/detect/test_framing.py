"""A film turned askew or padded: :mod:`alignment.detect.framing` and detection on it."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from alignment.detect import detect_landmarks
from alignment.detect.framing import (
    content_window,
    film_skew,
    frame_film,
    turn_image,
    turning,
)
from alignment.io import ImageGeometry, Radiograph
from alignment.measures import measure_landmarks

from .conftest import as_radiograph


def _film_with_ruler() -> np.ndarray:
    """A tall film: a field with soft tissue, a leaning 'femur' (a bright bar leaning 7
    degrees, along a third of the height) and a vertical ruler along the whole
    height."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:900, 0:300]
    film = 60 + 40 * np.exp(-(((xx - 150) / 90.0) ** 2)) + rng.normal(0, 2, (900, 300))
    lean = np.tan(np.radians(7.0))
    film[(np.abs(xx - 150 - lean * (yy - 300)) < 12) & (yy > 150) & (yy < 450)] = 200
    film[:, 250:262] = 170
    film[::20, 250:262] = 230  # ticks
    return np.clip(film, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("degrees", [-8.0, -3.0, -0.8, 0.8, 1.5, 3.0, 8.0])
@pytest.mark.parametrize("fill", [0, None])
def test_the_skew_of_a_turned_film_is_found_from_its_straight_edges(degrees, fill):
    # black corners (fill 0) or corners of the film's own darkest grey: the ruler and
    # the field's edges lean with the film, the leaning bone tells nothing
    turned, _ = turn_image(_film_with_ruler(), degrees, fill=fill)
    skew = film_skew(turned)
    assert skew is not None and skew.degrees == pytest.approx(degrees, abs=0.3)
    assert skew.evidence.startswith("straight edges along")


def test_an_upright_film_and_a_leaning_bone_alone_give_no_skew():
    film = _film_with_ruler()
    assert film_skew(film) is None
    assert film_skew(turn_image(film, 0.4)[0]) is None  # under SKEW_MIN_DEG
    no_ruler = film.copy()
    no_ruler[:, 250:262] = no_ruler[:, 240:252]
    assert film_skew(no_ruler) is None  # the bone leans 7 degrees along a third
    assert film_skew(np.zeros((300, 200), np.uint8)) is None


def test_turning_maps_points_as_the_pixels_move():
    film = np.zeros((120, 80), np.float32)
    film[30, 50] = 1.0  # the pixel whose centre is (50.5, 30.5)
    for degrees in (-30.0, 7.0, 90.0):
        turned, matrix = turn_image(film, degrees, fill=0.0)
        y, x = np.unravel_index(np.argmax(turned), turned.shape)
        at = matrix[:, :2] @ [50.5, 30.5] + matrix[:, 2]
        assert np.hypot(x + 0.5 - at[0], y + 0.5 - at[1]) <= 1.0
        assert turned.shape == turning(film.shape, degrees)[1]


def test_framing_gives_points_back_on_the_film_as_it_is():
    film = _film_with_ruler()
    turned, matrix = turn_image(film, 4.0, fill=0)
    framing = frame_film(turned)
    assert len(framing.notes) == 1 and "+4.0 degrees" in framing.notes[0]
    assert "canvas and cut to its rows" in framing.notes[0]
    # the window is upright and holds no corner: its darkest rows and columns are film
    assert framing.pixels.shape[1] < turned.shape[1]
    assert np.percentile(framing.pixels[:, :3], 5) > 20
    point = np.array([[100.5, 400.5]])  # on the film
    on_turned = point @ matrix[:, :2].T + matrix[:, 2]
    window = framing.matrix @ [*on_turned[0], 1.0]
    assert framing.to_film(window[None, :2]) == pytest.approx(on_turned)
    # and a film that stands upright is read whole, its padding included
    padded = np.pad(film, 20)
    assert frame_film(padded).notes == () and frame_film(padded, turn=False).notes == ()


@pytest.mark.parametrize("corners", [0, 255])
def test_a_scan_turned_on_a_black_or_white_bed_is_cut_to_the_film(corners):
    film = _film_with_ruler()
    turned, _ = turn_image(film, -3.0, fill=corners)
    framing = frame_film(turned)
    # no corner left in the window: nothing as dark or as bright as the bed
    window = framing.pixels
    assert np.mean(window == corners) < 0.001
    assert window.shape[0] > 0.95 * film.shape[0] and window.shape[1] > 0.9 * film.shape[1]


def test_a_turned_film_whose_content_is_a_sliver_is_read_uncut_and_never_raises():
    film = np.zeros((3000, 1500), np.uint8)
    film[:, 745:753] = 200  # a straight bright strip, the rest flat
    turned, _ = turn_image(film, 3.0)
    framing = frame_film(turned)
    assert len(framing.notes) == 1 and "and cut" not in framing.notes[0]
    assert framing.pixels.shape[0] > turned.shape[0]  # the whole upright canvas
    result = detect_landmarks(_radiograph(turned))
    assert re.match(r"the film is turned \+(2\.9|3\.0|3\.1) degrees", result.notes[0])


def _radiograph(pixels):
    fields = (None, "none", None, None, None, "", "MONOCHROME2", None, 0, 1, 8, None)
    return Radiograph(
        "strip.png", "PNG", *pixels.shape, pixels, *fields, ImageGeometry.planar(), {}
    )


def test_the_content_window_leaves_out_flat_borders_only():
    rng = np.random.default_rng(5)
    film = rng.uniform(80, 200, (400, 300)).astype(np.uint8)
    assert content_window(film) == (0, 400, 0, 300)
    assert content_window(np.pad(film, ((3, 5), (7, 1)))) == (3, 403, 7, 307)
    assert content_window(np.full((50, 40), 9, np.uint8)) is None


@pytest.mark.parametrize("degrees", [-4.0, 4.0])
def test_a_film_turned_askew_is_read_upright_and_its_landmarks_given_on_it(ap_film, degrees):
    upright = as_radiograph(ap_film)
    turned_pixels, matrix = turn_image(upright.pixels, degrees)
    turned = dataclasses.replace(
        upright, pixels=turned_pixels, rows=turned_pixels.shape[0], columns=turned_pixels.shape[1]
    )
    before, after = detect_landmarks(upright), detect_landmarks(turned)
    turned_by = re.match(r"the film is turned ([-+]\d\.\d) degrees", after.notes[0])
    assert turned_by and float(turned_by[1]) == pytest.approx(degrees, abs=0.15)
    assert len(after.landmarks) == len(before.landmarks)
    # each landmark where the turn puts the upright film's, within 2 mm
    spacing = upright.spacing_mm[0]
    ahead = before.landmarks.set_index(["side", "landmark"])[["x", "y"]]
    for row in after.landmarks.itertuples():
        x, y = ahead.loc[(row.side, row.landmark)]
        expected = matrix[:, :2] @ [x, y] + matrix[:, 2]
        assert np.hypot(row.x - expected[0], row.y - expected[1]) * spacing <= 2.0, row
    # the angles do not turn with the film
    angles = [
        measure_landmarks(result.landmarks).set_index(["side", "measure"])["value"]
        for result in (before, after)
    ]
    hka = [a.xs("hka", level="measure").to_dict() for a in angles]
    assert hka[0].keys() == {"left", "right"}
    assert hka[1] == pytest.approx(hka[0], abs=0.5)
