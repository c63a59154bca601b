"""Evaluate automatic detection on real films with references.

Runs :func:`alignment.detect.detect_landmarks` and :func:`alignment.measure_landmarks`
on every film of a folder of real films (laid out like ``shared/realfilms``: see its
README) and compares them with the references:

- the view found (``AP long-leg``, ``AP knee``, ``LAT knee`` or ``other``) and the
  sides found against the truth (``reference_landmarks.csv`` for the knee and long-leg
  films; every crop of ``crops/`` is a right leg on an AP long-leg film);
- per landmark, the distance to the reference point in mm and in units of the
  reference's ``uncertainty_px`` (sigma);
- per measure, the error against OAI's reading (``oai_hka.csv`` of ``longleg/`` and
  ``crops/``) or against the angle the reference landmarks give;
- how many legs came out ``ok`` / ``review`` / ``incomplete`` (a leg of the truth that
  detection did not report counts as ``not found``);
- every confident result that is wrong: a leg reported ``ok`` with a wrong view or
  side, a landmark more than :data:`WRONG_SIGMA` reference sigmas (and more than
  :data:`WRONG_MM_FLOOR` mm) from the reference, or a measure more than
  :data:`WRONG_DEG` degrees off; the worst of them is printed last.

Spacing: these JPEG/PNG exports carry no pixel spacing. Detection is run as a user
would run it, on the file alone (it finds or assumes its own spacing). Distances are
converted to mm with the spacing of :func:`film_spacing_mm`: the ruler spacing of
``reference_notes.md`` for the OAI long-leg films, 1.4 mm for the crops (their films'
1.27-1.51) and, for the knee films (no ruler reading), the reference's tibial tray or
plateau taken as 75 mm wide (AP) or 50 mm deep (LAT); those are approximate (+-15 %),
which a distance in sigma is not.

    python scripts/eval_real.py --only knee/ --overlays /tmp/ov --json /tmp/real.json
    python scripts/eval_real.py --mirror --quiet
    python scripts/eval_real.py --scale 2 --quiet
    python scripts/eval_real.py --gamma 1.4 --quiet
    python scripts/eval_real.py --rotate 4 --quiet
    python scripts/eval_real.py --spacing-factor 0.9 --quiet
    python scripts/eval_real.py --quiet --baseline /tmp/real.json

With ``--baseline FILE`` (the ``--json`` of an earlier run) the figures are also
printed against that run's on the same films: each measure group's count and mean
error, each landmark's count and median, and every film's measure that moved by more
than :data:`MOVED_DEG` or was measured in one run only, largest first. A change of
detection is judged on the films it moves, not on a mean alone.

With ``--mirror`` every film is read mirrored left-right, its references mirrored
with it (``x`` to ``columns - x``, left and right swapped, OAI's readings too): the
crops become left legs. Anatomy does not change with the side, so the figures should
not either; where they do, a step of detection depends on the film's layout. A side
marker ("L", "R") is mirrored too and still read as its letter, so the sides found on
marked knee films (and the landmarks compared on them) say nothing there. With
``--scale F`` every film is read on ``F`` times as many pixels along each axis (its
references scaled with it, and the spacing of the mm figures divided by it):
detection works in mm, so the figures should not change either.
With ``--gamma G`` every film's grey levels (from 0 to the film's largest) are raised
to the power ``G``, as another export window or processing curve would: the film
shows the same anatomy, so the figures should not change either (above 1 darkens the
soft tissue, below 1 brightens it and may saturate the bone).
With ``--rotate DEG`` every film is turned ``DEG`` degrees counter-clockwise as seen
(negative: clockwise) about its centre, onto a canvas that holds all of it, the
corners black, its references turned with it
(:func:`alignment.detect.framing.turning`), as a film scanned or exported askew would
be: the angles between a leg's axes do not change when it is turned.
With ``--spacing-factor F`` every film is read as if its header carried a pixel
spacing ``F`` times the one its mm figures are given in (:func:`film_spacing_mm`: the
ruler's reading on the long-leg films, a nominal one on the crops, the reference
tray's on the knee films), as a film with a wrong or an assumed spacing is: detection
looks for no ruler then, and angles do not depend on the spacing. Compare a run at
``F`` with one at 1 (``--baseline``), not with the films as they are, which
detection reads at a spacing of its own.

Exits 0 with ``skipped: no real films at ...`` where the folder is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from alignment.atomic import atomic_path, write_text_atomic
from alignment.batch import library_versions
from alignment.detect import detect_landmarks
from alignment.detect.framing import square_pixels, turn_image, turning
from alignment.io import ImageWarning, Radiograph, read_radiograph
from alignment.landmarks import validate_landmarks
from alignment.measures import measure_landmarks
from alignment.report import draw_overlay, encode_png, overlay_layout

WRONG_SIGMA = 3.0
"""A landmark farther than this many reference sigmas from the reference is wrong ..."""

WRONG_MM_FLOOR = 2.0
"""... if it is also farther than this (mm): a sharp reference point (sigma 2 px on a
0.3 mm film) should not call a 2 mm miss wrong."""

WRONG_DEG = 2.0
"""A measure more than this many degrees from its reference value is wrong."""

MEASURES = (
    "hka",
    "fta",
    "mldfa",
    "mpta",
    "ffc",
    "ftc",
    "ffc_anatomical",
    "ftc_anatomical",
    "lfc",
    "ltc",
)
"""The angles compared with the reference landmarks' (every one the reference gives)."""

