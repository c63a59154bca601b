"""The command line under arbitrary arguments: an exit code, never a traceback."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alignment.cli import COMMANDS, exitcodes, main

EXIT_CODES = {exitcodes.OK, exitcodes.COMPLETED_WITH_ERRORS, exitcodes.USAGE_ERROR,
              exitcodes.INPUT_ERROR}  # fmt: skip
OPTIONS = ["--out", "--preset", "--set", "--wide", "--format", "--groups", "--json", "--jobs",
           "--landmarks", "--metric", "--test", "--order", "--tolerance", "--help", "--quiet",
           "--orientation", "--time-limit", "--scheduler", "-", "--", "=", "--n"]  # fmt: skip
WORDS = st.one_of(
    st.sampled_from(OPTIONS),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(["0", "-1", "1e309", "nan", "hka.target=x", "a.csv", ".", "..", "/dev/null"]),
)
# Commands that only read what they are given and return; phantom writes films by design,
# review serves until interrupted (its arguments are tested in tests/review).
SAFE = [c for c in COMMANDS if c not in ("phantom", "review")]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.sampled_from(SAFE), words=st.lists(WORDS, max_size=6))
def test_any_arguments_give_a_documented_exit_code(tmp_path, monkeypatch, capsys, command, words):
    monkeypatch.chdir(tmp_path)
    if command == "batch" and words and not words[0].startswith("-"):
        words[0] = str(tmp_path / "no-such-study")  # never walk a real folder
    code = main([command, *words])
    out = capsys.readouterr()
    assert code in EXIT_CODES, (command, words, out.err)
    assert "Traceback" not in out.err
    if code in (exitcodes.INPUT_ERROR,):
        assert out.err.count("\n") == 1  # one clear line


@pytest.mark.parametrize("argv", [[], ["nope"], ["--version"], ["measure", "--wide"]])
def test_edges(argv, capsys):
    assert main(argv) in EXIT_CODES
    assert "Traceback" not in capsys.readouterr().err
    assert os.getcwd()
