"""Speed of the review app on a 3000 x 9000 16-bit film, each figure beside its baseline.

- first paint: from the browser's request of the page (opened on the film) to the
  film's overview tiles drawn, on a server just started (which begins decoding the first
  film as it starts, as it does for the next film whenever one is opened); baseline:
  decoding the film (``read_radiograph``) in this process. Aim: under 1.5 s.
- recompute: from a ``PUT /api/films/{id}/landmarks`` (one point moved) to its answer
  with the film's recomputed measure rows; baseline: one call of the engine
  (``measure_landmarks``) on that leg. Aim: under 100 ms. Measured on a study where
  only that film is saved, then again with ``--saved`` more films (small ones, each
  with a leg) saved by the reader first, since a save writes the reader's files of
  every saved film.

Median and 95th percentile over the repeats. The films are synthetic (smooth 16-bit
anatomy-like gradients and noise, uncompressed DICOM), written to a temporary folder.
First paint runs Debian's chromium through Playwright (skipped, with a note, where
there is none).

    python scripts/bench_review.py [--repeats 15] [--saved 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alignment import LandmarkSet, landmark_table, measure_landmarks, read_radiograph  # noqa: E402
from alignment.review import TOKEN_HEADER, film_id  # noqa: E402
from tests.report.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.review.server import start_server  # noqa: E402

ROWS, COLUMNS = 9000, 3000
POINTS = {  # a right leg, in pixels of the 3000 x 9000 film
    "femoral_head_center": (900.0, 1100.0),
    "femoral_shaft_proximal": (980.0, 2200.0),
    "femoral_shaft_distal": (1060.0, 3600.0),
    "femoral_knee_center": (1100.0, 4500.0),
    "distal_femur_medial": (1260.0, 4560.0),
    "distal_femur_lateral": (940.0, 4550.0),
    "tibial_knee_center": (1100.0, 4650.0),
    "tibial_plateau_medial": (1250.0, 4640.0),
    "tibial_plateau_lateral": (950.0, 4630.0),
    "tibial_shaft_proximal": (1090.0, 5300.0),
    "tibial_shaft_distal": (1080.0, 7600.0),
    "ankle_center": (1075.0, 8200.0),
}


def write_film(path: Path, scale: int = 1) -> None:
    """A 16-bit 3000 x 9000 DICOM with 0.15 mm pixels, or `scale` times smaller."""
    rng = np.random.default_rng(0)
    rows, columns = ROWS // scale, COLUMNS // scale
    y, x = np.mgrid[0:rows:30, 0:columns:30] * scale
    coarse = 20000 + 15000 * np.exp(-(((x - 1000) / 300.0) ** 2)) + 5 * y
    pixels = np.kron(coarse, np.ones((30, 30)))[:rows, :columns]
    pixels = (pixels + rng.normal(0, 400, pixels.shape)).clip(0, 65535).astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.ViewPosition = "AP"
    ds.ImageLaterality = "B"
    ds.PatientOrientation = ["L", "F"]
    ds.PixelSpacing = [0.15 * scale, 0.15 * scale]
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)


def ms(times: list[float]) -> str:
    """Median and 95th percentile of `times` (seconds) in milliseconds."""
    p95 = float(np.percentile(times, 95)) * 1000
    return f"{statistics.median(times) * 1000:.1f} / {p95:.1f} ms"


def first_paint_s(url: str, film: Path, verbose: bool) -> float | None:
    """Seconds from the page's request to the film's overview drawn; None without chromium."""
    executable = chromium_path()
    if executable is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_context(
            viewport={"width": 1400, "height": 900}, bypass_csp=True
        ).new_page()
        page.goto(f"{url}#film={film_id(film.name)}")
        page.wait_for_selector(
            'body[data-painted]:not([data-painted=""])', state="attached", timeout=60_000
        )
        paint_ms = float(page.evaluate("window.firstPaintMs"))
        if verbose:
            for entry in page.evaluate(
                "performance.getEntriesByType('resource').map(e => "
                "[e.name.split('?')[0].slice(-40), e.startTime, e.responseEnd])"
            ):
                print(f"  {entry[0]:42} {entry[1]:8.0f} {entry[2]:8.0f} ms")
        browser.close()
    return paint_ms / 1000


def put_points(url: str, key: str, points: list[dict[str, Any]], version: str | None) -> Any:
    """PUT `points` as film `key`'s whole point set; the server's answer."""
    base, token = url.split("?")[0].rstrip("/"), url.split("token=")[1]
    headers = {TOKEN_HEADER: token, "Content-Type": "application/json"}
    if version is not None:
        headers["If-Match"] = version
    request = urllib.request.Request(
        f"{base}/api/films/{film_id(key)}/landmarks",
        data=json.dumps(points).encode(),
        method="PUT",
        headers=headers,
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def time_puts(url: str, key: str, repeats: int) -> list[float]:
    """Seconds of `repeats` saves of film `key`, each moving its last point by a pixel."""
    base, token = url.split("?")[0].rstrip("/"), url.split("token=")[1]
    request = urllib.request.Request(
        f"{base}/api/films/{film_id(key)}/landmarks", headers={TOKEN_HEADER: token}
    )
    with urllib.request.urlopen(request) as answer:
        state = json.load(answer)
    points = [{k: p[k] for k in ("side", "view", "landmark", "x", "y")}
              for p in state["landmarks"]]  # fmt: skip
    version, times = state["version"], []
    for i in range(repeats):
        points[-1]["x"] += 1.0 if i % 2 == 0 else -1.0
        start = time.perf_counter()
        saved = put_points(url, key, points, version)
        times.append(time.perf_counter() - start)
        version = saved["version"]
        if not saved["measures"]:
            raise RuntimeError("no measures in the answer")
    return times


def serving(study: Path, review: Path, run: Callable[[str], Any]) -> Any:
    """`run(url)` while ``alignment review`` serves `study`; the server stopped after."""
    process, url = start_server(study, review, reader="bench")
    try:
        return run(url)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--saved", type=int, default=300, help="films saved before the 2nd run")
    parser.add_argument("--verbose", action="store_true", help="list the page's requests")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        study, review = Path(folder) / "study", Path(folder) / "review"
        study.mkdir()
        film = study / "long_leg_AP.dcm"
        write_film(film)
        leg = LandmarkSet(film.name, "right", "AP", POINTS, spacing_mm=(0.15, 0.15))
        table = landmark_table([leg])
        table.to_csv(study / "landmarks.csv", index=False)

        decode = []
        for _ in range(3):
            start = time.perf_counter()
            read_radiograph(film)
            decode.append(time.perf_counter() - start)
        engine = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            measure_landmarks(table)
            engine.append(time.perf_counter() - start)

        def alone(url: str) -> tuple[float | None, list[float]]:
            return first_paint_s(url, film, args.verbose), time_puts(url, film.name, args.repeats)

        paint_s, puts = serving(study, review, alone)

        scale = 10  # the other films: 300 x 900 pixels, the same leg scaled
        small = {name: (x / scale, y / scale) for name, (x, y) in POINTS.items()}
        others = [f"other_{i:04d}_AP.dcm" for i in range(args.saved)]
        for name in others:
            write_film(study / name, scale)
        sets = [leg] + [LandmarkSet(name, "right", "AP", small, spacing_mm=(1.5, 1.5))
                        for name in others]  # fmt: skip
        landmark_table(sets).to_csv(study / "landmarks.csv", index=False)
        fields = ("side", "view", "landmark", "x", "y")

        def many(url: str) -> list[float]:
            for name in others:
                points = [dict(zip(fields, ("right", "AP", n, x, y), strict=True))
                          for n, (x, y) in small.items()]  # fmt: skip
                put_points(url, name, points, None)
            return time_puts(url, film.name, args.repeats)

        puts_saved = serving(study, review, many) if others else []
    print(f"film: {COLUMNS} x {ROWS}, 16-bit, uncompressed DICOM ({ROWS * COLUMNS * 2 >> 20} MiB)")
    print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'':36}{'measured':>20}{'baseline':>20}  aim")
    decode_s = statistics.median(decode)
    if paint_s is None:
        print(f"{'first paint (server just started)':36}{'not run: no chromium':>20}"
              f"{decode_s:>19.2f}s  < 1.5 s   (baseline: film decode)")  # fmt: skip
    else:
        print(f"{'first paint (server just started)':36}{paint_s:>19.2f}s"
              f"{decode_s:>19.2f}s  < 1.5 s   (baseline: film decode)")  # fmt: skip
    note = f"(median / p95 of {args.repeats}; baseline: one engine call)"
    print(f"{'PUT -> recomputed measures':36}{ms(puts):>20}{ms(engine):>20}  < 100 ms  {note}")
    if puts_saved:
        label = f"  ... with {args.saved} films saved"
        print(f"{label:36}{ms(puts_saved):>20}{ms(engine):>20}  < 100 ms")


if __name__ == "__main__":
    main()
