"""Scope metadata for one top-level statement instead of the whole file.

libcst's ScopeProvider (and QualifiedNameProvider, built on it) analyses the whole module: on a
1,500-line models file that costs several parses, and a rule that asks about one name inside one
function pays all of it. Here the provider runs on a reduced module: every top-level simple
statement (imports, module-level assignments), module-level compound statements other than
functions and classes, the other functions and classes reduced to their signatures (the names
they bind stay bound), and the one top-level statement holding the node, whole. The node objects
of that statement are the file's own, so the answer is looked up with the node the rule holds.
Names bound only inside another function's body are the one difference, and no scope lookup from
outside that function can see them anyway.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

_STUB = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


def local_metadata(ctx: Any, provider: Any, node: Any) -> Any:
    """`provider` resolved for the top-level statement holding `node` (the one being walked, else
    found through the file's line index); the whole file's when that cannot be told. Cached per
    statement on the file context."""
    module = ctx.module
    if module is None:
        return ctx.metadata(provider)
    index = _top_index(ctx, node)
    if index is None:
        return ctx.metadata(provider)
    cache: dict[tuple[Any, int], Any] = ctx.memo.setdefault("local_metadata", {})
    key = (provider, index)
    found = cache.get(key)
    if found is None:
        body = []
        for position, statement in enumerate(module.body):
            if position != index and isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                statement = statement.with_changes(body=_STUB, decorators=())
            body.append(statement)
        reduced = module.with_changes(body=body)
        found = cache[key] = cst.MetadataWrapper(reduced, unsafe_skip_copy=True).resolve(provider)
    if node not in found:
        return ctx.metadata(provider)
    return found


def _top_index(ctx: Any, node: Any) -> int | None:
    hint = getattr(ctx, "stmt_index", None)
    body = ctx.module.body
    if hint is not None and 0 <= hint < len(body) and body[hint] is node:
        return int(hint)
    from .positions import LineIndex, Mismatch

    index = ctx.line_index
    if index is None:
        index = ctx.line_index = LineIndex(ctx.module, ctx.source)
    if index is False:
        return hint if isinstance(hint, int) else None
    try:
        top: int | None = index.top_index(node, hint)
    except Mismatch:
        ctx.line_index = False
        return hint if isinstance(hint, int) else None
    return top
