"""SEC-SQLI across calls: SQL identifiers built from a function's parameters, judged by what the
project's callers pass (facts: `sql_from_parameters` from BG201, `call_sites` from
checks/python/sql_callers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...model import Finding, Location, Severity
from ..base import DEFERRED, Bad, ProjectCheck
from ..python import _sensitive as S

_DEPTH = 3  # callers followed up from the function that builds the SQL


@dataclass(frozen=True, slots=True)
class CallIndex:
    """Recorded call sites by callee name: argument kinds and where."""

    calls: dict[str, list[tuple[str, list[str], dict[str, str], str]]]  # name -> (path, positional, keywords, calling function)

    @classmethod
    def of(cls, project: Any) -> CallIndex:
        calls: dict[str, list[tuple[str, list[str], dict[str, str], str]]] = {}
        for path, fact in project.facts("call_sites"):
            for name, sites in fact.get("calls", {}).items():
                for positional, keywords, caller in sites:
                    calls.setdefault(name, []).append((path, list(positional), dict(keywords), str(caller)))
            for name, shapes in fact.get("dynamic", {}).items():
                for count, keywords, caller in shapes:
                    if count < 0:  # arguments that cannot be placed: dynamic in every position
                        calls.setdefault(name, []).append((path, ["d"] * 64, {}, str(caller)))
                    else:
                        calls.setdefault(name, []).append((path, ["d"] * int(count), {k: "d" for k in keywords}, str(caller)))
        return cls(calls)


class SqlBuiltFromCallerValues(S.SecurityRule, ProjectCheck):
    """SQL identifiers built from a function's parameters, where some caller passes a value the code does not fix.

    Why it matters: `def clear(table): db.execute("DELETE FROM %s" % table)` is safe when every
    caller passes `"sessions"`, and an injection when one passes `request.args["table"]`. BG201
    reports a dynamic identifier (`FROM {table}`, `ORDER BY {sort}`) at once when it comes from
    request data; when it comes only from the enclosing function's parameters, the callers decide:
    every call of the function in the project is read, and the finding stands unless each one
    passes a constant (a literal, an UPPER_CASE or module constant, a local assigned only
    literals, text built from those) or leaves a parameter whose default is constant. A caller that
    passes its own parameter on is followed up to three calls.
    Callers in test files (`test-paths`) are not read: the application's callers decide.
    A caller's argument is read with BG201's text builder in the caller's scope, so what makes
    text safe there makes it fixed here: `"query_{}".format(n)` with `n` a number, an `int()`, a
    regex capture of digits or an identifier alphabet (`re.findall(r"query_(\\d+)", text)`), a
    quoting function, an allow-list. Text built from the items of the caller's own parameter
    (`for qid in query_ids: load("query_%s" % qid)`) is followed to that caller's callers.
    Identifiers built from the items of a parameter (dict keys: `", ".join(values)`,
    `values.keys()`, `[k + " = ?" for k in values]`; the keyword names of `**fields`) are judged
    by what the callers' collections hold, not their values (values go as parameters): keys
    written in code (dict literals, `d["col"] = v`, keyword arguments), constants, regex
    captures of an identifier alphabet and the program's own data (rows, objects it built)
    clear it; request data (`request.json`, `**request.args`) or text derived from the caller's
    own input does not.
    Known limits: callers are found by the function's name (a function named like another one is
    judged by both functions' callers, and names of dict methods such as `update` are not
    recorded); a function no code calls (an API, a task) keeps its finding; the keys of a dict
    read from an outside service count as the program's own. Values in value positions (`WHERE
    id = {x}`) stay with BG201 whatever the callers pass.
    """

    code = "BG202"
    name = "string-built-sql-from-callers"
    gate = "SEC-SQLI"
    severity = Severity.ERROR
    confidence = "medium"
    external_ids = ("ruff:S608", "bandit:B608", "sonar:S3649", "sonar:S2077", "semgrep:formatted-sql-query")
    message = "{kind} built with {how} from {parts} reaches {sink}(); {why}; use an allow-list or quote the identifier"
    fix = "check the identifier against a fixed allow-list, or compose it with psycopg `sql.Identifier` / the driver's quoting"
    facts_needed = ("sql_from_parameters", "call_sites")
    example_path = "app/db.py"
    references = ["https://owasp.org/www-community/attacks/SQL_Injection", "https://cwe.mitre.org/data/definitions/89.html"]

    good = [
        {
            "app/db.py": "def clear_table(cur, table):\n    cur.execute(\"DELETE FROM %s\" % table)\n\n"
            "def clear_sessions(cur):\n    clear_table(cur, 'sessions')\n",
            "app/jobs.py": "from .db import clear_table\n\nTABLE = 'exports'\n\ndef nightly(cur):\n    clear_table(cur, TABLE)\n",
        },
        {
            "app/db.py": "def history(cur, order_by=None):\n    sql = 'SELECT * FROM history'\n    if order_by:\n"
            "        sql += ' ORDER BY ' + order_by\n    cur.execute(sql)\n\n"
            "def recent(cur):\n    return history(cur)\n",
        },
        {
            "app/db.py": "def count(cur, table):\n    cur.execute(f'SELECT COUNT(*) FROM {table}')\n\n"
            "def count_rows(cur, table):\n    return count(cur, table)\n\n"
            "def stats(cur):\n    return [count_rows(cur, 'users'), count_rows(cur, 'items')]\n",
        },
        # column names from the keys of a dict parameter: the callers' dicts have keys written in code
        {
            "app/db.py": "def upsert(cur, table, values):\n    cols = ', '.join(values.keys())\n"
            "    marks = ', '.join(['?'] * len(values))\n"
            "    cur.execute(f'INSERT INTO {table} ({cols}) VALUES ({marks})', list(values.values()))\n",
            "app/users.py": "from .db import upsert\n\ndef save(cur, user_id, name):\n    row = {'user_id': user_id}\n"
            "    row['name'] = name\n    upsert(cur, 'users', row)\n\n"
            "def refresh(cur, api):\n    for item in api.users():\n        upsert(cur, 'users', item)\n",
        },
        # column names from `**fields`: the keyword names the callers write
        {
            "app/db.py": "def update_row(cur, table, key, **fields):\n    sets = ', '.join(f'{k} = ?' for k in fields)\n"
            "    cur.execute(f'UPDATE {table} SET {sets} WHERE id = ?', [*fields.values(), key])\n\n"
            "def rename(cur, key, name):\n    update_row(cur, 'users', key, name=name)\n",
        },
        # a data-tables helper: columns and filter names from the callers' lists, the requested sort
        # checked against those columns, values as parameters
        {
            "app/db.py": "def build_where(filters):\n    where, args = '', []\n    for f in filters:\n"
            "        where += f[0] + ' = ? AND '\n        args.append(f[1])\n    return where.rstrip(' AND '), args\n\n"
            "def page(cur, table, columns, filters, sort):\n    clause, args = build_where(filters)\n    order = ''\n"
            "    if any(c.lower() == sort.lower() for c in columns):\n        order = ' ORDER BY ' + sort\n"
            "    cur.execute('SELECT ' + ', '.join(columns) + ' FROM ' + table + ' WHERE ' + clause + order, args)\n",
            "app/views.py": "from flask import request\nfrom .db import page\n\ndef users(cur, user_id):\n"
            "    filters = [['owner_id', user_id]]\n    return page(cur, 'users', ['id', 'name'], filters, request.args['sort'])\n",
        },
        # table names from a regex capture of digits, two calls up
        {
            "app/db.py": "import re\n\ndef load(cur, table, rows):\n    cur.execute(f'CREATE TABLE {table} (v)')\n\n"
            "def load_all(cur, ids, rows):\n    for qid in set(ids):\n        load(cur, 'query_{}'.format(qid), rows)\n\n"
            "def run(cur, text, rows):\n    ids = re.findall(r'from query_(\\d+)', text)\n    load_all(cur, ids, rows)\n",
        },
    ]
    bad = [
        Bad(
            {
                "app/db.py": "def clear_table(cur, table):\n    cur.execute(\"DELETE FROM %s\" % table)\n",
                "app/views.py": "from .db import clear_table\n\ndef clear(request, cur):\n    clear_table(cur, request.args['table'])\n",
            },
            line=2,
            path="app/db.py",
        ),
        Bad(
            {
                "app/db.py": "def count(cur, table):\n    cur.execute(f'SELECT COUNT(*) FROM {table}')\n\n"
                "def count_rows(cur, table):\n    return count(cur, table)\n",
                "app/views.py": "from .db import count_rows\n\ndef show(request, cur):\n    return count_rows(cur, request.args['t'])\n",
            },
            line=2,
            path="app/db.py",
        ),
        Bad({"app/db.py": "def dump(cur, table):\n    cur.execute(f'SELECT * FROM {table}')\n"}, line=2, path="app/db.py"),
        Bad(
            {
                "app/db.py": "def upsert(cur, table, values):\n    cols = ', '.join(values.keys())\n"
                "    marks = ', '.join(['?'] * len(values))\n"
                "    cur.execute(f'INSERT INTO {table} ({cols}) VALUES ({marks})', list(values.values()))\n",
                "app/views.py": "from flask import request\nfrom .db import upsert\n\ndef save(cur):\n    upsert(cur, 'users', request.json)\n",
            },
            line=4,
            path="app/db.py",
        ),
        Bad(
            {
                "app/db.py": "def update_row(cur, table, key, **fields):\n    sets = ', '.join(f'{k} = ?' for k in fields)\n"
                "    cur.execute(f'UPDATE {table} SET {sets} WHERE id = ?', [*fields.values(), key])\n",
                "app/views.py": "from flask import request\nfrom .db import update_row\n\n"
                "def edit(cur, key):\n    update_row(cur, 'users', key, **request.args)\n",
            },
            line=3,
            path="app/db.py",
        ),
        Bad(
            {
                "app/db.py": "def build_where(filters):\n    where, args = '', []\n    for f in filters:\n"
            "        where += f[0] + ' = ? AND '\n        args.append(f[1])\n    return where.rstrip(' AND '), args\n\n"
            "def page(cur, table, columns, filters, sort):\n    clause, args = build_where(filters)\n    order = ''\n"
            "    if any(c.lower() == sort.lower() for c in columns):\n        order = ' ORDER BY ' + sort\n"
            "    cur.execute('SELECT ' + ', '.join(columns) + ' FROM ' + table + ' WHERE ' + clause + order, args)\n",
                "app/views.py": "from flask import request\nfrom .db import page\n\ndef users(cur):\n"
                "    return page(cur, 'users', request.args.getlist('cols'), [], 'id')\n",
            },
            line=13,
            path="app/db.py",
        ),
        Bad(
            {
                "app/db.py": "import re\n\ndef load(cur, table, rows):\n    cur.execute(f'CREATE TABLE {table} (v)')\n\n"
                "def load_all(cur, names, rows):\n    for name in names:\n        load(cur, 'query_{}'.format(name), rows)\n\n"
                "def run(cur, text, rows):\n    names = re.findall(r'from query_(.+)', text)\n    load_all(cur, names, rows)\n",
            },
            line=4,
            path="app/db.py",
        ),
    ]

    def run(self, project: Any) -> list[Finding]:
        out: list[Finding] = []
        built = project.facts("sql_from_parameters")
        index = self.complete_index(project, {str(fact["function"]) for _path, fact in built}) if built else None
        for path, fact in built:
            assert index is not None
            why = None
            for entry in fact["params"]:
                name, position, default = entry[:3]
                mode = str(entry[3]) if len(entry) > 3 else ""
                why = self.unsafe(index, fact["function"], int(position), str(name), str(default), 0, set(), mode)
                if why is not None:
                    break
            if why is None:
                continue  # every caller passes a constant: the identifiers are fixed by the code
            loc = Location(path, fact["line"], fact["column"], fact["end_line"], fact["end_column"])
            out.append(
                self.make_finding(
                    loc,
                    severity=S.severity_for(self.severity, "medium"),
                    extra=dict(fact["extra"]),
                    why=why,
                    **fact["fmt"],
                )
            )
        return out

    @staticmethod
    def complete_index(project: Any, functions: set[str]) -> CallIndex:
        """The call sites of `functions` and of every caller they lead to (a caller passing its
        own parameter on), with each computed argument judged: the main pass records those as
        `?` (base.DEFERRED), and the files holding such calls are read again once
        (`project.complete`). A file that cannot be read again keeps `?`, judged as computed."""
        asked: set[str] = set()
        while True:
            index = CallIndex.of(project)
            need: set[str] = set()
            seen: set[str] = set()
            stack = list(functions)
            while stack:
                name = stack.pop()
                if name in seen:
                    continue
                seen.add(name)
                for path, positional, keywords, _caller in index.calls.get(name, []):
                    for kind in (*positional, *keywords.values()):
                        for piece in kind.split("|"):
                            piece = piece.split("=", 1)[1] if piece[:1].isdigit() and "=" in piece else piece
                            if piece == DEFERRED:
                                need.add(path)
                            elif piece.startswith("p:"):
                                stack.append(piece.split(":")[1])
            need -= asked
            if not need:
                return index
            asked |= need
            if not project.complete("call_sites", need):
                return index

    @staticmethod
    def kind_in(kind: str, mode: str) -> str:
        """The kind of an argument as the callee uses it: its value (mode ""), its items
        ("items", "kwargs") or the i-th value of its items ("items:<i>")."""
        pieces = kind.split("|")
        if not mode:
            return pieces[0]
        items = pieces[1] if len(pieces) > 1 else pieces[0]
        if mode.startswith("items:"):
            at = mode.split(":", 1)[1] + "="
            return next((p[len(at):] for p in pieces[2:] if p.startswith(at)), items)
        return items

    def unsafe(
        self, index: CallIndex, function: str, position: int, name: str, default: str, depth: int, seen: set[str], mode: str = ""
    ) -> str | None:
        """Why the parameter may hold a value the code does not fix (None: every caller fixes it).
        `mode` "": the parameter's value is the identifier; "items" / "items:<i>": the items (dict
        keys) of the collection it holds; "kwargs": the keyword names passed into `**name`."""
        key = f"{function}:{position}:{mode}"
        if key in seen:
            return None  # recursion: the other callers decide
        seen = seen | {key}
        matched = 0
        what = f"`{name}`" if not mode else f"the keys of `{name}`" if mode == "kwargs" else f"the items of `{name}`"
        for path, positional, keywords, caller in index.calls.get(function, []):
            where = f"`{caller}()` in {path}" if caller else path
            if mode == "kwargs":
                raw = keywords.get("**")
                matched += 1
                if raw is None:
                    continue  # keyword names written at the call
            else:
                raw = positional[position] if 0 <= position < len(positional) else keywords.get(name)
                if raw is None and "**" in keywords:
                    raw = "d|" + self.kind_in(keywords["**"], "items")  # `**opts` may pass it
                if raw is None:
                    if default == "-":
                        continue  # the parameter is required: a call without it is another function's
                    if default != "c" and not mode:
                        return f"`{name}` is left to its computed default in `{function}()` (called from {where})"
                    raw = "c"  # left out: the constant default (or, for items, one the code computes)
                matched += 1
            kind = self.kind_in(raw, mode or "")
            if kind == "c" or (kind == "d" and mode):
                continue  # items of the program's own data (rows, objects it built): keys written in code
            if kind.startswith("p:") and depth < _DEPTH:
                _, caller_fn, index_text, caller_name, caller_default, *rest = kind.split(":")
                # the argument is the caller's parameter itself (same use), or built from its items
                next_mode = ":".join(rest) if rest else mode if mode != "kwargs" else "items"
                next_mode = "" if next_mode == "value" else next_mode
                why = self.unsafe(index, caller_fn, int(index_text), caller_name, caller_default, depth + 1, seen, next_mode)
                if why is None:
                    continue
                return why
            if kind == "r":
                return f"{where} passes {what} from request data or its own input"
            return f"{where} passes a computed {what}"
        if not matched:
            return f"no call of `{function}()` in the project fixes {what}"
        return None
