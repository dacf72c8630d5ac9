"""DB-NORMAL and DB-INDEX over the static schema model (sql/schema.py): tables without a primary
key, repeating column groups, lists stored in a column, foreign keys without an index, duplicate
and redundant indexes, and columns the project's SQL filters on that no index covers.
"""

from __future__ import annotations

from typing import Any

from ...model import Finding, Location, Severity
from ...sql.schema import Schema, Table, build, infer_dialect
from ..base import Bad, ProjectCheck
from ...patterns import lazy

_NUMBERED = lazy(r"^(?P<stem>[a-z][a-z_]*?)_?(?P<n>\d{1,2})$")
# names that say "several values": `*_ids`, `*_list`, `*_csv`, and plurals of things that are
# usually their own rows (`coupon_codes`, `tag_names`, `recipient_emails`, `roles`)
_LIST_NAME = lazy(
    r"(?:^|_)(?:ids|list|csv|codes|names|tags|emails|phones|phone_numbers|urls|keywords|labels|roles|recipients|categories|skus|slugs|uuids)$"
)
_TEXT_TYPES = ("TEXT", "VARCHAR", "CHAR", "STRING", "UNICODE", "UNICODETEXT", "CHARFIELD", "TEXTFIELD", "NVARCHAR", "CLOB", "MEDIUMTEXT", "LONGTEXT")
MIGRATION_SOURCES = ("alembic", "sql-migration")


SA_BASE = "from sqlalchemy import JSON\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"


def _schema(project: Any) -> Schema:
    cache = project.__dict__.setdefault("_db_schema", {})
    if "schema" not in cache:
        cache["schema"] = build(project)
    return cache["schema"]  # type: ignore[no-any-return]


def _report_defs(schema: Schema) -> list[Table]:
    """Definitions to report on: ORM/DDL definitions of a table; migration ones only when no other exists."""
    out = []
    primary = {t.name for t in schema.defs if t.source in ("sqlalchemy", "django", "table", "sql")}
    for table in schema.defs:
        if table.source in MIGRATION_SOURCES and table.name in primary:
            continue
        if not table.columns:
            continue
        out.append(table)
    return out


def _has_candidate_key(table: Table) -> bool:
    """A unique constraint or index over non-partial columns: a natural key, just not declared PRIMARY."""
    return any(ix.unique and not ix.partial for ix in table.index_sets())


class _SchemaRule(ProjectCheck):
    abstract = True

    def not_evaluated(self, project: Any) -> str | None:
        if not any(project.facts(k) for k in ("orm_class", "table")):
            return "no tables found (ORM models, Table(...), CREATE TABLE, or migrations)"
        return None


