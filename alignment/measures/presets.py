"""Target presets: the target and tolerance of each measure, from TOML.

A preset file has a ``name``, an optional ``description``, an optional ``extends``
(another preset's name or path, whose targets it starts from) and a ``[measures]``
table mapping measure names to ``{ target = ..., tolerance = ... }``, or to the string
``"none"`` to take a target away. The package ships ``default`` (the spec's targets)
and ``knee-society`` (FFC/FTC scored against the anatomical axes).

Every result row carries the preset's name and :attr:`Preset.hash`, a digest of its
resolved content (overrides included), so two runs with the same name but different
targets can be told apart.

Examples
--------
>>> preset = load_preset("default")
>>> preset.targets["hka"]
Target(target=180.0, tolerance=3.0)
>>> load_preset("default", overrides={"hka": {"tolerance": 2}}).targets["hka"].tolerance
2.0
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alignment.errors import PresetError
from alignment.measures.registry import MEASURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Preset", "Target", "builtin_presets", "load_preset", "parse_override"]

_MAX_EXTENDS = 8


@dataclass(frozen=True)
class Target:
    """A measure's target and tolerance, in the measure's unit.

    ``tolerance`` is NaN when only a target is given: deviations are then computed,
    outliers are not.
    """

    target: float
    tolerance: float = math.nan


@dataclass(frozen=True)
class Preset:
    """A resolved preset.

    Attributes
    ----------
    name : str
    description : str
    entries : tuple of (str, Target)
        Only measures that have a target, in registry order; see :attr:`targets`.
    hash : str
        First 12 hex digits of the SHA-256 of the canonical JSON of the targets and name.
    """

    name: str
    description: str
    entries: tuple[tuple[str, Target], ...]
    hash: str

    @property
    def targets(self) -> Mapping[str, Target]:
        """Target of each measure that has one, in registry order."""
        return MappingProxyType(dict(self.entries))


def builtin_presets() -> tuple[str, ...]:
    """Names of the presets shipped with the package."""
    folder = resources.files("alignment") / "presets"
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                        if p.name.endswith(".toml")))  # fmt: skip


def _read(source: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """Return the parsed TOML of a built-in name or a file path, and where it came from."""
    text_source = os.fspath(source)
    if text_source in builtin_presets():
        resource = resources.files("alignment") / "presets" / f"{text_source}.toml"
        text, where = resource.read_text(encoding="utf-8"), f"preset {text_source!r}"
    else:
        path = Path(text_source)
        if not path.is_file():
            raise PresetError(
                f"unknown preset {text_source!r}: not a file, and not one of the built-in "
                f"presets ({', '.join(builtin_presets())})"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PresetError(f"{path}: cannot read preset: {exc}") from None
        where = str(path)
    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{where}: not valid TOML: {exc}") from None


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PresetError(f"{where}: {what} must be a finite number, not {value!r}")
    return float(value)


def _apply(targets: dict[str, Target], entries: Mapping[str, Any], where: str) -> None:
    """Update `targets` in place with preset entries (tables, or "none" to remove)."""
    for name, entry in entries.items():
        if name not in MEASURES:
            raise PresetError(f"{where}: unknown measure {name!r}")
        if entry == "none":
            targets.pop(name, None)
            continue
        if not isinstance(entry, Mapping) or set(entry) - {"target", "tolerance"}:
            raise PresetError(
                f'{where}: {name} must be {{ target = ..., tolerance = ... }} or "none"'
            )
        if MEASURES[name].unit == "":
            raise PresetError(f"{where}: {name} is a classification and takes no target")
        base = targets.get(name)
        if "target" not in entry and base is None:
            raise PresetError(f"{where}: {name} has a tolerance but no target")
        target = _number(entry["target"], where, f"{name}.target") if "target" in entry else None
        tolerance = (
            _number(entry["tolerance"], where, f"{name}.tolerance")
            if "tolerance" in entry
            else None
        )
        if tolerance is not None and tolerance < 0:
            raise PresetError(f"{where}: {name}.tolerance must not be negative")
        targets[name] = Target(
            target=target if target is not None else base.target,  # type: ignore[union-attr]
            tolerance=tolerance
            if tolerance is not None
            else (base.tolerance if base is not None else math.nan),
        )


def _resolve(source: str | os.PathLike[str], depth: int = 0) -> tuple[str, str, dict]:
    if depth > _MAX_EXTENDS:
        raise PresetError(f"preset {os.fspath(source)!r}: 'extends' nests too deep (a cycle?)")
    document, where = _read(source)
    unknown = set(document) - {"name", "description", "extends", "measures"}
    if unknown:
        raise PresetError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    targets: dict[str, Target] = {}
    if "extends" in document:
        _, _, targets = _resolve(document["extends"], depth + 1)
    measures = document.get("measures", {})
    if not isinstance(measures, Mapping):
        raise PresetError(f"{where}: [measures] must be a table")
    _apply(targets, measures, where)
    fallback = Path(os.fspath(source)).stem
    return str(document.get("name", fallback)), str(document.get("description", "")), targets


def load_preset(
    source: str | os.PathLike[str] | Preset = "default",
    *,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> Preset:
    """Load a preset by built-in name or TOML path, with per-measure overrides.

    Parameters
    ----------
    source : str, path-like or Preset
        ``"default"``, ``"knee-society"``, a path to a TOML file, or a preset already
        loaded (then only `overrides` apply).
    overrides : mapping, optional
        ``{measure: {"target": float, "tolerance": float}}``; either key may be left
        out to keep the preset's value.

    Returns
    -------
    Preset

    Raises
    ------
    PresetError
        Unknown preset or measure, malformed TOML, a non-numeric or negative value.
    """
    if isinstance(source, Preset):
        name, description, targets = source.name, source.description, dict(source.targets)
    else:
        name, description, targets = _resolve(source)
    if overrides:
        _apply(targets, overrides, "overrides")
    ordered = {m: targets[m] for m in MEASURES if m in targets}
    canonical = json.dumps(
        {"name": name, "targets": {m: [t.target, t.tolerance] for m, t in ordered.items()}},
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    return Preset(name, description, tuple(ordered.items()), digest)


def parse_override(text: str) -> dict[str, dict[str, float]]:
    """Parse one command-line override, ``MEASURE.target=VALUE`` or ``MEASURE.tolerance=VALUE``.

    Examples
    --------
    >>> parse_override("hka.tolerance=2")
    {'hka': {'tolerance': 2.0}}
    """
    key, _, value = text.partition("=")
    measure, _, field = key.strip().partition(".")
    if not value or field not in ("target", "tolerance"):
        raise PresetError(
            f"override {text!r}: expected MEASURE.target=VALUE or MEASURE.tolerance=VALUE"
        )
    try:
        number = float(value)
    except ValueError:
        raise PresetError(f"override {text!r}: {value!r} is not a number") from None
    return {measure: {field: number}}
