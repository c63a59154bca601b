"""Pairing images with their landmarks.

A landmark table names its images in the ``image`` column, written by whatever tool
made it: the same relative path, a bare file name, a stem without suffix, or an
absolute path from another machine. Each name is matched to the keys of the images
found, in this order: the name taken relative to the landmark file's folder; the key
itself; the key's file name; the key's stem (the name
without an image suffix); and, for a file that holds one image only, the stem of the
landmark file itself (``p01_ap.csv`` or ``p01_ap.mrk.json`` for ``p01_ap.dcm``). A
name that matches several images, or none, is a problem row, never a guess.

Examples
--------
>>> stem("scans/p01_ap.dcm"), stem("p01_ap.mrk.json"), stem("p01_ap")
('p01_ap', 'p01_ap', 'p01_ap')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import numpy as np
import pandas as pd

from alignment.errors import AlignmentError
from alignment.landmarks import landmark_table, read_landmarks, validate_landmarks

__all__ = ["LandmarkSource", "case_of", "pair_landmarks", "read_landmark_sources", "stem"]

_SUFFIXES = (
    ".mrk.json",
    ".spacing.json",
    ".dcm",
    ".dicom",
    ".dic",
    ".ima",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".csv",
    ".json",
    ".xml",
    ".pts",
    ".roi",
    ".zip",
)

Problem = tuple[str, str, str]
"""``(image, stage, error)``: a row of ``errors.csv``."""


def stem(name: str, *, key: bool = False) -> str:
    """The file name of `name` without its directory and one known suffix.

    A name from a landmark file may be a Windows path (``C:\\films\\ap.dcm``); a
    `key` is a POSIX path found on disk, where a backslash is part of the file name.

    >>> stem("C:\\\\films\\\\p1_ap.dcm"), stem("p1\\\\x_ap.dcm", key=True)
    ('p1_ap', 'p1\\\\x_ap')
    """
    base = PurePosixPath(name).name
    if not key:
        base = PureWindowsPath(base).name
    lower = base.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def case_of(key: str) -> str:
    """The case (patient) of a film no landmark file names, from its key (its path
    relative to the input folder): the first folder of the key when the film lies in a
    subfolder (one folder per patient, whatever lies below it), else its file name's
    stem up to the first ``_`` (``case001_AP.dcm``, ``PAT-0001_lat.dcm``). Only the
    key is read; nothing comes from the DICOM.

    >>> case_of("p01/2020-01-01/ap.dcm"), case_of("case001_AP.dcm"), case_of("PAT-7_LAT.dcm")
    ('p01', 'case001', 'PAT-7')
    >>> case_of("knee.dcm"), case_of("Smith\\\\John_AP.dcm")  # a backslash is a character
    ('knee', 'Smith\\\\John')
    """
    parts = PurePosixPath(key).parts
    if len(parts) > 1:
        return parts[0]
    name = stem(key, key=True)
    return name.split("_", 1)[0] or name


@dataclass(frozen=True)
class LandmarkSource:
    """A landmark table and the file it came from (its key, for messages and matching)."""

    key: str
    table: pd.DataFrame


def read_landmark_sources(
    files: Sequence[tuple[str, str]],
) -> tuple[list[LandmarkSource], list[Problem]]:
    """Read landmark files given as ``(key, path)``; unreadable ones become problems."""
    sources, problems = [], []
    for key, path in files:
        try:
            sources.append(LandmarkSource(key, read_landmarks(path)))
        except (AlignmentError, OSError) as exc:
            problems.append((key, "landmarks", str(exc)))
    return sources, problems


class _Index:
    """Image keys by key, file name and stem."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = set(keys)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_stem: dict[str, list[str]] = defaultdict(list)
        for key in keys:
            self.by_name[PurePosixPath(key).name].append(key)
            self.by_stem[stem(key, key=True)].append(key)

    def match(self, name: str, folder: str = "") -> tuple[str | None, str]:
        """The one key `name` stands for, or None and why not.

        A relative name is first taken relative to `folder`, the landmark file's own.
        """
        if folder and (joined := f"{folder}/{name}") in self.keys:
            return joined, ""
        if name in self.keys:
            return name, ""
        base = PureWindowsPath(PurePosixPath(name).name).name
        for found in (self.by_name.get(base, []), self.by_stem.get(stem(name), [])):
            nearby = [k for k in found if str(PurePosixPath(k).parent).removeprefix(".") == folder]
            candidates = found if len(found) == 1 or len(nearby) != 1 else nearby
            if len(candidates) == 1:
                return candidates[0], ""
            if len(candidates) > 1:
                return None, f"matches several images ({', '.join(sorted(candidates))})"
        return None, "no such image in the input folder"


def pair_landmarks(
    image_keys: Sequence[str], sources: Sequence[LandmarkSource]
) -> tuple[pd.DataFrame, list[Problem]]:
    """Give each image its landmark rows, renamed to the image's key.

    Parameters
    ----------
    image_keys : sequence of str
        Keys of the images found.
    sources : sequence of LandmarkSource
        Landmark tables and the keys of their files.

    Returns
    -------
    landmarks : pandas.DataFrame
        One validated landmark table (``image`` is the key) with the rows of every
        image that has some, image after image in the order of `image_keys`, each
        image's rows in the order of `sources`.
    problems : list of (image, stage, error)
        Names that match no image or several, and images whose landmarks from
        several files conflict.
    """
    index = _Index(image_keys)
    pieces: list[pd.DataFrame] = []
    origins: list[str] = []  # the file of each row of the pieces
    problems: list[Problem] = []
    for source in sources:
        names = source.table["image"].astype(str)
        distinct = names.unique()
        folder = str(PurePosixPath(source.key).parent).removeprefix(".")
        keys: dict[str, str] = {}
        for name in distinct:
            key, why = index.match(name, folder)
            if key is None and len(distinct) == 1:
                key, _ = index.match(stem(source.key), folder)
            if key is None:
                problems.append((name, "pairing", f"landmarks in {source.key}: {why}"))
            else:
                keys[name] = key
        matched = names.map(keys)
        hit = matched.notna().to_numpy()
        if hit.any():  # a file that names no image adds not even its columns
            pieces.append(source.table[hit].assign(image=matched.dropna()))
            origins += [source.key] * int(hit.sum())
    if not pieces:
        return landmark_table([]), problems
    rows = pd.concat(pieces, ignore_index=True)
    try:
        combined = validate_landmarks(rows, source="landmarks")
    except AlignmentError:
        # Some image's landmarks conflict across files: find which, keep the others.
        kept = []
        files = pd.Series(origins)
        for image, own in rows.groupby("image", sort=False):
            where = f"landmarks of {image} in {', '.join(files[own.index].unique())}"
            try:
                kept.append(validate_landmarks(own.reset_index(drop=True), source=where))
            except AlignmentError as exc:
                problems.append((str(image), "landmarks", str(exc)))
        if not kept:
            return landmark_table([]), problems
        combined = validate_landmarks(pd.concat(kept, ignore_index=True))
    position = {key: i for i, key in enumerate(image_keys)}
    order = combined["image"].astype(str).map(position).to_numpy()
    return combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True), problems
