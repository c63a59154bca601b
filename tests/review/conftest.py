"""Fixtures of the review tests: the sample cohort as a study, a review folder, a client."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_images"
TOKEN = "test-token-0123456789"


def folder_digest(folder: Path) -> str:
    """SHA-256 over every file's name and bytes: proves a folder was not modified."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def samples_digest() -> str:
    return folder_digest(SAMPLES)
