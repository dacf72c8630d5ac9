"""Where SQL text enters a database API, and what that text is (pure helpers, no checks).

Shared by the SQL-injection check (BG201) and the database checks that read constant SQL
strings out of Python code. Nothing here reports, opens files or parses Python: callers pass
libcst nodes from the one shared parse.

Stable API
----------
``sink_of(call, resolve=None) -> SinkInfo | None``
    Is this ``cst.Call`` a place where SQL text is handed to a database API? Recognised:
    DB-API ``.execute/.executemany/.executescript`` (sqlite3, psycopg, pymysql, Django's
    ``connection.cursor()``), SQLAlchemy ``text()`` and ``.exec_driver_sql()``, Django
    ``.raw()``, ``.extra(where=/select=)`` and ``RawSQL()``, psycopg ``sql.SQL()``, asyncpg
    ``.fetch/.fetchrow/.fetchval`` and pandas ``read_sql/read_sql_query``. ``resolve`` maps a
    node to its qualified names: use ``metadata_resolver(ctx)`` inside a check (libcst metadata,
    resolved lazily and only for names bound by imports of sink libraries). With ``None`` only
    method-style sinks (``.execute`` ...), ``sql.SQL`` and ``.read_sql`` are recognised, not bare
    or aliased functions (``text``, ``RawSQL``). Method sinks are recognised by name only: confirm
    the text is SQL with ``Template.kind`` / ``statement_kind``.
``sql_arguments(call, sink) -> list[cst.BaseExpression]``
    The expressions carrying SQL text (usually one; ``.extra(where=[...])`` gives several).
    ``sql_argument(call, sink)`` returns the first or ``None``.
``has_parameters(call, sink) -> bool``
    Whether values are passed separately (params tuple/dict, ``*args`` for asyncpg, ``params=``).
``assignments_before(scope, target) -> Assignments``
    Local assignments (``=``, annotated ``=``, ``+=``) in a function (or module) body that come
    before ``target`` in source order, by name. Nested functions/classes are skipped.
``module_index(module) -> ModuleIndex``
    Module-level string constants and function definitions (for constants and same-module
    helper functions).
``reconstruct(node, assignments, index=None) -> Template``
    The SQL text an expression builds: constant pieces are kept, every non-constant part becomes
    a placeholder (``bg_dyn_<n>``). Follows local names, module constants and one level of
    same-module helper functions whose return value is a string expression. Knows f-strings,
    ``%``, ``.format()``, ``+``/``+=``, ``sep.join(...)``, ``"?" * n`` and placeholder lists.
``template_of_constant(node) -> str | None``
    The text of a constant string expression (literals, implicit or ``+`` concatenation of
    literals and module constants; an unresolved UPPER_CASE name stands in as an identifier),
    else ``None``.
``statement_kind(text, fragment=None) -> str | None``
    ``"SELECT"``, ``"INSERT"``, ... when sqlglot reads the text as a SQL statement (or as a
    WHERE condition / select expression for fragments), else ``None``.

``Template`` fields: ``text`` (with placeholders), ``dynamic`` (source of each non-constant
part, in order), ``how`` (``"an f-string"``, ``"%"``, ``".format()"``, ``"+"``, ``"join()"``),
``kind`` (statement kind or ``None``); ``constant`` is true when nothing is dynamic.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Collection, Iterable, Iterator

import libcst as cst
from ...sources import memo
from ._cst import children as _fast_children
from ._cst import remember as _remember
from ...patterns import lazy

Resolver = Callable[[cst.CSTNode], Collection[str]]

PLACEHOLDER = "bg_dyn_{}"
_DYN = lazy(r"bg_dyn_\d+")
_SQL_START = lazy(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*|\(\s*)*"
    r"(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|REPLACE|MERGE|UPSERT|GRANT|REVOKE"
    r"|EXPLAIN|PRAGMA|VACUUM|ANALYZE|SHOW|DESCRIBE|DESC|SET|CALL|EXEC|EXECUTE|COPY|LOCK|BEGIN|COMMIT"
    r"|ROLLBACK|SAVEPOINT|RELEASE|REINDEX|REFRESH|COMMENT|DECLARE|FETCH|LISTEN|NOTIFY|USE)\b",
    re.I | re.S,
)

# ----------------------------------------------------------------------------- sinks


@dataclass(frozen=True, slots=True)
class SinkInfo:
    """A call that hands SQL text to a database API."""

    name: str  # what messages show: "execute", "sqlalchemy.text", "psycopg sql.SQL", ...
    family: str  # dbapi | sqlalchemy | django | psycopg | asyncpg | pandas
    arg: int = 0  # positional index of the SQL text
    keywords: tuple[str, ...] = ("sql",)  # keyword names the SQL text may be passed as
    params_arg: int | None = 1  # positional index of separately passed values
    params_keywords: tuple[str, ...] = ("params", "parameters", "args", "vars")
    fragment: str | None = None  # "where" / "select": the text is a fragment, not a statement


_METHOD_SINKS: dict[str, SinkInfo] = {
    "execute": SinkInfo("execute", "dbapi", keywords=("sql", "query", "operation", "statement")),
    "executemany": SinkInfo("executemany", "dbapi", keywords=("sql", "query", "operation")),
    "executescript": SinkInfo("executescript", "dbapi", keywords=("sql_script", "sql"), params_arg=None, params_keywords=()),
    "exec_driver_sql": SinkInfo("exec_driver_sql", "sqlalchemy", keywords=("statement",)),
    "raw": SinkInfo("raw", "django", keywords=("raw_query",), params_keywords=("params",)),
    "fetch": SinkInfo("fetch", "asyncpg", keywords=("query",)),
    "fetchrow": SinkInfo("fetchrow", "asyncpg", keywords=("query",)),
    "fetchval": SinkInfo("fetchval", "asyncpg", keywords=("query",)),
    "fetchmany": SinkInfo("fetchmany", "asyncpg", keywords=("query",)),
    "read_sql": SinkInfo("read_sql", "pandas", keywords=("sql",), params_arg=None, params_keywords=("params",)),
    "read_sql_query": SinkInfo("read_sql_query", "pandas", keywords=("sql",), params_arg=None, params_keywords=("params",)),
}
_EXTRA_WHERE = SinkInfo("extra", "django", keywords=("where",), params_arg=None, params_keywords=("params",), fragment="where")
_EXTRA_SELECT = SinkInfo("extra", "django", keywords=("select",), params_arg=None, params_keywords=("select_params",), fragment="select")

_TEXT = SinkInfo("sqlalchemy text", "sqlalchemy", keywords=("text",), params_arg=None, params_keywords=())
_RAWSQL = SinkInfo("RawSQL", "django", keywords=("sql",), params_keywords=("params",), fragment="select")
_PSYCOPG_SQL = SinkInfo("psycopg sql.SQL", "psycopg", keywords=("obj",), params_arg=None, params_keywords=())
_PANDAS = _METHOD_SINKS["read_sql"]

# qualified name -> sink (for bare or aliased function calls)
_FUNCTION_SINKS: dict[str, SinkInfo] = {
    "sqlalchemy.text": _TEXT,
    "sqlalchemy.sql.text": _TEXT,
    "sqlalchemy.sql.expression.text": _TEXT,
    "sqlalchemy.sql.elements.TextClause": _TEXT,
    "sqlmodel.text": _TEXT,
    "django.db.models.expressions.RawSQL": _RAWSQL,
    "django.db.models.RawSQL": _RAWSQL,
    "psycopg.sql.SQL": _PSYCOPG_SQL,
    "psycopg2.sql.SQL": _PSYCOPG_SQL,
    "pandas.read_sql": _PANDAS,
    "pandas.read_sql_query": _METHOD_SINKS["read_sql_query"],
}
_FUNCTION_LEAVES = frozenset(q.rsplit(".", 1)[1] for q in _FUNCTION_SINKS)
# libraries whose import makes qualified-name resolution worth its cost
SINK_MODULES = ("sqlalchemy", "sqlmodel", "django", "psycopg", "pandas")


def metadata_resolver(ctx: Any) -> Resolver | None:
    """A resolver backed by libcst's QualifiedNameProvider, or None when the file imports no
    library with function-style sinks. Metadata is resolved lazily, and only for calls whose name
    is bound by an import of such a library (`from sqlalchemy import text as t`, `import pandas as
    pd`), so most files never pay for it."""
    source = getattr(ctx, "source", "")
    if not any(m in source for m in SINK_MODULES) or not any(leaf in source for leaf in _FUNCTION_LEAVES):
        return None
    functions, modules = _sink_bindings(ctx.module)
    if not functions and not modules:
        return None
    cache: dict[str, Any] = {}

    def resolve(node: cst.CSTNode) -> Collection[str]:
        if isinstance(node, cst.Name):
            if node.value not in functions:
                return set()
        elif isinstance(node, cst.Attribute):
            root = node
            while isinstance(root, cst.Attribute):
                root = root.value  # type: ignore[assignment]
            if node.attr.value not in _FUNCTION_LEAVES or not isinstance(root, cst.Name) or root.value not in modules:
                return set()
        else:
            return set()
        if "names" not in cache:
            from libcst.metadata import QualifiedNameProvider

            try:
                cache["names"] = ctx.metadata(QualifiedNameProvider)
            except Exception:  # metadata failure must not break the walk
                cache["names"] = {}
        return qualified_names(cache["names"], node)

    return resolve


class _IsExpression(dict[type, bool]):
    def __missing__(self, kind: type) -> bool:
        answer = self[kind] = issubclass(kind, cst.BaseExpression)
        return answer


_IS_EXPRESSION = _IsExpression()


def _sink_bindings(module: Any) -> tuple[set[str], set[str]]:
    """Local names bound by imports to sink functions, and to sink libraries (any nesting)."""
    functions: set[str] = set()
    modules: set[str] = set()
    if module is None:
        return functions, modules

    def visit(node: Any) -> None:
        kind = type(node)
        if kind is not cst.Import and kind is not cst.ImportFrom:
            if _IS_EXPRESSION[kind]:  # `isinstance(node, BaseExpression)`, without the ABC check per node
                return
            for child in _fast_children(node):
                visit(child)
            return
        if kind is cst.Import:
            for alias in node.names:
                top = _dotted(alias.name).split(".")[0]
                if top in SINK_MODULES:
                    named = alias.asname.name if alias.asname else None
                    modules.add(named.value if isinstance(named, cst.Name) else top)
            return
        if kind is cst.ImportFrom:
            base = _dotted(node.module) if node.module is not None else ""
            if base.split(".")[0] not in SINK_MODULES or isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                imported = _dotted(alias.name)
                bound = alias.asname.name if alias.asname else None
                local: str = bound.value if isinstance(bound, cst.Name) else imported
                if imported in _FUNCTION_LEAVES:
                    functions.add(local)
                else:
                    modules.add(local)
            return

    try:
        visit(module)
    except RecursionError:
        pass
    return functions, modules


def qualified_names(mapping: Any, node: cst.CSTNode) -> set[str]:
    """Qualified names of `node` from a resolved QualifiedNameProvider mapping (lazy values ok)."""
    found = mapping.get(node) if mapping else None
    if found is None:
        return set()
    if callable(found):  # libcst LazyValue
        found = found()
    return {q.name for q in found}


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else ""
    return ""


def sink_of(call: cst.Call, resolve: Resolver | None = None) -> SinkInfo | None:
    """The sink this call is, or None. Method sinks are recognised by name (the SQL text itself
    must still be confirmed with `statement_kind`); function sinks by qualified name."""
    func = call.func
    # exact type tests: an isinstance miss against a libcst class goes through ABCMeta
    leaf = func.value if type(func) is cst.Name else func.attr.value if type(func) is cst.Attribute else None
    if resolve is not None and leaf is not None:
        if leaf in _FUNCTION_LEAVES or type(func) is cst.Name:
            for qname in resolve(func):
                sink = _FUNCTION_SINKS.get(qname)
                if sink is not None:
                    return sink
    if type(func) is cst.Attribute:
        attr = func.attr.value
        if attr == "SQL":
            receiver = _dotted(func.value)
            if receiver.split(".")[-1] == "sql":
                return _PSYCOPG_SQL
            return None
        if attr == "extra":
            if any(a.keyword and a.keyword.value == "where" for a in call.args):
                return _EXTRA_WHERE
            if any(a.keyword and a.keyword.value == "select" for a in call.args):
                return _EXTRA_SELECT
            return None
        if attr in ("read_sql", "read_sql_query"):
            return _METHOD_SINKS[attr]
        sink = _METHOD_SINKS.get(attr)
        if sink is not None:
            return sink
    return None


def _arg(call: cst.Call, index: int | None, keywords: tuple[str, ...]) -> cst.Arg | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for a in call.args:
        if a.keyword is not None and a.keyword.value in keywords:
            return a
    if index is not None and index < len(positional):
        return positional[index]
    return None


def sql_arguments(call: cst.Call, sink: SinkInfo) -> list[cst.BaseExpression]:
    """The expressions carrying the SQL text of this sink call."""
    if sink.fragment and sink.family == "django" and sink.name == "extra":
        arg = _arg(call, None, sink.keywords)
        if arg is None:
            return []
        value = arg.value
        if isinstance(value, (cst.List, cst.Tuple)):
            return [e.value for e in value.elements if not isinstance(e, cst.StarredElement)]
        if isinstance(value, cst.Dict):
            return [e.value for e in value.elements if isinstance(e, cst.DictElement)]
        return [value]
    arg = _arg(call, sink.arg, sink.keywords)
    return [arg.value] if arg is not None else []


def sql_argument(call: cst.Call, sink: SinkInfo) -> cst.BaseExpression | None:
    found = sql_arguments(call, sink)
    return found[0] if found else None


def has_parameters(call: cst.Call, sink: SinkInfo) -> bool:
    """Values are passed separately from the SQL text."""
    if sink.family == "asyncpg":
        positional = [a for a in call.args if a.keyword is None]
        return len(positional) > 1 or any(a.star == "*" for a in call.args)
    if any(a.star for a in call.args):
        return True
    return _arg(call, sink.params_arg, sink.params_keywords) is not None


# ----------------------------------------------------------------------------- assignments


@dataclass(frozen=True, slots=True)
class Assigned:
    op: str  # "=", "+=", "for", "guard" (value: the allow-list), "loop" ...
    value: cst.BaseExpression
    # (name, allow-list) of each enclosing `if name in ALLOWED:`; the builder decides whether the
    # allow-list is fixed
    guarded: tuple[tuple[str, cst.BaseExpression], ...] = ()


# key of the allow-list checks that enclose the target itself (op: the name, value: the list)
ACTIVE_GUARDS = " guards"


# stands for "checked by a predicate" where a guard names its allow-list (UPPER_CASE: fixed)
VALIDATED = cst.Name("VALIDATED_BY_PREDICATE")
# str predicates after which the text holds only digits, letters or an identifier
_SAFE_PREDICATES = frozenset({"isdigit", "isdecimal", "isnumeric", "isalnum", "isalpha", "isidentifier"})


def _predicate_of(test: cst.BaseExpression) -> str | None:
    """`x.isdigit()` -> "x"; `all(v.isdigit() for v in xs)` -> "xs"."""
    if not isinstance(test, cst.Call):
        return None
    func = test.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SAFE_PREDICATES and not test.args and isinstance(func.value, cst.Name):
        return func.value.value
    if isinstance(func, cst.Name) and func.value == "all" and len(test.args) == 1:
        gen = test.args[0].value
        if isinstance(gen, (cst.GeneratorExp, cst.ListComp)) and gen.for_in.inner_for_in is None and isinstance(gen.for_in.target, cst.Name):
            var = gen.for_in.target.value
            if _predicate_of(gen.elt) == var and isinstance(gen.for_in.iter, cst.Name):
                return gen.for_in.iter.value
    return None


def _membership(test: cst.BaseExpression, positive: bool) -> list[tuple[str, cst.BaseExpression]]:
    """(name, collection) of `name in collection` (`not in` when not `positive`), through `and`
    (`or` for negative tests); a validating predicate (`x.isdigit()`, `all(v.isdigit() for v in
    xs)`, negated when not `positive`) gives (name, VALIDATED). A check of the text itself gives
    (name, the expression that holds afterwards): `'"' not in x`, `re.fullmatch(PATTERN, x)`,
    `not re.search(PATTERN, x)`, `not any(q in x for q in QUOTES)`; `_Builder.guarantee` judges
    what such a claim leaves out."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And if positive else cst.Or):
        return _membership(test.left, positive) + _membership(test.right, positive)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        if isinstance(test.comparisons[0].operator, cst.In if positive else cst.NotIn):
            return [(test.left.value, test.comparisons[0].comparator)]
    if not positive and isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        checked = _predicate_of(test.expression)
        if checked:
            return [(checked, VALIDATED)]
    if positive:
        checked = _predicate_of(test)
        if checked:
            return [(checked, VALIDATED)]
        equal = _equal_to_item(test)
        if equal is not None:
            return [equal]
    name = _text_checked(test)
    if name is None:
        return []
    return [(name, test if positive else _negate(test))]


