"""alignment.geometry.line_angle_deg: the angle between two lines, whatever their
directions' senses and lengths."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.geometry import line_angle_deg


def _ray(deg: float, length: float = 1.0) -> np.ndarray:
    return length * np.array([np.cos(np.radians(deg)), np.sin(np.radians(deg))])


@pytest.mark.parametrize("first", [0.0, 17.0, 89.5, 135.0, 271.0])
@pytest.mark.parametrize("turn", [0.0, 1e-6, 5.0, 45.0, 90.0, 120.0, 179.0, 180.0])
def test_the_angle_between_lines_is_folded_into_0_to_90(first, turn):
    expected = min(turn % 180.0, 180.0 - turn % 180.0)
    for sense in (1.0, -1.0):  # either sense of the second line
        for length in (0.3, 250.0):
            got = float(line_angle_deg(_ray(first), sense * _ray(first + turn, length)))
            assert got == pytest.approx(expected, abs=1e-9)
            assert float(line_angle_deg(sense * _ray(first + turn, length), _ray(first))) == (
                pytest.approx(got, abs=1e-12)
            )


def test_rows_are_independent_and_a_zero_direction_gives_nan():
    a = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    b = np.array([[0.1, -1.0], [1.0, 1.0], [1.0, 0.0]])
    got = line_angle_deg(a, b)
    assert got[:2] == pytest.approx([np.degrees(np.arctan(0.1)), 45.0])
    assert np.isnan(got[2])
