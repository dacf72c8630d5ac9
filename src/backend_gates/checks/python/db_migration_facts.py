"""Migration facts from Python: Alembic `upgrade()` operations (and `op.execute` SQL) and Django
migration `operations`, as `migration_op` facts for the DB-MIGRATE / DB-ROLLBACK project rules,
plus the tables and indexes migrations create (schema model).

An operation on a table created earlier in the same migration is marked `new_table`: it cannot
lock or break a live table, so the unsafe-operation rules skip it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import libcst as cst

from ..base import FactCollector
from ._cst import call_name, dotted, is_false, is_true, kwarg, positional, small_statements, string, strings_of
from ._migrations import is_alembic as is_alembic
from .db_schema_facts import _line_of, _sa_column, _table_call
from ...patterns import lazy

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




def is_django_migration(ctx: Any) -> bool:
    """A Django migration module: a `Migration` class in a migrations folder (Django loads them
    only from a package; a `migrations.Migration` elsewhere is a test or a linter's example)."""
    if "migrations.Migration" not in ctx.source and "Migration(migrations" not in ctx.source:
        return False
    from ...sql.paths import is_migration_path

    return is_migration_path(ctx.path, ctx.config["db.migrations"])


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
            # only `server_default` reaches the table: Alembic renders no DEFAULT for the Python-side `default=`
            server_default = kwarg(call, "server_default")
            has_default = server_default is not None and not (isinstance(server_default, cst.Name) and server_default.value == "None")
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

    def finish(self) -> None:
        if not self.enabled:
            return
        names = _module_assignments(self.ctx.module)
        down = names.get("down_revision")
        self.fact("migration", {
            "tool": "alembic", "name": self.ctx.path.rsplit("/", 1)[-1].removesuffix(".py"),
            "revision": string(names.get("revision")) or "", "deps": strings_of(down) if down is not None else [],
        })

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


# field classes that hold no column of their own (a join table, or nothing at all)
DJANGO_NO_COLUMN_FIELDS = frozenset({"ManyToManyField", "TaggableManager", "GenericRelation", "GenericForeignKey", "ParentalManyToManyField", "ClusterTaggableManager", "SortedManyToManyField"})
# Django back-fills existing rows itself when these are added NOT NULL without an explicit default
DJANGO_AUTO_FILLED = frozenset({"GeneratedField", "AutoField", "BigAutoField", "SmallAutoField"})
# database type families of Django field classes (for AlterField type changes)
DJANGO_DB_TYPES = {
    "CharField": "varchar", "SlugField": "varchar", "EmailField": "varchar", "URLField": "varchar", "FilePathField": "varchar",
    "FileField": "varchar", "ImageField": "varchar", "CICharField": "citext", "CIEmailField": "citext", "CITextField": "citext",
    "TextField": "text", "IntegerField": "integer", "PositiveIntegerField": "integer", "SmallIntegerField": "smallint",
    "PositiveSmallIntegerField": "smallint", "BigIntegerField": "bigint", "PositiveBigIntegerField": "bigint",
    "AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint", "FloatField": "double", "DecimalField": "numeric",
    "BooleanField": "boolean", "NullBooleanField": "boolean", "DateField": "date", "DateTimeField": "timestamp", "TimeField": "time",
    "DurationField": "interval", "UUIDField": "uuid", "JSONField": "jsonb", "BinaryField": "bytea", "GenericIPAddressField": "inet",
    "IPAddressField": "inet", "HStoreField": "hstore", "ArrayField": "array",
}


def _module_assignments(module: cst.Module) -> dict[str, cst.BaseExpression]:
    """Module-level `NAME = value` assignments (the last one wins)."""
    out: dict[str, cst.BaseExpression] = {}
    for small in small_statements(module):
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            out[small.targets[0].target.value] = small.value
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
            out[small.target.value] = small.value
    return out


def _django_field_state(field: cst.BaseExpression | None) -> dict[str, Any]:
    """What a migration field definition means for the column: class, db type, length, null."""
    if not isinstance(field, cst.Call):
        return {}
    name = call_name(field)
    length = kwarg(field, "max_length")
    return {
        "class": name,
        "db_type": DJANGO_DB_TYPES.get(name, ""),
        "max_length": int(length.value) if isinstance(length, cst.Integer) else None,
        "null": is_true(kwarg(field, "null")),
        "column": name not in DJANGO_NO_COLUMN_FIELDS,
        # Django builds an index for the column (db_index, unique, a key; foreign keys by default)
        "indexed": is_true(kwarg(field, "db_index")) or is_true(kwarg(field, "unique")) or is_true(kwarg(field, "primary_key"))
        or name in ("ForeignKey", "OneToOneField", "ParentalKey") and not is_false(kwarg(field, "db_index")),
    }


class DjangoMigrationFacts(FactCollector):
    """What a Django migration does to the database.

    The operations are read from the `Migration` class's `operations` (list literals, module-level
    variables, `a + b`); `SeparateDatabaseAndState` contributes only its `database_operations`
    (its `state_operations` change Django's model state, not a table). `RunSQL` text is parsed.
    One `migration` fact describes the file (dependencies, `replaces`, `initial`) for the
    migration-history model; every operation becomes a `migration_op` fact.
    """

    triggers = ("migrations.",)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.enabled = is_django_migration(ctx)
        self.created: set[str] = set()
        self.names: dict[str, cst.BaseExpression] = {}
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1
        if not self.enabled or self.depth > 1 or not any(dotted(b.value).endswith("Migration") for b in node.bases):
            return
        self.names = _module_assignments(self.ctx.module)
        body: dict[str, cst.BaseExpression] = {}
        for small in small_statements(node.body):
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                body[small.targets[0].target.value] = small.value
        deps = []
        for element in self._elements(body.get("dependencies")):
            if isinstance(element, (cst.Tuple, cst.List)) and len(element.elements) == 2:
                deps.append(string(element.elements[1].value) or "")
        replaces = list(self._elements(body.get("replaces")))
        self.fact("migration", {
            "tool": "django", "name": self.ctx.path.rsplit("/", 1)[-1].removesuffix(".py"), "deps": [d for d in deps if d],
            "replaces": [string(r.elements[1].value) or "" for r in replaces if isinstance(r, (cst.Tuple, cst.List)) and len(r.elements) == 2],
            "initial": is_true(body.get("initial")),
        })
        for operation in self._elements(body.get("operations")):
            self._operation(operation)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth -= 1

    def _elements(self, node: Any, seen: frozenset[str] = frozenset()) -> Iterator[cst.BaseExpression]:
        """Elements of a list/tuple, following module-level names and `+` (bounded)."""
        if isinstance(node, cst.Name) and node.value in self.names and node.value not in seen:
            yield from self._elements(self.names[node.value], seen | {node.value})
        elif isinstance(node, (cst.List, cst.Tuple)):
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    yield from self._elements(element.value, seen)
                else:
                    yield element.value
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            yield from self._elements(node.left, seen)
            yield from self._elements(node.right, seen)

    def _operation(self, node: cst.BaseExpression) -> None:
        if not isinstance(node, cst.Call):
            return
        name = call_name(node)
        if name == "SeparateDatabaseAndState":
            database = kwarg(node, "database_operations")
            if database is None and positional(node):
                database = positional(node)[0]
            for inner in self._elements(database):
                self._operation(inner)
            return
        line = _line_of(self.ctx, node)
        model = (string(kwarg(node, "model_name")) or string(kwarg(node, "name")) or "").lower()
        args = positional(node)
        if not model and args:
            model = (string(args[0]) or "").lower()
        op: dict[str, Any] = {"line": line, "source": "django", "table": model, "ack": _acknowledged(self.ctx, line)}
        if name == "CreateModel":
            self.created.add(model)
            fields = {}
            for element in self._elements(kwarg(node, "fields") or (args[1] if len(args) > 1 else None)):
                if isinstance(element, (cst.Tuple, cst.List)) and len(element.elements) == 2:
                    field_name = string(element.elements[0].value)
                    if field_name:
                        fields[field_name] = _django_field_state(element.elements[1].value)
            op.update(op="create_table", fields=fields)
        elif name == "DeleteModel":
            op.update(op="drop_table")
        elif name in ("AddField", "AlterField"):
            field = kwarg(node, "field") or (args[2] if len(args) > 2 else None)
            column = string(kwarg(node, "name")) or ((string(args[1]) or "") if len(args) > 1 else "")
            if not isinstance(field, cst.Call):
                return
            state = _django_field_state(field)
            op.update(column=column, field=state)
            if name == "AlterField":
                op.update(op="alter_field")
            elif not state["column"]:
                op.update(op="add_relation")  # a join table (or nothing), never a column on this table
            else:
                op.update(op="add_column", not_null=not state["null"], default=_django_fills(field))
        elif name == "RemoveField":
            op.update(op="drop_column", column=string(kwarg(node, "name")) or ((string(args[1]) or "") if len(args) > 1 else ""))
        elif name == "RenameField":
            op.update(op="rename_column", column=string(kwarg(node, "old_name")) or ((string(args[1]) or "") if len(args) > 1 else ""))
        elif name == "RenameModel":
            op.update(op="rename_table", table=(string(kwarg(node, "old_name")) or model).lower())
        elif name == "AlterModelTable":  # ALTER TABLE ... RENAME TO the new db_table
            op.update(op="rename_table")
        elif name in ("AddIndex", "AddIndexConcurrently"):
            index = kwarg(node, "index") or (args[1] if len(args) > 1 else None)
            index_name = (string(kwarg(index, "name")) or "") if isinstance(index, cst.Call) else ""
            op.update(op="create_index", concurrently=name == "AddIndexConcurrently", name=index_name)
        elif name == "RunSQL":
            sql = kwarg(node, "sql") or (args[0] if args else None)
            for text in [string(sql)] if string(sql) is not None else strings_of(sql):
                if text:
                    self._run_sql(text, line)
            return
        else:
            return
        op["new_table"] = model in self.created and op["op"] != "create_table"
        self.fact("migration_op", op)

    def _run_sql(self, sql: str, line: int) -> None:
        from ...sql import analysis

        dialect = self.ctx.config["db.dialect"] or None
        for stmt in analysis.split(sql, dialect):
            if stmt.tree is None:
                continue
            for kind, items in analysis.ddl_facts(stmt.tree, line).items():
                if kind != "migration_op":
                    continue
                for item in items:
                    item.update(line=line, source="django", ack=_acknowledged(self.ctx, line), raw_sql=True)
                    item["new_table"] = item.get("table") in self.created and item["op"] != "create_table"
                    self.fact("migration_op", item)


def _django_fills(field: cst.Call) -> bool:
    """Django gives existing rows a value itself (explicit default, or an implicit one)."""
    name = call_name(field)
    return (
        kwarg(field, "default") is not None
        or kwarg(field, "db_default") is not None
        # Django fills '' for blank string fields and now() for auto_now(_add) when it adds the column
        or is_true(kwarg(field, "blank")) and name in DJANGO_STRING_FIELDS
        or is_true(kwarg(field, "auto_now")) or is_true(kwarg(field, "auto_now_add"))
        or name in DJANGO_AUTO_FILLED
        or is_true(kwarg(field, "primary_key"))
    )


_HINTS = (
    ("postgres", lazy(r"postgres(?:ql)?(?:\+\w+)?://|backends\.postgresql|^\s*(?:import|from)\s+(?:psycopg2?|psycopg_pool|asyncpg)\b", re.M)),
    ("mysql", lazy(r"mysql(?:\+\w+)?://|['\"]mysql\+\w+['\"]|backends\.mysql|^\s*(?:import|from)\s+(?:pymysql|MySQLdb|aiomysql|asyncmy|mysql\.connector)\b", re.M)),
    ("sqlite", lazy(r"sqlite(?:\+\w+)?:///|backends\.sqlite3|^\s*(?:import|from)\s+(?:sqlite3|aiosqlite)\b", re.M)),
)


class DialectHints(FactCollector):
    """Which database the project talks to: DSNs, driver imports, Django ENGINE settings."""

    triggers = ("postgres", "psycopg", "asyncpg", "mysql", "MySQLdb", "sqlite")

    def finish(self) -> None:
        src = self.ctx.source
        for dialect, pattern in _HINTS:
            if pattern.search(src):
                self.fact("dialect_hint", {"dialect": dialect, "test": self.ctx.is_test_file})
