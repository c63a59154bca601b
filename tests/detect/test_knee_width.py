"""A knee read at full resolution is a knee only where the bone above its condyles is
as wide as a distal femur over the femoral shaft (alignment.detect.column.condyles_wide):
on crops whose femoral and tibial runs split above the joint, the fine reader found
"condyles" on the distal femoral shaft (the soft tissue's outline beside it)."""

from __future__ import annotations

import numpy as np
import pytest

from alignment.detect import core
from alignment.detect._image import Work
from alignment.detect.column import CONDYLES_ABOVE_MM, ColumnLeg, condyles_wide, equalised
from alignment.detect.knee import KneeFinding
from alignment.detect.shaft import ShaftAxis

from .test_column import KNEE_Y, _film

SHAFT_MM = 28.0
"""Width of the drawn femoral shaft (test_column._leg)."""


def _level(contacts_y: float) -> float:
    """Height (mm) at which the width is read over condylar contacts at `contacts_y`."""
    return contacts_y - CONDYLES_ABOVE_MM


@pytest.mark.parametrize("tilt", [0.0, 4.0])
def test_the_knee_is_wide_and_the_shaft_above_it_is_not(tilt):
    film = equalised(_film(seams=False, ruler=False, legs=((200.0, tilt),)), 1.0)
    shift = np.tan(np.radians(tilt)) * 102.0  # the shaft's axis 102 mm above the gap
    assert condyles_wide(film, 1.0, _level(KNEE_Y - 2.0), 200.0, SHAFT_MM)
    # the same reading 90 mm higher, on the shaft, is no knee
    assert not condyles_wide(film, 1.0, _level(KNEE_Y - 92.0), 200.0 - shift, SHAFT_MM)


def test_a_refused_level_keeps_its_reason_when_the_next_gives_no_condyles(monkeypatch):
    # the level between the shafts gives condyles too narrow (the shaft); the bone
    # column's knee, 100 mm lower, gives none: why the first was refused is kept
    contacts = {
        "distal_femur_a": np.array([80.0, 300.0]),
        "distal_femur_b": np.array([120.0, 300.0]),
    }
    found = iter([KneeFinding(points=contacts), KneeFinding(notes=["knee: no joint space found"])])
    monkeypatch.setattr(core, "find_knee", lambda *args, **kwargs: next(found))
    monkeypatch.setattr(core, "_joint_level", lambda *args: (100.0, 300.0))
    monkeypatch.setattr(core, "condyles_wide", lambda *args: False)
    work = Work.of(np.zeros((600, 200), np.float32), (1.0, 1.0), coarse_mm=1.0)
    axis = ShaftAxis(
        np.array([100.0, 200.0]), np.array([0.0, 1.0]), 0.5, 20, 20, SHAFT_MM, 1.0, 50.0, 280.0
    )
    column = ColumnLeg({"femoral_knee_center": np.array([100.0, 400.0])}, {})
    knee = core._fine_knee(work, core._FilmMaps(work), axis, axis, column)
    assert knee is not None and not knee.points
    assert knee.notes[-1] == "knee: no joint space found"
    assert any("narrower than" in note for note in knee.notes)