FILM_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".dcm")

RULER_SPACING_MM = {"longleg/01924704_1x1.jpg": 0.763, "longleg/01959205_1x1.jpg": 1.325}
"""Ruler spacing of the long-leg films, from ``reference_notes.md``."""

NOMINAL_SPACING_MM = {"longleg": 2.0, "crops": 1.4}
"""Spacing of the other films of a folder, from the README (approximate)."""

TRAY_MM = {
    "AP": (("tibial_plateau_medial", "tibial_plateau_lateral"), 75.0),
    "LAT": (
        ("tibial_plateau_anterior", "tibial_plateau_posterior"),
        50.0,
    ),
}
"""Knee films: the reference's tray or plateau and the size assumed for it, mm."""


def default_realfilms() -> Path:
    """``shared/realfilms`` beside the repository root; for a git worktree kept in a
    folder beside the main checkout, beside that folder."""
    here = Path(__file__).resolve()
    candidates = [base / "shared" / "realfilms" for base in here.parents[2:4]]
    return next((c for c in candidates if c.is_dir()), candidates[0])


@dataclass(frozen=True)
class Film:
    """One film and what is known about it."""

    key: str  # path relative to the realfilms folder, '/'-separated
    path: Path
    kind: str  # 'AP long-leg', 'AP knee', 'LAT knee', 'other' or '' (unknown)
    sides: tuple[str, ...]  # sides on the film (truth)
    reference: pd.DataFrame = field(repr=False)  # reference landmarks of the film
    readings: Mapping[tuple[str, str], float] = field(default_factory=dict)  # OAI
    mirror: bool = False  # read mirrored left-right (the references are, with it)
    size: tuple[int, int] | None = None  # read resampled to (rows, columns) (likewise)
    gamma: float = 1.0  # grey levels raised to this power
    rotate: float = 0.0  # turned this many degrees counter-clockwise (likewise)
    spacing_factor: float | None = None  # read with this times film_spacing_mm as its own


OTHER_SIDE = {"left": "right", "right": "left"}


def transformed(
    film: Film,
    *,
    mirror: bool = False,
    scale: float = 1.0,
    gamma: float = 1.0,
    rotate: float = 0.0,
) -> Film:
    """`film` read mirrored left-right (`mirror`) and/or resampled on pixels `scale`
    times as many along each axis and/or turned `rotate` degrees (:func:`turning`),
    its references with it: their ``x`` mirrored (and their sides, the film's sides
    and its readings' sides swapped), their coordinates and sigmas scaled by the
    size's exact ratios, then turned; and/or its grey levels raised to the power
    `gamma` (:func:`regraded`)."""
    header = read_radiograph(film.path, pixels=False)
    rows, columns = header.rows, header.columns
    spacing = header.spacing_mm
    if rotate and spacing is not None and not square_pixels(spacing):
        # turned in pixels, such a film would be sheared in mm (detection never turns it)
        raise ValueError(f"{film.key}: its pixels are oblong {spacing} mm; it is not turned")
    size = (max(1, round(rows * scale)), max(1, round(columns * scale)))
    reference = film.reference.copy()
    swap = OTHER_SIDE if mirror else {"left": "left", "right": "right"}
    if len(reference):
        if mirror:
            reference["x"] = columns - reference["x"]
            reference["side"] = reference["side"].map(OTHER_SIDE)
        reference["x"] = reference["x"] * size[1] / columns
        reference["y"] = reference["y"] * size[0] / rows
        reference["uncertainty_px"] = reference["uncertainty_px"] * size[1] / columns
        if rotate:
            matrix, _ = turning(size, rotate)
            points = reference[["x", "y"]].to_numpy(float)
            reference[["x", "y"]] = points @ matrix[:, :2].T + matrix[:, 2]
    return dataclasses.replace(
        film,
        sides=tuple(sorted(swap[s] for s in film.sides)),
        reference=reference,
        readings={(swap[side], m): v for (side, m), v in film.readings.items()},
        mirror=mirror,
        size=None if size == (rows, columns) else size,
        gamma=gamma,
        rotate=rotate,
    )


