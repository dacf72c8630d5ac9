"""SQL text handed to database APIs in Python code, as `sql_statement` facts (the SQL inventory
and the query rules read them).

Sinks are the ones the SQL-injection rule knows (sqlsinks.py). The SQL text is reconstructed
through local names, module constants and small helpers; only constant text is analysed by the
query rules (text with run-time parts is listed in the inventory as dynamic).
"""

from __future__ import annotations

import json
from typing import Any

import libcst as cst

from ...redact import redact_data
from ...sources import memo
from ..base import FactCollector
from . import sqlsinks
from .db_migration_facts import is_alembic, is_django_migration
from .db_schema_facts import _line_of
from ...patterns import lazy

_BRACES = lazy(r"\{(\w*)\}")
# the sinks' names as they are called (asyncpg's fetch* are methods: `.fetch`, not "prefetch" or
# Django's `fetch_redirect_response=`)
_TRIGGERS = ("execute", ".raw(", ".fetch", "read_sql", "SQL(", "RawSQL", "exec_driver_sql", ".extra(")
# SQLAlchemy's `text(...)` (or an alias of it: `sa_text(`, `import text as t`), not `gettext(`,
# `html2text(`, `plaintext(`
_TEXT_CALL = lazy(r"(?<![A-Za-z0-9])text\(|\btext as\b")


class PythonSqlFacts(sqlsinks.SinkScopeTracking, FactCollector):
    """Every statement passed to a SQL sink, with its summary (kind, tables, parameters, smells)."""

    triggers = _TRIGGERS

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        source = ctx.source  # both alternatives need "text(" or "text as": skip the slow scan without them
        return super().wants(ctx) or (("text(" in source or "text as" in source) and _TEXT_CALL.search(source) is not None)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[str] = []
        self._resolver: Any = None
        self._resolver_ready = False
        self._index: sqlsinks.ModuleIndex | None = None
        self.where = "migration-python" if is_alembic(ctx) or is_django_migration(ctx) else "python"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Attribute, cst.Name)):
            return
        if self.where == "migration-python" and isinstance(func, cst.Attribute) and func.attr.value == "execute" and isinstance(func.value, cst.Name) and func.value.value == "op":
            return  # Alembic op.execute: recorded by the migration collector
        sink = sqlsinks.sink_of(node, self.resolver())
        if sink is None or sink.fragment:
            return
        if self._index is None:
            self._index = sqlsinks.module_index(self.ctx.module)
        scope: cst.CSTNode = self.functions[-1] if self.functions else self.ctx.module
        for arg in sqlsinks.sql_arguments(node, sink):
            if isinstance(arg, cst.Call) and sqlsinks.sink_of(arg, self.resolver()) is not None:
                continue  # text("...") inside execute(): the inner call is recorded itself
            assignments = sqlsinks.assignments_before(scope, node) if not isinstance(arg, (cst.SimpleString, cst.ConcatenatedString)) else {}
            template = sqlsinks.reconstruct(arg, assignments, self._index, class_name=self.classes[-1] if self.classes else None)
            if template.kind is None:
                continue
            self._record(node, sink, template)

    def _record(self, node: cst.Call, sink: Any, template: Any) -> None:
        line = _line_of(self.ctx, node)
        dialect = self.ctx.config["db.dialect"] or None
        text = template.text
        if sink.family == "psycopg":  # sql.SQL("... {} ...") composes identifiers into the braces
            text = _BRACES.sub(lambda m: f"bg_ident_{m.group(1) or 0}", text)
        fact = {"line": line, **_summary(text, dialect, template, self.where)}
        fact["sink"] = sink.name
        if self.functions:
            fact["function"] = self.functions[-1].name.value
        if self.ctx.is_test_file:
            fact["test"] = True
        if sinks_params(node, sink):
            fact["parameterised"] = True
        self.fact("sql_statement", fact)


def _summary(text: str, dialect: str | None, template: Any, where: str) -> dict[str, Any]:
    """What sqlglot reads of the statement (kind, tables, parameters, smells), as a fact without
    its line. The file's last analysis's answer is taken when it has one (sources/memo.py: an
    edited file need not import sqlglot for its unchanged SQL); it is kept redacted, as facts are."""
    question = json.dumps([text, dialect, where, template.constant, template.kind, template.text, list(template.dynamic)[:5]])
    digest = memo.key(f"sql-summary\0{question}")
    known = memo.recall(digest)
    if known is not None:
        try:
            remembered = json.loads(known)
        except ValueError:
            remembered = None
        if isinstance(remembered, dict):
            return remembered
    from ...sql import analysis

    if template.constant:
        fact = analysis.summarize(analysis.parse_one(text, dialect), 0, where=where)
        del fact["line"]
    else:
        tree = analysis.parse_one(text, dialect).tree
        fact = {
            "sql": " ".join(template.text.split())[:500], "kind": template.kind, "tables": analysis.tables_of(tree),
            "parameterised": False, "filters": [], "issues": [], "error": "", "where": where,
            "dynamic": list(template.dynamic)[:5],
        }
    memo.record(digest, json.dumps(redact_data(fact)))
    return fact


def sinks_params(node: cst.Call, sink: Any) -> bool:
    try:
        return bool(sqlsinks.has_parameters(node, sink))
    except Exception:  # defensive: odd call shapes
        return False
