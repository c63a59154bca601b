"""Legs with known angles, built by hand from the spec's geometry, for the engine's tests.

A leg is described in its own anatomical frame by the direction of each axis,
``theta``, measured from lateral toward distal in degrees (0 = lateral, 90 = distal),
the spec's ``dir``. The expected measures are then written out by hand from the
spec's formulas, independently of the engine's code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignment.landmarks import LandmarkSet


@dataclass(frozen=True)
class Leg:
    """Axis directions (degrees, from lateral toward distal) and lengths (mm)."""

    theta_dF: float = 93.0
    theta_dT: float = 90.5
    theta_jF: float = 1.0
    theta_jT: float = -0.5
    theta_aF: float = 99.0
    theta_aT: float = 90.2
    femur_mm: float = 450.0
    tibia_mm: float = 380.0

    def expected(self) -> dict[str, float]:
        """Every AP measure, derived by hand from the spec for this leg."""
        mldfa = 180.0 - self.theta_dF + self.theta_jF
        mpta = 180.0 + self.theta_jT - self.theta_dT
        ahka = mpta - mldfa
        return {
            "hka": 180.0 + self.theta_dF - self.theta_dT,
            "fta": 180.0 - (self.theta_aF - self.theta_aT),
            "mldfa": mldfa,
            "mpta": mpta,
            "aldfa": 180.0 - self.theta_aF + self.theta_jF,
            "jlca": self.theta_jT - self.theta_jF,
            "ama": abs(self.theta_aF - self.theta_dF),
            "ffc": 180.0 - mldfa,
            "ftc": mpta,
            "ffc_anatomical": self.theta_aF - self.theta_jF,
            "ftc_anatomical": 180.0 + self.theta_jT - self.theta_aT,
            "ahka": ahka,
            "jlo": mpta + mldfa,
            "femur_length_mm": self.femur_mm,
            "tibia_length_mm": self.tibia_mm,
        }


def direction(theta_deg: float, lateral: np.ndarray, distal: np.ndarray) -> np.ndarray:
    t = math.radians(theta_deg)
    return math.cos(t) * lateral + math.sin(t) * distal


def leg_points_mm(
    leg: Leg, *, lateral: np.ndarray, distal: np.ndarray, hip: np.ndarray
) -> dict[str, np.ndarray]:
    """The AP landmarks of `leg` in mm, for a frame given by two image unit vectors."""

    def along(theta: float) -> np.ndarray:
        return direction(theta, lateral, distal)

    fk = hip + leg.femur_mm * along(leg.theta_dF)
    tk = fk + 8.0 * distal
    return {
        "femoral_head_center": hip,
        "femoral_shaft_proximal": hip + 110.0 * along(leg.theta_dF) + 15.0 * lateral,
        "femoral_shaft_distal": hip
        + 110.0 * along(leg.theta_dF)
        + 15.0 * lateral
        + 220.0 * along(leg.theta_aF),
        "femoral_knee_center": fk,
        "distal_femur_medial": fk - 32.0 * along(leg.theta_jF) + 4.0 * distal,
        "distal_femur_lateral": fk + 30.0 * along(leg.theta_jF) + 4.0 * distal,
        "tibial_knee_center": tk,
        "tibial_plateau_medial": tk - 34.0 * along(leg.theta_jT) + 2.0 * distal,
        "tibial_plateau_lateral": tk + 33.0 * along(leg.theta_jT) + 2.0 * distal,
        "tibial_shaft_proximal": tk + 80.0 * distal,
        "tibial_shaft_distal": tk + 80.0 * distal + 200.0 * along(leg.theta_aT),
        "ankle_center": tk + leg.tibia_mm * along(leg.theta_dT),
    }


def rotation(angle_deg: float) -> np.ndarray:
    a = math.radians(angle_deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


def ap_leg(
    leg: Leg = Leg(),
    *,
    side: str = "right",
    image: str = "film.dcm",
    spacing_mm: tuple[float, float] = (0.15, 0.15),
    rotate_deg: float = 0.0,
    flip: bool = False,
    offset_px: tuple[float, float] = (0.0, 0.0),
    drop: tuple[str, ...] = (),
) -> LandmarkSet:
    """A landmark set of `leg` as it appears on a film.

    Radiological display (patient's right on the viewer's left): a right leg's lateral
    is -x, a left leg's +x. The film may then be rotated about the hip, flipped
    horizontally, and shifted; pixels may be anisotropic.
    """
    lateral = np.array([-1.0, 0.0] if side == "right" else [1.0, 0.0])
    distal = np.array([0.0, 1.0])
    hip = np.array([300.0, 100.0])
    points = leg_points_mm(leg, lateral=lateral, distal=distal, hip=hip)
    turn = rotation(rotate_deg)
    row_mm, col_mm = spacing_mm
    out = {}
    for name, p in points.items():
        if name in drop:
            continue
        q = hip + turn @ (p - hip)
        if flip:
            q = np.array([2000.0 - q[0], q[1]])
        out[name] = (q[0] / col_mm + offset_px[0], q[1] / row_mm + offset_px[1])
    return LandmarkSet(image, side, "AP", out, spacing_mm=spacing_mm)  # type: ignore[arg-type]
