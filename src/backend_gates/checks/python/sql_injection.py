"""SEC-SQLI: SQL text assembled from non-constant parts reaches a database API."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ...model import Severity
from ...redact import redact_text
from ..base import Bad, PythonCheck
from . import sqlsinks


_ONLY_DYNAMIC = re.compile(r"\s*bg_dyn_\d+\s*")


class SqlBuiltByFormatting(sqlsinks.SinkScopeTracking, PythonCheck):
    """SQL text assembled with f-strings, %, .format(), + or join() from non-constant parts reaches a database call.

    Why it matters: a value spliced into SQL text can change the statement itself (SQL
    injection): `' OR 1=1 --` in a name reads every row, `1; DROP TABLE users` destroys data.
    Placeholders (`%s`, `?`, `:name`, `$1`) send values separately, so they can never become SQL.
    Recognised sinks: DB-API `execute/executemany/executescript`, SQLAlchemy `text()` and
    `exec_driver_sql()`, Django `raw()`, `extra(where=/select=)` and `RawSQL()`, psycopg
    `sql.SQL()` built from a formatted string or wrapping a variable, asyncpg `fetch/fetchrow/fetchval/execute`, pandas
    `read_sql`. The text is followed through local assignments (`q = f"..."; q += ...`), list
    building for `" AND ".join(conditions)`, module constants and simple helper functions of the
    same module, then parsed with sqlglot (dynamic parts as placeholders) to confirm it is SQL;
    the message names the statement kind.
    Known limits: values from other modules are treated as dynamic unless their name is
    UPPER_CASE (a constant by convention); numeric casts (`int(x)`), identifier quoting
    (`quote_name`, `sql.Identifier`) and placeholder lists (`", ".join(["%s"] * n)`) are
    considered safe; a dynamic table or column name validated against an allow-list elsewhere is
    still reported (suppress it with the reason).
    """

    code = "BG201"
    name = "string-built-sql"
    gate = "SEC-SQLI"
    severity = Severity.ERROR
    message = "{kind} built with {how} from {parts} reaches {sink}(); pass the values as parameters"
    fix = (
        "use placeholders and pass values separately, e.g. `cur.execute(\"... WHERE id = %s\", (uid,))` or "
        "`text(\"... WHERE id = :id\")` with `{\"id\": uid}`; compose identifiers with psycopg `sql.Identifier` "
        "or an allow-list"
    )
    triggers = ("execute", "exec_driver_sql", ".raw(", ".extra(", "RawSQL", "read_sql", ".fetch", "text(", "SQL(", "sqlalchemy", "sqlmodel")
    references = ["https://owasp.org/www-community/attacks/SQL_Injection", "https://cwe.mitre.org/data/definitions/89.html"]

    good = [
        'def get(cur, uid):\n    cur.execute("SELECT * FROM users WHERE id = %s", (uid,))\n',
        'from sqlalchemy import text\n\ndef get(db, uid):\n    return db.execute(text("SELECT * FROM users WHERE id = :id"), {"id": uid})\n',
        'def get(cur):\n    cur.execute("SELECT * FROM users " + "WHERE active = 1")\n',
        'from psycopg import sql\n\ndef get(cur, table, uid):\n    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), (uid,))\n',
        'def get(cur, ids):\n    marks = ", ".join(["%s"] * len(ids))\n    cur.execute(f"SELECT * FROM users WHERE id IN ({marks})", ids)\n',
        'def run(job, name):\n    job.execute(f"deploy {name}")\n',
    ]
    bad = [
        Bad('def get(cur, uid):\n    cur.execute(f"SELECT * FROM users WHERE id = {uid}")\n', line=2),
        Bad(
            'from sqlalchemy import text as t\n\ndef delete(db, uid):\n    db.execute(t("DELETE FROM users WHERE id = " + str(uid)))\n',
            line=4,
        ),
        Bad(
            'def search(cur, name):\n    q = "SELECT * FROM users"\n    q += " WHERE name = \'%s\'" % name\n    cur.execute(q)\n',
            line=4,
        ),
        Bad(
            'def by_name(name):\n    return "SELECT * FROM users WHERE name = \'{}\'".format(name)\n\n'
            'def search(cur, name):\n    cur.execute(by_name(name))\n',
            line=5,
        ),
        Bad('from psycopg import sql\n\ndef get(cur, table):\n    cur.execute(sql.SQL(f"SELECT * FROM {table}"))\n', line=4),
        Bad(
            'from psycopg import sql\n\ndef get(cur, table, uid):\n'
            '    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.SQL(table)), (uid,))\n',
            line=4,
        ),
        Bad('def get(User, name):\n    return User.objects.extra(where=[f"name = \'{name}\'"])\n', line=2),
        Bad('async def get(conn, name):\n    return await conn.fetch(f"SELECT * FROM users WHERE name = \'{name}\'")\n', line=2),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[str] = []
        self._resolver: Any = None
        self._resolver_ready = False
        self._index: sqlsinks.ModuleIndex | None = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if not leaf:
            return
        sink = sqlsinks.sink_of(node, self.resolver())
        if sink is None:
            return
        if self._index is None:
            self._index = sqlsinks.module_index(self.ctx.module)
        scope: cst.CSTNode = self.functions[-1] if self.functions else self.ctx.module
        assignments: sqlsinks.Assignments | None = None
        for arg in sqlsinks.sql_arguments(node, sink):
            if isinstance(arg, cst.Call) and sqlsinks.sink_of(arg, self.resolver()) is not None:
                continue  # the inner text()/sql.SQL() call is judged on its own
            if isinstance(arg, (cst.SimpleString, cst.ConcatenatedString)):
                continue
            if assignments is None:
                assignments = sqlsinks.assignments_before(scope, node)
            template = sqlsinks.reconstruct(
                arg,
                assignments,
                self._index,
                class_name=self.classes[-1] if self.classes else None,
                fragment=sink.fragment,
            )
            if template.constant:
                continue
            if template.kind is None and sink.family == "psycopg" and _ONLY_DYNAMIC.fullmatch(template.text):
                # sql.SQL(value): psycopg documents that SQL() text is never escaped; identifiers
                # go through sql.Identifier and values through placeholders
                template = sqlsinks.Template(template.text, template.dynamic, ("sql.SQL()",), "SQL fragment")
            if template.kind is None:
                continue
            parts = ", ".join(f"`{p}`" for p in template.dynamic[:3]) + (" ..." if len(template.dynamic) > 3 else "")
            how = " and ".join(template.how) or "string building"
            self.report(
                node,
                kind=template.kind if " " in template.kind else f"{template.kind} statement",
                how=how,
                parts=parts,
                sink=sink.name,
                extra={"sql_template": redact_text(template.text[:500]), "statement": template.kind, "sink": sink.name},
            )
            return