def regraded(pixels: np.ndarray, gamma: float) -> np.ndarray:
    """`pixels` with their grey levels, from 0 to the largest, raised to the power
    `gamma`, in their own dtype.

    >>> regraded(np.array([0, 64, 255], np.uint8), 2.0).tolist()
    [0, 16, 255]
    """
    if gamma == 1.0:
        return pixels
    top = float(pixels.max())
    if top <= 0:
        return pixels
    values = top * np.power(np.clip(pixels.astype(np.float64), 0.0, None) / top, gamma)
    if np.issubdtype(pixels.dtype, np.integer):
        values = np.rint(values)
    return values.astype(pixels.dtype)


def read_film(film: Film) -> Radiograph:
    """The film's radiograph as detection is to see it: regraded, mirrored,
    resampled (area averaging to fewer pixels, linear interpolation to more) and turned
    (linear interpolation, black corners) where `film` says, its spacing, where it has
    one, with it; given `film.spacing_factor`, that times :func:`film_spacing_mm`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImageWarning)  # colour JPEGs read as grey
        radiograph = read_radiograph(film.path)
    pixels = radiograph.pixels
    if pixels is None:
        return radiograph
    pixels = regraded(pixels, film.gamma)
    if film.mirror:
        pixels = np.ascontiguousarray(pixels[:, ::-1])
    spacing = radiograph.spacing_mm
    rows, columns = radiograph.rows, radiograph.columns
    if film.size is not None:
        rows, columns = film.size
        shrink = rows * columns < radiograph.rows * radiograph.columns
        pixels = cv2.resize(
            pixels, (columns, rows), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        )
        if spacing is not None:
            spacing = (
                spacing[0] * radiograph.rows / rows,
                spacing[1] * radiograph.columns / columns,
            )
    if film.rotate:
        pixels, _ = turn_image(pixels, film.rotate, fill=0)
        rows, columns = pixels.shape
    if film.spacing_factor is not None:
        known = film_spacing_mm(film)
        if not math.isfinite(known):
            raise ValueError(f"{film.key}: no spacing known to read it {film.spacing_factor}x")
        spacing = (known * film.spacing_factor, known * film.spacing_factor)
    return dataclasses.replace(
        radiograph, pixels=pixels, rows=rows, columns=columns, spacing_mm=spacing
    )


def find_films(root: Path, only: Sequence[str] = ()) -> list[Film]:
    """Every film under `root` with what the references say about it."""
    ref_path = root / "reference_landmarks.csv"
    reference = pd.read_csv(ref_path) if ref_path.is_file() else pd.DataFrame()
    readings: dict[str, dict[tuple[str, str], float]] = {}
    for csv, prefix in (
        (root / "longleg" / "oai_hka.csv", "longleg/"),
        (
            root / "crops" / "oai_hka.csv",
            "crops/images/",
        ),
    ):
        if csv.is_file():
            for row in _rows(pd.read_csv(csv)):
                key = prefix + str(row["image"])
                readings.setdefault(key, {})[(str(row["side"]), str(row["measure"]))] = float(
                    row["value"]
                )
    films = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in FILM_SUFFIXES:
            continue
        key = path.relative_to(root).as_posix()
        if only and not any(s in key for s in only):
            continue
        ref = reference[reference["image"] == key] if len(reference) else reference
        sides: tuple[str, ...]
        if key.startswith("crops/"):
            kind, sides = "AP long-leg", ("right",)
        elif len(ref):
            views = set(ref["view"])
            long_leg = key.startswith("longleg/")
            kind = "LAT knee" if views == {"LAT"} else ("AP long-leg" if long_leg else "AP knee")
            sides = tuple(sorted(set(ref["side"])))
        elif key.startswith("longleg/"):
            kind, sides = "AP long-leg", ()
        else:
            kind, sides = "", ()
        films.append(
            Film(key, path, kind, sides, ref.reset_index(drop=True), readings.get(key, {}))
        )
    return films


def film_spacing_mm(film: Film) -> float:
    """The spacing (mm per pixel) used to express this film's distances in mm (on
    the film as read: resampled where `film` says)."""
    top = film.key.split("/")[0]
    known = RULER_SPACING_MM.get(film.key, NOMINAL_SPACING_MM.get(top))
    if known is not None:
        if film.size is None:
            return known
        return known * read_radiograph(film.path, pixels=False).columns / film.size[1]
    for view, (names, size_mm) in TRAY_MM.items():
        ref = film.reference[film.reference["view"] == view].set_index("landmark")
        if all(n in ref.index for n in names):
            a, b = (ref.loc[n, ["x", "y"]].to_numpy(float) for n in names)
            return size_mm / float(np.linalg.norm(a - b))
    return math.nan


def _angles(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``{(side, measure): value}`` of the angles in :data:`MEASURES` a table gives."""
    if table.empty:
        return {}
    results = measure_landmarks(table)
    ok = results[(results["status"] == "ok") & results["measure"].isin(MEASURES)]
    return {(str(r["side"]), str(r["measure"])): float(r["value"]) for r in _rows(ok)}


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _reference_table(ref: pd.DataFrame) -> pd.DataFrame:
    columns = ["image", "side", "view", "landmark", "x", "y"]
    return validate_landmarks(ref[columns].assign(reader="reference"))


