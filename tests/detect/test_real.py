"""Detection on real films (``shared/realfilms``, internal evaluation only; skipped
where the folder is absent) and ``scripts/eval_real.py``."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_real.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_real", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


eval_real = _load_script()


@pytest.fixture(scope="module")
def realfilms() -> Path:
    root: Path = eval_real.default_realfilms()
    if not root.is_dir():
        pytest.skip(f"no real films at {root}")
    return root


def test_eval_real_skips_cleanly_without_films(tmp_path, capsys):
    assert eval_real.main(["--realfilms", str(tmp_path / "absent")]) == 0
    assert "skipped: no real films at" in capsys.readouterr().out


def test_eval_real_on_knee_films(realfilms, tmp_path, capsys):
    out = tmp_path / "summary.json"
    overlays = tmp_path / "overlays"
    argv = ["--realfilms", str(realfilms), "--only", "knee/journey_4223_ap"]
    assert eval_real.main([*argv, "--json", str(out), "--overlays", str(overlays)]) == 0
    text = capsys.readouterr().out
    assert "knee/journey_4223_ap.jpg: view" in text and "== overall ==" in text
    payload = json.loads(out.read_text())
    film = payload["films"][0]
    assert film["kind_truth"] == "AP knee" and film["sides_truth"] == ["right"]
    assert len(film["landmarks"]) == 10  # every reference point is scored
    assert {m["measure"] for m in film["measures"]} >= {"ffc_anatomical", "ftc_anatomical"}
    assert payload["summary"]["films"] == 1
    assert len(list(overlays.glob("*.png"))) == 1


def test_reference_spacing(realfilms):
    films = {f.key: f for f in eval_real.find_films(realfilms)}
    assert eval_real.film_spacing_mm(films["longleg/01924704_1x1.jpg"]) == pytest.approx(0.763)
    # the knee films' spacing from the tray taken as 75 mm wide: 0.2-0.5 mm per pixel
    knee = eval_real.film_spacing_mm(films["knee/journey_4223_ap.jpg"])
    assert 0.2 < knee < 0.5
    assert all(f.sides == ("right",) for k, f in films.items() if k.startswith("crops/"))
