"""Code ranges of libcst nodes, without generating the whole module with position tracking.

libcst's `PositionProvider` regenerates the whole module, tracking every token, to learn where each
node is; for a file with a few reported nodes that costs as much as parsing it again. Here the
stdlib `ast` (parsed lazily, about ten times faster than libcst) gives every statement its first
line and indentation. A node is then positioned by generating only the innermost statement that
holds it (a simple statement line, or a compound statement's header) with position tracking,
starting at that line inside the enclosing blocks' indentation. The result equals
`PositionProvider`'s (tests/engine/test_positions.py compares them on every node of real files).

Each generation checks itself (the statement's computed start must equal the line and column
`ast` gives); on any disagreement the index reports failure and the caller falls back to the slow,
exact path.
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst._position import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState

_COMPOUND: dict[type, tuple[type, ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.Try: (ast.Try,),
    cst.TryStar: (ast.TryStar,),
    cst.With: (ast.With, ast.AsyncWith),
    cst.Match: (ast.Match,),
}
# compound nodes whose header can be generated alone (the body swapped for `pass`)
_HEADER_ONLY = (cst.FunctionDef, cst.ClassDef, cst.If, cst.For, cst.While, cst.With, cst.ExceptHandler)
_PASS_BLOCK = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


@dataclass(slots=True)
class _TopEntry:
    top: Any  # kept alive, so its id() and its nodes' ids stay unique while cached
    owners: dict[int, int]
    ranges: dict[int, CodeRange]  # relative: line 1 is the statement's first line


_TOPS: "OrderedDict[tuple[int, str, str], _TopEntry]" = OrderedDict()
_TOPS_LIMIT = 4096
# Remembering ranges for later versions of a statement pays only where documents are analysed
# again (the editor: sources/python.parse_document turns it on); a batch run skips the bookkeeping.
REMEMBER = False


def _shifted(rng: CodeRange, lines: int) -> CodeRange:
    if not lines:
        return rng
    return CodeRange(
        CodePosition(rng.start.line + lines, rng.start.column), CodePosition(rng.end.line + lines, rng.end.column)
    )


_LAST_TREE: list[tuple[str, ast.Module]] = []


def stdlib_tree(source: str) -> ast.Module:
    """`ast.parse(source)`, remembered for the last text (the editor's re-parse and the line
    index read the same version one after the other)."""
    if _LAST_TREE and _LAST_TREE[0][0] is source:
        return _LAST_TREE[0][1]
    tree = ast.parse(source)
    _LAST_TREE[:] = [(source, tree)]
    return tree


class Mismatch(Exception):
    """The libcst and ast statement trees disagree: use the exact, slow path."""


@dataclass(slots=True)
class _Anchor:
    node: Any
    line: int  # first line of the statement itself (ast), 1-based
    column: int  # its indentation width (ast col_offset)
    start: int  # first line of its generated code (leading comment lines included)
    indents: tuple[str, ...]
    elif_: bool = False
    top: int = 0  # id() of the top-level statement holding it


class _Provider:
    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: dict[Any, CodeRange] = {}


@dataclass
class LineIndex:
    """Positions for the nodes of one parsed module; built lazily, cached per node."""

    module: cst.Module
    source: str
    anchors: dict[int, _Anchor] = field(default_factory=dict)
    owners: dict[int, int] = field(default_factory=dict)  # id(node) -> id(innermost anchor)
    owned: set[int] = field(default_factory=set)  # top-level statements whose owners are known
    ranges: dict[int, CodeRange] = field(default_factory=dict)
    built: bool = False
    _top: int = 0  # while building: the top-level statement being mapped
    earlier: dict[int, tuple[_TopEntry, int]] = field(default_factory=dict)  # top -> (entry, line shift)
    ast_of: dict[int, Any] = field(default_factory=dict)  # id(statement) -> its ast node (small ones give their line)
    expr_lines: dict[int, int] = field(default_factory=dict)  # id(expression) -> its first line (ast)
    paired: set[int] = field(default_factory=set)  # anchors whose expressions are in expr_lines

    # ------------------------------------------------------------------ statement lines (ast)
    def _build(self) -> None:
        self.built = True
        try:
            tree = stdlib_tree(self.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise Mismatch(str(exc)) from exc
        try:
            self._block(self.module.body, tree.body, (), top=True)
        except Mismatch:
            raise
        except Exception as exc:  # an unforeseen shape: the exact path decides
            raise Mismatch(f"{type(exc).__name__}: {exc}") from exc

    def _block(self, stmts: Any, nodes: list[ast.stmt], indents: tuple[str, ...], top: bool = False) -> None:
        i = 0
        for stmt in stmts:
            if top:
                self._top = id(stmt)
            if isinstance(stmt, cst.SimpleStatementLine):
                count = len(stmt.body)
                if i + count > len(nodes):
                    raise Mismatch("statement count")
                first = nodes[i]
                self._add(stmt, first.lineno, first.col_offset, len(stmt.leading_lines), indents)
                for small, node in zip(stmt.body, nodes[i : i + count]):
                    self.ast_of[id(small)] = node
                i += count
                continue
            if i >= len(nodes):
                raise Mismatch("statement count")
            self._compound(stmt, nodes[i], indents)
            i += 1
        if i != len(nodes):
            raise Mismatch("statement count")

    def _add(self, node: Any, line: int, column: int, before: int, indents: tuple[str, ...], elif_: bool = False) -> None:
        self.anchors[id(node)] = _Anchor(node, line, column, line - before, indents, elif_, self._top)

    def _body(self, body: Any, nodes: list[ast.stmt], indents: tuple[str, ...]) -> None:
        if isinstance(body, cst.IndentedBlock):
            indent = self.module.default_indent if body.indent is None else body.indent
            self._block(body.body, nodes, indents + (indent,))
        elif len(body.body) != len(nodes):  # SimpleStatementSuite: on the header's line
            raise Mismatch("suite")

    def _compound(self, stmt: Any, node: ast.stmt, indents: tuple[str, ...], elif_: bool = False) -> None:
        expected = _COMPOUND.get(type(stmt))
        if expected is None or not isinstance(node, expected):
            raise Mismatch(f"{type(stmt).__name__} vs {type(node).__name__}")
        before = len(stmt.leading_lines)
        self.ast_of[id(stmt)] = node
        decorators = getattr(stmt, "decorators", ())
        if decorators:
            deco_nodes = node.decorator_list  # type: ignore[attr-defined]
            if len(deco_nodes) != len(decorators):
                raise Mismatch("decorators")
            start = deco_nodes[0].lineno - len(decorators[0].leading_lines) - before
            self.anchors[id(stmt)] = _Anchor(stmt, node.lineno, node.col_offset, start, indents, elif_, self._top)
        else:
            self._add(stmt, node.lineno, node.col_offset, before, indents, elif_)
        if not isinstance(stmt, cst.Match):
            self._body(stmt.body, node.body, indents)  # type: ignore[attr-defined]
        if isinstance(stmt, cst.If):
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                if len(node.orelse) != 1:  # type: ignore[attr-defined]
                    raise Mismatch("elif")
                self._compound(orelse, node.orelse[0], indents, elif_=True)  # type: ignore[attr-defined]
            elif isinstance(orelse, cst.Else):
                self._body(orelse.body, node.orelse, indents)  # type: ignore[attr-defined]
            elif node.orelse:  # type: ignore[attr-defined]
                raise Mismatch("else")
        elif isinstance(stmt, (cst.For, cst.While)):
            self._else(stmt.orelse, node.orelse, indents)  # type: ignore[attr-defined]
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            handlers = node.handlers  # type: ignore[attr-defined]
            if len(handlers) != len(stmt.handlers):
                raise Mismatch("handlers")
            for handler, hnode in zip(stmt.handlers, handlers):
                self._add(handler, hnode.lineno, hnode.col_offset, len(handler.leading_lines), indents)  # type: ignore[attr-defined]
                self._body(handler.body, hnode.body, indents)  # type: ignore[attr-defined]
            self._else(stmt.orelse, node.orelse, indents)  # type: ignore[attr-defined]
            finalbody = node.finalbody  # type: ignore[attr-defined]
            if stmt.finalbody is not None:
                self._body(stmt.finalbody.body, finalbody, indents)
            elif finalbody:
                raise Mismatch("finally")
        elif isinstance(stmt, cst.Match):
            cases = node.cases  # type: ignore[attr-defined]
            if len(cases) != len(stmt.cases):
                raise Mismatch("cases")
            inner = indents + (self.module.default_indent if stmt.indent is None else stmt.indent,)
            for case, cnode in zip(stmt.cases, cases):
                pattern = cnode.pattern
                self._add(case, pattern.lineno, -1, len(case.leading_lines), inner)
                self._body(case.body, cnode.body, inner)

    def _else(self, orelse: Any, nodes: list[ast.stmt], indents: tuple[str, ...]) -> None:
        if orelse is not None:
            self._body(orelse.body, nodes, indents)
        elif nodes:
            raise Mismatch("else")

    # ------------------------------------------------------------------ owners
    def _own(self, top: Any) -> None:
        """Map every node of top-level statement `top` to its innermost anchor (one walk), or
        take the map and the ranges already computed for this very statement object (an editor's
        unchanged statements, sources/chunks.py), shifted to where it now starts."""
        key = (id(top), self.module.default_indent, self.module.default_newline)
        start = self.anchors[id(top)].start
        entry = _TOPS.get(key)
        if entry is not None and entry.top is top:
            _TOPS.move_to_end(key)
            self.owners.update(entry.owners)
            self.earlier[id(top)] = (entry, start - 1)
        else:
            from .nodes import child_nodes

            anchors = self.anchors
            owners: dict[int, int] = {}
            stack: list[tuple[Any, int]] = [(top, id(top))]
            while stack:
                node, owner = stack.pop()
                node_id = id(node)
                if node_id in anchors:
                    owner = node_id
                owners[node_id] = owner
                for child in child_nodes(node):
                    stack.append((child, owner))
            self.owners.update(owners)
            if REMEMBER:
                _TOPS[key] = _TopEntry(top, owners, {})
                if len(_TOPS) > _TOPS_LIMIT:
                    _TOPS.popitem(last=False)
        self.owned.add(id(top))

    def _remember(self, top: int, node_id: int, rng: CodeRange) -> None:
        if not REMEMBER:
            return
        entry = _TOPS.get((top, self.module.default_indent, self.module.default_newline))
        if entry is not None and top in self.anchors:
            entry.ranges[node_id] = _shifted(rng, 1 - self.anchors[top].start)

    def _owner(self, key: int, hint: int | None) -> int | None:
        """id() of the innermost anchor holding node `key`: the hinted top-level statement
        first, then the others, each mapped once."""
        body = self.module.body
        if hint is not None and 0 <= hint < len(body) and id(body[hint]) not in self.owned:
            self._own(body[hint])
        owner = self.owners.get(key)
        for top in body:
            if owner is not None:
                break
            if id(top) not in self.owned:
                self._own(top)
                owner = self.owners.get(key)
        return owner

    def top_index(self, node: Any, hint: int | None = None) -> int | None:
        """Index of the top-level statement holding `node` (None when not found)."""
        if not self.built:
            self._build()
        body = self.module.body
        key = id(node)
        owner = self._owner(key, hint)
        if owner is None:
            return None
        top_id = self.anchors[owner].top
        for index, top in enumerate(body):
            if id(top) == top_id:
                return index
        return None

    # ------------------------------------------------------------------ positions
    def start_line(self, node: Any, hint: int | None = None) -> int | None:
        """The first line of `node`; free for statements (from `ast`), else from `position`."""
        if not self.built:
            self._build()
        anchor = self.anchors.get(id(node))
        if anchor is not None and not isinstance(anchor.node, cst.MatchCase):
            return anchor.line
        twin = self.ast_of.get(id(node))
        if twin is not None and not isinstance(node, cst.BaseCompoundStatement):  # a small statement
            return int(twin.lineno)
        line = self._expression_line(node, hint)
        if line is not None:
            return line
        found = self.position(node, hint)
        return found.start.line if found is not None else None

    def _expression_line(self, node: Any, hint: int | None) -> int | None:
        """The first line of an expression from the stdlib parser's tree: the statement holding it
        is walked in step with its `ast` twin (same shape, node type by node type); any node the
        two trees do not share plainly (parenthesized, or a shape not paired here) is left to the
        generating path."""
        key = id(node)
        line = self.expr_lines.get(key)
        if line is not None:
            return line
        owner = self._owner(key, hint)
        if owner is None or owner in self.paired:
            return None
        self.paired.add(owner)
        stmt = self.anchors[owner].node
        out = self.expr_lines
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                twin = self.ast_of.get(id(small))
                if twin is not None:
                    _pair_statement(small, twin, out)
        else:
            twin = self.ast_of.get(owner)
            if twin is not None:
                _pair_header(stmt, twin, out)
        return out.get(key)

    def position(self, node: Any, hint: int | None = None) -> CodeRange | None:
        """The code range of `node`; `hint` is the index of the top-level statement likely
        holding it (the one being walked). None when the node is not found (the caller falls
        back to the exact path)."""
        key = id(node)
        found = self.ranges.get(key)
        if found is not None:
            return found
        if not self.built:
            self._build()
        owner = self._owner(key, hint)
        if owner is None:
            return None
        anchor = self.anchors[owner]
        earlier = self.earlier.get(anchor.top)
        if earlier is not None:  # known from an earlier analysis of the same statement
            relative = earlier[0].ranges.get(key)
            if relative is not None:
                found = self.ranges[key] = _shifted(relative, earlier[1])
                return found
        if owner == key and isinstance(node, _HEADER_ONLY + (cst.Try, cst.TryStar)) and isinstance(node.body, cst.IndentedBlock):
            own = self._compound_range(anchor)
            if own is not None:
                return own
        header = owner != key and isinstance(anchor.node, _HEADER_ONLY) and isinstance(anchor.node.body, cst.IndentedBlock)
        self._generate(anchor, header)
        found = self.ranges.get(key)
        if found is None and header:  # a node the header alone does not generate (else, finally)
            self._generate(anchor, False)
            found = self.ranges.get(key)
        return found

    def _compound_range(self, anchor: _Anchor) -> CodeRange | None:
        """A compound statement's own range without generating its body: the start from its
        header, the end from the last simple statement it ends with (libcst's `end_node` chain)."""
        node = anchor.node
        end = self._end_of(node)
        if end is None:
            return None
        if isinstance(node, (cst.Try, cst.TryStar)):
            self._generate(anchor, False)  # `try:` has no header worth separating
            return self.ranges.get(id(node))
        start = self._generate(anchor, True)
        found = CodeRange(start, end)
        self.ranges[id(node)] = found
        self._remember(anchor.top, id(node), found)
        return found

    def _end_of(self, node: Any) -> CodePosition | None:
        while True:
            if isinstance(node, cst.SimpleStatementLine):
                anchor = self.anchors.get(id(node))
                if anchor is None:
                    return None
                if id(node) not in self.ranges:
                    self._generate(anchor, False)
                return self.ranges[id(node)].end
            if isinstance(node, cst.IndentedBlock):
                if not node.body:
                    return None
                node = node.body[-1]
            elif isinstance(node, (cst.If, cst.For, cst.While)):
                node = node.body if node.orelse is None else node.orelse
            elif isinstance(node, (cst.Try, cst.TryStar)):
                if node.finalbody is not None:
                    node = node.finalbody
                elif node.orelse is not None:
                    node = node.orelse
                else:
                    node = node.handlers[-1] if node.handlers else node.body
            elif isinstance(node, cst.Match):
                node = node.cases[-1]
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.With, cst.ExceptHandler, cst.Else, cst.Finally, cst.MatchCase)):
                node = node.body
            else:  # a one-line suite, or something unforeseen: generate it whole
                return None

    def _generate(self, anchor: _Anchor, header_only: bool) -> CodePosition:
        node = anchor.node
        target = node
        if header_only:
            changes: dict[str, Any] = {"body": _PASS_BLOCK}
            if isinstance(node, (cst.If, cst.For, cst.While)):
                changes["orelse"] = None
            target = node.with_changes(**changes)
        provider = _Provider()
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=provider,  # type: ignore[arg-type]
        )
        state.indent_tokens = list(anchor.indents)
        state.line = anchor.start
        state.column = 0
        if anchor.elif_:
            target._codegen(state, is_elif=True)
        else:
            target._codegen(state)
        computed = provider._computed
        rng = computed[target]
        if isinstance(node, cst.SimpleStatementLine):
            rng = computed[node.body[0]]
        if rng.start.line != anchor.line or (anchor.column >= 0 and rng.start.column != anchor.column):
            raise Mismatch(f"{type(node).__name__} at line {anchor.line}: generated {rng.start.line}:{rng.start.column}")
        start = computed[target].start
        ranges = self.ranges
        entry = _TOPS.get((anchor.top, self.module.default_indent, self.module.default_newline)) if REMEMBER else None
        shift = 1 - self.anchors[anchor.top].start if entry is not None and anchor.top in self.anchors else None
        for item, item_range in computed.items():
            if item is target and target is not node:
                continue
            ranges[id(item)] = item_range
            if shift is not None:
                entry.ranges[id(item)] = _shifted(item_range, shift)  # type: ignore[union-attr]
        return start


