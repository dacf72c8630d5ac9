"""The static schema model: tables, columns, keys and indexes from ORM models, `Table(...)`,
`.sql` DDL and migrations (facts recorded in the file phase). Pure Python: no libcst, no sqlglot.

`build(project)` gives one `Schema` with every table definition (`defs`, each tied to a source
and a file position) and per-table merged views (`merged`). Inherited ORM columns (mixins,
abstract models) are resolved by class name across the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# bases that end inheritance without contributing columns
ROOT_BASES = frozenset({
    "Base", "Model", "db.Model", "models.Model", "DeclarativeBase", "SQLModel", "object", "AsyncAttrs",
    "MappedAsDataclass", "DeclarativeBaseNoMeta", "Generic",
})


def index_method(using: str, opclasses: list[str] | tuple[str, ...] = ()) -> str:
    """`btree` (the default), `gin`, `gin:jsonb_path_ops`, `gist:gist_trgm_ops`: indexes with
    different methods or operator classes serve different queries (never duplicates)."""
    method = (using or "btree").lower()
    ops = ",".join(o.lower() for o in opclasses if o)
    return f"{method}:{ops}" if ops else method


@dataclass
class Column:
    name: str
    type: str = ""
    nullable: bool = True
    pk: bool = False
    unique: bool = False
    index: bool = False
    fk: str = ""  # referenced table ('' when none)
    auto_index: bool = False  # the framework creates the index (Django ForeignKey)
    line: int = 0
    attr: str = ""
    index_declined: bool = False  # `db_index=False` / `index=False` written out: a decision, not an omission


@dataclass
class Index:
    columns: list[str]
    unique: bool = False
    name: str = ""
    partial: bool = False
    implicit: bool = False  # from a column flag / PK / unique constraint, not a named index
    auto: bool = False
    line: int = 0
    path: str = ""
    method: str = "btree"  # access method and operator classes (index_method)


@dataclass
class Table:
    name: str
    source: str  # sqlalchemy | django | table | sql | alembic
    path: str
    line: int
    columns: dict[str, Column] = field(default_factory=dict)
    pk: list[str] = field(default_factory=list)
    pk_known: bool = True
    indexes: list[Index] = field(default_factory=list)
    fks: list[tuple[list[str], str]] = field(default_factory=list)
    model: str = ""

    @property
    def orm(self) -> bool:
        return self.source in ("sqlalchemy", "django")

    def index_sets(self) -> list[Index]:
        """Every index the table has: named ones, PK, unique constraints, column flags."""
        out = list(self.indexes)
        if self.pk:
            out.append(Index(list(self.pk), unique=True, name="primary key", implicit=True))
        for col in self.columns.values():
            if col.pk and [col.name] != self.pk:
                continue
            if col.unique and not col.pk:
                out.append(Index([col.name], unique=True, name=f"unique {col.name}", implicit=True, line=col.line))
            elif col.index and not col.pk:
                out.append(Index([col.name], name=f"index on {col.name}", implicit=True, auto=col.auto_index, line=col.line))
        return out

    def indexed_first(self, column: str) -> bool:
        return any(ix.columns and ix.columns[0] == column and not ix.partial for ix in self.index_sets())


@dataclass
class Schema:
    defs: list[Table] = field(default_factory=list)
    merged: dict[str, Table] = field(default_factory=dict)

    def tables(self, name: str) -> list[Table]:
        return [t for t in self.defs if t.name == name]


def build(project: Any) -> Schema:
    schema = Schema()
    classes = _orm_classes(project)
    by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for path, data in classes:
        by_name.setdefault(data["name"], []).append((path, data))
    model_tables = {data["name"]: data["table"] for _p, data in classes if data.get("table")}
    for path, data in classes:
        if data.get("abstract") or not data.get("table"):
            continue
        if data["orm"] == "sqlalchemy" and not data.get("explicit_table"):
            continue
        schema.defs.append(_from_class(path, data, by_name, model_tables))
    for path, data in project.facts("table"):
        schema.defs.append(_from_table_fact(path, data))
    for path, data in project.facts("column"):  # columns added by migrations
        table = next((t for t in schema.defs if t.name == data["table"] and t.source == data.get("source")), None)
        if table is None:
            table = Table(data["table"], data.get("source", ""), path, data["column"].get("line", 0), pk_known=False)
            schema.defs.append(table)
        col = _column(data["column"])
        table.columns.setdefault(col.name, col)
        if col.fk:
            table.fks.append(([col.name], col.fk))
    for path, data in project.facts("index"):
        source = data.get("source", "sql")
        table = next((t for t in schema.defs if t.name == data["table"] and t.source == source), None)
        if table is None:
            table = Table(data["table"], source, path, data.get("line", 0), pk_known=False)
            schema.defs.append(table)
        table.indexes.append(
            Index([c for c in data["columns"]], bool(data.get("unique")), data.get("name", ""), bool(data.get("partial")),
                  line=data.get("line", 0), path=path, method=data.get("method") or "btree")
        )
    for table in schema.defs:
        merged = schema.merged.get(table.name)
        if merged is None:
            merged = Table(table.name, "merged", table.path, table.line, pk_known=table.pk_known)
            schema.merged[table.name] = merged
        for name, col in table.columns.items():
            if name not in merged.columns:
                merged.columns[name] = col
        if table.pk and not merged.pk:
            merged.pk = list(table.pk)
        merged.indexes.extend(table.indexes)
        for col in table.columns.values():
            if col.index or col.unique:
                merged.columns[col.name] = merged.columns[col.name] if merged.columns[col.name].index or merged.columns[col.name].unique else col
        merged.fks.extend(table.fks)
    return schema


def _orm_classes(project: Any) -> list[tuple[str, dict[str, Any]]]:
    return list(project.facts("orm_class"))


def _column(data: dict[str, Any]) -> Column:
    fk = data.get("fk") or ""
    return Column(
        name=data["name"],
        type=data.get("type", ""),
        nullable=bool(data.get("nullable", True)),
        pk=bool(data.get("pk")),
        unique=bool(data.get("unique")),
        index=bool(data.get("index")),
        fk=fk.split(".")[0].lower() if fk and not data.get("fk_model") else fk,
        auto_index=bool(data.get("fk_model")) and bool(data.get("index")),
        line=int(data.get("line", 0)),
        attr=data.get("attr", ""),
        index_declined=bool(data.get("index_declined")),
    )


def _ancestors(data: dict[str, Any], by_name: dict[str, list[tuple[str, dict[str, Any]]]], path: str, seen: set[str]) -> tuple[list[dict[str, Any]], bool]:
    """ORM ancestors of a class (nearest first) and whether every base is known."""
    out: list[dict[str, Any]] = []
    known = True
    for base in data.get("bases", []):
        short = base.rsplit(".", 1)[-1]
        if (base in ROOT_BASES or short in ROOT_BASES) and (base != short or base not in by_name):
            continue  # a bare `Model` / `Base` the project defines itself is looked up (it may add columns)
        candidates = by_name.get(short)
        if not candidates:
            known = False
            continue
        same = [c for c in candidates if c[0] == path]
        parent = (same or candidates)[0][1]
        if parent["name"] in seen:
            continue
        seen.add(parent["name"])
        out.append(parent)
        more, ok = _ancestors(parent, by_name, path, seen)
        out.extend(more)
        known = known and ok
    return out, known


def _from_class(path: str, data: dict[str, Any], by_name: dict[str, Any], model_tables: dict[str, str]) -> Table:
    table = Table(data["table"], "alembic" if data.get("migration") else data["orm"], path, data["line"], model=data["name"])
    ancestors, known = _ancestors(data, by_name, path, {data["name"]})
    concrete_parent = any(not a.get("abstract") and a.get("table") for a in ancestors)
    index_source = _index_source(data, ancestors)
    for source in [data, *ancestors]:
        if source is not data and source.get("table") and not source.get("abstract") and data["orm"] == "django":
            continue  # multi-table inheritance: the parent's columns live in the parent's table
        for raw in source["columns"]:
            col = _column(raw)
            if raw.get("fk_model") and col.fk:
                col.fk = model_tables.get(col.fk, col.fk.lower())
            table.columns.setdefault(col.name, col)
        if data["orm"] == "django" and source is not index_source:
            continue  # Django: Meta.indexes come from one class (a Meta that sets them replaces the parent's)
        for ix in _own_indexes(source, by_name):
            cols = [_field_column(source, c, data) for c in ix["columns"]] if ix.get("fields") else ix["columns"]
            name = ix.get("name", "").replace("%(class)s", data["name"].lower()).replace("%(app_label)s", data.get("app", ""))
            table.indexes.append(Index(cols, bool(ix.get("unique")), name, bool(ix.get("partial")), line=data["line"], path=path,
                                       method=ix.get("method") or "btree"))
        for group in source.get("uniques", []):
            cols = [_field_column(source, c, data) for c in group] if data["orm"] == "django" else group
            table.indexes.append(Index(cols, True, "unique constraint", implicit=True, line=data["line"], path=path))
    table.pk = [c.name for c in table.columns.values() if c.pk]
    if not table.pk:  # `__table_args__ = (PrimaryKeyConstraint(...),)` over inherited columns
        table.pk = next((list(s["pk_constraint"]) for s in [data, *ancestors] if s.get("pk_constraint")), [])
    if data["orm"] == "django":
        if not table.pk:
            if concrete_parent:
                table.pk = [f"{ancestors[0]['name'].lower()}_ptr_id"]
            else:
                table.columns = {"id": Column("id", "AUTOFIELD", False, True), **table.columns}
                table.pk = ["id"]
        table.pk_known = True
    else:
        opaque = any(source.get("opaque") for source in [data, *ancestors])
        table.pk_known = bool(table.pk) or (known and not opaque)
    for col in table.columns.values():
        if col.fk:
            table.fks.append(([col.name], col.fk))
    return table


def _index_source(data: dict[str, Any], ancestors: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The class whose Meta.indexes a Django model uses: its own, else the nearest parent's."""
    for source in [data, *ancestors]:
        if source.get("meta_indexes"):
            return source
    return data


