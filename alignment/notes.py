"""Warnings shown as plain notes: one line, no file name, line number or source line.

Python prints a warning as ``/site-packages/lib/x.py:84: UserWarning: ...`` followed by
the line of code that raised it; for a user of the command line that is noise that
looks like a crash. The command line and the batch's worker processes route every
warning to the ``alignment`` logger instead, which prints it as
``alignment: WARNING: <message>``. Library users keep Python's own handling.

A numpy, scipy or statsmodels warning ("invalid value encountered in scalar divide",
"Precision loss occurred in moment calculation ...") says what went wrong inside the
library, not what it means for the result: :data:`PLAIN_NOTES` says that instead, and
:func:`plain_note` is how every warning becomes a note, on the terminal and in the
``notes`` column of the statistics tables alike.
"""

from __future__ import annotations

import logging
import warnings
from typing import TextIO

__all__ = ["LOG_FORMAT", "PLAIN_NOTES", "plain_note", "show_warnings_as_notes"]

LOG_FORMAT = "alignment: %(levelname)s: %(message)s"
"""How the command line prints log records (and so warnings)."""

log = logging.getLogger("alignment.warnings")

PLAIN_NOTES: dict[str, str] = {
    # numpy floating-point errors, and its reductions over nothing
    "invalid value encountered": "a value is undefined (such as 0/0 or the root of a "
    "negative number): left empty",
    "divide by zero encountered": "a division by zero: the value is infinite or left empty",
    "overflow encountered": "numbers too large to compute with: the value is left empty",
    "underflow encountered": "numbers too small to compute with: rounded to zero",
    "Mean of empty slice": "no values to average: left empty",
    "Degrees of freedom <= 0": "too few values for a spread (SD or variance): left empty",
    # scipy
    "Precision loss occurred in moment calculation": "the values are nearly identical: "
    "the test statistic is unreliable",
    "Input data has range zero": "all values are equal: normality not checked",
    "ConstantInputWarning": "the values of a group are all equal: the statistic is undefined",
    "SmallSampleWarning": "too few values for the test: left empty",
    "exact p-value calculation does not work if there are zeros": "zero differences: "
    "the P value comes from the normal approximation",
    "Exact p-value calculation does not work if there are ties": "tied values: "
    "the P value comes from the normal approximation",
    "Sample size too small for normal approximation": "too few values for the normal "
    "approximation: the P value is unreliable",
    # statsmodels
    "ConvergenceWarning": "the model fit did not converge: its estimates are unreliable",
    "on the boundary of the parameter space": "the between-patient variance is estimated "
    "as zero: the model reduces to one without random effects",
    "Random effects covariance is singular": "the random effects are not identifiable: "
    "their variance is unreliable",
    "Hessian matrix at the estimated parameter values is not positive definite": "the fit "
    "is flat at its optimum: standard errors are unreliable",
}
"""Library warning text (a substring of ``"<Category>: <message>"``) -> the plain note
that replaces it, first match wins."""


def plain_note(message: Warning | str, category: type[Warning] = UserWarning) -> str:
    """The note a warning becomes: the plain text of :data:`PLAIN_NOTES` for a library
    warning, else the warning's own message (the toolkit's own warnings are plain).

    Examples
    --------
    >>> plain_note("invalid value encountered in scalar divide", RuntimeWarning)
    'a value is undefined (such as 0/0 or the root of a negative number): left empty'
    >>> plain_note("film.dcm: no pixel spacing; assumed 0.2 mm")
    'film.dcm: no pixel spacing; assumed 0.2 mm'
    """
    text = f"{category.__name__}: {message}"
    return next((note for raw, note in PLAIN_NOTES.items() if raw in text), str(message))


def _note(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    log.warning("%s", plain_note(message, category))


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
