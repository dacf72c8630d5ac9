"""Schema facts from Python: SQLAlchemy declarative classes and `Table(...)`, Django models,
Alembic migrations (`op.*`, `op.execute` SQL) and Django migrations (operations).

Collectors only record facts; the schema model and the DB-NORMAL / DB-INDEX / DB-MIGRATE rules
live in checks/project/ (cross-file: a model's mixins, a migration's table, the dialect).
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ...sql.schema import index_method
from ..base import FactCollector
from ._cst import (
    body_statements,
    call_name,
    dotted,
    is_false,
    is_true,
    kwarg,
    positional,
    small_statements,
    string,
    strings_of,
    type_text,
)

SA_COLUMN = frozenset({"Column", "mapped_column"})
DJANGO_NO_COLUMN = frozenset({"ManyToManyField", "GenericRelation", "GenericForeignKey"})
DJANGO_FK = frozenset({"ForeignKey", "OneToOneField", "ParentalKey"})
_ACK = "data-loss-ok"


def _line_of(ctx: Any, node: cst.CSTNode) -> int:
    return int(ctx.line(node))


class SchemaFacts(FactCollector):
    """Tables, columns, keys and indexes declared by ORM models and `Table(...)`."""

    # what a model or table declaration must hold: a column or field call (`Column(`,
    # `models.CharField(`, `ForeignKey(`), a `Mapped[` annotation, a base ending in `Model`, a
    # `__tablename__`, a `Table(` call. Not `models.`: tests patch `"app.models.fn"` and import
    # `app.models`, and were parsed for it (81 kB of healthchecks' test files)
    triggers = ("Column", "mapped_column", "Mapped[", "Model)", "Model,", "Table(", "SQLModel", "__tablename__", "Field(", "ForeignKey",
                "ParentalKey", "GenericRelation", "DeclarativeBase", "declarative_base", "generate_base")

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.django = "django" in ctx.source
        self.app = _django_app(ctx.path)
        self.depth = 0
        from ._migrations import is_alembic

        self.migration = is_alembic(ctx)  # classes in a revision are snapshots, not the models
        self.sqlmodel_file = "sqlmodel" in ctx.source
        self.sqlmodel_names: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1
        if self.depth > 1:
            return
        bases = [dotted(b.value) for b in node.bases if dotted(b.value)]
        stmts = small_statements(node.body)
        table = None
        columns: list[dict[str, Any]] = []
        relationships: list[dict[str, Any]] = []
        indexes: list[dict[str, Any]] = []
        uniques: list[list[str]] = []
        orm = ""
        meta: dict[str, Any] = {}
        opaque: list[str] = []  # attributes built by helper calls (may be columns, even the key)
        keys: list[str] = []  # `__table_args__ = (PrimaryKeyConstraint("a", "b"),)`
        foreign: dict[str, str] = {}  # `__table_args__ = (ForeignKeyConstraint(["a"], ["t.id"]),)`
        # SQLModel: `class Hero(SQLModel, table=True)` is a table; its non-table bases hold columns
        table_kw = any(kw.keyword is not None and kw.keyword.value == "table" and is_true(kw.value) for kw in node.keywords)
        sqlmodel = self.sqlmodel_file and (table_kw or any(b.rsplit(".", 1)[-1] == "SQLModel" or b in self.sqlmodel_names for b in bases))
        if sqlmodel:
            self.sqlmodel_names.add(node.name.value)
            orm = "sqlalchemy"
        for small in stmts:
            target, value, annotation = _assignment(small)
            if target is None:
                continue
            if target == "__tablename__":
                table = string(value)
                orm = "sqlalchemy"
                continue
            if target == "__table_args__":
                _table_args(value, indexes, uniques, keys, foreign)
                continue
            if sqlmodel and annotation is not None and not target.startswith("_"):
                field = _sqlmodel_field(self.ctx, target, annotation, value, small)
                if field is not None:
                    columns.append(field)
                elif isinstance(value, cst.Call) and call_name(value) == "Relationship":
                    relationships.append({"attr": target, "target": _annotation_model(annotation), "lazy": _sqlmodel_lazy(value), "uselist": True})
                continue
            if value is None and annotation is not None and not target.startswith("_"):
                mapped_type, _nullable = _annotation_type(annotation)
                if mapped_type and mapped_type in _PY_TYPES.values():  # SQLAlchemy 2.0 `name: Mapped[str]`
                    orm = orm or "sqlalchemy"
                    columns.append(_sa_column(self.ctx, cst.Call(func=cst.Name("mapped_column")), target, annotation, small))
                continue
            if not isinstance(value, cst.Call):
                continue
            name = call_name(value)
            if name in SA_COLUMN:
                orm = orm or "sqlalchemy"
                columns.append(_sa_column(self.ctx, value, target, annotation, small))
            elif name in ("relationship", "relation"):
                target_model = string(positional(value)[0]) if positional(value) else None
                if target_model is None and positional(value):
                    target_model = dotted(positional(value)[0])
                lazy = string(kwarg(value, "lazy")) or ""
                relationships.append({"attr": target, "target": target_model or "", "lazy": lazy, "uselist": not is_false(kwarg(value, "uselist"))})
            elif name in ("column_property", "synonym", "association_proxy", "hybrid_property", "deferred", "backref", "Relationship"):
                continue
            elif not self.django and not target.startswith("_"):
                opaque.append(target)
            elif self.django and name.endswith("Field") or self.django and name in DJANGO_FK:
                field = _django_field(self.ctx, value, target, name, small)
                if field is None:
                    if name in DJANGO_NO_COLUMN:
                        orm = "django"
                        related = string(kwarg(value, "related_name"))
                        relationships.append({"attr": target, "target": _model_ref(value), "lazy": "", "m2m": True, "related_name": related or ""})
                    continue
                orm = "django"
                columns.append(field)
                if name in DJANGO_FK:
                    relationships.append({"attr": target, "target": _model_ref(value), "lazy": "", "fk": True,
                                          "related_name": string(kwarg(value, "related_name")) or ""})
        for stmt in body_statements(node.body):
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta":
                meta = _django_meta(stmt)
        _constraint_columns(columns, keys, foreign)
        if not orm and any(b.rsplit(".", 1)[-1] in _DECLARATIVE_ROOTS for b in bases):
            self._declarative_root(node.name.value, [b for b in bases if b.rsplit(".", 1)[-1] not in _DECLARATIVE_ROOTS],
                                   _root_opaque(node), node)
            return
        if not orm and not (bases and any(b.endswith("Model") for b in bases) and self.django and meta):
            return
        if sqlmodel:
            table = table or (node.name.value.lower() if table_kw else None)
        if orm == "django" or (self.django and any(b.endswith("Model") for b in bases) and not table and not sqlmodel):
            orm = "django"
            indexes.extend(meta.get("indexes", []))
            uniques.extend(meta.get("uniques", []))
            table = meta.get("db_table") or (f"{self.app}_{node.name.value.lower()}" if self.app else node.name.value.lower())
        self.fact(
            "orm_class",
            {
                "name": node.name.value,
                "bases": bases,
                "orm": orm,
                "table": (table or "").lower() or None,
                "explicit_table": bool(table) if orm == "sqlalchemy" else bool(meta.get("db_table")),
                "abstract": bool(meta.get("abstract")) or _sa_abstract(stmts) or (sqlmodel and not table_kw),
                "columns": columns,
                "indexes": indexes,
                "meta_indexes": bool(meta.get("meta_indexes")),
                "index_spreads": meta.get("index_spreads", []),
                "uniques": uniques,
                "relationships": relationships,
                "opaque": opaque,
                "pk_constraint": keys,
                "migration": self.migration,
                "line": _line_of(self.ctx, node),
                "app": self.app,
            },
        )

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        """`Model = declarative_base()` / `registry().generate_base()`: a declarative root with no
        columns of its own (`cls=Mixin` names the class its models inherit from)."""
        if self.depth or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        value = node.value
        if not isinstance(value, cst.Call) or call_name(value) not in ("declarative_base", "generate_base"):
            return
        mixin = kwarg(value, "cls")
        bases = [b for b in [dotted(mixin)] if b] if mixin is not None else []
        self._declarative_root(node.targets[0].target.value, bases, [], node)

    def _declarative_root(self, name: str, bases: list[str], opaque: list[str], node: cst.CSTNode) -> None:
        """A declarative base defined in the project: known, abstract, holding no table; its
        methods (`declared_attr`) may build columns, even the key, so they are opaque."""
        if self.migration:
            return
        self.fact("orm_class", {
            "name": name, "bases": bases, "orm": "sqlalchemy", "table": None, "explicit_table": False, "abstract": True,
            "columns": [], "indexes": [], "meta_indexes": False, "index_spreads": [], "uniques": [], "relationships": [],
            "opaque": opaque, "pk_constraint": [], "migration": False, "line": _line_of(self.ctx, node), "app": self.app, "root": True,
        })

    def visit_Call(self, node: cst.Call) -> None:
        if self.depth or call_name(node) != "Table":
            return
        args = positional(node)
        if len(args) < 2 or string(args[0]) is None:
            return
        # `Table(name, metadata, Column...)`, or Flask-SQLAlchemy's `db.Table(name, Column...)` (no
        # metadata argument): every argument after the name that is a column or constraint counts
        items = args[1:]
        if not any(isinstance(a, cst.Call) and call_name(a) in ("Column", "Index", "PrimaryKeyConstraint") for a in items):
            return
        fact = _table_call(self.ctx, string(args[0]) or "", items, node)
        from ._migrations import is_alembic

        fact["source"] = "alembic" if is_alembic(self.ctx) else "table"  # a migration's snapshot of a table
        self.fact("table", fact)


def _django_app(path: str) -> str:
    parts = path.split("/")
    if len(parts) >= 2 and parts[-1] == "models.py":
        return parts[-2]
    if len(parts) >= 3 and parts[-2] == "models":
        return parts[-3]
    return ""


def _assignment(small: Any) -> tuple[str | None, Any, Any]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value, None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value, small.annotation.annotation
    return None, None, None


def _sa_abstract(stmts: list[Any]) -> bool:
    for small in stmts:
        target, value, _ann = _assignment(small)
        if target == "__abstract__" and is_true(value):
            return True
    return False


_PY_TYPES = {"int": "INTEGER", "str": "STRING", "float": "FLOAT", "bool": "BOOLEAN", "bytes": "BINARY",
             "datetime": "DATETIME", "date": "DATE", "Decimal": "NUMERIC", "dict": "JSON", "list": "JSON", "UUID": "UUID"}


def _annotation_type(annotation: Any) -> tuple[str, bool | None]:
    """Mapped[Optional[str]] -> ('STRING', True)."""
    if annotation is None:
        return "", None
    text = cst.Module([]).code_for_node(annotation)
    m = re.match(r"\s*(?:\w+\.)?Mapped\[(.*)\]\s*$", text)
    if not m:
        return "", None
    inner = m.group(1).strip()
    nullable = False
    opt = re.match(r"(?:typing\.)?Optional\[(.*)\]$", inner)
    if opt:
        inner, nullable = opt.group(1).strip(), True
    if re.search(r"\|\s*None|None\s*\|", inner):
        inner, nullable = re.sub(r"\|\s*None|None\s*\|", "", inner).strip(), True
    base = inner.rsplit(".", 1)[-1]
    return _PY_TYPES.get(base, base.upper()), nullable


def _plain_type(annotation: Any) -> tuple[str, bool, str]:
    """`str | None` -> ('STRING', True, 'str'); `Optional[int]` -> ('INTEGER', True, 'int')."""
    text = cst.Module([]).code_for_node(annotation).strip()
    nullable = False
    opt = re.match(r"(?:typing\.)?Optional\[(.*)\]$", text)
    if opt:
        text, nullable = opt.group(1).strip(), True
    if re.search(r"\|\s*None|None\s*\|", text):
        text, nullable = re.sub(r"\|\s*None|None\s*\|", "", text).strip(), True
    base = text.rsplit(".", 1)[-1]
    return _PY_TYPES.get(base, base.upper()), nullable, text


def _annotation_model(annotation: Any) -> str:
    """`list["Item"]` / `Optional["User"]` / `User | None` -> the model name."""
    text = cst.Module([]).code_for_node(annotation)
    names = [n for n in re.findall(r"[A-Za-z_]\w*", text) if n[:1].isupper() and n not in ("List", "Optional", "Mapped", "None", "Union")]
    return names[-1] if names else ""


def _sqlmodel_lazy(call: cst.Call) -> str:
    args = kwarg(call, "sa_relationship_kwargs")
    if isinstance(args, cst.Dict):
        for element in args.elements:
            if isinstance(element, cst.DictElement) and string(element.key) == "lazy":
                return string(element.value) or ""
    return ""


def _sqlmodel_field(ctx: Any, target: str, annotation: Any, value: Any, node: Any) -> dict[str, Any] | None:
    """A SQLModel column: an annotated attribute (plain default or `Field(...)`), not a Relationship."""
    if isinstance(value, cst.Call) and call_name(value) == "Relationship":
        return None
    col_type, nullable, text = _plain_type(annotation)
    if text.startswith(("ClassVar", "typing.ClassVar", "list[", "List[")):
        return None
    field = value if isinstance(value, cst.Call) and call_name(value) == "Field" else None
    if field is not None and isinstance(kwarg(field, "sa_column"), cst.Call):
        return _sa_column(ctx, kwarg(field, "sa_column"), target, None, node)  # type: ignore[arg-type]
    pk = field is not None and is_true(kwarg(field, "primary_key"))
    fk = (string(kwarg(field, "foreign_key")) or "") if field is not None else ""
    explicit = kwarg(field, "nullable") if field is not None else None
    if explicit is not None:
        nullable = not is_false(explicit)
    return {
        "name": target.lower(), "attr": target, "type": col_type, "nullable": nullable and not pk, "pk": pk,
        "unique": field is not None and is_true(kwarg(field, "unique")),
        "index": field is not None and is_true(kwarg(field, "index")),
        "index_declined": field is not None and is_false(kwarg(field, "index")),
        "fk": fk, "line": _line_of(ctx, node),
    }


def _sa_column(ctx: Any, call: cst.Call, target: str, annotation: Any, node: Any) -> dict[str, Any]:
    args = positional(call)
    name = target
    col_type = ""
    fk = ""
    for arg in args:
        text = string(arg)
        if text is not None:
            name = text
        elif isinstance(arg, cst.Call) and call_name(arg) == "ForeignKey":
            fk = (string(positional(arg)[0]) or "") if positional(arg) else ""
            fk = fk or ((dotted(positional(arg)[0]) or "") if positional(arg) else "")
        elif not col_type:
            col_type = type_text(arg)
    ann_type, ann_nullable = _annotation_type(annotation)
    col_type = col_type or ann_type
    pk = is_true(kwarg(call, "primary_key"))
    nullable_node = kwarg(call, "nullable")
    if nullable_node is not None:
        nullable = not is_false(nullable_node)
    elif ann_nullable is not None:
        nullable = ann_nullable
    else:
        nullable = not pk
    return {
        "name": name.lower(),
        "attr": target,
        "type": col_type,
        "nullable": nullable and not pk,
        "pk": pk,
        "unique": is_true(kwarg(call, "unique")),
        "index": is_true(kwarg(call, "index")),
        "index_declined": is_false(kwarg(call, "index")),
        "fk": fk or "",
        "line": _line_of(ctx, node),
    }


_DECLARATIVE_ROOTS = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})


def _root_opaque(node: cst.ClassDef) -> list[str]:
    """What a declarative root's body may add to every model: its methods and plain attributes
    other than the registry's configuration (`metadata`, `type_annotation_map`, `registry`)."""
    out = []
    for stmt in body_statements(node.body):
        if isinstance(stmt, cst.FunctionDef):
            out.append(stmt.name.value)
    for small in small_statements(node.body):
        target, _value, _ann = _assignment(small)
        if target and not target.startswith("__") and target not in ("metadata", "type_annotation_map", "registry"):
            out.append(target)
    return out


