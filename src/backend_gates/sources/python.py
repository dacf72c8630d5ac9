"""Python files: one libcst parse per file, one batched walk shared by every Python check.

Speed notes (see bench/): libcst's own visitor rebuilds every node as it goes; this walk only
reads dataclass fields and skips whitespace/punctuation, which makes the pass several times
cheaper. Positions are computed only for files that have something to report, and scope or
qualified-name metadata only when a check asks for it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Iterable

import libcst as cst
from libcst.metadata import PositionProvider

from ..model import Finding, Location, Severity, ToolError, fingerprint
from ..redact import redact_text
from ..suppress import parse_suppressions
from .context import FileContext, FileResult, finalize_findings

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.base import PythonCheck
    from ..config import Config

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
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[cls] = names
    return names


def walk(
    root: cst.CSTNode,
    visit: dict[type, list[Callable[[Any], Any]]],
    leave: dict[type, list[Callable[[Any], Any]]],
) -> None:
    """Depth-first, source-ordered walk calling visit_<Node> before children, leave_<Node> after."""
    stack: list[tuple[Any, bool]] = [(root, False)]
    pop = stack.pop
    push = stack.append
    while stack:
        node, leaving = pop()
        cls = type(node)
        if leaving:
            for fn in leave[cls]:
                fn(node)
            continue
        handlers = visit.get(cls)
        if handlers:
            for fn in handlers:
                fn(node)
        if cls in leave:
            push((node, True))
        children: list[Any] = []
        for name in _fields(cls):
            value = getattr(node, name)
            if isinstance(value, _CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, _CSTNode):
                        children.append(item)
        for child in reversed(children):
            push((child, False))


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
    result = FileResult(path=path, kind="python", lines=source.count("\n") + 1)
    result.suppressions = parse_suppressions(source)
    try:
        ctx.module = cst.parse_module(source)
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
    for check_cls, options in checks:
        if not check_cls.wants(ctx):
            continue
        check = check_cls(ctx, options)
        active.append(check)
        for attr, node_cls, is_leave in _handler_names(check_cls):
            (leave if is_leave else visit).setdefault(node_cls, []).append(getattr(check, attr))
    if active:
        walk(ctx.module, visit, leave)
        for check in active:
            check.finish()
    result.facts = ctx.facts
    result.findings.extend(ctx.findings)
    if ctx.pending:
        positions = ctx.metadata(PositionProvider)
        for item in ctx.pending:
            rng = positions.get(item.node) if item.node is not None else None
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
