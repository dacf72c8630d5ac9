"""`.sql` files: one sqlglot pass per file, shared by every SQL check and by the project checks.

The file's statements are split and parsed once (sql/analysis.py). Every statement becomes a
`sql_statement` fact (the SQL inventory and the query rules read it); DDL becomes schema facts
(`table`, `index`) and, in migration files, `migration_op` facts. `SqlCheck` subclasses get each
parsed statement. A statement sqlglot cannot read is a fact with its error (rule BG300); the
other statements of the file are still analysed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..model import Location
from ..sql import analysis
from ..sql.paths import ACK_MARKER, is_migration_path, sql_direction
from ..suppress import parse_suppressions
from .context import FileContext, FileResult, finalize_findings

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.base import SqlCheck
    from ..config import Config


def analyze(
    path: str,
    abs_path: str,
    source: str,
    checks: Iterable[tuple[type["SqlCheck"], dict[str, Any]]],
    config: "Config",
) -> FileResult:
    ctx = FileContext(path, source, config, abs_path)
    result = FileResult(path=path, kind="sql", lines=source.count("\n") + 1)
    result.suppressions = parse_suppressions(source)
    dialect = config["db.dialect"] or None
    migration = is_migration_path(path, config["db.migrations"])
    direction = sql_direction(path)
    statements = analysis.split(source, dialect)
    ctx.module = statements
    active = [cls(ctx, opts) for cls, opts in checks]
    where = "migration-sql" if migration else "sql-file"
    lines = ctx.lines
    created: set[str] = set()
    for stmt in statements:
        fact = analysis.summarize(stmt, stmt.line, where=where)
        ctx.facts.setdefault("sql_statement", []).append(fact)
        if stmt.tree is None:
            continue
        ddl = analysis.ddl_facts(stmt.tree, stmt.line)
        for kind, items in ddl.items():
            if kind == "migration_op" and not (direction and direction[0] == "down"):
                for op in items:
                    if op["op"] == "add_column":  # the schema model gets the new column
                        column = {"name": op["column"], "type": op.get("type", ""), "nullable": not op.get("not_null"),
                                  "fk": op.get("fk", ""), "line": op["line"]}
                        ctx.facts.setdefault("column", []).append(
                            {"table": op["table"], "column": column, "source": "sql-migration" if migration else "sql"}
                        )
            if kind == "migration_op" and (not migration or direction and direction[0] == "down"):
                continue
            for item in items:
                item["source"] = "sql-migration" if migration else "sql"
                if kind == "migration_op":
                    item["ack"] = _acknowledged(lines, stmt)
                    item["new_table"] = item.get("table") in created and item["op"] != "create_table"
                    if item["op"] == "create_table":
                        created.add(item["table"])
                ctx.facts.setdefault(kind, []).append(item)
        for check in active:
            check.visit_statement(stmt)
    if migration or direction:
        ctx.facts.setdefault("sql_migration_file", []).append(
            {"direction": direction[0] if direction else "up", "key": direction[1] if direction else "",
             "statements": len([s for s in statements if s.tree is not None or s.error])}
        )
    result.facts = ctx.facts
    result.findings = finalize_findings(path, lines, ctx.findings)
    return result


def _acknowledged(lines: list[str], stmt: analysis.Statement) -> bool:
    if any(ACK_MARKER in c for c in stmt.comments):
        return True
    start = stmt.line
    end = start + stmt.text.count("\n")
    for number in range(max(1, start - 1), end + 1):
        if number <= len(lines) and ACK_MARKER in lines[number - 1]:
            return True
    return False


__all__ = ["analyze", "Location"]
