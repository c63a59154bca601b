"""The overlay's layout, without drawing: sizes, full-resolution knee crops, margins.

Every layout is checked for the same promises (:func:`_check`): each label lies in a
margin, outside every panel, overlaps no other label and stays on the canvas, and each
leader line runs from the label's edge facing its panel to the point it names.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alignment import LandmarkSet, landmark_table, measure_landmarks
from alignment.report import OVERLAY_SIZES, OverlayLayout, overlay_layout, render_overlay
from alignment.vocabulary import Side
from tests.report.cohort import REPORT_LEG, film_shape, leg_points_px

Box = tuple[int, int, int, int]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _check(layout: OverlayLayout) -> None:
    panels = [p.box for p in layout.panels]
    assert layout.legend is not None
    for box in panels:
        assert box[0] >= 0 and box[1] >= 0
        assert box[0] + box[2] <= layout.legend[0] and box[1] + box[3] <= layout.height
    for a, b in zip(panels, panels[1:], strict=False):
        assert a[0] + a[2] <= b[0]
    boxes = [label.box for label in layout.labels]
    for i, label in enumerate(layout.labels):
        left, top, width, height = label.box
        assert left >= 0 and left + width <= layout.legend[0]
        assert top >= 0 and top + height <= layout.height
        assert not any(_overlap(label.box, panel) for panel in panels), label
        assert not any(_overlap(label.box, other) for other in boxes[i + 1 :]), label
        start, end = label.leader
        assert end == label.point
        panel = layout.panels[label.panel].box
        if left + width <= panel[0]:  # in the left margin: the leader leaves the right edge
            assert left + width <= start[0] < panel[0]
        else:
            assert left >= panel[0] + panel[2]
            assert panel[0] + panel[2] < start[0] <= left
        assert top <= start[1] <= top + height


def _legs(
    spacing_mm: float,
    *,
    sides: tuple[Side, ...] = ("right", "left"),
    flip: bool = False,
    image: str = "film.dcm",
) -> tuple[tuple[int, int], pd.DataFrame]:
    shape = film_shape(spacing_mm)
    sets = []
    for side in sides:
        hip_x = (0.28 if side == "right" else 0.72) * shape[1]
        points = leg_points_px(REPORT_LEG, side=side, hip_px=(hip_x, 100 / spacing_mm),
                               spacing_mm=spacing_mm)  # fmt: skip
        if flip:  # the film mirrored left to right
            points = {k: (shape[1] - x, y) for k, (x, y) in points.items()}
        sets.append(LandmarkSet(image, side, "AP", points, spacing_mm=(spacing_mm, spacing_mm)))
    return shape, landmark_table(sets)


@pytest.mark.parametrize("spacing_mm", [0.1, 0.143, 0.3, 0.8, 1.0])
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("sides", [("right", "left"), ("right",), ("left",)])
def test_long_leg_layout(spacing_mm, flip, sides):
    shape, landmarks = _legs(spacing_mm, sides=sides, flip=flip)
    layout = overlay_layout(shape, landmarks, measure_landmarks(landmarks))
    _check(layout)
    film, *crops = layout.panels
    assert layout.kind == "long_leg"
    assert film.box[3] == OVERLAY_SIZES["long_leg_height_px"] <= layout.height
    assert {c.name for c in crops} == {f"{side} knee" for side in sides}
    assert [c.source[0] for c in crops] == sorted(c.source[0] for c in crops)  # film's order
    for crop in crops:
        left, top, right, bottom = crop.source
        assert (right - left) * spacing_mm == pytest.approx(120.0, abs=spacing_mm)
        factor = crop.box[2] / (right - left)
        assert factor == int(factor) == crop.box[3] / (bottom - top)  # every film pixel kept
        assert factor == 1 or (right - left) * (factor - 1) < OVERLAY_SIZES["crop_min_px"]
        assert min(crop.box[2:]) >= OVERLAY_SIZES["crop_min_px"]
        assert crop.caption.startswith(f"{crop.name} x{int(factor)} (120 mm)")
    names = {label.lines[0] for label in layout.labels if label.kind == "landmark"}
    assert "femoral knee center" in names and "ankle center" in names
    knee_labels = [label for label in layout.labels if label.lines == ("tibial knee center",)]
    assert len(knee_labels) == len(sides)
    assert all(layout.panels[label.panel].name.endswith("knee") for label in knee_labels)
    hip_labels = [label for label in layout.labels if label.lines == ("femoral head center",)]
    assert all(label.panel == 0 for label in hip_labels)


def test_labels_point_at_their_landmarks():
    shape, landmarks = _legs(0.5, sides=("right",))
    layout = overlay_layout(shape, landmarks)
    points = dict(zip(landmarks["landmark"], zip(landmarks["x"], landmarks["y"], strict=True),
                      strict=True))  # fmt: skip
    for label in layout.labels:
        name = label.lines[0].replace(" ", "_")
        expected = layout.panels[label.panel].to_canvas(points[name])
        assert label.point == pytest.approx(expected)
        assert layout.panels[label.panel].shows(points[name])


def test_knee_films_are_1000_to_1200_px_tall():
    knee = LandmarkSet("knee.png", "left", "LAT", {
        "femoral_component_anterior": (700.0, 800.0),
        "femoral_component_posterior": (300.0, 820.0),
        "tibial_plateau_anterior": (690.0, 900.0), "tibial_plateau_posterior": (310.0, 905.0),
        "tibial_shaft_proximal": (500.0, 1100.0), "tibial_shaft_distal": (505.0, 1600.0),
    })  # fmt: skip
    landmarks = landmark_table([knee])
    for shape in [(2000, 1500), (300, 240), (1200, 1200)]:
        layout = overlay_layout(shape, landmarks, measure_landmarks(landmarks))
        _check(layout)
        assert layout.kind == "knee" and len(layout.panels) == 1
        assert 1000 <= layout.panels[0].box[3] <= 1200


def test_no_landmarks_says_so_and_why():
    layout = overlay_layout((9000, 3000), None, image="a.dcm", notes=["no view found"])
    _check(layout)
    assert layout.kind == "long_leg" and len(layout.panels) == 1 and layout.labels == ()
    assert layout.notes == ("no landmarks on this film", "no view found")


@pytest.mark.parametrize("far", [1e7, -1e7, 1e12])
def test_huge_coordinates_stay_in_the_margins(far):
    shape, landmarks = _legs(0.8)
    landmarks.loc[landmarks["landmark"] == "ankle_center", "x"] = far
    landmarks.loc[landmarks["landmark"] == "femoral_shaft_distal", "y"] = far
    layout = overlay_layout(shape, landmarks, measure_landmarks(landmarks))
    _check(layout)
    assert all(math.isfinite(v) for label in layout.labels for v in label.point)


def test_unknown_spacing_crops_a_tenth_and_says_so():
    shape, landmarks = _legs(0.8)
    landmarks = landmarks.assign(row_spacing_mm=np.nan, col_spacing_mm=np.nan)
    layout = overlay_layout(shape, landmarks)
    _check(layout)
    crop = layout.panels[1]
    assert crop.source[3] - crop.source[1] == round(0.1 * shape[0])
    assert crop.caption.endswith("(spacing unknown)")
    given = overlay_layout(shape, landmarks, spacing_mm=(0.8, 0.8)).panels[1]
    assert given.source[2] - given.source[0] == 150


def test_two_readers_are_named_in_their_labels():
    _, first = _legs(0.8, sides=("right",))
    landmarks = pd.concat([first.assign(reader="A"), first.assign(reader="B", x=first["x"] + 9)])
    layout = overlay_layout(film_shape(0.8), landmarks, measure_landmarks(landmarks))
    _check(layout)
    texts = {label.lines[0] for label in layout.labels}
    assert {"A: ankle center", "B: ankle center", "A", "B"} <= texts


def test_the_crop_shows_the_film_pixels_unchanged():
    """A crop at factor 1 holds the film's pixels one for one (windowed)."""
    shape, landmarks = _legs(0.1, sides=("right",))
    film = np.random.default_rng(1).integers(0, 4096, shape, dtype=np.uint16)
    layout = overlay_layout(shape, landmarks)
    crop = layout.panels[1]
    assert crop.box[2] == crop.source[2] - crop.source[0]  # factor 1
    rgb = render_overlay(film, landmarks, window=(2048, 4096))
    left, top, width, _ = crop.box
    row = crop.source[1] + 5
    shown = rgb[top + 5, left : left + width, 0].astype(int)
    values = film[row, crop.source[0] : crop.source[2]].astype(float)
    expected = np.clip(values * 255 / 4096 + 0.5, 0, 255)
    assert (np.abs(shown - expected.astype(int)) <= 1).mean() > 0.95  # but the drawn axes


def test_max_size_caps_the_film_not_the_crops():
    shape, landmarks = _legs(0.5)
    full = overlay_layout(shape, landmarks)
    small = overlay_layout(shape, landmarks, max_size=800)
    _check(small)
    assert small.panels[0].box[3] == 800
    assert [p.box for p in small.panels[1:]] != [] and all(
        p.box[2:] == q.box[2:] for p, q in zip(small.panels[1:], full.panels[1:], strict=True)
    )


def test_layout_errors_say_what_was_found():
    with pytest.raises(ValueError, match=r"shape must be two positive integers .* got \(0, 5\)"):
        overlay_layout((0, 5), None)
    with pytest.raises(ValueError, match=r"do not match the layout's film \(10, 10\)"):
        from alignment.report import draw_overlay

        draw_overlay(np.zeros((5, 5)), overlay_layout((10, 10), None))
