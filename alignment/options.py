"""The plain choices and defaults of the library's options, with no heavy import.

The command line builds its parsers from these (so that ``alignment COMMAND --help``
starts in a fraction of a second, without numpy, pandas or scipy); the library modules
that own each option import the same names, so that a choice is written down once.
"""

from __future__ import annotations

import os

__all__ = [
    "CLUSTERS",
    "COHORTS",
    "DEFAULT_TIME_LIMIT_S",
    "IMAGE_FORMATS",
    "KAPPA_WEIGHTS",
    "METRICS",
    "PLOT_FORMATS",
    "POWER_TESTS",
    "REVIEW_THRESHOLD",
    "TABLE_FORMATS",
    "TESTS",
    "default_jobs",
    "default_memory_limit",
]

METRICS: tuple[str, ...] = ("abs_deviation", "deviation", "value")
"""Columns of the results table that :func:`~alignment.stats.compare_groups` can compare."""

TESTS: tuple[str, ...] = ("welch", "student", "mannwhitney", "auto")
"""Values of the two-group ``test`` option of the statistics."""

CLUSTERS: tuple[str, ...] = ("mixed", "gee")
"""Values of the ``cluster`` option: how the legs of one patient are modelled."""

POWER_TESTS: tuple[str, ...] = ("welch", "tost", "proportions", "fisher")
"""Values of the ``test`` option of :func:`~alignment.stats.power_analysis`."""

KAPPA_WEIGHTS: tuple[str, ...] = ("none", "linear", "quadratic")
"""Disagreement weights of :func:`~alignment.stats.cohen_kappa`."""

TABLE_FORMATS: tuple[str, ...] = ("csv", "md", "tex", "html")
"""Output formats of :func:`~alignment.stats.render_table`."""

PLOT_FORMATS: tuple[str, ...] = ("svg", "png")
"""File formats of the Bland-Altman plots, by suffix."""

COHORTS: tuple[str, ...] = ("mixed", "psi-vs-ci")
"""Names of the phantom cohorts."""

IMAGE_FORMATS: tuple[str, ...] = ("dicom", "png", "tiff")
"""Image formats the phantom writes."""

REVIEW_THRESHOLD = 0.5
"""A detected leg with any required landmark below this confidence is flagged ``review``."""

DEFAULT_TIME_LIMIT_S = 300.0
"""Default longest time one image may take in a batch (seconds)."""


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_memory_limit(jobs: int) -> int:
    """A task's default memory cap (bytes): the machine's memory shared by `jobs`
    workers, and never below 2 GiB (about what a film at the pixel limit needs)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(total // max(jobs, 1), 2**31)
