"""Read SQL text with sqlglot: split into statements (with line numbers), summarise each one
(kind, tables, parameters, filtered columns), find query smells, and turn DDL into schema facts
and migration operations. Everything returned is plain JSON-safe data (cached as facts).

Imported only in the file phase (it imports sqlglot); project checks read its output as facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]  # sqlglot re-exports it

from .schema import index_method

DIALECTS = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}

# DB-API placeholders sqlglot does not read in every dialect: %s, %(name)s (outside quotes)
_PYFORMAT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|%\((\w+)\)s|%s|%%")
_PARAM_HINT = re.compile(r"%s|%\(\w+\)s|(?<![\w:]):[A-Za-z_]\w*|\?|\$\d+")
_LIST_TYPES = ("TEXT", "VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "STRING", "CLOB", "LONGTEXT", "MEDIUMTEXT")


@dataclass
class Statement:
    line: int  # 1-based line of the statement's first token within the text
    text: str
    tree: Any = None
    error: str = ""
    comments: list[str] = field(default_factory=list)


def read_dialect(dialect: str | None) -> str | None:
    return DIALECTS.get((dialect or "").lower())


def prepare(sql: str) -> str:
    """Rewrite pyformat placeholders so every dialect parses them (%s -> ?, %(x)s -> :x)."""
    if "%" not in sql:
        return sql

    def repl(m: re.Match[str]) -> str:
        text = m.group(0)
        if text.startswith(("'", '"')):
            return text
        if text == "%%":
            return "%"
        if m.group(1):
            return f":{m.group(1)}"
        return "?"

    return _PYFORMAT.sub(repl, sql)


def split(text: str, dialect: str | None = None) -> list[Statement]:
    """Statements of a SQL text, each parsed on its own so one bad statement does not hide others.

    A statement the configured (or generic) grammar cannot read is tried with the other dialects
    before it counts as unparseable: vendor SQL (MySQL `DATABASE()`, SQLite FTS `MATCH`) is valid.
    """
    statements = _split(text, dialect)
    if any(s.error or _opaque_ddl(s.tree) for s in statements):
        for other in ("postgres", "mysql", "sqlite", None):
            if other == read_dialect(dialect):
                continue
            for index, stmt in enumerate(statements):
                if (stmt.error or _opaque_ddl(stmt.tree)) and stmt.text.strip():
                    retry = _split(stmt.text, other)
                    if len(retry) == 1 and not retry[0].error and not (stmt.tree is not None and _opaque_ddl(retry[0].tree)):
                        retry[0].line = stmt.line
                        retry[0].comments = stmt.comments
                        statements[index] = retry[0]
    return statements


def _opaque_ddl(tree: Any) -> bool:
    """DDL the grammar kept as an opaque command (MySQL `ALTER ... MODIFY` read as generic SQL)."""
    return isinstance(tree, exp.Command) and str(tree.this).upper() == "ALTER"


def _split(text: str, dialect: str | None = None) -> list[Statement]:
    read = read_dialect(dialect)
    d = Dialect.get_or_raise(read)
    prepared = prepare(text)
    try:
        tokens = d.tokenize(prepared)
    except (TokenError, ValueError) as exc:
        return [Statement(1, text, None, _first_line(str(exc)))]
    chunks: list[list[Any]] = [[]]
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(tok)
    out: list[Statement] = []
    for chunk in chunks:
        if not chunk:
            continue
        start, end = chunk[0].start, chunk[-1].end + 1
        body = prepared[start:end]
        stmt = Statement(chunk[0].line, body)
        stmt.comments = [c for tok in chunk for c in (tok.comments or [])]
        try:
            trees = d.parser().parse(chunk, prepared)
            stmt.tree = next((t for t in trees if t is not None), None)
            if isinstance(stmt.tree, (exp.Condition, exp.Alias, exp.Identifier)) and not isinstance(stmt.tree, exp.Query):
                stmt.error = f"not a SQL statement: {body.split()[0][:40]!r} is not a statement keyword"
                stmt.tree = None
            elif isinstance(stmt.tree, exp.Command) and not _is_known_command(stmt.tree):
                stmt.error = f"sqlglot does not understand this statement ({stmt.tree.name or 'command'})"
                stmt.tree = None
        except (ParseError, TokenError, ValueError, RecursionError) as exc:
            stmt.error = _first_line(str(exc))
        out.append(stmt)
    return out


def _is_known_command(tree: exp.Command) -> bool:
    # statements sqlglot keeps as opaque commands but that are valid SQL (no smell to find)
    return str(tree.this).upper() in {
        "SET", "SHOW", "GRANT", "REVOKE", "COMMENT", "VACUUM", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK",
        "DO", "CALL", "EXECUTE", "COPY", "TRUNCATE", "LOCK", "REINDEX", "CLUSTER", "NOTIFY", "LISTEN",
        "PRAGMA", "USE", "START", "REFRESH", "DECLARE", "FETCH", "CLOSE", "DISCARD", "RESET", "SAVEPOINT",
        "RELEASE", "ALTER", "CREATE", "DROP",
    }


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return (text.strip().splitlines() or ["cannot parse"])[0][:200]


def parse_one(sql: str, dialect: str | None = None) -> Statement:
    stmts = split(sql, dialect)
    if not stmts:
        return Statement(1, sql, None, "empty statement")
    return stmts[0]


# ----------------------------------------------------------------------------- summaries


def kind_of(tree: Any) -> str:
    if tree is None:
        return "unknown"
    if isinstance(tree, exp.Create):
        return f"CREATE {str(tree.args.get('kind') or '').upper()}".strip()
    if isinstance(tree, exp.Alter):
        return f"ALTER {str(tree.args.get('kind') or 'TABLE').upper()}"
    if isinstance(tree, exp.Drop):
        return f"DROP {str(tree.args.get('kind') or '').upper()}".strip()
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    return type(tree).__name__.upper()


def tables_of(tree: Any) -> list[str]:
    if tree is None:
        return []
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name and name not in ctes and name not in names:
            names.append(name)
    return names


def parameterised(text: str, tree: Any) -> bool:
    if tree is not None and any(True for _ in tree.find_all(exp.Placeholder, exp.Parameter)):
        return True
    return bool(_PARAM_HINT.search(_strip_strings(text)))


def _strip_strings(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def _alias_map(select: exp.Expression) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in select.find_all(exp.Table):
        name = table.name.lower()
        out[name] = name
        if table.alias:
            out[table.alias.lower()] = name
    return out


def filtered_columns(tree: Any) -> list[list[str]]:
    """[table, column] pairs compared in WHERE / JOIN ON (tables resolved through aliases)."""
    if tree is None:
        return []
    out: list[list[str]] = []
    for select in tree.find_all(exp.Select, exp.Update, exp.Delete):
        aliases = _alias_map(select)
        tables = [t for t in dict.fromkeys(aliases.values())]
        conditions = []
        where = select.args.get("where")
        if where is not None:
            conditions.append(where)
        for join in select.args.get("joins") or []:
            if join.args.get("on") is not None:
                conditions.append(join.args["on"])
        for cond in conditions:
            for cmp in cond.find_all(exp.EQ, exp.In, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between):
                col = cmp.this
                if not isinstance(col, exp.Column):
                    continue
                table = aliases.get(col.table.lower()) if col.table else (tables[0] if len(tables) == 1 else None)
                if table:
                    pair = [table, col.name.lower()]
                    if pair not in out:
                        out.append(pair)
                other = cmp.args.get("expression")
                if isinstance(other, exp.Column) and other.table:
                    t2 = aliases.get(other.table.lower())
                    if t2 and [t2, other.name.lower()] not in out:
                        out.append([t2, other.name.lower()])
    return out


# ----------------------------------------------------------------------------- query smells


def query_issues(tree: Any) -> list[list[Any]]:
    """[[code, {placeholders}], ...]: what each SQL query rule (`examine(tree)` on its class in
    checks/project/db_queries.py) finds in one parsed statement. Recorded with the statement's
    fact, so the rules' project phase needs no parse."""
    if tree is None:
        return []
    from ..checks.project.db_queries import QUERY_RULES

    issues: list[list[Any]] = []
    for rule in QUERY_RULES:
        found = rule.examine(tree)
        if found is not None:
            issues.append([rule.code, found])
    return issues


