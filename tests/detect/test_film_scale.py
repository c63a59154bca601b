"""The scale a film shows (issue 12, point 7): a ruler's, else the femoral shafts',
else the film's size, read from the pixels alone; a long-leg film with a spacing of its
own is read at it, so that its landmarks do not move with the header's spacing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignment.detect import detect_landmarks
from alignment.detect.anatomy_scale import FEMUR_SHAFT_MM
from alignment.detect.core import _why_nothing
from alignment.detect.film_scale import film_scale, size_spacing

from .conftest import as_radiograph, ruler_film

READ_AT = "detection read the film at"

PHANTOM_FEMUR_MM = 29.0
"""Width of the phantom's femoral shafts on the film, mm (see test_anatomy_scale)."""


def test_a_ruler_gives_the_scale():
    scale = film_scale(ruler_film(0.763), "AP long-leg")
    assert scale.source == "ruler" and scale.measured and scale.ruler is not None
    assert scale.spacing_mm == pytest.approx(0.763, rel=0.02)
    assert scale.describe().startswith("a ruler (")


def test_the_femora_give_the_scale_without_a_ruler(ap_film):
    scale = film_scale(ap_film.bone_bright(), "AP long-leg")
    assert scale.source == "femur" and scale.measured
    expected = ap_film.spacing_mm[0] * FEMUR_SHAFT_MM / PHANTOM_FEMUR_MM
    assert scale.spacing_mm == pytest.approx(expected, rel=0.05)


def test_the_films_size_is_the_last_resort(ap_film):
    blank = np.zeros((1200, 400), np.float32)
    assert film_scale(blank, "AP long-leg").spacing_mm == 1.0
    assert not film_scale(blank, "AP long-leg").measured
    # the femora are read on a long-leg film only
    knee = film_scale(ap_film.bone_bright(), "AP knee")
    assert knee.source == "size"
    assert knee.spacing_mm == size_spacing(ap_film.bone_bright().shape, "AP knee")


@pytest.mark.parametrize("factor", [0.9, 0.95, 1.1])
def test_long_leg_landmarks_do_not_move_with_the_headers_spacing(ap_film, factor):
    # the same pixels with a header spacing some per cent off: the film is read at the
    # scale its femora show in both, so every landmark lands on the same pixel; only
    # the table's spacing (and so the lengths) follows the header
    base = as_radiograph(ap_film)
    row, col = base.spacing_mm
    other = dataclasses.replace(base, spacing_mm=(row * factor, col * factor))
    results = [detect_landmarks(r) for r in (base, other)]
    tables = [r.landmarks.set_index(["side", "landmark"]).sort_index() for r in results]
    assert len(tables[0]) >= 20
    assert tables[0].index.equals(tables[1].index)
    np.testing.assert_allclose(tables[0][["x", "y"]], tables[1][["x", "y"]], atol=1e-6)
    assert (tables[1]["row_spacing_mm"] == row * factor).all()
    assert results[0].legs == results[1].legs
    for result in results:
        note = next(n for n in result.notes if n.startswith(READ_AT))
        assert "femoral shafts" in note
        # it informs, it never says why nothing was found
        reason = "no femoral or tibial diaphysis found"
        assert _why_nothing([note, reason]) == reason


def test_a_scale_far_from_the_films_own_is_not_taken(ap_film):
    # a header spacing twice the femora's: one of the two is wrong, the film's own is
    # kept (and the note says nothing of another scale)
    base = as_radiograph(ap_film)
    row, col = base.spacing_mm
    far = dataclasses.replace(base, spacing_mm=(2 * row, 2 * col))
    assert not any(n.startswith(READ_AT) for n in detect_landmarks(far).notes)


def test_a_film_without_spacing_is_read_at_its_scale_once(ap_film):
    # no header spacing: the scale the film shows is its working spacing already,
    # and no second note says so
    bare = as_radiograph(ap_film, spacing_mm=None, spacing_source="none", magnification=None)
    result = detect_landmarks(bare, sphere=False)
    assert result.spacing_source == "assumed"
    assert not any(n.startswith(READ_AT) for n in result.notes)