def _own_indexes(source: dict[str, Any], by_name: dict[str, Any]) -> list[dict[str, Any]]:
    """A class's indexes plus those it spreads in from another class (`*Base.Meta.indexes`)."""
    out = list(source.get("indexes", []))
    for name in source.get("index_spreads", []):
        for _p, parent in by_name.get(name, [])[:1]:
            out.extend(ix for ix in parent.get("indexes", []) if ix not in out)
    return out


def _field_column(source: dict[str, Any], field_name: str, data: dict[str, Any]) -> str:
    for raw in [*source["columns"], *data["columns"]]:
        if raw.get("attr", "").lower() == field_name.lower():
            return str(raw["name"])
    return field_name.lower()


def _from_table_fact(path: str, data: dict[str, Any]) -> Table:
    table = Table(data["table"], data.get("source", "sql"), path, data.get("line", 0))
    for raw in data.get("columns", []):
        col = _column({**raw, "fk": ""})
        col.line = col.line or table.line
        table.columns[col.name] = col
    table.pk = [c.lower() for c in data.get("pk", [])]
    for name in table.pk:
        if name in table.columns:
            table.columns[name].pk = True
            table.columns[name].nullable = False
    for group in data.get("uniques", []):
        if len(group) == 1 and group[0] in table.columns:
            table.columns[group[0]].unique = True
        else:
            table.indexes.append(Index(list(group), True, "unique constraint", implicit=True, line=table.line, path=path))
    for fk in data.get("fks", []):
        table.fks.append((list(fk["columns"]), fk.get("ref", "")))
        if len(fk["columns"]) == 1 and fk["columns"][0] in table.columns:
            table.columns[fk["columns"][0]].fk = fk.get("ref", "")
    for ix in data.get("indexes", []):
        table.indexes.append(Index(list(ix["columns"]), bool(ix.get("unique")), ix.get("name", ""), bool(ix.get("partial")), line=table.line, path=path))
    return table


def infer_dialect(project: Any) -> str:
    """Config `db.dialect`, else the database most hinted at by non-test code ('' when unknown)."""
    configured = project.config["db.dialect"]
    if configured:
        return str(configured)
    counts: dict[str, int] = {}
    for _path, hint in project.facts("dialect_hint"):
        if hint.get("test"):
            continue
        counts[hint["dialect"]] = counts.get(hint["dialect"], 0) + 1
    if not counts:
        return ""
    # most files win; ties go to the server database (SQLite is usually the development fallback)
    preference = {"postgres": 0, "mysql": 1, "sqlite": 2}
    return min(counts, key=lambda d: (-counts[d], preference.get(d, 9)))
