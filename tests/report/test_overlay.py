"""Overlays: sizes, windowing, the spec's coordinates, colours, flags, PNG metadata."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from alignment import LandmarkSet, landmark_table, measure_landmarks
from alignment.report import COLOURS, encode_png, overlay_layout, render_overlay, write_overlay
from tests.report.cohort import REPORT_LEG, Cohort, draw_film, film_shape, leg_points_px

SPACING = 0.8


def _distance(rgb: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    return np.sqrt(((rgb.astype(np.int32) - np.array(colour)) ** 2).sum(axis=-1))


def _leg(drop: tuple[str, ...] = (), *, image: str = "a.dcm", case: str = "") -> pd.DataFrame:
    shape = film_shape(SPACING)
    points = leg_points_px(
        REPORT_LEG, side="right", hip_px=(0.3 * shape[1], 125), spacing_mm=SPACING
    )
    points = {k: v for k, v in points.items() if k not in drop}
    leg = LandmarkSet(image, "right", "AP", points, case=case, spacing_mm=(SPACING, SPACING))
    return landmark_table([leg])


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append(kind)
        at += 12 + length
    return chunks


@pytest.mark.parametrize(
    ("shape", "max_size", "expected"),
    [
        ((9000, 3000), 1024, (1024, 341)),
        ((3000, 9000), 1024, (341, 1024)),
        ((400, 300), 1024, (1024, 768)),  # a knee film, enlarged, capped by max_size
        ((1000, 1000), 256, (256, 256)),
        ((2048, 600), 512, (512, 150)),
    ],
)
def test_overlay_size_without_legend(shape, max_size, expected):
    rgb = render_overlay(np.zeros(shape, np.uint16), None, max_size=max_size, legend=False)
    assert rgb.shape == (*expected, 3)
    assert rgb.dtype == np.uint8
    assert rgb.flags.c_contiguous


def test_legend_is_a_panel_on_the_right(cohort: Cohort):
    image = "films/case01.dcm"
    film = cohort.films[image]
    bare = render_overlay(film, cohort.landmarks, cohort.results, image=image, legend=False)
    full = render_overlay(film, cohort.landmarks, cohort.results, image=image)
    layout = overlay_layout(film.shape, cohort.landmarks, cohort.results, image=image)
    assert full.shape == (layout.height, layout.width, 3)
    assert bare.shape[:2] == layout.panels[0].box[3:1:-1]  # the film's panel alone
    assert layout.legend is not None
    left = layout.legend[0]
    assert left >= max(p.box[0] + p.box[2] for p in layout.panels)
    assert (full[:, left:] == COLOURS["panel"]).all(axis=-1).mean() > 0.7


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.uint16, np.int16, np.int32, np.uint32, np.float32, np.float64]
)
def test_any_dtype_is_windowed_to_the_full_range(dtype):
    ramp = np.linspace(0, 200, 300 * 100).reshape(300, 100)
    rgb = render_overlay(ramp.astype(dtype), None, legend=False)
    grey = rgb[..., 0]
    assert (rgb[..., 0] == rgb[..., 2]).all()  # grey
    assert grey[:3].max() < 5 and grey[-3:].min() > 250
    assert (np.diff(grey.astype(int)[:, 50]) >= 0).all()  # bone bright stays bright


def test_bool_and_constant_and_nan_pixels():
    eye = np.eye(50, dtype=bool)
    assert render_overlay(eye, None, max_size=50, legend=False).shape == (50, 50, 3)
    assert render_overlay(np.full((20, 30), 7.0), None, legend=False).max() == 0
    pixels = np.ones((20, 30))
    pixels[0, 0] = np.nan
    assert render_overlay(pixels, None, max_size=30, legend=False)[0, 0, 0] == 0


@pytest.mark.parametrize(("level", "expected"), [(0, 0), (100, 128), (200, 255), (400, 255)])
def test_window_center_width(level, expected):
    rgb = render_overlay(
        np.full((10, 10), level, np.uint16), None, window=(100, 200), legend=False
    )
    assert (rgb == expected).all()


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_landmarks_follow_the_spec_coordinates(scale):
    """A vertical axis through pixel centres x = 40.5 lands on column 40 at every scale."""
    leg = LandmarkSet("a.png", "left", "AP", {
        "femoral_head_center": (40.5 * scale, 10.0 * scale),
        "femoral_knee_center": (40.5 * scale, 190.0 * scale),
    })  # fmt: skip
    pixels = np.zeros((200 * scale, 100 * scale))
    rgb = render_overlay(pixels, landmark_table([leg]), max_size=200, legend=False)
    row = rgb[100]
    assert tuple(row[40]) == COLOURS["mechanical"]
    assert (_distance(row, COLOURS["mechanical"]) < 60).sum() <= 3
    assert tuple(rgb[10, 40]) == COLOURS["landmark"]  # the dot of the head centre


def test_axes_in_their_colours():
    leg = LandmarkSet("a.png", "left", "AP", {
        "femoral_shaft_proximal": (20.5, 20.0), "femoral_shaft_distal": (20.5, 180.0),
        "distal_femur_medial": (40.0, 100.5), "distal_femur_lateral": (90.0, 100.5),
        "femoral_head_center": (70.5, 20.0), "ankle_center": (70.5, 180.0),
    })  # fmt: skip
    rgb = render_overlay(np.zeros((200, 100)), landmark_table([leg]), max_size=200, legend=False)
    assert tuple(rgb[60, 20]) == COLOURS["anatomical"]
    assert tuple(rgb[100, 60]) == COLOURS["joint_line"]
    on_line = _distance(rgb[30:170, 70], COLOURS["hip_ankle"]) < 60
    assert 0.3 < on_line.mean() < 0.9  # dashed


def test_lat_component_lines():
    leg = LandmarkSet("k.png", "right", "LAT", {
        "femoral_component_anterior": (70.0, 80.5), "femoral_component_posterior": (20.0, 80.5),
        "tibial_plateau_anterior": (70.0, 110.5), "tibial_plateau_posterior": (20.0, 110.5),
        "tibial_shaft_proximal": (45.5, 130.0), "tibial_shaft_distal": (45.5, 190.0),
    })  # fmt: skip
    landmarks = landmark_table([leg])
    rgb = render_overlay(np.zeros((200, 100)), landmarks, measure_landmarks(landmarks),
                         max_size=200, legend=False)  # fmt: skip
    assert tuple(rgb[80, 50]) == COLOURS["joint_line"]
    assert tuple(rgb[110, 50]) == COLOURS["joint_line"]
    assert tuple(rgb[160, 45]) == COLOURS["anatomical"]


def _warning_pixels(landmarks: pd.DataFrame, **kwargs) -> int:
    shape = film_shape(SPACING)
    film = draw_film([leg_points_px(REPORT_LEG, side="right", hip_px=(0.3 * shape[1], 125),
                                    spacing_mm=SPACING)], shape, spacing_mm=SPACING)  # fmt: skip
    results = measure_landmarks(landmarks, **kwargs)
    rgb = render_overlay(film, landmarks, results)
    layout = overlay_layout(film.shape, landmarks, results)
    assert layout.legend is not None
    beside_the_key = rgb[:, : layout.legend[0]]  # the key's legend shows the colour always
    return int((_distance(beside_the_key, COLOURS["warning"]) < 30).sum())


def test_clean_leg_draws_no_warning_colour():
    assert _warning_pixels(_leg()) == 0


def test_missing_measures_are_drawn_in_the_warning_colour():
    assert _warning_pixels(_leg(drop=("ankle_center",))) > 50


def test_outliers_are_drawn_in_the_warning_colour():
    assert _warning_pixels(_leg(), overrides={"hka": {"target": 170.0}}) > 20


def test_flags_are_drawn_in_the_warning_colour():
    table = _leg(drop=("distal_femur_medial", "distal_femur_lateral",
                       "tibial_plateau_medial", "tibial_plateau_lateral"))  # fmt: skip
    results = measure_landmarks(table)
    assert text_flags(results)  # lateral_from_default_orientation
    assert _warning_pixels(table) > 20


def text_flags(results: pd.DataFrame) -> set[str]:
    return {f for text in results["flags"].astype(str) for f in text.split(";") if f}


def test_nothing_but_the_image_key_is_drawn(cohort: Cohort):
    """The case (which may hold a name) is not drawn: changing it changes no pixel."""
    image = "films/case02.dcm"
    landmarks = cohort.landmarks[cohort.landmarks["image"] == image].copy()
    results = cohort.results[cohort.results["image"] == image].copy()
    plain = render_overlay(cohort.films[image], landmarks, results)
    landmarks["case"] = "DOE^JOHN 1970-01-01"
    results["case"] = "DOE^JOHN 1970-01-01"
    np.testing.assert_array_equal(render_overlay(cohort.films[image], landmarks, results), plain)


def test_png_has_no_text_metadata(tmp_path: Path, cohort: Cohort):
    image = "films/case00.dcm"
    path = write_overlay(tmp_path / "case00.png", cohort.films[image], cohort.landmarks,
                         cohort.results, image=image)  # fmt: skip
    assert path == tmp_path / "case00.png"
    data = path.read_bytes()
    chunks = _png_chunks(data)
    assert set(chunks) == {b"IHDR", b"IDAT", b"IEND"}, chunks  # no tEXt, iTXt, zTXt, tIME, eXIf
    with Image.open(io.BytesIO(data)) as png:
        png.load()
        assert png.mode == "RGB"
        assert png.info == {} or set(png.info) <= {"dpi"}
        assert not getattr(png, "text", {})
        assert png.getexif() == {}
    rgb = render_overlay(cohort.films[image], cohort.landmarks, cohort.results, image=image)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), rgb)
    assert [p.name for p in tmp_path.iterdir()] == ["case00.png"]  # no temporary left


def test_encode_png_checks_its_input():
    with pytest.raises(TypeError, match="must be uint8, got dtype uint16"):
        encode_png(np.zeros((2, 2, 3), np.uint16))
    with pytest.raises(ValueError, match=r"must be \(h, w\) or \(h, w, 3\)"):
        encode_png(np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(ValueError, match="compression must be 0-9"):
        encode_png(np.zeros((2, 2), np.uint8), compression=11)


def test_errors_say_what_was_found(cohort: Cohort):
    film = cohort.films["films/case00.dcm"]
    with pytest.raises(ValueError, match=r"non-empty 2-D array, got shape \(4, 4, 3\)"):
        render_overlay(np.zeros((4, 4, 3)), None)
    with pytest.raises(ValueError, match=r"got shape \(0, 5\)"):
        render_overlay(np.zeros((0, 5)), None)
    with pytest.raises(TypeError, match="numeric array, got dtype <U1"):
        render_overlay(np.array([["a"]]), None)
    with pytest.raises(ValueError, match=r"hold 6 images \(films/case00.dcm, .*\); pass image="):
        render_overlay(film, cohort.landmarks, cohort.results)
    with pytest.raises(ValueError, match="landmarks lacks column"):
        render_overlay(film, cohort.landmarks.drop(columns="x"), image="films/case00.dcm")
    with pytest.raises(TypeError, match="landmarks must be a pandas DataFrame, got dict"):
        render_overlay(film, {"x": 1}, image="films/case00.dcm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_size must be at least 16 pixels, got 8"):
        render_overlay(film, None, max_size=8)
    with pytest.raises(TypeError, match="max_size must be an integer, got float"):
        render_overlay(film, None, max_size=512.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"window must be \(center, width\) with width > 0"):
        render_overlay(film, None, window=(100, 0))


def test_results_without_landmarks_still_fill_the_panel(cohort: Cohort):
    image = "films/case03.dcm"
    with_values = render_overlay(cohort.films[image], None, cohort.results, image=image)
    without = render_overlay(cohort.films[image], None, None, image=image)
    assert with_values.shape[0] >= without.shape[0]
    assert not np.array_equal(with_values[:, -150:], without[:, -150:])


def test_results_read_back_from_csv_draw_the_same(tmp_path: Path, cohort: Cohort):
    image = "films/case00.dcm"
    cohort.results.to_csv(tmp_path / "results.csv", index=False)
    cohort.landmarks.to_csv(tmp_path / "landmarks.csv", index=False)
    results = pd.read_csv(tmp_path / "results.csv")
    landmarks = pd.read_csv(tmp_path / "landmarks.csv", keep_default_na=False)
    film = cohort.films[image]
    expected = render_overlay(film, cohort.landmarks, cohort.results, image=image)
    np.testing.assert_array_equal(render_overlay(film, landmarks, results, image=image), expected)


def test_two_readers_are_both_drawn():
    first = _leg()
    second = first.assign(reader="B", x=first["x"] + 30.0)
    landmarks = pd.concat([first.assign(reader="A"), second], ignore_index=True)
    results = measure_landmarks(landmarks)
    shape = film_shape(SPACING)
    one = render_overlay(np.zeros(shape), first, measure_landmarks(first), legend=False)
    two = render_overlay(np.zeros(shape), landmarks, results, legend=False)
    dots = _distance(two, COLOURS["landmark"]) < 20
    assert dots.sum() > 1.5 * (_distance(one, COLOURS["landmark"]) < 20).sum()