def evaluate_film(film: Film) -> dict[str, Any]:
    """Detect, measure and compare one film; a JSON-ready record."""
    started = time.perf_counter()
    radiograph = read_film(film)
    result = detect_landmarks(radiograph, image=film.key)
    seconds = time.perf_counter() - started
    spacing = film_spacing_mm(film)
    found = result.landmarks
    legs = {leg.side: leg for leg in result.legs}
    kind = result.film_view
    record: dict[str, Any] = {
        "film": film.key,
        "kind_truth": film.kind,
        "kind_found": kind,
        "view_source": result.view_source,
        "view_confidence": result.view_confidence,
        "view_right": kind == film.kind if film.kind else None,
        "sides_truth": list(film.sides),
        "sides_found": sorted(legs),
        "side_source": result.side_source,
        "spacing_source": result.spacing_source,
        "spacing_found_mm": result.spacing_used_mm[0] if result.spacing_used_mm else None,
        "spacing_used_mm": spacing,
        "seconds": seconds,
        "legs": {s: {"status": leg.status, "reason": leg.reason} for s, leg in legs.items()},
        "why_nothing": [m.reason for m in result.missing if m.landmark == "*"],
        "landmarks": [],
        "measures": [],
        "detected": _rows(found[["side", "landmark", "x", "y"]]),
    }
    # landmarks against the reference
    for ref in _rows(film.reference):
        hit = found[(found["side"] == ref["side"]) & (found["landmark"] == ref["landmark"])]
        sigma = float(ref["uncertainty_px"])
        entry: dict[str, Any] = {
            "side": str(ref["side"]),
            "landmark": str(ref["landmark"]),
            "sigma_px": sigma,
            "found": bool(len(hit)),
        }
        if len(hit):
            d_px = float(np.hypot(hit["x"].iloc[0] - ref["x"], hit["y"].iloc[0] - ref["y"]))
            entry.update(
                px=d_px,
                mm=d_px * spacing,
                sigmas=d_px / sigma,
                confidence=float(hit["confidence"].iloc[0]),
            )
        record["landmarks"].append(entry)
    # measures against OAI and the reference landmarks
    detected = _angles(found.drop(columns=["confidence", "method", "review"]))
    truth: dict[tuple[str, str], tuple[float, str]] = {}
    if len(film.reference):
        for key, value in _angles(_reference_table(film.reference)).items():
            truth[key] = (value, "reference")
    for key, value in film.readings.items():
        truth[key] = (value, "oai")
    for (side, measure), (value, source) in sorted(truth.items()):
        got = detected.get((side, measure))
        record["measures"].append(
            {
                "side": side,
                "measure": measure,
                "source": source,
                "truth": value,
                "found": got,
                "error": None if got is None else got - value,
            }
        )
    record["wrong_ok"] = _wrong_ok(record)
    return record


