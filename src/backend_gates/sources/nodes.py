"""Which fields of a libcst node the walk visits (whitespace and punctuation skipped), cheaply.

Shared by the batched walk (python.py) and the position index (positions.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

_SKIP_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "newline",
        "dot",
        "operator",
        "asynchronous",
        "star",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "first_line",
        "empty_lines",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_CSTNode = cst.CSTNode


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of `cls` that can hold a node: whitespace, punctuation and plain `str` fields
    (a Name's value, a literal's text) are left out."""
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace") and f.type is not str
        )
        _FIELDS[cls] = names
    return names


class _Backwards(dict[type, tuple[str, ...]]):
    """type -> the fields the walk visits, last first (the walk pushes children on a stack)."""

    def __missing__(self, cls: type) -> tuple[str, ...]:
        answer = self[cls] = tuple(reversed(_fields(cls)))
        return answer


_BACKWARDS = _Backwards()


class _IsNode(dict[type, bool]):
    """type -> is it a libcst node? `type(x) in` this is far cheaper than `isinstance(x,
    CSTNode)`, which goes through the ABC machinery for every field of every node walked."""

    def __missing__(self, cls: type) -> bool:
        answer = self[cls] = issubclass(cls, _CSTNode)
        return answer


IS_NODE = _IsNode()


def child_nodes(node: Any) -> list[Any]:
    """The child nodes the walk visits (whitespace and punctuation fields skipped)."""
    out: list[Any] = []
    is_node = IS_NODE
    for name in _fields(type(node)):
        value = getattr(node, name)
        vcls = type(value)
        if is_node[vcls]:
            out.append(value)
        elif vcls is list or vcls is tuple:
            out.extend(v for v in value if is_node[type(v)])
    return out


def node_types(*classes: type) -> frozenset[type]:
    """`classes` and all their subclasses: `type(node) in node_types(A, B)` answers
    `isinstance(node, (A, B))` for libcst nodes without the ABC machinery that every
    `isinstance` miss against a libcst class goes through (libcst registers no virtual
    subclasses, and defines all its node classes when imported)."""
    out: set[type] = set()
    stack = list(classes)
    while stack:
        cls = stack.pop()
        if cls not in out:
            out.add(cls)
            stack.extend(cls.__subclasses__())
    return frozenset(out)


def subtree(node: Any, keep: frozenset[type] | None = None, prune: frozenset[type] = frozenset(), *, prune_top: bool = False) -> list[Any]:
    """`node` and every node under it that the walk visits, in source (pre-)order. `keep`: only
    nodes of these exact types are listed; `prune`: the children of a node of these types are not
    read (of `node` itself only with `prune_top`)."""
    out: list[Any] = []
    stack = [node]
    pop = stack.pop
    push = stack.append
    is_node = IS_NODE
    backwards = _BACKWARDS
    while stack:
        current = pop()
        cls = type(current)
        if keep is None or cls in keep:
            out.append(current)
        if cls in prune and (prune_top or current is not node):
            continue
        for name in backwards[cls]:
            value = getattr(current, name)
            vcls = type(value)
            if is_node[vcls]:
                push(value)
            elif vcls is list or vcls is tuple:
                for item in reversed(value):
                    if is_node[type(item)]:
                        push(item)
    return out
