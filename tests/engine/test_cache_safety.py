"""The cache is validated before use and never decides a verdict: wrong shapes, poisoned or
foreign files, paths it did not write, transient failures, concurrent runs, SIGKILL half-way and
a cache path that is a file all leave the results correct, and the next run recovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import run_cli, write_tree

BAD_EXCEPT = "def handler():\n    try:\n        work()\n    except:\n        pass\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", **{f"app/m{i}.py": BAD_EXCEPT for i in range(12)}})
    return tmp_path


def findings(root: Path, *args: str) -> tuple[int, list[tuple[str, str]], str]:
    done = run_cli("check", "-f", "json", *args, cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    data = json.loads(done.stdout)
    return done.returncode, sorted((f["path"], f["rule"]) for f in data["findings"]), done.stderr


def cache_files(root: Path) -> list[Path]:
    return sorted((root / ".backend-gates" / "cache").glob("cache-*.json"))


def test_warm_run_replays_the_same_findings(tree: Path) -> None:
    cold = findings(tree)
    assert cache_files(tree)
    assert findings(tree) == cold
    assert len(cold[1]) == 12 and cold[0] == 1


@pytest.mark.parametrize("body", ['{"format": 3, "files": [], "meta": 7}', "[1, 2, 3]", '{"format": 3, "files": {"app/m0.py": {"hash": 1}}}', "", "\x00\x01garbage"])
def test_wrong_shape_or_garbage_is_discarded_and_rebuilt(tree: Path, body: str) -> None:
    expected = findings(tree)
    for path in cache_files(tree):
        path.write_text(body)
    assert findings(tree) == expected
    assert findings(tree) == expected  # rebuilt cache works too


def test_poisoned_cache_with_emptied_results_is_not_trusted(tree: Path) -> None:
    """A cache restored from elsewhere, its results emptied but its hashes kept."""
    expected = findings(tree)
    for path in cache_files(tree):
        header, _, body = path.read_bytes().partition(b"\n")
        data = json.loads(body)
        for entry in data["files"].values():
            entry["result"]["findings"] = []
        data["meta"].pop("project", None)
        path.write_bytes(header + b"\n" + json.dumps(data).encode())
    code, found, _ = findings(tree)
    assert (code, found) == expected[:2]


def test_forged_entry_naming_paths_outside_the_project_is_never_read(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Even a cache that verifies (written with the right key) cannot make the tool read a path
    it did not choose: dependency paths outside the project make the entry stale, unread."""
    from backend_gates import cache_guard
    from backend_gates.config import load_config
    from backend_gates.engine import Cache

    expected = findings(tree)
    fifo = tmp_path_factory.mktemp("elsewhere") / "trap.yaml"
    os.mkfifo(fifo)  # reading it would hang the run
    config = load_config(tree)
    cache = Cache(config, True)
    [path] = cache_files(tree)
    assert path == cache.path
    data = cache_guard.load(path, cache.key, Cache.FORMAT)
    assert data is not None
    for entry in data["files"].values():
        entry["deps"] = [{"path": str(fifo), "digest": "x"}, {"path": "/etc/passwd", "digest": "y"}]
        entry["result"]["findings"] = []
    cache_guard.dump(path, cache.key, Cache.FORMAT, data)
    started = time.monotonic()
    code, found, _ = findings(tree)
    assert time.monotonic() - started < 60
    assert (code, found) == expected[:2]


def test_transient_errors_are_never_cached(tree: Path) -> None:
    """A MemoryError (or any internal error) while checking a file is reported for that run,
    exit 2, and the next run analyses the file again instead of replaying the failure."""
    hook = tree / "sitecustomize.py"
    hook.write_text(
        "import os\n"
        "if os.environ.get('BG_FAIL_ONCE'):\n"
        "    import backend_gates.sources.python as p\n"
        "    real = p.analyze\n"
        "    def analyze(path, *a, **k):\n"
        "        if path.endswith('m3.py'):\n"
        "            raise MemoryError('simulated')\n"
        "        return real(path, *a, **k)\n"
        "    p.analyze = analyze\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(tree), *filter(None, [os.environ.get("PYTHONPATH")])]), "BG_FAIL_ONCE": "1"}
    done = run_cli("check", "-f", "json", "--jobs", "1", cwd=tree, env=env)
    data = json.loads(done.stdout)
    assert done.returncode == 2, done.stderr  # an internal error is never a clean run
    assert any(e["kind"] == "internal" and "MemoryError" in e["message"] for e in data["errors"])
    hook.unlink()
    code, found, _ = findings(tree, "--jobs", "1")
    assert ("app/m3.py", "BG401") in found and code == 1


def test_concurrent_runs_and_sigkill_half_way(tree: Path) -> None:
    expected = findings(tree, "--no-cache")
    exe = Path(sys.executable).parent / "backend-gates"
    cmd = [str(exe), "check", "-f", "json"] if exe.exists() else [sys.executable, "-m", "backend_gates", "check", "-f", "json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKEND_GATES_")}
    procs = [subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert b"Traceback" not in err, err
        data = json.loads(out)
        assert sorted((f["path"], f["rule"]) for f in data["findings"]) == expected[1]
    for delay in (0.3, 1.0, 2.0):
        (tree / "app" / "m0.py").write_text(BAD_EXCEPT + f"\n# {delay}\n")  # something to write
        proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert findings(tree)[:2] == expected[:2]


def test_cache_path_that_is_a_file(tree: Path) -> None:
    expected = findings(tree, "--no-cache")
    (tree / "blocker").write_text("not a directory")
    (tree / "pyproject.toml").write_text('[tool.backend-gates]\ncache-dir = "blocker"\n')
    assert findings(tree)[:2] == expected[:2]
    assert findings(tree)[:2] == expected[:2]
    assert (tree / "blocker").read_text() == "not a directory"


def test_read_only_project(tree: Path) -> None:
    expected = findings(tree, "--no-cache")
    for path in [tree, *tree.rglob("*")]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    try:
        if os.access(tree, os.W_OK):
            pytest.skip("running as a user that can write anywhere (root)")
        assert findings(tree)[:2] == expected[:2]
    finally:
        for path in [tree, *tree.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def test_a_file_rewritten_with_its_old_size_and_modification_time_is_read_again(tree: Path) -> None:
    """A warm run trusts a file's stat signature instead of reading it, but only a signature taken
    when the file was at least two seconds old, and one that includes the change time: content
    swapped under the same size and restored modification time (`cp -p`, `touch -d`) is seen."""
    target = tree / "app" / "m0.py"
    clean = "def handler():\n    try:\n        work()\n    except ValueError:\n        pass\n"
    swapped = clean.replace("except ValueError:", "except:           ")  # same size, a bare except again
    assert len(swapped) == len(clean)
    target.write_text(clean)
    time.sleep(2.2)  # older than the racy window: the signature is kept
    _rc, first, _err = findings(tree)
    stored = json.loads(cache_files(tree)[0].read_text().partition("\n")[2])  # header line, then the body
    assert stored["files"]["app/m0.py"].get("stat"), "no signature stored for an old file"
    before = {r for p, r in first if p == "app/m0.py"}
    st = target.stat()
    target.write_text(swapped)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    time.sleep(2.2)  # out of the racy window again: only the change time tells the swap apart
    _rc, second, _err = findings(tree)
    after = {r for p, r in second if p == "app/m0.py"}
    expected = {r for p, r in first if p == "app/m1.py"}  # m1 still holds the bare except
    assert after == expected and after != before
    _rc, again, _err = findings(tree)
    assert again == second
