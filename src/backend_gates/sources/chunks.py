"""Re-parse only what changed: libcst trees of a document assembled from per-statement pieces.

An editor sends the whole document on every keystroke, but an edit changes one top-level
statement. The stdlib `ast` (about ten times faster than libcst) splits the text into top-level
statement pieces; each piece is parsed by libcst once and remembered by its text, and the module
is assembled from the pieces. The assembled tree equals a full parse (tests/engine/test_chunks.py
compares them with `deep_equals` on real files); whenever a split could differ (a comment that
belongs to an indented block's footer, mixed indentation, a syntax `ast` cannot read) the whole
text is parsed instead.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import libcst as cst


class PieceCache:
    """Parsed pieces by their text; bounded (least recently used pieces dropped first)."""

    def __init__(self, parse: Callable[[str], cst.Module], limit: int = 4000) -> None:
        self.parse = parse
        self.limit = limit
        self.pieces: OrderedDict[str, cst.Module] = OrderedDict()
        self.moved: dict[str, tuple[cst.Module, Any]] = {}
        self.hits = 0

    def piece(self, text: str) -> cst.Module:
        found = self.pieces.get(text)
        if found is not None:
            self.pieces.move_to_end(text)
            self.hits += 1
            return found
        module = self.parse(text)
        self.pieces[text] = module
        if len(self.pieces) > self.limit:
            dropped, _module = self.pieces.popitem(last=False)
            self.moved.pop(dropped, None)
        return module

    def _moved(self, text: str, module: cst.Module) -> Any:
        """The piece's statement with the piece's header comments as its leading lines; one
        object per piece, so positions computed for it are reused (sources/positions.py)."""
        found = self.moved.get(text)
        if found is None or found[0] is not module:
            statement = module.body[0]
            found = self.moved[text] = (module, statement.with_changes(leading_lines=[*module.header, *statement.leading_lines]))
        return found[1]

    def module(self, source: str) -> cst.Module | None:
        """The assembled module, or None when this text must be parsed whole."""
        pieces = split(source)
        if pieces is None or len(pieces) < 2:
            return None
        parsed = [self.piece(text) for text in pieces]
        first = parsed[0]
        body: list[Any] = []
        for index, module in enumerate(parsed):
            if module.default_indent != first.default_indent or module.default_newline != first.default_newline:
                return None
            if len(module.body) != 1 and index < len(parsed) - 1 or not module.body:
                return None
            statements = list(module.body)
            if index and module.header:
                statements[0] = self._moved(pieces[index], module)
            if index < len(parsed) - 1 and module.footer:
                return None
            body.extend(statements)
        last = parsed[-1]
        return cst.Module(
            body=body,
            header=first.header,
            footer=last.footer,
            encoding=first.encoding,
            default_indent=first.default_indent,
            default_newline=first.default_newline,
            has_trailing_newline=last.has_trailing_newline,
        )


def split(source: str) -> list[str] | None:
    """The text cut before each top-level statement's first line (its decorators and the comment
    lines right above it go with it), or None when a cut could differ from a full parse."""
    from .positions import stdlib_tree

    try:
        tree = stdlib_tree(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = source.splitlines(keepends=True)
    starts: list[int] = []  # 0-based first line of each piece
    previous_end = 0  # 1-based last line of the previous statement
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
        if first <= previous_end:  # `a = 1; b = 2`: one line, one piece
            previous_end = max(previous_end, node.end_lineno or first)
            continue
        gap = lines[previous_end : first - 1]
        if starts and any(line[:1] in (" ", "\t") and line.strip() for line in gap):
            return None  # an indented comment after a block may belong to the block's footer
        if any(line.rstrip("\r\n").endswith("\\") for line in gap):
            return None
        starts.append(previous_end if starts else 0)
        previous_end = max(previous_end, node.end_lineno or first)
    if not starts:
        return None
    bounds = starts + [len(lines)]
    return ["".join(lines[bounds[i] : bounds[i + 1]]) for i in range(len(starts))]
