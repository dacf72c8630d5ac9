"""Overhead of `pytest --backend-gates` (runtime capture, no coverage) on a real or generated suite.

With `--project DIR`, runs that project's own suite (copy it somewhere writable first) with the
given interpreter (its virtualenv, where backend-gates is installed) and extra pytest arguments.
Without it, generates a suite of a few hundred tests: each calls a FastAPI endpoint through
TestClient that reads and writes SQLite through SQLAlchemy (some list endpoints lazy-load a
relationship).

Plain `pytest` and `pytest --backend-gates` run alternately (interleaved, so machine load hits
both alike) `--runs` times after one warm-up run each. Printed: the medians and the ratio of the
medians of wall time and of CPU time of the pytest process (user + system; on a shared machine
wall time mostly measures other processes' load), and whether every test had the same outcome in
every run of both variants (from JUnit XML). Target: CPU ratio at most 1.10. The static gates
run too unless --no-static is given (their per-file cache is warm after the warm-up run).

    python bench/plugin_overhead.py [--tests 300] [--runs 5] [--keep DIR]
    python bench/plugin_overhead.py --project /tmp/hc --python /tmp/hc/.venv/bin/python \
        --runs 3 -- --ds=hc.settings hc/api/tests
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
from xml.etree import ElementTree

APP = '''
import os

from fastapi import FastAPI
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.pool import StaticPool

engine = create_engine(os.environ.get("BENCH_DB", "sqlite://"), connect_args={"check_same_thread": False}, poolclass=StaticPool)


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


Base.metadata.drop_all(engine)
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


def timed(cmd: list[str], cwd: Path, junit: Path, env: dict[str, str]) -> tuple[float, float, dict[str, str]]:
    """(wall seconds, CPU seconds of the child, outcome per test id)."""
    before = os.times()
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, f"--junitxml={junit}"], cwd=cwd, capture_output=True, text=True, env={**os.environ, **env})
    elapsed = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"pytest failed to run: exit {done.returncode}")
    return elapsed, cpu, outcomes(junit)


def outcomes(junit: Path) -> dict[str, str]:
    """Test id -> passed | failed | error | skipped, from pytest's JUnit XML."""
    out: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        state = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                state = {"failure": "failed"}.get(child.tag, child.tag)
                break
        out[f"{case.get('classname')}::{case.get('name')}"] = state
    junit.unlink()
    return out


def _explained(path: Path) -> str:
    """What the last backend-gates run says about EXPLAIN (DB-INDEX's gate evidence)."""
    import json

    try:
        event = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"no report ({exc})"
    gate = next((g for g in event.get("gates", []) if g.get("id") == "DB-INDEX"), {})
    return json.dumps({k: gate.get(k) for k in ("status", "reason", "evidence") if gate.get(k)})[:600]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tests", type=int, default=300, help="approximate number of tests of the generated suite (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant (default 5)")
    parser.add_argument("--keep", metavar="DIR", help="generate the suite here and keep it")
    parser.add_argument("--project", metavar="DIR", help="run this project's own suite instead of a generated one")
    parser.add_argument("--python", metavar="EXE", default=sys.executable, help="interpreter that runs pytest (default: this one)")
    parser.add_argument("--no-static", action="store_true", help="runtime capture only (--backend-gates-no-static)")
    parser.add_argument("--gates-arg", action="append", default=[], metavar="ARG", help="more arguments for the backend-gates variant only")
    parser.add_argument("--explain", action="store_true", help="backend-gates with EXPLAIN on (runtime.explain; the generated suite then uses a SQLite file)")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments for both variants (selection, settings)")
    args = parser.parse_args()
    if args.project:
        root = Path(args.project).resolve()
    else:
        root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bg-bench-"))
        root.mkdir(parents=True, exist_ok=True)
        build(root, args.tests)
    shared: dict[str, str] = {}
    if args.explain and not args.project:  # EXPLAIN needs a database a second connection can open
        shared["BENCH_DB"] = f"sqlite:///{root / 'bench.sqlite3'}"
    base = [args.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *args.pytest_args]
    report = Path(tempfile.mkdtemp(prefix="bg-bench-out-"))
    variants = {
        "plain": base,
        "backend-gates": base + ["--backend-gates", f"--backend-gates-report={report / 'report.json'}", *args.gates_arg]
        + (["--backend-gates-no-static"] if args.no_static else []),
    }
    envs = {"plain": shared, "backend-gates": {**shared, **({"BACKEND_GATES_RUNTIME_EXPLAIN": "true"} if args.explain else {})}}
    seen: dict[str, list[dict[str, str]]] = {name: [] for name in variants}
    for name, cmd in variants.items():  # warm imports, bytecode and the static-check cache
        seen[name].append(timed(cmd, root, report / "junit.xml", envs[name])[2])
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, cmd in variants.items():  # alternate, so machine load hits both alike
            wall, used, result = timed(cmd, root, report / "junit.xml", envs[name])
            times[name].append(wall)
            cpu[name].append(used)
            seen[name].append(result)
    reference = seen["plain"][0]
    differing = sorted({
        test for runs in seen.values() for result in runs
        for test in set(result) | set(reference) if result.get(test) != reference.get(test)
    })
    counts: dict[str, int] = {}
    for state in reference.values():
        counts[state] = counts.get(state, 0) + 1
    print(f"suite: {len(reference)} tests in {root} ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})")
    for name, values in times.items():
        print(f"{name:>14}: wall median {statistics.median(values):.2f}s  runs {', '.join(f'{v:.2f}' for v in values)}")
        print(f"{'':>14}  cpu  median {statistics.median(cpu[name]):.2f}s  runs {', '.join(f'{v:.2f}' for v in cpu[name])}")
    plain = statistics.median(times["plain"])
    gates = statistics.median(times["backend-gates"])
    cpu_ratio = statistics.median(cpu["backend-gates"]) / statistics.median(cpu["plain"])
    target = "1.20 with EXPLAIN" if args.explain else "1.10"
    print(f"ratio of medians (backend-gates / plain): wall {gates / plain:.3f}, cpu {cpu_ratio:.3f}  (target <= {target})")
    if args.explain:
        explained = _explained(report / "report.json")
        print(f"EXPLAIN: {explained}")
    runs = sum(len(r) for r in seen.values())
    if differing:
        print(f"outcomes: DIFFER in {len(differing)} tests across {runs} runs: {', '.join(differing[:10])}")
    else:
        print(f"outcomes: identical in all {runs} runs (both variants, warm-up included)")
    shutil.rmtree(report, ignore_errors=True)
    if not args.keep and not args.project:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