# ----------------------------------------------------------------------------- DDL


def _type_name(kind: Any) -> str:
    if kind is None:
        return ""
    try:
        return str(kind.sql()).upper()
    except Exception:  # pragma: no cover - unusual types
        return str(kind).upper()


def _ident_list(node: Any) -> list[str]:
    if node is None:
        return []
    out = []
    for e in node.expressions if hasattr(node, "expressions") else []:
        if isinstance(e, exp.Ordered):
            e = e.this
        if isinstance(e, (exp.Identifier, exp.Column)):
            out.append(e.name.lower())
    return out


def ddl_facts(tree: Any, line: int) -> dict[str, list[dict[str, Any]]]:
    """Schema facts ("table", "index") and migration operations ("migration_op") of one statement."""
    out: dict[str, list[dict[str, Any]]] = {}
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE" and isinstance(tree.this, exp.Schema):
            out.setdefault("table", []).append(_create_table(tree.this, line))
            out.setdefault("migration_op", []).append({"op": "create_table", "table": tree.this.this.name.lower(), "line": line})
        elif kind == "INDEX" and isinstance(tree.this, exp.Index):
            index = tree.this
            table = index.args.get("table")
            params = index.args.get("params")
            columns = []
            opclasses = []
            if params is not None:
                for c in params.args.get("columns") or []:
                    c = c.this if isinstance(c, exp.Ordered) else c
                    if isinstance(c, exp.Opclass):
                        opclasses.append(c.expression.name.lower() if c.expression is not None else "")
                        c = c.this
                    columns.append(c.name.lower() if isinstance(c, exp.Column) else c.sql().lower())
            where = params.args.get("where") if params is not None else None
            using = params.args.get("using") if params is not None else None
            fact = {
                "table": table.name.lower() if table is not None else "",
                "name": index.name.lower(),
                "columns": columns,
                "method": index_method(using.name if using is not None else "", opclasses),
                "unique": bool(tree.args.get("unique")),
                "partial": where is not None,
                "line": line,
            }
            out.setdefault("index", []).append(fact)
            out.setdefault("migration_op", []).append(
                {"op": "create_index", "table": fact["table"], "name": fact["name"], "line": line,
                 "concurrently": bool(tree.args.get("concurrently"))}
            )
    elif isinstance(tree, exp.Alter):
        table = tree.this.name.lower() if isinstance(tree.this, exp.Table) else ""
        for action in tree.args.get("actions") or []:
            op = _alter_action(action, table, line)
            if op:
                out.setdefault("migration_op", []).append(op)
    elif isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        target = tree.this if tree.this is not None else next(iter(tree.args.get("tables") or []), None)
        name = target.name.lower() if target is not None else ""
        if kind in ("TABLE", "INDEX"):
            out.setdefault("migration_op", []).append(
                {"op": f"drop_{kind.lower()}", "table": name if kind == "TABLE" else "", "name": name, "line": line,
                 "concurrently": bool(tree.args.get("concurrently"))}
            )
    elif isinstance(tree, exp.Command) and str(tree.this).upper() == "TRUNCATE":
        out.setdefault("migration_op", []).append({"op": "truncate", "table": str(tree.expression or "").split()[0:1] and str(tree.expression).split()[0].lower().strip(";"), "line": line})
    elif isinstance(tree, exp.TruncateTable):
        names = [t.name.lower() for t in tree.expressions if isinstance(t, exp.Table)]
        out.setdefault("migration_op", []).append({"op": "truncate", "table": ", ".join(names), "line": line})
    return out


