"""One schema written as SQLAlchemy models, Django models and SQL DDL gives one schema model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend_gates.sql.schema import build
from support import FIXTURES, run_engine, run_static

ROOT = FIXTURES / "schema_shop"


def picture(sub: str) -> dict[str, Any]:
    _report, project = run_static(ROOT, paths=[sub], project_paths=[sub])  # three projects side by side
    schema = build(project)
    return {
        name: {
            "columns": sorted((c.name, c.nullable) for c in table.columns.values()),
            "pk": table.pk,
            "fks": sorted((tuple(cols), ref) for cols, ref in table.fks),
            "indexes": sorted({(tuple(ix.columns), ix.unique) for ix in table.index_sets() if not ix.partial}),
        }
        for name, table in schema.merged.items()
    }


def test_sqlalchemy_django_and_sql_agree() -> None:
    sa, dj, sql = picture("sqlalchemy"), picture("django"), picture("sql")
    assert set(sa) == {"customers", "orders", "order_items"}
    assert sa == dj
    assert sa == sql
    orders = sa["orders"]
    assert orders["pk"] == ["id"]
    assert orders["fks"] == [(("customer_id",), "customers")]
    assert (("customer_id",), False) in orders["indexes"]
    assert (("status", "total_cents"), False) in orders["indexes"]
    assert (("sku", "order_id"), True) in sa["order_items"]["indexes"]
    assert ("name", True) in sa["customers"]["columns"] and ("email", False) in sa["customers"]["columns"]


def test_the_three_sources_are_clean() -> None:
    report = run_engine(ROOT)
    assert [f for f in report.findings if f.code.startswith("BG3")] == []


def test_inherited_columns_and_unknown_bases(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "from sqlalchemy import Column, Integer, String\nfrom sqlalchemy.orm import declarative_base\n"
        "from shared.mixins import AuditMixin\n\nBase = declarative_base()\n\n\n"
        "class IdMixin:\n    id = Column(Integer, primary_key=True)\n\n\n"
        "class Tag(IdMixin, Base):\n    __tablename__ = 'tags'\n    label = Column(String(20))\n\n\n"
        "class Note(AuditMixin, Base):\n    __tablename__ = 'notes'\n    body = Column(String(20))\n"
    )
    report, project = run_static(tmp_path)
    schema = build(project)
    assert schema.merged["tags"].pk == ["id"]
    assert not schema.merged["notes"].pk_known  # its key may come from a base defined elsewhere
    assert [f for f in report.findings if f.code == "BG310"] == []