def _wrong_ok(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What is wrong in the legs reported ``ok``, each with a badness for ranking."""
    wrong = []
    for side, leg in record["legs"].items():
        if leg["status"] != "ok":
            continue
        if record["view_right"] is False:
            wrong.append({"side": side, "what": f"view {record['kind_found']}", "badness": 99.0})
        if record["sides_truth"] and side not in record["sides_truth"]:
            wrong.append({"side": side, "what": "side", "badness": 99.0})
        for lm in record["landmarks"]:
            far = lm["found"] and lm["sigmas"] > WRONG_SIGMA and lm["mm"] > WRONG_MM_FLOOR
            if lm["side"] == side and far:
                what = f"{lm['landmark']} {lm['mm']:.1f} mm ({lm['sigmas']:.1f} sigma)"
                wrong.append({"side": side, "what": what, "badness": lm["sigmas"] / 3})
        for m in record["measures"]:
            if m["side"] == side and m["error"] is not None and abs(m["error"]) > WRONG_DEG:
                what = f"{m['measure']} off by {m['error']:+.1f} deg ({m['source']})"
                wrong.append({"side": side, "what": what, "badness": abs(m["error"]) / 2})
    return wrong


# --- summaries -----------------------------------------------------------------------


def _group(key: str) -> str:
    return key.split("/")[0]


def summarise(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Overall figures of a run (JSON-ready)."""
    summary: dict[str, Any] = {"films": len(records)}
    judged = [r for r in records if r["view_right"] is not None]
    summary["view_right"] = sum(bool(r["view_right"]) for r in judged)
    summary["view_judged"] = len(judged)
    summary["sides_right"] = sum(r["sides_found"] == sorted(r["sides_truth"]) for r in judged)
    statuses: dict[str, dict[str, int]] = {}
    for r in records:
        counts = statuses.setdefault(_group(r["film"]), {})
        for side in sorted(set(r["sides_truth"]) | set(r["legs"])):
            status = r["legs"][side]["status"] if side in r["legs"] else "not found"
            counts[status] = counts.get(status, 0) + 1
    summary["legs"] = statuses
    lms = [lm for r in records for lm in r["landmarks"]]
    per_landmark: dict[str, Any] = {}
    for name in sorted({lm["landmark"] for lm in lms}):
        these = [lm for lm in lms if lm["landmark"] == name]
        per_landmark[name] = _distance_stats(these)
    summary["landmarks"] = {"all": _distance_stats(lms), **per_landmark}
    measures: dict[str, Any] = {}
    for r in records:
        for m in r["measures"]:
            key = f"{m['measure']} vs {m['source']} ({_group(r['film'])})"
            measures.setdefault(key, []).append(m["error"])
    summary["measures"] = {k: _error_stats(v) for k, v in sorted(measures.items())}
    wrong = [dict(w, film=r["film"]) for r in records for w in r["wrong_ok"]]
    summary["wrong_ok"] = len(wrong)
    summary["wrong_ok_legs"] = len({(w["film"], w["side"]) for w in wrong})
    summary["worst_ok"] = max(wrong, key=lambda w: w["badness"]) if wrong else None
    sources: dict[str, int] = {}
    for r in records:
        sources[r["spacing_source"]] = sources.get(r["spacing_source"], 0) + 1
    summary["spacing_sources"] = sources
    ruler_known = [
        abs(r["spacing_found_mm"] / r["spacing_used_mm"] - 1.0)
        for r in records
        if r["film"] in RULER_SPACING_MM and r["spacing_found_mm"] is not None
    ]
    summary["spacing_error_max"] = max(ruler_known) if ruler_known else None
    summary["seconds_mean"] = float(np.mean([r["seconds"] for r in records])) if records else 0.0
    return summary


def _distance_stats(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    hits = [e for e in entries if e["found"]]
    mm = np.array([e["mm"] for e in hits], float)
    sig = np.array([e["sigmas"] for e in hits], float)
    out: dict[str, Any] = {"reference": len(entries), "found": len(hits)}
    if len(hits):
        out.update(
            median_mm=float(np.nanmedian(mm)),
            p90_mm=float(np.nanpercentile(mm, 90)),
            median_sigma=float(np.median(sig)),
            within_3_sigma=int((sig <= WRONG_SIGMA).sum()),
        )
    return out


def _error_stats(errors: Iterable[float | None]) -> dict[str, Any]:
    values = list(errors)
    got = np.array([e for e in values if e is not None], float)
    out: dict[str, Any] = {"n": len(values), "measured": len(got)}
    if len(got):
        out.update(
            mean_abs=float(np.mean(np.abs(got))),
            max_abs=float(np.max(np.abs(got))),
            within_1_5=int((np.abs(got) <= 1.5).sum()),
            within_2=int((np.abs(got) <= 2.0).sum()),
        )
    return out


# --- against a baseline ------------------------------------------------------------

MOVED_DEG = 0.3
"""Least change (degrees) of a film's measure error that ``--baseline`` lists."""

AGAINST_TABLES = (
    (
        "measures",
        "measure vs truth (group)",
        38,
        (("measured", "d"), ("mean_abs", ".2f"), ("within_1_5", "d")),
    ),
    ("landmarks", "landmark", 28, (("found", "d"), ("median_mm", ".1f"))),
)
"""What ``--baseline`` prints of each run's summary: the summary's key, the table's
title and name width, and its columns (the summary's key and format)."""


def read_baseline(path: Path) -> dict[str, Any]:
    """The JSON summary of an earlier run (``--json``), checked for what the comparison
    reads; :class:`ValueError` naming the file and what is wrong otherwise."""
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path}: not a readable JSON summary of eval_real.py ({error})"
        ) from error
    if not isinstance(payload, dict) or not {"summary", "films"} <= payload.keys():
        raise ValueError(f"{path}: not a JSON summary of eval_real.py (no summary and films)")
    try:
        summarise(payload["films"])  # what the comparison reads of each film
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: its films lack what eval_real.py records ({error!r}); "
            "run the baseline again with this script"
        ) from error
    return payload


def _measure_errors(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Any]:
    return {
        (r["film"], m["side"], f"{m['measure']} vs {m['source']}"): m["error"]
        for r in records
        for m in r["measures"]
    }