def _constraint_columns(columns: list[dict[str, Any]], keys: list[str], foreign: dict[str, str]) -> None:
    """Table-level constraints applied to the class's own columns (by column or attribute name)."""
    for col in columns:
        names = {col.get("name", ""), col.get("attr", "").lower()}
        if names & set(keys):
            col["pk"], col["nullable"] = True, False
        ref = next((foreign[n] for n in names if n in foreign), "")
        if ref and not col.get("fk"):
            col["fk"] = ref


def _constraint_names(arg: Any) -> list[str]:
    """Column names given to a constraint: strings or attributes (`id`, `cls.id`)."""
    if isinstance(arg, (cst.List, cst.Tuple)):
        return [n for e in arg.elements for n in _constraint_names(e.value)]
    text = string(arg)
    if text is not None:
        return [text.lower()]
    name = dotted(arg)
    return [name.rsplit(".", 1)[-1].lower()] if name else []


def _table_args(value: Any, indexes: list[dict[str, Any]], uniques: list[list[str]], keys: list[str] | None = None,
                foreign: dict[str, str] | None = None) -> None:
    items: list[Any] = []
    if isinstance(value, (cst.Tuple, cst.List)):
        items = [e.value for e in value.elements]
    elif isinstance(value, cst.Call):
        items = [value]
    for item in items:
        if not isinstance(item, cst.Call):
            continue
        name = call_name(item)
        args = positional(item)
        if name == "Index" and args:
            cols = [s for s in (string(a) for a in args[1:]) if s]
            cols += [dotted(a).rsplit(".", 1)[-1] for a in args[1:] if string(a) is None and dotted(a)]
            ops = kwarg(item, "postgresql_ops")
            opclasses = [string(e.value) or "" for e in ops.elements if isinstance(e, cst.DictElement)] if isinstance(ops, cst.Dict) else []
            indexes.append({"name": (string(args[0]) or "").lower(), "columns": [c.lower() for c in cols],
                            "unique": is_true(kwarg(item, "unique")), "partial": kwarg(item, "postgresql_where") is not None or kwarg(item, "sqlite_where") is not None,
                            "method": index_method(string(kwarg(item, "postgresql_using")) or "", opclasses)})
        elif name == "UniqueConstraint":
            cols = [s.lower() for s in (string(a) for a in args) if s]
            if cols:
                uniques.append(cols)
        elif name == "PrimaryKeyConstraint" and keys is not None:
            keys.extend(n for a in args for n in _constraint_names(a))
        elif name == "ForeignKeyConstraint" and foreign is not None and len(args) >= 2:
            refs = strings_of(args[1])
            for i, column in enumerate(_constraint_names(args[0])):
                if i < len(refs):
                    foreign[column] = refs[i]


