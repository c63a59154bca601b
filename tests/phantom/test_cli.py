from __future__ import annotations

import pandas as pd

from alignment.cli import exitcodes, main


def test_phantom_command(tmp_path, capsys) -> None:
    out = tmp_path / "films"
    code = main(
        [
            "phantom",
            "--n",
            "2",
            "--out",
            str(out),
            "--cohort",
            "psi-vs-ci",
            "--downscale",
            "12",
            "--format",
            "png",
            "--seed",
            "3",
        ]
    )
    assert code == exitcodes.OK
    assert "4 films of 2 patients" in capsys.readouterr().out
    assert len(pd.read_csv(out / "groups.csv")) == 2
    assert len(list(out.glob("*.png"))) == 4


def test_phantom_command_rejects_bad_input(tmp_path, capsys) -> None:
    code = main(["phantom", "--n", "0", "--out", str(tmp_path)])
    assert code == exitcodes.USAGE_ERROR  # refused by the parser, before any work
    assert "argument --n: '0' is not an integer >= 1" in capsys.readouterr().err
    assert main(["phantom", "--out", str(tmp_path), "--cohort", "nope"]) == exitcodes.USAGE_ERROR
