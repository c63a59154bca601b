"""Garbage in: a result that says what was not found, never an exception or a guess."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from alignment.detect import detect_landmarks
from alignment.io import read_radiograph

from .conftest import as_radiograph


def _blank(ap_film, pixels):
    return dataclasses.replace(as_radiograph(ap_film), pixels=pixels, view=None)


def test_blank_image(ap_film):
    result = detect_landmarks(_blank(ap_film, np.zeros((2400, 800), np.uint16)))
    assert len(result.landmarks) == 0 and result.review
    assert "blank" in result.notes[0]
    assert result.missing and result.missing[0].landmark == "*"


def test_noise_image(ap_film):
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 4096, (2400, 800)).astype(np.uint16)
    result = detect_landmarks(_blank(ap_film, noise))
    assert len(result.landmarks) == 0
    assert result.missing


def test_tiny_image(ap_film):
    result = detect_landmarks(_blank(ap_film, np.ones((10, 10), np.uint16)))
    assert len(result.landmarks) == 0 and "expected a 2-D film" in result.notes[0]


def _pydicom_data(name: str) -> Path:
    """A file of pydicom-data (a test dependency: its absence fails, never skips)."""
    spec = importlib.util.find_spec("data_store")  # pydicom-data, walked on disk
    assert spec is not None and spec.origin is not None, "pydicom-data is not installed"
    path = Path(spec.origin).parent / "data" / name
    assert path.is_file(), f"pydicom-data has no {name}"
    return path


@pytest.mark.parametrize(
    "name",
    [
        "RG1_UNCR.dcm",  # a real chest CR film
        "RG3_UNCR.dcm",  # a real lower-leg film: one tibia, no hip, no knee
    ],
)
def test_real_films_without_a_knee(name):
    result = detect_landmarks(read_radiograph(_pydicom_data(name)))
    assert len(result.landmarks) == 0, result.landmarks
    assert result.missing and all(m.reason for m in result.missing)


def test_film_cut_off_above_the_ankle(ap_film):
    radiograph = as_radiograph(ap_film)
    rows = int(0.72 * radiograph.rows)  # below the knees, above the ankles
    cut = dataclasses.replace(radiograph, pixels=radiograph.pixels[:rows].copy(), rows=rows)
    result = detect_landmarks(cut)
    missing = {(m.side, m.landmark) for m in result.missing}
    assert ("right", "ankle_center") in missing and ("left", "ankle_center") in missing
    assert all(leg.review for leg in result.legs)
    truth_rows = [ap_film.landmarks[s]["ankle_center"][1] for s in ("left", "right")]
    assert min(truth_rows) > rows
    assert (result.landmarks["y"] <= rows).all()
