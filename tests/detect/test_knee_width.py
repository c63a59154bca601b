"""A knee read at full resolution is a knee only where the bone above its condyles is
as wide as a distal femur over the femoral shaft (alignment.detect.column.condyles_wide):
on crops whose femoral and tibial runs split above the joint, the fine reader found
"condyles" on the distal femoral shaft (the soft tissue's outline beside it)."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.column import condyles_wide, equalised

from .test_column import KNEE_Y, _film

SHAFT_MM = 28.0
"""Width of the drawn femoral shaft (test_column._leg)."""


def _contacts(y: float) -> tuple[np.ndarray, np.ndarray]:
    """Condylar contacts 44 mm apart around the drawn knee (x 200 mm) at `y`."""
    return np.array([178.0, y]), np.array([222.0, y])


@pytest.mark.parametrize("tilt", [0.0, 4.0])
def test_the_knee_is_wide_and_the_shaft_above_it_is_not(tilt):
    film = equalised(_film(seams=False, ruler=False, legs=((200.0, tilt),)), 1.0)
    shift = np.tan(np.radians(tilt)) * 102.0  # the shaft's axis 102 mm above the gap
    assert condyles_wide(film, 1.0, _contacts(KNEE_Y - 2.0), 200.0, SHAFT_MM)
    # the same reading 90 mm higher, on the shaft, is no knee
    assert not condyles_wide(film, 1.0, _contacts(KNEE_Y - 92.0), 200.0 - shift, SHAFT_MM)
