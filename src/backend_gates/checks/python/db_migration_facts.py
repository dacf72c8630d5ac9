"""Migration facts from Python: Alembic `upgrade()` operations (and `op.execute` SQL) and Django
migration `operations`, as `migration_op` facts for the DB-MIGRATE / DB-ROLLBACK project rules,
plus the tables and indexes migrations create (schema model).

An operation on a table created earlier in the same migration is marked `new_table`: it cannot
lock or break a live table, so the unsafe-operation rules skip it.
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ..base import FactCollector
from ._cst import call_name, dotted, is_false, is_true, kwarg, positional, string, strings_of
from .db_schema_facts import _line_of, _sa_column, _table_call

ALEMBIC_OPS = frozenset({
    "create_table", "drop_table", "add_column", "drop_column", "alter_column", "create_index", "drop_index",
    "rename_table", "execute", "create_foreign_key", "create_unique_constraint", "batch_alter_table",
})
DJANGO_STRING_FIELDS = frozenset({
    "CharField", "TextField", "EmailField", "SlugField", "URLField", "FilePathField", "FileField", "ImageField",
    "GenericIPAddressField", "IPAddressField", "CICharField", "CITextField", "CIEmailField",
})
DJANGO_OPS = frozenset({
    "CreateModel", "DeleteModel", "AddField", "RemoveField", "AlterField", "RenameField", "RenameModel",
    "AddIndex", "RemoveIndex", "RunPython", "RunSQL", "AlterUniqueTogether", "AddConstraint",
})


def _acknowledged(ctx: Any, line: int) -> bool:
    for number in (line - 1, line):
        if "data-loss-ok" in ctx.line_text(number):
            return True
    return False


_REVISION = re.compile(r"^(?:revision|down_revision)\s*(?::[^=\n]*)?=", re.M)


def is_alembic(ctx: Any) -> bool:
    """An Alembic revision module: `def upgrade` plus module-level `revision` / `down_revision`."""
    src = ctx.source
    return "def upgrade" in src and "revision" in src and len(set(m.group(0).split()[0].rstrip(":=") for m in _REVISION.finditer(src))) == 2


def is_django_migration(ctx: Any) -> bool:
    return "migrations.Migration" in ctx.source or "Migration(migrations" in ctx.source


class AlembicMigrationFacts(FactCollector):
    """Operations of an Alembic revision's `upgrade()`."""

    triggers = ("def upgrade",)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.enabled = is_alembic(ctx)
        self.in_upgrade = 0
        self.created: set[str] = set()
        self.batch: dict[str, str] = {}  # batch_op name -> table

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == "upgrade":
            self.in_upgrade += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == "upgrade":
            self.in_upgrade -= 1

    def visit_With(self, node: cst.With) -> None:
        if not (self.enabled and self.in_upgrade):
            return
        for item in node.items:
            call = item.item
            if isinstance(call, cst.Call) and call_name(call) == "batch_alter_table" and item.asname is not None:
                target = item.asname.name
                table = string(positional(call)[0]) if positional(call) else None
                if isinstance(target, cst.Name) and table:
                    self.batch[target.value] = table.lower()

    def visit_Call(self, node: cst.Call) -> None:
        if not (self.enabled and self.in_upgrade):
            return
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        owner = dotted(func.value)
        name = func.attr.value
        if owner != "op" and owner not in self.batch:
            return
        args = positional(node)
        line = _line_of(self.ctx, node)
        batch_table = self.batch.get(owner)
        if batch_table is not None:
            args = [cst.SimpleString(repr(batch_table)), *args] if name not in ("execute",) else args
        table = (string(args[0]) or "").lower() if args else (string(kwarg(node, "table_name")) or "").lower()
        if name == "alter_column" and not args:
            args = [a for a in (kwarg(node, "table_name"), kwarg(node, "column_name")) if a is not None]
            table = (string(args[0]) or "").lower() if args else ""
        op: dict[str, Any] = {"line": line, "source": "alembic", "table": table, "ack": _acknowledged(self.ctx, line)}
        if name == "create_table":
            self.created.add(table)
            fact = _table_call(self.ctx, table, args[1:], node)
            fact["source"] = "alembic"
            self.fact("table", fact)
            op.update(op="create_table")
        elif name == "add_column" and len(args) >= 2 and isinstance(args[1], cst.Call):
            col = _sa_column(self.ctx, args[1], "", None, node)
            call = args[1]
            has_default = kwarg(call, "server_default") is not None or kwarg(call, "default") is not None
            op.update(op="add_column", column=col["name"], not_null=not col["nullable"], default=has_default)
            self.fact("column", {"table": table, "column": col, "source": "alembic"})
        elif name == "drop_column":
            op.update(op="drop_column", column=(string(args[1]) or "") if len(args) > 1 else "")
        elif name == "drop_table":
            op.update(op="drop_table")
        elif name == "rename_table":
            op.update(op="rename_table")
        elif name == "alter_column":
            column = (string(args[1]) or "") if len(args) > 1 else ""
            op.update(column=column)
            if kwarg(node, "new_column_name") is not None:
                self._op({**op, "op": "rename_column"})
            if kwarg(node, "type_") is not None:
                self._op({**op, "op": "alter_column_type", "type": dotted(kwarg(node, "type_")) or "new type"})
            if is_false(kwarg(node, "nullable")) and kwarg(node, "server_default") is None:
                self._op({**op, "op": "set_not_null"})
            return
        elif name == "create_index":
            if batch_table is not None:  # batch_op.create_index(name, columns)
                args = [args[1], args[0], *args[2:]] if len(args) > 1 else args
            index_table = (string(args[1]) or "").lower() if len(args) > 1 else (string(kwarg(node, "table_name")) or "").lower()
            columns = strings_of(args[2]) if len(args) > 2 else strings_of(kwarg(node, "columns"))
            op.update(op="create_index", table=index_table, name=(string(args[0]) or "") if args else "",
                      concurrently=is_true(kwarg(node, "postgresql_concurrently")))
            self.fact("index", {"table": index_table, "name": op["name"].lower(), "columns": [c.lower() for c in columns],
                                "unique": is_true(kwarg(node, "unique")), "partial": kwarg(node, "postgresql_where") is not None,
                                "line": line, "source": "alembic"})
            table = index_table
        elif name == "drop_index":
            op.update(op="drop_index", name=table, table="", concurrently=is_true(kwarg(node, "postgresql_concurrently")))
        elif name == "execute" and args:
            sql = string(args[0]) if string(args[0]) is not None else _text_arg(args[0])
            if sql:
                self._execute(sql, line)
            return
        else:
            return
        op["new_table"] = table in self.created and op["op"] != "create_table"
        self._op(op)

    def _op(self, op: dict[str, Any]) -> None:
        op.setdefault("new_table", op.get("table") in self.created and op["op"] != "create_table")
        self.fact("migration_op", op)

    def _execute(self, sql: str, line: int) -> None:
        from ...sql import analysis

        dialect = self.ctx.config["db.dialect"] or None
        for stmt in analysis.split(sql, dialect):
            fact = analysis.summarize(stmt, line, where="migration-python")
            self.fact("sql_statement", fact)
            if stmt.tree is None:
                continue
            for kind, items in analysis.ddl_facts(stmt.tree, line).items():
                for item in items:
                    item["line"] = line
                    item["source"] = "alembic"
                    if kind == "migration_op":
                        item["ack"] = _acknowledged(self.ctx, line)
                        item["new_table"] = item.get("table") in self.created and item["op"] != "create_table"
                        if item["op"] == "create_table":
                            self.created.add(item["table"])
                    self.fact(kind, item)


