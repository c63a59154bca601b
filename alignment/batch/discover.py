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
import errno
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alignment.annotations import detect_format
from alignment.batch.store import STATE_DIR
from alignment.errors import BatchError
from alignment.io import DICOM_SUFFIXES, SIDECAR_SUFFIX
from alignment.io.dicom import is_dicom
from alignment.io.raster import sniff_format
from alignment.landmarks import DEFAULT_MAX_LANDMARK_BYTES

__all__ = [
    "Discovery",
    "InputFile",
    "check_output_apart",
    "describe_files",
    "discover_inputs",
    "is_landmark_file",
    "landmark_header_problem",
]

Kind = Literal["image", "landmarks"]

_LANDMARK_COLUMNS = ("image", "landmark", "x", "y")
_CANONICAL_COLUMNS = ("image", "side", "view", "landmark", "x", "y")
_SKIPPED_SUFFIXES = frozenset({".txt", ".md", ".toml", ".yaml", ".yml", ".html", ".py"})
_JSON_MARKERS = (b'"alignment-landmarks"', b'"markups"', b'"shapes"', b'"annotations"')
_CHUNK_BYTES = 1 << 16

MAX_DEPTH = 100
"""Folders nested deeper than this below the input folder are not walked (a problem)."""


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


def _holds_marker(path: Path) -> bool:
    """Whether the JSON file's bytes name a key of a landmark format (nothing parsed).

    Read in chunks (with an overlap for a marker cut between two), so a large file
    costs no memory.
    """
    overlap = max(map(len, _JSON_MARKERS)) - 1
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            window = tail + chunk
            if any(marker in window for marker in _JSON_MARKERS):
                return True
            tail = window[-overlap:]
    return False