def _table_call(ctx: Any, table: str, items: list[Any], node: Any) -> dict[str, Any]:
    columns: list[dict[str, Any]] = []
    pk: list[str] = []
    uniques: list[list[str]] = []
    fks: list[dict[str, Any]] = []
    indexes: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, cst.Call):
            continue
        name = call_name(item)
        if name == "Column":
            col = _sa_column(ctx, item, "", None, item)
            if col["pk"]:
                pk.append(col["name"])
            if col["unique"]:
                uniques.append([col["name"]])
            if col["fk"]:
                fks.append({"columns": [col["name"]], "ref": col["fk"].split(".")[0].lower()})
            columns.append(col)
        elif name == "PrimaryKeyConstraint":
            pk.extend(s.lower() for s in (string(a) for a in positional(item)) if s)
        elif name == "UniqueConstraint":
            cols = [s.lower() for s in (string(a) for a in positional(item)) if s]
            if cols:
                uniques.append(cols)
        elif name == "ForeignKeyConstraint":
            args = positional(item)
            if len(args) >= 2:
                refs = strings_of(args[1])
                fks.append({"columns": [c.lower() for c in strings_of(args[0])], "ref": refs[0].split(".")[0].lower() if refs else ""})
        elif name == "Index":
            args = positional(item)
            if args:
                cols = [s.lower() for s in (string(a) for a in args[1:]) if s]
                indexes.append({"name": (string(args[0]) or "").lower(), "columns": cols, "unique": is_true(kwarg(item, "unique")), "partial": False})
    return {"table": table.lower(), "line": _line_of(ctx, node), "columns": columns, "pk": pk, "uniques": uniques, "fks": fks, "indexes": indexes}