_REGEX_METHODS = frozenset({"fullmatch", "match", "search"})
_CASE = frozenset({"lower", "upper", "casefold", "strip"})


def guard_key(node: cst.BaseExpression) -> str:
    """How a checked value is named in guards: a name, or `expr:<source>` for an expression
    (`row["data"]`)."""
    return node.value if isinstance(node, cst.Name) else "expr:" + _src(node)


def _uncased(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x.lower()` -> `x` (a case change keeps the characters' kind)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _CASE and not node.args:
        return node.func.value
    return node


def _equal_to_item(test: cst.BaseExpression) -> tuple[str, cst.BaseExpression] | None:
    """`any(d == x for d in C)` (case-insensitive too: `d.lower() == x.lower()`): x equals one of
    C's items, so it is as safe as they are; (key of x, C)."""
    if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "any" and len(test.args) == 1):
        return None
    gen = test.args[0].value
    if not isinstance(gen, (cst.GeneratorExp, cst.ListComp)) or gen.for_in.inner_for_in is not None or gen.for_in.ifs:
        return None
    if not isinstance(gen.for_in.target, cst.Name) or not isinstance(gen.elt, cst.Comparison) or len(gen.elt.comparisons) != 1:
        return None
    if not isinstance(gen.elt.comparisons[0].operator, cst.Equal):
        return None
    var = gen.for_in.target.value
    left, right = _uncased(gen.elt.left), _uncased(gen.elt.comparisons[0].comparator)
    for mine, other in ((left, right), (right, left)):
        if isinstance(mine, cst.Name) and mine.value == var and not (isinstance(other, cst.Name) and other.value == var):
            return guard_key(other), gen.for_in.iter
    return None


def _text_checked(test: cst.BaseExpression) -> str | None:
    """The name whose text `test` examines: a character test (`'"' in x`), a regex match
    (`re.fullmatch(P, x)`, `PATTERN.match(x)`), `any(q in x for q in ...)`, or their negation."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _text_checked(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.SimpleString):
        target = test.comparisons[0].comparator
        if isinstance(target, cst.Name) and isinstance(test.comparisons[0].operator, (cst.In, cst.NotIn)):
            return target.value
        return None
    if not isinstance(test, cst.Call):
        return None
    func = test.func
    leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    args = [a.value for a in test.args if a.keyword is None and not a.star]
    if leaf in _REGEX_METHODS and args:
        module_level = _dotted(func) == f"re.{leaf}"
        if module_level and len(args) < 2:
            return None
        subject = args[1] if module_level else args[0]
        return subject.value if isinstance(subject, cst.Name) else None
    if leaf == "any" and len(args) == 1 and isinstance(args[0], (cst.GeneratorExp, cst.ListComp)):
        gen = args[0]
        elt = gen.elt
        if (
            gen.for_in.inner_for_in is None
            and isinstance(gen.for_in.target, cst.Name)
            and isinstance(elt, cst.Comparison)
            and len(elt.comparisons) == 1
            and isinstance(elt.comparisons[0].operator, cst.In)
            and isinstance(elt.left, cst.Name)
            and elt.left.value == gen.for_in.target.value
            and isinstance(elt.comparisons[0].comparator, cst.Name)
        ):
            return elt.comparisons[0].comparator.value
    return None


def _negate(test: cst.BaseExpression) -> cst.BaseExpression:
    """`not test`, without doubling negations."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    return cst.UnaryOperation(operator=cst.Not(), expression=test)


def _leaves(body: cst.BaseSuite) -> bool:
    """The block ends by leaving: raise, return, continue, break, or `abort(...)`-style call."""
    stmts = list(getattr(body, "body", ()))
    if not stmts:
        return False
    last = stmts[-1]
    smalls = list(getattr(last, "body", ())) if isinstance(last, cst.SimpleStatementLine) else []
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
    if not smalls:
        return False
    tail = smalls[-1]
    if isinstance(tail, (cst.Raise, cst.Return, cst.Continue, cst.Break)):
        return True
    return isinstance(tail, cst.Expr) and isinstance(tail.value, cst.Call) and _dotted(tail.value.func).rsplit(".", 1)[-1] in ("abort", "exit", "fail", "deny")


Assignments = dict[str, list[Assigned]]

# request data or parsed input at a call site: its keys and items come from outside the code
REQUEST_SOURCE = lazy(
    r"\b(request|req|flask\.request)\b|\.(json|get_json|args|form|GET|POST|query_params|body|files|cookies|headers)\b|\bjson\.loads?\(|\bloads\("
)


def _loop_targets(target: cst.BaseExpression) -> list[tuple[str, int | None]] | None:
    """The names a loop binds, with their position in each item (None: the whole item)."""
    if isinstance(target, cst.Name):
        return [(target.value, None)]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [(e.value.value, i) for i, e in enumerate(target.elements) if isinstance(e, cst.Element) and isinstance(e.value, cst.Name)]
    return None


def _for_op(position: int | None) -> str:
    """The assignment op of a loop variable: "for" for the whole item, "for:<i>" for a position."""
    return "for" if position is None else f"for:{position}"


class _Stop(Exception):
    pass


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    return iter(_fast_children(node))


def assignments_before(scope: cst.CSTNode, target: cst.CSTNode | None) -> Assignments:
    """Assignments to plain names in `scope` (a FunctionDef or Module) before `target`: see
    `_assignments_before`. In the editor, remembered per unchanged `scope` object (the re-parse
    reuses unchanged functions, and `target`, alive inside it, keeps its id); callers must not
    change the answer."""
    return _remember(scope, ("assignments_before", id(target)), lambda: _assignments_before(scope, target))


_NESTED_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
# the node types `_assignments_before` looks at; every other node is only walked through
_ASSIGNING = _NESTED_SCOPES | {cst.If, cst.Assert, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor, cst.Call}


def _assignments_before(scope: cst.CSTNode, target: cst.CSTNode | None) -> Assignments:
    """Assignments to plain names in `scope` (a FunctionDef or Module) before `target`.

    Also records list building: `parts.append(x)` / `parts.extend([...])` / `parts += [...]` on a
    local list, as "+=" entries of a one-element list, so `" AND ".join(parts)` can be followed.
    """
    out: Assignments = {}
    active: list[tuple[str, cst.BaseExpression]] = []  # enclosing `if name in collection:`

    def add(name: str, op: str, value: cst.BaseExpression) -> None:
        out.setdefault(name, []).append(Assigned(op, value, tuple(active)))

    def visit(node: Any, top: bool) -> None:  # Any: narrowed by `type(node) is ...` below, which mypy does not follow through `kind`
        if node is target:
            out[ACTIVE_GUARDS] = [Assigned(name, collection) for name, collection in active]
            raise _Stop
        # dispatch on the exact type: parser-built nodes are of libcst's concrete classes, and an
        # `isinstance` against a libcst class that does not match goes through the ABC machinery
        # (this walk runs over every function whose calls are read, so a dozen such checks per node
        # were most of its cost)
        kind = type(node)
        if kind not in _ASSIGNING:
            for child in _children(node):
                visit(child, False)
            return
        if not top and kind in _NESTED_SCOPES:
            return
        if kind is cst.If:
            visit(node.test, False)
            allowed = _membership(node.test, True)
            active.extend(allowed)
            try:
                visit(node.body, False)
            finally:
                del active[len(active) - len(allowed):]
            if node.orelse is not None:
                visit(node.orelse, False)
            if _leaves(node.body):
                for name, collection in _membership(node.test, False):
                    add(name, "guard", collection)  # `if x not in ALLOWED: raise`
            return
        if kind is cst.Assert:
            for name, collection in _membership(node.test, True):
                add(name, "guard", collection)
        elif kind is cst.Assign:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    add(t.target.value, "=", node.value)
                elif isinstance(t.target, (cst.Tuple, cst.List)):
                    for i, element in enumerate(t.target.elements):
                        if isinstance(element, cst.Element) and isinstance(element.value, cst.Name):
                            add(element.value.value, f"unpack:{i}", node.value)  # a, b = helper(...)
                elif isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name) and len(t.target.slice) == 1:
                    index = t.target.slice[0].slice
                    if isinstance(index, cst.Index):
                        add(t.target.value.value, "key", index.value)  # d[key] = v: a key of d
        elif kind is cst.AnnAssign and node.value is not None and isinstance(node.target, cst.Name):
            add(node.target.value, "=", node.value)
        elif kind is cst.AugAssign and isinstance(node.target, cst.Name):
            if isinstance(node.operator, cst.AddAssign):
                add(node.target.value, "+=", node.value)
            else:
                add(node.target.value, "?=", node.value)
        elif kind is cst.NamedExpr and isinstance(node.target, cst.Name):
            add(node.target.value, "=", node.value)
        elif kind is cst.For or kind is cst.CompFor:
            for name, position in _loop_targets(node.target) or ():
                add(name, _for_op(position), node.iter)
        elif kind is cst.Call and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            method = node.func.attr.value
            if method in ("append", "extend", "insert") and node.args:
                value = node.args[-1].value
                if method == "extend":
                    add(node.func.value.value, "+=", value)
                else:
                    add(node.func.value.value, "+=", cst.List([cst.Element(value)]))
            elif method in ("update", "setdefault") and node.args and not node.args[0].star and node.args[0].keyword is None:
                value = node.args[0].value
                add(node.func.value.value, "update" if method == "update" else "key", value)
            elif method == "update" and node.args:
                add(node.func.value.value, "update", cst.Dict([]) if all(a.keyword for a in node.args) else node.args[-1].value)
        for child in _children(node):
            visit(child, False)

    try:
        if isinstance(scope, cst.Module):
            for stmt in scope.body:
                visit(stmt, False)
        else:
            visit(scope, True)
    except _Stop:
        pass
    except RecursionError:  # pathological nesting: give up on following names
        pass
    return out


@dataclass(slots=True)
class ModuleIndex:
    """Module-level facts used while reconstructing: constants and helper functions."""

    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    methods: dict[str, dict[str, cst.FunctionDef]] = field(default_factory=dict)  # class -> name -> def
    class_constants: dict[str, dict[str, cst.BaseExpression]] = field(default_factory=dict)  # class -> name -> value
    # a helper's single returned expression and the assignments before it, read once per function
    followed: dict[int, tuple[cst.BaseExpression, Assignments] | None] = field(default_factory=dict)

    def returned(self, fn: cst.FunctionDef) -> tuple[cst.BaseExpression, Assignments] | None:
        """The expression `fn` returns when it has exactly one `return <value>`, with the
        assignments before it (memoised: helpers are followed from many calls)."""
        key = id(fn)
        if key not in self.followed:
            returns = [r.value for r in _returns(fn) if r.value is not None]
            self.followed[key] = (returns[0], assignments_before(fn, returns[0])) if len(returns) == 1 else None
        return self.followed[key]


def module_index(module: cst.Module) -> ModuleIndex:
    index = ModuleIndex()
    assigned_twice: set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            name = t.target.value
                            if name in index.constants:
                                assigned_twice.add(name)
                            index.constants[name] = small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                    index.constants[small.target.value] = small.value
        elif isinstance(stmt, cst.FunctionDef):
            index.functions[stmt.name.value] = stmt
        elif isinstance(stmt, cst.ClassDef):
            methods = index.methods.setdefault(stmt.name.value, {})
            constants = index.class_constants.setdefault(stmt.name.value, {})
            for inner in getattr(stmt.body, "body", ()):
                if isinstance(inner, cst.FunctionDef):
                    methods[inner.name.value] = inner
                elif isinstance(inner, cst.SimpleStatementLine):
                    for small in inner.body:
                        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                            constants[small.targets[0].target.value] = small.value
                        elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                            constants[small.target.value] = small.value
    for name in assigned_twice:
        index.constants.pop(name, None)
    return index


# ----------------------------------------------------------------------------- templates


@dataclass(frozen=True, slots=True)
class Dyn:
    """A non-constant part of the SQL text."""

    source: str


@dataclass(frozen=True, slots=True)
class Clean(Dyn):
    """A non-constant part that passed a sanitizer. `standalone`: it can only hold characters
    that cannot end a literal or start new SQL (a safe alphabet, a number, a quoted identifier);
    `quoted_in`: quote characters it cannot contain (removed or escaped), so it is safe when it
    stands between two of them (`'{x}'` after `x.replace("'", "''")`)."""

    standalone: bool = False
    quoted_in: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ItemOf(Dyn):
    """An item (a key, for a dict) of a collection the function receives (`for k in fields`,
    `", ".join(d.keys())`, `row[0] for row in rows`): as safe as what the callers pass. `index`:
    the position taken out of each item (`row[0]`)."""

    collection: str = ""
    index: int | None = None


def item_source(collection: str, index: int | None = None) -> str:
    """How an item of `collection` is named in templates and facts: "items of d", "items of rows[0]"."""
    return f"items of {collection}" + (f"[{index}]" if index is not None else "")


ITEM_SOURCE = lazy(r"^items of (\w+)(?:\[(\d+)\])?$")


Part = str | Dyn


def _raw(parts: Iterable[Part]) -> bool:
    """Some part is dynamic and not sanitized."""
    return any(isinstance(p, Dyn) and not isinstance(p, Clean) for p in parts)


def _merge_clean(source: str, parts: list[Part], quoted_in: frozenset[str] = frozenset(), standalone: bool = False) -> list[Part]:
    """The result of applying a sanitizer to `parts`."""
    if standalone or not _raw(parts) and not any(isinstance(p, Clean) and not p.standalone for p in parts):
        return [Clean(source, True)]
    inherited = frozenset.intersection(*[p.quoted_in for p in parts if isinstance(p, Clean)] or [frozenset()])
    return [Clean(source, False, quoted_in | inherited)]


# characters whose presence lets a value end a literal, end a statement or start a comment
_DANGEROUS = ("'", '"', "`", "\\", ";", " ", "\t", "\n", "\r", "-", "/", "*", "(", ")", "#", "=", "<", ">", ",", "|")
_QUOTES = ("'", '"', "`")
_PROBES = _DANGEROUS + tuple("aZ09_.:$%@!?&+[]{}~^")


@lru_cache(maxsize=512)
def _regex_removes(pattern: str, repl: str) -> tuple[frozenset[str], bool] | None:
    """What `re.sub(pattern, repl, x)` guarantees about its result, for a pattern that matches
    single characters (a character class, `\\W`, an alternation of characters): the quote
    characters the result cannot contain, and whether it cannot contain any dangerous character.
    None when the pattern is not a per-character sanitizer (it matches longer text, or the
    replacement puts dangerous characters back)."""
    if len(pattern) > 200 or "\\" in repl or any(g in repl for g in ("\\1", "\\g")):
        return None
    body = pattern
    if body.endswith(("+", "*")) and not body.endswith(("\\+", "\\*")):
        body = body[:-1]
    if not re.fullmatch(r"\[\^?[^\[\]]+\]|\\[WSDwsd]|\((?:\?:)?(?:\\?.\|)+\\?.\)|(?:\\?.\|)*\\?.", body, re.S):
        return None
    try:
        compiled = re.compile(body)
    except re.error:
        return None
    removed = {c for c in _PROBES if compiled.fullmatch(c)}
    if not removed:
        return None
    kept_dangerous = {c for c in _DANGEROUS if c not in removed} | {c for c in repl if c in _DANGEROUS}
    quotes = frozenset(q for q in _QUOTES if q in removed and q not in repl)
    negated = body.startswith("[^") or body in ("\\W", "\\S", "\\D")
    # a negated class keeps only its own alphabet: anything else (every probe we did not list) goes
    standalone = negated and not kept_dangerous
    return quotes, standalone


_REGEX_TOKEN = lazy(r"\[\^?\]?(?:\\.|[^\]\\])*\]|\\.|\(\?P<\w+>|\(\?:|\(\?[aiLmsux]+\)|\(\?|[()|^$*+?]|\{\d*(?:,\d*)?\}\??|.", re.S)
_REGEX_STRUCTURE = frozenset({"^", "$", "\\A", "\\Z", "\\b", "\\B", "(", ")", "(?:", "|", "*", "+", "?"})


@lru_cache(maxsize=512)
def _regex_alphabet(pattern: str, method: str) -> tuple[bool, frozenset[str]] | None:
    """What text that `re.<method>(pattern, text)` accepts can contain, when the match must
    cover the whole text (`fullmatch`, or anchored with `$`/`\\Z`, and `^` for `search`):
    (True, _) none of the dangerous characters (an identifier or number alphabet), (False,
    quotes) none of these quote characters; None when the pattern may let anything through."""
    if len(pattern) > 300:
        return None
    try:
        re.compile(pattern)
    except re.error:
        return None
    tokens = _REGEX_TOKEN.findall(pattern)
    if not tokens:
        return None
    if method != "fullmatch":
        if tokens[-1] not in ("$", "\\Z") or "|" in tokens:
            return None
        if method == "search" and tokens[0] not in ("^", "\\A"):
            return None
    possible: set[str] = set()
    for token in tokens:
        if token in _REGEX_STRUCTURE or token.startswith("(?P<") or token[0] == "{" and token != "{" or re.fullmatch(r"\(\?[aiLmsux]+\)", token):
            continue
        if token == "(?":
            return None  # a lookaround or conditional: not followed
        try:
            atom = re.compile(token)
        except re.error:
            return None  # `\\x27`, back references: not judged
        possible.update(c for c in _DANGEROUS if atom.fullmatch(c))
    if not possible:
        return True, frozenset(_QUOTES)
    quotes = frozenset(q for q in _QUOTES if q not in possible)
    return (False, quotes) if quotes else None


@lru_cache(maxsize=512)
def regex_groups(pattern: str) -> tuple[tuple[str | None, str], ...] | None:
    """The capturing groups of a regex, in order: (name or None, the group's own pattern).
    None when the pattern does not compile."""
    try:
        re.compile(pattern)
    except re.error:
        return None
    found: list[tuple[str | None, int]] = []  # (name, start of the group's body)
    open_groups: list[int | None] = []  # index into `found`, None for a non-capturing group
    bodies: dict[int, str] = {}
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "(":
            named = re.match(r"\(\?P<(\w+)>", pattern[i:])
            if named:
                found.append((named.group(1), i + named.end()))
                open_groups.append(len(found) - 1)
                i += named.end()
                continue
            if pattern.startswith("(?", i):
                open_groups.append(None)
            else:
                found.append((None, i + 1))
                open_groups.append(len(found) - 1)
            i += 1
            continue
        if ch == ")" and open_groups:
            index = open_groups.pop()
            if index is not None:
                bodies[index] = pattern[found[index][1] : i]
        i += 1
    return tuple((name, bodies.get(k, ".*")) for k, (name, _) in enumerate(found))


def regex_part(pattern: str | None, group: int | str | None, source: str) -> list[Part]:
    """What a capture (`group` 0 or None: the whole match) of `pattern` can hold, as a part: safe
    standalone when its alphabet holds no quote or SQL punctuation (`(\\d+)`, `([a-z_]+)`), free
    of some quotes, or raw (`(.+)`)."""
    if pattern is None:
        return [Dyn(source)]
    body: str | None = pattern
    if group not in (None, 0):
        groups = regex_groups(pattern) or ()
        if isinstance(group, int):
            body = groups[group - 1][1] if 0 < group <= len(groups) else None
        else:
            body = next((b for n, b in groups if n == group), None)
    found = _regex_alphabet(body, "fullmatch") if body is not None else None
    if found is None:
        return [Dyn(source)]
    return [Clean(source, True)] if found[0] else [Clean(source, False, found[1])]


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    dynamic: tuple[str, ...]
    how: tuple[str, ...]
    kind: str | None = None

    @property
    def constant(self) -> bool:
        return not self.dynamic


_EMPTY_MODULE = cst.Module(body=[])
# methods whose result, indexed, is a piece of the text they split
_PIECES = frozenset({"split", "rsplit", "partition", "rpartition", "splitlines"})
_UUIDS = frozenset({"uuid1", "uuid3", "uuid4", "uuid5", "UUID"})
_NUMERIC_CASTS = frozenset({"int", "float", "len", "bool", "abs", "round", "hash", "ord", "min", "max", "sum", "uuid4", "UUID"})
_QUOTING = lazy(r"(?i)(quote_name|quote_ident\w*|quote_identifier|quote_table\w*|quote_column\w*|escape_identifier|sql\.Identifier|Identifier)$")
_SAFE_ATTRS = lazy(
    r"(?:^|\.)_meta\.(db_table|model_name|app_label|pk\.column|pk\.attname)$|\.(db_table|db_column|attname|__tablename__|__name__)$"
    r"|\.__table__\.(name|fullname)$"
)
# project or driver helpers that quote or escape what they are given (`quote_identifier(name)`,
# `conn.escape_string(v)`, `escape_literal`, `sql.Literal(v)`)
_QUOTING_HELPER = lazy(
    r"(?i)^_*(quote|escape|quoted|escaped)(_?(name|ident\w*|identifier|table\w*|column\w*|string|str|literal|value|sql|like|id|col|field))?$"
    r"|^_*(quote|escape)_\w+$|^(Literal|Identifier|literal|adapt|quote_plus_identifier)$"
)
# project helpers named for what they return: a number (`cast_to_int`, `to_int`, `safe_float`)
# and getters of the application's own ids and counts (`get_session_user_id()`, `get_total_count()`)
_NUMERIC_HELPER = lazy(
    r"(?i)^_*(?:(?:cast|safe|parse|as|to|get)_?)*(?:to_?)?(?:int|integer|float|decimal|number)$|^get_\w*_(?:id|ids|count|total)$"
)
_NUMERIC_SPECS = frozenset("dfFeEgGxXobn%")
_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "upper", "lower", "rjust", "ljust", "removesuffix", "removeprefix"})
_CONST_NAME = lazy(r"^[A-Z][A-Z0-9_]*$")


