"""CSV text a spreadsheet cannot run, and reading it back as it was."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from alignment.csvtext import FORMULA_PREFIXES, csv_text, neutralise_formulas, restore_formulas

TEXTS = [
    "=knee.dcm", "-01.dcm", "@a.dcm", "+1.dcm", "\tcmd", "=1+2",
    "'=already.dcm", "''@twice", "'note", "'-2", "'", "", "plain.dcm", "-2", "+1.5e2", "-.5",
]  # fmt: skip


def _read_back(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_neutralised_cells_start_no_formula():
    table = pd.DataFrame({"image": TEXTS, "value": range(len(TEXTS))})
    written = neutralise_formulas(table)["image"]
    for text in written:
        assert not text.startswith(FORMULA_PREFIXES) or float(text) == float(text)
    assert written.tolist()[:3] == ["'=knee.dcm", "'-01.dcm", "'@a.dcm"]
    assert written.tolist()[6:8] == ["''=already.dcm", "'''@twice"]  # one more quote


@pytest.mark.parametrize("kind", ["object", "category"])
def test_restore_takes_off_exactly_what_was_added(kind: str):
    table = pd.DataFrame({"image": pd.Series(TEXTS, dtype=kind), "=head": TEXTS})
    back = restore_formulas(_read_back(csv_text(table)))
    assert back.columns.tolist() == ["image", "=head"]
    assert back["image"].tolist() == TEXTS
    assert back["=head"].tolist() == TEXTS


def test_restore_keeps_quotes_it_did_not_add():
    table = pd.DataFrame({"note": ["'note", "'-2", "'", "it's", "'=x"]})
    assert restore_formulas(table)["note"].tolist() == ["'note", "'-2", "'", "it's", "=x"]
    unchanged = pd.DataFrame({"image": ["a.dcm"], "x": [-1.0]})
    assert restore_formulas(unchanged) is unchanged


def test_restore_leaves_its_input_unchanged():
    table = pd.DataFrame({"image": ["'=knee.dcm"]})
    restore_formulas(table)
    assert table["image"].tolist() == ["'=knee.dcm"]
