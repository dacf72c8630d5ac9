"""SEC-SQLI across modules: SQL built from input and passed to a project function of another
module that runs it (facts: `sql_passed` and `sql_helpers`, both from BG201)."""

from __future__ import annotations

from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
from ..python import _sensitive as S


class SqlBuiltForProjectHelper(S.SecurityRule, ProjectCheck):
    """SQL text built from input reaches a project function in another module that passes it to a database call.

    Why it matters: `go(cur, "SELECT * FROM t WHERE name = '" + name + "'")` is the same
    injection as calling `cur.execute` with that text: the helper (`def go(cur, sql):
    cur.execute(sql)`) runs whatever it is given. BG201 follows helpers of the same module and
    helpers named for what they do (`run_query`); this rule follows the rest across modules.
    A function or method of the project is a helper when it passes one of its parameters
    unchanged to a SQL sink (`execute`, `text()`, `raw()`, ...). The text passed must be a whole
    statement whose dynamic part stands where a value goes (`= '{name}'`, `IN ({ids})`) and
    comes from request data; it is judged by BG201's builder, so its sanitizers (numeric casts,
    quoting functions, allow-lists, regex captures) apply.
    Known limits: helpers are matched by name and argument position (a function named like a
    helper but unrelated would be matched too, when it is given such SQL text); a helper that
    changes the text before running it is not one; dynamic identifiers alone, and text built from
    the function's own parameters (the callers would decide), are not reported here.
    """

    code = "BG203"
    name = "string-built-sql-to-helper"
    gate = "SEC-SQLI"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("ruff:S608", "bandit:B608", "sonar:S3649", "sonar:S2077", "semgrep:formatted-sql-query")
    message = "{kind} built with {how} from {parts} reaches {callee}() in {where}, which passes it to {inner}(); pass the values as parameters"
    fix = "use placeholders and pass the values to the helper separately, e.g. `go(cur, \"... WHERE id = %s\", (uid,))`"
    facts_needed = ("sql_passed", "sql_helpers")
    example_path = "app/views.py"
    references = ["https://owasp.org/www-community/attacks/SQL_Injection", "https://cwe.mitre.org/data/definitions/89.html"]

    _DB = "def go(cur, sql, args=()):\n    cur.execute(sql, args)\n    return cur.fetchall()\n\n" \
          "class Store:\n    def __init__(self, conn):\n        self.conn = conn\n\n" \
          "    def rows(self, statement, args=()):\n        return self.conn.execute(statement, args).fetchall()\n"
    good = [
        {
            "app/db.py": _DB,
            "app/views.py": "from flask import request\nfrom .db import go\n\n"
            "def search(cur):\n    return go(cur, \"SELECT * FROM items WHERE name = %s\", (request.args['q'],))\n",
        },
        {
            "app/db.py": _DB,
            "app/views.py": "from flask import request\nfrom .db import go\n\n"
            "def page(cur):\n    n = int(request.args['n'])\n    return go(cur, f\"SELECT * FROM items WHERE id = {n}\")\n",
        },
        {
            "app/util.py": "def note(text, level=1):\n    return (level, text)\n",
            "app/views.py": "from flask import request\nfrom .util import note\n\n"
            "def search(cur):\n    return note(f\"SELECT * FROM items WHERE name = '{request.args['q']}'\")\n",
        },
    ]
    bad = [
        Bad(
            {
                "app/db.py": _DB,
                "app/views.py": "from flask import request\nfrom .db import go\n\n"
                "def search(cur):\n    return go(cur, \"SELECT * FROM items WHERE name = '\" + request.args['q'] + \"'\")\n",
            },
            line=5,
            path="app/views.py",
        ),
        Bad(
            {
                "app/db.py": _DB,
                "app/views.py": "from flask import request\nfrom .db import Store\n\n"
                "def by_owner(store: Store):\n    sql = f\"SELECT * FROM notes WHERE owner = '{request.args['o']}'\"\n    return store.rows(sql)\n",
            },
            line=6,
            path="app/views.py",
        ),
    ]

    def run(self, project: Any) -> list[Finding]:
        helpers: dict[str, list[tuple[str, int, str, str, bool]]] = {}
        out: list[Finding] = []
        for path, fact in project.facts("sql_passed"):
            if not helpers:
                for hpath, found in project.facts("sql_helpers"):
                    for name, entry in found.items():
                        index, param, inner = entry[:3]
                        function = bool(entry[3]) if len(entry) > 3 else True
                        helpers.setdefault(name, []).append((hpath, int(index), str(param), str(inner), function))
            for hpath, index, param, inner, function in helpers.get(fact["callee"], []):
                if hpath == path or (not fact["attribute"] and not function):
                    continue
                if fact["position"] != index and fact["keyword"] != param:
                    continue
                loc = Location(path, fact["line"], fact["column"], fact["end_line"], fact["end_column"])
                out.append(
                    self.make_finding(
                        loc,
                        severity=S.severity_for(self.severity, str(fact["extra"].get("confidence", "high"))),
                        extra={**fact["extra"], "sink": f"{fact['callee']} ({hpath})"},
                        callee=fact["callee"],
                        where=hpath,
                        inner=inner,
                        **fact["fmt"],
                    )
                )
                break
        return out
