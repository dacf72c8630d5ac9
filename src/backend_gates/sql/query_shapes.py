"""Shapes of parsed SQL statements the query rules ask about (sqlglot trees; no rule logic).

The query rules themselves (checks/project/db_queries.py) decide what to report: each has an
`examine(tree)` that receives one parsed statement.
"""

from __future__ import annotations

from sqlglot import exp


def cte_names(tree: exp.Expression) -> set[str]:
    return {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}


def reads_only_ctes(select: exp.Select, ctes: set[str]) -> bool:
    """`WITH t AS (...) SELECT * FROM t`: the columns and rows are the CTE's, already chosen."""
    from_ = select.args.get("from_") or select.args.get("from")
    if not ctes or from_ is None or not isinstance(from_.this, exp.Table):
        return False
    return from_.this.name.lower() in ctes and all(
        isinstance(j.this, exp.Table) and j.this.name.lower() in ctes for j in select.args.get("joins") or []
    )


def selects_star(select: exp.Select) -> bool:
    for e in select.expressions:
        if isinstance(e, exp.Star):
            return True
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            return True
    return False


def inside_exists(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Exists):
            return True
        parent = parent.parent
    return False


SARGABLE_SAFE = (exp.Cast, exp.Coalesce)


def function_on_column(where: exp.Where) -> dict[str, str] | None:
    for cmp in where.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ, exp.Like, exp.ILike, exp.In):
        side = cmp.this
        if isinstance(side, exp.Func) and not isinstance(side, (exp.AggFunc,)) and not isinstance(side, exp.Column):
            cols = list(side.find_all(exp.Column))
            if len(cols) == 1 and not inside_subquery(cmp, where):
                other = cmp.args.get("expression")
                if other is not None and any(True for _ in other.find_all(exp.Column)) and not isinstance(
                    other, (exp.Literal, exp.Placeholder)
                ):
                    continue  # column vs column: both sides computed, not an index lookup
                fname = side.sql_name() if hasattr(side, "sql_name") else type(side).__name__
                return {"function": fname.lower(), "column": cols[0].name}
    return None


def inside_subquery(node: exp.Expression | exp.Condition, stop: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None and parent is not stop:
        if isinstance(parent, exp.Subquery):
            return True
        parent = parent.parent
    return False


def unbounded_order(select: exp.Select) -> bool:
    """ORDER BY on a whole table: no WHERE, no LIMIT/FETCH, no GROUP BY/aggregate, a real table."""
    if select.args.get("order") is None or select.args.get("limit") or select.args.get("fetch"):
        return False
    if select.args.get("where") is not None or select.args.get("group") is not None:
        return False
    if select.args.get("joins"):
        return False
    if any(True for _ in select.find_all(exp.AggFunc)):
        return False
    if not isinstance(select.parent, (type(None),)):
        return False
    from_ = select.args.get("from_") or select.args.get("from")
    return from_ is not None and isinstance(from_.this, exp.Table)


def implicit_cross_join(select: exp.Select) -> str:
    joins = select.args.get("joins") or []
    from_ = select.args.get("from_") or select.args.get("from")
    if not joins or from_ is None:
        return ""
    first = from_.this
    where = select.args.get("where")
    for join in joins:
        if join.args.get("on") is not None or join.args.get("using") or join.args.get("kind") or join.args.get("side"):
            continue
        if join.args.get("method"):
            continue
        table = join.this
        if not isinstance(table, exp.Table) or not isinstance(first, exp.Table):
            continue
        names = {table.alias_or_name.lower()}
        if where is not None and relates(where, names):
            continue  # old-style join written in WHERE: not a cross join
        return f"{first.name}, {table.name}"
    return ""


def relates(where: exp.Where, names: set[str]) -> bool:
    for cmp in where.find_all(exp.EQ):
        left, right = cmp.this, cmp.args.get("expression")
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            if left.table.lower() in names or right.table.lower() in names:
                return True
    return False
