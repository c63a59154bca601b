"""Detect the landmarks of long-leg AP and lateral knee films automatically.

Reads every image given (files, or folders walked for DICOM, PNG, JPEG and TIFF
files), finds the landmarks of the measurement spec, and writes the canonical landmark
CSV with two more columns, confidence and method (and review, True for a leg a person
should check). What could not be found is listed on standard error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alignment.cli import exitcodes
from alignment.cli._options import number
from alignment.cli._progress import Progress
from alignment.errors import ImageReadError
from alignment.options import REVIEW_THRESHOLD

if TYPE_CHECKING:
    import pandas as pd

HELP = "find the landmarks on AP long-leg and lateral knee films automatically"

_SUFFIXES = {".dcm", ".dicom", ".dic", ".ima", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ""}

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE_OR_DIR", help="images or folders")
    parser.add_argument(
        "--out", required=True, metavar="LANDMARKS.csv", help="landmark CSV to write"
    )
    parser.add_argument(
        "--overlay", metavar="DIR", help="also draw an overlay PNG per image here (new or empty)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty --overlay folder anyway"
    )
    parser.add_argument("--view", choices=("AP", "LAT"), help="force the view of every image")
    parser.add_argument(
        "--side",
        choices=("left", "right"),
        help="the side every image shows, where the user knows it (a bilateral film keeps "
        "only that leg)",
    )
    parser.add_argument(
        "--review-threshold",
        type=number(0),
        default=REVIEW_THRESHOLD,
        metavar="C",
        help="flag a leg for review below this confidence (default: %(default)s)",
    )


def _images(paths: list[str]) -> list[tuple[Path, bool]]:
    """``(path, given)``: files named on the command line, and image files of folders."""
    found: list[tuple[Path, bool]] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found += [
                (p, False)
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in _SUFFIXES and not p.name.startswith(".")
            ]
        else:
            found.append((path, True))
    return found


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from alignment.atomic import write_text_atomic
    from alignment.csvtext import csv_text
    from alignment.detect import DETECTION_COLUMNS, detect_landmarks
    from alignment.io import read_radiograph

    tables: list[pd.DataFrame] = []
    failures = 0
    if args.overlay:
        from alignment.batch.checks import check_output_folder

        check_output_folder(args.overlay, overwrite=args.overwrite)
    images = _images(args.images)
    progress = Progress()
    for count, (path, given) in enumerate(images):
        progress(count, len(images))
        try:
            radiograph = read_radiograph(path)
        except ImageReadError as exc:
            if not given and path.suffix == "":
                continue  # a folder's file without suffix that is not DICOM
            print(f"alignment detect: {exc}", file=sys.stderr)
            failures += 1
            continue
        result = detect_landmarks(
            radiograph, view=args.view, side=args.side, review_threshold=args.review_threshold
        )
        tables.append(result.landmarks)
        notes = [*result.notes]  # for the overlay: the film's notes, and each leg not found
        for miss in result.missing:
            what = "leg" if miss.landmark == "*" else miss.landmark
            note = f"{miss.side} {miss.view} {what}: {miss.reason}".replace("  ", " ").strip()
            if miss.landmark == "*":
                notes.append(note)
            print(f"{path}: {note}", file=sys.stderr)
        for leg in result.legs:
            if leg.review:
                print(f"{path}: {leg.side} {leg.view}: REVIEW ({leg.reason})", file=sys.stderr)
        if args.overlay:
            from alignment.report.overlay import write_overlay

            folder = Path(args.overlay)
            folder.mkdir(parents=True, exist_ok=True)
            write_overlay(
                folder / f"{path.stem}.png",
                np.asarray(radiograph.pixels),
                result.landmarks if len(result.landmarks) else None,
                image=str(path),
                title=path.name,
                window=radiograph.window,
                notes=notes,
            )
    progress(len(images), len(images))
    progress.close()
    if not tables and not failures:  # nothing to do is not success
        from alignment.batch.discover import describe_files

        folders = ", ".join(args.images)
        seen = "; ".join(describe_files(f) for f in args.images)
        raise ImageReadError(f"no DICOM, PNG, JPEG or TIFF found in {folders} (found {seen})")
    table = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=list(DETECTION_COLUMNS))
    )
    write_text_atomic(args.out, csv_text(table))
    legs = table.groupby(["image", "side", "view"]).ngroups if len(table) else 0
    print(
        f"{len(tables)} images, {legs} legs, {len(table)} landmarks -> {args.out}", file=sys.stderr
    )
    return exitcodes.COMPLETED_WITH_ERRORS if failures else exitcodes.OK
