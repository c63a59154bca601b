"""Small phantom films for the detection tests (rendered once per session), and the
folder of real films with ``scripts/eval_real.py`` loaded to read it."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from scipy import ndimage

from alignment.detect import detect_landmarks
from alignment.detect.shaft import ShaftAxis
from alignment.io import ImageGeometry, ImageWarning, Radiograph, read_radiograph
from alignment.phantom import FilmParameters, LimbParameters, render_film
from alignment.phantom.render import Film
from alignment.vocabulary import Side

DOWNSCALE = 2.5  # 0.5 mm pixels


def diaphysis(
    centre: tuple[float, float], top: float, bottom: float, *, lean: float = 0.0
) -> ShaftAxis:
    """A diaphysis read as a well-fitted line through `centre` (mm), from `top` to
    `bottom` (mm), leaning `lean` (``dx/dy``): what a step that only follows the line
    asks of a :class:`ShaftAxis`."""
    direction = np.array([lean, 1.0]) / np.hypot(lean, 1.0)
    return ShaftAxis(np.array(centre), direction, 0.3, 20, 20, 25.0, 5.0, top, bottom)


def ruler_film(
    spacing_mm: float, *, rows: int = 1600, cols: int = 500, horizontal: bool = False
) -> np.ndarray:
    """A soft-tissue-like film with a cm ruler: 1 cm ticks long, 5 mm ticks short,
    blurred and noisy, along the middle (vertical) or the top (horizontal)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:rows, 0:cols]
    image = 0.3 + 0.2 * np.exp(-(((xx - cols * 0.3) / (cols * 0.15)) ** 2))
    image += 0.15 * np.exp(-(((xx - cols * 0.3) / 12.0) ** 2))  # a bone-like band
    along = (xx if horizontal else yy) * spacing_mm  # mm along the ruler
    across = yy if horizontal else xx
    centre = 40 if horizontal else int(cols * 0.6)
    phase = np.mod(along + 3.0, 5.0)
    tick = np.abs(phase - 2.5) > 2.5 - 0.6  # 0.6 mm wide ticks every 5 mm
    long = np.mod(along + 3.0, 10.0) < 5.0
    length = np.where(long, 12, 6) / spacing_mm
    image += 0.5 * (tick & (np.abs(across - centre) < length))
    image = ndimage.gaussian_filter(image, 0.7) + rng.normal(0, 0.03, image.shape)
    return (np.clip(image, 0, 1) * 4000).astype(np.uint16)


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


# real films: scripts/eval_real.py finds them; every test that reads them skips where
# the folder is absent
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_real.py"
OAI_SPACING_MM = 0.763  # the digital OAI film's cm ruler


def _load_script() -> ModuleType:
    """``scripts/eval_real.py`` as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("eval_real", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


eval_real = _load_script()


@pytest.fixture(scope="session")
def realfilms() -> Path:
    """The folder of real films (skips the test where it is absent)."""
    root: Path = eval_real.default_realfilms()
    if not root.is_dir():
        pytest.skip(f"no real films at {root}")
    return root


def evaluated(realfilms: Path, key: str) -> dict[str, Any]:
    """``eval_real``'s record of the film `key` (skips when it is absent)."""
    films = {f.key: f for f in eval_real.find_films(realfilms, only=[key])}
    if key not in films:
        pytest.skip(f"{key} is absent")
    record: dict[str, Any] = eval_real.evaluate_film(films[key])
    return record


def oai_film(realfilms: Path) -> Radiograph:
    """The digital OAI long-leg film at its ruler spacing (skips when absent)."""
    path = realfilms / "longleg" / "01924704_1x1.jpg"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)
        return read_radiograph(path, spacing_mm=OAI_SPACING_MM)


def assert_crop_hka_for_review(realfilms: Path, case: str, within_deg: float) -> None:
    """The OAI crop `case` (``crops/images/{case}_1x1.jpg``) gets an HKA within
    `within_deg` of OAI's reading, and no leg of it is ``ok`` (skips when absent)."""
    record = evaluated(realfilms, f"crops/images/{case}_1x1.jpg")
    hka = [m for m in record["measures"] if m["measure"] == "hka"]
    assert hka and hka[0]["error"] is not None and abs(hka[0]["error"]) < within_deg, hka
    assert all(leg["status"] != "ok" for leg in record["legs"].values()), record["legs"]