def _model_ref(call: cst.Call) -> str:
    args = positional(call)
    node = args[0] if args else kwarg(call, "to")
    if node is None:
        return ""
    text = string(node)
    if text is not None:
        return text.rsplit(".", 1)[-1]
    return dotted(node).rsplit(".", 1)[-1]


def _django_field(ctx: Any, call: cst.Call, target: str, name: str, node: Any) -> dict[str, Any] | None:
    if name in DJANGO_NO_COLUMN:
        return None
    if not (name.endswith("Field") or name in DJANGO_FK):
        return None
    func = dotted(call.func)
    if "." in func and not func.startswith(("models.", "fields.", "django.")) and not func.split(".")[0].endswith("fields"):
        # `forms.CharField`, `serializers.CharField`: not a model column
        return None
    fk = name in DJANGO_FK
    column = string(kwarg(call, "db_column")) or (f"{target}_id" if fk else target)
    pk = is_true(kwarg(call, "primary_key"))
    unique = is_true(kwarg(call, "unique")) or name == "OneToOneField"
    db_index = kwarg(call, "db_index")
    index = is_true(db_index) or (fk and not is_false(db_index))
    return {
        "name": column.lower(),
        "attr": target,
        "type": name.upper(),
        "nullable": is_true(kwarg(call, "null")) and not pk,
        "pk": pk,
        "unique": unique,
        "index": index,
        "index_declined": is_false(db_index),
        "fk": _model_ref(call) if fk else "",
        "fk_model": fk,
        "line": _line_of(ctx, node),
    }


