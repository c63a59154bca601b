"""Name maps: from the labels of other tools to the spec's landmark names and sides.

The default map is ``names.toml`` in this package (print it with
``python -c "import alignment.annotations as a; print(a.DEFAULT_NAME_MAP_PATH.read_text())"``).
A user map in the same schema is merged over it; it may also have a ``[names]`` table
mapping exact labels to a spec name with an optional side word, for labels no rule
catches (``"F-1" = "right_femoral_head_center"``).

Examples
--------
>>> names = load_name_map()
>>> names.resolve("L. Femoral Head Centre")
('femoral_head_center', 'left')
>>> names.resolve("ankle_center_R")
('ankle_center', 'right')
>>> names.resolve("tibial_plateau_medial")
('tibial_plateau_medial', None)
>>> names.resolve("calibration ball") is None
True
>>> custom = load_name_map({"names": {"F-1": "right femoral head"}})
>>> custom.resolve("F-1")
('femoral_head_center', 'right')
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alignment.errors import AnnotationError, UnknownLandmarkError
from alignment.vocabulary import AP_LANDMARKS, LAT_LANDMARKS, Side

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_NAME_MAP_PATH", "NameMap", "load_name_map", "normalise_label"]

DEFAULT_NAME_MAP_PATH = Path(__file__).with_name("names.toml")
"""The default name map shipped with the package."""

_SPEC_NAMES = tuple(dict.fromkeys(AP_LANDMARKS + LAT_LANDMARKS))
_KEYS = ("version", "sides", "aliases", "ignore", "point_orders", "names")


def normalise_label(label: object) -> str:
    """Lower case, runs of non-alphanumerics to one ``_``, no ``_`` at either end.

    Examples
    --------
    >>> normalise_label(" L. Femoral-Head Centre ")
    'l_femoral_head_centre'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(label).lower()).strip("_")


@dataclass(frozen=True)
class NameMap:
    """How labels of other tools become spec names (see :func:`load_name_map`).

    Parameters
    ----------
    aliases : mapping of str to str
        Normalised label to spec landmark name (spec names map to themselves).
    sides : mapping of str to {'left', 'right'}
        Normalised side word to side.
    ignore : frozenset of str
        Normalised labels of points to skip.
    point_orders : mapping of int to tuple of str
        For files of unnamed points: the number of points to the label of each.
    names : mapping of str to str
        Normalised exact label to a target label (a spec name, alias, with an optional
        side word), tried before anything else.
    source : str
        Where the map came from, for messages.
    """

    aliases: Mapping[str, str]
    sides: Mapping[str, Side]
    ignore: frozenset[str] = frozenset()
    point_orders: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    source: str = "<name map>"

    def __post_init__(self) -> None:
        for attribute in ("aliases", "sides", "point_orders", "names"):
            object.__setattr__(self, attribute, MappingProxyType(dict(getattr(self, attribute))))

    def _plain(self, key: str) -> tuple[str, Side | None] | None:
        if key in self.aliases:
            return self.aliases[key], None
        words = key.split("_")
        for side_first in (True, False):
            if len(words) < 2:
                break
            word, rest = (words[0], words[1:]) if side_first else (words[-1], words[:-1])
            stem = "_".join(rest)
            if word in self.sides and stem in self.aliases:
                return self.aliases[stem], self.sides[word]
        return None

    def resolve(self, label: object, *, where: str = "") -> tuple[str, Side | None] | None:
        """Return ``(spec_name, side or None)`` for a label, or None if it is ignored.

        Raises
        ------
        UnknownLandmarkError
            If the label maps to no spec name; the closest names are suggested.
        """
        key = normalise_label(label)
        if key in self.ignore:
            return None
        if key in self.names:
            target = self.names[key]
            if target in self.ignore:
                return None
            found = self._plain(target)
        else:
            found = self._plain(key)
        if found is None:
            candidates = list(self.aliases)
            close = difflib.get_close_matches(key, candidates, n=6, cutoff=0.6)
            suggestions = list(dict.fromkeys(self.aliases[c] for c in close))[:3]
            prefix = f"{where}: " if where else ""
            raise UnknownLandmarkError(
                str(label),
                suggestions,
                f"{prefix}label not in the name map {self.source} (add it under [names] "
                "or [aliases] of a user name map)",
            )
        return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read the name map: {exc}") from None


