"""The schema rules' messages read as a reviewer would write them: the child table's plural, an
index named by what builds it when it has no name of its own."""

from __future__ import annotations

import json
from pathlib import Path

from support import run_cli, write_tree

MODELS = '''from sqlalchemy import Column, Integer, String, Index
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Device(Base):
    __tablename__ = "device"
    id = Column(Integer, primary_key=True)
    serial = Column(String, index=True)
    __table_args__ = (Index("ix_device_serial", "serial"),)
'''


def _messages(root: Path) -> dict[tuple[str, int], str]:
    done = run_cli("check", "--no-cache", "--no-report", "-f", "json", "--exit-zero", "--select", "BG311,BG321", ".", cwd=root)
    return {(f["rule"], f["line"]): f["message"] for f in json.loads(done.stdout)["findings"]}


def test_plural_child_tables_and_unnamed_indexes(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "schema.sql": "CREATE TABLE u (id INT PRIMARY KEY, alias1 TEXT, alias2 TEXT, alias3 TEXT);\n"
                      "CREATE TABLE c (id INT PRIMARY KEY, category1 TEXT, category2 TEXT, category3 TEXT);\n"
                      "CREATE TABLE p (id INT PRIMARY KEY, phone1 TEXT, phone2 TEXT, phone3 TEXT);\n",
        "app/models.py": MODELS,
    })
    messages = _messages(tmp_path)
    assert "child table (aliases with a foreign key)" in messages[("BG311", 1)]
    assert "child table (categories with a foreign key)" in messages[("BG311", 2)]
    assert "child table (phones with a foreign key)" in messages[("BG311", 3)]
    assert messages[("BG321", 10)].startswith("the column's index (`index=True` / `db_index=True`) on device(serial) is the same as ix_device_serial")
