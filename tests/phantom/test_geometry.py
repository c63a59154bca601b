"""The 3D geometry: chords of the solids, cone-beam projection, landmarks on the film."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alignment.phantom import FilmParameters, LimbParameters, build_limb, render_film
from alignment.phantom.projection import DetectorGrid, _Rays, _solid_chords, render_parts
from alignment.phantom.solids import Clip, Part, Solid, rotation

GRID = DetectorGrid((40, 40), (1.0, 1.0), (20.0, 20.0, 600.0))


def _numeric_chords(solid: Solid, grid: DetectorGrid, rows: slice, cols: slice) -> np.ndarray:
    """Chord lengths by dense sampling along each ray (the reference)."""
    sx, sy, sid = grid.source
    t = np.linspace(0.0, 1.0, 30001)
    out = np.zeros((rows.stop - rows.start, cols.stop - cols.start))
    m = (solid.axes / solid.size).T
    for i, r in enumerate(range(rows.start, rows.stop)):
        for j, c in enumerate(range(cols.start, cols.stop)):
            end = np.array([(c + 0.5) * grid.spacing_mm[1], (r + 0.5) * grid.spacing_mm[0], 0.0])
            start = np.array([sx, sy, sid])
            p = start + t[:, None] * (end - start)
            u = (p - solid.centre) @ m.T
            if solid.kind == "ellipsoid":
                inside = (u**2).sum(axis=1) <= 1
            elif solid.kind == "cylinder":
                inside = ((u[:, :2] ** 2).sum(axis=1) <= 1) & (np.abs(u[:, 2]) <= 1)
            elif solid.kind == "cone":
                radius = 1.0 + solid.taper * u[:, 2]
                inside = ((u[:, :2] ** 2).sum(axis=1) <= radius**2) & (np.abs(u[:, 2]) <= 1)
            else:
                inside = (np.abs(u) <= 1).all(axis=1)
            for clip in solid.clips:
                g = p @ clip.normal
                inside &= (g >= clip.lo) & (g <= clip.hi)
            out[i, j] = (
                inside.mean() * np.linalg.norm(end - start) if (i % 2, j % 3) == (0, 0) else 0
            )
    return out


@pytest.mark.parametrize("kind", ["ellipsoid", "cylinder", "box", "cone"])
@pytest.mark.parametrize("clipped", [False, True])
def test_chords_match_numeric_integration(kind, clipped):
    axes = rotation([1.0, 2.0, 0.5], 35.0)
    clips = (Clip.through([20.0, 20.0, 100.0], [0.3, 1.0, 0.2], below=-3.0, above=8.0),)
    solid = Solid(
        kind,
        np.array([20.0, 19.0, 100.0]),
        axes,
        np.array([9.0, 6.0, 5.0]),
        1.0,
        clips if clipped else (),
        taper=0.4 if kind == "cone" else 0.0,
    )
    rows, cols = slice(12, 27), slice(10, 30)
    got = _solid_chords(solid, _Rays(GRID, rows, cols))[::2, ::3]
    want = _numeric_chords(solid, GRID, rows, cols)[::2, ::3]
    assert np.abs(got - want).max() < 0.05
    assert want.max() > 5  # the rays do cross the solid


@pytest.mark.parametrize("tilt", [0.0, 50.0, 80.0])
def test_cone_chords_across_and_along_the_axis(tilt):
    """A flaring cone seen across its axis, obliquely and nearly end-on (rays steeper
    than its flank: the other branch of the quadric)."""
    axes = rotation([1.0, 0.0, 0.0], 90.0 - tilt)  # tilt 0: axis along Y, 90: along Z
    solid = Solid("cone", np.array([20.0, 20.0, 100.0]), axes, [6.0, 5.0, 9.0], 1.0, taper=0.6)
    rows, cols = slice(5, 35), slice(8, 32)
    got = _solid_chords(solid, _Rays(GRID, rows, cols))[::2, ::3]
    want = _numeric_chords(solid, GRID, rows, cols)[::2, ::3]
    assert np.abs(got - want).max() < 0.05
    assert want.max() > 5


def test_texture_weights_make_a_second_image() -> None:
    ball = Solid.ellipsoid([20.0, 20.0, 300.0], [10.0] * 3, mu=0.1, texture=0.05)
    hole = ball.scaled(0.5, mu=-0.1, texture=0.0)
    texture = np.zeros(GRID.shape, np.float32)
    image = render_parts([Part.of("ball", [ball, hole])], GRID, texture=texture)
    assert texture[19:21, 19:21].min() == pytest.approx(1.0, abs=0.01)
    assert image[19:21, 19:21].min() == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="taper"):
        Solid("cone", np.zeros(3), np.eye(3), np.ones(3), 1.0, taper=1.0)


def test_line_integral_of_a_sphere() -> None:
    ball = Part.of("ball", Solid.ellipsoid([20.0, 20.0, 300.0], [10.0] * 3, mu=0.1))
    image = render_parts([ball], GRID)
    # magnified twice at half the source distance: radius 20 px
    assert image[19:21, 19:21].min() == pytest.approx(2.0, abs=0.01)
    assert (image > 0).sum() == pytest.approx(np.pi * 20**2, rel=0.05)


def test_projection_is_the_cone_beam() -> None:
    grid = DetectorGrid((100, 100), (0.5, 0.25), (10.0, 20.0, 1000.0))
    point = np.array([30.0, 5.0, 200.0])
    m = 1000.0 / 800.0
    want = [(10 + m * 20) / 0.25, (20 + m * (5 - 20)) / 0.5]
    assert grid.project(point)[0] == pytest.approx(want)


def test_pixel_window_holds_the_shadow() -> None:
    solid = Solid.ellipsoid([20.0, 20.0, 300.0], [10.0] * 3, mu=1.0)
    rows, cols = GRID.pixel_window(*solid.bounds())
    assert (rows.start, rows.stop, cols.start, cols.stop) == (0, 40, 0, 40)


@pytest.mark.parametrize("view", ["AP", "LAT"])
def test_unrotated_landmarks_are_a_similarity_of_the_3d_ones(view: str) -> None:
    """On an unrotated limb the landmarks of a view lie in planes parallel to the
    detector: projected distances are 3D distances times the magnification (the LAT
    femoral shaft points lie on the anatomical axis, off the mid-plane by the AMA, and
    project onto a vertical line)."""
    limb = LimbParameters(mldfa_deg=85.0, mpta_deg=89.0, jlca_deg=1.5, implant=True)
    if view == "AP":
        film = FilmParameters.long_leg(sides=("left",)).downscaled(10)
    else:
        film = FilmParameters.lateral_knee("left").downscaled(10)
    result = render_film(film, limb, seed=0)
    points3d = build_limb(limb).ap if view == "AP" else build_limb(limb).lat
    for bone in ("femoral", "tibial", "ankle"):
        names = [n for n in points3d if n.startswith(bone)] if view == "LAT" else list(points3d)
        if view == "LAT" and bone == "femoral":
            proximal, distal = (
                result.landmarks["left"][f"femoral_shaft_{e}"] for e in ("proximal", "distal")
            )
            assert proximal[0] == pytest.approx(distal[0], abs=1e-9)
            names = [n for n in names if not n.startswith("femoral_shaft")]
        if len(names) < 2:
            continue
        xy = np.array([result.landmarks["left"][n] for n in names]) * film.spacing_mm[::-1]
        p3 = np.array([points3d[n] for n in names])
        d2 = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
        d3 = np.linalg.norm(p3[:, None] - p3[None], axis=-1)
        ratio = d2[d3 > 20] / d3[d3 > 20]
        if view == "AP" or bone == "femoral":
            assert ratio == pytest.approx(result.magnification, rel=1e-9)
            continue
        # the tibia's sagittal plane is tilted by the coronal angles and the central ray
        # passes through its shaft axis: lengths change a little, its angles do not
        shaft = np.subtract(
            *(xy[names.index(f"tibial_shaft_{e}")] for e in ("distal", "proximal"))
        )
        tray = np.subtract(
            *(xy[names.index(f"tibial_plateau_{e}")] for e in ("anterior", "posterior"))
        )
        shaft3 = np.subtract(
            *(p3[names.index(f"tibial_shaft_{e}")] for e in ("distal", "proximal"))
        )
        tray3 = np.subtract(
            *(p3[names.index(f"tibial_plateau_{e}")] for e in ("anterior", "posterior"))
        )

        def angle(a: np.ndarray, b: np.ndarray) -> float:
            return float(np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))))

        assert angle(shaft, tray) == pytest.approx(angle(shaft3, tray3), abs=0.01)


@pytest.mark.parametrize("flexion", [0.0, 20.0, 45.0])
def test_knee_flexion_shows_on_the_lateral_film(flexion: float) -> None:
    """The knee bends about an axis perpendicular to a lateral film: the angle between
    the femoral and tibial shafts on the film is the flexion (to 0.15 degrees: the
    femoral anatomical axis lies off the film's mid-plane, and the beam diverges)."""
    film = FilmParameters.lateral_knee("right", shape=(2400, 1600)).downscaled(8)
    points = render_film(film, LimbParameters(knee_flexion_deg=flexion), seed=0).landmarks
    p = {n: np.array(v) for n, v in points["right"].items()}
    femur = p["femoral_shaft_distal"] - p["femoral_shaft_proximal"]
    tibia = p["tibial_shaft_distal"] - p["tibial_shaft_proximal"]
    cos = femur @ tibia / np.linalg.norm(femur) / np.linalg.norm(tibia)
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))) == pytest.approx(flexion, abs=0.15)