# ---------------------------------------------------------------------- libcst / ast twins
# Each function records, for the libcst nodes it can pair with their `ast` counterparts, the
# counterpart's `lineno`. A parenthesized libcst node starts at its parenthesis, which `ast` does
# not include: it is not recorded (its children still are). A pair whose types or names disagree
# stops the descent there, so nothing is recorded from a guess.


def _pair_statement(c: Any, a: Any, out: dict[int, int]) -> None:
    t = type(c)
    if t is cst.Expr and isinstance(a, ast.Expr):
        _pair(c.value, a.value, out)
    elif t is cst.Assign and isinstance(a, ast.Assign) and len(c.targets) == len(a.targets):
        for target, twin in zip(c.targets, a.targets):
            _pair(target.target, twin, out)
        _pair(c.value, a.value, out)
    elif t is cst.AnnAssign and isinstance(a, ast.AnnAssign):
        _pair(c.target, a.target, out)
        _pair(c.annotation.annotation, a.annotation, out)
        if c.value is not None and a.value is not None:
            _pair(c.value, a.value, out)
    elif t is cst.AugAssign and isinstance(a, ast.AugAssign):
        _pair(c.target, a.target, out)
        _pair(c.value, a.value, out)
    elif t is cst.Return and isinstance(a, ast.Return):
        if c.value is not None and a.value is not None:
            _pair(c.value, a.value, out)
    elif t is cst.Raise and isinstance(a, ast.Raise):
        if c.exc is not None and a.exc is not None:
            _pair(c.exc, a.exc, out)
        if c.cause is not None and a.cause is not None:
            _pair(c.cause.item, a.cause, out)
    elif t is cst.Assert and isinstance(a, ast.Assert):
        _pair(c.test, a.test, out)
        if c.msg is not None and a.msg is not None:
            _pair(c.msg, a.msg, out)


