"""Write synthetic long-leg and lateral knee radiographs with their ground truth.

The folder gets the films (CASE_AP and CASE_LAT, DICOM or PNG with a
.spacing.json sidecar), landmarks.csv (the true landmarks), truth.csv (the measures
on them) and, for --cohort psi-vs-ci, groups.csv and scores.csv. The same --seed gives
the same files. See docs/phantom.md.
"""

from __future__ import annotations

import argparse
import sys

from alignment.cli import exitcodes
from alignment.cli._options import integer, number
from alignment.cli._progress import Progress
from alignment.options import COHORTS, IMAGE_FORMATS

HELP = "write synthetic radiographs with true landmarks and measures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--n",
        type=integer(1),
        default=None,
        metavar="N",
        help="number of patients (default: 100 for psi-vs-ci, else 10); psi-vs-ci keeps "
        "the study's 47:53 PSI:CI proportions",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (new or empty)")
    parser.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty folder anyway"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--cohort", choices=COHORTS, default="mixed", help="which cohort (default: %(default)s)"
    )
    parser.add_argument(
        "--format",
        choices=IMAGE_FORMATS,
        default="dicom",
        help="image format (default: %(default)s)",
    )
    parser.add_argument(
        "--downscale",
        type=number(0, strict=True),
        default=1.0,
        metavar="F",
        help="pixels F times larger than the clinical 0.2 mm (default: 1)",
    )
    parser.add_argument(
        "--compression",
        choices=("none", "rle", "jpeg-ls"),
        default="none",
        help="DICOM transfer syntax: lossless compression (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    from alignment.batch.checks import check_output_folder
    from alignment.phantom import generate_phantoms

    check_output_folder(args.out, overwrite=args.overwrite)
    n = args.n if args.n is not None else (100 if args.cohort == "psi-vs-ci" else 10)
    progress = Progress(unit="case")
    try:
        written = generate_phantoms(
            args.out,
            n=n,
            seed=args.seed,
            cohort=args.cohort,
            fmt=args.format,
            downscale=args.downscale,
            compression=args.compression,
            progress=progress,
        )
    finally:
        progress.close()
    extra = [p.name for p in (written.groups, written.scores) if p is not None]
    print(
        f"{len(written.images)} films of {n} patients, landmarks.csv, truth.csv"
        + "".join(f", {name}" for name in extra)
        + f" in {written.folder}",
        file=sys.stdout,
    )
    return exitcodes.OK
