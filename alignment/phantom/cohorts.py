"""Synthetic cohorts: many patients, their films, true landmarks and measures.

:func:`plan_cohort` draws the patients of a cohort (limb parameters, films, made-up
identifiers) from a seed; :func:`generate_phantoms` renders and writes them into a
folder with ``landmarks.csv`` and ``truth.csv`` (and, for a study cohort,
``groups.csv`` and ``scores.csv``). Everything is a function of the seed: case ``i``
draws from ``numpy.random.SeedSequence([seed, i])``, the cohort's group statistics from
``SeedSequence([seed, 10**6])``.

Cohorts (:data:`COHORTS`):

``mixed``
    Native and replaced knees of every alignment, both legs annotated on a bilateral
    AP long-leg film, plus a lateral film of one knee. Films vary the way clinical
    files do: DX or CR, MONOCHROME1 or 2, 12 to 16 bits, some calibrated.
``psi-vs-ci``
    The source study: 47 patient-specific-instrumentation (PSI) and 53
    conventional-instrumentation (CI) total knee arthroplasties, an AP long-leg and a
    lateral knee film each, landmarks of the operated leg only. The absolute
    deviations of FTA, FFC, FTC, LFC and LTC from their targets (174, 90, 90, 90 and
    87 degrees) have exactly the study's group means and standard deviations
    (:data:`PSI_VS_CI`; an SD reported as 0.0 is taken as 0.05). With ``n`` other than
    100 the groups keep the study's proportions (``round(47 n / 100)`` PSI, the rest
    CI). ``scores.csv`` holds HSS, VAS, WOMAC and ROM before surgery and at 3, 6, 12
    and 18 months, improving over time, drawn from the same distribution in both
    groups.

Examples
--------
>>> cases = plan_cohort(4, seed=1, cohort="psi-vs-ci")
>>> [c.group for c in cases].count("PSI"), len(cases)
(2, 4)
>>> cases[0].case
'case001'
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alignment.atomic import write_text_atomic
from alignment.csvtext import csv_text
from alignment.errors import PhantomError
from alignment.landmarks import LandmarkSet, landmark_table, write_landmarks
from alignment.options import COHORTS
from alignment.phantom.parameters import FilmParameters, LimbParameters
from alignment.phantom.render import render_film
from alignment.phantom.writers import SUFFIX, FakePatient, fake_patient, write_film
from alignment.vocabulary import Side

__all__ = [
    "COHORTS",
    "PSI_VS_CI",
    "SCORE_MONTHS",
    "TARGETS",
    "Case",
    "PhantomSet",
    "generate_phantoms",
    "plan_cohort",
]

logger = logging.getLogger(__name__)

TARGETS: dict[str, float] = {"fta": 174.0, "ffc": 90.0, "ftc": 90.0, "lfc": 90.0, "ltc": 87.0}
"""Default targets of the spec, degrees; deviations are measured from them."""

PSI_VS_CI: dict[str, dict[str, tuple[float, float]]] = {
    "PSI": {
        "fta": (1.0, 0.3),
        "ffc": (0.4, 0.1),
        "ftc": (0.2, 0.05),
        "lfc": (4.0, 0.9),
        "ltc": (0.5, 0.1),
    },
    "CI": {
        "fta": (2.2, 0.7),
        "ffc": (1.3, 0.5),
        "ftc": (1.2, 0.3),
        "lfc": (8.8, 1.3),
        "ltc": (0.9, 0.3),
    },
}
"""Absolute deviation ``(mean, SD)`` in degrees per group and measure (source study)."""

SCORE_MONTHS: tuple[int, ...] = (0, 3, 6, 12, 18)
"""Follow-up times of ``scores.csv``, months after surgery (0 = before surgery)."""

# score: (means per month, SDs per month, lowest, highest, decimals)
_SCORES: dict[str, tuple[tuple[float, ...], tuple[float, ...], float, float, int]] = {
    "HSS": ((55, 74, 82, 87, 88), (8, 7, 6, 5, 5), 0, 100, 0),
    "VAS": ((6.8, 3.2, 2.2, 1.6, 1.4), (1.2, 1.0, 0.9, 0.8, 0.8), 0, 10, 1),
    "WOMAC": ((62, 38, 27, 20, 18), (10, 9, 8, 7, 7), 0, 96, 0),
    "ROM": ((95, 104, 110, 114, 115), (12, 10, 9, 8, 8), 0, 150, 0),
}

Cohort = Literal["mixed", "psi-vs-ci"]


@dataclass(frozen=True)
class Case:
    """One synthetic patient: limbs, films and identifiers.

    Attributes
    ----------
    case : str
        Case identifier shared by the patient's films (``case001`` ...).
    group : str
        Study group (``PSI`` or ``CI``), ``""`` outside a study cohort.
    limbs : dict of side to LimbParameters
    annotated : tuple of side
        Legs whose landmarks are written (the operated leg in a study cohort).
    films : tuple of FilmParameters
        AP long-leg film first, then the lateral knee film.
    patient : FakePatient
    modality : {'DX', 'CR'}
    seed : int
        Seed of the films' noise.
    """

    case: str
    group: str
    limbs: dict[Side, LimbParameters]
    annotated: tuple[Side, ...]
    films: tuple[FilmParameters, ...]
    patient: FakePatient
    modality: Literal["DX", "CR"]
    seed: int


@dataclass(frozen=True)
class PhantomSet:
    """What :func:`generate_phantoms` wrote.

    Attributes
    ----------
    folder : pathlib.Path
    images : tuple of pathlib.Path
        The films, in case order (AP then LAT).
    landmarks : pathlib.Path
        ``landmarks.csv``.
    truth : pathlib.Path
        ``truth.csv``.
    groups, scores : pathlib.Path or None
        ``groups.csv`` and ``scores.csv`` of a study cohort.
    """

    folder: Path
    images: tuple[Path, ...]
    landmarks: Path
    truth: Path
    groups: Path | None
    scores: Path | None


def _exact(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    """`n` positive values with sample mean `mean` and sample SD `sd` (ddof=1), exactly."""
    if n == 1:
        return np.array([mean])
    for _ in range(1000):
        s2 = math.log(1.0 + (sd / mean) ** 2)
        raw = rng.lognormal(math.log(mean) - s2 / 2.0, math.sqrt(s2), n)
        z = (raw - raw.mean()) / raw.std(ddof=1)
        values = mean + sd * z
        if values.min() > 0:
            return values
    raise PhantomError(
        f"cannot draw positive values with mean {mean} and SD {sd}"
    )  # pragma: no cover


def _native(rng: np.random.Generator) -> LimbParameters:
    femur = float(np.clip(rng.normal(440.0, 25.0), 370.0, 510.0))
    return LimbParameters(
        mldfa_deg=float(np.clip(rng.normal(87.5, 2.0), 82.0, 94.0)),
        mpta_deg=float(np.clip(rng.normal(86.5, 2.0), 80.0, 93.0)),
        jlca_deg=float(np.clip(rng.normal(0.8, 1.0), -2.0, 5.0)),
        ama_deg=float(np.clip(rng.normal(6.0, 1.0), 3.5, 8.5)),
        femur_length_mm=femur,
        tibia_length_mm=float(femur * 0.84 + rng.normal(0.0, 8.0)),
        tibial_slope_deg=float(np.clip(rng.normal(6.0, 2.0), 0.0, 12.0)),
        stance_mm=float(rng.uniform(70.0, 110.0)),
    )


def _postop(
    rng: np.random.Generator, deviations: dict[str, float] | None = None
) -> LimbParameters:
    """A replaced knee; `deviations` are absolute deviations (else drawn at random)."""
    native = _native(rng)
    for _ in range(100):
        if deviations is None:
            signed = {
                m: float(rng.normal(0.0, s))
                for m, s in (("fta", 2.5), ("ffc", 1.5), ("ftc", 1.5), ("lfc", 2.5), ("ltc", 2.0))
            }
        else:
            signed = {m: v * (1.0 if rng.random() < 0.5 else -1.0) for m, v in deviations.items()}
        angles = {m: TARGETS[m] + signed[m] for m in TARGETS}
        ama = 360.0 - angles["ffc"] - angles["ftc"] - angles["fta"]
        if not 2.0 <= ama <= 11.0 and deviations is not None:
            angles["fta"] = TARGETS["fta"] - signed["fta"]  # the other sign, same |deviation|
            ama = 360.0 - angles["ffc"] - angles["ftc"] - angles["fta"]
        if 2.0 <= ama <= 11.0:
            return LimbParameters.postop(
                fta_deg=angles["fta"],
                ffc_deg=angles["ffc"],
                ftc_deg=angles["ftc"],
                lfc_deg=angles["lfc"],
                ltc_deg=angles["ltc"],
                femur_length_mm=native.femur_length_mm,
                tibia_length_mm=native.tibia_length_mm,
                stance_mm=native.stance_mm,
            )
    raise PhantomError("cannot draw a plausible replaced knee")  # pragma: no cover


def _films(
    ap: FilmParameters, lat: FilmParameters, downscale: float
) -> tuple[FilmParameters, ...]:
    if downscale != 1.0:
        return (ap.downscaled(downscale), lat.downscaled(downscale))
    return (ap, lat)


def plan_cohort(
    n: int, *, seed: int = 0, cohort: Cohort = "mixed", downscale: float = 1.0
) -> list[Case]:
    """Draw the patients of a synthetic cohort.

    Parameters
    ----------
    n : int
        Number of patients (>= 1). For ``psi-vs-ci``, 100 gives the study's 47 + 53.
    seed : int, optional
        Everything drawn is a function of it.
    cohort : {'mixed', 'psi-vs-ci'}, optional
        See the module docstring.
    downscale : float, optional
        Pixels this many times larger than the clinical defaults (0.2 mm), for small
        fast films.

    Returns
    -------
    list of Case

    Raises
    ------
    PhantomError
        For an unknown cohort or a non-positive `n`.
    """
    if cohort not in COHORTS:
        raise PhantomError(f"unknown cohort {cohort!r}; expected one of {', '.join(COHORTS)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise PhantomError(f"n must be a positive integer, got {n!r}")
    width = max(3, len(str(n)))
    groups: list[str] = [""] * n
    deviations: list[dict[str, float] | None] = [None] * n
    if cohort == "psi-vs-ci":
        study = np.random.default_rng(np.random.SeedSequence([seed, 10**6]))
        n_psi = round(47 * n / 100)
        labels = np.array(["PSI"] * n_psi + ["CI"] * (n - n_psi))
        groups = [str(g) for g in study.permutation(labels)]
        for group, stats in PSI_VS_CI.items():
            members = [i for i, g in enumerate(groups) if g == group]
            if not members:
                continue
            drawn = {m: _exact(study, len(members), *stats[m]) for m in stats}
            for j, i in enumerate(members):
                deviations[i] = {m: float(drawn[m][j]) for m in stats}
    cases = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        name = f"case{i + 1:0{width}d}"
        patient = fake_patient(rng, name)
        if cohort == "psi-vs-ci":
            operated: Side = "right" if rng.random() < 0.5 else "left"
            other: Side = "left" if operated == "right" else "right"
            limbs = {operated: _postop(rng, deviations[i]), other: _native(rng)}
            annotated: tuple[Side, ...] = (operated,)
            ap = FilmParameters.long_leg()
            lat = FilmParameters.lateral_knee(operated)
            modality: Literal["DX", "CR"] = "DX"
        else:
            limbs = {
                s: _postop(rng) if rng.random() < 0.35 else _native(rng) for s in ("right", "left")
            }
            annotated = ("right", "left")
            replaced = [s for s in annotated if limbs[s].implant]
            knee: Side = replaced[0] if replaced else ("right" if rng.random() < 0.5 else "left")
            options: dict[str, Any] = {
                "photometric": "MONOCHROME1" if rng.random() < 0.2 else "MONOCHROME2",
                "bits_stored": int(rng.choice([12, 14, 16])),
                "calibrated": bool(rng.random() < 0.2),
            }
            ap = FilmParameters.long_leg(**options)
            lat = FilmParameters.lateral_knee(knee, **options)
            modality = "CR" if rng.random() < 0.25 else "DX"
        cases.append(
            Case(
                case=name,
                group=groups[i],
                limbs=limbs,
                annotated=annotated,
                films=_films(ap, lat, downscale),
                patient=patient,
                modality=modality,
                seed=int(rng.integers(0, 2**31)),
            )
        )
    return cases


SCORE_COLUMNS = ("subject", "group", "time", "instrument", "score")
"""Columns of ``scores.csv``: the statistics layer's vocabulary (``alignment followup``
reads it as it is); ``subject`` is the case, ``time`` months after surgery."""


def _scores(cases: list[Case], seed: int) -> pd.DataFrame:
    """Long table of follow-up scores, columns :data:`SCORE_COLUMNS`."""
    rows = []
    for index, case in enumerate(cases):
        rng = np.random.default_rng(np.random.SeedSequence([seed, index, 7]))
        for score, (means, sds, low, high, decimals) in _SCORES.items():
            latent = rng.normal()
            for month, mean, sd in zip(SCORE_MONTHS, means, sds, strict=True):
                value = mean + sd * (0.6 * latent + 0.8 * rng.normal())
                clipped = round(float(np.clip(value, low, high)), decimals)
                rows.append((case.case, case.group, month, score, clipped))
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def _truth(table: pd.DataFrame) -> pd.DataFrame:
    """The measures the engine gives on the true landmarks: ``image, side, view,
    measure, value``, computed values only."""
    from alignment import measure_landmarks

    results = measure_landmarks(table)
    computed = results[results["status"] == "ok"]
    return computed[["image", "side", "view", "measure", "value"]].reset_index(drop=True)


def generate_phantoms(
    out: str | os.PathLike[str],
    *,
    n: int,
    seed: int = 0,
    cohort: Cohort = "mixed",
    fmt: Literal["dicom", "png", "tiff"] = "dicom",
    downscale: float = 1.0,
    compression: Literal["none", "rle", "jpeg-ls"] = "none",
    progress: Callable[[int, int], None] | None = None,
) -> PhantomSet:
    """Render a synthetic cohort into `out`, with its ground truth.

    Writes the films (``CASE_AP.dcm`` and ``CASE_LAT.dcm``, or ``.png``/``.tif`` with
    their ``.spacing.json`` sidecars), ``landmarks.csv`` (the canonical landmark CSV
    of the true, projected landmarks), ``truth.csv`` (``image, side, view, measure,
    value``: what the measurement engine gives on those landmarks) and, for a study
    cohort, ``groups.csv`` (``case, group``) and ``scores.csv`` (``subject, group, time,
    instrument, score``; time in months).

    Parameters
    ----------
    out : path-like
        The folder; made if missing. Files of the same names are replaced.
    n, seed, cohort, downscale
        See :func:`plan_cohort`.
    fmt : {'dicom', 'png', 'tiff'}, optional
        Image format.
    compression : {'none', 'rle', 'jpeg-ls'}, optional
        DICOM transfer syntax (see :func:`~alignment.phantom.write_film`).
    progress : callable, optional
        Called as ``progress(done, total)`` after each case.

    Returns
    -------
    PhantomSet

    Raises
    ------
    PhantomError
        For an unknown cohort or format, or an invalid `n`.
    """
    if fmt not in SUFFIX:
        raise PhantomError(f"unknown format {fmt!r}; expected one of {', '.join(SUFFIX)}")
    cases = plan_cohort(n, seed=seed, cohort=cohort, downscale=downscale)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    images: list[Path] = []
    sets: list[LandmarkSet] = []
    for done, case in enumerate(cases, start=1):
        seeds = np.random.SeedSequence(case.seed).spawn(len(case.films))
        for film_parameters, film_seed in zip(case.films, seeds, strict=True):
            film = render_film(film_parameters, case.limbs, seed=film_seed)
            name = f"{case.case}_{film_parameters.view}{SUFFIX[fmt]}"
            path = write_film(
                film,
                folder / name,
                patient=case.patient,
                case=case.case,
                modality=case.modality,
                compression=compression,
            )
            images.append(path)
            sets += film.landmark_sets(name, case=case.case, sides=case.annotated)
        logger.info("case %s written (%d of %d)", case.case, done, len(cases))
        if progress is not None:
            progress(done, len(cases))
    table = landmark_table(sets)
    landmarks = write_landmarks(table, folder / "landmarks.csv")
    truth = folder / "truth.csv"
    write_text_atomic(truth, csv_text(_truth(table)))
    groups = scores = None
    if cohort == "psi-vs-ci":
        groups = folder / "groups.csv"
        frame = pd.DataFrame({"case": [c.case for c in cases], "group": [c.group for c in cases]})
        write_text_atomic(groups, csv_text(frame))
        scores = folder / "scores.csv"
        write_text_atomic(scores, csv_text(_scores(cases, seed)))
    return PhantomSet(folder, tuple(images), landmarks, truth, groups, scores)
