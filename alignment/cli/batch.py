"""Measure a study folder: results, overlays, report, and the group comparison.

Walks INPUT_DIR (DICOM with or without extension, PNG, JPEG, TIFF), pairs each image
with its landmarks (a combined file, per-image files matched by name, or the landmark
files found in INPUT_DIR), measures them with the film's own pixel spacing, and writes
results.csv, results_wide.csv, results.parquet (with the parquet extra), landmarks.csv,
errors.csv, comparison.csv (with --groups), manifest.json, overlays/ and report.html to
OUT_DIR.
A rerun skips images already done with the same input and settings, so an interrupted
run resumes. Inputs are never modified.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Literal

from alignment.cli import exitcodes
from alignment.cli._options import (
    add_implant_argument,
    add_preset_arguments,
    implant,
    integer,
    number,
    overrides,
)
from alignment.cli._progress import Progress
from alignment.options import DEFAULT_TIME_LIMIT_S, default_jobs, default_memory_limit

if TYPE_CHECKING:
    from alignment.batch import BatchResult

HELP = "measure a study folder: results, overlays, report, group comparison"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input_dir", metavar="INPUT_DIR", help="the study folder")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder")
    parser.add_argument(
        "--landmarks",
        metavar="FILE_OR_DIR",
        help="combined landmark file, or folder of per-image files "
        "(default: landmark files in INPUT_DIR)",
    )
    parser.add_argument(
        "--detect",
        nargs="?",
        const="all",
        choices=("all", "missing"),
        help="find landmarks automatically: on every image, or ('--detect missing') only "
        "on images without landmarks",
    )
    parser.add_argument(
        "--groups", metavar="GROUPS.csv", help="case,group (or image,group): compare the groups"
    )
    add_preset_arguments(parser)
    add_implant_argument(parser)
    parser.add_argument(
        "--jobs",
        type=integer(0),
        default=None,
        metavar="N",
        help="worker processes; 0 runs in this process "
        f"(default: all cores, {default_jobs()} here)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on Dask: tcp://HOST:PORT of a scheduler, or 'local'",
    )
    parser.add_argument(
        "--dicom-sr",
        action="store_true",
        help="also write a DICOM SR (TID 1500) and presentation state per image",
    )
    parser.add_argument(
        "--pseudonymise",
        action="store_true",
        help="key outputs by pseudonyms instead of file paths and case names",
    )
    parser.add_argument(
        "--keep-identifiers",
        action="store_true",
        help="let DICOM outputs carry the patient identifiers of the source",
    )
    parser.add_argument(
        "--follow-links", action="store_true", help="follow symbolic links that leave INPUT_DIR"
    )
    parser.add_argument(
        "--time-limit",
        type=number(0),
        default=DEFAULT_TIME_LIMIT_S,
        metavar="SECONDS",
        help="longest one image may take; 0 for none (default: %(default)g)",
    )
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        metavar="GB",
        help="memory (address space) one image may take in a worker beyond the worker's "
        "libraries, in GiB; an image past it is an error row of stage 'memory', retried "
        "by the next run; 0 for none (default: the machine's "
        "memory shared by the workers, at least 2: "
        f"{default_memory_limit(default_jobs()) / 2**30:.1f} here)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="process every image again (default: skip those an earlier run finished "
        "unchanged; failed ones are always tried again)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty OUT_DIR that is not an earlier batch's output",
    )
    parser.add_argument("--no-overlays", action="store_true", help="draw no overlay PNGs")
    parser.add_argument("--no-report", action="store_true", help="write no report.html")
    chatter = parser.add_mutually_exclusive_group()
    chatter.add_argument(
        "--quiet", action="store_true", help="print only the errors (no progress, no summary)"
    )
    chatter.add_argument("--verbose", action="store_true", help="log every image")


def summary(result: BatchResult, *, report: bool, shown: int = 5) -> list[str]:
    """What the terminal shows after a run: counts, errors by stage, where to look.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> errors = pd.DataFrame({"image": ["a.dcm", "b.dcm", "c.dcm"],
    ...                        "stage": ["read", "read", "pairing"],
    ...                        "error": ["a.dcm: truncated", "b.dcm: empty", "no such image"]})
    >>> from alignment.batch import BatchResult
    >>> result = BatchResult(Path("out"), pd.DataFrame(), errors, 3, 3)
    >>> print("\\n".join(summary(result, report=True, shown=2)))
    3 images (3 processed, 0 unchanged), 0 measures, 3 errors -> out
    errors by stage: read 2, pairing 1
      read: a.dcm: truncated
      read: b.dcm: empty
      ... 1 more in out/errors.csv
    report: out/report.html
    """
    from alignment.batch.pipeline import ERROR_COLUMNS

    errors = result.errors
    lines = [
        f"{result.images} images ({result.processed} processed, "
        f"{result.images - result.processed} unchanged), {len(result.results)} measures, "
        f"{len(errors)} errors -> {result.out_dir}"
    ]
    if len(errors):
        counts = errors["stage"].value_counts(sort=True)
        lines.append("errors by stage: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for image, stage, error in errors.head(shown)[list(ERROR_COLUMNS)].astype(str).values:
            where = "" if error.startswith(image) or not image else f"{image}: "
            lines.append(f"  {stage}: {where}{error}")
        more = len(errors) - shown
        lines.append(
            f"  ... {more} more in {result.out_dir / 'errors.csv'}"
            if more > 0
            else f"  all in {result.out_dir / 'errors.csv'}"
        )
    if report:
        lines.append(f"report: {result.out_dir / 'report.html'}")
    return lines


def _memory_limit(gib: float | None) -> int | Literal["auto"] | None:
    if gib is None:
        return "auto"
    return int(gib * 2**30) if gib > 0 else None


def run(args: argparse.Namespace) -> int:
    from alignment.batch import run_batch

    if args.verbose:
        logging.getLogger("alignment").setLevel(logging.INFO)
    progress = Progress(args.quiet)
    try:
        result = run_batch(
            args.input_dir,
            args.out,
            landmarks=args.landmarks,
            detect=args.detect,
            groups=args.groups,
            preset=args.preset,
            overrides=overrides(args),
            implant=implant(args),
            jobs=args.jobs,
            scheduler=args.scheduler,
            overlays=not args.no_overlays,
            report=not args.no_report,
            dicom_sr=args.dicom_sr,
            pseudonymise=args.pseudonymise,
            keep_identifiers=args.keep_identifiers,
            follow_links=args.follow_links,
            time_limit_s=args.time_limit or None,
            memory_limit_bytes=_memory_limit(args.memory_limit),
            progress=progress,
            command_line=["alignment", *sys.argv[1:]],
            force=args.force,
            overwrite=args.overwrite,
        )
    finally:
        progress.close()
    lines = summary(result, report=not args.no_report)
    if args.quiet:  # exactly the errors, and where they are
        lines = lines[1:-1] if not args.no_report else lines[1:]
    for line in lines:
        print(line, file=sys.stderr)
    return exitcodes.COMPLETED_WITH_ERRORS if result.completed_with_errors else exitcodes.OK