def _merge(base: dict[str, Any], document: Mapping[str, Any], source: str) -> None:
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise AnnotationError(
            f"{source}: unknown name map table(s) {', '.join(unknown)}; expected any of "
            f"{', '.join(_KEYS[1:])}"
        )
    for side, words in dict(document.get("sides", {})).items():
        if side not in ("left", "right") or not isinstance(words, list):
            raise AnnotationError(f"{source}: [sides] must map left and right to lists of words")
        for word in words:
            base["sides"][normalise_label(word)] = side
    for name, aliases in dict(document.get("aliases", {})).items():
        if name not in _SPEC_NAMES:
            close = difflib.get_close_matches(name, _SPEC_NAMES, n=3)
            raise UnknownLandmarkError(name, close, f"{source}: [aliases]")
        if not isinstance(aliases, list):
            raise AnnotationError(f"{source}: [aliases] {name} must be a list of labels")
        for alias in aliases:
            base["aliases"][normalise_label(alias)] = name
    ignore = document.get("ignore", {})
    labels = ignore.get("labels", []) if isinstance(ignore, Mapping) else ignore
    if not isinstance(labels, list):
        raise AnnotationError(f"{source}: [ignore] labels must be a list")
    base["ignore"].update(normalise_label(label) for label in labels)
    for count, order in dict(document.get("point_orders", {})).items():
        if not str(count).isdigit() or not isinstance(order, list) or len(order) != int(count):
            raise AnnotationError(
                f"{source}: [point_orders] {count!r} must list exactly {count} labels"
            )
        base["point_orders"][int(count)] = tuple(str(label) for label in order)
    for label, target in dict(document.get("names", {})).items():
        if not isinstance(target, str):
            raise AnnotationError(f"{source}: [names] {label!r} must map to a string")
        base["names"][normalise_label(label)] = normalise_label(target)


def load_name_map(
    user: NameMap | Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> NameMap:
    """Return the default name map, with a user map merged over it.

    Parameters
    ----------
    user : NameMap, mapping, path-like or None
        A ready :class:`NameMap` (returned as is), a TOML file, or its parsed content
        as a mapping, with any of the tables ``sides``, ``aliases``, ``ignore``,
        ``point_orders`` and ``names`` (see ``names.toml``).

    Returns
    -------
    NameMap

    Raises
    ------
    AnnotationError
        If the map cannot be read or is malformed.
    UnknownLandmarkError
        If it aliases a name that is not in the spec's vocabulary.
    """
    if isinstance(user, NameMap):
        return user
    base: dict[str, Any] = {
        "aliases": {name: name for name in _SPEC_NAMES},
        "sides": {},
        "ignore": set(),
        "point_orders": {},
        "names": {},
    }
    _merge(base, _read_toml(DEFAULT_NAME_MAP_PATH), str(DEFAULT_NAME_MAP_PATH))
    source = "<default>"
    if user is not None:
        if isinstance(user, Mapping):
            document, source = user, "<user name map>"
        else:
            source = os.fspath(user)
            document = _read_toml(Path(user))
        _merge(base, document, source)
        source = f"<default> + {source}"
    for name in _SPEC_NAMES:  # a spec name always means itself
        base["aliases"][name] = name
    return NameMap(
        aliases=base["aliases"],
        sides=base["sides"],
        ignore=frozenset(base["ignore"]),
        point_orders=base["point_orders"],
        names=base["names"],
        source=source,
    )
