"""DB-PERF, static N+1: a query executed inside a loop body that depends on the loop variable,
and (as facts for the project rule BG361) attribute access on rows of an ORM query inside a loop.

The receiver of a query call is resolved with libcst scope metadata: a parameter annotated as a
session/connection/cursor, a name assigned from a session/connection factory, or a well-known
session name (`db`, `session`, `cursor`, ...) not rebound to something else. The metadata is
resolved only for files where a loop holds a candidate call.
"""

from __future__ import annotations

from typing import Any, Iterator

import libcst as cst

from ...model import Severity
from ..base import Bad, FactCollector, PythonCheck
from ._cst import call_name, dotted, positional
from .db_migration_facts import is_alembic, is_django_migration

QUERY_METHODS = frozenset({"execute", "query", "scalars", "scalar", "exec", "fetch", "fetchrow", "fetchval", "get", "raw"})
DB_NAMES = frozenset({"db", "session", "sess", "cursor", "cur", "conn", "connection", "dbsession", "db_session", "async_session", "tx", "txn"})
DB_TYPES = ("Session", "AsyncSession", "Connection", "AsyncConnection", "Cursor", "Engine", "scoped_session", "Pool")
DB_FACTORIES = frozenset({
    "Session", "SessionLocal", "AsyncSession", "AsyncSessionLocal", "sessionmaker", "scoped_session", "connect", "cursor",
    "get_db", "get_session", "session_scope", "begin", "acquire", "get_connection", "create_session",
})
EAGER = frozenset({"joinedload", "selectinload", "subqueryload", "contains_eager", "select_related", "prefetch_related", "immediateload"})
ORM_TERMINALS = frozenset({"all", "filter", "filter_by", "exclude", "order_by", "limit", "offset", "scalars", "unique", "iterator", "values", "only", "defer"})


