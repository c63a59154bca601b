"""A small synthetic cohort for the report tests: films, landmarks, results, groups.

Each AP film holds both legs in the radiological display (patient's right on the
viewer's left); each leg is drawn as bright bone (femoral head, femur, tibia) on a dark
background, and its landmarks are placed on it by the spec's geometry: every axis
direction is an angle ``theta`` from lateral toward distal, in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import pandas as pd

from alignment import LandmarkSet, landmark_table, measure_landmarks
from alignment.vocabulary import Side
from tests.legs import Leg, leg_points_mm

REPORT_LEG = Leg(theta_dT=92.0, theta_jF=1.5, theta_jT=0.0, theta_aF=99.5, theta_aT=92.5)
"""A leg whose every AP measure lies within the default preset's tolerance."""


def leg_points_px(
    leg: Leg, *, side: str, hip_px: tuple[float, float], spacing_mm: float
) -> dict[str, tuple[float, float]]:
    """AP landmarks of `leg` (:func:`tests.legs.leg_points_mm`) in pixels (square
    pixels of `spacing_mm`), radiological display."""
    lateral = np.array([-1.0, 0.0] if side == "right" else [1.0, 0.0])
    hip = np.asarray(hip_px, float) * spacing_mm
    mm = leg_points_mm(leg, lateral=lateral, distal=np.array([0.0, 1.0]), hip=hip)
    return {name: (float(p[0] / spacing_mm), float(p[1] / spacing_mm)) for name, p in mm.items()}


def film_shape(spacing_mm: float) -> tuple[int, int]:
    """(rows, columns) of a film that holds both legs at `spacing_mm`."""
    leg = REPORT_LEG  # the knee gap is leg_points_mm's 8 mm
    rows = math.ceil((leg.femur_mm + 8.0 + leg.tibia_mm + 160.0) / spacing_mm)
    return rows, math.ceil(rows / 3)


def draw_film(
    points: list[dict[str, tuple[float, float]]],
    shape: tuple[int, int],
    *,
    spacing_mm: float,
    seed: int = 0,
    dtype: type = np.uint16,
) -> np.ndarray:
    """A film with bright bone along each leg's axes: background ~300, bone ~3000."""
    rows, columns = shape
    film = np.full(shape, 300, dtype=np.uint16)
    width = max(2, round(24.0 / spacing_mm))
    for p in points:

        def at(name: str, p: dict[str, tuple[float, float]] = p) -> tuple[int, int]:
            x, y = p[name]
            return (round(x - 0.5), round(y - 0.5))

        cv2.circle(film, at("femoral_head_center"), round(24.0 / spacing_mm), 3000, -1)
        cv2.line(film, at("femoral_head_center"), at("femoral_knee_center"), 2800, width)
        cv2.line(film, at("tibial_knee_center"), at("ankle_center"), 2800, width)
    small = np.random.default_rng(seed).normal(0, 60, (max(1, rows // 8), max(1, columns // 8)))
    noise = cv2.resize(small.astype(np.float32), (columns, rows), interpolation=cv2.INTER_LINEAR)
    out = np.clip(film.astype(np.float32) + noise, 0, 4095)
    return out.astype(dtype)


@dataclass
class Cohort:
    landmarks: pd.DataFrame
    results: pd.DataFrame
    groups: pd.DataFrame
    films: dict[str, np.ndarray]
    errors: pd.DataFrame


def make_cohort(
    n_cases: int = 6, *, seed: int = 0, spacing_mm: float = 0.8, failed: int = 1
) -> Cohort:
    """`n_cases` AP films (two legs each) in groups PSI and CI, plus `failed` error rows.

    Case 0 has its right ankle missing (a missing measure); group CI varies more, so
    some of its HKA values are outliers.
    """
    rng = np.random.default_rng(seed)
    shape = film_shape(spacing_mm)
    sets: list[LandmarkSet] = []
    films: dict[str, np.ndarray] = {}
    groups = []
    for i in range(n_cases):
        image = f"films/case{i:02d}.dcm"
        group = "PSI" if i % 2 == 0 else "CI"
        spread = 0.6 if group == "PSI" else 2.5
        legs = []
        sides: tuple[tuple[Side, float], ...] = (("right", 0.28), ("left", 0.72))
        for side, hip_x in sides:
            leg = replace(
                REPORT_LEG,
                theta_dF=93.0 + rng.normal(0, spread),
                theta_jF=1.5 + rng.normal(0, spread),
                theta_dT=92.0 + rng.normal(0, 0.7),
                theta_jT=rng.normal(0, 0.7),
            )
            hip = (hip_x * shape[1], 100.0 / spacing_mm)
            points = leg_points_px(leg, side=side, hip_px=hip, spacing_mm=spacing_mm)
            legs.append(points)
            if i == 0 and side == "right":
                points = {k: v for k, v in points.items() if k != "ankle_center"}
            sets.append(
                LandmarkSet(
                    image,
                    side,
                    "AP",
                    points,
                    case=f"case{i:02d}",
                    spacing_mm=(spacing_mm, spacing_mm),
                )  # fmt: skip
            )
        films[image] = draw_film(legs, shape, spacing_mm=spacing_mm, seed=i)
        groups.append((f"case{i:02d}", group))
    landmarks = landmark_table(sets)
    errors = pd.DataFrame(
        {
            "image": [f"films/broken{i}.dcm" for i in range(failed)],
            "stage": ["read"] * failed,
            "error": ["truncated file: expected 2048 bytes of pixel data, found 17"] * failed,
        }
    )
    return Cohort(
        landmarks=landmarks,
        results=measure_landmarks(landmarks),
        groups=pd.DataFrame(groups, columns=["case", "group"]),
        films=films,
        errors=errors,
    )
