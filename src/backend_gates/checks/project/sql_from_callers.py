"""SEC-SQLI across calls: SQL identifiers built from a function's parameters, judged by what the
project's callers pass (facts: `sql_from_parameters` from BG201, `call_sites` from
checks/python/sql_callers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
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
    Known limits: callers are found by the function's name (a function named like another one is
    judged by both functions' callers); values sanitized by the caller (`quote(x)`) count as
    dynamic; a function no code calls (an API, a task) keeps its finding; dict keys
    (`upsert(table, {"col": v})`) are not followed. Values in value positions (`WHERE id =
    {x}`) stay with BG201 whatever the callers pass.
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
    ]

    def run(self, project: Any) -> list[Finding]:
        index: CallIndex | None = None
        out: list[Finding] = []
        for path, fact in project.facts("sql_from_parameters"):
            if index is None:
                index = CallIndex.of(project)
            why = None
            for name, position, default in fact["params"]:
                why = self.unsafe(index, fact["function"], int(position), str(name), str(default), 0, set())
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

    def unsafe(self, index: CallIndex, function: str, position: int, name: str, default: str, depth: int, seen: set[str]) -> str | None:
        """Why the parameter may hold a value the code does not fix (None: every caller fixes it)."""
        key = f"{function}:{position}"
        if key in seen:
            return None  # recursion: the other callers decide
        seen = seen | {key}
        matched = 0
        for path, positional, keywords, caller in index.calls.get(function, []):
            where = f"`{caller}()` in {path}" if caller else path
            kind = positional[position] if position < len(positional) else keywords.get(name)
            if kind is None:
                if default == "-":
                    continue  # the parameter is required: a call without it is another function's
                if default != "c":
                    return f"`{name}` is left to its computed default in `{function}()` (called from {where})"
                kind = "c"  # left out: the constant default
            matched += 1
            if kind == "c":
                continue
            if kind.startswith("p:") and depth < _DEPTH:
                _, caller, index_text, caller_name, caller_default = kind.split(":", 4)
                why = self.unsafe(index, caller, int(index_text), caller_name, caller_default, depth + 1, seen)
                if why is None:
                    continue
                return why
            return f"{where} passes a computed `{name}`"
        if not matched:
            return f"no call of `{function}()` in the project fixes `{name}`"
        return None
