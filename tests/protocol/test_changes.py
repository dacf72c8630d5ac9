"""`backend-gates changes --base REF`: Markdown naming the endpoints and schema changes since REF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from support import FIXTURES, run_cli

MODEL = '''from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"

    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)
'''

MIGRATION = '''"""items: price

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("items", sa.Column("price", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "price")
'''

ENDPOINT = '''

@app.get("/api/v1/items/{item_id}")
def get_item(item_id: int, include_stock: bool = False) -> dict[str, object]:
    return ITEMS[item_id - 1]
'''


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "contract_fastapi", root)
    (root / "app" / "models.py").write_text(MODEL)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    with (root / "app" / "main.py").open("a") as handle:
        handle.write(ENDPOINT)
    (root / "app" / "models.py").write_text(MODEL + '    price = Column(Integer, nullable=True)\n')
    (root / "alembic" / "versions").mkdir(parents=True)
    (root / "alembic" / "versions" / "0002_item_price.py").write_text(MIGRATION)
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "feature")
    return root


def test_added_endpoint_and_column_are_named(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    done = run_cli("changes", "--base", "main", "--no-cache", cwd=root)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("# Backend changes since `main`")
    added = text.split("### Added", 1)[1].split("##", 1)[0]
    assert "| GET | `/api/v1/items/{item_id}` | none | `item_id: int`, `include_stock: bool` |" in added
    assert "get_item" in added and added.count("| GET |") == 1  # only the new endpoint
    assert "- table `items`: column added: `price` (INTEGER)" in text or "column added: `price`" in text
    assert "`alembic/versions/0002_item_price.py`" in text.split("### Migrations added", 1)[1]
    assert "### Removed" not in text and "### Changed" not in text
    # the working tree is untouched and --output writes the same Markdown
    done = run_cli("changes", "--base", "main", "--no-cache", "--output", "docs/backend-changes.md", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "docs" / "backend-changes.md").read_text() == text
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert status.strip().splitlines() == ["?? docs/"]


def test_unknown_base_is_a_usage_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    done = run_cli("changes", "--base", "no-such-ref", "--no-cache", cwd=root)
    assert done.returncode == 2
    assert "no-such-ref" in done.stderr
