"""Cheap name resolution shared by the anti-pattern checks (no libcst metadata needed).

`Imports` records what `import` / `from ... import` statements bind (at any depth, which is
what matters for lint purposes), so `import requests as r; r.get(...)` resolves to
`requests.get` and `from time import sleep as nap; nap(1)` to `time.sleep`. Names that are not
imported resolve to themselves (`open` -> `open`), which the checks treat as builtins only when
the file does not rebind them.
"""

from __future__ import annotations

from typing import Any

import libcst as cst


_Name = cst.Name
_Attribute = cst.Attribute


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for Name/Attribute chains, else None.

    Exact type tests: parsed nodes are instances of libcst's own (final) classes, and an
    `isinstance` miss against a libcst class goes through the ABC machinery (this is called for
    most calls, by most checks)."""
    current: Any = node
    cls = type(current)
    if cls is _Name:
        name: str = current.value
        return name
    if cls is not _Attribute:
        return None
    parts: list[str] = []
    while cls is _Attribute:
        parts.append(current.attr.value)
        current = current.value
        cls = type(current)
    if cls is _Name:
        parts.append(current.value)
        parts.reverse()
        return ".".join(parts)
    return None


def _module_name(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    return dotted(node) or ""


class Imports:
    """Local name -> qualified name, from the import statements seen so far."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = full
            else:
                top = full.split(".", 1)[0]
                self.names[top] = top

    def visit_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative:
            return
        module = _module_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{module}.{name}" if module else name

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """The qualified dotted name of an expression, resolving the first part through imports."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.names.get(head)
        if full is None:
            return name
        return f"{full}.{rest}" if rest else full

    def is_imported(self, local: str) -> bool:
        return local in self.names


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_kwargs(call: cst.Call) -> bool:
    return any(arg.star == "**" for arg in call.args)


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, or of implicit concatenations."""
    if isinstance(node, cst.SimpleString):
        prefix = node.prefix.lower()
        if "b" in prefix:
            return None
        try:
            value = node.evaluated_value
        except (ValueError, SyntaxError, UnicodeError):  # odd escapes: not a plain literal
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left = string_value(node.left)
        right = string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
