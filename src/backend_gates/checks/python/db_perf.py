"""DB-PERF, static N+1: a query executed inside a loop body that depends on the loop variable,
and (as facts for the project rule BG361) attribute access on rows of an ORM query inside a loop.

The receiver of a query call is resolved with libcst scope metadata: a parameter annotated as a
session/connection/cursor, a name assigned from a session/connection factory, or a well-known
session name (`db`, `session`, `cursor`, ...) not rebound to something else. The metadata is
resolved only for files where a loop holds a candidate call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, cast

import libcst as cst

from ...model import Severity
from ..base import Bad, FactCollector, PythonCheck
from ._cst import call_name, dotted, positional
from ..project.db_perf import offline_code
from .db_migration_facts import is_alembic, is_django_migration
from ._cst import children as _fast_children
from ...sources.nodes import node_types, subtree
from ...patterns import lazy

QUERY_METHODS = frozenset({"execute", "query", "scalars", "scalar", "exec", "fetch", "fetchrow", "fetchval", "get", "raw"})
DB_NAMES = frozenset({"db", "session", "sess", "cursor", "cur", "conn", "connection", "dbsession", "db_session", "async_session", "tx", "txn"})
STRICT_DB_NAMES = frozenset({"session", "db_session", "dbsession", "conn", "connection", "cursor", "cur", "async_session"})
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


def _subnodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node` and the nodes under it, in source order."""
    return subtree(node)


# Exact type tests below (`type(n) is cst.Name`) where most nodes are not of the type: an
# isinstance miss against a libcst class goes through the ABC machinery (see sources.nodes.node_types).
_BINDS = node_types(cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)