def test_rotation_turns_the_limb_about_its_hip_ankle_axis() -> None:
    limb = build_limb(LimbParameters(rotation_deg=25.0))
    plain = build_limb(LimbParameters())
    for name in ("femoral_head_center", "ankle_center"):
        assert limb.ap[name] == pytest.approx(plain.ap[name], abs=1e-9)
    patella = [p for p in limb.parts if p.name == "patella"][0].pieces[0][0].bounds()[0]
    plain_patella = [p for p in plain.parts if p.name == "patella"][0].pieces[0][0].bounds()[0]
    assert patella[0] < plain_patella[0]  # internal rotation: the patella turns medially


def test_the_image_shows_the_sphere_where_it_is(ap_film) -> None:
    values = ap_film.bone_bright().astype(float)
    x, y = ap_film.sphere_center
    spacing = ap_film.spacing_mm[0]
    radius_px = 12.5 * ap_film.magnification / spacing
    rr, cc = np.mgrid[0 : values.shape[0], 0 : values.shape[1]]
    disc = np.hypot(cc + 0.5 - x, rr + 0.5 - y) < radius_px - 1.5
    ring = (np.hypot(cc + 0.5 - x, rr + 0.5 - y) > radius_px + 2) & (
        np.hypot(cc + 0.5 - x, rr + 0.5 - y) < radius_px + 5
    )
    assert values[disc].min() > values[ring].max()


