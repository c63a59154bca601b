"""Warnings shown as plain notes: one line, no file name, line number or source line.

Python prints a warning as ``/site-packages/lib/x.py:84: UserWarning: ...`` followed by
the line of code that raised it; for a user of the command line that is noise that
looks like a crash. The command line and the batch's worker processes route every
warning to the ``alignment`` logger instead, which prints it as
``alignment: WARNING: <message>``. Library users keep Python's own handling.
"""

from __future__ import annotations

import logging
import warnings
from typing import TextIO

__all__ = ["LOG_FORMAT", "show_warnings_as_notes"]

LOG_FORMAT = "alignment: %(levelname)s: %(message)s"
"""How the command line prints log records (and so warnings)."""

log = logging.getLogger("alignment.warnings")


def _note(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    log.warning("%s", message)


def show_warnings_as_notes() -> None:
    """From now on, show every warning of this process as one log line (see above).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():  # restores Python's own handling after
    ...     show_warnings_as_notes()
    ...     warnings.showwarning is _note
    True
    """
    warnings.showwarning = _note
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
