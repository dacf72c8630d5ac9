"""Small libcst helpers shared by the database checks (names, arguments, literals)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar, cast

import libcst as cst

from ...sources.nodes import child_nodes, node_types, subtree

_Name = cst.Name
_Attribute = cst.Attribute


def children(node: Any) -> list[Any]:
    """The syntax child nodes of `node` (whitespace and punctuation left out): the walk's own
    `sources.nodes.child_nodes`.

    Use this instead of libcst's `node.children`, which runs a visitor over the node on every call
    and made child-walking helpers cost more than parsing the file.
    """
    return child_nodes(node)


def descendants(node: Any, kinds: type | tuple[type, ...], prune: type | tuple[type, ...] = ()) -> list[Any]:
    """Nodes of `kinds` under `node` (itself included), in source order; subtrees of `prune`
    types (other than `node` itself) are skipped. A cheap stand-in for a libcst `CSTVisitor`
    that only collects, which rebuilds every node it passes.

    In the editor (documents analysed again as they change) a module's answer is assembled from
    per-statement answers kept for the statement objects the re-parse reused: libcst nodes are
    immutable, so an unchanged statement's descendants are what they were."""
    from ...sources import positions

    if not positions.REMEMBER:
        return _collect(node, kinds, prune, node)
    if isinstance(node, cst.Module):
        out: list[Any] = [node] if isinstance(node, kinds) else []
        for top in node.body:
            out.extend(_remembered(top, kinds, prune, False))
        return out
    return list(_remembered(node, kinds, prune, True))


def _remembered(node: Any, kinds: Any, prune: Any, is_root: bool) -> list[Any]:
    return remember(node, ("descendants", kinds, prune, is_root), lambda: _collect(node, kinds, prune, node if is_root else None))


_T = TypeVar("_T")
_MEMO: "OrderedDict[tuple[int, Hashable], tuple[Any, Any]]" = OrderedDict()
_MEMO_LIMIT = 20_000


def remember(node: Any, what: Hashable, compute: Callable[[], _T]) -> _T:
    """`compute()`, a pure function of the subtree `node`: in the editor, remembered for the node
    object (an unchanged function reused by the re-parse gives the answer it gave); elsewhere
    computed. The answer is shared, so callers must not change it."""
    from ...sources import positions

    if not positions.REMEMBER:
        return compute()
    key = (id(node), what)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is node:
        _MEMO.move_to_end(key)
        return cast(_T, hit[1])
    value = compute()
    _MEMO[key] = (node, value)
    if len(_MEMO) > _MEMO_LIMIT:
        _MEMO.popitem(last=False)
    return value


_TYPES: dict[Any, frozenset[type]] = {}


def _types(kinds: type | tuple[type, ...]) -> frozenset[type]:
    """`kinds` as a set of exact types (see `sources.nodes.node_types`), remembered."""
    found = _TYPES.get(kinds)
    if found is None:
        found = _TYPES[kinds] = node_types(*(kinds if isinstance(kinds, tuple) else (kinds,)))
    return found


def _collect(node: Any, kinds: Any, prune: Any, root: Any) -> list[Any]:
    return subtree(node, _types(kinds), _types(prune) if prune else frozenset(), prune_top=root is None)


def dotted(node: Any) -> str:
    """`a.b.c` for Name/Attribute chains, '' otherwise."""
    cls = type(node)
    if cls is _Name:
        return node.value  # type: ignore[no-any-return]
    if cls is _Attribute:
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


def call_name(call: cst.Call) -> str:
    """Last name of the called thing: `sa.Column(...)` -> 'Column'."""
    func: Any = call.func
    cls = type(func)
    if cls is _Name:
        return func.value  # type: ignore[no-any-return]
    if cls is _Attribute:
        return func.attr.value  # type: ignore[no-any-return]
    return ""


def kwarg(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def string(node: Any) -> str | None:
    """The value of a plain or concatenated string literal (no f-strings), else None."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - odd prefixes
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string(node.left), string(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def is_true(node: Any) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_false(node: Any) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def strings_of(node: Any) -> list[str]:
    """String elements of a list/tuple literal (or a single string)."""
    single = string(node)
    if single is not None:
        return [single]
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for element in node.elements:
            value = string(element.value)
            if value is not None:
                out.append(value)
        return out
    return []


def type_text(node: Any) -> str:
    """A column type as written: `String(32)` -> 'STRING(32)', `sa.Integer` -> 'INTEGER'."""
    if isinstance(node, cst.Call):
        name = dotted(node.func).rsplit(".", 1)[-1]
        args = [a.value for a in node.args if a.keyword is None]
        if args and isinstance(args[0], cst.Integer):
            return f"{name.upper()}({args[0].value})"
        return name.upper()
    name = dotted(node)
    return name.rsplit(".", 1)[-1].upper() if name else ""


def body_statements(suite: Any) -> list[Any]:
    body = getattr(suite, "body", ())
    return list(body) if isinstance(body, (list, tuple)) else []


def small_statements(suite: Any) -> list[Any]:
    """Small statements of a suite (assignments, expressions), one level deep."""
    out: list[Any] = []
    for stmt in body_statements(suite):
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
    return out