def moved_measures(
    before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The films' measures whose error moved by more than :data:`MOVED_DEG` between two
    runs' records, or that one run measured and the other did not; the largest moves
    first, then those measured in one run only.

    >>> film = {"film": "a.jpg", "measures": [
    ...     {"side": "right", "measure": "hka", "source": "oai", "error": 1.0}]}
    >>> later = {"film": "a.jpg", "measures": [
    ...     {"side": "right", "measure": "hka", "source": "oai", "error": -0.2}]}
    >>> moved_measures([film], [later])
    [{'film': 'a.jpg', 'side': 'right', 'measure': 'hka vs oai', 'before': 1.0, 'after': -0.2}]
    """
    old, new = _measure_errors(before), _measure_errors(after)
    rows = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is None:
            continue
        if a is None or b is None or abs(b - a) > MOVED_DEG:
            film, side, measure = key
            rows.append({"film": film, "side": side, "measure": measure, "before": a, "after": b})

    def order(row: Mapping[str, Any]) -> tuple[bool, float]:
        a, b = row["before"], row["after"]
        one_only = a is None or b is None
        return one_only, 0.0 if one_only else -abs(b - a)

    return sorted(rows, key=order)


def print_against(payload: Mapping[str, Any], baseline: Mapping[str, Any], out: Any) -> None:
    """This run's figures (`payload`, as ``--json`` writes it) beside `baseline`'s on
    the same films (a run with ``--only`` is compared with those films of a whole
    one)."""
    films = {r["film"] for r in payload["films"]}
    earlier = [r for r in baseline["films"] if r["film"] in films]
    before, after = summarise(earlier), payload["summary"]
    print("\n== against the baseline ==", file=out)
    # a baseline from before an option existed was read without it
    options = (
        ("mirror", False),
        ("scale", 1.0),
        ("gamma", 1.0),
        ("rotate", 0.0),
        ("spacing_factor", None),
    )
    for key, default in options:
        was = baseline.get(key, default)
        if was != payload[key]:
            print(
                f"note: the baseline was read with {key} {was}, this run with "
                f"{payload[key]}: its legs' sides or pixels are not these",
                file=out,
            )
    for key, title, width, columns in AGAINST_TABLES:
        heads = "".join(f"{column:>16}" for column, _ in columns)
        print(f"{title:{width + 2}}{heads}", file=out)
        for name in sorted(before[key].keys() | after[key].keys()):
            a, b = before[key].get(name, {}), after[key].get(name, {})
            cells = "".join(
                f"{_fmt(a.get(column), spec):>7} -> {_fmt(b.get(column), spec):<5}"
                for column, spec in columns
            )
            print(f"  {name:{width}}{cells}".rstrip(), file=out)
    print(
        f"wrong results marked ok: {before['wrong_ok']} -> {after['wrong_ok']}",
        file=out,
    )
    rows = moved_measures(earlier, payload["films"])
    print(f"measures moved by more than {MOVED_DEG:g} deg: {len(rows)}", file=out)
    for row in rows:
        print(
            f"  {row['film']} {row['side']} {row['measure']}: error "
            f"{_fmt(row['before'], '+.2f')} -> {_fmt(row['after'], '+.2f')}",
            file=out,
        )


# --- printing ------------------------------------------------------------------------


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def print_film(record: Mapping[str, Any], out: Any) -> None:
    """One block per film."""
    view = "ok" if record["view_right"] else ("WRONG" if record["view_right"] is False else "?")
    conf = record["view_confidence"]
    print(
        f"{record['film']}: view {record['kind_found'] or 'none'} "
        f"({record['view_source']}{'' if conf is None else f' {conf:.2f}'}) "
        f"truth {record['kind_truth'] or '?'} [{view}]; sides "
        f"{','.join(record['sides_found']) or 'none'} ({record['side_source']}) truth "
        f"{','.join(record['sides_truth']) or '?'}; {record['seconds']:.2f} s",
        file=out,
    )
    found = record["spacing_found_mm"]
    print(
        f"    spacing {record['spacing_source']} "
        f"{'-' if found is None else f'{found:.3f}'} mm (evaluation uses "
        f"{record['spacing_used_mm']:.3f})",
        file=out,
    )
    for side, leg in sorted(record["legs"].items()):
        reason = f" ({leg['reason']})" if leg["reason"] else ""
        print(f"    {side}: {leg['status']}{reason}", file=out)
    for reason in record["why_nothing"]:
        print(f"    nothing found: {reason}", file=out)
    for lm in record["landmarks"]:
        if lm["found"]:
            text = f"{lm['mm']:6.1f} mm {lm['sigmas']:5.1f} sigma  conf {lm['confidence']:.2f}"
        else:
            text = "   not found"
        print(f"    {lm['side']:5} {lm['landmark']:28} {text}", file=out)
    for m in record["measures"]:
        err = "not measured" if m["error"] is None else f"error {m['error']:+.1f} deg"
        print(
            f"    {m['side']:5} {m['measure']:15} {m['source']:9} {m['truth']:6.1f}  {err}",
            file=out,
        )
    for w in record["wrong_ok"]:
        print(f"    WRONG but ok: {w['side']} {w['what']}", file=out)


def print_summary(summary: Mapping[str, Any], out: Any) -> None:
    """The overall figures."""
    print("\n== overall ==", file=out)
    print(
        f"films {summary['films']}; view right {summary['view_right']}/{summary['view_judged']}, "
        f"sides right {summary['sides_right']}/{summary['view_judged']}; "
        f"mean {summary['seconds_mean']:.2f} s per film",
        file=out,
    )
    text = ", ".join(f"{k} {v}" for k, v in sorted(summary["spacing_sources"].items()))
    error = summary["spacing_error_max"]
    print(
        f"spacing: {text}; on the films with a ruler reading, largest error "
        f"{'-' if error is None else f'{100 * error:.1f} %'}",
        file=out,
    )
    for group, counts in summary["legs"].items():
        text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"legs ({group}): {text}", file=out)
    print(
        "landmark                     found/ref  median mm  p90 mm  median sigma  <=3 sigma",
        file=out,
    )
    for name, s in summary["landmarks"].items():
        print(
            f"  {name:28} {s['found']:4}/{s['reference']:<4} {_fmt(s.get('median_mm')):>9} "
            f"{_fmt(s.get('p90_mm')):>7} {_fmt(s.get('median_sigma')):>13} "
            f"{s.get('within_3_sigma', 0):>10}",
            file=out,
        )
    print(
        "measure vs truth (group)             measured/n  mean abs  max abs  <=1.5  <=2 deg",
        file=out,
    )
    for name, s in summary["measures"].items():
        print(
            f"  {name:36} {s['measured']:4}/{s['n']:<4} {_fmt(s.get('mean_abs'), '.2f'):>9} "
            f"{_fmt(s.get('max_abs')):>8} {s.get('within_1_5', 0):>6} {s.get('within_2', 0):>7}",
            file=out,
        )
    worst = summary["worst_ok"]
    print(
        f"wrong results marked ok: {summary['wrong_ok']} in {summary['wrong_ok_legs']} legs "
        f"(landmark > {WRONG_SIGMA:g} sigma and > {WRONG_MM_FLOOR:g} mm, measure > "
        f"{WRONG_DEG:g} deg, wrong view or side)",
        file=out,
    )
    if worst is not None:
        print(f"worst ok result: {worst['film']} {worst['side']}: {worst['what']}", file=out)
    # the figures move a little with the processor (numpy's SIMD kernels) and may with
    # the libraries that decode and process the films
    text = ", ".join(f"{k} {v}" for k, v in summary["versions"].items())
    print(f"versions: {text}", file=out)


# --- overlays ------------------------------------------------------------------------

_REF_RGB = (80, 220, 80)
_LINK_RGB = (255, 220, 0)


def write_overlay(film: Film, record: Mapping[str, Any], folder: Path) -> Path:
    """The toolkit's overlay of the detected landmarks (:func:`alignment.report.overlay_layout`,
    each named in a margin, knees cropped at full resolution) with the references added:
    a green ring of 3 sigma around each reference point, joined to its detected point by a
    yellow line; what was found and the truth are noted in the key."""
    radiograph = read_film(film)
    view = "LAT" if record["kind_found"] == "LAT knee" else "AP"
    detected = pd.DataFrame(record["detected"], columns=["side", "landmark", "x", "y"])
    detected = detected.assign(image=film.key, view=view)
    notes = [
        f"view {record['kind_found'] or 'none'} ({record['view_source']}), "
        f"truth {record['kind_truth']}",
        f"sides {', '.join(record['sides_found']) or 'none'} ({record['side_source']})",
        *(f"{side}: {leg['status']}" for side, leg in sorted(record["legs"].items())),
        *record["why_nothing"],
        "green rings: reference, 3 sigma",
        *(["film mirrored left-right, references with it"] if film.mirror else []),
        *([f"film resampled to {film.size[1]} x {film.size[0]} px"] if film.size else []),
        *([f"grey levels raised to the power {film.gamma:g}"] if film.gamma != 1.0 else []),
        *([f"film turned {film.rotate:g} deg, references with it"] if film.rotate else []),
        *(
            [f"read with {film.spacing_factor:g} times its spacing"]
            if film.spacing_factor is not None
            else []
        ),
    ]
    spacing = float(record["spacing_used_mm"])
    layout = overlay_layout(
        (radiograph.rows, radiograph.columns),
        detected,
        image=film.key,
        spacing_mm=(spacing, spacing),
        notes=notes,
    )
    rgb = draw_overlay(np.asarray(radiograph.pixels), layout, window=radiograph.window)
    found = {(d["side"], d["landmark"]): (d["x"], d["y"]) for d in record["detected"]}
    for panel in layout.panels:
        for r in _rows(film.reference):
            point = (float(r["x"]), float(r["y"]))
            if not panel.shows(point):
                continue
            at = panel.to_canvas(point)
            centre = (round(at[0] - 0.5), round(at[1] - 0.5))
            radius = max(3, round(WRONG_SIGMA * float(r["uncertainty_px"]) * panel.scale[0]))
            cv2.circle(rgb, centre, radius, _REF_RGB, 1, cv2.LINE_AA)
            hit = found.get((r["side"], r["landmark"]))
            if hit is not None and panel.shows(hit):
                end = panel.to_canvas(hit)
                cv2.line(rgb, centre, (round(end[0] - 0.5), round(end[1] - 0.5)), _LINK_RGB, 1,
                         cv2.LINE_AA)  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    name = film.key.replace("/", "__").rsplit(".", 1)[0]
    name += ("__mirrored" if film.mirror else "") + (f"__{film.size[1]}px" if film.size else "")
    name += f"__gamma{film.gamma:g}" if film.gamma != 1.0 else ""
    name += f"__rotated{film.rotate:g}" if film.rotate else ""
    name += f"__spacing{film.spacing_factor:g}" if film.spacing_factor is not None else ""
    path = folder / (name + ".png")
    with atomic_path(path) as temporary:
        temporary.write_bytes(encode_png(rgb))
    return path


def _run_one(film: Film, overlays: Path | None) -> dict[str, Any]:
    record = evaluate_film(film)
    if overlays is not None:
        write_overlay(film, record, overlays)
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--realfilms",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of real films with references (default: shared/realfilms beside the "
        "repository)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="only films whose path (relative to the folder) contains this; repeatable",
    )
    parser.add_argument("--overlays", type=Path, metavar="DIR", help="write overlays here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write a JSON summary here")
    parser.add_argument("--jobs", type=int, default=1, help="films processed in parallel")
    parser.add_argument("--quiet", action="store_true", help="print only the overall figures")
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="read every film mirrored left-right, its references with it",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="F",
        help="read every film resampled on F times as many pixels along each axis, its "
        "references with it (default 1)",
    )
    parser.add_argument(
        "--gamma",
        type=float,
        default=1.0,
        metavar="G",
        help="read every film with its grey levels raised to the power G (default 1)",
    )
    parser.add_argument(
        "--rotate",
        type=float,
        default=0.0,
        metavar="DEG",
        help="read every film turned DEG degrees counter-clockwise (negative: clockwise), "
        "its references with it (default 0)",
    )
    parser.add_argument(
        "--spacing-factor",
        type=float,
        default=None,
        metavar="F",
        help="read every film as if its header carried F times the spacing its mm figures "
        "are given in (default: the film's own header)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="also print the figures against this earlier run's --json summary",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error(f"--scale must be positive, not {args.scale}")
    if args.gamma <= 0:
        parser.error(f"--gamma must be positive, not {args.gamma}")
    if args.spacing_factor is not None and args.spacing_factor <= 0:
        parser.error(f"--spacing-factor must be positive, not {args.spacing_factor}")
    baseline = None
    if args.baseline is not None:
        try:
            baseline = read_baseline(args.baseline)
        except ValueError as error:
            parser.error(str(error))
    root = args.realfilms or default_realfilms()
    if not root.is_dir():
        print(f"skipped: no real films at {root}")
        return 0
    films = find_films(root, args.only)
    if args.mirror or args.scale != 1.0 or args.gamma != 1.0 or args.rotate:
        films = [
            transformed(
                f, mirror=args.mirror, scale=args.scale, gamma=args.gamma, rotate=args.rotate
            )
            for f in films
        ]
    if args.spacing_factor is not None:
        films = [dataclasses.replace(f, spacing_factor=args.spacing_factor) for f in films]
    if not films:
        print(f"skipped: no film under {root} matches {args.only}")
        return 0
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            records = list(pool.map(_run_one, films, [args.overlays] * len(films)))
    else:
        records = [_run_one(f, args.overlays) for f in films]
    if not args.quiet:
        for record in records:
            print_film(record, sys.stdout)
    # the run's own environment, not a figure of its films: a baseline's summary,
    # worked out again from its records, must not take this run's versions
    summary = {**summarise(records), "versions": library_versions()}
    print_summary(summary, sys.stdout)
    payload = {
        "realfilms": str(root),
        "mirror": args.mirror,
        "scale": args.scale,
        "gamma": args.gamma,
        "rotate": args.rotate,
        "spacing_factor": args.spacing_factor,
        "summary": summary,
        "films": records,
    }
    if baseline is not None:
        print_against(payload, baseline, sys.stdout)
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(payload, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