def _names_in(node: cst.CSTNode) -> set[str]:
    return {n.value for n in _subnodes(node) if type(n) is cst.Name}


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
    Counted: sessions, cursors, connections, Django managers, Flask-SQLAlchemy `Model.query` (its
    `.get(pk)` with the loop variable as the key too), a
    function handed the connection (`queries.get_x(self.connection, ...)`), `while` loops over a
    name the loop carries, and one level of same-module helper (a helper that runs a query, or
    calls a method that does). A query counts only where it is evaluated: a Django queryset or a
    SQLAlchemy `Query` runs when iterated, passed to `list()`/`len()`/`bool`, indexed, or ended by
    `.get()`/`.first()`/`.count()`/`.exists()`/`.all()` (SQLAlchemy)/a write; a helper that only
    builds a queryset, a `Q`/`Exists` expression or a subquery runs nothing (when it returns the
    queryset, the loop's use of the result decides). Not counted: literal collections, constants
    and `range(<n>)`; batching (`chunked(...)`, `id__in=batch`, `LIMIT`/slices); a query in a
    branch that leaves the loop. Info: batch code (management commands, tasks, scripts, seed
    data), writes, and a transaction opened per item (a unit of work per item, on purpose).
    Known limits: only the receivers named in the module docstring are recognised; helpers in
    other modules are not followed (the runtime N+1 detector sees them); data migrations and
    tests are not checked.
    """

    code = "BG360"
    name = "query-in-loop"
    gate = "DB-PERF"
    severity = Severity.WARNING
    confidence = "medium"
    message = "`{call}` runs a query on every iteration of the loop over `{var}` (N+1); fetch them in one query (join, IN, eager loading)"
    fix = "load the rows in one query: a JOIN, `WHERE id IN (...)`, selectinload/joinedload or select_related/prefetch_related"
    triggers = ("for ", "while ")
    skip_tests = True
    # without SQL or ORM models in the project there is no database code for it to judge
    requires = (("sql_statement", "orm_class", "table"), "no SQL statements or ORM models found")
    good = [
        "def totals(db, users):\n    ids = [u.id for u in users]\n    return db.execute('SELECT user_id, sum(total) FROM orders WHERE user_id = ANY(%s) GROUP BY user_id', (ids,))\n",
        "def retry(db):\n    for attempt in range(3):\n        db.execute('SELECT 1')\n",
        "def read(paths):\n    for path in paths:\n        cache.get(path)\n",
        "def install(cursor, statements, extensions):\n    for stmt in statements:\n        cursor.execute(stmt)\n"
        "    for ext in extensions:\n        cursor.execute(f'CREATE EXTENSION IF NOT EXISTS {ext}')\n",
        # a fixed handful of models / literal values: bounded, not one query per row
        "def purge(cutoff):\n    for model in (Session, Token, Nonce):\n        model.objects.filter(created__lt=cutoff).delete()\n",
        "KINDS = ('a', 'b')\n\n\ndef counts():\n    return {k: Event.objects.filter(kind=k).count() for k in KINDS}\n",
        # batching is the fix: one query per batch of ids
        "def archive(ids):\n    for batch in chunked(ids, 500):\n        Order.objects.filter(id__in=batch).update(archived=True)\n",
        # a single-match guard: the query runs once, then the loop ends
        "def find(db, users, name):\n    for user in users:\n        if user.name == name:\n            return db.execute('SELECT * FROM t WHERE id = %s', (user.id,))\n",
        # a statement built per item is still a statement list when the loop walks statements
        "def migrate(cursor, tables):\n    for table in tables:\n        cursor.execute(f'ANALYZE {table}')\n",
        # memoised per distinct key; a loop over an enum/choices class
        "def rules(events):\n    cache = {}\n    for event in events:\n        if event.kind not in cache:\n"
        "            cache[event.kind] = Rule.objects.filter(kind=event.kind)\n",
        "def legs(port):\n    return [Outlet.objects.filter(port=port, leg=leg).count() for leg, _label in LegChoices]\n",
        # a Django queryset built per item but evaluated once; a dataloader's batch per key
        "def variants(rules):\n    qs = Variant.objects.none()\n    for rule in rules:\n        qs |= Variant.objects.filter(rule=rule)\n    return list(qs)\n",
        # schema introspection per table
        "class Runner:\n    def schema(self, tables):\n        for table in tables:\n            query = f'DESCRIBE {table}'\n"
        "            self.run_query(query)\n\n    def run_query(self, sql):\n        return self.cursor.execute(sql)\n",
        "def columns(db, tables):\n    sql = 'PRAGMA table_info(%s)'\n    for table in tables:\n        db.execute(sql % (table,))\n",
        # a while loop whose query reads fresh input, not the previous iteration's row
        "def ask(db):\n    user = None\n    while user is None:\n        name = input('name: ')\n"
        "        user = db.execute('SELECT id FROM users WHERE name = %s', (name,)).fetchone()\n",
        # a loop over model classes (a handful), Django's cached ContentType lookups, `.none()`
        "def sizes(models):\n    return {model: model.objects.count() for model in models}\n",
        "def types(objs):\n    return [ContentType.objects.get_for_model(obj) for obj in objs]\n",
        # `db` bound to something that is not a SQL session (a document store handle)
        "class Mongo:\n    def schema(self):\n        db = self.client['app']\n        for name in db.list_collection_names():\n"
        "            self.fields(db, name)\n\n    def fields(self, db, name):\n        return db[name].find_one()\n",
        # a while loop reading one page at a time (keyset pagination, also as a sliced queryset)
        "def purge(webhook_ids):\n    last_id = 0\n    while True:\n        ids = list(Delivery.objects.filter(id__gt=last_id, webhook_id__in=webhook_ids)"
        ".order_by('id').values_list('id', flat=True)[:1000])\n        if not ids:\n            break\n        last_id = ids[-1]\n"
        "        Delivery.objects.filter(id__in=ids).delete()\n",
        "def drain(db):\n    last = 0\n    while True:\n        rows = db.execute('SELECT id FROM jobs WHERE id > %s ORDER BY id LIMIT 100', (last,)).fetchall()\n"
        "        if not rows:\n            break\n        last = rows[-1][0]\n",
        # a helper that only builds a queryset the loop combines: one query, run after the loop
        "def _of_rule(rule):\n    return Variant.objects.filter(rule=rule)\n\n\n"
        "def variants(rules):\n    qs = Variant.objects.none()\n    for rule in rules:\n        qs |= _of_rule(rule)\n    return list(qs)\n",
        # a helper that turns a queryset into a filter expression (`Q`/`Exists`): a subquery, not a query
        "def _listed_in(channel_id):\n    listings = Listing.objects.filter(channel_id=channel_id)\n"
        "    return Q(Exists(listings.filter(item_id=OuterRef('id'))))\n\n\n"
        "def visible(items, channels):\n    condition = Q()\n    for channel in channels:\n        condition |= _listed_in(channel.id)\n"
        "    return items.filter(condition)\n",
        # a default queryset compared with None and handed on: nothing runs in the helper
        "def _variants(predicate, queryset=None):\n    if queryset is None:\n        queryset = Variant.objects.using('replica').all()\n"
        "    return apply_predicate(predicate, queryset)\n\n\n"
        "def for_rules(rules):\n    out = Variant.objects.none()\n    for rule in rules:\n        out |= _variants(rule.predicate)\n    return out\n",
        # a loop over a local literal list (two groups), a lookup table's miss, a batch per group in a helper
        "def pending(cc, other):\n    total = 0\n    groups = [(cc, 'cc'), (other, 'other')]\n    for _stocks, kind in groups:\n"
        "        total += Event.objects.filter(kind=kind, sent=False).count()\n    return total\n",
        "def prices(orders, known):\n    out = []\n    for order in orders:\n"
        "        out.append(known.get(order.method_id) or Listing.objects.filter(method_id=order.method_id).first())\n    return out\n",
        "def _stocks(warehouse_id, lines):\n    variants = [line.variant_id for line in lines]\n"
        "    return list(Stock.objects.filter(warehouse_id=warehouse_id, variant_id__in=variants))\n\n\n"
        "def fulfil(lines_by_warehouse):\n    return [_stocks(pk, lines) for pk, lines in lines_by_warehouse.items()]\n",
        # two levels: the outer helper hands the inner helper's queryset to an expression builder
        "def _values(attr, value):\n    qs = Value.objects.filter(attribute=attr)\n    return qs.filter(slug=value)\n\n\n"
        "def _matching(attr, value):\n    return Exists(_values(attr, value).filter(pk=OuterRef('value_id')))\n\n\n"
        "def where(filters):\n    return [_matching(attr, value) for attr, value in filters]\n",
        # a SQLAlchemy query built per item and used as a subquery, run once
        "class Repo:\n    def _tagged(self, tag):\n        return self.session.query(Link.post_id).filter(Link.tag == tag)\n\n"
        "    def posts(self, tags):\n        subqueries = [self._tagged(tag) for tag in tags]\n"
        "        return self.session.query(Post).filter(or_(*[Post.id.in_(q) for q in subqueries])).all()\n",
    ]
    bad = [
        Bad("def orders(db, users):\n    out = []\n    for user in users:\n        out.append(db.query(Order).filter(Order.user_id == user.id).all())\n    return out\n", line=4),
        Bad("def names(ids):\n    return [User.objects.get(pk=i).name for i in ids]\n", line=2),
        # Flask-SQLAlchemy's primary-key lookup: the loop variable is a key, not a statement
        Bad("def posts(ids):\n    return [Post.query.get(i).title for i in ids]\n", line=2),
        # the query uses a name derived from the loop variable
        Bad("def sync(session, items):\n    for item in items:\n        key = item['id']\n        stmt = select(Tag).filter_by(id=key)\n"
            "        tag = session.execute(stmt).scalars().one_or_none()\n", line=5),
        # Flask-SQLAlchemy `Model.query` in a handler's loop
        Bad("@bp.route('/posts', methods=['POST'])\ndef create_post():\n    post = Post(title=request.json['title'])\n"
            "    for name in request.json['tags']:\n        post.tags.append(Tag.query.filter_by(name=name).first())\n    return jsonify(post.id)\n", line=5),
        # a while loop whose query reads what the previous iteration loaded
        Bad("def ancestors(node):\n    out = []\n    while node.parent_id:\n        node = Category.objects.get(pk=node.parent_id)\n        out.append(node)\n    return out\n", line=4),
        # one level of helper: the per-row helper runs the queries
        Bad("class Repo:\n    async def list(self):\n        rows = await self.connection.fetch('SELECT id, author FROM posts')\n"
            "        return [await self._to_post(row) for row in rows]\n\n"
            "    async def _to_post(self, row):\n        tags = await queries.tags_of_post(self.connection, post_id=row['id'])\n        return Post(row, tags)\n", line=4),
        # a helper that returns a queryset the loop evaluates (`.count()`) on every iteration
        Bad("def _open_orders(user):\n    return Order.objects.filter(user=user, status='open')\n\n\n"
            "def report(users):\n    return {user.id: _open_orders(user).count() for user in users}\n", line=6),
        # a helper that evaluates the queryset it built (`list(...)` of a name holding it)
        Bad("def _recent(user):\n    orders = Order.objects.filter(user=user).order_by('-created')\n    return list(orders[:5])\n\n\n"
            "def feed(users):\n    out = []\n    for user in users:\n        out.extend(_recent(user))\n    return out\n", line=9),
        # a queryset held in a name and evaluated in the same iteration
        Bad("def active(users):\n    out = []\n    for user in users:\n        sessions = Session.objects.filter(user=user)\n"
            "        if sessions.exists():\n            out.append(user)\n    return out\n", line=4),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.seen: set[int] = set()
        self.scopes: Any = None
        self.helpers: list[_HelperCall] = []  # calls of same-module functions in loops
        self._values: dict[int, cst.BaseExpression] | None = None
        self.functions: list[cst.FunctionDef] = []

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        # one-off data migrations loop over rows on purpose; their speed is not the app's
        return super().wants(ctx) and not is_alembic(ctx) and not is_django_migration(ctx)

    @property
    def _scope(self) -> cst.CSTNode:
        """Where a statement held in a name is looked up: the enclosing function, else the module."""
        return self.functions[-1] if self.functions else self.ctx.module

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_For(self, node: cst.For) -> None:
        if _bounded_iterable(node.iter) or _batches(node.iter, node.target) or self._literal_local(node.iter):
            return  # a fixed handful of items, or batches: the recommended fix, not an N+1
        self._scan(node.body, _loop_names(node.target))

    def visit_While(self, node: cst.While) -> None:
        # names carried from one iteration to the next: `node = Node.objects.get(pk=node.parent_id)`,
        # `i += 1`; a name refilled from elsewhere (`raw = input()`) is not a row
        self._scan(node.body, self._carried_names(node.body), batched_ok=True)

    def _literal_local(self, iterable: cst.BaseExpression) -> bool:
        """`pairs = [(a, x), (b, y)]; for ... in pairs`: a name the function binds once, to a literal
        collection it never grows (no `.append`/`+=`), is as bounded as the literal."""
        if not isinstance(iterable, cst.Name) or not self.functions:
            return False
        name = iterable.value
        bound: list[cst.BaseExpression] = []
        for node in _subnodes(self.functions[-1].body):
            cls = type(node)
            if cls is cst.Assign:
                if any(isinstance(t.target, cst.Name) and t.target.value == name for t in cast(cst.Assign, node).targets):
                    bound.append(cast(cst.Assign, node).value)
            elif cls in _BINDS:
                if name in _loop_names(cast(Any, node).target):
                    return False
            elif cls is cst.Call:
                func: Any = cast(cst.Call, node).func
                if type(func) is cst.Attribute and func.attr.value in _GROWS and type(func.value) is cst.Name and func.value.value == name:
                    return False
        return len(bound) == 1 and isinstance(bound[0], (cst.List, cst.Tuple, cst.Set)) and _bounded_iterable(bound[0])

    def _carried_names(self, body: cst.CSTNode) -> set[str]:
        out: set[str] = set()
        for sub in _subnodes(body):
            if isinstance(sub, cst.AugAssign):
                out |= _loop_names(sub.target)
            elif isinstance(sub, cst.Assign):
                targets = set().union(*(_loop_names(t.target) for t in sub.targets))
                if targets & _names_in(sub.value) or any(isinstance(c, cst.Call) and self._query_label(c) for c in _subnodes(sub.value)):
                    out |= targets
        return out

    def _comp(self, node: Any) -> None:
        names: set[str] = set()
        comp = node.for_in
        if comp.inner_for_in is None and (_bounded_iterable(comp.iter) or _batches(comp.iter, comp.target) or self._literal_local(comp.iter)):
            return
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

    def _scan(self, body: cst.CSTNode, loop_vars: set[str], batched_ok: bool = False) -> None:
        if not loop_vars:
            return
        direct = loop_vars
        loop_vars = _derived_names(body, loop_vars)  # `elem_id = elem["id"]; stmt = select(X).filter_by(id=elem_id)`
        flow: _Flow | None = None
        for node in _subnodes(body):
            if type(node) is not cst.Call or id(node) in self.seen:
                continue
            label = self._query_label(node)
            if not label:
                self._maybe_helper(body, node, loop_vars)
                continue
            outer = self._outer_chain(body, node)
            if not (_names_in(outer) & loop_vars):
                continue
            if _runs_statement_list(node, direct, self._scope) or _runs_once(body, node) or _memoized(body, node) \
                    or _cache_fallback(body, node) or (batched_ok and (_batched_query(outer) or _sliced(body, outer))):
                continue
            if _in_lookup(outer, loop_vars):
                continue  # `id__in=batch` / `.in_(chunk)`: one query per batch
            flow = flow or _Flow(body)
            if _lazy_queryset(flow, outer):
                continue  # `qs |= Model.objects.filter(...)`: querysets run when evaluated
            for call in _chain_calls(cast(cst.BaseExpression, outer)):
                self.seen.add(id(call))
            var = sorted(_names_in(outer) & loop_vars)[0]
            args = positional(node)
            write = _writes(outer) or bool(args) and _sql_text(args[0], self._scope).lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
            self.report(node, call=label, var=var, severity=self._severity(write or _per_item_transaction(body, node)))

    def _maybe_helper(self, body: cst.CSTNode, call: cst.Call, loop_vars: set[str]) -> None:
        """`self.helper(row)` / `helper(row)` in a loop: judged in finish(), once the module is known."""
        target = _helper_name(call)
        if not target or not any(_names_in(a.value) & loop_vars for a in call.args) or _runs_once(body, call) or _BATCH.search(target):
            return  # (`batch_load_...(ids)`: a dataloader's batch, the fix for N+1)
        if _runs_statement_list(call, set(), self._scope):
            return  # `self.run_query(f"DESCRIBE {table}")`: the helper runs a catalog statement
        var = sorted(set().union(*(_names_in(a.value) & loop_vars for a in call.args)))[0]
        self.helpers.append(_HelperCall(call, target, var, body))
        self.seen.add(id(call))

    def finish(self) -> None:
        if not self.helpers:
            return
        functions = _module_functions(self.ctx.module)
        memo: dict[tuple[str, bool], _Summary] = {}
        flows: dict[int, _Flow] = {}
        for use in self.helpers:
            summary = self._summary(use.target, functions, memo, inner=False)
            name = dotted(use.call.func) or use.target
            per_item = _per_item_transaction(use.body, use.call)
            if summary.runs:
                write = summary.write
                message = (f"`{name}()` runs a query (`{summary.runs}`) on every iteration of the loop over `{use.var}` (N+1); "
                           "fetch the rows in one query (join, IN, eager loading)")
            elif summary.builds:
                # the helper returns a query it did not run: an N+1 only when the loop evaluates it
                flow = flows.setdefault(id(use.body), _Flow(use.body))
                if flow.fate(use.call, summary.kind) != "eval":
                    continue
                write = False
                message = (f"`{name}()` builds a query (`{summary.builds}`) that is evaluated on every iteration of the loop "
                           f"over `{use.var}` (N+1); fetch the rows in one query (join, IN, eager loading)")
            else:
                continue
            self.report(use.call, var=use.var, severity=self._severity(write or per_item), message=message)

    def _summary(self, target: str, functions: dict[str, cst.FunctionDef], memo: dict[tuple[str, bool], _Summary], inner: bool) -> _Summary:
        """What a same-module helper does with the queries it names: the first one it runs (iterates,
        `.get()`, `.first()`, `.count()`, `.exists()`, `list()`, `execute`, a write ...) and the first
        lazy one it returns (a queryset, `session.query(...)`) unevaluated. A helper that only builds
        querysets, `Q` objects or expressions for its caller runs nothing. One more level of helper
        is followed from the helper called in the loop (`inner=False`)."""
        key = (target, inner)
        if key in memo:
            return memo[key]
        memo[key] = _Summary()  # recursion guard
        fn = functions.get(target)
        if fn is None:
            return memo[key]
        runs, builds, kind, write = "", "", "", False
        flow: _Flow | None = None
        handled: set[int] = set()
        params = {p.name.value for p in (*fn.params.params, *fn.params.posonly_params, *fn.params.kwonly_params)}
        from_caller = _derived_names(fn.body, params)
        for node in _own_calls(fn):
            if runs:
                break
            if id(node) in handled:
                continue
            label = self._query_label(node)
            if label:
                if _runs_statement_list(node, set(), fn):
                    continue
                outer = self._outer_chain(fn.body, node)
                handled.update(id(c) for c in _chain_calls(cast(cst.BaseExpression, outer)))
                chain_kind = _lazy_kind(outer)
                flow = flow or _Flow(fn)
                if chain_kind and _lazy_queryset(flow, outer):
                    if not builds and flow.fate(outer, chain_kind) == "return":
                        builds, kind = label, chain_kind
                    continue
                if _in_lookup(outer, from_caller) or _cache_fallback(fn.body, node):
                    continue  # `id__in=ids` of the caller's group: one query per batch; a cache miss only
                args = positional(node)
                text = _sql_text(args[0], fn) if args else ""
                runs = label
                write = _writes(outer) or text.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE"))
                continue
            name = _helper_name(node)
            if inner or not name or name == target or name not in functions:
                continue
            sub = self._summary(name, functions, memo, inner=True)
            via = f" via {dotted(node.func) or name}()"
            if sub.runs:
                runs, write = sub.runs + via, sub.write
            elif sub.builds:
                flow = flow or _Flow(fn)
                fate = flow.fate(node, sub.kind)
                if fate == "eval":
                    runs = sub.builds + via
                elif fate == "return" and not builds:
                    builds, kind = sub.builds + via, sub.kind
        memo[key] = _Summary(runs, builds, kind, write)
        return memo[key]

    def _severity(self, write: bool = False) -> Severity | None:
        """Info in batch code, for writes (one INSERT per item is often bounded or deliberate) and
        for a unit of work per item (a transaction opened in the loop: per-item isolation on purpose)."""
        return Severity.INFO if write or offline_code(self.ctx.path) else None

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
        if model and (not model[:1].isupper() or method in _NO_QUERY or any(call_name(c) in _CACHED for c in _chain_calls(call))):
            # `model.objects` on a variable: the loop walks model classes (a handful), not rows;
            # `.none()` runs nothing; ContentType's get_for_model/get_for_id read Django's cache
            return ""
        if model and isinstance(func.value, cst.Attribute) and func.value.attr.value == "objects":
            return f"{model}.objects.{method}()"
        owner = func.value
        if isinstance(owner, cst.Attribute) and owner.attr.value == "query" and isinstance(owner.value, cst.Name) and owner.value.value[:1].isupper():
            return f"{owner.value.value}.query.{method}()"  # Flask-SQLAlchemy `Model.query.filter_by(...)`
        if self._passes_connection(call):
            return f"{dotted(func)}()"
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

    def _assignment_values(self) -> dict[int, cst.BaseExpression]:
        """id(target Name) -> assigned value, for every `name = value` / `with x as name` (built once)."""
        if self._values is None:
            self._values = {}
            for node in _subnodes(self.ctx.module):
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        if isinstance(target.target, cst.Name):
                            self._values[id(target.target)] = node.value
                elif isinstance(node, cst.AnnAssign) and node.value is not None and isinstance(node.target, cst.Name):
                    self._values[id(node.target)] = node.value
                elif isinstance(node, cst.WithItem) and node.asname is not None and isinstance(node.asname.name, cst.Name):
                    self._values[id(node.asname.name)] = node.item
        return self._values

    def _passes_connection(self, call: cst.Call) -> bool:
        """`queries.get_tags(self.connection, ...)`, `crud.get_user(db, uid)`: a function handed the connection queries."""
        args = positional(call)
        if not args or call_name(call)[:1].isupper() or call_name(call) in ("append", "add", "setattr", "getattr", "isinstance", "len"):
            return False
        first = args[0]
        if isinstance(first, cst.Attribute) and isinstance(first.value, cst.Name) and first.value.value == "self":
            return first.attr.value in ("connection", "conn", "session", "db", "cursor", "db_session")
        if not isinstance(first, cst.Name) or first.value not in DB_NAMES:
            return False
        verdict = self._resolve(first)
        # `db` alone is too generic (a Mongo database, a dict): it must resolve to a SQL session
        return verdict is True or (verdict is None and first.value in STRICT_DB_NAMES)

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

        from ...sources.scopes import local_metadata

        scope = local_metadata(self.ctx, ScopeProvider, name).get(name)  # the walked statement's scopes only
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
            if isinstance(node, cst.Name):  # `name = value`: libcst records the target Name
                value = self._assignment_values().get(id(node))
            if isinstance(value, cst.Call):
                called = call_name(value)
                root = _chain_root(value)
                if called in DB_FACTORIES or (isinstance(root, cst.Name) and root.value in DB_FACTORIES):
                    return True
                return False
            if value is not None and not isinstance(value, (cst.Name, cst.Attribute)):
                return False
        return None


_BATCH = lazy(r"batch|chunk|page|grouper|paginat|slices?$", re.I)


_NO_QUERY = frozenset({"none"})
_KEY_LOOKUPS = frozenset({"get", "get_or_404", "one_or_404"})  # Flask-SQLAlchemy `Model.query.get(pk)`: a row by its key
_GROWS = frozenset({"append", "extend", "insert", "add", "update", "__iadd__"})
_CACHED = frozenset({"get_for_model", "get_for_models", "get_for_id", "db_manager"})
_WRITE_METHODS = frozenset({"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "save", "delete", "update", "insert", "add", "merge"})


@dataclass(frozen=True)
class _HelperCall:
    """A call of a same-module function in a loop, judged once the module's functions are known."""

    call: cst.Call
    target: str
    var: str
    body: cst.CSTNode


@dataclass(frozen=True)
class _Summary:
    """A helper's queries: the first it runs (`runs`), the first it returns unevaluated (`builds`, of ORM `kind`)."""

    runs: str = ""
    builds: str = ""
    kind: str = ""
    write: bool = False


_TRANSACTIONS = lazy(r"(?:^|_)(?:atomic|transaction|begin|begin_nested)(?:_|$)")


def _per_item_transaction(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    """The query sits in a transaction opened inside the loop (`with transaction.atomic():` per item):
    each item is its own unit of work, on purpose, so batching would change what a failure undoes."""
    for node in _path_to(body, target):
        if isinstance(node, cst.With):
            for item in node.items:
                call = item.item
                if isinstance(call, cst.Call) and _TRANSACTIONS.search(call_name(call)):
                    return True
    return False


def _writes(chain: cst.CSTNode) -> bool:
    return isinstance(chain, cst.BaseExpression) and any(isinstance(c, cst.Call) and call_name(c) in _WRITE_METHODS for c in _chain_calls(chain))


def _bounded_iterable(node: cst.BaseExpression) -> bool:
    """A literal list/tuple/set of names or constants, `range(<literal>)`, an UPPER_CASE constant,
    or model metadata (`Model._meta.get_fields()`: a handful of fields, not rows)."""
    if any(type(n) is cst.Attribute and n.attr.value in ("_meta", "__table__", "__mapper__") for n in _subnodes(node)):
        return True
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and isinstance(e.value, (cst.Name, cst.Attribute, cst.SimpleString, cst.Integer, cst.Tuple)) for e in node.elements)
    if isinstance(node, cst.Call):
        name = call_name(node)
        args = positional(node)
        if name == "range":
            return all(isinstance(a, cst.Integer) for a in args)
        if name in ("enumerate", "reversed", "sorted", "zip") and args:
            return all(_bounded_iterable(a) for a in args)
        if name in ("items", "keys", "values") and isinstance(node.func, cst.Attribute):
            return _bounded_iterable(node.func.value)
    if isinstance(node, cst.Name):  # an UPPER_CASE constant, or a class (an enum / choices)
        return (node.value.isupper() and len(node.value) > 1) or (node.value[:1].isupper() and not node.value.isupper())
    if isinstance(node, cst.Attribute):
        return node.attr.value.isupper() and len(node.attr.value) > 1
    return False


def _batches(iterable: cst.BaseExpression, target: cst.BaseExpression) -> bool:
    """`for batch in chunked(ids, 500)`, `for page in paginator`, `range(0, n, size)`: batching."""
    if isinstance(iterable, cst.Call):
        if _BATCH.search(call_name(iterable)) or _BATCH.search(dotted(iterable.func)):
            return True
        if call_name(iterable) == "range" and len(positional(iterable)) == 3:
            return True
    return any(_BATCH.search(name) for name in _loop_names(target))


def _batched_query(node: cst.CSTNode) -> bool:
    """The query reads one slice at a time: `[:n]`, `.limit(n)`, `LIMIT`, `fetchmany`, `.iterator()`."""
    for sub in _subnodes(node):
        if isinstance(sub, cst.Slice):
            return True
        if isinstance(sub, cst.Call) and call_name(sub) in ("limit", "fetchmany", "iterator", "yield_per", "paginate"):
            return True
        if isinstance(sub, cst.SimpleString) and "limit" in sub.value.lower():
            return True
    return False


def _sliced(body: cst.CSTNode, chain: cst.CSTNode) -> bool:
    """`list(Model.objects.filter(id__gt=last).values_list("id")[:size])`: the chain's result is sliced (one page)."""
    path = _path_to(body, chain)
    for node in reversed(path[:-1]):
        if isinstance(node, cst.Subscript):
            return any(isinstance(e.slice, cst.Slice) for e in node.slice)
        if not isinstance(node, (cst.Call, cst.Attribute, cst.Arg)):
            return False
    return False


def _in_lookup(node: cst.CSTNode, loop_vars: set[str]) -> bool:
    """A loop variable used as an IN list: `filter(id__in=batch)`, `Model.id.in_(chunk)`."""
    for sub in _subnodes(node):
        if isinstance(sub, cst.Arg) and sub.keyword is not None and sub.keyword.value.endswith("__in") and _names_in(sub.value) & loop_vars:
            return True
        if isinstance(sub, cst.Call) and call_name(sub) in ("in_", "any_") and any(_names_in(a.value) & loop_vars for a in sub.args):
            return True
    return False


def _runs_once(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    """The call sits in a branch that leaves the loop (`break`/`return`/`raise`), or in the return itself."""
    path = _path_to(body, target)
    for node in path:
        if isinstance(node, cst.Return):
            return True
        if isinstance(node, cst.IndentedBlock):
            for stmt in node.body:
                if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Break, cst.Return, cst.Raise)) for s in stmt.body):
                    return True
    return False


