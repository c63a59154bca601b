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

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alignment.annotations import detect_format
from alignment.batch.store import STATE_DIR
from alignment.errors import BatchError
from alignment.io import DICOM_SUFFIXES, SIDECAR_SUFFIX
from alignment.io.dicom import is_dicom
from alignment.io.raster import sniff_format

__all__ = [
    "Discovery",
    "InputFile",
    "check_output_apart",
    "discover_inputs",
    "is_landmark_file",
]

Kind = Literal["image", "landmarks"]

_LANDMARK_COLUMNS = ("image", "landmark", "x", "y")
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
            with open(path, encoding="utf-8", errors="replace") as f:
                header = {c.strip().strip('"') for c in f.readline().split(",")}
            return set(_LANDMARK_COLUMNS) <= header
        if suffix == ".json" and not path.name.endswith(SIDECAR_SUFFIX):
            with open(path, encoding="utf-8", errors="replace") as f:
                if '"alignment-landmarks"' in f.read(4096):
                    return True
    except OSError:
        return False
    return detect_format(path) is not None


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
            except OSError as exc:
                problems.append((key, f"cannot read: {exc.strerror or exc}"))

    if not root.is_dir():
        raise BatchError(f"{root}: input folder not found (or not a folder)")
    walk(root, "")
    return Discovery(tuple(files), tuple(problems))


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
