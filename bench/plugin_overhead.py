"""Overhead of `pytest --backend-gates` (runtime capture, no coverage) on a suite doing real work.

Generates a suite of a few hundred tests: each calls a FastAPI endpoint through TestClient that
reads and writes SQLite through SQLAlchemy (some list endpoints lazy-load a relationship), then
runs plain `pytest` and `pytest --backend-gates` alternately several times and prints the ratio
of the medians: wall time, and CPU time of the pytest process (user + system; on a shared machine
wall time mostly measures other processes' load). Target: under 1.15. The static gates run too
unless --no-static is given (their per-file cache is warm after the first run).

    python bench/plugin_overhead.py [--tests 300] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = '''
from fastapi import FastAPI
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


Base.metadata.create_all(engine)
with Session(engine) as s:
    for i in range(20):
        s.add(Author(name=f"a{i}", books=[Book(title=f"b{i}-{j}") for j in range(3)]))
    s.commit()

app = FastAPI()


@app.get("/authors/{author_id}")
def get_author(author_id: int):
    with Session(engine) as s:
        a = s.get(Author, author_id)
        return {"name": a.name, "books": [b.title for b in a.books]}


@app.post("/authors")
def add_author(name: str):
    with Session(engine) as s:
        a = Author(name=name)
        s.add(a)
        s.commit()
        return {"id": a.id}


@app.get("/authors")
def list_authors():
    with Session(engine) as s:
        return [{"name": a.name, "books": len(a.books)} for a in s.scalars(select(Author).limit(8))]
'''

TEST_MODULE = '''
import pytest
from fastapi.testclient import TestClient

from benchapp import app

client = TestClient(app)


@pytest.mark.parametrize("i", range({per_module}))
def test_get(i):
    assert client.get(f"/authors/{{i % 20 + 1}}").status_code == 200


@pytest.mark.parametrize("i", range({per_module}))
def test_post(i):
    assert client.post("/authors", params={{"name": f"n{{i}}"}}).status_code == 200


@pytest.mark.parametrize("i", range({lists}))
def test_list(i):
    assert len(client.get("/authors").json()) == 8
'''


def build(root: Path, tests: int) -> None:
    (root / "benchapp.py").write_text(APP)
    (root / "pyproject.toml").write_text('[tool.backend-gates]\npaths = ["benchapp.py"]\n')
    modules = max(1, tests // 100)
    per_module = 40
    lists = max(1, 100 - 2 * per_module)
    for index in range(modules):
        (root / f"test_bench_{index}.py").write_text(TEST_MODULE.format(per_module=per_module, lists=lists))


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child)."""
    before = os.times()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"pytest failed to run: exit {done.returncode}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300, help="approximate number of tests (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant (default 5)")
    parser.add_argument("--keep", metavar="DIR", help="generate the suite here and keep it")
    parser.add_argument("--no-static", action="store_true", help="runtime capture only (--backend-gates-no-static)")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bg-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    build(root, args.tests)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    variants = {
        "plain": base,
        "backend-gates": base + ["--backend-gates"] + (["--backend-gates-no-static"] if args.no_static else []),
    }
    for cmd in variants.values():  # warm imports, bytecode and the static-check cache
        timed(cmd, root)
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, cmd in variants.items():  # alternate, so machine load hits both alike
            wall, used = timed(cmd, root)
            times[name].append(wall)
            cpu[name].append(used)
    plain = statistics.median(times["plain"])
    gates = statistics.median(times["backend-gates"])
    collected = subprocess.run(base + ["--collect-only", "-q"], cwd=root, capture_output=True, text=True).stdout
    count = sum(int(line.rsplit(":", 1)[1]) for line in collected.splitlines() if line.rstrip()[-1:].isdigit() and ": " in line)
    print(f"suite: {count} tests in {root}")
    for name, values in times.items():
        print(f"{name:>14}: wall median {statistics.median(values):.2f}s  runs {', '.join(f'{v:.2f}' for v in values)}")
        print(f"{'':>14}  cpu  median {statistics.median(cpu[name]):.2f}s  runs {', '.join(f'{v:.2f}' for v in cpu[name])}")
    cpu_ratio = statistics.median(cpu["backend-gates"]) / statistics.median(cpu["plain"])
    print(f"ratio of medians (backend-gates / plain): wall {gates / plain:.3f}, cpu {cpu_ratio:.3f}  (target < 1.15)")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
