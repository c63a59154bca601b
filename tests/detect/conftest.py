"""Small phantom films for the detection tests (rendered once per session)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from scipy import ndimage

from alignment.detect import detect_landmarks
from alignment.io import ImageGeometry, Radiograph
from alignment.phantom import FilmParameters, LimbParameters, render_film
from alignment.phantom.render import Film
from alignment.vocabulary import Side

DOWNSCALE = 2.5  # 0.5 mm pixels


def as_radiograph(film: Film, *, name: str = "film.dcm", **changes: Any) -> Radiograph:
    """The film as :func:`alignment.io.read_radiograph` would give it (bone bright,
    spacing corrected by the magnification)."""
    row_mm, col_mm = film.spacing_mm
    m = film.magnification
    radiograph = Radiograph(
        name,
        "DICOM",
        film.pixels.shape[0],
        film.pixels.shape[1],
        film.bone_bright(),
        (row_mm / m, col_mm / m),
        "imager_pixel_spacing/ermf",
        m,
        film.laterality,
        film.view_position,
        film.patient_orientation,
        film.film.photometric,
        None,
        0,
        1,
        film.film.bits_stored,
        None,
        ImageGeometry.planar((row_mm / m, col_mm / m)),
        {},
    )
    return dataclasses.replace(radiograph, **changes) if changes else radiograph


@pytest.fixture(scope="session")
def ap_film() -> Film:
    """Bilateral AP film: replaced right knee, native left knee, MONOCHROME1."""
    film = FilmParameters.long_leg(photometric="MONOCHROME1").downscaled(DOWNSCALE)
    limbs: dict[Side, LimbParameters] = {
        "right": LimbParameters.postop(fta_deg=176.0, ffc_deg=91.0, ftc_deg=89.0),
        "left": LimbParameters.from_hka(176.0),
    }
    return render_film(film, limbs, seed=7001)


@pytest.fixture(scope="session")
def ap_result(ap_film):
    from alignment.detect import detect_landmarks

    return detect_landmarks(as_radiograph(ap_film))


def errors_mm(film: Film, table) -> dict[tuple[str, str], float]:
    """Distance (mm, in the landmark plane) of each detected landmark from the truth."""
    row_mm, col_mm = film.object_spacing_mm
    out = {}
    for row in table.itertuples():
        truth = film.landmarks[row.side][row.landmark]
        out[(row.side, row.landmark)] = float(
            np.hypot((row.x - truth[0]) * col_mm, (row.y - truth[1]) * row_mm)
        )
    return out


def resampled(radiograph: Radiograph, factor: float) -> Radiograph:
    """The same film sampled on pixels `factor` times as large (linear interpolation)."""
    assert radiograph.spacing_mm is not None and radiograph.pixels is not None
    pixels = ndimage.zoom(radiograph.pixels.astype(np.float32), 1 / factor, order=1)
    spacing = (radiograph.spacing_mm[0] * factor, radiograph.spacing_mm[1] * factor)
    return dataclasses.replace(
        radiograph,
        pixels=pixels.astype(radiograph.pixels.dtype),
        rows=pixels.shape[0],
        columns=pixels.shape[1],
        spacing_mm=spacing,
    )


def landmarks_mm(radiograph: Radiograph) -> dict[tuple[str, str], np.ndarray]:
    """Every detected landmark's (x, y) in mm, keyed by (side, landmark)."""
    assert radiograph.spacing_mm is not None
    row_mm, col_mm = radiograph.spacing_mm
    table = detect_landmarks(radiograph).landmarks
    keys = zip(table["side"].astype(str), table["landmark"].astype(str), strict=True)
    return dict(zip(keys, table[["x", "y"]].to_numpy(float) * [col_mm, row_mm], strict=True))
