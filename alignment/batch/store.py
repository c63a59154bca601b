"""The run's state in ``OUT_DIR/.alignment/``: a lock, and each image's outcome.

Outcomes live in an SQLite database, one row per image, committed as each image
completes. SQLite's journal makes every commit atomic, so a run killed at any moment
(SIGKILL included) leaves each image either done or not started; a rerun skips the
done ones whose fingerprint (input content, landmarks and settings) is unchanged.

The lock is an exclusive ``flock`` on ``OUT_DIR/.alignment/lock``: a second run on
the same folder is refused at once, and the kernel releases the lock when a run dies.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from alignment.batch.task import ImageOutcome
from alignment.errors import BatchError

__all__ = ["StateStore", "disk_errors", "file_digest", "lock_output"]

STATE_DIR = ".alignment"


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's content, hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@contextlib.contextmanager
def lock_output(out_dir: Path) -> Iterator[Path]:
    """Hold the output folder's lock; yield the state folder.

    Raises
    ------
    BatchError
        If another run holds the lock, or the folder cannot be created or written.
    """
    state = out_dir / STATE_DIR
    try:
        state.mkdir(parents=True, exist_ok=True)
        handle = open(state / "lock", "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise BatchError(f"{out_dir}: cannot write the output folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BatchError(
                f"{out_dir}: another run is using this output folder ({holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield state
    finally:
        handle.close()


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def disk_errors(out_dir: Path) -> Iterator[None]:
    """Turn a full disk (in SQLite or any write) into a :class:`BatchError` naming `out_dir`.

    What finished before is kept in the state folder, so the next run resumes.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "full" not in text and "disk I/O" not in text:
            raise
        raise BatchError(_disk_message(out_dir, f"the state database: {text}")) from exc
    except OSError as exc:
        if isinstance(exc, BatchError) or (
            exc.errno not in _NO_SPACE and "No space left" not in str(exc)
        ):
            raise
        raise BatchError(_disk_message(out_dir, exc.strerror or str(exc))) from exc


def _disk_message(out_dir: Path, cause: str) -> str:
    return (
        f"{out_dir}: the output folder's disk is full ({cause}); free some space and run "
        "the same command again: the images finished are kept and the rest resume"
    )


class StateStore:
    """Per-image outcomes of a run, with the fingerprint each was made under."""

    def __init__(self, state_dir: Path) -> None:
        self._db = sqlite3.connect(state_dir / "state.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outcomes "
            "(key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, outcome TEXT NOT NULL)"
        )

    def close(self) -> None:
        self._db.close()

    def fingerprints(self) -> dict[str, str]:
        """Fingerprint of every stored outcome, by image key."""
        return dict(self._db.execute("SELECT key, fingerprint FROM outcomes"))

    def save(self, fingerprint: str, outcome: ImageOutcome) -> None:
        """Store one outcome atomically, replacing the image's previous one."""
        document = {
            "detected": None
            if outcome.detected is None
            else outcome.detected.to_csv(index=False, lineterminator="\n"),
            "image": outcome.image,
            "errors": [list(e) for e in outcome.errors],
            "files": list(outcome.files),
        }
        stored = "retry" if outcome.retry else fingerprint  # never matches: tried again
        self._db.execute(
            "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?)",
            (outcome.key, stored, json.dumps(document)),
        )

    def load(self, keys: list[str]) -> list[ImageOutcome]:
        """The stored outcomes of `keys`, in that order."""
        stored = dict(self._db.execute("SELECT key, outcome FROM outcomes"))
        return [self._outcome(key, stored[key]) for key in keys]

    @staticmethod
    def _outcome(key: str, text: str) -> ImageOutcome:
        document: dict[str, Any] = json.loads(text)
        return ImageOutcome(
            key,
            document["image"],
            tuple((stage, error) for stage, error in document["errors"]),
            tuple(document["files"]),
            None
            if document["detected"] is None
            else pd.read_csv(  # validated with every other image's rows when written
                io.StringIO(document["detected"]),
                keep_default_na=False,
                na_values=[""],
                dtype={"image": str, "case": str, "reader": str, "patient_orientation": str},
            ),
        )
