"""Short fuzz runs over every reader of untrusted input, and the saved crashers.

Each example mutates a valid seed file (truncation, bit flips, lying lengths, wrong
VRs, absurd dimensions, another transfer syntax, text noise) and checks the reader's
contract (:func:`tests.fuzz.targets.check`). ``scripts/fuzz.py`` runs the same targets
for long campaigns and saves any input that breaks the contract under
``tests/fuzz/corpus/<target>/``, which :func:`test_saved_crashers` replays for ever.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutations import mutate
from tests.fuzz.targets import TARGETS, check, seed_bytes

CORPUS = Path(__file__).parent / "corpus"
_SEEDS = {kind: seed_bytes(kind) for kind in TARGETS}


@pytest.mark.parametrize("kind", sorted(TARGETS))
@settings(
    max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 3))
def test_mutated_inputs_keep_the_contract(tmp_path, kind, data, seed, rounds):
    name, content = data.draw(st.sampled_from(_SEEDS[kind]), label="seed file")
    path = tmp_path / f"fuzz-{seed}-{name}"
    path.write_bytes(mutate(kind, content, random.Random(seed), rounds))
    check(TARGETS[kind], path)


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_seeds_are_valid(tmp_path, kind):
    for name, content in _SEEDS[kind]:
        path = tmp_path / name
        path.write_bytes(content)
        TARGETS[kind](path)  # a seed must read without error


def _saved() -> list[tuple[str, Path]]:
    return [(p.parent.name, p) for p in sorted(CORPUS.glob("*/*")) if p.parent.name in TARGETS]


@pytest.mark.parametrize(
    ("kind", "path"),
    _saved() or [pytest.param("", Path(), marks=pytest.mark.skip(reason="no saved crasher yet"))],
)
def test_saved_crashers(kind, path):
    check(TARGETS[kind], path)
