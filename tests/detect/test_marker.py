"""The R/L marker reader on drawn films: plain letters of either polarity, letters
dimmer than the bone on the film, and letters whose brightness runs across them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from alignment.detect.marker import find_marker

SPACING_MM = 0.3


def _film(letter: str, *, ink: float, paper: float, bone: float | None = None) -> np.ndarray:
    """A 400 x 300 film of grey `paper` with `letter` (about 13 mm tall) in grey
    `ink` and, optionally, a bright bone column of grey `bone` in its middle."""
    rng = np.random.default_rng(3)
    film = np.full((400, 300), paper, np.float32)
    if bone is not None:
        film[:, 150:230] = bone
    _write(film, letter, (40, 120), ink)
    return film + rng.normal(0.0, 2.0, film.shape).astype(np.float32)


def _write(film: np.ndarray, letter: str, at: tuple[int, int], ink: float) -> None:
    """Draw `letter` into `film` in grey `ink`, anti-aliased."""
    alpha = np.zeros(film.shape, np.uint8)
    cv2.putText(alpha, letter, at, cv2.FONT_HERSHEY_DUPLEX, 1.6, 255, 5, cv2.LINE_AA)
    weight = alpha.astype(np.float32) / 255.0
    film[...] = film * (1.0 - weight) + ink * weight


@pytest.mark.parametrize("letter", ["R", "L"])
@pytest.mark.parametrize(("ink", "paper"), [(230.0, 30.0), (40.0, 220.0)])
def test_plain_letter_of_either_polarity(letter: str, ink: float, paper: float) -> None:
    # lead bright on a dark film, or a letter printed dark on a bright one
    found = find_marker(_film(letter, ink=ink, paper=paper), spacing_mm=SPACING_MM)
    assert found is not None
    assert found.letter == letter
    assert abs(found.centre[0] - 62) < 20 and abs(found.centre[1] - 105) < 20


@pytest.mark.parametrize("letter", ["R", "L"])
def test_letter_dimmer_than_bone(letter: str) -> None:
    # a grey letter beside a brighter bone: no film-wide bright level holds it
    film = _film(letter, ink=150.0, paper=20.0, bone=250.0)
    found = find_marker(film, spacing_mm=SPACING_MM)
    assert found is not None and found.letter == letter


def test_letter_whose_brightness_runs_across_it() -> None:
    film = _film("R", ink=200.0, paper=20.0)
    ramp = np.linspace(0.45, 1.0, film.shape[1], dtype=np.float32)[None, :]
    lit = np.where(film > 60, film * ramp, film)
    found = find_marker(lit, spacing_mm=SPACING_MM)
    assert found is not None and found.letter == "R"


def test_two_letters_that_disagree_give_none() -> None:
    film = _film("R", ink=230.0, paper=30.0)
    _write(film, "L", (200, 320), 230.0)
    assert find_marker(film, spacing_mm=SPACING_MM) is None


def test_bone_and_blobs_are_no_letter() -> None:
    film = np.full((400, 300), 30.0, np.float32)
    film[:, 150:230] = 200.0  # a bone column touching the edges
    yy, xx = np.mgrid[:400, :300]
    film[(yy - 100) ** 2 + (xx - 60) ** 2 <= 20**2] = 240.0  # a solid round blob
    film[299:302, 40:100] = 240.0  # a thin wire
    assert find_marker(film, spacing_mm=SPACING_MM) is None
