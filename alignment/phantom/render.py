"""Render a synthetic radiograph: scene, projection, detector physics, presentation.

:func:`render_film` places the limbs in front of the detector (AP: standing, both legs
and the pelvis, patient's right on the viewer's left; LAT: one knee, anterior toward
the viewer's left for a right knee and toward the right for a left knee, as seen from
the source), projects the true landmarks, and forms the image:

1. line integrals of attenuation through every solid (:mod:`.projection`), soft tissue
   on a coarse grid, plus the lead side marker and the cassette frames; cancellous
   bone modulated by a trabecular pattern drawn from the seed;
2. primary intensity ``I0 exp(-line integral)``, with the heel effect and the
   ``cos^3`` fall-off of a point source, cut to the collimated field;
3. scatter: the primary blurred and scaled by the scatter-to-primary ratio;
4. quantum noise (Gaussian approximation of Poisson counts at `photons` quanta), then
   the light spread of the scintillator;
5. detector gain and offset per stitched cassette;
6. presentation: ``-log``, latitude reduction, unsharp-mask edge enhancement, a window
   from the image's own percentiles (metal and lead left out), a characteristic curve
   with a shoulder for metal, quantisation to `bits_stored` bits (inverted for
   MONOCHROME1).

Examples
--------
>>> from alignment.phantom.parameters import FilmParameters, LimbParameters
>>> film = render_film(FilmParameters.lateral_knee("left").downscaled(8), LimbParameters(),
...                    seed=1)
>>> film.pixels.shape, film.pixels.dtype.name, film.laterality
((200, 150), 'uint16', 'L')
>>> sorted(film.landmarks["left"])[:2]
['femoral_shaft_distal', 'femoral_shaft_proximal']
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from alignment.errors import PhantomError
from alignment.landmarks import LandmarkSet
from alignment.phantom.anatomy import MU, Limb, build_limb, build_pelvis
from alignment.phantom.parameters import FilmParameters, LimbParameters
from alignment.phantom.projection import DetectorGrid, render_parts
from alignment.phantom.solids import Part, Solid
from alignment.vocabulary import Side

__all__ = ["Film", "render_film"]

logger = logging.getLogger(__name__)

F32 = NDArray[np.float32]

_GLYPHS = {
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
}


@dataclass(frozen=True, eq=False)
class Film:
    """A rendered synthetic radiograph with its true landmarks.

    Attributes
    ----------
    pixels : numpy.ndarray of uint16, shape (rows, columns)
        Stored values, ``0 .. 2**bits_stored - 1``, in the photometric
        interpretation of `film` (bone bright for MONOCHROME2).
    film : FilmParameters
        How it was acquired.
    limbs : mapping of side to LimbParameters
        The legs in the scene.
    landmarks : dict of side to dict of str to (float, float)
        True landmarks ``(x, y)`` in pixels (spec convention) of each side in
        ``film.sides``.
    magnification : float
        Radiographic magnification of the landmark plane, ``sid / (sid - oid)``.
    laterality : {'R', 'L', 'B'}
        DICOM Image Laterality.
    patient_orientation : str
        DICOM Patient Orientation (row direction, column direction), ``L\\F`` on AP.
    view_position : str
        DICOM View Position: ``AP``, or ``RL``/``LL`` (lateral with that side to the
        detector).
    sphere_center : (float, float) or None
        Centre of the calibration sphere's shadow, pixels.
    """

    pixels: NDArray[np.uint16] = field(repr=False)
    film: FilmParameters
    limbs: Mapping[Side, LimbParameters]
    landmarks: dict[Side, dict[str, tuple[float, float]]]
    magnification: float
    laterality: str
    patient_orientation: str
    view_position: str
    sphere_center: tuple[float, float] | None

    @property
    def spacing_mm(self) -> tuple[float, float]:
        """Imager Pixel Spacing ``(row_mm, col_mm)``, at the detector."""
        return self.film.spacing_mm

    @property
    def object_spacing_mm(self) -> tuple[float, float]:
        """Pixel spacing in the landmark plane: Imager Pixel Spacing / magnification."""
        r, c = self.film.spacing_mm
        return (r / self.magnification, c / self.magnification)

    def bone_bright(self) -> NDArray[np.uint16]:
        """Return the pixels as MONOCHROME2 (bone bright), whatever was stored."""
        if self.film.photometric == "MONOCHROME1":
            return (np.uint16((1 << self.film.bits_stored) - 1) - self.pixels).astype(np.uint16)
        return self.pixels

    def landmark_sets(
        self, image: str, *, case: str = "", sides: tuple[Side, ...] | None = None
    ) -> list[LandmarkSet]:
        """Return the true landmarks as :class:`~alignment.landmarks.LandmarkSet` objects.

        The spacing is the Imager Pixel Spacing with the magnification to divide
        lengths by, or, for a calibrated film, the calibrated spacing alone, so that
        lengths come out in the patient either way.

        Parameters
        ----------
        image : str
            The image key to write in the ``image`` column.
        case : str, optional
            The case; defaults to the image's stem.
        sides : tuple of side, optional
            Only these legs (default: all of ``film.sides``).
        """
        if self.film.calibrated:
            spacing, magnification = self.object_spacing_mm, None
        else:
            spacing, magnification = self.spacing_mm, self.magnification
        return [
            LandmarkSet(
                image,
                side,
                self.film.view,
                self.landmarks[side],
                case=case,
                spacing_mm=spacing,
                magnification=magnification,
                patient_orientation=self.patient_orientation,
            )
            for side in self.film.sides
            if sides is None or side in sides
        ]


def _marker(letter: str, height_px: float) -> NDArray[np.bool_]:
    glyph = np.array([[c == "1" for c in row] for row in _GLYPHS[letter]])
    block = max(1, round(height_px / 7))
    return np.kron(glyph, np.ones((block, block), dtype=bool))


def _resize(image: F32, shape: tuple[int, int]) -> F32:
    """Bilinear resize with pixel-centre alignment (cv2's convention)."""
    out = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.float32)


