"""Speed of backend-gates against bandit, measured the way users feel it. Nothing here asserts.

    python bench/speed.py --path ~/src/healthchecks                 # cold + one file + warm, vs bandit
    python bench/speed.py --path ~/src/healthchecks --file hc/api/views.py
    python bench/speed.py --lsp                                      # language server on a generated file
    python bench/speed.py --path ~/src/saleor --only warm            # warm re-run of a huge tree

Every figure is a whole process as a user runs it (`backend-gates check`, `bandit`), wall clock and
CPU (user + system of the process and its workers), median over `--repeat` runs. backend-gates and
bandit runs are interleaved (A B A B ...) so a change in machine load hits both alike; the ratios
are what to compare across machines. The language-server figures come from a real JSON-RPC client
over stdio: `didOpen` to the first published diagnostics, and `didChange` (one edit, then waiting
for that version's diagnostics, debounce included) on a generated 1,500-line file.

Results are printed as a table and written to bench/out/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent


def _exe(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The user's environment as a user has it: bytecode caching on (a CI or sandbox setting of
    PYTHONDONTWRITEBYTECODE would make every run compile this package again, about 0.3 s)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra or {})
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and every worker it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment(env), check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def interleaved(a: Callable[[], tuple[float, float]], b: Callable[[], tuple[float, float]], repeat: int) -> dict[str, float]:
    """Medians of A and B run alternately, and B/A... reported as A over B (below 1: A is faster)."""
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(repeat):
        ours.append(a())
        theirs.append(b())
    wall_a = statistics.median(w for w, _c in ours)
    cpu_a = statistics.median(c for _w, c in ours)
    wall_b = statistics.median(w for w, _c in theirs)
    cpu_b = statistics.median(c for _w, c in theirs)
    return {
        "backend_gates_wall_s": round(wall_a, 3),
        "backend_gates_cpu_s": round(cpu_a, 3),
        "bandit_wall_s": round(wall_b, 3),
        "bandit_cpu_s": round(cpu_b, 3),
        "wall_ratio": round(wall_a / wall_b, 2),
        "cpu_ratio": round(cpu_a / cpu_b, 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def count_lines(root: Path) -> int:
    total = 0
    for path in root.rglob("*.py"):
        if not any(part in (".venv", "venv", "node_modules", ".git") for part in path.parts):
            with open(path, "rb") as handle:
                total += handle.read().count(b"\n")
    return total


def cold(root: Path, jobs: int, repeat: int) -> dict[str, Any]:
    cache = Path(tempfile.mkdtemp(prefix="bg-speed-cache-"))
    ours = [_exe("backend-gates"), "check", ".", "--no-cache", "--exit-zero", "--jobs", str(jobs), "-f", "json", "-o", os.devnull]
    theirs = [_exe("bandit"), "-r", ".", "-q", "-f", "json", "-o", os.devnull, "-x", "./.venv,./venv,./node_modules"]
    out = interleaved(lambda: run(ours, root, {"BACKEND_GATES_CACHE_DIR": str(cache)}), lambda: run(theirs, root), repeat)
    shutil.rmtree(cache, ignore_errors=True)
    return {"lines": count_lines(root), "jobs": jobs, **out}


def one_file(root: Path, rel: str, repeat: int) -> dict[str, Any]:
    """What pre-commit does: the project's cache is warm (an earlier run), the named file has just
    been edited (a new comment line before every run, so its own result cannot come from the
    cache) and is checked alone. The main figure appends the comment at the end (the file's facts
    stay as they were: the project rules' stored outcome holds); `edited_mid_file` inserts it
    before a top-level statement in the middle, which moves the lines of every fact after it, so
    the project rules run again, as after most real edits. `no_cache` is the same file with
    `--no-cache`, where a partial run must first compute every other file's facts."""
    cache = Path(tempfile.mkdtemp(prefix="bg-speed-cache-"))
    env = {"BACKEND_GATES_CACHE_DIR": str(cache / "cache")}
    target = root / rel
    original = target.read_bytes()
    ours = [_exe("backend-gates"), "check", rel, "--exit-zero", "-f", "json", "-o", os.devnull]
    theirs = [_exe("bandit"), "-q", "-f", "json", "-o", os.devnull, rel]
    edits = iter(range(1_000_000))
    middle = _middle_statement(original)

    def edited() -> tuple[float, float]:
        with open(target, "ab") as handle:
            handle.write(b"# edited %d\n" % next(edits))
        return run(ours, root, env)

    def edited_mid_file() -> tuple[float, float]:
        lines = target.read_bytes().splitlines(keepends=True)
        lines.insert(middle, b"# edited %d\n" % next(edits))
        target.write_bytes(b"".join(lines))
        return run(ours, root, env)

    try:
        run([_exe("backend-gates"), "check", ".", "--exit-zero", "-f", "json", "-o", os.devnull], root, env)  # the warm project cache
        warm_cache = interleaved(edited, lambda: run(theirs, root), repeat)
        mid_file = interleaved(edited_mid_file, lambda: run(theirs, root), repeat)
        no_cache = interleaved(lambda: run(ours + ["--no-cache"], root), lambda: run(theirs, root), max(1, repeat // 2))
        floor = {
            name: interleaved(lambda code=code: run([sys.executable, "-c", code, rel], root), lambda: run(theirs, root), repeat)
            for name, code in _FLOORS.items()
        }
    finally:
        target.write_bytes(original)
        shutil.rmtree(cache, ignore_errors=True)
    return {"file": rel, "lines": original.count(b"\n"), **warm_cache, "edited_mid_file": mid_file, "no_cache": no_cache, "floor": floor}


# What any libcst-based run of one file costs before a single rule runs: the interpreter, libcst's
# import, and the parse of the file (the one-file target is 0.7x bandit's wall on the same file)
_FLOORS = {
    "interpreter": "pass",
    "import_libcst": "import libcst",
    "import_libcst_and_parse": "import sys, libcst; libcst.parse_module(open(sys.argv[1], 'rb').read())",
}


def _middle_statement(source: bytes) -> int:
    """The 0-based line of the first top-level statement starting after the file's middle line
    (a comment line inserted there is valid Python); the end of the file if there is none."""
    import ast

    lines = source.count(b"\n")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return lines
    starts = [min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) for n in tree.body]
    return next((s - 1 for s in starts if s > lines // 2), lines)


def warm(root: Path, jobs: int, repeat: int) -> dict[str, Any]:
    cache = Path(tempfile.mkdtemp(prefix="bg-speed-cache-"))
    env = {"BACKEND_GATES_CACHE_DIR": str(cache / "cache")}
    cmd = [_exe("backend-gates"), "check", ".", "--exit-zero", "--jobs", str(jobs), "-f", "json", "-o", os.devnull]
    first = run(cmd, root, env)
    times = [run(cmd, root, env) for _ in range(repeat)]
    shutil.rmtree(cache, ignore_errors=True)
    return {
        "lines": count_lines(root),
        "first_run_wall_s": round(first[0], 2),
        "warm_wall_s": round(statistics.median(w for w, _c in times), 3),
        "warm_cpu_s": round(statistics.median(c for _w, c in times), 3),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


# ----------------------------------------------------------------------------- language server
_BLOCK = '''

@router.get("/items{n}/{{item_id}}")
async def read_item_{n}(item_id: int, db: Session = Depends(get_db)) -> dict:
    """Read one item."""
    item = db.query(Item).filter(Item.id == item_id).first()
    if item is None:
        raise HTTPException(status_code=404, detail="not found")
    return {{"id": item.id, "name": item.name}}


@router.post("/items{n}", status_code=201)
def create_item_{n}(payload: ItemIn, db: Session = Depends(get_db)) -> dict:
    digest = hashlib.sha256(payload.name.encode()).hexdigest()
    try:
        row = Item(name=payload.name, digest=digest)
        db.add(row)
        db.commit()
    except ValueError:
        db.rollback()
        raise
    for tag in payload.tags:
        db.add(Tag(item_id=row.id, name=tag))
    response = requests.get(f"https://api.example.com/check/{{row.id}}", timeout=5)
    return {{"id": row.id, "ok": response.ok}}


class Item{n}Service:
    def __init__(self, db: Session) -> None:
        self.db = db

    def total(self) -> int:
        return sum(i.price for i in self.db.query(Item).all() if i.price)
'''

_HEAD = '''"""A generated API module for timing the language server."""
import hashlib

import requests
from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from .db import Item, ItemIn, Tag, get_db

router = APIRouter()
'''


def generated_module(lines: int) -> str:
    text = _HEAD
    n = 0
    while text.count("\n") < lines:
        text += _BLOCK.format(n=n)
        n += 1
    return text


class _Client:
    """A minimal LSP client: Content-Length framing over the server's stdio."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [_exe("backend-gates"), "lsp"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_environment()
        )
        self.inbox: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.ids = 0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline().strip()):
                key, _, value = line.decode("ascii").partition(":")
                if key.lower() == "content-length":
                    length = int(value)
            if not length:
                return
            message = json.loads(stream.read(length))
            with self.cond:
                self.inbox.append(message)
                self.cond.notify_all()

    def cpu(self) -> float:
        """CPU seconds the server process has used so far (Linux /proc; 0.0 elsewhere). On a
        loaded machine the wall latency grows with the load; the server's own CPU per edit does
        not, and is what the latency comes down to on an idle machine."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def send(self, method: str, params: Any, request: bool = False) -> int:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.ids += 1
            body["id"] = self.ids
        data = json.dumps(body).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.proc.stdin.flush()
        return self.ids

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for index, message in enumerate(self.inbox):
                    if match(message):
                        return self.inbox.pop(index)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no answer from the language server")
                self.cond.wait(left)


def lsp(lines: int, edits: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bg-speed-lsp-"))
    (root / "app").mkdir()
    (root / "pyproject.toml").write_text('[tool.backend-gates]\npaths = ["app"]\n')
    (root / "app" / "__init__.py").write_text("")
    text = generated_module(lines)
    target = root / "app" / "api.py"
    target.write_text(text)
    uri = target.as_uri()
    client = _Client(root)
    try:
        init = client.send("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}, request=True)
        client.wait(lambda m: m.get("id") == init)
        client.send("initialized", {})

        def published(version: int | None) -> Callable[[dict[str, Any]], bool]:
            def match(message: dict[str, Any]) -> bool:
                if message.get("method") != "textDocument/publishDiagnostics" or message["params"]["uri"] != uri:
                    return False
                return version is None or message["params"].get("version") in (version, None)

            return match

        time.sleep(2.0)  # an editor opens files a moment after `initialized`: the warm-up's time
        cpu0 = client.cpu()
        start = time.perf_counter()
        client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
        client.wait(published(None))
        open_ms = (time.perf_counter() - start) * 1000
        open_cpu_ms = (client.cpu() - cpu0) * 1000
        changes = []
        change_cpu = []
        for version in range(2, edits + 2):
            text = text.replace("timeout=5", f"timeout={version}", 1) if version % 2 else text + f"\n# edit {version}\n"
            time.sleep(0.2)
            cpu0 = client.cpu()
            start = time.perf_counter()
            client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
            client.wait(published(version))
            changes.append((time.perf_counter() - start) * 1000)
            change_cpu.append((client.cpu() - cpu0) * 1000)
        done = client.send("shutdown", None, request=True)
        client.wait(lambda m: m.get("id") == done)
        client.send("exit", None)
    finally:
        try:
            client.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            client.proc.kill()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "file_lines": text.count("\n"),
        "open_to_diagnostics_ms": round(open_ms),
        "open_server_cpu_ms": round(open_cpu_ms),
        "change_to_diagnostics_median_ms": round(statistics.median(changes)),
        "change_server_cpu_median_ms": round(statistics.median(change_cpu)),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "change_to_diagnostics_max_ms": round(max(changes)),
        "edits": edits,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, help="a project directory to time (cold, one file, warm)")
    parser.add_argument("--file", help="the one-file run's file, relative to --path (default: the Python file nearest 1,000 lines)")
    parser.add_argument("--only", choices=("cold", "file", "warm", "lsp"), action="append", help="run only these parts")
    parser.add_argument("--lsp", action="store_true", help="also time the language server")
    parser.add_argument("--lsp-lines", type=int, default=1500)
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    parts = set(args.only or (["cold", "file", "warm"] if args.path else []) + (["lsp"] if args.lsp else []))
    results: dict[str, Any] = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    if args.path:
        root = args.path.resolve()
        results["project"] = str(root)
        if "cold" in parts:
            results["cold"] = cold(root, args.jobs, args.repeat)
        if "file" in parts:
            rel = args.file or _file_near(root, 1000)
            results["one_file"] = one_file(root, rel, args.repeat)
        if "warm" in parts:
            results["warm"] = warm(root, args.jobs, args.repeat)
    if "lsp" in parts:
        results["lsp"] = lsp(args.lsp_lines, args.edits)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "speed.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


def _file_near(root: Path, lines: int) -> str:
    best: tuple[int, str] | None = None
    for path in root.rglob("*.py"):
        if any(part in (".venv", "venv", "node_modules", ".git", "migrations", "tests") for part in path.parts):
            continue
        with open(path, "rb") as handle:
            count = handle.read().count(b"\n")
        score = abs(count - lines)
        if best is None or score < best[0]:
            best = (score, path.relative_to(root).as_posix())
    if best is None:
        raise SystemExit("no Python file found under --path")
    return best[1]


if __name__ == "__main__":
    sys.exit(main())