def test_bone_is_brighter_than_soft_tissue_at_the_landmarks(ap_film) -> None:
    values = ap_film.bone_bright().astype(float)
    for side in ("right", "left"):
        x, y = ap_film.landmarks[side]["femoral_shaft_distal"]
        lateral = 1 if side == "left" else -1
        bone = values[int(y), int(x) - 1 : int(x) + 2].mean()
        soft = values[int(y), int(x) + lateral * 15]  # 30 mm lateral: thigh soft tissue
        assert bone > soft + 100


def test_same_seed_same_pixels_other_seed_other_noise(postop_limb) -> None:
    film = FilmParameters.lateral_knee("left").downscaled(8)
    a = render_film(film, postop_limb, seed=11).pixels
    b = render_film(film, postop_limb, seed=11).pixels
    c = render_film(film, postop_limb, seed=12).pixels
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bits_and_photometric(postop_limb) -> None:
    film = FilmParameters.lateral_knee("left", bits_stored=14).downscaled(8)
    two = render_film(film, postop_limb, seed=1)
    one = render_film(dataclasses.replace(film, photometric="MONOCHROME1"), postop_limb, seed=1)
    assert two.pixels.max() <= 2**14 - 1 and two.pixels.max() > 2**13
    assert np.array_equal(one.bone_bright(), two.pixels)
    assert np.array_equal(one.pixels, 2**14 - 1 - two.pixels)


def test_landmark_outside_the_film_is_an_error() -> None:
    from alignment.errors import PhantomError

    film = FilmParameters.long_leg(shape=(3000, 2000))
    with pytest.raises(PhantomError, match="fall outside the 300 x 200 film"):
        render_film(film.downscaled(10), LimbParameters(), seed=0)
