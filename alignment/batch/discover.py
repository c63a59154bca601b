"""Walking a study folder: which files are images, which are landmarks, what went wrong.

Keys are paths relative to the input folder, with ``/`` separators, taken from the
file system and never from file contents. Symbolic links are followed while they stay
inside the folder; one that leaves it is reported and skipped unless asked for, and a
link that leads back into a folder already walked (a loop) is reported once.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "a.png").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
>>> _ = (root / "notes.txt").write_text("hello")
>>> found = discover_inputs(root)
>>> [(f.key, f.kind) for f in found.files]
[('a.png', 'image')]
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alignment.annotations import detect_format
from alignment.errors import BatchError
from alignment.io import DICOM_SUFFIXES, SIDECAR_SUFFIX
from alignment.io.dicom import is_dicom
from alignment.io.raster import sniff_format

__all__ = [
    "Discovery",
    "InputFile",
    "describe_files",
    "discover_inputs",
    "is_landmark_file",
    "landmark_header_problem",
]

Kind = Literal["image", "landmarks"]

_LANDMARK_COLUMNS = ("image", "landmark", "x", "y")
_CANONICAL_COLUMNS = ("image", "side", "view", "landmark", "x", "y")
_SKIPPED_SUFFIXES = frozenset({".txt", ".md", ".toml", ".yaml", ".yml", ".html", ".py"})


@dataclass(frozen=True)
class InputFile:
    """A file found in the input folder.

    Attributes
    ----------
    key : str
        Path relative to the input folder, ``/``-separated.
    path : pathlib.Path
        Where to read it (through the link, if it is one).
    kind : {'image', 'landmarks'}
    """

    key: str
    path: Path
    kind: Kind


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover_inputs` found: usable files, and ``(key, error)`` problems."""

    files: tuple[InputFile, ...]
    problems: tuple[tuple[str, str], ...]
    malformed: tuple[tuple[str, str], ...] = ()
    """``(key, error)`` of CSV files whose header looks like a landmark table but lacks a
    required column (see :func:`landmark_header_problem`): not used, and not to be
    skipped in silence."""

    @property
    def images(self) -> tuple[InputFile, ...]:
        return tuple(f for f in self.files if f.kind == "image")

    @property
    def landmark_files(self) -> tuple[InputFile, ...]:
        return tuple(f for f in self.files if f.kind == "landmarks")


