"""DB-PERF: lazy ORM relationship access on the rows of a query, inside a loop (static N+1).

The file phase records attribute accesses on loop variables that iterate an ORM query without
eager loading (`loop_row_access`); here they are matched against the relationships the models
declare (`orm_class` facts), across files.
"""

from __future__ import annotations

from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
from ...patterns import lazy

EAGER_LAZY = frozenset({"joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload", "write_only"})

MODELS = (
    "from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import declarative_base, relationship\n\n"
    "Base = declarative_base()\n\n\nclass User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n"
    "    orders = relationship('Order')\n\n\nclass Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n"
    "    user_id = Column(Integer, ForeignKey('users.id'), index=True)\n"
)


DJANGO_MODELS = (
    "from django.db import models\n\n\nclass Author(models.Model):\n    name = models.CharField(max_length=50)\n\n\n"
    "class Tag(models.Model):\n    name = models.CharField(max_length=50)\n\n\n"
    "class Article(models.Model):\n    draft = models.BooleanField(default=True)\n"
    "    author = models.ForeignKey(Author, null=True, on_delete=models.SET_NULL)\n    tags = models.ManyToManyField(Tag)\n"
)
FLASK_MODELS = (
    "from .extensions import db\n\n\nclass User(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n"
    "    active = db.Column(db.Boolean)\n    orders = db.relationship('Order')\n\n\n"
    "class Order(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n    user_id = db.Column(db.Integer, db.ForeignKey('user.id'), index=True)\n"
)


_OFFLINE = lazy(
    r"(?:^|/)(?:management/commands|tasks?|jobs?|cron|crons|scripts?|workers?|celery|commands|bin|fixtures|seeds?|populate|populatedb|seed_data|(?:random|sample|demo|fake|dummy)_data|fixes|testing|cli)(?:/|\.py$)"
)


def offline_code(path: str) -> bool:
    """Batch code (management commands, tasks, scripts): per-row queries there cost time, not
    request latency, and are often deliberate; the N+1 rules report them as info."""
    return bool(_OFFLINE.search(path))


def _relationships(project: Any) -> dict[str, dict[str, str]]:
    """model name -> {attribute: lazy strategy} for every relationship-like attribute."""
    out: dict[str, dict[str, str]] = {}
    for _path, cls in project.facts("orm_class"):
        rels = out.setdefault(cls["name"], {})
        for rel in cls.get("relationships", []):
            rels[rel["attr"]] = rel.get("lazy", "")
            if cls.get("orm") == "django" and rel.get("target"):
                target = out.setdefault(rel["target"], {})
                reverse = rel.get("related_name") or f"{cls['name'].lower()}_set"
                if reverse != "+" and not reverse.endswith("+"):
                    target.setdefault(reverse, "")
    return out