def _blur(image: F32, sigma_px: float) -> F32:
    """Gaussian blur of width `sigma_px`, computed on a reduced copy when it is wide."""
    factor = max(1, int(sigma_px // 3))
    if factor == 1:
        out = cv2.GaussianBlur(image, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
        return np.asarray(out, dtype=np.float32)
    rows, cols = image.shape
    small_shape = (max(1, math.ceil(rows / factor)), max(1, math.ceil(cols / factor)))
    padded = np.pad(
        image,
        ((0, small_shape[0] * factor - rows), (0, small_shape[1] * factor - cols)),
        mode="edge",
    )
    small = padded.reshape(small_shape[0], factor, small_shape[1], factor).mean(axis=(1, 3))
    small = cv2.GaussianBlur(
        small.astype(np.float32), (0, 0), sigma_px / factor, borderType=cv2.BORDER_REFLECT
    )
    big = _resize(small, (small_shape[0] * factor, small_shape[1] * factor))
    return np.ascontiguousarray(big[:rows, :cols], dtype=np.float32)


def _trabecular(shape: tuple[int, int], spacing_mm: float, rng: np.random.Generator) -> F32:
    """Return a zero-mean trabecular pattern of unit spread, deterministic from `rng`.

    Band-pass filtered noise, elongated along the columns (the trabeculae of the
    long bones run along them), is turned into a network of thin struts around
    lucent pores by keeping the neighbourhood of its zero crossings; a coarser
    mottle is added. It is made on a grid of 0.4 mm (or the pixels, if finer) and
    resized: on films of coarse pixels the fine struts average out, as on a real
    film.
    """
    rows, cols = shape
    if spacing_mm <= 0.4:
        factor = max(1, round(0.4 / spacing_mm))
        step = spacing_mm * factor
        small = (max(4, math.ceil(rows / factor)), max(4, math.ceil(cols / factor)))
    else:  # coarse pixels: make it at 0.4 mm and average it down
        factor = 0
        step = 0.4
        small = (
            max(4, math.ceil(rows * spacing_mm / step)),
            max(4, math.ceil(cols * spacing_mm / step)),
        )
    noise = rng.standard_normal(small, dtype=np.float32)

    def band(image: F32, sigma_mm: float, elongation: float) -> F32:
        sx = max(sigma_mm / step, 0.6)
        sy = max(sigma_mm * elongation / step, 0.6)
        out = cv2.GaussianBlur(image, (0, 0), sx, sigmaY=sy, borderType=cv2.BORDER_REFLECT)
        return np.asarray(out, dtype=np.float32)

    fine = band(noise, 0.35, 1.8)
    fine -= band(noise, 1.1, 1.5)
    fine *= np.float32(1.0 / (float(fine.std()) + 1e-6))
    struts = np.exp(np.float32(-5.0) * fine * fine)  # bright along the zero crossings
    coarse = band(noise, 2.2, 1.3)
    coarse -= band(noise, 5.0, 1.0)
    coarse *= np.float32(1.0 / (float(coarse.std()) + 1e-6))
    struts -= np.float32(struts.mean())
    struts *= np.float32(1.0 / (float(struts.std()) + 1e-6))
    pattern = np.float32(0.75) * struts + np.float32(0.45) * coarse
    if factor > 1:
        pattern = _resize(pattern, (small[0] * factor, small[1] * factor))
    elif factor == 0:
        pattern = np.asarray(
            cv2.resize(pattern, (cols, rows), interpolation=cv2.INTER_AREA), dtype=np.float32
        )
    return np.ascontiguousarray(pattern[:rows, :cols], dtype=np.float32)


def _place_ap(limbs: dict[Side, Limb], film: FilmParameters) -> tuple[dict[Side, Limb], float]:
    """Limbs in world coordinates of a standing AP film; returns them and the scale."""
    k = float(np.mean([limb.scale for limb in limbs.values()]))
    half_hips = 88.0 * k
    placed: dict[Side, Limb] = {}
    for side, limb in limbs.items():
        sign = 1.0 if side == "left" else -1.0
        v = limb.ankle - limb.hip
        length = math.hypot(v[0], v[1])
        offset = limb.parameters.stance_mm - half_hips  # ankle lateral of hip, leg frame
        offset = max(-0.9 * length, min(0.9 * length, offset))
        want = math.atan2(math.sqrt(length**2 - offset**2), offset)
        turn = math.degrees(want - math.atan2(v[1], v[0]))
        c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
        r = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        mirror = np.diag([sign, 1.0, 1.0])
        matrix = mirror @ r
        hip_world = np.array([sign * half_hips, 0.0, film.oid_mm])
        placed[side] = limb.moved(matrix, hip_world - matrix @ limb.hip)
    # centre the body (iliac crest to heel) on the film, and the chosen leg(s) across
    top = min(limb.hip[1] for limb in placed.values()) - 170.0 * k
    bottom = max(limb.ankle[1] for limb in placed.values()) + 75.0 * k
    height, width = film.size_mm
    m = film.magnification
    dy = height / 2.0 - (top + bottom) / 2.0
    if len(film.sides) == 1:
        leg = placed[film.sides[0]]
        centre_x = (leg.hip[0] + leg.ankle[0]) / 2.0
    else:
        centre_x = 0.0
    shift = np.array([width / 2.0 - centre_x, dy, 0.0])
    if (bottom - top) * m > height:
        logger.info("the limbs (%.0f mm) are longer than the film", (bottom - top) * m)
    return {side: limb.moved(np.eye(3), shift) for side, limb in placed.items()}, k


def _place_lat(limb: Limb, side: Side, film: FilmParameters) -> Limb:
    """The knee in world coordinates of a lateral film, central ray on the tibial knee
    centre."""
    matrix, offset = limb.femur_frame
    sign = -1.0 if side == "right" else 1.0
    view = np.array([[0.0, 0.0, sign], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # (l,d,a)->(X,Y,Z)
    m = view @ matrix
    t = view @ offset
    placed = limb.moved(m, t)
    height, width = film.size_mm
    ys = [p[1] for p in placed.lat.values()]
    middle = (min(ys) + max(ys)) / 2.0  # centre the landmarks, not the knee, on the film
    shift = np.array([width / 2.0 - placed.knee[0], height / 2.0 - middle, film.oid_mm])
    return placed.moved(np.eye(3), shift)


def _soft_and_bone(parts: list[Part]) -> tuple[list[Part], list[Part]]:
    """Fine parts, and the coarse ones merged into one union (soft tissue never adds up
    with itself: on AP no ray crosses both legs, on LAT only one leg is in the scene)."""
    fine = [p for p in parts if not p.coarse]
    pieces = tuple(piece for p in parts if p.coarse for piece in p.pieces)
    return fine, [Part("soft tissue", pieces, coarse=True)] if pieces else []


def render_film(
    film: FilmParameters,
    limbs: LimbParameters | Mapping[Side, LimbParameters],
    *,
    seed: int | np.random.SeedSequence | None = 0,
) -> Film:
    """Render one synthetic radiograph with its true landmarks.

    Parameters
    ----------
    film : FilmParameters
        View, detector and processing.
    limbs : LimbParameters or mapping of side to LimbParameters
        The legs: one set of parameters for every leg, or one per side. An AP film
        always shows both legs (and the pelvis); a side not given is a neutral native
        leg (``LimbParameters()``). Every side of ``film.sides`` must be given when a
        mapping is passed.
    seed : int or numpy.random.SeedSequence, optional
        Seeds the noise, cassette gains and offsets: the same seed gives the same
        pixels.

    Returns
    -------
    Film

    Raises
    ------
    PhantomError
        If a landmark of an annotated leg falls outside the film.
    """
    if isinstance(limbs, LimbParameters):
        given: dict[Side, LimbParameters] = dict.fromkeys(film.sides, limbs)
        if film.view == "AP":
            given = {"right": limbs, "left": limbs}
    else:
        given = dict(limbs)
        missing = [s for s in film.sides if s not in given]
        if missing:
            raise PhantomError(f"no LimbParameters for the {', '.join(missing)} leg")
    rng = np.random.default_rng(seed)
    scene_sides: tuple[Side, ...] = ("right", "left") if film.view == "AP" else film.sides
    built = {s: build_limb(given.get(s, LimbParameters())) for s in scene_sides}
    height, width = film.size_mm
    parts: list[Part] = []
    if film.view == "AP":
        placed, k = _place_ap(built, film)
        source = (width / 2.0, height / 2.0, film.sid_mm)
        parts += build_pelvis({1.0 if s == "left" else -1.0: placed[s].hip for s in placed}, k)
        points = {s: placed[s].ap for s in film.sides}
        laterality = "B" if len(film.sides) == 2 else film.sides[0][0].upper()
        orientation, view_position = "L\\F", "AP"
        if len(film.sides) == 2:
            sphere = np.mean(
                [p for s in placed for p in (placed[s].knee, placed[s].ankle)], axis=0
            )
        else:
            leg = placed[film.sides[0]]
            out = 1.0 if film.sides[0] == "left" else -1.0
            sphere = leg.knee + np.array([out * 85.0 * k, -60.0 * k, 0.0])
        sphere[2] = film.oid_mm
    else:
        side = film.sides[0]
        limb = _place_lat(built[side], side, film)
        placed = {side: limb}
        k = limb.scale
        source = (float(limb.knee[0]), float(limb.knee[1]), film.sid_mm)  # central ray
        points = {side: limb.lat}
        laterality = side[0].upper()
        orientation = "P\\F" if side == "right" else "A\\F"
        view_position = "RL" if side == "right" else "LL"
        forward = -1.0 if side == "right" else 1.0
        sphere = limb.knee + np.array([forward * 75.0 * k, 75.0 * k, 0.0])
        sphere[2] = film.oid_mm
    for limb in placed.values():
        parts += limb.parts
    if film.calibration_sphere:
        parts.append(
            Part.of("calibration sphere", Solid.ellipsoid(sphere, (12.5,) * 3, mu=MU["steel"]))
        )
    grid = DetectorGrid(film.shape, film.spacing_mm, source)
    landmarks: dict[Side, dict[str, tuple[float, float]]] = {}
    for side, named in points.items():
        xy = grid.project(np.array(list(named.values())))
        landmarks[side] = {n: (float(x), float(y)) for n, (x, y) in zip(named, xy, strict=True)}
        rows, cols = film.shape
        outside = [
            n for n, (x, y) in landmarks[side].items() if not (0 <= x <= cols and 0 <= y <= rows)
        ]
        if outside:
            raise PhantomError(
                f"landmark(s) {', '.join(outside)} of the {side} leg fall outside the "
                f"{rows} x {cols} film; make the film larger or the limb shorter"
            )
    sphere_xy = grid.project(sphere)[0] if film.calibration_sphere else None
    pixels = _expose(parts, grid, film, rng, laterality)
    return Film(
        pixels=pixels,
        film=film,
        limbs={s: leg.parameters for s, leg in placed.items()},
        landmarks=landmarks,
        magnification=film.magnification,
        laterality=laterality,
        patient_orientation=orientation,
        view_position=view_position,
        sphere_center=None if sphere_xy is None else (float(sphere_xy[0]), float(sphere_xy[1])),
    )


def _cassette_rows(film: FilmParameters, rng: np.random.Generator) -> tuple[F32, F32, F32]:
    """Per-row gain, offset and extra attenuation of the stitched cassettes."""
    rows = film.shape[0]
    row_mm = film.spacing_mm[0]
    y = (np.arange(rows) + 0.5) * row_mm
    n = film.cassettes
    gain = np.ones(rows, np.float32)
    offset = np.zeros(rows, np.float32)
    extra = np.zeros(rows, np.float32)
    height = rows * row_mm
    overlap = film.cassette_overlap_mm if n > 1 else 0.0
    each = (height + (n - 1) * overlap) / n
    gains = rng.normal(1.0, 0.025, n)
    offsets = rng.normal(0.0, 0.002, n)
    for i in range(n - 1, -1, -1):  # the upper cassette lies in front: it wins the overlap
        start = i * (each - overlap)
        inside = (y >= start) & (y < start + each)
        gain[inside] = gains[i]
        offset[inside] = offsets[i]
    for i in range(1, n):
        start = i * (each - overlap)
        band = (y >= start) & (y < start + overlap)
        extra[band] += 0.03  # the front cassette's cover and screen
        for edge in (start, start + overlap):
            extra[np.abs(y - edge) < max(0.6, row_mm)] += 0.06  # cassette frames
    return gain, offset, extra


def _expose(
    parts: list[Part],
    grid: DetectorGrid,
    film: FilmParameters,
    rng: np.random.Generator,
    laterality: str,
) -> NDArray[np.uint16]:
    rows, cols = film.shape
    pixel_mm = min(film.spacing_mm)
    texture_rng = np.random.default_rng(int(rng.integers(1 << 62)))
    fine, coarse = _soft_and_bone(parts)
    spongy = np.zeros((rows, cols), np.float32)
    line = render_parts(fine, grid, texture=spongy)
    used_rows = np.flatnonzero(spongy.any(axis=1))
    used_cols = np.flatnonzero(spongy.any(axis=0))
    if used_rows.size:
        box = (
            slice(int(used_rows[0]), int(used_rows[-1]) + 1),
            slice(int(used_cols[0]), int(used_cols[-1]) + 1),
        )
        window = spongy[box]
        window *= _trabecular((window.shape[0], window.shape[1]), pixel_mm, texture_rng)
        line[box] += window
    del spongy
    factor = max(1, round(1.0 / pixel_mm))
    if coarse:
        cgrid = grid.coarsened(factor)
        soft = render_parts(coarse, cgrid)
        if factor > 1:
            soft = _resize(soft, (cgrid.shape[0] * factor, cgrid.shape[1] * factor))
        line += soft[:rows, :cols]
    gain, offset, extra = _cassette_rows(film, rng)
    line += extra[:, None]
    if film.marker:
        letter = "L" if laterality == "L" else "R"
        glyph = _marker(letter, 18.0 / film.spacing_mm[0])
        r0 = max(0, round(40.0 / film.spacing_mm[0]))
        c0 = max(0, round(30.0 / film.spacing_mm[1]))
        if film.view == "LAT" or letter == "L":
            c0 = max(0, cols - c0 - glyph.shape[1]) if letter == "L" else c0
        r0 = min(r0 + round(film.collimation_mm / film.spacing_mm[0]), rows - glyph.shape[0])
        c_shift = round(film.collimation_mm / film.spacing_mm[1])
        c0 = min(max(c0 + (c_shift if c0 < cols / 2 else -c_shift), 0), cols - glyph.shape[1])
        window = line[r0 : r0 + glyph.shape[0], c0 : c0 + glyph.shape[1]]
        window += np.float32(MU["lead"] * 1.5) * glyph[: window.shape[0], : window.shape[1]]
    # primary: heel effect along the rows, cos^3 fall-off of the point source
    # (separable within 0.1 % at these angles: cos^3 ~ cos_x^3 cos_y^3)
    sx, sy, sid = grid.source
    x = (np.arange(cols) + 0.5) * film.spacing_mm[1] - sx
    y = (np.arange(rows) + 0.5) * film.spacing_mm[0] - sy
    heel = 1.0 - 0.12 * y / max(film.size_mm[0], 1.0)
    row_i0 = (heel * (sid / np.sqrt(sid**2 + y**2)) ** 3).astype(np.float32)
    col_i0 = ((sid / np.sqrt(sid**2 + x**2)) ** 3).astype(np.float32)
    if film.collimation_mm > 0:
        mr = round(film.collimation_mm / film.spacing_mm[0])
        mc = round(film.collimation_mm / film.spacing_mm[1])
        row_i0[:mr] = 0
        row_i0[rows - mr :] = 0
        col_i0[:mc] = 0
        col_i0[cols - mc :] = 0
    air = line < np.float32(0.05)
    dense = line > np.float32(_DENSE)  # metal, the sphere, lead: kept out of the window
    signal = np.exp(np.negative(line, out=line), out=line)  # the primary, in place
    signal *= row_i0[:, None]
    signal *= col_i0[None, :]
    sigma_px = film.scatter_sigma_mm / pixel_mm
    scatter = _blur(signal, sigma_px)
    scatter *= np.float32(film.scatter_fraction)
    signal += scatter
    del scatter
    noise = rng.standard_normal((rows, cols), dtype=np.float32)
    spread = np.maximum(signal, np.float32(0))
    spread *= np.float32(1.0 / film.photons)
    np.sqrt(spread, out=spread)
    spread *= noise
    del noise
    signal += spread
    del spread
    # the scintillator spreads the light of each quantum: signal and noise alike
    light_px = _SCINTILLATOR_MM / pixel_mm
    if light_px >= 0.3:
        signal = np.asarray(
            cv2.GaussianBlur(signal, (0, 0), light_px, borderType=cv2.BORDER_REFLECT),
            dtype=np.float32,
        )
    signal *= gain[:, None]
    signal += offset[:, None]
    np.maximum(signal, np.float32(1e-4), out=signal)
    log = np.log(signal, out=signal)
    np.negative(log, out=log)
    # latitude reduction: remove most of the large-scale thickness variation
    wide = _blur(log, 25.0 / pixel_mm)
    wide *= np.float32(0.55)
    log -= wide
    del wide
    if film.edge_enhancement > 0:
        detail = _blur(log, 1.5 / pixel_mm)
        np.subtract(log, detail, out=detail)
        detail *= np.float32(film.edge_enhancement)
        log += detail
        del detail
    step_r, step_c = max(1, rows // 400), max(1, cols // 200)
    sample = log[::step_r, ::step_c]
    sample_air = air[::step_r, ::step_c]
    body = ~(sample_air | dense[::step_r, ::step_c])
    high = float(np.percentile(sample[body] if body.mean() > 0.02 else sample, 99.7))
    if sample_air.mean() > 0.02:
        low = float(np.percentile(sample[sample_air], 70.0))
    else:
        low = float(np.percentile(sample, 1.0))
    high = max(high, low + 1e-3)
    maxval = (1 << film.bits_stored) - 1
    levels = (1 << max(12, film.bits_stored)) - 1
    log -= np.float32(low)
    log *= np.float32(levels / (_HEADROOM * (high - low)))
    # metal, the sphere and lead sit on the shoulder: brighter than any bone
    shoulder = np.float32(levels / _HEADROOM)
    np.maximum(log, shoulder, out=log, where=dense)
    np.add(log, np.float32(0.35) * shoulder, out=log, where=dense)
    np.clip(log, 0, levels, out=log)
    index = log.astype(np.uint16)
    tone = _tone_curve(levels, maxval)
    if film.photometric == "MONOCHROME1":
        tone = (np.uint16(maxval) - tone).astype(np.uint16)
    return tone[index]


_DENSE = 5.0
"""Line integral above which a pixel is metal, the sphere or lead (bone stays below)."""

_SCINTILLATOR_MM = 0.12
"""Spread (standard deviation) of the light in the detector's scintillator, mm."""

_HEADROOM = 2.0
"""The look-up table spans this many windows: bone fills the first, metal the rest."""


def _tone_curve(levels: int, maxval: int) -> NDArray[np.uint16]:
    """A film-like characteristic curve from window units to stored values.

    The window (0 to 1: air to the densest bone) takes the toe and the straight part
    of the curve up to 88 % of the range; above it a shoulder keeps metal the
    brightest with its edges sharp but its inside barely textured.
    """
    t = np.arange(levels + 1, dtype=float) * (_HEADROOM / levels)
    inside = np.minimum(t, 1.0)
    body = 0.88 * (0.25 * inside + 0.75 * inside**1.35)
    shoulder = 0.12 * (1.0 - np.exp(-np.maximum(t - 1.0, 0.0) / 0.25))
    return np.rint((body + shoulder) * maxval).astype(np.uint16)