def is_landmark_file(path: Path) -> bool:
    """True for a canonical landmark CSV/JSON or any annotation format the toolkit imports.

    A CSV counts when its header names the landmark columns, a JSON when it is the
    canonical format or one :func:`alignment.annotations.detect_format` knows. Other
    tables (groups, scores, truth) are not landmark files.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return set(_LANDMARK_COLUMNS) <= set(_csv_header(path))
        if suffix == ".json" and not path.name.endswith(SIDECAR_SUFFIX):
            with open(path, encoding="utf-8", errors="replace") as f:
                if '"alignment-landmarks"' in f.read(4096):
                    return True
    except OSError:
        return False
    return detect_format(path) is not None


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return [c.strip().strip('"').strip() for c in f.readline().split(",")]


def landmark_header_problem(path: str | os.PathLike[str]) -> str | None:
    """What is wrong with a CSV whose header looks like a landmark table but is not one.

    A header "looks like" a landmark table when it holds at least four of the canonical
    columns ``image, side, view, landmark, x, y`` (a results table holds three). Returns
    None for a complete landmark header and for any other table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "marks.csv"
    >>> _ = path.write_text("image,side,view,landmrak,x,y\\n")
    >>> print(landmark_header_problem(path).replace(str(path.parent), "DIR"))
    DIR/marks.csv: looks like a landmark table but has no 'landmark' column (is 'landmrak' it?)
    """
    path = Path(path)
    try:
        header = _csv_header(path)
    except OSError:
        return None
    present = [c for c in _CANONICAL_COLUMNS if c in header]
    missing = [c for c in _CANONICAL_COLUMNS if c not in header]
    if not missing or len(present) < 4:
        return None
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, [h for h in header if h], n=1, cutoff=0.6)
        hints += [f"is {close[0]!r} it?"] if close else []
    names = ", ".join(map(repr, missing))
    plural = "s" if len(missing) > 1 else ""
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"{path}: looks like a landmark table but has no {names} column{plural}{hint}"


def describe_files(folder: str | os.PathLike[str], *, limit: int = 100_000) -> str:
    """What a folder holds, by suffix, for messages: ``"3 CSV files, 1 TXT file"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.csv", "b.csv", "notes"):
    ...     _ = (root / name).write_text("")
    >>> describe_files(root)
    '2 CSV files, 1 file without suffix'
    >>> describe_files(tempfile.mkdtemp())
    'nothing'
    """
    counts: Counter[str] = Counter()
    for seen, (_, _, names) in enumerate(os.walk(folder)):
        counts.update(Path(n).suffix.lower().lstrip(".") for n in names)
        if seen > limit:
            break
    if not counts:
        return "nothing"
    parts = []
    for suffix, n in counts.most_common(6):
        what = f"{suffix.upper()} file" if suffix else "file without suffix"
        parts.append(f"{n} {what}{'s' if n > 1 else ''}")
    rest = sum(counts.values()) - sum(n for _, n in counts.most_common(6))
    return ", ".join(parts + ([f"{rest} other files"] if rest else []))


def _classify(path: Path) -> Kind | None:
    suffix = path.suffix.lower()
    if suffix in _SKIPPED_SUFFIXES or path.name.endswith(SIDECAR_SUFFIX):
        return None
    if sniff_format(path) is not None or is_dicom(path):
        return "image"
    if is_landmark_file(path):
        return "landmarks"
    if suffix in DICOM_SUFFIXES and suffix:
        return "image"  # a DICOM without preamble; the reader decides
    return None


def discover_inputs(
    input_dir: str | os.PathLike[str],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    follow_external_links: bool = False,
) -> Discovery:
    """Walk `input_dir` and sort its files into images and landmark files.

    Parameters
    ----------
    input_dir : path-like
        The study folder.
    exclude : iterable of path-like, optional
        Folders not to enter (for example an output folder inside the input folder).
    follow_external_links : bool, optional
        Follow symbolic links whose target lies outside `input_dir`.

    Returns
    -------
    Discovery
        Files sorted by key; problems (unreadable folders, link loops, links that leave
        the folder, broken links) as ``(key, message)``.
    """
    root = Path(input_dir)
    real_root = root.resolve()
    excluded = {Path(e).resolve() for e in exclude}
    files: list[InputFile] = []
    problems: list[tuple[str, str]] = []
    malformed: list[tuple[str, str]] = []
    visited: set[tuple[int, int]] = set()

    def inside(target: Path) -> bool:
        return target == real_root or real_root in target.parents

    def walk(folder: Path, prefix: str) -> None:
        real = folder.resolve()
        if real in excluded:
            return
        stat = real.stat()
        if (stat.st_dev, stat.st_ino) in visited:
            problems.append((prefix.rstrip("/") or ".", "symbolic link loop: not followed"))
            return
        visited.add((stat.st_dev, stat.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append((prefix.rstrip("/") or ".", f"cannot read folder: {exc.strerror}"))
            return
        for entry in entries:
            key = prefix + entry.name
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    target = path.resolve()
                    if not target.exists():
                        problems.append((key, "broken symbolic link"))
                        continue
                    if not inside(target) and not follow_external_links:
                        problems.append(
                            (key, "symbolic link leaves the input folder: not followed")
                        )
                        continue
                if entry.is_dir():
                    walk(path, key + "/")
                elif entry.is_file():
                    if not os.access(path, os.R_OK):
                        problems.append((key, "cannot read file: permission denied"))
                        continue
                    kind = _classify(path)
                    if kind is not None:
                        files.append(InputFile(key, path, kind))
                    elif path.suffix.lower() == ".csv" and (why := landmark_header_problem(path)):
                        malformed.append((key, why))
            except OSError as exc:
                problems.append((key, f"cannot read: {exc.strerror or exc}"))

    if not root.is_dir():
        raise BatchError(f"{root}: input folder not found (or not a folder)")
    walk(root, "")
    return Discovery(tuple(files), tuple(problems), tuple(malformed))
