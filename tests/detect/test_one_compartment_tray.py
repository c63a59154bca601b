"""A tibial tray over one compartment (a UKA) told from a total knee's tray
(alignment.detect.knee.one_compartment_tray): whatever the film's rotation, mirror
and scale."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect.knee import one_compartment_tray

# condyles' lowest points 50 mm apart; trays' inferior ends 8 mm below them
CONTACTS = np.array([[0.0, 0.0], [50.0, 0.0]])
TRAYS = {
    "total knee": ([-15.0, 65.0], False),
    "total knee read short at one end": ([5.0, 45.0], False),
    "UKA under the condyle at +x": ([32.0, 68.0], True),
    "UKA under the condyle at -x": ([-18.0, 18.0], True),
}


def _pose(points: np.ndarray, degrees: float, mirror: bool, scale: float) -> np.ndarray:
    t = np.radians(degrees)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    out = scale * points @ rotation.T + np.array([300.0, 700.0])
    return out * np.array([-1.0, 1.0]) if mirror else out


@pytest.mark.parametrize("name", sorted(TRAYS))
@pytest.mark.parametrize("degrees", [-20.0, 0.0, 15.0])
@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("scale", [0.8, 1.2])
def test_one_compartment_tray(name: str, degrees: float, mirror: bool, scale: float) -> None:
    xs, expected = TRAYS[name]
    ends = np.array([[xs[0], 8.0], [xs[1], 8.0]])
    contacts = _pose(CONTACTS, degrees, mirror, scale)
    tray = _pose(ends, degrees, mirror, scale)
    assert one_compartment_tray((tray[0], tray[1]), (contacts[0], contacts[1])) is expected