def _alter_action(action: Any, table: str, line: int) -> dict[str, Any] | None:
    if isinstance(action, exp.ColumnDef):
        constraints = [c.args.get("kind") for c in action.args.get("constraints") or []]
        not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in constraints)
        default = any(isinstance(k, exp.DefaultColumnConstraint) for k in constraints)
        fk = next((k for k in constraints if isinstance(k, exp.Reference)), None)
        ref = ""
        if fk is not None:
            ref = fk.this.this.name.lower() if isinstance(fk.this, exp.Schema) else getattr(fk.this, "name", "").lower()
        return {"op": "add_column", "table": table, "column": action.name.lower(), "line": line,
                "not_null": not_null, "default": default, "type": _type_name(action.args.get("kind")), "fk": ref}
    if isinstance(action, exp.AlterColumn):
        if action.args.get("dtype") is not None:
            return {"op": "alter_column_type", "table": table, "column": action.name.lower(), "line": line,
                    "type": _type_name(action.args.get("dtype"))}
        if action.args.get("allow_null") is False or "NOT NULL" in action.sql().upper() and "DROP NOT NULL" not in action.sql().upper():
            return {"op": "set_not_null", "table": table, "column": action.name.lower(), "line": line}
        return None
    if isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):  # MySQL MODIFY / CHANGE
        coldef = action.this
        renamed = action.args.get("rename_from")
        column = (renamed.name if renamed is not None else coldef.name).lower()
        if coldef.args.get("kind") is not None:
            return {"op": "alter_column_type", "table": table, "column": column, "line": line, "type": _type_name(coldef.args.get("kind"))}
        return None
    if isinstance(action, exp.RenameColumn):
        return {"op": "rename_column", "table": table, "column": action.this.name.lower(), "line": line}
    if isinstance(action, exp.AlterRename):
        return {"op": "rename_table", "table": table, "line": line}
    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind") or "").upper()
        if kind == "COLUMN" or not kind:
            target = action.this if action.this is not None else next(iter(action.args.get("tables") or []), None)
            return {"op": "drop_column", "table": table, "column": target.name.lower() if target is not None else "", "line": line}
        if kind == "CONSTRAINT":
            return None
    return None


