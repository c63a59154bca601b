"""Checks of a batch's inputs made before any image is processed.

A mistake in the groups file or a landmark file would otherwise surface only after
every film was read (minutes of work), or not at all (a file skipped in silence). These
checks raise a typed error naming the file and the problem, or return what to warn
about, in well under a second.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from alignment.errors import BatchError, LandmarkFileError, OutputExistsError, StatsError

__all__ = ["check_groups", "check_landmark_files", "check_output_folder", "ungrouped"]


def check_output_folder(
    folder: str | os.PathLike[str], *, overwrite: bool, ours: str | None = None
) -> None:
    """Refuse to write into a non-empty folder unless `overwrite`.

    Parameters
    ----------
    folder : path-like
        The output folder; missing or empty is fine.
    overwrite : bool
        Write into a non-empty folder anyway (files of the same names are replaced).
    ours : str, optional
        A name (such as ``.alignment``) whose presence marks the folder as an earlier
        output of the same command, which may be written again (a resumed batch).

    Raises
    ------
    OutputExistsError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_folder(folder, overwrite=False)  # empty: fine
    >>> _ = (folder / "groups.csv").write_text("case,group")
    >>> check_output_folder(folder, overwrite=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alignment.errors.OutputExistsError: ...: output folder is not empty (1 file: groups.csv); ...
    """
    path = Path(folder)
    if overwrite or not path.is_dir() or (ours is not None and (path / ours).exists()):
        return
    entries = sorted(p.name for p in path.iterdir())
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        count = f"{len(entries)} file{'s' if len(entries) > 1 else ''}"
        raise OutputExistsError(
            f"{path}: output folder is not empty ({count}: {shown}); choose an empty or "
            "new folder, or pass --overwrite to write into it"
        )


def check_groups(groups: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    """Read and check a groups table: ``case,group`` (or ``image,group``), two groups or more.

    Parameters
    ----------
    groups : path-like or pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        The table as read.

    Raises
    ------
    BatchError
        The file does not exist or cannot be read.
    StatsError
        It is not a CSV table, lacks the columns, puts a case in two groups, or names
        fewer than two groups. The message names the file.

    Examples
    --------
    >>> check_groups(pd.DataFrame({"case": ["a", "b"], "group": ["PSI", "PSI"]}))
    Traceback (most recent call last):
    ...
    alignment.errors.StatsError: groups table: needs two groups or more, found 1 ('PSI')
    """
    from alignment.stats import read_table
    from alignment.stats._common import group_table

    where = "groups table"
    if not isinstance(groups, pd.DataFrame):
        path = Path(groups)
        where = str(path)
        if not path.is_file():
            raise BatchError(f"{path}: groups file not found")
        try:
            groups = read_table(path)
        except UnicodeDecodeError:
            raise StatsError(f"{path}: not a UTF-8 text file") from None
    try:
        _, table = group_table(groups)
    except StatsError as exc:
        raise StatsError(f"{where}: {exc}") from None
    found = sorted(table["group"].unique())
    if len(found) < 2:
        names = ", ".join(map(repr, found)) or "none"
        raise StatsError(f"{where}: needs two groups or more, found {len(found)} ({names})")
    return groups


def ungrouped(groups: pd.DataFrame, cases: Iterable[str], images: Iterable[str]) -> list[str]:
    """The cases (or images, for an ``image,group`` table) of the study without a group.

    Examples
    --------
    >>> table = pd.DataFrame({"case": ["p1", "p2"], "group": ["A", "B"]})
    >>> ungrouped(table, ["p1", "p2", "p3"], ["p1_ap.dcm", "p2_ap.dcm", "p3_ap.dcm"])
    ['p3']
    """
    from alignment.stats._common import group_table

    key, table = group_table(groups)
    known = set(table[key])
    return sorted({str(c) for c in (cases if key == "case" else images)} - known)


def check_landmark_files(
    malformed: Sequence[tuple[str, str]], failed: Sequence[tuple[str, str, str]]
) -> None:
    """Raise for landmark files that cannot be used, naming the first and counting the rest.

    Parameters
    ----------
    malformed : sequence of (key, message)
        CSV files whose header looks like a landmark table but lacks a required column.
    failed : sequence of (key, stage, message)
        Landmark files that could not be read.

    Raises
    ------
    LandmarkFileError
    """
    messages = [m for _, m in malformed] + [m for _, _, m in failed]
    if messages:
        more = len(messages) - 1
        tail = f" (and {more} more landmark file{'s' if more > 1 else ''})" if more else ""
        raise LandmarkFileError(messages[0] + tail)
