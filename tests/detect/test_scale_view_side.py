"""Scale, view and side from the film itself (issue 12, points 2, 7 and 8): rulers at
known spacings, the film view from its content, the side option, the review forced
by an unsure view or side, short axes never emitted, the real reason when nothing is
found, and angles that do not swing with the spacing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignment.cli import main
from alignment.detect import detect_landmarks
from alignment.detect.core import MIN_AXIS_MM, _Context
from alignment.detect.infer import VIEW_SURE, FilmView, infer_film_view
from alignment.detect.marker import find_marker
from alignment.detect.ruler import find_ruler
from alignment.measures import measure_landmarks
from alignment.phantom import FilmParameters, LimbParameters, render_film
from alignment.phantom.render import Film

from .conftest import DOWNSCALE, as_radiograph, landmarks_mm, resampled, ruler_film

ANGLES = ("hka", "fta", "mldfa", "mpta", "ffc", "ftc", "lfc", "ltc")


@pytest.mark.parametrize("spacing", [0.15, 0.4, 0.763, 1.32])
@pytest.mark.parametrize("horizontal", [False, True])
def test_ruler_gives_the_spacing(spacing, horizontal):
    rows, cols = (500, 1600) if horizontal else (1600, 500)
    if spacing < 0.3:  # a fine film: more pixels, same field
        rows, cols = (rows * 2, cols * 2)
    image = ruler_film(spacing, rows=rows, cols=cols, horizontal=horizontal)
    # a prior 30 % off, as from a film's size, still picks the right tick interval
    ruler = find_ruler(image, prior_mm=spacing * 1.3)
    assert ruler is not None
    assert ruler.spacing_mm == pytest.approx(spacing, rel=0.01)
    assert ruler.axis == ("horizontal" if horizontal else "vertical")


def test_no_ruler_on_a_film_without_one(ap_film):
    assert find_ruler(ap_film.bone_bright(), prior_mm=0.5) is None
    noise = np.random.default_rng(3).normal(1000, 200, (1200, 400)).astype(np.float32)
    assert find_ruler(noise, prior_mm=1.0) is None


def test_ruler_spacing_is_used_and_recorded(ap_film):
    # the phantom film without spacing, a ruler drawn beside the legs: 0.5 mm pixels
    pixels = ap_film.bone_bright().astype(np.float32)
    ruler = ruler_film(0.5, rows=pixels.shape[0], cols=120).astype(np.float32)
    scale = float(np.percentile(pixels, 99.8)) / 4000.0
    film = np.hstack([pixels, ruler * scale]).astype(np.float32)
    bare = as_radiograph(ap_film, pixels=film, columns=film.shape[1], spacing_mm=None)
    bare = dataclasses.replace(bare, spacing_source="none", magnification=None)
    result = detect_landmarks(bare)
    assert result.spacing_source == "ruler"
    assert result.spacing_used_mm == pytest.approx((0.5, 0.5), rel=0.01)
    assert result.landmarks["row_spacing_mm"].to_numpy() == pytest.approx(0.5, rel=0.01)


def _angles(result) -> dict[tuple[str, str], float]:
    table = result.landmarks.drop(columns=["confidence", "method", "review"])
    measured = measure_landmarks(table)
    ok = measured[(measured["status"] == "ok") & measured["measure"].isin(ANGLES)]
    keys = zip(ok["side"].astype(str), ok["measure"].astype(str), strict=True)
    return dict(zip(keys, ok["value"].astype(float), strict=True))


def _spacing_swing(film: Film, **changes) -> float:
    base = as_radiograph(film, **changes)
    assert base.spacing_mm is not None
    row, col = base.spacing_mm
    other = dataclasses.replace(base, spacing_mm=(row * 1.1, col * 1.1))
    a, b = _angles(detect_landmarks(base)), _angles(detect_landmarks(other))
    assert a and set(a) == set(b)
    return max(abs(a[k] - b[k]) for k in a)


def test_angles_do_not_swing_with_the_spacing_ap(ap_film):
    # a 10 % wrong spacing moves no angle by more than 0.5 degree
    assert _spacing_swing(ap_film) <= 0.5


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_landmarks_in_mm_do_not_move_with_the_pixel_size(ap_film, factor):
    # the same long-leg film on pixels 10 % smaller or larger: every landmark found on
    # both lands within 1.5 mm (every centre, head included: the search windows and
    # the anatomical priors are in mm, not pixels)
    base = as_radiograph(ap_film)
    a, b = landmarks_mm(base), landmarks_mm(resampled(base, factor))
    assert len(a) >= 20 and set(a) == set(b)
    assert max(float(np.hypot(*(a[k] - b[k]))) for k in a) <= 1.5


def test_angles_do_not_swing_with_the_spacing_lat():
    film = FilmParameters.lateral_knee("left").downscaled(DOWNSCALE)
    limb = LimbParameters.postop(
        fta_deg=176.0, ffc_deg=91.0, ftc_deg=89.0, lfc_deg=93.5, ltc_deg=86.0
    )
    rendered = render_film(film, {"left": limb}, seed=7002)
    assert _spacing_swing(rendered) <= 0.5


def test_view_inferred_from_content(ap_film):
    # a long-leg film without tags and without spacing: sure from its shape
    view = infer_film_view(ap_film.bone_bright())
    assert view.kind == "AP long-leg" and view.confidence >= VIEW_SURE and view.sure
    # a lateral knee film: a knee, never sure from the content alone
    film = FilmParameters.lateral_knee("right").downscaled(DOWNSCALE)
    lat = render_film(film, {"right": LimbParameters.postop(fta_deg=176.0)}, seed=7003)
    knee = infer_film_view(lat.bone_bright())
    assert knee.kind in ("AP knee", "LAT knee") and not knee.sure
    # a blank film: no bone, other
    assert infer_film_view(np.full((400, 300), 500, np.uint16)).kind == "other"


def _narrow_lateral_film(**changes):
    """A drawn lateral TKA film cut to its middle 60 %: a field 2.5 times as tall as
    wide (a thin limb with the air beside it, or a narrow cassette), read as
    :func:`as_radiograph` with `changes` and without a DICOM view."""
    film = FilmParameters.lateral_knee("right").downscaled(DOWNSCALE)
    lat = render_film(film, {"right": LimbParameters.postop(fta_deg=176.0)}, seed=7003)
    pixels = lat.bone_bright()
    keep = int(0.6 * pixels.shape[1])
    x0 = (pixels.shape[1] - keep) // 2
    cut = np.ascontiguousarray(pixels[:, x0 : x0 + keep])
    assert infer_film_view(cut).kind == "AP long-leg"
    return as_radiograph(lat, pixels=cut, columns=keep, view=None, **changes)


@pytest.mark.parametrize("spacing", [True, False])
def test_tall_narrow_knee_film_is_read_as_a_knee_film(spacing):
    # a lateral knee film whose field looks like a long-leg film's: with a spacing it
    # is only 30 cm tall, without one the long-leg reader finds no long bone on it;
    # either way it is read as the knee film it is (before: an AP knee's landmarks on
    # a lateral film, or nothing)
    result = detect_landmarks(_narrow_lateral_film(**({} if spacing else {"spacing_mm": None})))
    assert result.film_view == "LAT knee" and result.view_source == "inferred"
    assert [(leg.status, leg.found, leg.required) for leg in result.legs] == [("review", 8, 8)]
    why = "but the film is" if spacing else "but no long bone was found"
    assert any(note.startswith("read as a knee film") and why in note for note in result.notes)


def test_a_knee_film_read_so_says_the_knee_readers_reason_for_nothing(monkeypatch):
    # the note that the film is read as a knee film informs; when the knee reader
    # finds nothing, its own reason is the one given

    def nothing(ctx, work, wanted):
        ctx.notes.append("lateral film: nothing here (a test)")
        return "none"

    monkeypatch.setattr("alignment.detect.core.detect_lateral", nothing)
    result = detect_landmarks(_narrow_lateral_film())
    assert any(note.startswith("read as a knee film") for note in result.notes)
    assert [m.reason for m in result.missing] == ["lateral film: nothing here (a test)"]


@pytest.mark.parametrize("sides", [None, ["right"], ["left"]])
def test_the_sides_asked_for_do_not_pick_the_view(sides):
    # the narrow lateral film of a right knee, without a spacing: a knee film whatever
    # side is asked for (for the left it was read as a long-leg film, the knee
    # reading's right leg being left out before the two readings were compared)
    result = detect_landmarks(_narrow_lateral_film(spacing_mm=None), sides=sides)
    assert result.film_view == "LAT knee"
    assert result.landmarks.empty == (sides == ["left"])


def test_a_leg_left_out_by_sides_does_not_make_a_long_leg_film_a_knee_film(ap_film):
    # the right leg of the long-leg film, read for its left leg only: the long-leg
    # reader's leg is left out, and its film was then read as a knee film, whose knee
    # came back as a left leg
    radiograph = as_radiograph(ap_film)
    half = np.ascontiguousarray(radiograph.pixels[:, : radiograph.columns // 2])
    one_leg = dataclasses.replace(radiograph, pixels=half, columns=half.shape[1])
    result = detect_landmarks(one_leg, sides=["left"])
    assert result.film_view == "AP long-leg" and result.landmarks.empty
    assert [m.reason for m in result.missing] == ["the leg was not found on the film"]


def test_unsure_view_forces_review_and_dicom_view_does_not(ap_film, monkeypatch):
    tagged = detect_landmarks(as_radiograph(ap_film))
    assert tagged.view_confidence == 1.0 and tagged.film_view == "AP long-leg"
    assert [leg.status for leg in tagged.legs] == ["ok", "ok"]
    # the same film, its view inferred but not sure: every leg to review, with why
    unsure = FilmView("AP long-leg", 0.6, "inferred", "a test")
    monkeypatch.setattr("alignment.detect.core.infer_film_view", lambda pixels: unsure)
    bare = detect_landmarks(as_radiograph(ap_film, view=None))
    assert bare.view_source == "inferred" and bare.view_confidence == 0.6
    assert len(bare.legs) == 2 and all(leg.status == "review" for leg in bare.legs)
    assert bare.landmarks["review"].all()
    assert all("inferred from the film" in leg.reason for leg in bare.legs)


def test_other_films_get_no_landmark(ap_film, monkeypatch):
    other = FilmView("other", 0.9, "inferred", "a test")
    monkeypatch.setattr("alignment.detect.core.infer_film_view", lambda pixels: other)
    result = detect_landmarks(as_radiograph(ap_film, view=None))
    assert result.film_view == "other" and result.landmarks.empty and not result.legs
    assert "neither a long-leg AP nor a knee film" in result.missing[0].reason


def test_side_option_on_a_single_knee():
    # no DICOM laterality, no marker: the side is unknown, the knee goes to review
    film = dataclasses.replace(FilmParameters.lateral_knee("left"), marker=False)
    film = film.downscaled(DOWNSCALE)
    rendered = render_film(film, {"left": LimbParameters()}, seed=7005)
    bare = as_radiograph(rendered, laterality=None, view="LAT")
    unknown = detect_landmarks(bare)
    assert unknown.side_source == "unknown" and all(leg.review for leg in unknown.legs)
    given = detect_landmarks(bare, side="right")
    assert given.side_source == "option" and {leg.side for leg in given.legs} == {"right"}
    assert [leg.status for leg in given.legs] == ["ok"]


def test_side_option_keeps_one_leg_of_a_bilateral_film(ap_film):
    result = detect_landmarks(as_radiograph(ap_film), side="left")
    assert {leg.side for leg in result.legs} == {"left"}


def test_cli_side_option(ap_film, tmp_path):
    from alignment.phantom import write_film

    path = write_film(ap_film, tmp_path / "film.dcm")
    out = tmp_path / "d.csv"
    assert main(["detect", str(path), "--out", str(out), "--side", "right"]) in (0, 1)
    import pandas as pd

    assert set(pd.read_csv(out)["side"]) == {"right"}


@pytest.mark.parametrize("border", [0, 1, 2])
def test_a_bright_bone_running_off_the_film_is_no_metal_behind_a_thin_border(border):
    # a film's brightest bone cut by its top edge, a sharp step around it as metal
    # has: no metal while it touches the edge, nor behind a black border of 1-2 px
    from alignment.detect.infer import _metal_symmetry

    field = np.full((400, 300), 0.3, np.float32)
    field[:160, 120:200] = 1.0  # off the top, and to one side: no mirror image
    field = np.pad(field, border, constant_values=0.05)
    assert _metal_symmetry(field) is None
    field[200:260, 110:190] = 1.0  # a component in the middle: metal
    assert _metal_symmetry(field) is not None


@pytest.mark.parametrize("pair", sorted(MIN_AXIS_MM))
def test_short_or_degenerate_axes_are_never_emitted(ap_film, pair):
    radiograph = as_radiograph(ap_film)
    ctx = _Context(radiograph, "film.dcm", "case", "detect", 0.5)
    from alignment.detect._image import Work

    work = Work.of(radiograph.pixels, radiograph.spacing_mm, coarse_mm=1.0)
    a, b = pair
    shortest = MIN_AXIS_MM[pair]
    points = {a: np.array([100.0, 200.0]), b: np.array([100.0, 200.0 + 0.5 * shortest])}
    points["femoral_head_center"] = np.array([120.0, 100.0])
    required = [a, b, "femoral_head_center"]
    conf = dict.fromkeys(required, 0.9)
    ctx.add_leg("left", "AP", points, conf, {}, {}, required, work)
    names = {row[3] for row in ctx.rows}
    assert names == {"femoral_head_center"}
    assert {m.landmark for m in ctx.missing} == {a, b}
    assert all("mm long" in m.reason for m in ctx.missing)
    assert ctx.legs[0].status == "incomplete"
    # two equal points: the same
    ctx2 = _Context(radiograph, "film.dcm", "case", "detect", 0.5)
    same = {a: np.array([50.0, 50.0]), b: np.array([50.0, 50.0])}
    ctx2.add_leg("left", "AP", same, dict.fromkeys(pair, 0.9), {}, {}, list(pair), work)
    assert not ctx2.rows


def test_points_off_the_film_are_never_emitted(ap_film):
    # a lateral film read at 1.4 times its spacing carried a femoral shaft's end
    # 109 px past the film's side along a steep, wrong axis
    radiograph = as_radiograph(ap_film)
    ctx = _Context(radiograph, "film.dcm", "case", "detect", 0.5)
    from alignment.detect._image import Work

    work = Work.of(radiograph.pixels, radiograph.spacing_mm, coarse_mm=1.0)
    width_mm = radiograph.columns * radiograph.spacing_mm[1]
    points = {
        "femoral_shaft_proximal": np.array([width_mm + 30.0, 200.0]),
        "femoral_shaft_distal": np.array([width_mm - 60.0, 400.0]),
        "femoral_head_center": np.array([120.0, 100.0]),
    }
    conf = dict.fromkeys(points, 0.9)
    ctx.add_leg("left", "AP", points, conf, {}, {}, list(points), work)
    assert {row[3] for row in ctx.rows} == {"femoral_head_center"}
    assert {m.landmark for m in ctx.missing} == {"femoral_shaft_proximal", "femoral_shaft_distal"}
    assert all("off the film" in m.reason for m in ctx.missing)


def test_reason_for_nothing_found_is_not_the_spacing(ap_film):
    noise = np.random.default_rng(5).integers(0, 4000, (900, 300)).astype(np.uint16)
    bare = as_radiograph(ap_film, pixels=noise, rows=900, columns=300, spacing_mm=None, view=None)
    result = detect_landmarks(bare)
    assert result.spacing_source == "assumed" and not result.legs
    reasons = [m.reason for m in result.missing if m.landmark == "*"]
    assert reasons and not any("spacing" in r for r in reasons)


def _with_letter(film: Film, letter: str, *, mirror: bool = False, angle: float = 0.0):
    """The film (bone bright) with a lead letter about 15 mm tall drawn in its corner."""
    import cv2

    pixels = film.bone_bright().astype(np.float32)
    rows, cols = pixels.shape
    mm = film.spacing_mm[0]
    size = round(15.0 / mm)
    glyph = np.zeros((3 * size, 3 * size), np.uint8)
    cv2.putText(glyph, letter, (size, 2 * size), cv2.FONT_HERSHEY_DUPLEX, size / 22.0, 255,
                max(2, size // 8), cv2.LINE_AA)  # fmt: skip
    if mirror:
        glyph = glyph[:, ::-1].copy()
    turn = cv2.getRotationMatrix2D((1.5 * size, 1.5 * size), angle, 1.0)
    ink = np.asarray(cv2.warpAffine(glyph, turn, glyph.shape[::-1])) > 127
    top, left = round(0.05 * rows), round(0.75 * cols)
    patch = pixels[top : top + ink.shape[0], left : left + ink.shape[1]]
    lead = float(np.percentile(pixels, 99.95)) * 1.2
    patch[ink] = lead
    return pixels


_LETTERS = [("R", False, 0.0), ("L", True, 20.0), ("R", True, -15.0), ("L", False, 0.0)]


@pytest.mark.parametrize(("letter", "mirror", "angle"), _LETTERS)
def test_marker_gives_the_side_of_a_knee(letter, mirror, angle):
    # a film without the phantom's own marker, a Hershey letter drawn on it
    film = dataclasses.replace(FilmParameters.lateral_knee("left"), marker=False)
    film = film.downscaled(DOWNSCALE)
    rendered = render_film(film, {"left": LimbParameters()}, seed=7006)
    pixels = _with_letter(rendered, letter, mirror=mirror, angle=angle)
    marked = find_marker(pixels, spacing_mm=rendered.spacing_mm[0])
    assert marked is not None and marked.letter == letter
    bare = as_radiograph(rendered, pixels=pixels, laterality=None, view="LAT")
    result = detect_landmarks(bare)
    assert result.side_source == "marker"
    assert {leg.side for leg in result.legs} == {"left" if letter == "L" else "right"}


@pytest.mark.parametrize("side", ["left", "right"])
def test_marker_of_the_phantom_and_never_on_bone(side):
    # the phantom burns a block-letter marker: found; without it, bones, implants and
    # the calibration sphere give none
    limb = LimbParameters.postop(fta_deg=176.0)
    for seed, marked in ((7007, True), (7008, False)):
        film = dataclasses.replace(FilmParameters.lateral_knee(side), marker=marked)
        rendered = render_film(film.downscaled(DOWNSCALE), {side: limb}, seed=seed)
        found = find_marker(rendered.bone_bright(), spacing_mm=rendered.spacing_mm[0])
        if marked:
            assert found is not None and found.letter == side[0].upper()
        else:
            assert found is None
    long_leg = dataclasses.replace(FilmParameters.long_leg(), marker=False).downscaled(DOWNSCALE)
    rendered = render_film(long_leg, {"right": LimbParameters(), "left": limb}, seed=7009)
    assert find_marker(rendered.bone_bright(), spacing_mm=rendered.spacing_mm[0]) is None
