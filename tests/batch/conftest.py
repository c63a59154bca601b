"""Fixtures of the batch tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.batch.samples import SAMPLES


@pytest.fixture
def study(tmp_path) -> Path:
    """A copy of the sample cohort in a folder of its own (inputs the test may lose)."""
    folder = tmp_path / "study"
    shutil.copytree(SAMPLES, folder)
    return folder
