"""The reusable SQL sink helpers (checks/python/sqlsinks.py): their documented API."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from backend_gates.checks.python import sqlsinks

SOURCE = '''
from sqlalchemy import text as t
import pandas as pd

TABLE = "users"

def helper(name):
    return f"SELECT * FROM users WHERE name = '{name}'"

def f(cur, db, uid, name, ids, job):
    cur.execute(f"SELECT * FROM users WHERE id = {uid}")
    cur.execute("SELECT * FROM users WHERE id = %s", (uid,))
    q = "SELECT * FROM " + TABLE
    q += " WHERE name = '" + name + "'"
    cur.execute(q)
    db.execute(t("DELETE FROM users WHERE id = :id"), {"id": uid})
    cur.execute(helper(name))
    job.execute(f"deploy {name}")
    pd.read_sql("SELECT 1", db)
    marks = ", ".join(["%s"] * len(ids))
    cur.execute(f"SELECT * FROM users WHERE id IN ({marks})", ids)
'''


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source
        self.module = cst.parse_module(source)
        self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)

    def metadata(self, provider):
        return self._wrapper.resolve(provider)


def _calls(module: cst.Module) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            found.append(node)

    module.visit(Collect())
    return found


def _analyse():
    ctx = _Ctx(SOURCE)
    resolve = sqlsinks.metadata_resolver(ctx)
    assert resolve is not None
    index = sqlsinks.module_index(ctx.module)
    fn = index.functions["f"]
    out = []
    for call in _calls(ctx.module):
        sink = sqlsinks.sink_of(call, resolve)
        if sink is None:
            continue
        arg = sqlsinks.sql_argument(call, sink)
        if arg is None or (isinstance(arg, cst.Call) and sqlsinks.sink_of(arg, resolve)):
            continue
        tpl = sqlsinks.reconstruct(arg, sqlsinks.assignments_before(fn, call), index)
        out.append((sink.name, sqlsinks.has_parameters(call, sink), tpl))
    return out


def test_sinks_templates_and_kinds() -> None:
    results = _analyse()
    by_text = {tpl.text: (name, params, tpl) for name, params, tpl in results}
    name, params, tpl = by_text["SELECT * FROM users WHERE id = bg_dyn_0"]
    assert (name, params, tpl.dynamic, tpl.how, tpl.kind) == ("execute", False, ("uid",), ("an f-string",), "SELECT")
    name, params, tpl = by_text["SELECT * FROM users WHERE id = %s"]
    assert params and tpl.constant
    tpl = by_text["SELECT * FROM users WHERE name = 'bg_dyn_0'"][2]
    assert tpl.dynamic == ("name",) and tpl.kind == "SELECT"
    # aliased sqlalchemy text() resolves through qualified names, bound parameters make it constant
    name, _params, tpl = by_text["DELETE FROM users WHERE id = :id"]
    assert name == "sqlalchemy text" and tpl.constant and tpl.kind == "DELETE"
    # not SQL: recognised as a sink by name, rejected by sqlglot
    tpl = by_text["deploy bg_dyn_0"][2]
    assert tpl.kind is None
    assert by_text["SELECT 1"][0] == "read_sql"
    assert by_text["SELECT * FROM users WHERE id IN (%s)"][2].constant


def test_helper_and_augmented_assignment_are_followed() -> None:
    texts = [tpl for _n, _p, tpl in _analyse() if not tpl.constant and tpl.kind]
    assert sum(1 for tpl in texts if tpl.text == "SELECT * FROM users WHERE name = 'bg_dyn_0'") == 2
    assert any("+" in tpl.how for tpl in texts)


def test_statement_kind_and_constants() -> None:
    assert sqlsinks.statement_kind("UPDATE t SET a = bg_dyn_0") == "UPDATE"
    assert sqlsinks.statement_kind("hello world") is None
    assert sqlsinks.statement_kind("select") is None
    assert sqlsinks.statement_kind("id = bg_dyn_0", "where") == "WHERE condition"
    expr = cst.parse_expression('"SELECT a " "FROM t" + " WHERE b = 1"')
    assert sqlsinks.template_of_constant(expr) == "SELECT a FROM t WHERE b = 1"
    assert sqlsinks.template_of_constant(cst.parse_expression('f"SELECT {x}"')) is None


def test_no_resolver_without_sink_imports() -> None:
    ctx = _Ctx("def text(x):\n    return x\n\ntext('SELECT 1')\n")
    assert sqlsinks.metadata_resolver(ctx) is None
    call = _calls(ctx.module)[0]
    assert sqlsinks.sink_of(call, None) is None
