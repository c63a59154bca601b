"""Fixtures of the report tests: a synthetic cohort, measured, with films and errors."""

from __future__ import annotations

import pytest

from tests.report.cohort import Cohort, make_cohort


@pytest.fixture(scope="session")
def cohort() -> Cohort:
    """Six AP films (two legs each, groups PSI and CI) and one failed image."""
    return make_cohort(6, seed=0)