_EVALUATES = frozenset({
    "get", "first", "last", "count", "exists", "aggregate", "create", "update", "delete", "get_or_create", "update_or_create",
    "bulk_create", "bulk_update", "in_bulk", "latest", "earliest", "iterator", "contains", "explain", "raw",
})
# Django's async twins (`await qs.afirst()`)
_EVALUATES_DJANGO = _EVALUATES | frozenset("a" + m for m in _EVALUATES)
# a SQLAlchemy / Flask-SQLAlchemy `Query` runs on these; `.filter()`, `.join()` ... only build it
_EVALUATES_SQLA = frozenset({
    "all", "first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "count", "get", "delete", "update",
    "paginate", "first_or_404", "get_or_404", "one_or_404", "fetchall", "fetchone", "fetchmany", "exists_or_404",
})
_CONSUMERS = frozenset({
    "list", "len", "bool", "set", "tuple", "sum", "sorted", "any", "all", "max", "min", "next", "dict", "enumerate", "zip",
    "iter", "frozenset", "reversed",
})
_SKIP_NAME_PARENTS = (cst.AssignTarget, cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName, cst.NameItem)


def _lazy_kind(chain: cst.CSTNode) -> str:
    """'django' / 'sqla' for a chain that only builds a query until something evaluates it
    (`Model.objects.filter(...)`, `session.query(X).filter(...)`, `Model.query.filter_by(...)`);
    '' for a call that runs its statement when called (`execute`, `scalars`, `fetch`, ...)."""
    if not isinstance(chain, cst.Call):
        return ""
    if _objects_model(chain):
        return "django"
    for call in _chain_calls(chain):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "query":
            return "sqla"  # `session.query(X)`
        owner = func.value if isinstance(func, cst.Attribute) else None
        if isinstance(owner, cst.Attribute) and owner.attr.value == "query" and isinstance(owner.value, cst.Name) \
                and owner.value.value[:1].isupper():
            return "sqla"  # Flask-SQLAlchemy `Model.query.filter_by(...)`
    return ""