# node id -> (node, its source): code generation is the builder's main cost when the same
# expressions are rendered again (helpers followed from many calls); the node is kept so its id
# cannot be reused while remembered
_SRC_MEMO: dict[int, tuple[cst.CSTNode, str]] = {}


def _src(node: cst.CSTNode) -> str:
    found = _SRC_MEMO.get(id(node))
    if found is not None and found[0] is node:
        return found[1]
    if isinstance(node, cst.Name):
        text = node.value
    else:
        try:
            text = " ".join(_EMPTY_MODULE.code_for_node(node).split())[:80]
        except Exception:
            text = type(node).__name__
    if len(_SRC_MEMO) > 4096:
        _SRC_MEMO.clear()
    _SRC_MEMO[id(node)] = (node, text)
    return text


class _OverBudget(RecursionError):
    """The builder took more steps than its caller allowed: the text counts as dynamic."""


class _Builder:
    def __init__(self, assignments: Assignments, index: ModuleIndex | None, depth: int = 0, budget: list[int] | None = None) -> None:
        # steps left, shared with the builders of followed helpers (None: no limit)
        self.budget = budget
        self.assignments = assignments
        self.index = index or ModuleIndex()
        self.how: list[str] = []
        self.depth = depth
        self.seen: set[str] = set()
        self.class_name: str | None = None
        self.guarded: frozenset[str] = frozenset()  # names checked against an allow-list here
        self.unquoted: dict[str, frozenset[str]] = {}  # names checked free of these quote characters here
        self.bound: dict[str, list[Part]] = {}  # a followed helper's parameters: what the call passes
        # a followed helper's (or lambda's) parameters as collections: the builder of the calling
        # scope and the expression it passes, so their items are read where they are built
        self.collections: dict[str, tuple[_Builder, cst.BaseExpression]] = {}
        self.current: dict[str, list[Part]] = {}  # a name's value so far, while its assignments are followed
        # values checked equal to an item of a collection the program holds (`any(d == x for d in
        # columns)`): as safe as that collection's items
        self.allowed_by: dict[str, cst.BaseExpression] = {}
        # parameters the web framework parses into a number, UUID or date before the handler runs
        # (FastAPI `uid: int`, Flask `<int:uid>`): their text is digits and separators
        self.validated: frozenset[str] = frozenset()

    def note(self, how: str, parts: list[Part]) -> list[Part]:
        if any(isinstance(p, Dyn) for p in parts) and how not in self.how:
            self.how.append(how)
        return parts

    def step(self) -> None:
        if self.budget is not None:
            self.budget[0] -= 1
            if self.budget[0] < 0:
                raise _OverBudget

    def equal_items(self, guards: tuple[tuple[str, cst.BaseExpression], ...]) -> dict[str, cst.BaseExpression]:
        """The guards that check a value equal to an item of a collection (`x in columns`,
        `any(c.lower() == x.lower() for c in columns)`)."""
        return {name: guard for name, guard in guards
                if guard is not VALIDATED and isinstance(guard, (cst.Name, cst.Attribute, cst.Subscript, cst.Tuple, cst.List, cst.Set))}

    def allowed(self, node: cst.BaseExpression) -> list[Part] | None:
        """The items of the collection `node` was checked to be one of, if it was."""
        key = guard_key(node)
        collection = self.allowed_by.get(key)
        if collection is None:
            return None
        saved = self.allowed_by
        self.allowed_by = {k: v for k, v in saved.items() if k != key}
        try:
            return self.items(collection)
        finally:
            self.allowed_by = saved

    # -- entry
    def parts(self, node: cst.BaseExpression) -> list[Part]:
        self.step()
        if self.allowed_by and isinstance(node, (cst.Name, cst.Subscript, cst.Attribute, cst.Call)):
            checked = self.allowed(node)
            if checked is not None:
                return checked
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return [value.decode("utf-8", "replace") if isinstance(value, bytes) else value]
        if isinstance(node, cst.ConcatenatedString):
            return self.parts(node.left) + self.parts(node.right)
        if isinstance(node, (cst.Integer, cst.Float)):
            return [node.value]
        if isinstance(node, cst.FormattedString):
            out: list[Part] = []
            for piece in node.parts:
                if isinstance(piece, cst.FormattedStringText):
                    out.append(piece.value.replace("{{", "{").replace("}}", "}"))
                elif isinstance(piece, cst.FormattedStringExpression):
                    spec = piece.format_spec
                    spec_text = "".join(p.value for p in spec if isinstance(p, cst.FormattedStringText)) if spec else ""
                    if spec_text and spec_text[-1] in _NUMERIC_SPECS:
                        out.append("0")  # {x:d}, {x:.2f}: formatting raises unless x is a number
                        continue
                    inner = self.parts(piece.expression)
                    if piece.conversion == "r" and not any(isinstance(p, Dyn) for p in inner):
                        inner = [repr("".join(p for p in inner if isinstance(p, str)))]
                    out.extend(self.note("an f-string", inner))
            return out
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Name):
            return self.name(node)
        if isinstance(node, cst.Attribute):
            dotted = _dotted(node)
            if dotted and (_SAFE_ATTRS.search(dotted) or _CONST_NAME.match(node.attr.value)):
                return [_ident(node.attr.value)]
            if node.attr.value in ("hex", "int") and isinstance(node.value, cst.Call) and _dotted(node.value.func).rsplit(".", 1)[-1] in _UUIDS:
                return ["0"]  # uuid4().hex: hex digits
            if node.attr.value in ("value", "name") and isinstance(node.value, cst.Attribute) and _CONST_NAME.match(node.value.attr.value):
                return [_ident(node.value.attr.value)]  # Status.ACTIVE.value: an enum member's value, written in code
            constant = self.class_constant(node)
            if constant is not None:
                return constant
            return [Dyn(_src(node))]
        if isinstance(node, cst.IfExp):
            saved = self.guarded
            self.guarded = saved | self.allow_listed(node.test, positive=True)
            try:
                body = self.parts(node.body)
            finally:
                self.guarded = saved
            orelse = self.parts(node.orelse)
            return self.worst(body, orelse)
        if isinstance(node, cst.BooleanOperation):
            return self.worst(self.parts(node.left), self.parts(node.right))
        if isinstance(node, cst.Subscript):
            looked_up = self.lookup(node.value, [node.slice[0].slice] if len(node.slice) == 1 else [])
            if looked_up is not None:
                return looked_up
            item = self.subscript_item(node)
            if item is not None:
                return item
            return [Dyn(_src(node))]
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            # a bare sequence used as text only through join(); render as comma list
            return self.sequence(node, ", ")
        return [Dyn(_src(node))]

    @staticmethod
    def worst(a: list[Part], b: list[Part]) -> list[Part]:
        """Of two alternatives, the one that is less safe (raw text over sanitized over constant)."""
        for pick in (_raw, lambda parts: any(isinstance(p, Dyn) for p in parts)):
            if pick(a):
                return a
            if pick(b):
                return b
        return a

    def constant_collection(self, node: cst.BaseExpression) -> bool:
        """A fixed allow-list: a literal collection of constants, a module or class constant, an
        UPPER_CASE name (a constant by convention), `frozenset({...})`, `MAPPING.keys()`."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("set", "frozenset", "tuple", "list") and len(node.args) == 1:
            return self.constant_collection(node.args[0].value)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("keys", "values") and not node.args:
            return self.constant_collection(node.func.value)
        if isinstance(node, cst.Name):
            if node.value in self.assignments:
                entries = self.assignments[node.value]
                return len(entries) == 1 and entries[0].op == "=" and self.constant_collection(entries[0].value)
            if node.value in self.index.constants:
                return self.constant_collection(self.index.constants[node.value])
            return bool(_CONST_NAME.match(node.value))
        if isinstance(node, cst.Attribute):
            if _CONST_NAME.match(node.attr.value):
                return True
            if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
                for cls_name in [self.class_name] if self.class_name else list(self.index.class_constants):
                    value = self.index.class_constants.get(cls_name or "", {}).get(node.attr.value)
                    if value is not None:
                        return self.constant_collection(value)
            return False
        if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return not any(isinstance(p, Dyn) for p in self.sequence(node, ","))
        return False

    def fixed(self, guards: tuple[tuple[str, cst.BaseExpression], ...]) -> frozenset[str]:
        """The names of `guards` whose allow-list is fixed (or whose text a check confined to a
        safe alphabet)."""
        return frozenset(name for name, guard in guards if (self.guarantee(guard) or (False,))[0])

    def quote_free(self, guards: tuple[tuple[str, cst.BaseExpression], ...]) -> dict[str, frozenset[str]]:
        """Names of `guards` whose text a check keeps free of some quote characters (`'"' not in
        x`), with those characters; several checks of one name add up."""
        out: dict[str, frozenset[str]] = {}
        for name, guard in guards:
            found = self.guarantee(guard)
            if found is not None and not found[0]:
                out[name] = out.get(name, frozenset()) | found[1]
        return out

    def guarantee(self, guard: cst.BaseExpression) -> tuple[bool, frozenset[str]] | None:
        """What a guard leaves possible in the checked name's text: (True, _) only a fixed value
        or a safe alphabet; (False, quotes) none of these quote characters; None: nothing known.
        Guards are allow-lists (`x in ALLOWED`), predicates (VALIDATED) and claims about the text
        that hold afterwards (see `_membership`)."""
        if guard is VALIDATED:
            return True, frozenset(_QUOTES)
        claim, negated = guard, False
        while isinstance(claim, cst.UnaryOperation) and isinstance(claim.operator, cst.Not):
            claim, negated = claim.expression, not negated
        if isinstance(claim, cst.Comparison) and isinstance(claim.left, cst.SimpleString):
            char = self.literal(claim.left)
            absent = isinstance(claim.comparisons[0].operator, cst.NotIn) != negated
            if absent and char is not None and len(char) == 1 and char in _QUOTES:
                return False, frozenset({char})
            return None
        if isinstance(claim, cst.Call):
            func = claim.func
            leaf = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            args = [a.value for a in claim.args if a.keyword is None and not a.star]
            if leaf == "any" and args and isinstance(args[0], (cst.GeneratorExp, cst.ListComp)):
                if not negated:
                    return None  # `any(q in x ...)` true says nothing about the rest
                chars = self.characters(args[0].for_in.iter)
                quotes = frozenset(chars) & frozenset(_QUOTES)
                return (False, quotes) if quotes else None
            if leaf in _REGEX_METHODS:
                pattern = self.literal(args[0]) if _dotted(func) == f"re.{leaf}" else self.compiled_pattern(func.value) if isinstance(func, cst.Attribute) else None
                if pattern is None:
                    return None
                if negated:  # no match anywhere: the text holds none of the characters matched
                    if leaf != "search":
                        return None
                    removed = _regex_removes(pattern, "")
                    return (removed[1], removed[0]) if removed is not None and (removed[1] or removed[0]) else None
                return _regex_alphabet(pattern, leaf)
        if negated or isinstance(claim, cst.Comparison):
            return None
        return (True, frozenset(_QUOTES)) if self.constant_collection(claim) else None

    def characters(self, node: cst.BaseExpression) -> str:
        """The single characters a constant string or collection of one-character strings holds."""
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            found = [self.literal(e.value) for e in node.elements if isinstance(e, cst.Element)]
            return "".join(c for c in found if c is not None and len(c) == 1)
        if isinstance(node, cst.Name) and node.value in self.index.constants and not isinstance(self.index.constants[node.value], cst.Name):
            return self.characters(self.index.constants[node.value])
        return self.literal(node) or ""

    def allow_listed(self, test: cst.BaseExpression, positive: bool) -> frozenset[str]:
        """Names a test checks against a fixed allow-list (`x in ALLOWED` when `positive`,
        `x not in ALLOWED` otherwise); `and` chains of such tests too."""
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And if positive else cst.Or):
            return self.allow_listed(test.left, positive) | self.allow_listed(test.right, positive)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
            op = test.comparisons[0].operator
            wanted = cst.In if positive else cst.NotIn
            if isinstance(op, wanted) and self.constant_collection(test.comparisons[0].comparator):
                return frozenset({test.left.value})
        return frozenset()

    def lookup(self, mapping: cst.BaseExpression, keys: list[cst.BaseSlice | cst.BaseExpression]) -> list[Part] | None:
        """`MAPPING[key]` / `MAPPING.get(key, default)` in a fixed dict of constant values: the
        result is one of those constants whatever the key (an allow-list by construction)."""
        if not keys:
            return None
        target: cst.BaseExpression | None = mapping
        if isinstance(mapping, cst.Name) and mapping.value not in self.assignments:
            target = self.index.constants.get(mapping.value)
        elif isinstance(mapping, cst.Name):
            entries = self.assignments[mapping.value]
            target = entries[0].value if len(entries) == 1 and entries[0].op == "=" else None
        elif isinstance(mapping, cst.Attribute) and isinstance(mapping.value, cst.Name) and mapping.value.value in ("self", "cls"):
            target = None
            for cls_name in [self.class_name] if self.class_name else list(self.index.class_constants):
                target = self.index.class_constants.get(cls_name or "", {}).get(mapping.attr.value) or target
        if not isinstance(target, cst.Dict) or not target.elements:
            return None
        values: list[Part] = []
        for entry in target.elements:
            if not isinstance(entry, cst.DictElement):
                return None
            parts = self.parts(entry.value)
            if any(isinstance(p, Dyn) for p in parts):
                return None
            values = values or parts
        return values

    def class_constant(self, node: cst.Attribute) -> list[Part] | None:
        """`self.X` / `cls.X` where the class body assigns X a constant value."""
        if not (isinstance(node.value, cst.Name) and node.value.value in ("self", "cls")):
            return None
        name = node.attr.value
        classes = [self.class_name] if self.class_name else list(self.index.class_constants)
        for cls_name in classes:
            value = self.index.class_constants.get(cls_name or "", {}).get(name)
            if value is not None and ("." + name) not in self.seen:
                self.seen.add("." + name)
                try:
                    parts = self.parts(value)
                finally:
                    self.seen.discard("." + name)
                if not any(isinstance(p, Dyn) for p in parts):
                    return parts
        return None

    def sequence(self, node: cst.BaseExpression, sep: str) -> list[Part]:
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            out: list[Part] = []
            for i, element in enumerate(node.elements):
                if isinstance(element, cst.StarredElement):
                    out.append(Dyn(_src(element)))
                    continue
                if i:
                    out.append(sep)
                out.extend(self.parts(element.value))
            return out
        if isinstance(node, cst.Dict):
            keys: list[Part] = []
            for entry in node.elements:
                if not isinstance(entry, cst.DictElement):
                    return [Dyn(_src(node))]
                if keys:
                    keys.append(sep)
                keys.extend(self.parts(entry.key))
            return keys
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("keys", "values") and not node.args:
            receiver = self.resolve_dict(node.func.value)
            if receiver is not None:
                want_keys = node.func.attr.value == "keys"
                found: list[Part] = []
                for pair in receiver.elements:
                    if not isinstance(pair, cst.DictElement):
                        return [Dyn(_src(node))]
                    if found:
                        found.append(sep)
                    found.extend(self.parts(pair.key if want_keys else pair.value))
                return found
            return self.items(node) if node.func.attr.value == "keys" else [Dyn(_src(node))]
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            produced = self.comprehension_element(node)
            raw = [p for p in produced if isinstance(p, Dyn) and not isinstance(p, Clean)]
            if raw and not all(isinstance(p, ItemOf) or REQUEST_SOURCE.search(p.source) for p in raw):
                return [Dyn(_src(node))]  # named by the comprehension: what the items come from
            return produced
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return [*self.sequence(node.left, sep), sep, *self.sequence(node.right, sep)]
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            for side in (node.left, node.right):
                if isinstance(side, (cst.List, cst.Tuple)):
                    return self.sequence(side, sep)
                if isinstance(side, cst.SimpleString):
                    return self.parts(side)
        if isinstance(node, cst.Name) and node.value in self.guarded:
            return [Clean(node.value, True)]  # every item checked against an allow-list or a predicate
        if isinstance(node, cst.Name):
            entries = self.assignments.get(node.value)
            if entries and node.value not in self.seen:
                self.seen.add(node.value)
                try:
                    out = []
                    for assigned in entries:
                        if assigned.op not in ("=", "+="):
                            return [Dyn(node.value)]
                        if assigned.op == "=":
                            out = []
                        if out:
                            out.append(sep)
                        out.extend(self.sequence(assigned.value, sep))
                    return out
                finally:
                    self.seen.discard(node.value)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("list", "tuple", "sorted", "reversed") and node.args:
            return self.sequence(node.args[0].value, sep)
        if isinstance(node, (cst.Name, cst.Call, cst.Attribute, cst.DictComp)):
            return self.items(node)
        return [Dyn(_src(node))]

    def resolve_dict(self, node: cst.BaseExpression) -> cst.Dict | None:
        if isinstance(node, cst.Dict):
            value: cst.BaseExpression = node
        elif isinstance(node, cst.Name):
            entries = self.assignments.get(node.value) or []
            if len(entries) != 1 or entries[0].op != "=":
                return None
            value = entries[0].value
        else:
            return None
        if isinstance(value, cst.Dict) and all(isinstance(e, cst.DictElement) for e in value.elements):
            return value
        return None

    def comprehension_element(self, node: cst.ListComp | cst.GeneratorExp | cst.SetComp, index: int | None = None) -> list[Part]:
        """The element (its `index`-th value, for tuples) of a one-loop comprehension, the loop
        variables bound to the items of the iterable (`items`): constants for a constant
        iterable, sanitized or regex-captured text, the items of a parameter, or dynamic values
        (the element may still sanitize them: `[quote(c) for c in columns]`). An `if c in
        ALLOWED` filter allow-lists the variable."""
        loop = node.for_in
        elt: cst.BaseExpression = node.elt
        if index is not None:
            if not isinstance(elt, (cst.Tuple, cst.List)) or index >= len(elt.elements) or not isinstance(elt.elements[index], cst.Element):
                return [Dyn(_src(node))]
            elt = elt.elements[index].value
        targets = _loop_targets(loop.target)
        if loop.inner_for_in is not None or targets is None:
            return self.parts(elt)
        saved = {name: self.assignments.get(name) for name, _ in targets}
        saved_guard = self.guarded
        for name, position in targets:
            self.assignments[name] = [Assigned(_for_op(position), loop.iter)]
        for condition in loop.ifs:
            self.guarded = self.guarded | self.allow_listed(condition.test, positive=True)
        try:
            return self.parts(elt)
        finally:
            self.guarded = saved_guard
            for name, entries in saved.items():
                if entries is None:
                    self.assignments.pop(name, None)
                else:
                    self.assignments[name] = entries

    # -- items of collections
    def items(self, node: cst.BaseExpression, index: int | None = None) -> list[Part]:
        """The parts of one item of the collection `node` (of its `index`-th value when items are
        tuples), the worst over the items: a literal's elements, a dict's keys, a comprehension's
        element, the captures of `re.findall`, what a same-module helper or local lambda
        returns, `a + b`, `set(x)`/`sorted(x)`/`x.keys()`; a collection the function receives
        (a parameter) gives `ItemOf`, for the callers to decide."""
        self.step()
        key = f"[items]{id(node)}[{index}]"
        if key in self.seen or len(self.seen) > 40:
            return [Dyn(_src(node))]
        self.seen.add(key)
        try:
            return self._items(node, index)
        finally:
            self.seen.discard(key)

    def _items(self, node: cst.BaseExpression, index: int | None) -> list[Part]:
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            out: list[Part] | None = None
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    found = self.items(element.value, index)
                else:
                    value = element.value
                    if index is not None:
                        if not isinstance(value, (cst.Tuple, cst.List)) or index >= len(value.elements) or isinstance(value.elements[index], cst.StarredElement):
                            return [Dyn(_src(node))]
                        value = value.elements[index].value
                    found = self.parts(value)
                out = found if out is None else self.worst(out, found)
            return out if out is not None else ["item"]
        if isinstance(node, cst.Dict):
            if index is not None:
                return [Dyn(_src(node))]
            out = None
            for entry in node.elements:
                found = self.parts(entry.key) if isinstance(entry, cst.DictElement) else self.items(entry.value)
                out = found if out is None else self.worst(out, found)
            return out if out is not None else ["item"]
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self.comprehension_element(node, index)
        if isinstance(node, cst.DictComp):
            if index is not None:
                return [Dyn(_src(node))]
            return self.comprehension_element(cst.SetComp(elt=node.key, for_in=node.for_in))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.worst(self.items(node.left, index), self.items(node.right, index))
        if isinstance(node, cst.IfExp):
            return self.worst(self.items(node.body, index), self.items(node.orelse, index))
        if isinstance(node, cst.BooleanOperation):
            return self.worst(self.items(node.left, index), self.items(node.right, index))
        if isinstance(node, cst.Call):
            return self.call_items(node, index)
        if isinstance(node, cst.Name):
            return self.name_items(node, index)
        if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and len(node.slice) == 1:
            key = node.slice[0].slice
            if isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString):
                under = self.helper_value(node.value, key.value, collection=True)
                if under is not None:
                    return under
        if isinstance(node, cst.Attribute):
            if _CONST_NAME.match(node.attr.value):
                return ["item"]
            if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
                for cls_name in [self.class_name] if self.class_name else list(self.index.class_constants):
                    constant = self.index.class_constants.get(cls_name or "", {}).get(node.attr.value)
                    if constant is not None:
                        return self.items(constant, index)
        return [Dyn(_src(node))]

    def call_items(self, node: cst.Call, index: int | None) -> list[Part]:
        func = node.func
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Name):
            if func.value in ("set", "frozenset", "list", "tuple", "sorted", "reversed", "iter") and len(args) == 1:
                return self.items(args[0], index)
            if func.value == "dict" and not args and not any(a.star for a in node.args):
                return ["item"] if index is None else [Dyn(_src(node))]  # dict(a=1, b=2): keys written in code
            if func.value == "dict" and len(args) == 1:
                return self.items(args[0], index)
            if func.value == "map" and len(args) == 2 and index is None:
                # map(int, xs): numbers; map(str, xs): the items themselves; map(quote, xs): quoted
                mapper = _dotted(args[0])
                leaf = mapper.rsplit(".", 1)[-1]
                if leaf in _NUMERIC_CASTS or _NUMERIC_HELPER.match(leaf):
                    return ["0"]
                if mapper == "str":
                    return self.items(args[1])
                if mapper and mapper != "re.escape" and (_QUOTING.search(mapper) or _QUOTING_HELPER.match(leaf)):
                    return ['"ident"']
                return [Dyn(_src(node))]
            if func.value == "range" and args and index is None:
                return ["0"]  # `for i in range(len(ids))`: numbers (`f":id{i}"` placeholders)
            if func.value == "enumerate" and len(args) == 1 and index is not None:
                return ["0"] if index == 0 else self.items(args[0]) if index == 1 else [Dyn(_src(node))]
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("keys", "copy") and not node.args:
                return self.items(func.value, index)
            if method == "items" and not node.args and index in (0, 1):
                if index == 0:
                    return self.items(func.value)
                target = self.resolve_dict(func.value)
                if target is not None:
                    out: list[Part] = ["item"]
                    for entry in target.elements:
                        if isinstance(entry, cst.DictElement):
                            out = self.worst(out, self.parts(entry.value))
                    return out
                return [Dyn(_src(node))]
            if method == "findall":
                pattern = self.regex_pattern(node)
                groups = regex_groups(pattern) if pattern is not None else None
                if pattern is None or groups is None:
                    return [Dyn(_src(node))]
                if len(groups) <= 1:
                    return regex_part(pattern, len(groups), _src(node)) if index is None else [Dyn(_src(node))]
                if index is not None:
                    return regex_part(pattern, index + 1, _src(node))
                out = []
                for i in range(len(groups)):
                    out = self.worst(out, regex_part(pattern, i + 1, _src(node))) if out else regex_part(pattern, i + 1, _src(node))
                return out
        called = self.called(func, node, collection=True, index=index)
        if called is not None:
            return called
        return [Dyn(_src(node))]

    def name_items(self, node: cst.Name, index: int | None) -> list[Part]:
        name = node.value
        if name in self.guarded:
            return [Clean(name, True)]
        entries = self.assignments.get(name)
        if entries:
            assigns = [i for i, e in enumerate(entries) if e.op == "="]
            if not assigns:
                return [Dyn(name)]
            last = assigns[-1]
            out = self.items(entries[last].value, index)
            for entry in entries[last + 1 :]:
                if entry.op in ("+=", "update"):
                    out = self.worst(out, self.items(entry.value, index))
                elif entry.op == "key" and index is None:
                    out = self.worst(out, self.parts(entry.value))
                elif entry.op == "key":
                    continue
                elif entry.op == "=":
                    continue
                else:
                    return [Dyn(name)]
            for i in assigns[:-1]:  # an earlier assignment in another branch that holds request data
                earlier = self.items(entries[i].value, index)
                if _raw(earlier) and any(isinstance(p, Dyn) and REQUEST_SOURCE.search(p.source) for p in earlier):
                    return earlier
            return out
        if name in self.collections:
            outer, value = self.collections[name]
            return outer.items(value, index)
        if name in self.index.constants:
            return self.items(self.index.constants[name], index)
        if _CONST_NAME.match(name):
            return ["item"]
        return [ItemOf(item_source(name, index), collection=name, index=index)]

    def regex_pattern(self, call: cst.Call) -> str | None:
        """The pattern of a regex call: `re.findall(P, s)`, `re.match(P, s)`, `PATTERN.search(s)`."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        args = [a.value for a in call.args if a.keyword is None and not a.star]
        if _dotted(func.value) == "re":
            return self.literal(args[0]) if args else None
        return self.compiled_pattern(func.value)

    def match_pattern(self, node: cst.BaseExpression) -> str | None:
        """The pattern of the match object `node` is: `re.match(P, s)`, `PATTERN.fullmatch(s)`, a
        name assigned one, or the loop variable over `re.finditer(P, s)`."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _REGEX_METHODS:
            return self.regex_pattern(node)
        if isinstance(node, cst.Name):
            entries = self.assignments.get(node.value) or []
            if len(entries) == 1 and entries[0].op == "=":
                return self.match_pattern(entries[0].value)
            if len(entries) == 1 and entries[0].op == "for":
                it = entries[0].value
                if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value == "finditer":
                    return self.regex_pattern(it)
        return None

    def match_group(self, node: cst.Call, method: str) -> list[Part] | None:
        """`m.group(1)`, `m.group("name")`, `m.group()` of a regex match: what the capture can hold."""
        func = node.func
        assert isinstance(func, cst.Attribute)
        if method != "group" or len(node.args) > 1:
            return None
        pattern = self.match_pattern(func.value)
        if pattern is None:
            return None
        group: int | str | None = None
        if node.args:
            arg = node.args[0].value
            if isinstance(arg, cst.Integer):
                group = int(arg.value)
            else:
                text = self.literal(arg)
                if text is None:
                    return [Dyn(_src(node))]
                group = text
        return regex_part(pattern, group, _src(node))

    def subscript_item(self, node: cst.Subscript) -> list[Part] | None:
        """`row[0]` of a loop variable over a collection (the index-th value of its items),
        `m[1]` / `m.groups()[0]` of a regex match, `cols[i]` with a numeric index (an item of
        `cols`), `x.split(".")[-1]` / `x.rpartition(".")[0]` (a piece of `x`: as safe as `x`) and
        `result["key"]` of what a same-module helper returns as a dict literal."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = node.slice[0].slice.value
        base = node.value
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value in _PIECES:
            if _dotted(base.func.value) == "re":  # re.split(pattern, text)[i]
                args = [a.value for a in base.args if a.keyword is None and not a.star]
                return self.parts(args[1]) if len(args) >= 2 else None
            return self.parts(base.func.value)
        if isinstance(key, cst.SimpleString) and isinstance(base, cst.Name):
            return self.helper_value(base, key, collection=False)
        if isinstance(key, cst.UnaryOperation) and isinstance(key.expression, cst.Integer):
            return None
        if not isinstance(key, cst.Integer):
            if self.index_like(key) and isinstance(base, (cst.Name, cst.Subscript)):
                return self.items(base) if isinstance(base, cst.Name) else self.nested_item(base)
            return None
        position = int(key.value)
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value == "groups" and not base.args:
            pattern = self.match_pattern(base.func.value)
            return regex_part(pattern, position + 1, _src(node)) if pattern is not None else None
        if isinstance(base, cst.Subscript):
            inner = base.slice[0].slice if len(base.slice) == 1 else None
            if isinstance(base.value, cst.Name) and isinstance(inner, cst.Index) and self.index_like(inner.value):
                return self.items(base.value, position)  # rows[i][0]
            return None
        if isinstance(base, cst.Name):
            pattern = self.match_pattern(base)
            if pattern is not None:
                return regex_part(pattern, position, _src(node))
            loops = [e for e in self.assignments.get(base.value) or [] if e.op not in ("key", "update")]
            if len(loops) == 1 and loops[0].op == "for":
                found = self.items(loops[0].value, position)
                raw = [p for p in found if isinstance(p, Dyn) and not isinstance(p, Clean)]
                if raw and not all(isinstance(p, ItemOf) or REQUEST_SOURCE.search(p.source) for p in raw):
                    return None  # the program's own data: named as written
                return found
        return None

    def nested_item(self, node: cst.Subscript) -> list[Part] | None:
        """`rows[i]` where `rows[i]` itself is `matrix[j]`: not followed further."""
        return None

    def index_like(self, key: cst.BaseExpression) -> bool:
        """A subscript that is a position: a number, `int(...)`/`len(...)` arithmetic, or a loop
        counter (`for i, x in enumerate(xs)`, `for i in range(n)`)."""
        if isinstance(key, cst.Integer):
            return True
        if isinstance(key, cst.Call) and _dotted(key.func) in ("int", "len"):
            return True
        if isinstance(key, cst.BinaryOperation) and isinstance(key.operator, (cst.Add, cst.Subtract)):
            return self.index_like(key.left) and self.index_like(key.right)
        if isinstance(key, cst.Name):
            entries = self.assignments.get(key.value) or []
            if len(entries) == 1 and entries[0].op in ("for", "for:0") and isinstance(entries[0].value, cst.Call):
                it = _dotted(entries[0].value.func)
                return (it == "enumerate" and entries[0].op == "for:0") or (it == "range" and entries[0].op == "for")
        return False

    def helper_value(self, base: cst.Name, key: cst.SimpleString, collection: bool) -> list[Part] | None:
        """`data["key"]` where `data` is assigned what a same-module helper returns, a dict literal
        (or a name assigned one): the value under that key, read in the helper."""
        entries = self.assignments.get(base.value) or []
        if len(entries) != 1 or entries[0].op != "=" or not isinstance(entries[0].value, cst.Call):
            return None
        call = entries[0].value
        return self.called(call.func, call, collection=collection, key=key.evaluated_value if isinstance(key.evaluated_value, str) else None)

    def binary(self, node: cst.BinaryOperation) -> list[Part]:
        op = node.operator
        if isinstance(op, cst.Add):
            return self.note("+", self.parts(node.left) + self.parts(node.right))
        if isinstance(op, cst.Modulo):
            left = self.parts(node.left)
            if any(isinstance(p, Dyn) for p in left):
                return self.note("%", left + [Dyn(_src(node.right))])
            template = "".join(p for p in left if isinstance(p, str))
            return self.note("%", self.percent(template, node.right))
        if isinstance(op, (cst.Subtract, cst.Divide, cst.FloorDivide, cst.Power)):
            return ["0"]  # arithmetic: the result is a number (text operands would raise)
        if isinstance(op, cst.Multiply):
            for a, _b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, cst.SimpleString):
                    return self.parts(a)  # "?, " * n: repeated constant text
            return [Dyn(_src(node))]
        return [Dyn(_src(node))]

    def percent(self, template: str, args: cst.BaseExpression) -> list[Part]:
        if isinstance(args, cst.Tuple):
            values: list[cst.BaseExpression] = [e.value for e in args.elements]
        else:
            values = [args]
        mapping: dict[str, cst.BaseExpression] = {}
        if isinstance(args, cst.Dict):
            for e in args.elements:
                if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString):
                    key = e.key.evaluated_value
                    mapping[key if isinstance(key, str) else key.decode()] = e.value
        out: list[Part] = []
        pos = 0
        i = 0
        for m in re.finditer(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifrxXeEgGoc%])", template):
            out.append(template[pos : m.start()])
            pos = m.end()
            if m.group(2) == "%":
                out.append("%")
                continue
            if m.group(1) is not None:
                value = mapping.get(m.group(1))
                out.extend(self.parts(value) if value is not None else [Dyn(_src(args))])
                continue
            if m.group(2) in "dif":
                out.append("0")  # numeric conversion cannot carry SQL
                i += 1
                continue
            if i < len(values):
                out.extend(self.parts(values[i]))
            else:
                out.append(Dyn(_src(args)))
            i += 1
        out.append(template[pos:])
        return out

    def call(self, node: cst.Call) -> list[Part]:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":
                base = self.parts(func.value)
                if any(isinstance(p, Dyn) for p in base):
                    return self.note(".format()", base)
                return self.note(".format()", self.format(
                    "".join(p for p in base if isinstance(p, str)), node.args))
            if method == "join" and len(node.args) == 1:
                sep = self.parts(func.value)
                if any(isinstance(p, Dyn) for p in sep):
                    return [Dyn(_src(node))]
                return self.note("join()", self.sequence(node.args[0].value, "".join(p for p in sep if isinstance(p, str))))
            if method in _STR_METHODS:
                return self.parts(func.value)
            if method == "get" and node.args and all(not a.star for a in node.args):
                looked_up = self.lookup(func.value, [node.args[0].value])
                if looked_up is not None and (len(node.args) < 2 or not any(isinstance(p, Dyn) for p in self.parts(node.args[1].value))):
                    return looked_up
            sanitized = self.sanitizer(node, method)
            if sanitized is not None:
                return sanitized
            captured = self.match_group(node, method)
            if captured is not None:
                return captured
        name = _dotted(func)
        leaf = func.attr.value if isinstance(func, cst.Attribute) else name.rsplit(".", 1)[-1]
        if leaf in _NUMERIC_CASTS or leaf in ("uuid4", "count", "hexdigest", "hex", "timestamp", "total_seconds", "toordinal", "token_hex", "isoformat") or _NUMERIC_HELPER.match(leaf):
            return ["0"]
        if name and name != "re.escape" and (_QUOTING.search(name) or _QUOTING_HELPER.match(leaf)):
            return ['"ident"']
        if leaf == "mogrify" and node.args:
            return self.parts(node.args[0].value)  # the driver quotes the values it is given
        if leaf == "str" and node.args:
            return self.parts(node.args[0].value)
        helper = self.helper(func, node)
        if helper is not None:
            return helper
        return [Dyn(_src(node))]

    def sanitizer(self, node: cst.Call, method: str) -> list[Part] | None:
        """A call that sanitizes text: `re.sub(r"[^a-z0-9_]", "", x)` / a compiled pattern's
        `.sub()` that removes every character outside a safe alphabet (or the quote characters),
        `x.replace("'", "''")` that escapes a quote. None when the call is not one of these."""
        func = node.func
        assert isinstance(func, cst.Attribute)
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if method == "replace" and len(args) >= 2:
            old, new = (self.literal(a) for a in args[:2])
            if old is None or new is None or old not in _QUOTES:
                return None
            if new in (old * 2, "\\" + old, "") or (new and old not in new.replace(old * 2, "")):
                base = self.parts(func.value)
                if not any(isinstance(p, Dyn) for p in base):
                    return base
                return _merge_clean(_src(node), base, frozenset({old}))
            return None
        if method not in ("sub", "subn") or method == "subn":
            return None
        pattern: str | None
        if _dotted(func.value) == "re" and len(args) >= 3:
            pattern, repl, subject = self.literal(args[0]), self.literal(args[1]), args[2]
        elif len(args) >= 2:
            pattern, repl, subject = self.compiled_pattern(func.value), self.literal(args[0]), args[1]
        else:
            return None
        if pattern is None or repl is None:
            return None
        found = _regex_removes(pattern, repl)
        if found is None:
            return None
        quotes, standalone = found
        base = self.parts(subject)
        if not any(isinstance(p, Dyn) for p in base):
            return base
        return _merge_clean(_src(node), base, quotes, standalone)

    def literal(self, node: cst.BaseExpression) -> str | None:
        """The text of a constant string expression (literal or module constant), else None."""
        parts = self.parts(node) if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Name)) else [Dyn("")]
        if any(isinstance(p, Dyn) for p in parts):
            return None
        return "".join(p for p in parts if isinstance(p, str))

    def compiled_pattern(self, node: cst.BaseExpression) -> str | None:
        """The pattern text of `re.compile("...")`, inline or bound to a local or module name."""
        if isinstance(node, cst.Name):
            entries = self.assignments.get(node.value)
            if entries:
                node = entries[-1].value if len(entries) == 1 and entries[0].op == "=" else node
            elif node.value in self.index.constants:
                node = self.index.constants[node.value]
        elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            attr = node.attr.value
            for cls_name in [self.class_name] if self.class_name else list(self.index.class_constants):
                node = self.index.class_constants.get(cls_name or "", {}).get(attr) or node
        if isinstance(node, cst.Call) and _dotted(node.func) in ("re.compile", "compile") and node.args:
            return self.literal(node.args[0].value)
        return None

    def helper(self, func: cst.BaseExpression, call: cst.Call | None = None) -> list[Part] | None:
        if call is None:
            return None
        return self.called(func, call)

    def called(
        self,
        func: cst.BaseExpression,
        call: cst.Call,
        collection: bool = False,
        index: int | None = None,
        key: str | None = None,
        element: int | None = None,
    ) -> list[Part] | None:
        """What a same-module helper function or method, or a lambda assigned in this scope,
        returns for this call, its parameters bound to what the call passes (the items of what it
        returns when `collection`); None when it is not one (or returns no text)."""
        lam = self.local_lambda(func)
        if lam is not None:
            params = [p.name.value for p in lam.params.params]
            sub = _Builder({k: v for k, v in self.assignments.items() if k not in params}, self.index, self.depth + 1, self.budget)
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            for i, name in enumerate(params):
                value = positional[i] if i < len(positional) else keywords.get(name)
                if value is not None:
                    sub.bound[name] = self.parts(value)
                    sub.collections[name] = (self, value)
            return self.adopt(sub, lam.body, collection, index, key, element)
        if self.depth >= 2:
            return None
        fn: cst.FunctionDef | None = None
        if isinstance(func, cst.Name):
            fn = self.index.functions.get(func.value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            for methods in ([self.index.methods.get(self.class_name, {})] if self.class_name else self.index.methods.values()):
                fn = methods.get(func.attr.value) or fn
        if fn is None:
            return None
        found = self.index.returned(fn)
        if found is None:
            return None
        result, assigned = found
        builder = _Builder({k: list(v) for k, v in assigned.items()}, self.index, self.depth + 1, self.budget)
        method = isinstance(func, cst.Attribute)
        builder.bound = self.bind(fn, call, method=method)
        builder.collections = self.bind_collections(fn, call, method=method)
        return self.adopt(builder, result, collection, index, key, element)

    def adopt(
        self, builder: _Builder, result: cst.BaseExpression, collection: bool, index: int | None, key: str | None = None, element: int | None = None
    ) -> list[Part] | None:
        """Evaluate a followed helper's result with `builder`, keeping its notes: the value under
        `key` of a returned dict literal, the `element`-th value of a returned tuple."""
        builder.class_name = self.class_name
        if key is not None or element is not None:
            picked = builder.picked(result, key, element)
            if picked is None:
                return None
            result = picked
        parts = builder.items(result, index) if collection else builder.parts(result)
        for how in builder.how:
            if how not in self.how:
                self.how.append(how)
        if not collection and not any(isinstance(p, str) and p.strip() for p in parts):
            return None  # not a string builder
        return parts

    def picked(self, result: cst.BaseExpression, key: str | None, element: int | None) -> cst.BaseExpression | None:
        """The expression under `key` of a dict literal / at `element` of a tuple that `result`
        is (or a name assigned exactly one)."""
        if isinstance(result, cst.Name):
            entries = self.assignments.get(result.value) or []
            if len(entries) != 1 or entries[0].op != "=":
                return None
            result = entries[0].value
        if key is not None and isinstance(result, cst.Dict):
            for entry in result.elements:
                if isinstance(entry, cst.DictElement) and isinstance(entry.key, cst.SimpleString) and entry.key.evaluated_value == key:
                    return entry.value
        if element is not None and isinstance(result, cst.Tuple) and element < len(result.elements):
            chosen = result.elements[element]
            return chosen.value if isinstance(chosen, cst.Element) else None
        return None

    def local_lambda(self, func: cst.BaseExpression) -> cst.Lambda | None:
        """The lambda a local name is assigned (`gen = lambda d: [k + " = ?" for k in d]`)."""
        if not isinstance(func, cst.Name):
            return None
        entries = self.assignments.get(func.value) or []
        if len(entries) == 1 and entries[0].op == "=" and isinstance(entries[0].value, cst.Lambda):
            return entries[0].value
        return None

    def bind_collections(self, fn: cst.FunctionDef, call: cst.Call, method: bool) -> dict[str, tuple[_Builder, cst.BaseExpression]]:
        """The helper's parameters as collections: the expression each is passed, read here."""
        params = [*fn.params.posonly_params, *fn.params.params]
        if method and params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        if any(a.star for a in call.args):
            return {}
        positional = [a.value for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        out: dict[str, tuple[_Builder, cst.BaseExpression]] = {}
        for i, param in enumerate(params):
            value = positional[i] if i < len(positional) else keywords.get(param.name.value)
            if value is not None:
                out[param.name.value] = (self, value)
        return out

    def bind(self, fn: cst.FunctionDef, call: cst.Call, method: bool) -> dict[str, list[Part]]:
        """The helper's parameters as this call passes them (read in the caller's scope), or
        their constant defaults: `cond_prefix='AND'` left out is the text "AND"."""
        params = [*fn.params.posonly_params, *fn.params.params]
        if method and params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        if any(a.star for a in call.args):
            return {}
        positional = [a.value for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        out: dict[str, list[Part]] = {}
        for i, param in enumerate(params):
            name = param.name.value
            value = positional[i] if i < len(positional) else keywords.get(name)
            if value is not None:
                out[name] = self.parts(value)
            elif param.default is not None:
                default = _Builder({}, self.index, self.depth + 1, self.budget).parts(param.default)
                if not any(isinstance(p, Dyn) for p in default):
                    out[name] = default
        return out

    def format(self, template: str, args: Iterable[cst.Arg]) -> list[Part]:
        arglist = list(args)
        positional = [a.value for a in arglist if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in arglist if a.keyword is not None}
        starred = any(a.star for a in arglist)
        out: list[Part] = []
        pos = 0
        auto = 0
        for m in re.finditer(r"\{\{|\}\}|\{([^{}!:]*)(![rsa])?(:[^{}]*)?\}", template):
            out.append(template[pos : m.start()])
            pos = m.end()
            token = m.group(0)
            if token in ("{{", "}}"):
                out.append(token[0])
                continue
            field_name = m.group(1).strip()
            value: cst.BaseExpression | None = None
            if field_name == "":
                value = positional[auto] if auto < len(positional) else None
                auto += 1
            elif field_name.isdigit():
                idx = int(field_name)
                value = positional[idx] if idx < len(positional) else None
            else:
                value = keywords.get(field_name.split(".")[0].split("[")[0])
            if value is None:
                out.append(Dyn(field_name or ("*args" if starred else "{}")))
            else:
                out.extend(self.parts(value))
        out.append(template[pos:])
        return out

    def name(self, node: cst.Name) -> list[Part]:
        name = node.value
        if name in self.validated and not self.assignments.get(name):
            return ["0"]  # parsed by the framework into a number, UUID or date: no quote can reach the text
        if name in self.guarded:
            return [Clean(name, True)]  # checked against a fixed allow-list
        quotes = self.unquoted.get(name)
        if quotes:  # checked free of these quote characters where it is used: safe between them
            found = self.followed(node)
            return _merge_clean(_origin(name, found), found, quotes) if _raw(found) else found
        return self.followed(node)

    def followed(self, node: cst.Name) -> list[Part]:
        """The parts of a name, followed through its assignments and checks in this scope."""
        name = node.value
        entries = self.assignments.get(name)
        if entries and name in self.seen and name in self.current:
            return list(self.current[name])  # `x = x.rstrip(", ")`: what x held before
        if entries and name not in self.seen:
            self.seen.add(name)
            saved_guard, saved_unquoted = self.guarded, self.unquoted
            saved_allowed = self.allowed_by
            saved_current = self.current.get(name)
            try:
                out: list[Part] = []
                for entry in entries:
                    self.current[name] = out
                    self.allowed_by = {**saved_allowed, **self.equal_items(entry.guarded)}
                    self.guarded = saved_guard | self.fixed(entry.guarded)
                    self.unquoted = _joined(saved_unquoted, self.quote_free(entry.guarded))
                    if entry.op == "=":
                        out = self.parts(entry.value)
                    elif entry.op == "+=":
                        out = self.note("+", out + self.parts(entry.value))
                    elif entry.op.startswith("for"):
                        position = int(entry.op[4:]) if entry.op != "for" else None
                        out = self.items(entry.value, position)  # an item of what the loop walks
                        raw = [p for p in out if isinstance(p, Dyn) and not isinstance(p, Clean)]
                        if raw and not all(isinstance(p, ItemOf) or REQUEST_SOURCE.search(p.source) for p in raw):
                            out = [Dyn(name)]  # a loop over the program's own data: named by the loop variable
                    elif entry.op in ("key", "update"):
                        continue  # a dict's keys: not text
                    elif entry.op.startswith("unpack:") and isinstance(entry.value, (cst.Tuple, cst.List)):
                        position = int(entry.op[7:])
                        chosen = entry.value.elements[position] if position < len(entry.value.elements) else None
                        if not isinstance(chosen, cst.Element):
                            return [Dyn(name)]
                        out = self.parts(chosen.value)  # a, b = "", []
                    elif entry.op.startswith("unpack:") and isinstance(entry.value, cst.Call):
                        unpacked = self.called(entry.value.func, entry.value, element=int(entry.op[7:]))
                        if unpacked is None:
                            return [Dyn(name)]
                        out = unpacked
                    elif entry.op == "guard":
                        found = self.guarantee(entry.value)
                        if found is not None and found[0]:
                            out = [Clean(name, True)]  # `if x not in ALLOWED: raise`: only allowed values go on
                        elif found is not None and _raw(out or [Dyn(name)]):
                            out = _merge_clean(_origin(name, out), out or [Dyn(name)], found[1])  # `if "'" in x: raise`
                    else:
                        return [Dyn(name)]
                # earlier overwritten assignments that were dynamic still count (branches)
                if not _raw(out):
                    for entry in entries[:-1]:
                        if entry.op == "=":
                            self.guarded = saved_guard | self.fixed(entry.guarded)
                            self.unquoted = _joined(saved_unquoted, self.quote_free(entry.guarded))
                            earlier = self.parts(entry.value)
                            if _raw(earlier) and self.text_like(earlier):
                                return earlier
                return out
            finally:
                self.guarded, self.unquoted = saved_guard, saved_unquoted
                self.allowed_by = saved_allowed
                self.seen.discard(name)
                if saved_current is None:
                    self.current.pop(name, None)
                else:
                    self.current[name] = saved_current
        if name in self.bound:
            return self.bound[name]  # a helper's parameter: what the call passes (or its default)
        if name in self.index.constants and name not in self.seen and not entries:
            self.seen.add(name)
            try:
                return self.parts(self.index.constants[name])
            finally:
                self.seen.discard(name)
        if _CONST_NAME.match(name) and name not in ("SQL",):
            return [_ident(name)]
        if name in ("True", "False", "None"):
            return [name.upper()]
        return [Dyn(name)]

    @staticmethod
    def text_like(parts: list[Part]) -> bool:
        return any(isinstance(p, str) and _SQL_START.match(p) for p in parts[:1])


def _origin(name: str, parts: list[Part]) -> str:
    """What a checked name holds, for messages and the input test: its one dynamic source."""
    dynamic = [p.source for p in parts if isinstance(p, Dyn)]
    return dynamic[0] if len(dynamic) == 1 else name


def _joined(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    if not b:
        return a
    out = dict(a)
    for name, quotes in b.items():
        out[name] = out.get(name, frozenset()) | quotes
    return out


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name) or "ident"


def _returns(fn: cst.FunctionDef) -> list[cst.Return]:
    found: list[cst.Return] = []

    def visit(node: cst.CSTNode) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not fn:
            return
        if isinstance(node, cst.Return):
            found.append(node)
        for child in _fast_children(node):
            visit(child)

    try:
        visit(fn)
    except RecursionError:
        return []
    return found


def _safe_here(part: Clean, parts: list[Part], i: int) -> bool:
    """A sanitized part is safe standalone, or inside a quoted literal (or quoted identifier)
    whose quote character it cannot contain (`'{x}'`, `'{x}_seq'`, `"{x}"`)."""
    if part.standalone:
        return True
    if not part.quoted_in:
        return False
    quote: str | None = None  # the quote the text before the part leaves open
    for before in parts[:i]:
        for ch in before if isinstance(before, str) else "x":
            if quote is None and ch in _QUOTES:
                quote = ch
            elif ch == quote:
                quote = None
    return quote is not None and quote in part.quoted_in


def reconstruct(
    node: cst.BaseExpression,
    assignments: Assignments | None = None,
    index: ModuleIndex | None = None,
    *,
    class_name: str | None = None,
    fragment: str | None = None,
    budget: int | None = None,
    with_kind: bool = True,
    validated: frozenset[str] = frozenset(),
) -> Template:
    """The SQL template `node` builds (see the module docstring). `budget`: at most this many
    steps (followed names, helpers, items); past it the whole text counts as dynamic.
    `with_kind=False`: the template's `kind` is left None (a caller that reads only the dynamic
    parts need not have the text parsed as SQL). `validated`: parameters of the enclosing route
    handler that its framework parses into a scalar (`validated_parameters`)."""
    builder = _Builder(assignments or {}, index, budget=[budget] if budget is not None else None)
    builder.class_name = class_name
    builder.validated = validated
    active = tuple((g.op, g.value) for g in (assignments or {}).get(ACTIVE_GUARDS, []))
    builder.guarded = builder.fixed(active)
    builder.unquoted = builder.quote_free(active)
    try:
        parts = builder.parts(node)
    except RecursionError:
        parts = [Dyn(_src(node))]
    text_parts: list[str] = []
    dynamic: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, Clean) and _safe_here(part, parts, i):
            text_parts.append("ident")  # sanitized: it cannot change the statement where it stands
        elif isinstance(part, Dyn):
            text_parts.append(PLACEHOLDER.format(len(dynamic)))
            dynamic.append(part.source)
        else:
            text_parts.append(part)
    text = "".join(text_parts)
    return Template(text, tuple(dynamic), tuple(builder.how), statement_kind(text, fragment) if with_kind else None)


# ----------------------------------------------------------------------------- sqlglot

_KINDS = {
    "Select": "SELECT",
    "Union": "SELECT",
    "Intersect": "SELECT",
    "Except": "SELECT",
    "Insert": "INSERT",
    "Update": "UPDATE",
    "Delete": "DELETE",
    "Create": "CREATE",
    "Drop": "DROP",
    "Alter": "ALTER",
    "AlterTable": "ALTER",
    "TruncateTable": "TRUNCATE",
    "Merge": "MERGE",
    "Set": "SET",
    "Pragma": "PRAGMA",
    "Command": "",  # keyword-led statements sqlglot keeps as text (SHOW, VACUUM, ...)
    "Grant": "GRANT",
    "Revoke": "REVOKE",
    "Analyze": "ANALYZE",
    "Describe": "DESCRIBE",
    "Copy": "COPY",
    "Use": "USE",
    "Transaction": "BEGIN",
    "Commit": "COMMIT",
    "Rollback": "ROLLBACK",
    "Subquery": "SELECT",
}


@lru_cache(maxsize=4096)
def statement_kind(text: str, fragment: str | None = None) -> str | None:
    """The kind of SQL statement `text` is (placeholders allowed), or None if it is not SQL."""
    if fragment is not None:
        return _fragment_kind(text, fragment)
    head = _SQL_START.match(text)
    if head is None:
        return None
    keyword = head.group(1).upper()
    if not re.search(r"\s", text.strip()) and keyword not in ("VACUUM", "BEGIN", "COMMIT", "ROLLBACK", "ANALYZE"):
        return None  # a single word ("select", "update") is a label, not a statement
    name = _head(text)
    if name:
        kind = _KINDS.get(name)
        if kind == "":
            return keyword
        if kind:
            return kind
        return None
    # sqlglot could not read it (dialect syntax, placeholders in odd spots): accept text that
    # starts with a statement keyword and has the shape of a statement
    if _looks_like_statement(text, keyword):
        return keyword
    return None


_SHAPES = {
    "SELECT": r"\bFROM\b|^\s*\(?\s*SELECT\s+[\w'\"(]",
    "INSERT": r"\bINTO\b",
    "UPDATE": r"\bSET\b",
    "DELETE": r"\bFROM\b",
    "WITH": r"\bAS\s*\(",
    "CREATE": r"\b(TABLE|INDEX|VIEW|FUNCTION|TRIGGER|SCHEMA|DATABASE|SEQUENCE|TYPE|EXTENSION|ROLE|USER)\b",
    "ALTER": r"\b(TABLE|INDEX|VIEW|SEQUENCE|TYPE|ROLE|USER|DATABASE|SCHEMA)\b",
    "DROP": r"\b(TABLE|INDEX|VIEW|FUNCTION|TRIGGER|SCHEMA|DATABASE|SEQUENCE|TYPE|EXTENSION|ROLE|USER)\b",
}


def _looks_like_statement(text: str, keyword: str) -> bool:
    shape = _SHAPES.get(keyword)
    if shape is None:
        return keyword in ("TRUNCATE", "GRANT", "REVOKE", "EXPLAIN", "PRAGMA", "VACUUM", "ANALYZE", "COPY", "CALL", "EXEC", "EXECUTE", "MERGE", "REPLACE", "SHOW", "LOCK", "REFRESH", "REINDEX", "COMMENT", "SET", "DESCRIBE")
    return re.search(shape, text, re.I) is not None


def _fragment_kind(text: str, fragment: str) -> str | None:
    if _SQL_START.match(text):
        return statement_kind(text)
    if not text.strip():
        return None
    wrapped = f"SELECT * FROM t WHERE {text}" if fragment == "where" else f"SELECT {text} FROM t"
    if _head(wrapped) == "Select":
        return "WHERE condition" if fragment == "where" else "SQL expression"
    return None


def _head(text: str) -> str:
    """The class of sqlglot's first tree for `text` ("" when it cannot read it); an answer the
    file's last analysis used is taken from it (sources/memo.py) without importing sqlglot."""
    digest = memo.key(f"sqlglot-head\0{text}")
    head = memo.recall(digest)
    if head is None:
        trees = _parse(text)
        head = type(trees[0]).__name__ if trees else ""
        memo.record(digest, head)
    return head


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Any, ...]:
    import sqlglot
    from sqlglot.errors import SqlglotError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    prepared = re.sub(r"%\(\w+\)s|%s|(?<![:\w]):\w+|\$\d+|\?", "1", text)
    for dialect in (None, "postgres", "mysql", "sqlite"):
        try:
            trees = [t for t in sqlglot.parse(prepared, read=dialect) if t is not None]
        except (SqlglotError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
            continue
        if trees:
            return tuple(trees)
    return ()


def items_of(
    node: cst.BaseExpression,
    assignments: Assignments | None = None,
    index: ModuleIndex | None = None,
    position: int | None = None,
    *,
    class_name: str | None = None,
    budget: int | None = None,
) -> tuple[str, ...]:
    """The sources of what is not safe in one item (its `position`-th value, for tuples) of the
    collection `node` builds (see `_Builder.items`); empty when every item is constant or
    sanitized to a safe alphabet. Items of a collection the scope receives are `items of <name>`."""
    builder = _Builder(assignments or {}, index, budget=[budget] if budget is not None else None)
    builder.class_name = class_name
    try:
        parts = builder.items(node, position)
    except RecursionError:
        return (_src(node),)
    return tuple(p.source for p in parts if isinstance(p, Dyn) and not (isinstance(p, Clean) and p.standalone))


def template_of_constant(node: cst.BaseExpression, index: ModuleIndex | None = None) -> str | None:
    """The text of a constant string expression (literals and their concatenation), else None."""
    tpl = reconstruct(node, None, index)
    return tpl.text if tpl.constant else None


class SinkScopeTracking:
    """Mixin for walk participants that look at SQL sinks: keeps the enclosing functions and
    classes (`self.functions`, `self.classes`) and resolves qualified names lazily (`resolver()`).
    The class using it initialises `functions`, `classes`, `_resolver` and `_resolver_ready`.
    """

    ctx: Any
    functions: list[Any]
    classes: list[str]
    _resolver: Any
    _resolver_ready: bool

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()

    def resolver(self) -> Any:
        if not self._resolver_ready:
            self._resolver = metadata_resolver(self.ctx)
            self._resolver_ready = True
        return self._resolver


# frameworks that parse a handler's annotated parameters before calling it (a request whose value
# does not parse is answered 422 and never reaches the handler)
_VALIDATING_IMPORT = lazy(r"^\s*(?:from|import)\s+(?:fastapi|ninja|litestar|starlite)\b", re.M)
_ROUTE_VERBS = frozenset({"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route", "websocket"})
# annotations whose parsed value prints as digits, hex, signs and separators only
_SCALAR_TYPES = frozenset({
    "int", "float", "bool", "UUID", "UUID1", "UUID3", "UUID4", "UUID5", "date", "datetime", "time", "timedelta", "Decimal",
    "PositiveInt", "NegativeInt", "NonNegativeInt", "NonPositiveInt", "StrictInt", "StrictFloat", "StrictBool",
    "PositiveFloat", "NegativeFloat", "NonNegativeFloat", "NonPositiveFloat", "FiniteFloat", "PastDate", "FutureDate",
    "PastDatetime", "FutureDatetime", "AwareDatetime", "NaiveDatetime", "conint", "confloat", "condecimal", "condate",
})
# Flask / Werkzeug / Quart URL converters that only match digits or a UUID
_URL_CONVERTER = lazy(r"<(?:int|float|uuid)(?:\([^)>]*\))?:(\w+)>")
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "delete", "patch"})