class TableWithoutPrimaryKey(_SchemaRule):
    """A table or model without a primary key.

    Why it matters: rows cannot be addressed one by one (updates and deletes hit duplicates),
    replication and most ORMs need one, and it is the first rule of a normalised schema.
    A key may be a column's `primary_key=True` or a table-level `PrimaryKeyConstraint` in
    `__table_args__`; a declarative base defined in the project (`class Model(DeclarativeBase)`,
    `Model = declarative_base()`) adds no column unless its body defines one.
    Known limits: a model whose primary key comes from a base class defined outside the project
    (or from a helper call or a method of the declarative base) is not reported; a table with a
    unique constraint (a natural key not declared PRIMARY) is not reported.
    """

    code = "BG310"
    name = "table-without-primary-key"
    gate = "DB-NORMAL"
    severity = Severity.WARNING
    confidence = "high"
    message = "table `{table}` has no primary key; add one (a surrogate `id` or the natural key)"
    fix = "add a PRIMARY KEY"
    example_path = "schema.sql"
    good = [
        "CREATE TABLE events (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n",
        {"app/models.py": "from sqlalchemy import Column, String\nfrom .base import Base, primary_key\n\n\n"
         "class Event(Base):\n    __tablename__ = 'events'\n    id = primary_key('Event')\n    name = Column(String(20))\n"},
        # a composite key declared as a table-level constraint
        {"app/models.py": "import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
         "class Member(Base):\n    __tablename__ = 'members'\n    team_id = sa.Column(sa.Integer)\n    user_id = sa.Column(sa.Integer)\n"
         "    __table_args__ = (sa.PrimaryKeyConstraint('team_id', 'user_id'),)\n"},
        # a project's declarative root whose method may build the key (`declared_attr`)
        {"app/models.py": "from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column\n\n\n"
         "class Model(DeclarativeBase):\n    @declared_attr\n    def id(cls) -> Mapped[int]:\n        return mapped_column(primary_key=True)\n\n\n"
         "class Event(Model):\n    __tablename__ = 'events'\n    name: Mapped[str]\n"},
    ]
    bad = [
        Bad("CREATE TABLE events (name TEXT NOT NULL, at TIMESTAMP);\n", line=1),
        # the project's own declarative base (any name) adds no column
        Bad({"app/models.py": "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
             "class OrmModel(DeclarativeBase):\n    pass\n\n\nclass Event(OrmModel):\n    __tablename__ = 'events'\n    name: Mapped[str]\n"},
            line=8, path="app/models.py"),
        Bad({"app/models.py": "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import declarative_base\n\nModelBase = declarative_base()\n\n\n"
             "class Event(ModelBase):\n    __tablename__ = 'events'\n    name = Column(String(20))\n"}, line=7, path="app/models.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        out = []
        for table in _report_defs(_schema(project)):
            if table.pk_known and not table.pk and not _has_candidate_key(table):
                out.append(self.make_finding(Location(table.path, table.line), table=table.name))
        return out


class RepeatingColumnGroup(_SchemaRule):
    """Numbered columns (`phone1`, `phone2`, `phone3`): a repeating group in one row.

    Why it matters: first normal form. The fourth phone number needs a migration, queries must
    test every column, and nothing can index "any phone". Move them to a child table.
    Known limits: needs three or more numbered columns with one stem (two are allowed).
    """

    code = "BG311"
    name = "repeating-column-group"
    gate = "DB-NORMAL"
    severity = Severity.WARNING
    confidence = "medium"
    message = "table `{table}` repeats `{stem}` in columns {columns}; move them to a child table ({stems} with a foreign key)"
    fix = "create a child table with one row per value"
    example_path = "schema.sql"
    good = ["CREATE TABLE users (id INT PRIMARY KEY, address_line1 TEXT, address_line2 TEXT);\n"]
    bad = [
        Bad("CREATE TABLE users (\n  id INT PRIMARY KEY,\n  phone1 TEXT,\n  phone2 TEXT,\n  phone3 TEXT\n);\n", line=1),
        # SQLAlchemy 2.0 annotation-only columns
        Bad({"app/models.py": SA_BASE + "class Contact(Base):\n    __tablename__ = 'contacts'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
             "    phone1: Mapped[str]\n    phone2: Mapped[str]\n    phone3: Mapped[str | None]\n"}, line=12, path="app/models.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        out = []
        for table in _report_defs(_schema(project)):
            groups: dict[str, list[tuple[int, Any]]] = {}
            for col in table.columns.values():
                m = _NUMBERED.match(col.name)
                if m and not col.pk:
                    groups.setdefault(m.group("stem").rstrip("_"), []).append((int(m.group("n")), col))
            for stem, cols in groups.items():
                numbers = sorted({n for n, _c in cols})
                if len(numbers) < 3 or numbers[-1] > 20:
                    continue
                first = min(cols, key=lambda nc: nc[0])[1]
                line = first.line or table.line
                names = ", ".join(c.name for _n, c in sorted(cols, key=lambda nc: nc[0]))
                out.append(self.make_finding(Location(table.path, line), table=table.name, stem=stem, stems=_plural(stem), columns=names))
        return out


class ListInColumn(_SchemaRule):
    """A list stored in a text column (`tag_ids TEXT`, `roles VARCHAR`).

    Why it matters: the values cannot be joined, constrained by a foreign key or indexed; every
    reader splits strings. Use a link table (or a native array/JSON type on purpose).
    Known limits: judged by column name and a text type; JSON and array columns are not reported.
    """

    code = "BG312"
    name = "list-in-column"
    gate = "DB-NORMAL"
    severity = Severity.WARNING
    confidence = "medium"
    message = "column `{table}.{column}` ({type}) looks like a list stored as text; use a link table"
    fix = "create a link table (one row per element) with foreign keys"
    example_path = "schema.sql"
    good = [
        "CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, tags JSONB, coupon_codes TEXT[]);\n",
        {"app/models.py": SA_BASE + "class Order(Base):\n    __tablename__ = 'orders'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
         "    tag_ids: Mapped[list[int]] = mapped_column(JSON)\n    name: Mapped[str]\n"},
    ]
    bad = [
        Bad("CREATE TABLE orders (\n  id INT PRIMARY KEY,\n  tag_ids TEXT\n);\n", line=1),
        Bad("CREATE TABLE carts (\n  id INT PRIMARY KEY,\n  coupon_codes VARCHAR(500)\n);\n", line=1),
        # SQLAlchemy 2.0 annotation-only column
        Bad({"app/models.py": SA_BASE + "class Order(Base):\n    __tablename__ = 'orders'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
             "    tag_ids: Mapped[str]\n"}, line=12, path="app/models.py"),
        # SQLModel table
        Bad({"app/models.py": "from sqlmodel import Field, SQLModel\n\n\nclass Post(SQLModel, table=True):\n"
             "    id: int | None = Field(default=None, primary_key=True)\n    category_ids: str = ''\n"}, line=6, path="app/models.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        out = []
        for table in _report_defs(_schema(project)):
            for col in table.columns.values():
                base = col.type.split("(")[0].strip().upper()
                if base in _TEXT_TYPES and _LIST_NAME.search(col.name) and not col.fk:
                    out.append(
                        self.make_finding(Location(table.path, col.line or table.line), table=table.name, column=col.name, type=base)
                    )
        return out


class ForeignKeyWithoutIndex(_SchemaRule):
    """A foreign-key column no index starts with.

    Why it matters: joins and lookups by the parent scan the child table, and deleting a parent
    row scans it too (with locks). PostgreSQL and SQLite do not index foreign keys on their own;
    Django does (unless `db_index=False`) and MySQL/InnoDB does, so those are not reported.
    Known limits: indexes created outside the files read (by hand, in another repository) are
    unknown.
    """

    code = "BG320"
    name = "foreign-key-without-index"
    gate = "DB-INDEX"
    severity = Severity.WARNING
    confidence = "medium"
    message = "foreign key `{table}.{column}` -> {ref} has no index{why}; add `index=True` or CREATE INDEX"
    fix = "index the foreign-key column (CREATE INDEX ... ON child (fk_column))"
    example_path = "schema.sql"
    good = [
        "CREATE TABLE orders (id INT PRIMARY KEY, user_id INT REFERENCES users(id));\nCREATE INDEX ix_orders_user ON orders (user_id);\n",
        # `db_index=False` written out is a decision (a rarely-joined key, an index elsewhere)
        {"shop/models.py": "from django.db import models\n\n\nclass Line(models.Model):\n"
         "    rule = models.ForeignKey('Rule', null=True, on_delete=models.SET_NULL, db_index=False)\n",
         "shop/db.py": "DSN = 'postgresql://localhost/shop'\n"},
        # an association table whose composite key leads with one foreign key and an index on the other
        {"app/models.py": "from app import db\n\nlikes = db.Table(\n    'likes',\n"
         "    db.Column('user_id', db.Integer, db.ForeignKey('users.id'), primary_key=True),\n"
         "    db.Column('post_id', db.Integer, db.ForeignKey('posts.id'), primary_key=True),\n"
         "    db.Index('ix_likes_post', 'post_id'),\n)\n"},
    ]
    bad = [
        Bad("CREATE TABLE orders (\n  id INT PRIMARY KEY,\n  user_id INT REFERENCES users(id)\n);\n", line=1),
        # Flask-SQLAlchemy `db.Table(name, Column, ...)` (no metadata argument): the first column counts too
        Bad({"app/models.py": "from app import db\n\nlikes = db.Table(\n    'likes',\n"
             "    db.Column('user_id', db.Integer, db.ForeignKey('users.id')),\n"
             "    db.Column('post_id', db.Integer, db.ForeignKey('posts.id')),\n"
             "    db.PrimaryKeyConstraint('post_id', 'user_id'),\n)\n"}, line=5, path="app/models.py"),
        # a model's key declared as a table-level ForeignKeyConstraint (PostgreSQL)
        Bad({"app/models.py": SA_BASE + "class Member(Base):\n    __tablename__ = 'members'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
             "    user_id: Mapped[int]\n    __table_args__ = (sa.ForeignKeyConstraint(['user_id'], ['users.id']),)\n",
             "app/db.py": "import sqlalchemy as sa\nDSN = 'postgresql://localhost/app'\n"}, line=12, path="app/models.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        dialect = infer_dialect(project)
        if dialect == "mysql":
            return []
        schema = _schema(project)
        why = " (PostgreSQL does not index foreign keys)" if dialect == "postgres" else ""
        out = []
        reported: set[tuple[str, str]] = set()
        for table in _report_defs(schema):
            merged = schema.merged[table.name]
            for columns, ref in table.fks:
                column = columns[0] if columns else ""
                if not column or (table.name, column) in reported or merged.indexed_first(column):
                    continue
                col = table.columns.get(column)
                if col is not None and col.index_declined:
                    continue  # `db_index=False` / `index=False` written out: the team decided
                reported.add((table.name, column))
                line = (col.line if col else 0) or table.line
                out.append(self.make_finding(Location(table.path, line), table=table.name, column=column, ref=ref or "?", why=why))
        return out


DJANGO_META_BASE = (
    "from django.contrib.postgres.indexes import BTreeIndex, GinIndex\nfrom django.db import models\n\n\n"
    "class WithMetadata(models.Model):\n    metadata = models.JSONField(default=dict)\n\n"
    "    class Meta:\n        abstract = True\n        indexes = [GinIndex(fields=['metadata'], name='%(class)s_meta_idx')]\n\n\n"
)


class DuplicateIndex(_SchemaRule):
    """Two indexes on the same columns, or one that is a prefix of another.

    Why it matters: every index costs on every write and takes space; a duplicate or a left
    prefix of another index serves no query the other cannot. Drop it.
    An exact duplicate (same columns, method and operator classes; a unique constraint counts as
    a B-tree index) is a warning; a B-tree index that is a left prefix of another is info (the
    shorter one is smaller and sometimes chosen on purpose).
    Indexes with different methods or operator classes (GIN `jsonb_ops` vs `jsonb_path_ops`,
    trigram GIN vs B-tree) serve different queries and are never compared. A Django `Meta` that
    sets `indexes` replaces its parent's (spreading `*Base.Meta.indexes` counts them once).
    The index Django adds to a foreign key counts for an exact duplicate (`Meta.indexes` on the
    key alone); a composite index led by the key is not reported against it.
    Known limits: expressions are not compared; partial indexes are not compared; indexes created by migrations are not compared (the history
    drops and recreates them), models and DDL are.
    """

    code = "BG321"
    name = "duplicate-index"
    gate = "DB-INDEX"
    severity = Severity.INFO
    confidence = "high"
    message = "{index} on {table}({columns}) is {how} {other}; drop it"
    fix = "drop the redundant index"
    example_path = "schema.sql"
    good = [
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);\nCREATE INDEX ix_a_b ON t (a, b);\nCREATE INDEX ix_b ON t (b);\n",
        # different operator classes / methods: different indexes
        "CREATE TABLE doc (id INT PRIMARY KEY, body JSONB, title TEXT UNIQUE);\nCREATE INDEX ix_body ON doc USING gin (body);\n"
        "CREATE INDEX ix_body_path ON doc USING gin (body jsonb_path_ops);\nCREATE INDEX ix_title_trgm ON doc USING gin (title gin_trgm_ops);\n",
        # the child's Meta spreads the parent's indexes: counted once
        {"shop/models.py": DJANGO_META_BASE + "class Product(WithMetadata):\n    name = models.CharField(max_length=50)\n\n"
         "    class Meta:\n        indexes = [*WithMetadata.Meta.indexes, BTreeIndex(fields=['name'], name='product_name_idx')]\n"},
        # a unique constraint led by a Django foreign key is not reported against the key's index
        {"shop/models.py": "from django.db import models\n\n\nclass Loan(models.Model):\n"
         "    book = models.ForeignKey('shop.Book', on_delete=models.CASCADE)\n    member = models.CharField(max_length=20)\n\n"
         "    class Meta:\n        constraints = [models.UniqueConstraint(fields=['book', 'member'], name='uniq_loan')]\n"},
    ]
    bad = [
        Bad("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT);\nCREATE INDEX ix_a_b ON t (a, b);\nCREATE INDEX ix_a ON t (a);\n", line=3),
        # `unique=True` already builds a B-tree index; the explicit one duplicates it
        Bad({"shop/models.py": DJANGO_META_BASE + "class Page(WithMetadata):\n    slug = models.SlugField(unique=True)\n\n"
             "    class Meta:\n        indexes = [*WithMetadata.Meta.indexes, BTreeIndex(fields=['slug'], name='page_slug_idx')]\n"},
            line=13, path="shop/models.py"),
        # Django already indexes the foreign key: a Meta index on it alone is a second copy
        Bad({"shop/models.py": "from django.db import models\n\n\nclass Loan(models.Model):\n"
             "    book = models.ForeignKey('shop.Book', on_delete=models.CASCADE)\n\n"
             "    class Meta:\n        indexes = [models.Index(fields=['book'], name='loan_book_idx')]\n"}, line=4, path="shop/models.py"),
    ]

    def run(self, project: Any) -> list[Finding]:
        out = []
        schema = _schema(project)
        for table in schema.defs:
            if table.source in MIGRATION_SOURCES:
                continue  # a migration history drops and recreates indexes: judge the models / DDL
            indexes = [ix for ix in table.index_sets() if ix.columns and not ix.partial]
            for i, ix in enumerate(indexes):
                if ix.implicit and ix.name == "primary key" or ix.auto:
                    continue  # the index Django adds to a foreign key is only ever the "other" one
                for j, other in enumerate(indexes):
                    if i == j:
                        continue
                    if ix.method != other.method:
                        continue  # GIN vs B-tree, jsonb_ops vs jsonb_path_ops: they serve different queries
                    same = ix.columns == other.columns
                    if other.auto and not (same and not ix.unique):
                        continue  # a composite index led by the foreign key is common and harmless
                    prefix = ix.method == "btree" and len(ix.columns) < len(other.columns) and other.columns[: len(ix.columns)] == ix.columns
                    if same:
                        if ix.unique and not other.unique:
                            continue  # the non-unique twin is the redundant one
                        if ix.unique == other.unique and i < j and not other.auto:
                            continue  # of two identical indexes, report the later one (or the one besides Django's)
                    elif not prefix or ix.unique:
                        continue  # a unique prefix enforces something the longer index does not
                    how = "the same as" if same else "a prefix of"
                    path = ix.path or table.path
                    line = ix.line or table.line
                    out.append(
                        self.make_finding(
                            Location(path, line), severity=Severity.WARNING if same else Severity.INFO,
                            index=_index_label(ix), table=table.name,
                            columns=", ".join(ix.columns), how=how,
                            other="the index Django adds to the foreign key" if other.auto else f"{other.name or 'another index'} ({', '.join(other.columns)})",
                        )
                    )
                    break
        return out


class UnindexedFilterColumn(_SchemaRule):
    """A column the project's SQL filters or joins on, with no index in the schema model.

    Why it matters: each such query scans the table; it is fast in tests and slow in production.
    Known limits: only raw SQL the tool read is considered (not ORM queries); tables or indexes
    outside the files read are unknown, so nothing is reported for them.
    """

    code = "BG322"
    name = "unindexed-filter-column"
    gate = "DB-INDEX"
    severity = Severity.INFO
    confidence = "low"
    message = "the query filters on `{table}.{column}`, which no index covers; add an index if the table grows"
    fix = "CREATE INDEX on the filtered column (or a composite index starting with it)"
    example_path = "queries.sql"
    good = ["CREATE TABLE notes (id INT PRIMARY KEY, owner TEXT);\nCREATE INDEX ix_owner ON notes (owner);\nSELECT id FROM notes WHERE owner = ?;\n"]
    bad = [Bad("CREATE TABLE notes (id INT PRIMARY KEY, owner TEXT);\nSELECT id FROM notes WHERE owner = ?;\n", line=2)]

    def run(self, project: Any) -> list[Finding]:
        schema = _schema(project)
        out = []
        for path, stmt in project.facts("sql_statement"):
            if stmt.get("where") not in ("python", "sql-file") or stmt.get("test"):
                continue
            for table_name, column in stmt.get("filters", []):
                table = schema.merged.get(table_name)
                if table is None or column not in table.columns:
                    continue
                if table.indexed_first(column):
                    continue
                out.append(self.make_finding(Location(path, stmt["line"]), table=table_name, column=column))
        return out


def _plural(stem: str) -> str:
    """`phones` for a child table of `phone` columns (`aliases`, `addresses`, `categories`)."""
    if stem.endswith(("s", "x", "z", "ch", "sh")):
        return stem + "es"
    if stem.endswith("y") and stem[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return stem[:-1] + "ies"
    return stem + "s"


def _index_label(ix: Any) -> str:
    """How a finding names an index: its name, or what builds it (`index=True`, `unique=True`)."""
    if not ix.implicit:
        return f"index {ix.name or '(unnamed)'}"
    if ix.name == "primary key":
        return "the primary key's index"
    return "the column's unique index (UNIQUE / `unique=True`)" if ix.name.startswith("unique ") else "the column's index (`index=True` / `db_index=True`)"

