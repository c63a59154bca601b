"""Formulas of the measurement spec as small, checked expressions.

A measure's formula is written once, in the spec's own notation
(``180 + turn(dF, dT)``), and that text is both what the docs show and what runs:
it is parsed with :mod:`ast` into a tree that may hold only numbers, names, ``+``,
``-``, ``/``, unary minus and calls of known functions, and evaluated over numpy
arrays (one value per leg).

Examples
--------
>>> import numpy as np
>>> f = Formula("90 - lfc")
>>> sorted(f.names)
['lfc']
>>> f.evaluate({"lfc": np.array([88.0, 93.0])}.__getitem__, {})
array([ 2., -3.])
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Formula"]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Div: operator.truediv,
}


class Formula:
    """A parsed formula: its text, the names it reads and the functions it calls.

    Parameters
    ----------
    text : str
        The expression, for example ``"angle(jF, -dF)"``.

    Raises
    ------
    ValueError
        If the text is not an expression of the allowed form.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._tree = ast.parse(text, mode="eval").body
        names: set[str] = set()
        functions: set[str] = set()
        for node in ast.walk(self._tree):
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.keywords:
                    raise ValueError(f"{text!r}: only plain calls of named functions are allowed")
                functions.add(node.func.id)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
                raise ValueError(f"{text!r}: operator {type(node.op).__name__} is not allowed")
            elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
                raise ValueError(f"{text!r}: only unary minus is allowed")
            elif not isinstance(
                node, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Load, ast.USub, *_BINARY)
            ):
                raise ValueError(f"{text!r}: {type(node).__name__} is not allowed in a formula")
        self.functions = frozenset(functions)
        self.names = frozenset(names - functions)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def evaluate(
        self, lookup: Callable[[str], Any], functions: Mapping[str, Callable[..., Any]]
    ) -> Any:
        """Evaluate the formula, reading names through `lookup`."""

        def visit(node: ast.expr) -> Any:
            if isinstance(node, ast.Constant):
                return node.value
            if isinstance(node, ast.Name):
                return lookup(node.id)
            if isinstance(node, ast.UnaryOp):
                return -visit(node.operand)
            if isinstance(node, ast.BinOp):
                return _BINARY[type(node.op)](visit(node.left), visit(node.right))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                return functions[node.func.id](*(visit(arg) for arg in node.args))
            raise ValueError(f"{self.text!r}: cannot evaluate {ast.dump(node)}")

        return visit(self._tree)
