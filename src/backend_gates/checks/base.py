"""Check base classes. Subclassing registers a check; nothing else needs editing.

A check is one small unit: id (`code`), descriptive `name`, `gate`, default `severity`, a one-line
`message` with placeholders, a docstring (first line = summary, body = why it matters and known
limits), `options`, and `good`/`bad` examples that the test suite runs.

Kinds:
  python   runs inside the one batched walk over a file's libcst tree (sources/python.py)
  sql      runs over the statements of one sqlglot parse of a .sql file (sources/sql.py)
  openapi  runs over one loaded spec document (sources/openapi.py)
  project  runs once per run over the facts every file produced (no parsing, cache-friendly);
           modules under checks/project/ must not import libcst or sqlglot at module level
  runtime  evaluated by the pytest plugin from what the test run observed (runtime/)

This module must stay import-light: it is imported on warm runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..model import Finding, Location, RuleInfo, Severity

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config
    from ..sources.context import FileContext

DOCS_BASE = "https://backend-gates.readthedocs.io/en/latest/checks/"


@dataclass(frozen=True, slots=True)
class Option:
    type: type | str
    default: Any
    help: str


@dataclass(frozen=True, slots=True)
class Bad:
    """A bad example: `code` (one file's text, or {path: text}) must yield the check at `line`
    (at `severity`, when given: an example of what a rule reports at info rather than warning)."""

    code: str | dict[str, str]
    line: int = 1
    path: str | None = None  # for multi-file examples: the file the finding is in
    severity: Severity | None = None


Example = str | dict[str, str]

REGISTRY: dict[str, type["Check"]] = {}
# Fact collectors (FactCollector subclasses, no code): they report nothing, only record facts (route
# discovery, schema, SQL); the engine runs them on every file they want whatever rules are selected,
# so project-level consumers always have their facts.
COLLECTORS: list[type["Check"]] = []


class Check:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    gate: ClassVar[str | None] = None
    severity: ClassVar[Severity] = Severity.WARNING
    message: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    kind: ClassVar[str] = "python"
    options: ClassVar[dict[str, Option]] = {}
    good: ClassVar[list[Example]] = []
    bad: ClassVar[list[Bad]] = []
    references: ClassVar[list[str]] = []
    default_enabled: ClassVar[bool] = True  # opinionated checks ship off and say so
    example_path: ClassVar[str] = ""  # file name examples are written to (default by kind)
    # (fact kinds, reason): the check can only judge a project in which some file produced one of
    # these facts (e.g. migrations); otherwise its gate says not_evaluated with the reason
    requires: ClassVar[tuple[tuple[str, ...], str] | None] = None
    # the same concern in other tools, "tool:id" with tool in ruff, bandit, semgrep, sonar, squawk,
    # pylint (e.g. ("ruff:S608", "bandit:B608")): their suppression comments silence this rule too
    # (suppress.py), and docs/suppressions.md lists them
    external_ids: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.code or inspect.isabstract(cls) or cls.__dict__.get("abstract", False):
            return
        other = REGISTRY.get(cls.code)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise RuntimeError(f"duplicate check code {cls.code}: {other} and {cls}")
        REGISTRY[cls.code] = cls

    # ----------------------------------------------------------------- metadata
    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.split("\n", 1)[0].strip()

    @classmethod
    def rationale(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        parts = doc.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @classmethod
    def help_url(cls) -> str:
        return f"{DOCS_BASE}{cls.code}.html"

    @classmethod
    def info(cls) -> RuleInfo:
        return RuleInfo(cls.code, cls.name, cls.gate, cls.severity, cls.summary(), cls.help_url(), cls.kind, cls.requires)

    @classmethod
    def default_example_path(cls) -> str:
        if cls.example_path:
            return cls.example_path
        return {"python": "example.py", "sql": "example.sql", "openapi": "openapi.yaml"}.get(
            cls.kind, "example.py"
        )

    @classmethod
    def make_finding(
        cls,
        location: Location,
        *,
        message: str | None = None,
        fix: str | None = None,
        extra: dict[str, Any] | None = None,
        evidence: str = "",
        severity: Severity | None = None,
        **fmt: Any,
    ) -> Finding:
        text = message if message is not None else cls.message.format(**fmt) if fmt else cls.message
        return Finding(
            code=cls.code,
            name=cls.name,
            gate=cls.gate,
            severity=severity or cls.severity,
            message=text,
            location=location,
            fix=fix if fix is not None else cls.fix,
            evidence=evidence,
            help_url=cls.help_url(),
            extra=extra or {},
        )


@dataclass(slots=True)
class Pending:
    """A finding whose position is resolved after the walk (positions only for reported nodes)."""

    node: Any
    check: "PythonCheck"
    message: str
    fix: str
    extra: dict[str, Any] = field(default_factory=dict)
    evidence: str = ""
    severity: Severity | None = None
    stmt_index: int | None = None  # top-level statement being walked when reported


class PythonCheck(Check):
    """Runs in the shared walk of one file's libcst tree.

    Define `visit_<Node>` / `leave_<Node>` methods (libcst node class names). The walk covers
    statements and expressions, not whitespace or punctuation nodes. `triggers` are substrings;
    when none occurs in a file's text the check is skipped for that file (cheap pre-check).
    Metadata (scope, qualified names) is resolved only on request: `self.ctx.metadata(Provider)`.
    """

    abstract = True
    kind: ClassVar[str] = "python"
    triggers: ClassVar[tuple[str, ...]] = ()
    skip_tests: ClassVar[bool] = False  # do not run on files matching `test-paths`
    # the name of a bool option that turns the check on in test files: while it is off, the check
    # does not run on files matching `test-paths` (and such a file may not be parsed at all)
    tests_option: ClassVar[str | None] = None

    def __init__(self, ctx: "FileContext", options: dict[str, Any]) -> None:
        self.ctx = ctx
        self.opts = options

    @classmethod
    def wants(cls, ctx: "FileContext") -> bool:
        if cls.skip_tests and ctx.is_test_file:
            return False
        if not cls.triggers:
            return True
        text = ctx.source
        for trigger in cls.triggers:  # a plain loop: `any(...)` over a generator costs more than the search
            if trigger in text:
                return True
        return False

    @classmethod
    def runs_on(cls, ctx: "FileContext", options: dict[str, Any]) -> bool:
        """Whether the check runs on this file with these options (before the file is parsed)."""
        if cls.tests_option and ctx.is_test_file and not options.get(cls.tests_option, False):
            return False
        return cls.wants(ctx)

    def report(
        self,
        node: Any,
        *,
        message: str | None = None,
        fix: str | None = None,
        extra: dict[str, Any] | None = None,
        evidence: str = "",
        severity: Severity | None = None,
        **fmt: Any,
    ) -> None:
        text = message if message is not None else self.message.format(**fmt) if fmt else self.message
        self.ctx.pending.append(
            Pending(node, self, text, fix if fix is not None else self.fix, extra or {}, evidence, severity, self.ctx.stmt_index)
        )

    def report_at(self, line: int, column: int = 1, **kwargs: Any) -> None:
        loc = Location(self.ctx.path, line, column, line, column)
        message = kwargs.pop("message", None)
        fix = kwargs.pop("fix", None)
        extra = kwargs.pop("extra", None)
        evidence = kwargs.pop("evidence", "")
        severity = kwargs.pop("severity", None)
        self.ctx.findings.append(
            self.make_finding(loc, message=message, fix=fix, extra=extra, evidence=evidence, severity=severity, **kwargs)
        )

    def fact(self, kind: str, data: Any) -> None:
        """Record a JSON-safe fact for project checks (cached with the file's results)."""
        self.ctx.facts.setdefault(kind, []).append(data)

    def finish(self) -> None:
        """Called after the walk; report anything gathered across the file."""


class ProjectCheck(Check):
    """Runs once per run over the facts of all files (`project.facts(kind)`)."""

    abstract = True
    kind: ClassVar[str] = "project"
    # the outcome depends only on the files' facts and the config, so an unchanged tree replays
    # it from the cache; checks that read anything else (clock, git refs, commands) set False
    cacheable: ClassVar[bool] = True
    # the outcome depends on the change's git base (`--diff REF` / `new-code`) when one is set:
    # rerun (not replayed from the cache) in runs that have a base
    reads_git_base: ClassVar[bool] = False

    def __init__(self, options: dict[str, Any]) -> None:
        self.opts = options

    def run(self, project: Any) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def not_evaluated(self, project: Any) -> str | None:
        """A reason this check cannot judge the project (e.g. 'no OpenAPI spec found'), or None."""
        return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a runtime check concluded from the recorded evidence it was given."""

    findings: tuple[Finding, ...] = ()
    reason: str | None = None  # it could not judge at all, and why
    partial: tuple[str, ...] = ()  # parts it could not judge while it judged the rest
    notes: Mapping[str, Any] = field(default_factory=dict)  # shown with its gate (gate evidence)
    metrics: Mapping[str, Any] = field(default_factory=dict)  # report metrics it measured
    gate_verdict: tuple[Severity, str] | None = None  # a judgement of the whole gate, not at a line


@dataclass(frozen=True, slots=True)
class Recorded:
    """An executable example of a runtime check: recorded evidence in, `findings` findings out.

    `recorded` is what the check's observer records (its typed evidence); `settings` and
    `options` are configuration for the example ({"thresholds.coverage-percent": 80})."""

    recorded: Any
    findings: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    verdict: bool = False  # the check also judges its whole gate (Verdict.gate_verdict)


class RuntimeCheck(Check):
    """A check judged from what the test run recorded (pytest plugin, runtime/).

    An observer (runtime/*) records typed evidence during the tests; the run hands it to every
    selected runtime check that `observes` that observer, whose `judge(recorded)` returns a
    `Verdict`. `examples` (`Recorded`) are executable: the test suite judges each one.
    Checks without `judge` still document codes an observer reports itself.
    """

    abstract = True
    kind: ClassVar[str] = "runtime"
    observes: ClassVar[str] = ""  # the observer's `name` whose recorded evidence `judge` reads
    examples: ClassVar[list[Recorded]] = []

    def __init__(self, options: dict[str, Any], settings: Config) -> None:
        self.opts = options
        self.settings = settings

    def judge(self, recorded: Any) -> Verdict:  # pragma: no cover - interface
        raise NotImplementedError


class SqlCheck(Check):
    """Runs over the statements of one sqlglot pass over a `.sql` file (sources/sql.py).

    Define `visit_statement(stmt)`: `stmt.tree` is the sqlglot expression (None when it did not
    parse), `stmt.line` its first line in the file, `stmt.text` its text.
    """

    abstract = True
    kind: ClassVar[str] = "sql"

    def __init__(self, ctx: "FileContext", options: dict[str, Any]) -> None:
        self.ctx = ctx
        self.opts = options

    def visit_statement(self, stmt: Any) -> None:  # pragma: no cover - interface
        """Look at one statement; report with `report_at(line, ...)`."""

    def report_at(self, line: int, column: int = 1, **kwargs: Any) -> None:
        loc = Location(self.ctx.path, line, column, line, column)
        message = kwargs.pop("message", None)
        self.ctx.findings.append(self.make_finding(loc, message=message, **kwargs))


# what a collector records for a part it deferred (see FactCollector.deferred_option)
DEFERRED = "?"


class FactCollector(PythonCheck):
    """A walk participant that only records facts for project checks (no code, never reports).

    Collectors always run (selection does not switch them off): project rules depend on their
    facts whatever subset of rules is selected. Subclassing registers them in `COLLECTORS`.
    """

    abstract = True
    # the fact kinds it records (for `Project.complete`)
    produces: ClassVar[tuple[str, ...]] = ()
    # a bool option that makes the collector judge what it otherwise defers: an expensive part of
    # a fact that few projects use is recorded as DEFERRED in the main pass, and a project check
    # that meets one it needs asks `Project.complete(kind, paths)` for those files with this option on
    deferred_option: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and cls not in COLLECTORS:
            COLLECTORS.append(cls)