def _django_meta(meta: cst.ClassDef) -> dict[str, Any]:
    out: dict[str, Any] = {"indexes": [], "uniques": []}
    for small in small_statements(meta.body):
        target, value, _ann = _assignment(small)
        if target == "db_table":
            out["db_table"] = string(value)
        elif target == "abstract":
            out["abstract"] = is_true(value)
        elif target in ("unique_together", "index_together"):
            groups = []
            if isinstance(value, (cst.List, cst.Tuple)):
                if value.elements and isinstance(value.elements[0].value, (cst.List, cst.Tuple)):
                    groups = [strings_of(e.value) for e in value.elements]
                else:
                    groups = [strings_of(value)]
            for group in groups:
                if target == "unique_together":
                    out["uniques"].append([g.lower() for g in group])
                else:
                    out["indexes"].append({"name": "", "columns": [g.lower() for g in group], "unique": False, "partial": False, "fields": True})
        elif target in ("indexes", "constraints") and isinstance(value, (cst.List, cst.Tuple)):
            if target == "indexes":
                out["meta_indexes"] = True
            for element in value.elements:
                item = element.value
                if isinstance(element, cst.StarredElement):  # `*Base.Meta.indexes`
                    base = dotted(item)
                    if base.endswith(".Meta.indexes") and target == "indexes":
                        out.setdefault("index_spreads", []).append(base.split(".")[-3])
                    continue
                if not isinstance(item, cst.Call):
                    continue
                fields = strings_of(kwarg(item, "fields")) if kwarg(item, "fields") is not None else []
                if not fields or any(f.startswith("-") for f in fields) and False:
                    continue
                fields = [f.lstrip("-").lower() for f in fields]
                partial = kwarg(item, "condition") is not None
                if call_name(item) == "UniqueConstraint":
                    if not partial:
                        out["uniques"].append(fields)
                elif call_name(item).endswith("Index"):
                    kind = call_name(item).removesuffix("Index").lower()
                    using = {"": "btree", "btree": "btree"}.get(kind, kind)
                    out["indexes"].append({"name": (string(kwarg(item, "name")) or "").lower(), "columns": fields,
                                           "unique": False, "partial": partial, "fields": True,
                                           "method": index_method(using, strings_of(kwarg(item, "opclasses")))})
    return out
