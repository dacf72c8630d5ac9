"""Query rules over every SQL statement the project contains (`.sql` files and constant SQL
passed to DB calls in Python). The statements were parsed once in the file phase
(sql/analysis.py); these rules read the recorded `sql_statement` facts.

Statements inside migrations are left out of the query rules: a backfill `UPDATE t SET x = 0`
is what a data migration is for.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
from ...patterns import lazy

APP_CODE = ("python", "sql-file")


class _StatementRule(ProjectCheck):
    """A SQL query rule: `examine(tree)` looks at one parsed statement (a sqlglot tree) and returns
    the message placeholders when the rule applies. Every statement is examined once, when its file
    is analysed (sql/analysis.py records the outcome with the statement's fact); `run` reports the
    recorded outcomes of application code."""

    abstract = True
    places: ClassVar[tuple[str, ...]] = APP_CODE

    def statements(self, project: Any) -> list[tuple[str, dict[str, Any]]]:
        return [(p, s) for p, s in project.facts("sql_statement") if s.get("where") in self.places and not s.get("test")]

    def not_evaluated(self, project: Any) -> str | None:
        if not self.statements(project):
            return "no SQL statements found in application code (.sql files or constant SQL in DB calls)"
        return None

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        """Placeholders for the message when this rule applies to the parsed statement `tree`."""
        return None

    def run(self, project: Any) -> list[Finding]:
        out = []
        for path, stmt in self.statements(project):
            for code, fmt in stmt.get("issues", []):
                if code == self.code:
                    out.append(self.make_finding(Location(path, stmt["line"]), **fmt))
        return out


class UnparseableSql(_StatementRule):
    """A SQL statement sqlglot cannot parse; the SQL rules could not look at it.

    Why it matters: the statement escapes every SQL rule (and the inventory lists it as
    unparsed). It may be vendor syntax sqlglot does not know, or a real syntax error.
    Known limits: set `db.dialect` when the dialect cannot be inferred; vendor-specific syntax
    outside sqlglot's grammar is reported here too (low severity).
    """

    code = "BG300"
    name = "unparseable-sql"
    gate = None
    severity = Severity.INFO
    confidence = "low"
    message = "sqlglot cannot parse this SQL statement ({error}); the SQL rules skipped it"
    fix = "fix the syntax, or set `db.dialect` so the right grammar is used"
    places = ("python", "sql-file", "migration-sql", "migration-python")
    example_path = "schema.sql"
    good = ["SELECT id, name FROM users WHERE id = 1;\n"]
    bad = [Bad("SELECT id FROM users;\nSELEC name FRM users;\n", line=2)]

    def run(self, project: Any) -> list[Finding]:
        return [
            self.make_finding(Location(path, stmt["line"]), error=stmt["error"])
            for path, stmt in self.statements(project)
            if stmt.get("error")
        ]


class SelectStar(_StatementRule):
    """`SELECT *` in application code.

    Why it matters: the query reads every column (more I/O, no covering index), and the code
    breaks or leaks data silently when a column is added. Name the columns you need.
    Known limits: `SELECT *` inside `EXISTS (...)` is fine and not reported; migrations and
    tests are not checked.
    """

    code = "BG301"
    name = "select-star"
    gate = "DB-PERF"
    severity = Severity.INFO  # a smell, not a defect (severity policy: docs/severity.md)
    confidence = "low"
    message = "`SELECT *` from {table}: name the columns the code needs"
    fix = "list the columns explicitly"
    example_path = "queries.sql"
    good = [
        "SELECT id, email FROM users WHERE id = 1;\nSELECT id FROM t WHERE EXISTS (SELECT * FROM u WHERE u.t_id = t.id);\n",
        # the CTE already chose the columns
        "WITH RECURSIVE thread(id, depth) AS (SELECT id, 1 FROM posts WHERE id = ? UNION ALL "
        "SELECT p.id, t.depth + 1 FROM posts p JOIN thread t ON p.parent_id = t.id) SELECT * FROM thread ORDER BY depth;\n",
    ]
    bad = [
        Bad("SELECT * FROM users WHERE id = 1;\n", line=1),
        Bad({"app/repo.py": "def get(cur, uid):\n    cur.execute('SELECT * FROM users WHERE id = %s', (uid,))\n"}, line=2, path="app/repo.py"),
    ]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        from ...sql import query_shapes as q

        ctes = q.cte_names(tree)
        for select in tree.find_all(exp.Select):
            if q.selects_star(select) and not q.inside_exists(select) and not q.reads_only_ctes(select, ctes):
                table = next((t.name for t in select.find_all(exp.Table)), "")
                return {"table": table or "the table"}
        return None


class WriteWithoutWhere(_StatementRule):
    """`UPDATE` or `DELETE` without a `WHERE` clause in application code.

    Why it matters: it changes or removes every row of the table; in request code that is almost
    always a bug (a missing filter), and it locks the whole table.
    Known limits: migrations (backfills) are not checked; `DELETE ... LIMIT` is accepted; a
    statement inside a function whose name says it affects everything (`delete_all`,
    `reset_cache`, `truncate_...`) is accepted.
    """

    code = "BG302"
    name = "write-without-where"
    gate = "DB-PERF"
    severity = Severity.WARNING
    confidence = "high"
    message = "{verb} on {table} without WHERE changes every row; add the filter (or say why with a suppression)"
    fix = "add a WHERE clause"
    example_path = "queries.sql"
    good = [
        "UPDATE users SET active = FALSE WHERE id = 7;\n",
        {"app/store.py": "def clear_all(conn):\n    conn.execute('DELETE FROM document_chunks')\n"},
    ]
    bad = [
        Bad("DELETE FROM sessions;\n", line=1),
        Bad({"app/store.py": "def cancel_order(conn, order_id):\n    conn.execute('DELETE FROM orders')\n"}, line=2, path="app/store.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        return [f for f in super().run(project) if not _meant_for_everything(f, project)]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        if isinstance(tree, (exp.Update, exp.Delete)) and tree.args.get("where") is None and not tree.args.get("limit"):
            verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"
            return {"verb": verb, "table": tree.this.name if isinstance(tree.this, exp.Table) else ""}
        return None


_EVERYTHING = lazy(r"(?:^|_)(?:all|clear|truncate|reset|wipe|purge|flush|teardown|cleanup|drop_tables?)(?:_|$)", re.I)


def _meant_for_everything(finding: Finding, project: Any) -> bool:
    """The enclosing function says it affects every row (`delete_all`, `reset_table`, ...)."""
    for path, stmt in project.facts("sql_statement"):
        if path == finding.location.path and stmt["line"] == finding.location.line and stmt.get("function"):
            return bool(_EVERYTHING.search(stmt["function"]))
    return False


class LeadingWildcardLike(_StatementRule):
    """`LIKE '%...'`: a pattern with a leading wildcard.

    Why it matters: a B-tree index cannot serve it, so every row is scanned. Use full-text
    search, a trigram index, or anchor the pattern at the start.
    Counted: a literal pattern, and one built in SQL from a literal that starts with `%`
    (`'%' || :term`, `CONCAT('%', :term)`).
    Known limits: a pattern passed whole as a parameter (`f"%{term}"` in Python) is not seen.
    """

    code = "BG303"
    name = "leading-wildcard-like"
    gate = "DB-PERF"
    severity = Severity.INFO
    confidence = "low"
    message = "`{column} LIKE '{pattern}'` starts with a wildcard and cannot use an index; use full-text or trigram search"
    fix = "anchor the pattern (`'abc%'`) or use a full-text / trigram index"
    example_path = "queries.sql"
    good = ["SELECT id FROM users WHERE name LIKE 'abc%';\n", "SELECT id FROM users WHERE name LIKE :prefix || '%';\n"]
    bad = [
        Bad("SELECT id FROM users WHERE name LIKE '%smith';\n", line=1),
        # the wildcard glued to a parameter in SQL
        Bad("SELECT id FROM users WHERE name ILIKE '%' || :term || '%';\n", line=1),
        Bad("SELECT id FROM users WHERE name LIKE CONCAT('%', :term);\n", line=1),
    ]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        for like in tree.find_all(exp.Like, exp.ILike):
            pattern = like.args.get("expression")
            head = _pattern_head(pattern)
            if head is not None and head.startswith("%"):
                col = like.this.sql() if like.this is not None else "the column"
                shown = head if isinstance(pattern, exp.Literal) else f"{head}' || '..."  # shown as '%' || '...'
                return {"column": col, "pattern": shown[:40]}
        return None


def _pattern_head(pattern: Any) -> str | None:
    """The literal text a LIKE pattern starts with: `'%x'`, `'%' || :term`, `CONCAT('%', :term)`."""
    from sqlglot import exp

    while isinstance(pattern, (exp.DPipe, exp.Concat, exp.Paren)):
        if isinstance(pattern, exp.Concat):
            parts = pattern.expressions
            pattern = parts[0] if parts else None
        else:
            pattern = pattern.this
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return str(pattern.this)
    return None


class FunctionOnFilteredColumn(_StatementRule):
    """A function applied to a column in `WHERE` (`WHERE lower(email) = ?`).

    Why it matters: an index on the column cannot serve the comparison, so the query scans. Index
    the expression, store the normalised value, or compare against a transformed parameter.
    Known limits: does not know about expression indexes that already exist.
    """

    code = "BG304"
    name = "function-on-filtered-column"
    gate = "DB-INDEX"
    severity = Severity.INFO
    confidence = "low"
    message = "`WHERE {function}({column}) ...` hides {column} from its index; index the expression or transform the value instead"
    fix = "create an expression index, or compare the raw column against a transformed parameter"
    example_path = "queries.sql"
    good = ["SELECT id FROM users WHERE email = ?;\n"]
    bad = [Bad("SELECT id FROM users WHERE lower(email) = ?;\n", line=1)]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        from ...sql import query_shapes as q

        for where in tree.find_all(exp.Where):
            hit = q.function_on_column(where)
            if hit:
                return dict(hit)
        return None


class UnboundedOrderBy(_StatementRule):
    """`ORDER BY` over a whole table with no `LIMIT` (an unbounded list query).

    Why it matters: the database sorts every row and the application receives all of them; it
    grows with the table. Paginate (`LIMIT`/keyset) or filter.
    Known limits: only statements without WHERE, JOIN, GROUP BY or aggregates are reported.
    """

    code = "BG305"
    name = "unbounded-order-by"
    gate = "DB-PERF"
    severity = Severity.INFO
    confidence = "low"
    message = "`ORDER BY` over all of {table} without `LIMIT`: paginate or filter this list query"
    fix = "add LIMIT/OFFSET or keyset pagination"
    example_path = "queries.sql"
    good = [
        "SELECT id, title FROM notes WHERE owner = ? ORDER BY id LIMIT ?;\n",
        "WITH RECURSIVE thread(id, depth) AS (SELECT id, 1 FROM posts WHERE id = ? UNION ALL "
        "SELECT p.id, t.depth + 1 FROM posts p JOIN thread t ON p.parent_id = t.id) SELECT id FROM thread ORDER BY depth;\n",
    ]
    bad = [Bad("SELECT id, title FROM notes ORDER BY created_at DESC;\n", line=1)]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        from ...sql import query_shapes as q

        if isinstance(tree, exp.Select) and q.unbounded_order(tree) and not q.reads_only_ctes(tree, q.cte_names(tree)):
            return {"table": next((t.name for t in tree.find_all(exp.Table)), "")}
        return None


class ImplicitCrossJoin(_StatementRule):
    """`FROM a, b` with nothing relating the tables: an implicit cross join.

    Why it matters: the result has rows(a) x rows(b) rows; usually a forgotten join condition.
    Known limits: a comma join related by an equality in WHERE (old-style join) is accepted.
    """

    code = "BG306"
    name = "implicit-cross-join"
    gate = "DB-PERF"
    severity = Severity.WARNING
    confidence = "high"
    message = "implicit cross join of {tables}: add the join condition (`JOIN ... ON`)"
    fix = "write `JOIN b ON b.a_id = a.id`"
    example_path = "queries.sql"
    good = ["SELECT a.id FROM a JOIN b ON b.a_id = a.id;\nSELECT a.id FROM a, b WHERE b.a_id = a.id;\n"]
    bad = [Bad("SELECT a.id, b.id FROM a, b WHERE a.x = 1;\n", line=1)]

    @classmethod
    def examine(cls, tree: Any) -> dict[str, Any] | None:
        from sqlglot import exp

        from ...sql import query_shapes as q

        for select in tree.find_all(exp.Select):
            cross = q.implicit_cross_join(select)
            if cross:
                return {"tables": cross}
        return None


# the query rules, in the order their findings are recorded for each statement
QUERY_RULES: tuple[type[_StatementRule], ...] = (
    SelectStar,
    WriteWithoutWhere,
    LeadingWildcardLike,
    FunctionOnFilteredColumn,
    UnboundedOrderBy,
    ImplicitCrossJoin,
)