def _evaluating(kind: str) -> frozenset[str]:
    return _EVALUATES_DJANGO if kind == "django" else _EVALUATES_SQLA


class _Flow:
    """Where a lazily built query goes inside one scope (a function, or a loop body): parents of
    every node and the places each name is read, built once per scope."""

    def __init__(self, scope: cst.CSTNode) -> None:
        self.parents: dict[int, cst.CSTNode] = {}
        self.reads: dict[str, list[cst.Name]] = {}
        stack = [scope]
        while stack:
            node = stack.pop()
            for child in _fast_children(node):
                self.parents[id(child)] = node
                stack.append(child)
            if isinstance(node, cst.Name) and self._read(node):
                self.reads.setdefault(node.value, []).append(node)

    def _read(self, name: cst.Name) -> bool:
        parent = self.parents.get(id(name))
        if parent is None or isinstance(parent, _SKIP_NAME_PARENTS):
            return False
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            return False
        if isinstance(parent, cst.Arg) and parent.keyword is name:
            return False
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is name:
            return False
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is name:
            return False
        return True

    def fate(self, node: cst.CSTNode, kind: str, seen: set[str] | None = None) -> str:
        """'eval' when `node` (a query still to run) is evaluated in this scope, 'return' when it
        leaves the scope unevaluated (returned), '' when it is only combined or handed on
        (`qs |= ...`, `Exists(qs)`, `filter(id__in=qs)`, a `Q(...)`): no query runs here."""
        seen = set() if seen is None else seen
        methods = _evaluating(kind)
        while True:
            parent = self.parents.get(id(node))
            if isinstance(parent, cst.Attribute) and parent.value is node:
                grand = self.parents.get(id(parent))
                if isinstance(grand, cst.Call) and grand.func is parent:
                    if call_name(grand) in methods:
                        return "eval"
                    node = grand  # `.filter(...)`, `.using(...)`: still a query to be run
                    continue
                return ""  # `qs.model`, `qs.query`: metadata, not rows
            if isinstance(parent, cst.Subscript) and parent.value is node:
                if any(isinstance(e.slice, cst.Index) for e in parent.slice):
                    return "eval"  # `qs[0]`
                node = parent  # `qs[:10]`: still lazy
                continue
            if isinstance(parent, (cst.BinaryOperation, cst.Await)):
                node = parent  # `qs1 | qs2`, `await ...`
                continue
            break
        parent = self.parents.get(id(node))
        grand = self.parents.get(id(parent)) if parent is not None else None
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is node:
            return "eval"
        if isinstance(parent, cst.Arg):
            if parent.star == "*" or (isinstance(grand, cst.Call) and call_name(grand) in _CONSUMERS):
                return "eval"
            return ""
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is node:
            return "eval"
        if isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation, cst.StarredElement)):
            return "eval"
        if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
            return "eval"  # `x in qs` runs it; `qs is None` does not
        if isinstance(parent, cst.Return):
            return "return"
        targets: list[str] = []
        if isinstance(parent, cst.Assign) and parent.value is node:
            targets = [t.target.value for t in parent.targets if isinstance(t.target, cst.Name)]
        elif isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.value is node and isinstance(parent.target, cst.Name):
            targets = [parent.target.value]
        outcome = ""
        for target in targets:
            if target in seen:
                continue
            seen.add(target)
            for read in self.reads.get(target, ()):
                fate = self.fate(read, kind, seen)
                if fate == "eval":
                    return "eval"
                outcome = outcome or fate
        return outcome


