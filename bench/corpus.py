"""Generate a large, deterministic, realistic backend corpus for benchmarks.

FastAPI + SQLAlchemy, Flask, Django (models, views, DRF serializers/viewsets, migrations) and
plain service modules, with a sprinkling of checklist violations so the rules have work to do.
"""

from __future__ import annotations

import random
from pathlib import Path

ENTITIES = [
    "user", "order", "invoice", "product", "customer", "payment", "shipment", "cart", "review",
    "coupon", "address", "refund", "ticket", "report", "session", "team", "project", "task",
    "comment", "webhook", "subscription", "plan", "device", "event", "audit",
]

FASTAPI_MODEL = '''
class {Cls}(Base):
    __tablename__ = "{name}s"
    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("users.id"), index=True)
    title = Column(String(200), nullable=False)
    status = Column(String(32), default="new")
    amount_cents = Column(Integer, default=0)
    created_at = Column(DateTime, default=datetime.utcnow)
    owner = relationship("User")
'''

FASTAPI_ROUTES = '''

class {Cls}In(BaseModel):
    title: str = Field(max_length=200)
    status: str = "new"
    amount_cents: int = 0


class {Cls}Out({Cls}In):
    id: int


@router.get("/{name}s", response_model=list[{Cls}Out])
def list_{name}s(limit: int = 50, db: Session = Depends(get_db), user=Depends(current_user)):
    rows = {name}_service.list_for(db, user.id, limit=min(limit, 100))
    return [{Cls}Out.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{name}s/{{item_id}}", response_model={Cls}Out)
def get_{name}(item_id: int, db: Session = Depends(get_db), user=Depends(current_user)):
    row = {name}_service.get_for(db, user.id, item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{name} not found")
    return row


@router.post("/{name}s", status_code=201, response_model={Cls}Out)
def create_{name}(payload: {Cls}In, db: Session = Depends(get_db), user=Depends(current_user)):
    try:
        row = {name}_service.create(db, user.id, payload.model_dump())
    except ValueError as exc:
        log.warning("invalid {name}: %s", exc)
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    log.info("audit: {name} %s created by %s", row.id, user.id)
    return row


@router.delete("/{name}s/{{item_id}}", status_code=204)
def delete_{name}(item_id: int, db: Session = Depends(get_db), user=Depends(current_user)):
    {name}_service.delete_for(db, user.id, item_id)
    log.info("audit: {name} %s deleted by %s", item_id, user.id)
'''

SERVICE = '''

def list_for(db, owner_id: int, limit: int = 50):
    stmt = select({Cls}).where({Cls}.owner_id == owner_id).order_by({Cls}.id).limit(limit)
    return list(db.scalars(stmt))


def get_for(db, owner_id: int, item_id: int):
    return db.scalars(select({Cls}).where({Cls}.id == item_id, {Cls}.owner_id == owner_id)).first()


def create(db, owner_id: int, data: dict):
    if not data.get("title"):
        raise ValueError("title required")
    row = {Cls}(owner_id=owner_id, **data)
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def delete_for(db, owner_id: int, item_id: int) -> None:
    row = get_for(db, owner_id, item_id)
    if row is not None:
        db.delete(row)
        db.commit()


def totals(db, owner_id: int) -> dict:
    result = {{}}
    for status in ("new", "paid", "shipped", "cancelled"):
        count = db.execute(
            text("SELECT COUNT(*) FROM {name}s WHERE owner_id = :owner AND status = :status"),
            {{"owner": owner_id, "status": status}},
        ).scalar_one()
        result[status] = count
    return result


def export_rows(db, owner_id: int, columns: list[str]):
    wanted = ", ".join(c for c in columns if c.isidentifier())
    return db.execute(text(f"SELECT {{wanted}} FROM {name}s WHERE owner_id = :owner"), {{"owner": owner_id}}).all()


def normalise_title(title: str) -> str:
    words = [w.strip() for w in title.split() if w.strip()]
    if not words:
        return ""
    first, *rest = words
    return " ".join([first.capitalize(), *[w.lower() for w in rest]])


def summarise(rows) -> dict:
    total = 0
    by_status: dict[str, int] = {{}}
    for row in rows:
        total += row.amount_cents
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return {{"total_cents": total, "by_status": by_status, "count": sum(by_status.values())}}
'''

FLASK_VIEWS = '''

@bp.get("/{name}s")
@login_required
def list_{name}s():
    limit = min(int(request.args.get("limit", 50)), 100)
    with connect() as conn:
        rows = conn.execute(
            "SELECT id, title, status FROM {name}s WHERE owner = ? ORDER BY id LIMIT ?",
            (g.user_id, limit),
        ).fetchall()
    return jsonify([dict(r) for r in rows])


@bp.post("/{name}s")
@login_required
def create_{name}():
    data = {Cls}Schema().load(request.get_json(silent=True) or {{}})
    with connect() as conn:
        cur = conn.execute(
            "INSERT INTO {name}s (owner, title, status) VALUES (?, ?, ?)",
            (g.user_id, data["title"], data.get("status", "new")),
        )
    log.info("audit: {name} %s created", cur.lastrowid)
    return jsonify({{"id": cur.lastrowid}}), 201


@bp.get("/{name}s/<int:item_id>")
@login_required
def get_{name}(item_id: int):
    with connect() as conn:
        row = conn.execute(
            "SELECT id, title, status FROM {name}s WHERE id = ? AND owner = ?", (item_id, g.user_id)
        ).fetchone()
    if row is None:
        abort(404)
    return jsonify(dict(row))


def legacy_search_{name}(term):
    conn = connect()
    try:
        return conn.execute("SELECT id FROM {name}s WHERE title LIKE '%" + term + "%'").fetchall()
    except:
        return []
'''

