"""Python files: one libcst parse per file, one batched walk shared by every Python check.

Speed notes (see bench/): libcst's own visitor rebuilds every node as it goes; this walk only
reads dataclass fields and skips whitespace/punctuation, which makes the pass several times
cheaper. Positions are computed only for files that have something to report, and scope or
qualified-name metadata only when a check asks for it.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Iterable

import libcst as cst
from libcst.metadata import PositionProvider

from ..model import Finding, Location, Severity, ToolError, fingerprint
from ..redact import redact_text
from ..suppress import parse_suppressions
from .context import FileContext, FileResult, finalize_findings
from .limits import python_too_deep
from .nodes import _BACKWARDS, IS_NODE, _fields, child_nodes  # noqa: F401  (child_nodes: re-exported)

if TYPE_CHECKING:  # pragma: no cover
    from .chunks import PieceCache
    from ..checks.base import PythonCheck
    from ..config import Config



def walk(
    root: cst.CSTNode,
    visit: dict[type, list[Callable[[Any], Any]]],
    leave: dict[type, list[Callable[[Any], Any]]],
) -> None:
    """Depth-first, source-ordered walk calling visit_<Node> before children, leave_<Node> after.

    The stack holds nodes, and `(handlers, node)` tuples for the leave calls still due (a tuple is
    never a node). Children are pushed straight from the fields, last field and last item first,
    so they are popped in source order."""
    stack: list[Any] = [root]
    pop = stack.pop
    push = stack.append
    is_node = IS_NODE
    backwards = _BACKWARDS
    visit_get = visit.get
    leave_get = leave.get
    while stack:
        node = pop()
        cls = type(node)
        if cls is tuple:
            for fn in node[0]:
                fn(node[1])
            continue
        handlers = visit_get(cls)
        if handlers:
            for fn in handlers:
                fn(node)
        handlers = leave_get(cls)
        if handlers:
            push((handlers, node))
        for name in backwards[cls]:
            value = getattr(node, name)
            vcls = type(value)
            if is_node[vcls]:
                push(value)
            elif vcls is list or vcls is tuple:
                for item in reversed(value):
                    if is_node[type(item)]:
                        push(item)


def _memoize_literals() -> None:
    """libcst's `evaluated_value` of a string or number literal calls `ast.literal_eval` (a full
    compile) on every access; rules read it for most strings. It is a pure function of the
    literal's text, so libcst's module-level reference is replaced by a bounded memo of itself."""
    try:
        from libcst._nodes import expression
    except ImportError:  # pragma: no cover - a libcst without that module: nothing to speed up
        return
    original = getattr(expression, "literal_eval", None)
    if original is not None and not hasattr(original, "remembered"):
        remembered = functools.lru_cache(maxsize=1 << 15)(original)

        def literal_eval(text: Any) -> Any:
            # a plain string literal (no prefix, no escape, no carriage return): its text between
            # the quotes, without compiling it (most literals rules read are these)
            if type(text) is str and len(text) >= 2:
                quote = text[0]
                if (quote == "'" or quote == '"') and text[-1] == quote and "\\" not in text and "\r" not in text:
                    if len(text) >= 6 and text.startswith(quote * 3) and text.endswith(quote * 3):
                        return text[3:-3]
                    if text[1] != quote or len(text) == 2:
                        return text[1:-1]
            return remembered(text)

        literal_eval.remembered = remembered  # type: ignore[attr-defined]
        setattr(expression, "literal_eval", literal_eval)  # noqa: B010  (not exported: mypy)


_memoize_literals()


def _skip_validation(self: Any) -> None:
    return None


def parse_module(source: str) -> cst.Module:
    """`libcst.parse_module` without re-validating each node the parser builds.

    The parser only builds valid trees, yet every node's `__post_init__` re-checks its whitespace
    and punctuation (a third of the parse; libcst's own PERF note in `CSTNode.__post_init__`
    suggests skipping it when parsing). Nodes built elsewhere (codemods) are validated as usual.
    """
    base: Any = cst.CSTNode
    original = base.__dict__["__post_init__"]
    base.__post_init__ = _skip_validation
    try:
        return cst.parse_module(source)
    finally:
        base.__post_init__ = original


_DOCUMENTS: "OrderedDict[str, PieceCache | None]" = OrderedDict()


def parse_document(path: str, source: str) -> cst.Module:
    """Parse `source`; a path analysed again in this process (an editor's document) re-parses only
    the top-level statements whose text changed (sources/chunks.py)."""
    from . import positions
    from .chunks import PieceCache

    if path not in _DOCUMENTS and not positions.REMEMBER:
        _DOCUMENTS[path] = None  # the first time in a batch run: a plain parse, nothing remembered
        if len(_DOCUMENTS) > 256:
            _DOCUMENTS.popitem(last=False)
        return parse_module(source)
    cache = _DOCUMENTS.get(path)
    if cache is None:
        positions.REMEMBER = True  # analysed again in this process: keep positions for the next version
        cache = _DOCUMENTS[path] = PieceCache(parse_module)
        while len([c for c in _DOCUMENTS.values() if c is not None]) > 16:  # at most 16 open documents
            for key, value in _DOCUMENTS.items():
                if value is not None:
                    _DOCUMENTS[key] = None
                    break
    _DOCUMENTS.move_to_end(path)
    try:
        module = cache.module(source)
    except cst.ParserSyntaxError:
        module = None  # report the error as a full parse does (positions of the whole text)
    return module if module is not None else parse_module(source)


_METHODS: dict[type, tuple[tuple[str, type, bool], ...]] = {}


def _handler_names(check_cls: type) -> tuple[tuple[str, type, bool], ...]:
    cached = _METHODS.get(check_cls)
    if cached is None:
        out = []
        for attr in dir(check_cls):
            for prefix, is_leave in (("visit_", False), ("leave_", True)):
                if attr.startswith(prefix):
                    node_cls = getattr(cst, attr[len(prefix) :], None)
                    if isinstance(node_cls, type) and issubclass(node_cls, cst.CSTNode):
                        out.append((attr, node_cls, is_leave))
        cached = tuple(out)
        _METHODS[check_cls] = cached
    return cached


def analyze(
    path: str,
    abs_path: str,
    source: str,
    checks: Iterable[tuple[type["PythonCheck"], dict[str, Any]]],
    config: "Config",
) -> FileResult:
    ctx = FileContext(path, source, config, abs_path)
    try:
        return _analyze(ctx, checks)
    finally:
        ctx.release()


def _analyze(ctx: FileContext, checks: Iterable[tuple[type["PythonCheck"], dict[str, Any]]]) -> FileResult:
    path, source = ctx.path, ctx.source
    ctx.locate = functools.partial(locate, ctx)
    result = FileResult(path=path, kind="python", lines=source.count("\n") + 1)
    result.suppressions = parse_suppressions(source)
    too_deep = python_too_deep(source)  # before libcst: its native parser crashes on deep nesting
    if too_deep is not None:
        line, column, reason = too_deep
        result.parsed = False
        result.errors.append(ToolError(path, f"{line}:{column}: cannot parse Python: {reason}", "parse"))
        result.findings.append(syntax_error_finding(path, line, column, reason, ctx.line_text(line)[:240]))
        return result
    wanted = [(check_cls, options) for check_cls, options in checks if check_cls.runs_on(ctx, options)]
    if not wanted and _stdlib_parses(source):
        return result  # no check runs on this file (a test file, most often): no libcst tree needed
    try:
        ctx.module = parse_document(path, source)
    except cst.ParserSyntaxError as exc:
        result.parsed = False
        line, column = exc.raw_line, exc.raw_column + 1
        reason = exc.message.strip().splitlines()[0] if exc.message else "invalid syntax"
        result.errors.append(ToolError(path, f"{line}:{column}: cannot parse Python: {reason}", "parse"))
        result.findings.append(syntax_error_finding(path, line, column, reason, ctx.line_text(line)))
        return result
    except (RecursionError, ValueError) as exc:  # pathological inputs
        result.parsed = False
        result.errors.append(ToolError(path, f"cannot parse Python: {exc}", "parse"))
        result.findings.append(syntax_error_finding(path, 1, 1, str(exc), ""))
        return result

    visit: dict[type, list[Callable[[Any], Any]]] = {}
    leave: dict[type, list[Callable[[Any], Any]]] = {}
    active: list["PythonCheck"] = []
    for check_cls, options in wanted:
        check = check_cls(ctx, options)
        active.append(check)
        for attr, node_cls, is_leave in _handler_names(check_cls):
            (leave if is_leave else visit).setdefault(node_cls, []).append(getattr(check, attr))
    if active:
        # walk statement by statement so findings know their top-level statement (positions)
        module_cls = type(ctx.module)
        for fn in visit.get(module_cls, ()):
            fn(ctx.module)
        for index, statement in enumerate(ctx.module.body):
            ctx.stmt_index = index
            walk(statement, visit, leave)
        ctx.stmt_index = None
        for fn in leave.get(module_cls, ()):
            fn(ctx.module)
        for check in active:
            check.finish()
    result.facts = ctx.facts
    result.findings.extend(ctx.findings)
    if ctx.pending:
        positions = node_positions(ctx, ctx.pending)
        for item in ctx.pending:
            rng = positions.get(id(item.node)) if item.node is not None else None
            if rng is None:
                loc = Location(path)
            else:
                loc = Location(path, rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)
            result.findings.append(
                item.check.make_finding(
                    loc,
                    message=item.message,
                    fix=item.fix,
                    extra=item.extra,
                    evidence=item.evidence,
                    severity=item.severity,
                )
            )
    result.findings = finalize_findings(path, ctx.lines, result.findings)
    return result


def _stdlib_parses(source: str) -> bool:
    """Whether CPython accepts the text (a file no check reads is still checked for syntax; on a
    failure libcst parses it, so the syntax error is reported exactly as for any other file)."""
    from .positions import stdlib_tree

    try:
        stdlib_tree(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def node_positions(ctx: FileContext, pending: list[Any]) -> dict[int, Any]:
    """Code ranges of the reported nodes only (see FileContext.position)."""
    out: dict[int, Any] = {}
    for item in pending:
        if item.node is None:
            continue
        if item.stmt_index is not None:
            ctx.stmt_index = item.stmt_index
        rng = ctx.position(item.node)
        ctx.stmt_index = None
        if rng is not None:
            out[id(item.node)] = rng
    return out


def locate(ctx: FileContext, node: Any) -> Any:
    """The code range of `node` (FileContext.position): only the top-level statement holding the
    node is generated with position tracking (the one being walked, else found by search), and
    earlier statements are generated plainly to count lines."""
    if ctx.line_index is None:
        from .positions import LineIndex

        ctx.line_index = LineIndex(ctx.module, ctx.source)
    if ctx.line_index is not False:
        from .positions import Mismatch

        try:
            rng = ctx.line_index.position(node, ctx.stmt_index)
        except Mismatch:
            ctx.line_index = False  # this file: the exact, slower path below
        else:
            if rng is not None:
                return rng
    index = ctx.stmt_index
    module = ctx.module
    if index is None or not (module.body[index] is node or contains_node(module.body[index], node)):
        index = find_statement(module, node)
        if index is None:
            return None
    cache = ctx.positions
    if index not in cache:
        line = statement_start_lines(module, ctx.statement_starts, index)
        cache[index] = statement_positions(module, index, line - 1)
    return cache[index].get(id(node))


def statement_start_lines(module: cst.Module, starts: list[int], index: int) -> int:
    """1-based first line of top-level statement `index`; `starts` memoises earlier answers."""
    if not starts:
        starts.append(1 + sum(module.code_for_node(empty).count("\n") for empty in module.header))
    body = module.body
    while len(starts) <= index:
        previous = len(starts) - 1
        starts.append(starts[previous] + module.code_for_node(body[previous]).count("\n"))
    return starts[index]


def statement_positions(module: cst.Module, index: int, offset: int) -> dict[int, Any]:
    """id(node) -> shifted code range for every node of top-level statement `index`."""
    sub = module.with_changes(body=[module.body[index]], header=[], footer=[])
    ranges = cst.MetadataWrapper(sub, unsafe_skip_copy=True).resolve(PositionProvider)
    return {id(node): _Shifted(rng, offset) for node, rng in ranges.items()}


def find_statement(module: cst.Module, node: Any) -> int | None:
    for index, statement in enumerate(module.body):
        if statement is node or contains_node(statement, node):
            return index
    return None


def contains_node(root: Any, node: Any) -> bool:
    stack = [root]
    is_node = IS_NODE
    while stack:
        current = stack.pop()
        if current is node:
            return True
        for name in _fields(type(current)):
            value = getattr(current, name)
            vcls = type(value)
            if is_node[vcls]:
                stack.append(value)
            elif vcls is list or vcls is tuple:
                stack.extend(v for v in value if is_node[type(v)])
    return False


class _Pos:
    __slots__ = ("line", "column")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


class _Shifted:
    __slots__ = ("start", "end")

    def __init__(self, rng: Any, offset: int) -> None:
        self.start = _Pos(rng.start.line + offset, rng.start.column)
        self.end = _Pos(rng.end.line + offset, rng.end.column)


def syntax_error_finding(path: str, line: int, column: int, reason: str, text: str) -> Finding:
    from ..checks.python.tool import SyntaxErrorCheck

    return Finding(
        code=SyntaxErrorCheck.code,
        name=SyntaxErrorCheck.name,
        gate=None,
        severity=Severity.ERROR,
        message=f"cannot parse this file: {reason}; no other check ran on it",
        location=Location(path, line, column),
        evidence=redact_text(text.rstrip())[:240],
        fingerprint=fingerprint(SyntaxErrorCheck.code, path, "", 0),
        help_url=SyntaxErrorCheck.help_url(),
    )
