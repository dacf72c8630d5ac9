"""SEC-SQLI: SQL text assembled from non-constant parts reaches a database API."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ...model import Severity
from ...redact import redact_text
from ..base import Bad, Option, PythonCheck
from . import _sensitive as S
from . import sqlsinks
from ._cst import descendants
from ...patterns import lazy


_ONLY_DYNAMIC = lazy(r"\s*bg_dyn_\d+\s*")
# helpers in other modules that run the SQL they are given, by name (`run_query(sql)`, `db.fetch_all(q)`)
_HELPER_NAME = lazy(
    r"(?i)^_*(run|exec|execute|do|raw|db|perform)_?(sql|query|queries|statement|raw|select|script)s?$|"
    r"^_*(sql|query|raw_query|fetch_?all|fetch_?one|fetch_?rows?|select_?(all|one|rows?)?|query_?(db|all|one|rows?))$"
)
# the SQL text comes from Django's own compiler (identifiers quoted, values as params)
_COMPILED = lazy(r"\.as_sql\(|get_compiler\(|\.compile\(|sql_with_params\(|\.query\b")


_VALUE_POSITION = lazy(
    r"""'[^']*bg_dyn_\d+[^']*'|"""
    r"""(?:=|<|>|\bLIKE|\bILIKE|\bBETWEEN|\bAND|\bLIMIT|\bOFFSET|\bIN\s*\(|\bVALUES\s*\(|\bSET\s+\w+\s*=)\s*\(?\s*bg_dyn_\d+""",
    re.I,
)


# wrappers that turn SQL text into a statement object for the sink (`execute(text(sql))`)
_WRAPPERS = lazy(r"^(?:\w+\.)*(text|TextClause|SQL|RawSQL)$")
_JOIN_ON = lazy(r"\bON\s+bg_dyn_\d+\s*$", re.I)
_INTERNAL = lazy(r"^\s*(self|cls|settings|config|conf|app\.config|current_app\.config)\b[\w.\[\]\"']*\s*$|^\s*[A-Z][A-Z0-9_]*\s*$")
_REQUEST = lazy(r"\b(request|req|args|form|query_params|GET|POST|json|params|body|data|payload)\b")
_RECORD_FIELD = lazy(r"^\s*\w+\[\s*[\"'][\w ]+[\"']\s*\]\s*$")  # row["table_name"]
# the file holds SQL text at all: only then are calls of other modules' functions read for SQL
_SQL_WORDS = lazy(r"(?i)\b(SELECT\b[\s\S]{0,400}?\bFROM|INSERT\s+INTO|UPDATE\b[\s\S]{0,200}?\bSET|DELETE\s+FROM)\b")
# callees that never run SQL they are given (logging, output, exceptions, containers)
_NOT_HELPERS = frozenset(
    {
        "print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log", "write", "echo", "secho",
        "append", "extend", "insert", "add", "format", "join", "replace", "split", "strip", "encode", "get", "setdefault",
        "update", "put", "set", "dumps", "loads", "str", "repr", "len", "dict", "list", "tuple", "Response", "jsonify",
        "HttpResponse", "JsonResponse", "render", "render_template", "flash", "abort", "gettext", "_", "assertEqual", "assertIn",
    }
)
_MIGRATION_PATH = lazy(r"(^|/)(migrations|alembic|versions|migrate)/")


def _in_value_position(text: str) -> bool:
    """Some dynamic part stands where a value goes (`= {x}`, `'{x}'`, `IN ({x})`, `LIKE '%{x}%'`):
    the classic injection. A dynamic identifier or clause alone (`FROM {table}`, `USE {db}`) is
    usually an internal name: still reported, with medium confidence. A join condition between two
    dynamic names (`JOIN {t} ON {a} = {b}`) compares columns, not values."""
    for found in _VALUE_POSITION.finditer(text):
        if found.group(0).startswith("=") and _JOIN_ON.search(text, 0, found.start()):
            continue
        return True
    return False


def helper_sinks(module: cst.Module) -> dict[str, tuple[int, str, str]]:
    """Functions and methods of this module that pass one of their parameters straight to a SQL
    sink: name -> (positional index as called, parameter name, inner sink name)."""
    out: dict[str, tuple[int, str, str]] = {}

    def params_of(fn: cst.FunctionDef, method: bool) -> list[str]:
        names = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params)]
        return names[1:] if method and names and names[0] in ("self", "cls") else names

    def scan(fn: cst.FunctionDef, method: bool) -> None:
        params = params_of(fn, method)
        if not params:
            return
        found: list[tuple[str, str]] = []

        for node in descendants(fn.body, cst.Call):
            sink = sqlsinks.sink_of(node)
            if sink is None:
                continue
            for arg in sqlsinks.sql_arguments(node, sink):
                if isinstance(arg, cst.Call) and _WRAPPERS.match(sqlsinks._dotted(arg.func)) and len(arg.args) == 1:
                    arg = arg.args[0].value  # execute(text(sql)): the text the wrapper is given
                if isinstance(arg, cst.Name) and arg.value in params:
                    found.append((arg.value, sink.name))
        if found:
            param, inner = found[0]
            out.setdefault(fn.name.value, (params.index(param), param, inner))

    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            scan(stmt, False)
        elif isinstance(stmt, cst.ClassDef):
            for inner_stmt in getattr(stmt.body, "body", ()):
                if isinstance(inner_stmt, cst.FunctionDef):
                    scan(inner_stmt, True)
    return out


class SqlBuiltByFormatting(S.SecurityRule, sqlsinks.SinkScopeTracking, PythonCheck):
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
    Sanitizers are followed by kind, wherever the value goes (locals, helpers, comprehensions):
    numeric casts and numeric formats (`int(x)`, `%d`, `{x:d}`, `hexdigest()`); quoting and
    escaping helpers (`quote_name`, `sql.Identifier`/`sql.Literal`, a project `quote_identifier`,
    `escape_string`, `mogrify`); `re.sub` with a per-character pattern, judged by running it on
    the dangerous characters (a negated class that keeps a safe alphabet is safe anywhere; a
    class that removes a quote character is safe between those quotes); `.replace("'", "''")`
    escaping inside the quote it escapes; values from a fixed allow-list (`x if x in ALLOWED
    else ...`, `if x not in ALLOWED: raise`, `assert x in ALLOWED`, `if x in ALLOWED:` around the
    use), text checked by a predicate (`if x.isdigit():`, `if all(v.isdigit() for v in ids):`,
    `if not x.isalnum(): raise`), text checked free of quote characters where it stands between
    them (`if '"' not in x and "'" not in x:`, `if re.search(r"['\\\\]", x): raise`, `not any(q in x
    for q in QUOTES)`), text matched in full by a pattern whose alphabet holds no quote or SQL
    punctuation (`re.fullmatch(r"[A-Za-z_]\\w*", x)`, `PATTERN.match(x)` anchored with `$`: an
    identifier), regex captures whose group matches only an identifier or number alphabet
    (`m.group(1)` of `re.match(r"report_(\\d+)", x)`, the items of `re.findall`, one group of a
    tuple, `for a, b in re.findall(...)`), arithmetic results (`now - days * 86400`) or a lookup in a fixed dict (`ORDER[key]`, `ORDER.get(key, "id")`); placeholder lists
    (`", ".join(["%s"] * n)`, `", ".join(f":id{i}" for i in range(len(ids)))`); `%` formatting of constants only.
    A same-module helper that wraps its parameter in `text()` /
    `sql.SQL()` before running it (`self.db.execute(text(query))`) is a sink too.
    A route handler's parameter that its framework parses into a number, UUID or date before the
    handler runs is not text either: FastAPI, Django Ninja and Litestar parameters annotated `int`,
    `UUID`, `date`, `Decimal` (also inside `Optional`/`Annotated`), Flask/Quart `<int:id>`,
    `<float:x>`, `<uuid:u>` converters. Known limits: an annotation on any other function is not a
    cast (nothing enforces it). Values from other modules are treated as dynamic unless their name is
    UPPER_CASE (a constant by convention); a dynamic table or column name validated in another
    function is still reported (suppress it with the reason); `re.escape` is not a SQL escape.
    A dynamic identifier that comes only from the enclosing function's parameters, or from their
    items (the keys of a dict parameter, `**fields`), is judged by what the project's callers
    pass (BG202), not here.
    Confidence: high when a dynamic part stands where a value goes (`WHERE id = {uid}`,
    `'{name}'`, `IN ({ids})`, `LIMIT {n}`); medium (warning) when only identifiers or clauses are
    dynamic and come from the function's parameters or request data (`ORDER BY {sort}`).
    Not reported: identifiers read from catalog rows or loops (`row["table_name"]`), values from
    the object's own configuration (`self.configuration["db"]`, `cls._threshold`, UPPER_CASE
    constants) and migrations (names come from the models; shipped history). Test files
    (`test-paths`) are not checked unless `check_tests` is set: test code builds SQL from its own
    fixtures, not from an attacker's input (SonarQube raises no vulnerability in test code either).
    A same-module helper that builds text is followed with its parameters bound to what the call
    passes (or their constant defaults). One level of project helper is followed: a function or method of the same module that passes
    a parameter straight to a sink (`def run(cur, sql): cur.execute(sql)`) is a sink itself (high
    confidence); a helper of another module is recognised by its name (`run_query`, `execute_sql`,
    `fetch_all`: medium confidence, warning) and only when the text is a whole SQL statement
    and some dynamic part comes from the function's parameters or request data (ids the program
    read itself, `",".join(seen_ids)`, are not judged through a sink known only by name).
    SQL compiled by Django's own compiler (`sql, params = qs.query.sql_with_params()`, `as_sql()`)
    wrapped in a statement whose values are passed separately is not reported.
    """

    code = "BG201"
    name = "string-built-sql"
    gate = "SEC-SQLI"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S608", "bandit:B608", "ruff:S610", "bandit:B610", "ruff:S611", "bandit:B611", "sonar:S3649", "sonar:S2077",
                    "semgrep:formatted-sql-query", "semgrep:sqlalchemy-execute-raw-query", "semgrep:django-raw-sql")
    message = "{kind} built with {how} from {parts} reaches {sink}(); pass the values as parameters"
    fix = (
        "use placeholders and pass values separately, e.g. `cur.execute(\"... WHERE id = %s\", (uid,))` or "
        "`text(\"... WHERE id = :id\")` with `{\"id\": uid}`; compose identifiers with psycopg `sql.Identifier` "
        "or an allow-list"
    )
    options = {"check_tests": Option(bool, False, "Also check test files (matching `test-paths`).")}
    tests_option = "check_tests"
    triggers = ("execute", "exec_driver_sql", ".raw(", ".extra(", "RawSQL", "read_sql", ".fetch", "text(", "SQL(", "sql", "query", "fetch_",
                "SELECT ", "INSERT ", "UPDATE ", "DELETE ")
    references = ["https://owasp.org/www-community/attacks/SQL_Injection", "https://cwe.mitre.org/data/definitions/89.html"]

    good = [
        'def get(cur, uid):\n    cur.execute("SELECT * FROM users WHERE id = %s", (uid,))\n',
        {"tests/test_reports.py": 'def test_report(cur):\n    for table in ("users", "orders"):\n        cur.execute(f"DELETE FROM {table}")\n'},
        'from sqlalchemy import text\n\ndef get(db, uid):\n    return db.execute(text("SELECT * FROM users WHERE id = :id"), {"id": uid})\n',
        'def get(cur):\n    cur.execute("SELECT * FROM users " + "WHERE active = 1")\n',
        'from psycopg import sql\n\ndef get(cur, table, uid):\n    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), (uid,))\n',
        'def get(cur, ids):\n    marks = ", ".join(["%s"] * len(ids))\n    cur.execute(f"SELECT * FROM users WHERE id IN ({marks})", ids)\n',
        'from sqlalchemy import text\n\ndef get(db, ids):\n    marks = ", ".join(f":id{i}" for i in range(len(ids)))\n'
        '    return db.execute(text(f"SELECT * FROM users WHERE id IN ({marks})"), {f"id{i}": v for i, v in enumerate(ids)})\n',
        'def run(job, name):\n    job.execute(f"deploy {name}")\n',
        'from django.db import connection\n\ndef count(qs):\n    sql, params = qs.query.sql_with_params()\n'
        '    with connection.cursor() as cur:\n        cur.execute(f"SELECT COUNT(*) FROM ({sql}) AS sub", params)\n',
        'from .search import query\n\ndef show(name):\n    return query(f"title:{name} sort:date")\n',
        # sanitizers, by kind
        'import re\n\ndef schemas(cur, names):\n    quoted = ", ".join("\'{}\'".format(re.sub(r"[^a-zA-Z0-9_.]", "", n)) for n in names)\n'
        '    cur.execute(f"SELECT * FROM tables WHERE schema IN ({quoted})")\n',
        'import re\n\ndef column(name):\n    return \'"{}"\'.format(re.sub(r\'["\\s]\', "_", name))\n\n'
        'def create(cur, columns):\n    cols = ", ".join([column(c) for c in columns])\n    cur.execute(f"CREATE TABLE results ({cols})")\n',
        'ORDER = {"new": "created_at DESC", "old": "created_at ASC"}\n\n'
        'def listing(cur, request):\n    order = ORDER.get(request.args.get("sort"), "id")\n    cur.execute(f"SELECT * FROM items ORDER BY {order}")\n',
        'SORTABLE = ("name", "created_at")\n\n'
        'def listing(cur, request):\n    sort = request.args["sort"]\n    if sort not in SORTABLE:\n        raise ValueError(sort)\n'
        '    cur.execute(f"SELECT * FROM items ORDER BY {sort} LIMIT 10")\n',
        'def page(cur, request):\n    n = int(request.args["n"])\n    cur.execute("SELECT * FROM items LIMIT %d" % n)\n',
        'from .db import quote_identifier\n\ndef dump(cur, table):\n    cur.execute(f"SELECT * FROM {quote_identifier(table)} WHERE id > 0")\n',
        'def find(cur, request):\n    name = request.args["q"].replace("\'", "\'\'")\n    cur.execute(f"SELECT * FROM items WHERE name = \'{name}\'")\n',
        'TABLE = "items"\n\ndef count(cur):\n    cur.execute("SELECT COUNT(*) FROM %s WHERE id > %%s" % TABLE, (0,))\n',
        'def recent(cur, request):\n    ids = request.args["ids"].split(",")\n    if all(i.isdigit() for i in ids):\n'
        '        cur.execute("SELECT * FROM items WHERE id IN (%s)" % ",".join(ids))\n',
        'import time\n\ndef since(cur, days):\n    start = time.time() - days * 86400\n    cur.execute("SELECT * FROM items WHERE created >= %s" % start)\n',
        'from .db import fetch_all\n\n_seen_ids: set[str] = set()\n\ndef unseen():\n'
        '    return fetch_all("SELECT id FROM items WHERE id NOT IN (%s)" % ",".join(_seen_ids))\n',
        # a helper's parameters are what the call passes; numbers from time arithmetic
        'def _by(column, value):\n    return "WHERE %s = \'%s\'" % (column, value)\n\n'
        'def active(cur):\n    cur.execute("SELECT * FROM items " + _by("status", "active"))\n',
        'from datetime import datetime, timedelta\n\ndef recent(cur, days):\n'
        '    since = (datetime.now() - timedelta(days=days)).timestamp()\n    cur.execute("SELECT * FROM plays WHERE started >= %s" % since)\n',
        # checks of the text itself: no quote character where it is quoted, an identifier alphabet
        'def reset(db, table):\n    if \'"\' not in table and "\'" not in table:\n'
        '        query = "SELECT setval(\'{t}_id_seq\', 1) FROM \\"{t}\\"".format(t=table)\n        db.execute(query)\n',
        'import re\n\nNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")\n\ndef dump(cur, request):\n    table = request.args["t"]\n'
        '    if not NAME.fullmatch(table):\n        raise ValueError(table)\n    cur.execute(f"SELECT * FROM {table} WHERE id > 0")\n',
        'import re\n\ndef find(cur, request):\n    name = request.args["q"]\n    if re.search(r"[\'\\\\]", name):\n        raise ValueError(name)\n'
        '    cur.execute(f"SELECT * FROM items WHERE name = \'{name}\'")\n',
        # a regex capture whose group holds only an identifier or number alphabet
        'import re\n\ndef report(cur, request):\n    m = re.fullmatch(r"report_(\\d+)", request.args["name"])\n'
        '    cur.execute(f"SELECT * FROM report_{m.group(1)} WHERE owner = {m[1]}")\n',
        'import re\n\ndef merged(cur, request):\n    for table, num in re.findall(r"([a-z_]+):(\\d+)", request.args["q"]):\n'
        '        cur.execute(f"SELECT * FROM {table} WHERE id = {num}")\n',
        # a value checked equal to one of a fixed list's items (case-insensitively too)
        'def listing(cur, request):\n    sort = request.args["sort"]\n'
        '    if any(c.lower() == sort.lower() for c in ("name", "price")):\n        cur.execute(f"SELECT * FROM items ORDER BY {sort}")\n',
        # parsed by the framework before the handler runs: a number, a UUID, a date
        'from typing import Annotated\nfrom uuid import UUID\nfrom fastapi import FastAPI, Query\n\napp = FastAPI()\n\n\n'
        '@app.get("/items/{item_id}")\ndef item(item_id: UUID, limit: Annotated[int, Query(ge=1)] = 10, conn=None):\n'
        '    return conn.execute(f"SELECT * FROM items WHERE owner = \'{item_id}\' LIMIT {limit}").fetchall()\n',
        'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/items/<int:item_id>")\ndef item(item_id):\n'
        '    return get_db().execute(f"SELECT * FROM items WHERE id = {item_id}").fetchall()\n',
    ]
    bad = [
        Bad('from sqlalchemy import text\n\ndef get(db, names):\n    marks = ", ".join(f"\'{names[i]}\'" for i in range(len(names)))\n'
            '    return db.execute(text(f"SELECT * FROM users WHERE name IN ({marks})"))\n', line=5),
        # text parameters of the same handlers, and an annotation nothing enforces
        Bad(
            'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/items")\ndef items(name: str, limit: int | None = None, conn=None):\n'
            '    return conn.execute(f"SELECT * FROM items WHERE name = \'{name}\' LIMIT {limit}").fetchall()\n',
            line=8,
        ),
        Bad(
            'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/items/<item_id>")\ndef item(item_id):\n'
            '    return get_db().execute(f"SELECT * FROM items WHERE id = {item_id}").fetchall()\n',
            line=8,
        ),
        Bad('def count(cur, uid: int):\n    cur.execute(f"SELECT COUNT(*) FROM orders WHERE user_id = {uid}")\n', line=2),
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
        Bad('from psycopg import sql\n\ndef get(cur, request):\n    cur.execute(sql.SQL(f"SELECT * FROM {request.args[\'t\']}"))\n', line=4),
        Bad(
            'from psycopg import sql\n\ndef get(cur, request, uid):\n'
            '    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.SQL(request.args["t"])), (uid,))\n',
            line=4,
        ),
        Bad('def get(User, name):\n    return User.objects.extra(where=[f"name = \'{name}\'"])\n', line=2),
        Bad('async def get(conn, name):\n    return await conn.fetch(f"SELECT * FROM users WHERE name = \'{name}\'")\n', line=2),
        Bad(
            'def run(cur, sql):\n    cur.execute(sql)\n    return cur.fetchall()\n\n'
            'def search(cur, request):\n    return run(cur, "SELECT * FROM items WHERE name = \'%s\'" % request.args["q"])\n',
            line=6,
        ),
        Bad('from .db import run_query\n\ndef search(name):\n    return run_query(f"SELECT * FROM items WHERE name = \'{name}\'")\n', line=4),
        # a sanitizer that does not fit where the value goes
        Bad('def find(cur, request):\n    name = request.args["q"].replace("\'", "\'\'")\n    cur.execute(f"SELECT * FROM items WHERE id = {name}")\n', line=3),
        Bad('import re\n\ndef find(cur, request):\n    cur.execute("SELECT * FROM items WHERE name = \'%s\'" % re.escape(request.args["q"]))\n', line=4),
        Bad('def create(cur, request):\n    columns = request.json["columns"]\n    cols = ", ".join([\'"{}"\'.format(c) for c in columns])\n'
            '    cur.execute(f"CREATE TABLE results ({cols})")\n', line=4),
        Bad('def recent(cur, request):\n    ids = request.args["ids"].split(",")\n    if all(i.isdigit() for i in ids):\n        pass\n'
            '    cur.execute("SELECT * FROM items WHERE id IN (%s)" % ",".join(ids))\n', line=5),
        Bad(
            'SORTABLE = ("name", "created_at")\n\ndef listing(cur, request):\n    sort = request.args["sort"]\n'
            '    if sort in SORTABLE:\n        cur.execute(f"SELECT * FROM items ORDER BY {sort}")\n'
            '    cur.execute(f"SELECT * FROM items WHERE kind = \'{sort}\'")\n',
            line=7,
        ),
        # a check that does not fit where the value goes: the other quote, a match of the start only
        Bad('def find(cur, request):\n    name = request.args["q"]\n    if \'"\' not in name:\n'
            '        cur.execute(f"SELECT * FROM items WHERE name = \'{name}\'")\n', line=4),
        Bad('import re\n\ndef dump(cur, request):\n    table = request.args["t"]\n    if not re.match(r"\\w+", table):\n        raise ValueError(table)\n'
            '    cur.execute(f"SELECT * FROM items WHERE kind = \'{table}\'")\n', line=7),
        # a capture that can hold anything; a group other than the safe one
        Bad('import re\n\ndef report(cur, request):\n    m = re.match(r"report_(.+)", request.args["name"])\n'
            '    cur.execute(f"SELECT * FROM items WHERE kind = \'{m.group(1)}\'")\n', line=5),
        Bad('import re\n\ndef merged(cur, request):\n    for num, name in re.findall(r"(\\d+):(.+)", request.args["q"]):\n'
            '        cur.execute(f"SELECT * FROM items WHERE id = {num} AND name = \'{name}\'")\n', line=5),
        # a method of the module that wraps the text it is given in text() and runs it
        Bad(
            'from sqlalchemy import text\n\nclass Repo:\n    def __init__(self, db):\n        self.db = db\n\n'
            '    def _run(self, query):\n        return self.db.execute(text(query)).all()\n\n'
            '    def by_owner(self, owner):\n        return self._run("SELECT * FROM items WHERE owner = \'" + owner + "\'")\n',
            line=11,
        ),
        # the keys of a request body as column names
        Bad('def update(cur, request):\n    data = request.get_json()\n    sets = ", ".join(f"{k} = %s" for k in data)\n'
            '    cur.execute(f"UPDATE items SET {sets}", list(data.values()))\n', line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[str] = []
        self._resolver: Any = None
        self._resolver_ready = False
        self._index: sqlsinks.ModuleIndex | None = None
        self._helpers: dict[str, tuple[int, str, str]] | None = None
        self._scope_assignments: dict[int, sqlsinks.Assignments] = {}
        self._sql_file: bool | None = None
        self._typed_framework: bool | None = None
        self._validated: tuple[cst.FunctionDef | None, frozenset[str]] = (None, frozenset())

    def finish(self) -> None:
        """Record the functions of this module that run SQL they are given (for BG203)."""
        if not self.sql_file() and "execute" not in getattr(self.ctx, "source", ""):
            return
        if self._helpers is None:
            self._helpers = helper_sinks(self.ctx.module)
        if self._helpers:
            functions = sqlsinks.module_index(self.ctx.module).functions if self._index is None else self._index.functions
            self.fact("sql_helpers", {name: [index, param, inner, name in functions] for name, (index, param, inner) in self._helpers.items()})

    def validated(self) -> frozenset[str]:
        """The enclosing handler's parameters its framework parses into a scalar (once per function)."""
        if not self.functions:
            return frozenset()
        fn = self.functions[-1]
        if self._validated[0] is not fn:
            if self._typed_framework is None:
                self._typed_framework = sqlsinks.typed_framework(getattr(self.ctx, "source", ""))
            self._validated = (fn, sqlsinks.validated_parameters(fn, self._typed_framework))
        return self._validated[1]

    def sql_file(self) -> bool:
        """The module's text holds SQL words (one scan per file)."""
        if self._sql_file is None:
            self._sql_file = _SQL_WORDS.search(getattr(self.ctx, "source", "")) is not None
        return self._sql_file

    def helper_sink(self, node: cst.Call, leaf: str) -> tuple[sqlsinks.SinkInfo, str] | None:
        """A project helper that runs the SQL it is given: (sink, confidence)."""
        if self._helpers is None:
            self._helpers = helper_sinks(self.ctx.module)
        found = self._helpers.get(leaf)
        if found is not None:
            index, param, inner = found
            if isinstance(node.func, cst.Attribute) and not (isinstance(node.func.value, cst.Name) and node.func.value.value in ("self", "cls")):
                # obj.run(...) matches a method only when it is not a library object's own method
                if leaf in ("execute", "fetch", "raw", "query", "get", "filter"):
                    return None
            return sqlsinks.SinkInfo(f"{leaf} (which passes it to {inner})", "helper", arg=index, keywords=(param,), params_arg=index + 1), "high"
        if _HELPER_NAME.match(leaf):
            return sqlsinks.SinkInfo(leaf, "helper-by-name", arg=0, keywords=("sql", "query", "statement"), params_arg=1), "medium"
        return None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        leaf = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
        if not leaf:
            return
        sink = sqlsinks.sink_of(node, self.resolver())
        confidence = "high"
        if sink is None:
            found = self.helper_sink(node, leaf)
            if found is None:
                self.passed_on(node, leaf)
                return
            sink, confidence = found
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
                validated=self.validated(),
            )
            if template.constant:
                continue
            if template.kind is None and sink.family == "psycopg" and _ONLY_DYNAMIC.fullmatch(template.text):
                # sql.SQL(value): psycopg documents that SQL() text is never escaped; identifiers
                # go through sql.Identifier and values through placeholders
                template = sqlsinks.Template(template.text, template.dynamic, ("sql.SQL()",), "SQL fragment")
            if template.kind is None:
                continue
            if sink.family == "helper-by-name" and " " in template.kind:
                continue  # by name only: a whole statement, not a fragment
            if self.compiled_by_django(template, assignments, node, sink):
                continue
            if _MIGRATION_PATH.search(self.ctx.path) or all(_INTERNAL.match(p) for p in template.dynamic):
                continue  # migrations and the object's own configuration (`cls._threshold`) are not input
            identifiers_only = not _in_value_position(template.text)
            if sink.family == "helper-by-name" and not self.from_input(template.dynamic):
                continue  # a sink known only by its name, text from the program's own state: not judged
            if identifiers_only:
                # only identifiers or clauses are dynamic (`FROM {table}`): reported when they come
                # from the function's parameters or the request, not from catalog rows or loops
                if not self.from_input(template.dynamic):
                    continue
                confidence = "medium"
            parts = ", ".join(f"`{p}`" for p in template.dynamic[:3]) + (" ..." if len(template.dynamic) > 3 else "")
            how = " and ".join(template.how) or "string building"
            fmt = {
                "kind": template.kind if " " in template.kind else f"{template.kind} statement",
                "how": how,
                "parts": parts,
                "sink": sink.name,
            }
            extra = {
                "sql_template": redact_text(template.text[:500]),
                "statement": template.kind,
                "sink": sink.name,
                "built_at": self.built_at(arg, assignments),
            }
            traced = self.parameters_only(template.dynamic) if identifiers_only else None
            if traced is not None:
                # identifiers from the function's parameters: what the callers pass decides (BG202)
                rng = self.ctx.position(node)
                line = int(rng.start.line) if rng is not None else self.ctx.line(node)
                self.fact("sql_from_parameters", {
                    "function": self.functions[-1].name.value,
                    "params": traced,
                    "line": line,
                    "column": int(rng.start.column) + 1 if rng is not None else 1,
                    "end_line": int(rng.end.line) if rng is not None else line,
                    "end_column": int(rng.end.column) + 1 if rng is not None else 1,
                    "fmt": fmt,
                    "extra": {**extra, "confidence": "medium"},
                })
                return
            self.report(node, confidence=confidence, extra=extra, **fmt)
            return

    def passed_on(self, node: cst.Call, leaf: str) -> None:
        """A whole SQL statement built with request data or the function's parameters in a value
        position, passed to a function this module does not define: a `sql_passed` fact, which
        BG203 reports when that function, in another module, runs the SQL it is given."""
        if leaf in _NOT_HELPERS or not node.args:
            return
        if not self.sql_file():
            return
        if self._index is None:
            self._index = sqlsinks.module_index(self.ctx.module)
        if self._helpers is None:
            self._helpers = helper_sinks(self.ctx.module)
        if isinstance(node.func, cst.Name) and (leaf in self._index.functions or leaf in self._index.methods):
            return  # this module's own function (a helper that runs SQL is judged by BG201) or class
        scope: cst.CSTNode = self.functions[-1] if self.functions else self.ctx.module
        position = 0
        for arg in node.args:
            if arg.star:
                return
            value = arg.value
            where = [position, None] if arg.keyword is None else [None, arg.keyword.value]
            if arg.keyword is None:
                position += 1
            if not isinstance(value, (cst.FormattedString, cst.BinaryOperation, cst.Call, cst.Name, cst.ConcatenatedString)):
                continue
            if isinstance(value, cst.Call) and not (isinstance(value.func, cst.Attribute) and value.func.attr.value == "format"):
                continue
            if id(scope) not in self._scope_assignments:
                self._scope_assignments[id(scope)] = sqlsinks.assignments_before(scope, None)
            assignments = dict(self._scope_assignments[id(scope)])
            if isinstance(value, cst.Name) and value.value not in assignments:
                continue
            template = sqlsinks.reconstruct(value, assignments, self._index, class_name=self.classes[-1] if self.classes else None, budget=400)
            if template.constant or template.kind is None or " " in template.kind:
                continue
            if not _in_value_position(template.text) or not self.from_input(template.dynamic):
                continue
            if not any(sqlsinks.REQUEST_SOURCE.search(p) for p in template.dynamic):
                continue  # only request data: text from the function's parameters is the callers' to judge
            confidence = "high"
            if _MIGRATION_PATH.search(self.ctx.path) or all(_INTERNAL.match(p) for p in template.dynamic):
                continue
            rng = self.ctx.position(node)
            line = int(rng.start.line) if rng is not None else self.ctx.line(node)
            parts = ", ".join(f"`{p}`" for p in template.dynamic[:3]) + (" ..." if len(template.dynamic) > 3 else "")
            self.fact("sql_passed", {
                "callee": leaf,
                "attribute": isinstance(node.func, cst.Attribute),
                "position": where[0],
                "keyword": where[1],
                "line": line,
                "column": int(rng.start.column) + 1 if rng is not None else 1,
                "end_line": int(rng.end.line) if rng is not None else line,
                "end_column": int(rng.end.column) + 1 if rng is not None else 1,
                "fmt": {"kind": f"{template.kind} statement", "how": " and ".join(template.how) or "string building", "parts": parts},
                "extra": {
                    "sql_template": redact_text(template.text[:500]),
                    "statement": template.kind,
                    "built_at": self.built_at(value, assignments),
                    "confidence": confidence,
                },
            })
            return

    def parameters_only(self, dynamic: tuple[str, ...]) -> list[list[Any]] | None:
        """[name, position, default kind] of the parameters of the enclosing function that are
        the only dynamic parts, when every dynamic part is one of them, passed on unchanged (the
        callers decide what they hold) and the function is called by code, not by a framework
        (no decorator but `staticmethod`/`classmethod`); else None."""
        if not self.functions or len(self.functions) > 2:
            return None
        fn = self.functions[-1]
        if any(sqlsinks._dotted(d.decorator) not in ("staticmethod", "classmethod") for d in fn.decorators):
            return None
        from .sql_callers import signature

        params = signature(fn)
        names = [n for n, _ in params]
        kwargs = fn.params.star_kwarg.name.value if isinstance(fn.params.star_kwarg, cst.Param) else None
        out: list[list[Any]] = []
        for part in dynamic:
            name = part.strip()
            items = sqlsinks.ITEM_SOURCE.match(name)
            mode = ""
            if items:  # the items (dict keys) of a parameter: the callers' collections decide
                name = items.group(1)
                mode = "items" if items.group(2) is None else f"items:{items.group(2)}"
                if name == kwargs:  # `**fields`: the keyword names the callers write
                    entry: list[Any] = [name, -1, "-", "kwargs"]
                    if entry not in out:
                        out.append(entry)
                    continue
            if name not in names:
                return None
            index = names.index(name)
            entry = [name, index, params[index][1]] + ([mode] if mode else [])
            if entry not in out:
                out.append(entry)
        return out or None

    def built_at(self, arg: cst.BaseExpression, assignments: sqlsinks.Assignments) -> list[list[int]]:
        """First and last line of each expression that builds the reported text: the argument
        itself, or the assignments of the name passed (from the last `=` on, with its `+=`).
        Other tools report the string there, so their suppressions are honoured there too."""
        nodes: list[cst.CSTNode] = [arg]
        if isinstance(arg, cst.Name):
            entries = [e for e in assignments.get(arg.value, []) if e.op in ("=", "+=")]
            starts = [i for i, e in enumerate(entries) if e.op == "="]
            nodes = [e.value for e in entries[starts[-1] if starts else 0 :]] or nodes
        spans: list[list[int]] = []
        for node in nodes:
            rng = self.ctx.position(node)
            if rng is not None:
                spans.append([int(rng.start.line), int(rng.end.line)])
        return spans

    def from_input(self, dynamic: tuple[str, ...] | list[str]) -> bool:
        """Some dynamic part is a parameter of the enclosing function or request data."""
        params: set[str] = set()
        if self.functions:
            fn = self.functions[-1]
            params = {p.name.value for p in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)} - {"self", "cls"}
            params |= {p.name.value for p in (fn.params.star_arg, fn.params.star_kwarg) if isinstance(p, cst.Param)}
        for part in dynamic:
            code = re.sub(r"'[^']*'|\"[^\"]*\"", "''", part)  # names inside string literals do not count
            names = set(re.findall(r"(?<![.\w])[A-Za-z_]\w*", code))
            if names & params or _REQUEST.search(code):
                return True
        return False

    def compiled_by_django(
        self, template: sqlsinks.Template, assignments: sqlsinks.Assignments, node: cst.Call, sink: sqlsinks.SinkInfo
    ) -> bool:
        """Every dynamic part is SQL from Django's compiler and the values travel as parameters."""
        if not template.dynamic or not sqlsinks.has_parameters(node, sink):
            return False
        for part in template.dynamic:
            if _COMPILED.search(part):
                continue
            origins = [self.ctx.module.code_for_node(a.value) for a in assignments.get(part.strip(), [])]
            origins += self.unpacked_from(part.strip())
            if not origins or not all(_COMPILED.search(o) for o in origins):
                return False
        return True

    def unpacked_from(self, name: str) -> list[str]:
        """Source of the values `name` is unpacked from in this function (`sql, params = ...`)."""
        scope: cst.CSTNode = self.functions[-1] if self.functions else self.ctx.module
        out: list[str] = []

        for node in descendants(scope, cst.Assign):
            for t in node.targets:
                if isinstance(t.target, (cst.Tuple, cst.List)) and any(
                    isinstance(e.value, cst.Name) and e.value.value == name for e in t.target.elements
                ):
                    out.append(str(self.ctx.module.code_for_node(node.value)))
        return out