def _pair_header(c: Any, a: Any, out: dict[int, int]) -> None:
    decorators = getattr(c, "decorators", ())
    if decorators and len(decorators) == len(getattr(a, "decorator_list", ())):
        for deco, twin in zip(decorators, a.decorator_list):
            _pair(deco.decorator, twin, out)
    t = type(c)
    if t in (cst.If, cst.While) and isinstance(a, (ast.If, ast.While)):
        _pair(c.test, a.test, out)
    elif t is cst.For and isinstance(a, (ast.For, ast.AsyncFor)):
        _pair(c.target, a.target, out)
        _pair(c.iter, a.iter, out)
    elif t is cst.With and isinstance(a, (ast.With, ast.AsyncWith)) and len(c.items) == len(a.items):
        for item, twin in zip(c.items, a.items):
            _pair(item.item, twin.context_expr, out)
            if item.asname is not None and twin.optional_vars is not None:
                _pair(item.asname.name, twin.optional_vars, out)
    elif t is cst.ClassDef and isinstance(a, ast.ClassDef):
        if len(c.bases) == len(a.bases) and len(c.keywords) == len(a.keywords):
            for arg, twin in zip(c.bases, a.bases):
                _pair(arg.value, twin, out)
            for arg, kw in zip(c.keywords, a.keywords):
                _pair(arg.value, kw.value, out)
    elif t is cst.ExceptHandler and isinstance(a, ast.ExceptHandler):
        if c.type is not None and a.type is not None:
            _pair(c.type, a.type, out)