def _lazy_queryset(flow: _Flow, chain: cst.CSTNode) -> bool:
    """A query chain that is built but not evaluated in the scope (`qs |= Model.objects.filter(...)`)."""
    kind = _lazy_kind(chain)
    if not kind or any(call_name(c) in _evaluating(kind) for c in _chain_calls(cast(cst.BaseExpression, chain))):
        return False
    return flow.fate(chain, kind) != "eval"


def _sql_text(node: cst.BaseExpression, scope: cst.CSTNode) -> str:
    """The literal start of the SQL an argument holds: a string, `"...".format(...)`, or a name assigned one in `scope`."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        node = node.func.value
    if isinstance(node, cst.Name):
        for sub in _subnodes(scope):
            if isinstance(sub, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == node.value for t in sub.targets):
                return _sql_text(sub.value, cst.Module([])) if not isinstance(sub.value, cst.Name) else ""
        return ""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else ""
    if isinstance(node, cst.FormattedString):
        return "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
    if isinstance(node, cst.ConcatenatedString):
        return _sql_text(node.left, scope)
    return ""


def _cache_fallback(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    """`lookup.get(key) or <query>`: the query runs only when a lookup table or cache misses."""
    for node in _path_to(body, target):
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or) and node.right is not target \
                and bool(_path_to(node.right, target)) and isinstance(node.left, cst.Call) and call_name(node.left) == "get":
            return True
    return False


def _memoized(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    """`if key not in cache: cache[key] = <query>`: one query per distinct key, not per row."""
    path = _path_to(body, target)
    guarded = any(isinstance(n, cst.If) and any(isinstance(c, cst.ComparisonTarget) and isinstance(c.operator, cst.NotIn)
                                                for c in _subnodes(n.test)) for n in path)
    stored = any(isinstance(n, cst.Assign) and any(isinstance(t.target, cst.Subscript) for t in n.targets) for n in path)
    return guarded and stored


def _path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes from `root` down to `target` (empty when `target` is not under `root`)."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in _fast_children(node):
            stack.append((child, [*path, child]))
    return []


def _derived_names(body: cst.CSTNode, loop_vars: set[str]) -> set[str]:
    """Loop variables plus names the body assigns from them (two steps: `a = row.x; b = f(a)`)."""
    out = set(loop_vars)
    assigns = [n for n in _subnodes(body) if type(n) is cst.Assign]
    for _round in range(2):
        for node in assigns:
            if _names_in(node.value) & out:
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        out.add(target.target.value)
    return out


def _helper_name(call: cst.Call) -> str:
    """`self.name(...)` / `cls.name(...)` / `name(...)` -> 'name' (a function this module may define)."""
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        return func.attr.value
    if isinstance(func, cst.Name) and not func.value[:1].isupper():
        return func.value
    return ""


def _module_functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """Top-level functions and methods of top-level classes, by name (first definition wins)."""
    out: dict[str, cst.FunctionDef] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            out.setdefault(stmt.name.value, stmt)
        elif isinstance(stmt, cst.ClassDef):
            for inner in getattr(stmt.body, "body", ()):
                if isinstance(inner, cst.FunctionDef):
                    out.setdefault(inner.name.value, inner)
    return out


def _own_calls(fn: cst.FunctionDef) -> Iterator[cst.Call]:
    """Calls in a function's body, not in nested functions or classes."""
    stack: list[cst.CSTNode] = [fn.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Call):
            yield node
        stack.extend(reversed(_fast_children(node)))  # source order