def _text_arg(node: Any) -> str | None:
    """`sa.text("...")` / `text("...")` -> its string."""
    if isinstance(node, cst.Call) and call_name(node) == "text" and positional(node):
        return string(positional(node)[0])
    return None


class DjangoMigrationFacts(FactCollector):
    """Operations listed in a Django migration's `operations`."""

    triggers = ("migrations.",)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.enabled = is_django_migration(ctx)
        self.created: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if not self.enabled:
            return
        name = call_name(node)
        if name not in DJANGO_OPS or not dotted(node.func).startswith("migrations."):
            return
        line = _line_of(self.ctx, node)
        model = (string(kwarg(node, "model_name")) or string(kwarg(node, "name")) or "").lower()
        args = positional(node)
        if not model and args:
            model = (string(args[0]) or "").lower()
        op: dict[str, Any] = {"line": line, "source": "django", "table": model, "ack": _acknowledged(self.ctx, line)}
        if name == "CreateModel":
            self.created.add(model)
            op.update(op="create_table")
        elif name == "DeleteModel":
            op.update(op="drop_table")
        elif name == "AddField":
            field = kwarg(node, "field") or (args[2] if len(args) > 2 else None)
            column = string(kwarg(node, "name")) or ((string(args[1]) or "") if len(args) > 1 else "")
            if not isinstance(field, cst.Call) or call_name(field) in ("ManyToManyField",):
                return
            null = is_true(kwarg(field, "null"))
            default = (
                kwarg(field, "default") is not None
                or kwarg(field, "db_default") is not None
                # Django fills existing rows itself: '' for blank string fields, now() for auto_now(_add)
                or is_true(kwarg(field, "blank")) and call_name(field) in DJANGO_STRING_FIELDS
                or is_true(kwarg(field, "auto_now")) or is_true(kwarg(field, "auto_now_add"))
                or call_name(field) in ("GeneratedField", "AutoField", "BigAutoField", "SmallAutoField")
            )
            op.update(op="add_column", column=column, not_null=not null, default=default)
        elif name == "RemoveField":
            op.update(op="drop_column", column=string(kwarg(node, "name")) or "")
        elif name == "RenameField":
            op.update(op="rename_column", column=string(kwarg(node, "old_name")) or "")
        elif name == "RenameModel":
            op.update(op="rename_table", table=(string(kwarg(node, "old_name")) or model).lower())
        elif name == "AddIndex":
            op.update(op="create_index", concurrently=False, name="")
        elif name in ("RunPython", "RunSQL"):
            return
        else:
            return
        op["new_table"] = model in self.created and op["op"] != "create_table"
        self.fact("migration_op", op)


_HINTS = (
    ("postgres", re.compile(r"postgres(?:ql)?(?:\+\w+)?://|backends\.postgresql|^\s*(?:import|from)\s+(?:psycopg2?|psycopg_pool|asyncpg)\b", re.M)),
    ("mysql", re.compile(r"mysql(?:\+\w+)?://|['\"]mysql\+\w+['\"]|backends\.mysql|^\s*(?:import|from)\s+(?:pymysql|MySQLdb|aiomysql|asyncmy|mysql\.connector)\b", re.M)),
    ("sqlite", re.compile(r"sqlite(?:\+\w+)?:///|backends\.sqlite3|^\s*(?:import|from)\s+(?:sqlite3|aiosqlite)\b", re.M)),
)


class DialectHints(FactCollector):
    """Which database the project talks to: DSNs, driver imports, Django ENGINE settings."""

    triggers = ("postgres", "psycopg", "asyncpg", "mysql", "MySQLdb", "sqlite")

    def finish(self) -> None:
        src = self.ctx.source
        for dialect, pattern in _HINTS:
            if pattern.search(src):
                self.fact("dialect_hint", {"dialect": dialect, "test": self.ctx.is_test_file})