def _loop_names(target: cst.BaseExpression) -> set[str]:
    out: set[str] = set()
    if isinstance(target, cst.Name):
        out.add(target.value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            out |= _loop_names(element.value)
    return out


def _subnodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _names_in(node: cst.CSTNode) -> set[str]:
    return {n.value for n in _subnodes(node) if isinstance(n, cst.Name)}


def _chain_calls(node: cst.BaseExpression) -> list[cst.Call]:
    """Calls of a method chain, outermost first: a.b(x).c(y) -> [c(y), b(x)]."""
    out = []
    current: Any = node
    while True:
        if isinstance(current, cst.Call):
            out.append(current)
            current = current.func
        elif isinstance(current, cst.Attribute):
            current = current.value
        elif isinstance(current, cst.Subscript):
            current = current.value
        else:
            return out


def _chain_root(node: cst.BaseExpression) -> cst.BaseExpression:
    current: Any = node
    while isinstance(current, (cst.Call, cst.Attribute, cst.Subscript)):
        current = current.func if isinstance(current, cst.Call) else current.value
    return current  # type: ignore[no-any-return]


def _objects_model(call: cst.Call) -> str:
    """`Model.objects.filter(...)` -> 'Model'."""
    current: Any = call.func
    while isinstance(current, (cst.Call, cst.Attribute)):
        if isinstance(current, cst.Attribute) and current.attr.value == "objects" and isinstance(current.value, cst.Name):
            return current.value.value
        current = current.func if isinstance(current, cst.Call) else current.value
    return ""


class QueryInLoop(PythonCheck):
    """A database query executed in a loop body with the loop variable (static N+1).

    Why it matters: one query per iteration: 1 + N round trips where one query (a join, an
    `IN (...)`, eager loading) would do. It is fast on a test database and slow in production.
    Known limits: only the receivers named in the module docstring are recognised; a query in a
    helper function called from the loop is not seen (the runtime N+1 detector sees it); data
    migrations and tests are not checked.
    """

    code = "BG360"
    name = "query-in-loop"
    gate = "DB-PERF"
    severity = Severity.WARNING
    message = "`{call}` runs a query on every iteration of the loop over `{var}` (N+1); fetch them in one query (join, IN, eager loading)"
    fix = "load the rows in one query: a JOIN, `WHERE id IN (...)`, selectinload/joinedload or select_related/prefetch_related"
    triggers = ("for ",)
    skip_tests = True
    # without SQL or ORM models in the project there is no database code for it to judge
    requires = (("sql_statement", "orm_class", "table"), "no SQL statements or ORM models found")
    good = [
        "def totals(db, users):\n    ids = [u.id for u in users]\n    return db.execute('SELECT user_id, sum(total) FROM orders WHERE user_id = ANY(%s) GROUP BY user_id', (ids,))\n",
        "def retry(db):\n    for attempt in range(3):\n        db.execute('SELECT 1')\n",
        "def read(paths):\n    for path in paths:\n        cache.get(path)\n",
        "def install(cursor, statements, extensions):\n    for stmt in statements:\n        cursor.execute(stmt)\n"
        "    for ext in extensions:\n        cursor.execute(f'CREATE EXTENSION IF NOT EXISTS {ext}')\n",
    ]
    bad = [
        Bad("def orders(db, users):\n    out = []\n    for user in users:\n        out.append(db.query(Order).filter(Order.user_id == user.id).all())\n    return out\n", line=4),
        Bad("def names(ids):\n    return [User.objects.get(pk=i).name for i in ids]\n", line=2),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.seen: set[int] = set()
        self.scopes: Any = None

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        # one-off data migrations loop over rows on purpose; their speed is not the app's
        return super().wants(ctx) and not is_alembic(ctx) and not is_django_migration(ctx)

    def visit_For(self, node: cst.For) -> None:
        self._scan(node.body, _loop_names(node.target))

    def visit_While(self, node: cst.While) -> None:
        return None  # while loops rarely iterate rows; their variables are not loop-bound

    def _comp(self, node: Any) -> None:
        names: set[str] = set()
        comp = node.for_in
        parts: list[cst.CSTNode] = []
        while comp is not None:
            names |= _loop_names(comp.target)
            parts.extend(comp.ifs)
            if comp is not node.for_in:
                parts.append(comp.iter)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            parts.extend([node.key, node.value])
        else:
            parts.append(node.elt)
        for part in parts:
            self._scan(part, names)

    visit_ListComp = _comp
    visit_SetComp = _comp
    visit_DictComp = _comp
    visit_GeneratorExp = _comp

    def _scan(self, body: cst.CSTNode, loop_vars: set[str]) -> None:
        if not loop_vars:
            return
        for node in _subnodes(body):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if not isinstance(node, cst.Call) or id(node) in self.seen:
                continue
            label = self._query_label(node)
            if not label:
                continue
            outer = self._outer_chain(body, node)
            if not (_names_in(outer) & loop_vars):
                continue
            if _runs_statement_list(node, loop_vars):
                continue
            for call in _chain_calls(outer):
                self.seen.add(id(call))
            var = sorted(_names_in(outer) & loop_vars)[0]
            self.report(node, call=label, var=var)

    def _outer_chain(self, body: cst.CSTNode, call: cst.Call) -> cst.CSTNode:
        """The largest method chain in `body` that contains `call` (so `.filter(x == v)` counts)."""
        best: cst.CSTNode = call
        for node in _subnodes(body):
            if isinstance(node, cst.Call) and call in _chain_calls(node) and node is not call:
                best = node
                break
        return best

    def _query_label(self, call: cst.Call) -> str:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return ""
        method = func.attr.value
        model = _objects_model(call)
        if model and isinstance(func.value, cst.Attribute) and func.value.attr.value == "objects":
            return f"{model}.objects.{method}()"
        if method not in QUERY_METHODS:
            return ""
        receiver = func.value
        if method == "get":
            args = positional(call)
            if len(args) < 2 or not (isinstance(args[0], cst.Name) and args[0].value[:1].isupper()):
                return ""
        if self._is_db(receiver):
            return f"{dotted(receiver) or 'db'}.{method}()"
        return ""

    def _is_db(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Attribute):
            # self.session, db.session, request.dbsession
            return receiver.attr.value in DB_NAMES or receiver.attr.value.endswith("session")
        if isinstance(receiver, cst.Call):
            return call_name(receiver) in DB_FACTORIES or call_name(receiver) == "cursor"
        if not isinstance(receiver, cst.Name):
            return False
        verdict = self._resolve(receiver)
        if verdict is not None:
            return verdict
        return receiver.value in DB_NAMES

    def _resolve(self, name: cst.Name) -> bool | None:
        """True/False when scope analysis decides what `name` is, None when it cannot."""
        from libcst.metadata import ScopeProvider

        if self.scopes is None:
            self.scopes = self.ctx.metadata(ScopeProvider)
        scope = self.scopes.get(name)
        if scope is None:
            return None
        assignments = list(scope.assignments[name.value])
        if not assignments:
            return None
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Param):
                annotation = node.annotation
                if annotation is not None:
                    text = cst.Module([]).code_for_node(annotation.annotation)
                    return any(t in text for t in DB_TYPES)
                if node.default is not None and isinstance(node.default, cst.Call):
                    inner = positional(node.default)
                    if call_name(node.default) == "Depends" and inner and dotted(inner[0]).rsplit(".", 1)[-1] in DB_FACTORIES:
                        return True
                return None
            if isinstance(node, (cst.Import, cst.ImportFrom)):
                return None
            value = _assigned_value(node, name.value)
            if isinstance(value, cst.Call):
                called = call_name(value)
                root = _chain_root(value)
                if called in DB_FACTORIES or (isinstance(root, cst.Name) and root.value in DB_FACTORIES):
                    return True
                return False
            if value is not None and not isinstance(value, (cst.Name, cst.Attribute)):
                return False
        return None


_DDL_START = ("CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "SET", "TRUNCATE", "VACUUM", "ANALYZE", "COMMENT", "REFRESH")


def _runs_statement_list(call: cst.Call, loop_vars: set[str]) -> bool:
    """`for stmt in statements: cur.execute(stmt)` or DDL per item: a script, not an N+1 read."""
    args = positional(call)
    if not args:
        return False
    first = args[0]
    if isinstance(first, cst.Name) and first.value in loop_vars:
        return True
    root = _chain_root(first)
    if isinstance(first, (cst.Subscript, cst.Attribute, cst.Call)) and isinstance(root, cst.Name) and root.value in loop_vars and len(args) == 1:
        return True  # `table.select()`, `stmt.text`: the loop iterates statements or tables, not rows
    if isinstance(first, cst.Call) and call_name(first).startswith(("Create", "Drop", "Add", "Alter", "Set")):
        return True  # SQLAlchemy DDL elements: DropTable(table), CreateIndex(ix) ...
    text = ""
    if isinstance(first, cst.FormattedString):
        text = "".join(p.value for p in first.parts if isinstance(p, cst.FormattedStringText))
    elif isinstance(first, cst.SimpleString):
        text = str(first.evaluated_value)
    return text.lstrip().upper().startswith(_DDL_START)


def _assigned_value(node: Any, name: str) -> Any:
    if isinstance(node, cst.Assign):
        return node.value
    if isinstance(node, cst.AnnAssign):
        return node.value
    if isinstance(node, cst.WithItem):
        return node.item
    if isinstance(node, cst.Name):
        return None
    return None


class LoopRowAccess(FactCollector):
    """Attribute access on rows of an ORM query inside a loop (facts for BG361)."""

    triggers = ("for ",)
    skip_tests = True

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.assigned: dict[str, tuple[str, bool]] = {}  # name -> (model, eager) from `x = <orm query>`

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        return super().wants(ctx) and not is_alembic(ctx) and not is_django_migration(ctx)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            found = _orm_query(node.value)
            if found:
                self.assigned[node.targets[0].target.value] = found

    def _source(self, iterable: cst.BaseExpression) -> tuple[str, bool] | None:
        if isinstance(iterable, cst.Name):
            return self.assigned.get(iterable.value)
        return _orm_query(iterable)

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self._record(node.target.value, self._source(node.iter), node.body)

    def _comp(self, node: Any) -> None:
        comp = node.for_in
        if isinstance(comp.target, cst.Name):
            parts = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
            for part in parts:
                self._record(comp.target.value, self._source(comp.iter), part)

    visit_ListComp = _comp
    visit_SetComp = _comp
    visit_DictComp = _comp
    visit_GeneratorExp = _comp

    def _record(self, var: str, source: tuple[str, bool] | None, body: cst.CSTNode) -> None:
        if source is None:
            return
        model, eager = source
        if eager:
            return
        seen: set[str] = set()
        for node in _subnodes(body):
            if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == var:
                attr = node.attr.value
                if attr in seen:
                    continue
                seen.add(attr)
                rng = self.ctx.position(node)
                self.fact("loop_row_access", {"model": model, "attr": attr, "var": var, "line": rng.start.line if rng else 1})


def _orm_query(node: cst.BaseExpression) -> tuple[str, bool] | None:
    """(model, eager-loaded?) when `node` is an ORM query returning model rows."""
    calls = _chain_calls(node)
    if not calls:
        return None
    names = [call_name(c) for c in calls]
    eager = any(n in EAGER for n in names) or any(
        call_name(a) in EAGER for c in calls for a in positional(c) if isinstance(a, cst.Call)
    )
    innermost = calls[-1]
    model = _objects_model(calls[0])
    if model:
        if names[0] in ("get", "count", "exists", "first", "last", "values_list", "aggregate", "update", "delete"):
            return None
        return model, eager
    if call_name(innermost) == "query" and positional(innermost):
        arg = positional(innermost)[0]
        if isinstance(arg, cst.Name) and arg.value[:1].isupper() and len(positional(innermost)) == 1:
            if names[0] in ORM_TERMINALS or names[0] == "query":
                return arg.value, eager
    if names[0] in ("all", "scalars") or "scalars" in names:
        for c in calls:
            for a in positional(c):
                inner = _chain_calls(a) if isinstance(a, cst.Call) else []
                if inner and call_name(inner[-1]) == "select" and positional(inner[-1]):
                    first = positional(inner[-1])[0]
                    if isinstance(first, cst.Name) and first.value[:1].isupper():
                        eager = eager or any(
                            call_name(o) in EAGER for x in inner for o in positional(x) if isinstance(o, cst.Call)
                        )
                        return first.value, eager
    return None