_DDL_START = ("CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "SET", "TRUNCATE", "VACUUM", "ANALYZE", "COMMENT", "REFRESH",
              "DESCRIBE", "SHOW", "PRAGMA", "EXPLAIN", "KILL", "NOTIFY", "LISTEN")
_CATALOG = ("information_schema", "pg_catalog", "sqlite_master", "sys.", "pg_stat")


def _runs_statement_list(call: cst.Call, loop_vars: set[str], body: cst.CSTNode | None = None) -> bool:
    """`for stmt in statements: cur.execute(stmt)`, DDL or catalog queries per item (`DESCRIBE t`,
    `information_schema`): a script or schema introspection, not an N+1 read of rows."""
    args = positional(call)
    if not args or call_name(call) in _KEY_LOOKUPS:
        return False  # `Model.query.get(pk)`: the argument is a key, not a statement
    first = args[0]
    if isinstance(first, cst.Name) and first.value in loop_vars:
        return True
    inner = positional(first)[0] if isinstance(first, cst.Call) and len(positional(first)) == 1 else None
    if isinstance(first, cst.Call) and isinstance(inner, cst.Name) \
            and inner.value in loop_vars and call_name(first) in ("text", "SQL", "literal_column"):
        return True  # `execute(text(stmt))`
    if isinstance(first, cst.BinaryOperation) and isinstance(first.operator, cst.Modulo):
        first = first.left  # `QUERY % (table,)`
    root = _chain_root(first)
    if isinstance(first, (cst.Subscript, cst.Attribute, cst.Call)) and isinstance(root, cst.Name) and root.value in loop_vars and len(args) == 1:
        return True  # `table.select()`, `stmt.text`: the loop iterates statements or tables, not rows
    if isinstance(first, cst.Call) and call_name(first).startswith(("Create", "Drop", "Add", "Alter", "Set")):
        return True  # SQLAlchemy DDL elements: DropTable(table), CreateIndex(ix) ...
    if isinstance(first, cst.Call) and call_name(first) in ("insert", "delete") and len(args) >= 1:
        return True  # `execute(insert(table), rows)` / `execute(table.delete())`: a bulk statement per table
    text = _sql_text(first, body if body is not None else cst.Module([]))  # `q = f"DESCRIBE {t}"; run(q)`
    return text.lstrip().upper().startswith(_DDL_START) or any(c in text.lower() for c in _CATALOG)


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
        # `stmt = select(Model)...` in the current function: name -> (model, eager); a later
        # `stmt = stmt.options(selectinload(...))` (on any branch) makes it eager
        self.statements: dict[str, tuple[str, bool]] = {}

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        return super().wants(ctx) and not is_alembic(ctx) and not is_django_migration(ctx)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.statements = {}

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.statements = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            statement = _select_statement(node.value, self.statements, name)
            if statement is not None:
                self.statements[name] = statement
                return
            found = _orm_query(node.value, self.statements)
            if found:
                self.assigned[name] = found

    def visit_Call(self, node: cst.Call) -> None:
        # prefetch_related_objects(rows, "rel"): the rows' relations are loaded in one query
        args = positional(node)
        if call_name(node) == "prefetch_related_objects" and args and isinstance(args[0], cst.Name) and args[0].value in self.assigned:
            self.assigned[args[0].value] = (self.assigned[args[0].value][0], True)

    def _source(self, iterable: cst.BaseExpression) -> tuple[str, bool] | None:
        if isinstance(iterable, cst.Name):
            return self.assigned.get(iterable.value)
        return _orm_query(iterable, self.statements)

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
        writes = _written_attributes(body, var)
        for node in _subnodes(body):
            if type(node) is cst.Attribute and type(node.value) is cst.Name and node.value.value == var:
                attr = node.attr.value
                if attr in seen or id(node) in writes:
                    continue
                seen.add(attr)
                self.fact("loop_row_access", {"model": model, "attr": attr, "var": var, "line": self.ctx.line(node)})


