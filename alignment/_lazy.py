"""Lazy exports of a package: names imported from their module on first use.

``import alignment`` (and so ``alignment --help``) then costs milliseconds instead of
the seconds that numpy, pandas, scipy and the DICOM stack take; ``alignment.run_batch``
and ``from alignment import run_batch`` still work as if imported eagerly (PEP 562).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` that import each name of `exports` from
    its module on first access, and cache it in the package.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Exported name -> the module that defines it.

    Examples
    --------
    >>> import types, sys
    >>> fake = types.ModuleType("fake_package")
    >>> sys.modules["fake_package"] = fake
    >>> fake.__getattr__, fake.__dir__ = lazy_exports("fake_package", {"sqrt": "math"})
    >>> fake.sqrt(9.0)
    3.0
    >>> "sqrt" in vars(fake)  # cached after the first access
    True
    >>> import alignment
    >>> alignment.measures.__name__  # submodules are found too
    'alignment.measures'
    """

    def get_attribute(name: str) -> Any:
        module = exports.get(name)
        if module is None:  # a submodule, as ``import package`` once made them all
            if name.startswith("_") or importlib.util.find_spec(f"{package}.{name}") is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            return importlib.import_module(f"{package}.{name}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def list_names() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return get_attribute, list_names