_CONSTANTS = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.ConcatenatedString)
_SEQUENCES: dict[type, Any] = {cst.List: ast.List, cst.Tuple: ast.Tuple, cst.Set: ast.Set}
_COMPREHENSIONS: dict[type, Any] = {
    cst.ListComp: ast.ListComp,
    cst.SetComp: ast.SetComp,
    cst.DictComp: ast.DictComp,
    cst.GeneratorExp: ast.GeneratorExp,
}


def _flatten_bool(c: Any) -> list[Any] | None:
    """`a and b and c` as `ast` sees it (one BoolOp of three values); libcst nests it leftwards."""
    op = type(c.operator)
    out: list[Any] = []
    node = c
    while isinstance(node, cst.BooleanOperation) and type(node.operator) is op and (node is c or not node.lpar):
        out.append(node.right)
        node = node.left
    out.append(node)
    out.reverse()
    return out


def _pair(c: Any, a: Any, out: dict[int, int]) -> None:
    stack: list[tuple[Any, Any]] = [(c, a)]
    while stack:
        c, a = stack.pop()
        t = type(c)
        if t is cst.Name:
            if isinstance(a, ast.Name) and a.id == c.value and not c.lpar:
                out[id(c)] = a.lineno
            continue
        if t in _CONSTANTS or t is cst.FormattedString:
            if isinstance(a, (ast.Constant, ast.JoinedStr)) and not c.lpar:
                out[id(c)] = a.lineno
            continue
        if t is cst.Attribute:
            if not (isinstance(a, ast.Attribute) and a.attr == c.attr.value):
                continue
            stack.append((c.value, a.value))
        elif t is cst.Call:
            if not isinstance(a, ast.Call):
                continue
            stack.append((c.func, a.func))
            positional = [x for x in c.args if x.keyword is None and x.star != "**"]
            keywords = [x for x in c.args if x.keyword is not None or x.star == "**"]
            if len(positional) != len(a.args) or len(keywords) != len(a.keywords):
                continue
            for arg, twin in zip(positional, a.args):
                if arg.star == "*":
                    if isinstance(twin, ast.Starred):
                        stack.append((arg.value, twin.value))
                elif not isinstance(twin, ast.Starred):
                    stack.append((arg.value, twin))
            for arg, kw in zip(keywords, a.keywords):
                if (arg.keyword is None) == (kw.arg is None) and (arg.keyword is None or arg.keyword.value == kw.arg):
                    stack.append((arg.value, kw.value))
        elif t in _SEQUENCES:
            if not isinstance(a, _SEQUENCES[t]) or len(c.elements) != len(a.elts):
                continue
            for element, twin in zip(c.elements, a.elts):
                if isinstance(element, cst.StarredElement):
                    if isinstance(twin, ast.Starred):
                        stack.append((element.value, twin.value))
                elif not isinstance(twin, ast.Starred):
                    stack.append((element.value, twin))
        elif t is cst.Dict:
            if not isinstance(a, ast.Dict) or len(c.elements) != len(a.values):
                continue
            for element, key, value in zip(c.elements, a.keys, a.values):
                if isinstance(element, cst.DictElement):
                    if key is None:
                        break
                    stack.append((element.key, key))
                elif key is not None:
                    break
                stack.append((element.value, value))
        elif t is cst.Subscript:
            if not isinstance(a, ast.Subscript):
                continue
            stack.append((c.value, a.value))
            if len(c.slice) == 1 and isinstance(c.slice[0].slice, cst.Index) and not isinstance(a.slice, ast.Tuple):
                stack.append((c.slice[0].slice.value, a.slice))
        elif t is cst.BinaryOperation:
            if not isinstance(a, ast.BinOp):
                continue
            stack.append((c.left, a.left))
            stack.append((c.right, a.right))
        elif t is cst.UnaryOperation:
            if not isinstance(a, ast.UnaryOp):
                continue
            stack.append((c.expression, a.operand))
        elif t is cst.Comparison:
            if not isinstance(a, ast.Compare) or len(c.comparisons) != len(a.comparators):
                continue
            stack.append((c.left, a.left))
            for target, twin in zip(c.comparisons, a.comparators):
                stack.append((target.comparator, twin))
        elif t is cst.Await:
            if not isinstance(a, ast.Await):
                continue
            stack.append((c.expression, a.value))
        elif t is cst.IfExp:
            if not isinstance(a, ast.IfExp):
                continue
            stack.extend(((c.test, a.test), (c.body, a.body), (c.orelse, a.orelse)))
        elif t in _COMPREHENSIONS:
            if not isinstance(a, _COMPREHENSIONS[t]):
                continue
            if t is cst.DictComp:
                stack.extend(((c.key, a.key), (c.value, a.value)))
            else:
                stack.append((c.elt, a.elt))
            for_in, generators = c.for_in, list(a.generators)
            while for_in is not None and generators:
                twin = generators.pop(0)
                stack.extend(((for_in.target, twin.target), (for_in.iter, twin.iter)))
                if len(for_in.ifs) == len(twin.ifs):
                    stack.extend((cond.test, test) for cond, test in zip(for_in.ifs, twin.ifs))
                for_in = for_in.inner_for_in
            if t is cst.GeneratorExp:
                continue  # its `ast` start may be the call's parenthesis (a sole argument): not paired
        elif t is cst.Lambda:
            if not isinstance(a, ast.Lambda):
                continue
            stack.append((c.body, a.body))
        elif t is cst.BooleanOperation:
            if not isinstance(a, ast.BoolOp):
                continue
            operands = _flatten_bool(c)
            if operands is not None and len(operands) == len(a.values):
                stack.extend(zip(operands, a.values))
        else:
            continue
        if not c.lpar:
            out[id(c)] = a.lineno