_WRITES = frozenset({"add", "remove", "set", "clear", "create", "update", "delete"})


def _written_attributes(body: cst.CSTNode, var: str) -> set[int]:
    """`row.rel = x`, `row.rel += x`, `row.tags.add(t)`: writes to a relation, not lazy loads (node ids)."""
    out: set[int] = set()
    for node in _subnodes(body):
        cls = type(node)
        if cls is cst.AssignTarget or cls is cst.AugAssign or cls is cst.AnnAssign:
            target = cast(Any, node).target
        elif cls is cst.Call and type(cast(Any, node).func) is cst.Attribute and cast(Any, node).func.attr.value in _WRITES:
            target = cast(Any, node).func.value
        else:
            continue
        if type(target) is cst.Attribute and type(target.value) is cst.Name and target.value.value == var:
            out.add(id(target))
    return out


_NOT_ROWS = frozenset({
    "get", "count", "exists", "first", "last", "values_list", "aggregate", "update", "delete",
    # the returned objects carry the relations they were built with: nothing to load
    "bulk_create", "create", "get_or_create", "update_or_create", "bulk_update", "in_bulk",
})


def _select_statement(value: cst.BaseExpression, statements: dict[str, tuple[str, bool]], target: str) -> tuple[str, bool] | None:
    """(model, eager?) when `value` builds a `select(Model)` statement (not yet run): `select(User)
    .where(...)`, or `stmt.options(...)` continuing the statement `target` already holds."""
    calls = _chain_calls(value)
    if not calls:
        return None
    eager = any(call_name(x) in EAGER for c in calls for a in positional(c) if isinstance(a, cst.Call) for x in _chain_calls(a))
    root = _chain_root(value)
    if isinstance(root, cst.Name) and root.value == target and target in statements and call_name(calls[0]) not in ("scalars", "all", "execute"):
        model, before = statements[target]
        return model, before or eager
    innermost = calls[-1]
    if call_name(innermost) == "select" and isinstance(innermost.func, cst.Name) and len(positional(innermost)) == 1:
        first = positional(innermost)[0]
        if isinstance(first, cst.Name) and first.value[:1].isupper():
            return first.value, eager
    return None


