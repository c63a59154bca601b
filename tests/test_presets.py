"""Target presets: built-ins, user files, extends, overrides and hashes."""

from __future__ import annotations

import math

import pytest

from alignment import PresetError, load_preset
from alignment.measures import builtin_presets


def test_builtins():
    assert builtin_presets() == ("default", "knee-society")
    default = load_preset()
    assert default.targets["ltc"].target == 87 and default.targets["ltc"].tolerance == 3
    knee = load_preset("knee-society")
    assert "ffc" not in knee.targets and knee.targets["ffc_anatomical"].target == 96
    assert default.hash != knee.hash and len(default.hash) == 12


def test_hash_follows_content_not_source(tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text('name = "default"\nextends = "default"\n')
    assert load_preset(copy).hash == load_preset().hash
    assert load_preset(overrides={"hka": {"target": 179}}).hash != load_preset().hash


def test_target_without_tolerance(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n[measures]\nmad_mm = { target = -8 }\n')
    target = load_preset(path).targets["mad_mm"]
    assert target.target == -8 and math.isnan(target.tolerance)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ("[measures]\nhkaa = { target = 1 }\n", "unknown measure 'hkaa'"),
        ('[measures]\nhka = { target = "x" }\n', "hka.target must be a finite number"),
        ("[measures]\nhka = { target = 1, tolerance = -1 }\n", "must not be negative"),
        ("[measures]\nhka = 3\n", 'must be { target = ..., tolerance = ... } or "none"'),
        ("[measures]\ncpak = { target = 5 }\n", "classification and takes no target"),
        ("[measures]\nmad_mm = { tolerance = 5 }\n", "has a tolerance but no target"),
        ('colour = "blue"\n', "unknown key(s) colour"),
        ('extends = "nothing-like-this"\n', "unknown preset 'nothing-like-this'"),
    ],
)
def test_malformed_presets(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PresetError) as info:
        load_preset(path)
    assert message in str(info.value)


def test_extends_cycle(tmp_path):
    path = tmp_path / "loop.toml"
    path.write_text(f'extends = "{path}"\n')
    with pytest.raises(PresetError, match="nests too deep"):
        load_preset(path)