def _create_table(schema: exp.Schema, line: int) -> dict[str, Any]:
    table = schema.this.name.lower()
    columns: list[dict[str, Any]] = []
    pk: list[str] = []
    uniques: list[list[str]] = []
    fks: list[dict[str, Any]] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            name = item.name.lower()
            col = {"name": name, "type": _type_name(item.args.get("kind")), "nullable": True, "line": line}
            for c in item.args.get("constraints") or []:
                k = c.args.get("kind")
                if isinstance(k, exp.PrimaryKeyColumnConstraint):
                    pk.append(name)
                    col["nullable"] = False
                elif isinstance(k, exp.NotNullColumnConstraint):
                    col["nullable"] = False
                elif isinstance(k, exp.UniqueColumnConstraint):
                    uniques.append([name])
                elif isinstance(k, exp.Reference):
                    ref = k.this
                    ref_table = ref.this.name.lower() if isinstance(ref, exp.Schema) else getattr(ref, "name", "").lower()
                    fks.append({"columns": [name], "ref": ref_table})
            columns.append(col)
        elif isinstance(item, exp.PrimaryKey):
            pk.extend(_ident_list(item))
        elif isinstance(item, exp.UniqueColumnConstraint):
            uniques.append(_ident_list(item.this))
        elif isinstance(item, exp.ForeignKey):
            ref = item.args.get("reference")
            ref_table = ""
            if ref is not None and isinstance(ref.this, exp.Schema):
                ref_table = ref.this.this.name.lower()
            fks.append({"columns": [i.name.lower() for i in item.expressions], "ref": ref_table})
        elif isinstance(item, exp.Constraint):
            for sub in item.expressions:
                if isinstance(sub, exp.PrimaryKey):
                    pk.extend(_ident_list(sub))
                elif isinstance(sub, exp.UniqueColumnConstraint):
                    uniques.append(_ident_list(sub.this))
                elif isinstance(sub, exp.ForeignKey):
                    ref = sub.args.get("reference")
                    ref_table = ref.this.this.name.lower() if ref is not None and isinstance(ref.this, exp.Schema) else ""
                    fks.append({"columns": [i.name.lower() for i in sub.expressions], "ref": ref_table})
    for col in columns:
        if col["name"] in pk:
            col["nullable"] = False
    return {"table": table, "line": line, "columns": columns, "pk": pk, "uniques": uniques, "fks": fks, "indexes": []}


def summarize(stmt: Statement, line: int, *, where: str) -> dict[str, Any]:
    tree = stmt.tree
    return {
        "line": line,
        "sql": " ".join(stmt.text.split())[:500],
        "kind": kind_of(tree) if tree is not None else "unparsed",
        "tables": tables_of(tree),
        "parameterised": parameterised(stmt.text, tree),
        "filters": filtered_columns(tree),
        "issues": query_issues(tree),
        "error": stmt.error,
        "where": where,  # "sql-file", "migration-sql", "python"
    }


__all__ = ["Statement", "split", "parse_one", "summarize", "ddl_facts", "query_issues", "sqlglot"]