def _orm_query(node: cst.BaseExpression, statements: dict[str, tuple[str, bool]] | None = None) -> tuple[str, bool] | None:
    """(model, eager-loaded?) when `node` is an ORM query returning model rows (`statements`: the
    `select(Model)` statements the current function holds in names)."""
    calls = _chain_calls(node)
    if not calls:
        return None
    names = [call_name(c) for c in calls]
    eager = any(n in EAGER for n in names) or any(  # `.options(joinedload(X.rel).load_only(...))` too
        call_name(x) in EAGER for c in calls for a in positional(c) if isinstance(a, cst.Call) for x in _chain_calls(a)
    )
    innermost = calls[-1]
    model = _objects_model(calls[0])
    if model:
        if names[0] in _NOT_ROWS or "bulk_create" in names:
            return None
        return model, eager
    owner = innermost.func.value if isinstance(innermost.func, cst.Attribute) else None
    if isinstance(owner, cst.Attribute) and owner.attr.value == "query" and isinstance(owner.value, cst.Name) and owner.value.value[:1].isupper():
        if names[0] in ORM_TERMINALS or names[0] == "paginate":  # Flask-SQLAlchemy `Model.query.filter(...).all()`
            return owner.value.value, eager
    if call_name(innermost) == "query" and positional(innermost):
        arg = positional(innermost)[0]
        if isinstance(arg, cst.Name) and arg.value[:1].isupper() and len(positional(innermost)) == 1:
            if names[0] in ORM_TERMINALS or names[0] == "query":
                return arg.value, eager
    if names[0] in ("all", "scalars") or "scalars" in names:
        for c in calls:
            for a in positional(c):
                if isinstance(a, cst.Name) and statements and a.value in statements:
                    model, held = statements[a.value]  # `session.scalars(stmt)`
                    return model, held or eager
                inner = _chain_calls(a) if isinstance(a, cst.Call) else []
                if inner and call_name(inner[-1]) == "select" and positional(inner[-1]):
                    first = positional(inner[-1])[0]
                    if isinstance(first, cst.Name) and first.value[:1].isupper():
                        eager = eager or any(
                            call_name(o) in EAGER for x in inner for o in positional(x) if isinstance(o, cst.Call)
                        )
                        return first.value, eager
    return None