DJANGO_MODELS = '''

class {Cls}(models.Model):
    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="{name}s")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=32, default="new")
    amount_cents = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title
'''

DJANGO_VIEWS = '''

class {Cls}Serializer(serializers.ModelSerializer):
    class Meta:
        model = {Cls}
        fields = ["id", "title", "status", "amount_cents", "created_at"]
        read_only_fields = ["id", "created_at"]


class {Cls}ViewSet(viewsets.ModelViewSet):
    serializer_class = {Cls}Serializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return {Cls}.objects.filter(owner=self.request.user).select_related("owner")

    def perform_create(self, serializer):
        obj = serializer.save(owner=self.request.user)
        logger.info("audit: {name} %s created by %s", obj.pk, self.request.user.pk)


@login_required
def {name}_report(request):
    rows = {Cls}.objects.filter(owner=request.user).values("status").annotate(n=Count("id"))
    return JsonResponse({{"rows": list(rows)}})
'''

MIGRATION = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [{deps}]

    operations = [
        migrations.AddField(
            model_name="{name}",
            name="note_{i}",
            field=models.CharField(max_length=100, default="", blank=True),
        ),
    ]
'''

HEADER_FASTAPI_MODELS = '''from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()
'''

HEADER_FASTAPI_ROUTES = '''import logging

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..auth import current_user
from ..db import get_db
from ..services import {name}_service

router = APIRouter(prefix="/api/v1", tags=["{name}"])
log = logging.getLogger(__name__)
'''

HEADER_SERVICE = '''from sqlalchemy import select, text

from ..models import {Cls}
'''

HEADER_FLASK = '''import logging

from flask import Blueprint, abort, g, jsonify, request

from ..auth import login_required
from ..db import connect
from ..schemas import {Cls}Schema

bp = Blueprint("{name}", __name__)
log = logging.getLogger(__name__)
'''

HEADER_DJANGO_MODELS = "from django.db import models\n"
HEADER_DJANGO_VIEWS = '''import logging

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import JsonResponse
from rest_framework import permissions, serializers, viewsets

from .models import {Cls}

logger = logging.getLogger(__name__)
'''


def _cls(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def generate(root: Path, target_lines: int = 200_000, seed: int = 7) -> tuple[int, int]:
    """Write the corpus under `root`; return (files, lines)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench-corpus"\nversion = "0"\n')
    files = lines = 0
    service_index = 0
    while lines < target_lines:
        service_index += 1
        svc = root / f"service_{service_index:03d}"
        for kind in ("fastapi", "flask", "django"):
            pkg = svc / kind
            pkg.mkdir(parents=True, exist_ok=True)
            (pkg / "__init__.py").write_text("")
            entities = rng.sample(ENTITIES, k=6)
            for name in entities:
                Cls = _cls(name)
                texts: dict[str, str] = {}
                repeat = rng.randint(2, 4)
                if kind == "fastapi":
                    texts[f"models/{name}.py"] = HEADER_FASTAPI_MODELS + FASTAPI_MODEL.format(Cls=Cls, name=name)
                    texts[f"routes/{name}.py"] = HEADER_FASTAPI_ROUTES.format(name=name) + "".join(
                        FASTAPI_ROUTES.replace("{name}s", "{name}s" + (str(k) if k else "")).format(Cls=Cls + (str(k) if k else ""), name=name)
                        for k in range(repeat)
                    )
                    texts[f"services/{name}_service.py"] = HEADER_SERVICE.format(Cls=Cls) + SERVICE.format(Cls=Cls, name=name) * 1
                elif kind == "flask":
                    texts[f"views/{name}.py"] = HEADER_FLASK.format(Cls=Cls, name=name) + "".join(
                        FLASK_VIEWS.replace("_{name}", "_{name}" + (str(k) if k else "")).format(Cls=Cls, name=name)
                        for k in range(repeat)
                    )
                else:
                    texts[f"{name}/models.py"] = HEADER_DJANGO_MODELS + DJANGO_MODELS.format(Cls=Cls, name=name)
                    texts[f"{name}/views.py"] = HEADER_DJANGO_VIEWS.format(Cls=Cls) + DJANGO_VIEWS.format(Cls=Cls, name=name)
                    for i in range(1, rng.randint(2, 5)):
                        deps = f'("{name}", "{i - 1:04d}_auto")' if i > 1 else ""
                        texts[f"{name}/migrations/{i:04d}_auto.py"] = MIGRATION.format(deps=deps, name=name, i=i)
                for rel, text in texts.items():
                    path = pkg / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    init = path.parent / "__init__.py"
                    if not init.exists():
                        init.write_text("")
                    path.write_text(text)
                    files += 1
                    lines += text.count("\n") + 1
    return files, lines


if __name__ == "__main__":  # pragma: no cover
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/corpus")
    print(generate(out))