def typed_framework(source: str) -> bool:
    """The module imports a framework that parses its handlers' annotated parameters."""
    return _VALIDATING_IMPORT.search(source) is not None


def validated_parameters(fn: cst.FunctionDef, typed: bool) -> frozenset[str]:
    """Parameters of a route handler that its framework has parsed into a number, UUID or date:
    FastAPI, Django Ninja and Litestar handlers' parameters annotated with such a type
    (`uid: int`, `Annotated[UUID, Path()]`, `day: date | None`), and Flask/Quart URL converters
    (`@app.route("/items/<int:item_id>")`). `typed`: the module imports such a framework
    (`typed_framework`). Empty for any other function."""
    out: set[str] = set()
    for decorator in fn.decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            continue
        leaf = call.func.attr.value if isinstance(call.func, cst.Attribute) else call.func.value if isinstance(call.func, cst.Name) else ""
        if typed and leaf in _ROUTE_VERBS:
            params = (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)
            out.update(p.name.value for p in params if p.annotation is not None and _scalar(p.annotation.annotation))
        if leaf in _ROUTE_DECORATORS and call.args and isinstance(call.args[0].value, cst.SimpleString):
            path = call.args[0].value.evaluated_value
            out.update(_URL_CONVERTER.findall(path if isinstance(path, str) else ""))
    return frozenset(out)


def _scalar(annotation: cst.BaseExpression) -> bool:
    """`int`, `uuid.UUID`, `Optional[date]`, `int | None`, `Annotated[int, Query(ge=1)]`, `conint(gt=0)`."""
    node = annotation
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        sides = [node.left, node.right]
        return all(_scalar(s) or (isinstance(s, cst.Name) and s.value == "None") for s in sides) and any(_scalar(s) for s in sides)
    if isinstance(node, cst.Subscript):
        base = _dotted(node.value).rsplit(".", 1)[-1]
        first = node.slice[0].slice if node.slice else None
        if base in ("Annotated", "Optional") and isinstance(first, cst.Index):
            return _scalar(first.value)
        return False
    return _dotted(node).rsplit(".", 1)[-1] in _SCALAR_TYPES if isinstance(node, (cst.Name, cst.Attribute)) else False

