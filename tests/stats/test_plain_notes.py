"""Library warnings never reach a user: degenerate inputs give plain notes, no raw
numpy, scipy or statsmodels text in any table or on the terminal, and no warning
escapes (the test configuration turns every warning into an error)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from alignment.cli import exitcodes, main
from alignment.errors import StatsError
from alignment.notes import PLAIN_NOTES, plain_note, show_warnings_as_notes
from alignment.stats import compare_groups, non_inferiority, reliability, summary_ttests
from alignment.stats._common import recorded
from tests.stats.conftest import make_results

RAW = re.compile(
    "|".join(
        [
            *map(re.escape, PLAIN_NOTES),
            r"Warning\b",
            r"encountered in",
            r"empty slice",
            r"catastrophic cancellation",
        ]
    )
)
"""Library wording that must not appear in a note, a table or on the terminal."""

_NUMBERS = ["value", "deviation", "abs_deviation"]


def _degenerate(kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    results, groups = make_results(n_cases=(1, 1) if kind == "n=1" else (6, 6), missing=0.0)
    if kind == "constant":
        results[_NUMBERS] = 1.0
    elif kind == "nearly constant":  # scipy: "Precision loss occurred in moment calculation"
        for column in _NUMBERS:
            results[column] = 1e9 + np.arange(len(results)) % 2 * 1e-6
    elif kind == "NaN only":
        results[_NUMBERS] = np.nan
    elif kind == "huge":
        results[_NUMBERS] *= 1e45
    return results, groups


KINDS = ["constant", "nearly constant", "n=1", "NaN only", "huge"]


def _assert_plain(table: pd.DataFrame) -> None:
    text = table.astype(str).to_csv()
    assert not RAW.search(text), RAW.search(text)


@pytest.mark.parametrize("kind", KINDS)
def test_compare_and_non_inferiority_give_plain_notes(kind):
    results, groups = _degenerate(kind)
    _assert_plain(
        compare_groups(
            results,
            groups,
            test="auto",
            equivalence_margin=1.0,
            noninferiority_margin=1.0,
            noninferiority_rate_margin=0.1,
        )
    )
    _assert_plain(non_inferiority(results, groups, margin=1.0))


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "NaN only"])
def test_reliability_gives_plain_notes(kind):
    results, _ = _degenerate(kind)
    second = results.assign(reader="B", value=results["value"] * (1 + 1e-12))
    _assert_plain(reliability(pd.concat([results.assign(reader="A"), second])))


def test_summary_of_degenerate_rows_gives_plain_notes():
    table = pd.DataFrame(
        {
            "measure": ["zero SDs", "one zero SD", "n = 1", "tiny SDs", "huge"],
            "mean1": ["1", "1", "1", "1", "1e45"],
            "sd1": ["0", "0", "1", "1e-300", "1e45"],
            "n1": ["5", "5", "1", "2", "5"],
            "mean2": ["1", "2", "2", "1", "2e45"],
            "sd2": ["0", "1", "1", "1e-300", "1e45"],
            "n2": ["5", "5", "1", "2", "5"],
        }
    )
    _assert_plain(summary_ttests(table))


def test_values_beyond_the_float_range_of_the_statistics_are_an_error():
    results, groups = make_results(n_cases=(6, 6), missing=0.0)
    results["abs_deviation"] *= 1e300
    with pytest.raises(StatsError, match=r"'abs_deviation' holds values up to .*: check its unit"):
        compare_groups(results, groups)


def test_every_recorded_warning_becomes_its_plain_note():
    def noisy() -> int:
        warnings.warn("invalid value encountered in scalar divide", RuntimeWarning, stacklevel=2)
        warnings.warn("Maximum Likelihood optimization failed", ConvergenceWarning, stacklevel=2)
        warnings.warn("invalid value encountered in sqrt", RuntimeWarning, stacklevel=2)
        return 7

    result, notes = recorded(noisy)
    assert result == 7
    assert notes == [PLAIN_NOTES["invalid value encountered"], PLAIN_NOTES["ConvergenceWarning"]]


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("divide by zero encountered in log", RuntimeWarning),
        ("Mean of empty slice.", RuntimeWarning),
        ("Degrees of freedom <= 0 for slice", RuntimeWarning),
        (
            "Precision loss occurred in moment calculation due to catastrophic cancellation. "
            "This occurs when the data are nearly identical. Results may be unreliable.",
            RuntimeWarning,
        ),
        ("The MLE may be on the boundary of the parameter space.", UserWarning),
    ],
)
def test_library_warnings_have_plain_notes(message, category):
    note = plain_note(message, category)
    assert note in PLAIN_NOTES.values()
    assert not RAW.search(note)


def test_the_terminal_shows_the_plain_note(tmp_path, capsys):
    results, groups = _degenerate("nearly constant")
    results.to_csv(tmp_path / "results.csv", index=False)
    groups.to_csv(tmp_path / "groups.csv", index=False)
    out = tmp_path / "table.md"
    argv = ["compare", str(tmp_path / "results.csv"), "--groups", str(tmp_path / "groups.csv")]
    assert main([*argv, "--test", "auto", "--out", str(out)]) == exitcodes.OK
    captured = capsys.readouterr()
    assert not RAW.search(captured.err + captured.out + out.read_text())


def test_nearly_identical_values_get_the_precision_note():
    results, groups = _degenerate("nearly constant")
    notes = compare_groups(results, groups, noninferiority_margin=1.0)["notes"].iloc[0]
    assert PLAIN_NOTES["Precision loss occurred in moment calculation"] in notes


def test_a_warning_on_the_terminal_is_its_plain_note(caplog):
    with warnings.catch_warnings():
        show_warnings_as_notes()
        warnings.simplefilter("default")  # as outside the tests, where no filter is "error"
        warnings.warn("divide by zero encountered in log", RuntimeWarning, stacklevel=1)
    assert [r.getMessage() for r in caplog.records] == [PLAIN_NOTES["divide by zero encountered"]]
