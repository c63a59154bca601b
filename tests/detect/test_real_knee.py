"""Knee films of the development set of real films (internal evaluation only; skipped
where the folder is absent): the side from the marker and the fibula, anterior from
the patella, and the lateral shafts past a metal bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alignment.detect import detect_landmarks
from alignment.detect._image import Work
from alignment.detect.knee_film import fibula_side, find_joint
from alignment.io import read_radiograph

from .test_real import eval_real


@pytest.fixture(scope="module")
def knees() -> Path:
    root: Path = eval_real.default_realfilms() / "knee"
    if not root.is_dir():
        pytest.skip(f"no real knee films at {root}")
    return root


def _reference(knees: Path, film: str) -> dict[str, np.ndarray]:
    table = pd.read_csv(knees.parent / "reference_landmarks.csv")
    return _points(table[table["image"] == f"knee/{film}"])


def _points(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each landmark's (x, y) in pixels."""
    xy = table[["x", "y"]].to_numpy(float)
    return dict(zip(table["landmark"].astype(str), xy, strict=True))


@pytest.mark.parametrize(
    ("film", "side"),
    [("journey_4223_ap.jpg", "right"), ("pfc_sigma_4233_ap.jpg", "left")],
)
def test_real_ap_knee_side(knees: Path, film: str, side: str) -> None:
    result = detect_landmarks(read_radiograph(knees / film))
    assert [leg.side for leg in result.legs] == [side]
    assert result.side_source == "marker"


@pytest.mark.parametrize("film", ["journey_4223_ap.jpg", "native_knee_ap_truhnlab.png"])
def test_real_fibula_of_a_right_knee_on_the_viewers_left(knees: Path, film: str) -> None:
    pixels = read_radiograph(knees / film).pixels
    assert pixels is not None
    work = Work.of(pixels, (0.35, 0.35), coarse_mm=1.0)  # about the films' own
    joint = find_joint(work)
    assert joint is not None
    fibula = fibula_side(work, joint)
    assert fibula is not None and fibula.direction == -1.0


def test_real_lateral_tka_past_a_metal_bar(knees: Path) -> None:
    # pfc_sigma_4234_lat: a metal bar at the top of the film, the patella in front of
    # the flange on the viewer's right, soft tissue brighter behind the knee
    film = "pfc_sigma_4234_lat.jpg"
    result = detect_landmarks(read_radiograph(knees / film), view="LAT")
    got = _points(result.landmarks)
    ref = _reference(knees, film)
    for name in ("tibial_plateau_anterior", "tibial_plateau_posterior"):
        assert np.linalg.norm(got[name] - ref[name]) < 12.0, name  # px, about 3 mm

    def angle(points: dict[str, np.ndarray]) -> float:
        d = points["femoral_shaft_distal"] - points["femoral_shaft_proximal"]
        return float(np.degrees(np.arctan2(d[1], d[0])))

    assert abs(angle(got) - angle(ref)) < 2.0
    assert "tibial_shaft_proximal" in got and "tibial_shaft_distal" in got