class LazyRelationshipInLoop(ProjectCheck):
    """An ORM relationship read on each row of a query inside a loop, without eager loading.

    Why it matters: every access loads the related rows with one more query (N+1). Load them
    with the first query: `selectinload`/`joinedload` (SQLAlchemy) or
    `select_related`/`prefetch_related` (Django).
    Not counted: writes to a relation (`row.rel = x`, `row.tags.add(t)`), rows built by
    `bulk_create`/`create` (they carry their relations), rows passed to
    `prefetch_related_objects`, relationships configured eager on the model. In batch code
    (management commands, tasks, scripts) the finding is info.
    A SQLAlchemy `select(Model)` statement held in a name (`stmt = select(User)...`,
    `session.scalars(stmt)`) is followed within its function; a later `stmt = stmt.options(...)`
    with a loader option makes it eager.
    Known limits: the rows must come straight from a query in the loop header or from a name
    assigned from one in the same file; `result = await session.execute(stmt)` is not followed.
    """

    code = "BG361"
    name = "lazy-relationship-in-loop"
    gate = "DB-PERF"
    severity = Severity.WARNING
    confidence = "medium"
    message = "`{var}.{attr}` loads {model}.{attr} lazily for every row (N+1); eager-load it in the query ({hint})"
    fix = "add .options(selectinload(Model.rel)) / joinedload, or select_related()/prefetch_related()"
    example_path = "app/views.py"
    good = [
        {"app/models.py": MODELS, "app/views.py": "from sqlalchemy.orm import selectinload\n\n\ndef totals(db):\n    users = db.query(User).options(selectinload(User.orders)).all()\n    return [len(u.orders) for u in users]\n"},
        # eager loading with a further option chained on the loader
        {"app/models.py": FLASK_MODELS, "app/views.py": "from sqlalchemy.orm import joinedload\n\n\ndef totals():\n"
         "    users = User.query.options(joinedload(User.orders).load_only('id')).all()\n    return [len(u.orders) for u in users]\n"},
        # writes to a relation are not lazy loads: assigning it, or adding to a many-to-many
        {"shop/models.py": DJANGO_MODELS, "shop/views.py": "def tag_all(tag):\n    for article in Article.objects.filter(draft=False):\n"
         "        article.tags.add(tag)\n        article.author = None\n"},
        # objects built by bulk_create carry the relations they were built with
        {"shop/models.py": DJANGO_MODELS, "shop/views.py": "def names(rows):\n    created = Article.objects.bulk_create(rows)\n    return [a.author.name for a in created]\n"},
        # prefetched after the query
        {"shop/models.py": DJANGO_MODELS, "shop/views.py": "from django.db.models import prefetch_related_objects\n\n\ndef names():\n"
         "    articles = Article.objects.filter(draft=False)\n    prefetch_related_objects(articles, 'author')\n    return [a.author.name for a in articles]\n"},
        # a statement held in a name and made eager by a later `.options(...)`
        {"app/models.py": MODELS, "app/views.py": "from sqlalchemy import select\nfrom sqlalchemy.orm import selectinload\n\n\ndef totals(session):\n"
         "    stmt = select(User)\n    stmt = stmt.options(selectinload(User.orders))\n    return [len(u.orders) for u in session.scalars(stmt)]\n"},
    ]
    bad = [
        Bad({"app/models.py": MODELS, "app/views.py": "def totals(db):\n    users = db.query(User).all()\n    return [len(u.orders) for u in users]\n"}, line=3, path="app/views.py"),
        Bad({"shop/models.py": DJANGO_MODELS, "shop/views.py": "def names():\n    return [a.author.name for a in Article.objects.filter(draft=False)]\n"},
            line=2, path="shop/views.py"),
        # Flask-SQLAlchemy `Model.query`
        Bad({"app/models.py": FLASK_MODELS, "app/views.py": "def totals():\n    return [len(u.orders) for u in User.query.filter_by(active=True).all()]\n"},
            line=2, path="app/views.py"),
        # SQLAlchemy 2.0: the `select(Model)` statement held in a name, run by `session.scalars(stmt)`
        Bad({"app/models.py": MODELS, "app/views.py": "from sqlalchemy import select\n\n\ndef totals(session):\n"
             "    stmt = select(User).where(User.active)\n    users = session.scalars(stmt).all()\n    return [len(u.orders) for u in users]\n"},
            line=7, path="app/views.py"),
    ]

    def not_evaluated(self, project: Any) -> str | None:
        if not project.facts("orm_class"):
            return "no ORM models found"
        return None

    def run(self, project: Any) -> list[Finding]:
        rels = _relationships(project)
        orms = {cls["name"]: cls.get("orm", "") for _p, cls in project.facts("orm_class")}
        out = []
        for path, access in project.facts("loop_row_access"):
            model_rels = rels.get(access["model"], {})
            if access["attr"] not in model_rels or model_rels[access["attr"]] in EAGER_LAZY:
                continue
            hint = "select_related/prefetch_related" if orms.get(access["model"]) == "django" else "selectinload/joinedload"
            out.append(
                self.make_finding(Location(path, access["line"]), var=access["var"], attr=access["attr"], model=access["model"], hint=hint,
                                  severity=Severity.INFO if offline_code(path) else None)
            )
        return out
