"""Work done once per AP long-leg film (alignment.detect.core): the film's seams and its
equalised copy are shared by every leg's readers, and a femoral head found out of
level with the other leg's is looked for again without reading its leg again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from alignment.detect import column, core, detect_landmarks, femoral_head

from .conftest import as_radiograph

OUT_OF_LEVEL_MM = 2.0 * core.HEAD_LEVEL_MM


def _counting(calls: Counter[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return function(*args, **kwargs)

    return wrapper


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of the per-film and per-leg readers while a film is detected; the head of
    the leg on the film's left is found :data:`OUT_OF_LEVEL_MM` lower than it is (a
    diaphysis traced short of its end), until it is looked for level with the other's."""
    counts: Counter[str] = Counter()
    for module in (core, column):
        for name in ("film_seams", "equalised"):
            monkeypatch.setattr(module, name, _counting(counts, name, getattr(module, name)))
    for name in ("_refine", "read_column_leg", "_fine_knee"):
        monkeypatch.setattr(core, name, _counting(counts, name, getattr(core, name)))
    find_head = femoral_head.find_head

    def lowered(work, fa, medial_x, centres, *, level=None):
        counts["_find_head" if level is None else "_find_head(level)"] += 1
        head = find_head(work, fa, medial_x, centres, level=level)
        if (
            head is None
            or level is not None
            or fa.centre[0] > work.shape[1] * work.spacing_mm[1] / 2
        ):
            return head
        return (head[0] + np.array([0.0, OUT_OF_LEVEL_MM]), head[1], head[2])

    monkeypatch.setattr(core, "find_head", lowered)
    return counts


def test_each_per_film_quantity_is_computed_once(ap_film, calls):
    result = detect_landmarks(as_radiograph(ap_film))
    assert sorted(leg.side for leg in result.legs) == ["left", "right"]
    # the lowered head was looked for again, level with the other leg's, once
    assert calls["_find_head"] == 2
    assert calls["_find_head(level)"] == 1
    # the seams and the equalised film once for the film, not once per leg and reader
    assert calls["film_seams"] == 1
    assert calls["equalised"] == 1
    # the second search for the head did not read its leg again: two shafts and one
    # knee per leg
    assert calls["_refine"] == 4
    assert calls["_fine_knee"] == 2
