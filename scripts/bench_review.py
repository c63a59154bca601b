"""Speed of the review app on a 3000 x 9000 16-bit film, each figure beside its baseline.

- first paint: from the browser's request of the page (opened on the film) to the
  film's overview tiles drawn, on a server just started (which begins decoding the first
  film as it starts, as it does for the next film whenever one is opened); baseline:
  decoding the film (``read_radiograph``) in this process. Aim: under 1.5 s.
- recompute: from a ``PUT /api/films/{id}/landmarks`` (one point moved) to its answer
  with the film's recomputed measure rows; baseline: one call of the engine
  (``measure_landmarks``) on that leg. Aim: under 100 ms.

The film is synthetic (smooth 16-bit anatomy-like gradients and noise, uncompressed
DICOM), written to a temporary folder. Runs Debian's chromium through Playwright.

    python scripts/bench_review.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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


def write_film(path: Path) -> None:
    """A 16-bit 3000 x 9000 DICOM with 0.15 mm pixels."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:ROWS:30, 0:COLUMNS:30]
    coarse = 20000 + 15000 * np.exp(-(((x - 1000) / 300.0) ** 2)) + 5 * y
    pixels = np.kron(coarse, np.ones((30, 30)))[:ROWS, :COLUMNS]
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
    ds.PixelSpacing = [0.15, 0.15]
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--verbose", action="store_true", help="list the page's requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study"
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

        process, url = start_server(study, Path(folder) / "review", reader="bench")
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path(), args=CHROMIUM_ARGS
                )
                page = browser.new_context(
                    viewport={"width": 1400, "height": 900}, bypass_csp=True
                ).new_page()
                page.goto(f"{url}#film={film_id(film.name)}")
                page.wait_for_selector(
                    'body[data-painted]:not([data-painted=""])', state="attached", timeout=60_000
                )
                paint_ms = float(page.evaluate("window.firstPaintMs"))
                if args.verbose:
                    for entry in page.evaluate(
                        "performance.getEntriesByType('resource').map(e => "
                        "[e.name.split('?')[0].slice(-40), e.startTime, e.responseEnd])"
                    ):
                        print(f"  {entry[0]:42} {entry[1]:8.0f} {entry[2]:8.0f} ms")
                browser.close()
            base = url.split("?")[0].rstrip("/")
            token = url.split("token=")[1]
            api = f"{base}/api/films/{film_id(film.name)}/landmarks"
            request = urllib.request.Request(api, headers={TOKEN_HEADER: token})
            with urllib.request.urlopen(request) as answer:
                state = json.load(answer)
            points = [{k: p[k] for k in ("side", "view", "landmark", "x", "y")}
                      for p in state["landmarks"]]  # fmt: skip
            version, puts = state["version"], []
            for i in range(args.repeats):
                points[-1]["x"] += 1.0 if i % 2 == 0 else -1.0
                body = json.dumps(points).encode()
                request = urllib.request.Request(api, data=body, method="PUT", headers={
                    TOKEN_HEADER: token, "Content-Type": "application/json",
                    "If-Match": version})  # fmt: skip
                start = time.perf_counter()
                with urllib.request.urlopen(request) as answer:
                    saved = json.load(answer)
                puts.append(time.perf_counter() - start)
                version = saved["version"]
                assert saved["measures"], "no measures in the answer"
        finally:
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
    print(f"film: {COLUMNS} x {ROWS}, 16-bit, uncompressed DICOM ({ROWS * COLUMNS * 2 >> 20} MiB)")
    print(f"{'':34}{'measured':>12}{'baseline':>12}  aim")
    print(f"{'first paint (server just started)':34}{paint_ms / 1000:>11.2f}s"
          f"{median_ms(decode) / 1000:>11.2f}s  < 1.5 s   (baseline: film decode)")  # fmt: skip
    print(f"{'PUT -> recomputed measures':34}{median_ms(puts):>10.1f}ms"
          f"{median_ms(engine):>10.1f}ms  < 100 ms  (baseline: one engine call; median "
          f"of {args.repeats})")  # fmt: skip


if __name__ == "__main__":
    main()
