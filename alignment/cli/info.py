"""Show what the image loader finds in each file: size, spacing and its source, side, view.

Only the header is read (nothing is decoded). With --json the output is a JSON array
with one object per file, in the order given, with the keys path, rows, columns,
spacing_mm ([row_mm, col_mm] or null), spacing_source, magnification, laterality, view,
photometric, transfer_syntax, status ("ok" or "error") and error (null or the message).
A file that cannot be read still gets its object; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from alignment.cli import exitcodes
from alignment.errors import AlignmentError

HELP = "show size, pixel spacing and its source, side and view of radiographs"

KEYS: tuple[str, ...] = (
    "path",
    "rows",
    "columns",
    "spacing_mm",
    "spacing_source",
    "magnification",
    "laterality",
    "view",
    "photometric",
    "transfer_syntax",
    "status",
    "error",
)
"""Keys of each JSON object, in order."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``alignment info``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="DICOM, PNG, JPEG or TIFF files")
    parser.add_argument("--json", action="store_true", help="write a JSON array to stdout")


def describe(path: str) -> dict[str, Any]:
    """Return the ``info`` record of one file (see :data:`KEYS`); errors become records."""
    from alignment.io import read_radiograph

    record: dict[str, Any] = dict.fromkeys(KEYS)
    record["path"] = path
    try:
        image = read_radiograph(path, pixels=False)
    except (AlignmentError, OSError) as exc:
        record.update(status="error", error=str(exc))
        return record
    record.update(
        rows=image.rows,
        columns=image.columns,
        spacing_mm=list(image.spacing_mm) if image.spacing_mm is not None else None,
        spacing_source=image.spacing_source,
        magnification=image.magnification,
        laterality=image.laterality,
        view=image.view,
        photometric=image.photometric,
        transfer_syntax=image.transfer_syntax,
        status="ok",
        error=None,
    )
    return record


def _text(record: dict[str, Any]) -> str:
    if record["status"] != "ok":
        return f"{record['path']}: error: {record['error']}"
    spacing = record["spacing_mm"]
    spacing_text = f"{spacing[0]:g} x {spacing[1]:g} mm" if spacing else "unknown"
    magnification = record["magnification"]
    lines = [
        f"{record['path']}:",
        f"  size            {record['rows']} x {record['columns']} (rows x columns)",
        f"  spacing         {spacing_text} (row x column), from {record['spacing_source']}",
        f"  magnification   {magnification:g}" if magnification else "  magnification   none",
        f"  laterality      {record['laterality'] or 'unknown'}",
        f"  view            {record['view'] or 'unknown'}",
        f"  photometric     {record['photometric'] or 'unknown'}",
        f"  transfer syntax {record['transfer_syntax'] or '-'}",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Describe each file; return 1 if any could not be read."""
    records = [describe(path) for path in args.files]
    if args.json:
        sys.stdout.write(json.dumps(records, indent=1) + "\n")
    else:
        sys.stdout.write("\n".join(_text(r) for r in records) + "\n")
    failed = any(r["status"] != "ok" for r in records)
    return exitcodes.COMPLETED_WITH_ERRORS if failed else exitcodes.OK