def is_landmark_file(path: Path, *, max_bytes: int = DEFAULT_MAX_LANDMARK_BYTES) -> bool:
    """True for a canonical landmark CSV/JSON or any annotation format the toolkit imports.

    A CSV counts when its header names the landmark columns, a JSON when it is the
    canonical format or one :func:`alignment.annotations.detect_format` knows. Other
    tables (groups, scores, truth) are not landmark files.

    Only a file that can be one is opened, and never read whole by this test: a CSV's
    first line (at most 64 KiB) is read; a JSON larger than `max_bytes` is not opened
    (:func:`discover_inputs` reports it), and one is parsed only when its bytes name
    a key of a landmark format, so a large or deeply nested JSON of something else
    costs a byte scan.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return set(_LANDMARK_COLUMNS) <= set(_csv_header(path))
        if suffix == ".json" and not path.name.endswith(SIDECAR_SUFFIX):
            size = path.stat().st_size
            if size > max_bytes or not _holds_marker(path):
                return False
            with open(path, encoding="utf-8", errors="replace") as f:
                if '"alignment-landmarks"' in f.read(4096):
                    return True
    except OSError:
        return False
    return detect_format(path) is not None


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as f:
        return [c.strip().strip('"').strip() for c in f.readline(_CHUNK_BYTES).split(",")]


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


def _printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 shown as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _not_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir gave surrogate escapes for undecodable bytes
        return True
    return False


def _too_large(path: Path) -> str | None:
    """Why a ``.json`` is not read (larger than a landmark file may be), or None."""
    if path.suffix.lower() != ".json" or path.name.endswith(SIDECAR_SUFFIX):
        return None
    size = path.stat().st_size
    if size <= DEFAULT_MAX_LANDMARK_BYTES:
        return None
    return (
        f"{size} bytes, more than the limit of {DEFAULT_MAX_LANDMARK_BYTES} for a landmark "
        "file: not read"
    )


def discover_inputs(
    input_dir: str | os.PathLike[str],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    follow_external_links: bool = False,
    max_depth: int = MAX_DEPTH,
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
    max_depth : int, optional
        Folders nested deeper below `input_dir` are not walked (a problem each).

    Returns
    -------
    Discovery
        Files sorted by key; problems as ``(key, message)``: unreadable folders and
        files, link loops (of folders or of files), links that leave the folder,
        broken links, names that are not UTF-8, folders nested too deep, and ``.json``
        files too large to be landmark files. None stops the walk.
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

    def entries_of(folder: Path, prefix: str, depth: int) -> list[os.DirEntry[str]]:
        where = prefix.rstrip("/") or "."
        if depth > max_depth:
            problems.append((where, f"folders nested deeper than {max_depth} levels: not walked"))
            return []
        try:
            real = folder.resolve()
            if real in excluded:
                return []
            stat = real.stat()
            if (stat.st_dev, stat.st_ino) in visited:
                problems.append((where, "symbolic link loop: not followed"))
                return []
            visited.add((stat.st_dev, stat.st_ino))
            with os.scandir(folder) as found:
                return sorted(found, key=lambda e: e.name)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links (3.11)
            problems.append((where, f"cannot read folder: {_reason(exc)}"))
            return []

    def visit(entry: os.DirEntry[str], key: str) -> Path | None:
        """The entry's folder to walk next, or None; files and problems recorded."""
        path = Path(entry.path)
        if _not_utf8(entry.name):
            problems.append((key, "file name is not valid UTF-8: not read (rename it)"))
            return None
        if entry.is_symlink():
            try:
                target = path.resolve(strict=True)
            except RuntimeError:  # Python 3.11 raises this for a loop of links
                problems.append((key, "symbolic link loop: not followed"))
                return None
            except FileNotFoundError:
                problems.append((key, "broken symbolic link"))
                return None
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    problems.append((key, "symbolic link loop: not followed"))
                    return None
                raise
            if not inside(target) and not follow_external_links:
                problems.append((key, "symbolic link leaves the input folder: not followed"))
                return None
        if entry.is_dir():
            return path
        if entry.is_file():
            if not os.access(path, os.R_OK):
                problems.append((key, "cannot read file: permission denied"))
                return None
            if (why := _too_large(path)) is not None:
                problems.append((key, why))
                return None
            kind = _classify(path)
            if kind is not None:
                files.append(InputFile(key, path, kind))
            elif path.suffix.lower() == ".csv" and (why := landmark_header_problem(path)):
                malformed.append((key, why))
        return None

    if not root.is_dir():
        raise BatchError(f"{root}: input folder not found (or not a folder)")
    # Depth first, in name order, without recursion: no nesting can exhaust the stack.
    stack: list[tuple[Iterator[os.DirEntry[str]], str, int]] = [
        (iter(entries_of(root, "", 0)), "", 0)
    ]
    while stack:
        entries, prefix, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        key = prefix + _printable(entry.name)
        try:
            folder = visit(entry, key)
        except (OSError, RuntimeError) as exc:
            problems.append((key, f"cannot read: {_reason(exc)}"))
            continue
        if folder is not None:
            below = entries_of(folder, key + "/", depth + 1)
            stack.append((iter(below), key + "/", depth + 1))
    return Discovery(tuple(files), tuple(problems), tuple(malformed))


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies below it (both resolved)."""
    return path == folder or folder in path.parents


def check_output_apart(
    out_dir: str | os.PathLike[str],
    folders: Iterable[str | os.PathLike[str]] = (),
    files: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Refuse an output folder where writing could touch an input.

    Checked on resolved paths (links followed), before anything is created:

    - OUT_DIR is an input folder, or holds one (``--out study`` or ``--out .`` above
      it): its outputs (``landmarks.csv``, ``overlays/`` ...) could replace input files;
    - an input file (a landmark or groups file) lies inside OUT_DIR;
    - OUT_DIR lies inside an input folder and already holds files without being an
      output folder of an earlier run (no ``.alignment/`` state): those files would be
      hidden from the walk, and some could be overwritten. A new or empty folder, or
      the output folder of an earlier run, is fine: it is not walked.

    Parameters
    ----------
    out_dir : path-like
        The output folder (need not exist).
    folders : iterable of path-like
        Input folders (the study folder, a folder of landmark files).
    files : iterable of path-like
        Input files (a landmark file, a groups table).

    Raises
    ------
    BatchError
        Naming both paths and what to do instead.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> study = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_apart(study.parent / "elsewhere", folders=[study])
    >>> check_output_apart(study, folders=[study])
    Traceback (most recent call last):
    ...
    alignment.errors.BatchError: ...: the output folder is the input folder ...
    """
    out = Path(out_dir).resolve()
    for given in folders:
        folder = Path(given).resolve()
        if _within(folder, out):
            what = "is" if folder == out else "holds"
            raise BatchError(
                f"{out}: the output folder {what} the input folder {folder}; outputs would "
                "overwrite inputs: choose an --out outside it"
            )
        if folder in out.parents and out.is_dir():
            held = [p.name for p in out.iterdir() if p.name != STATE_DIR]
            if held and not (out / STATE_DIR).is_dir():
                raise BatchError(
                    f"{out}: the output folder lies inside the input folder {folder} and "
                    f"already holds files ({', '.join(sorted(held)[:3])}) that are not "
                    "outputs of an earlier run: choose a new or empty --out"
                )
    for given in files:
        path = Path(given).resolve()
        if out in path.parents:
            raise BatchError(
                f"{out}: the input file {path} lies inside the output folder, and outputs "
                "could overwrite it: move it, or choose another --out"
            )
