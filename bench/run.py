"""Benchmark `backend-gates check`: cold, warm (cache replay), files/s, lines/s, peak memory.

    python bench/run.py                      # generate the synthetic corpus (>= 200k lines) and time it
    python bench/run.py --path ~/src/project # time an existing project instead
    python bench/run.py --bandit             # also time bandit on the same tree (side-by-side ratio)

Whole-process timings (what a user waits for), medians over --repeat runs. Nothing here asserts:
it prints a table and writes bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _exe(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB of the process tree's largest member, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    _, _, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = proc.returncode if proc.returncode is not None else 0
    return elapsed, int(usage.ru_maxrss), code


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        if any(part in (".venv", "venv", "node_modules", ".git") for part in path.parts):
            continue
        files += 1
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    return files, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, help="an existing project to time (default: synthetic corpus)")
    parser.add_argument("--lines", type=int, default=200_000, help="size of the synthetic corpus")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bandit", action="store_true", help="time bandit on the same tree")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpus")
    args = parser.parse_args()

    tmp = None
    if args.path:
        root = args.path.resolve()
    else:
        from corpus import generate

        tmp = Path(tempfile.mkdtemp(prefix="bg-bench-"))
        root = tmp / "corpus"
        generate(root, args.lines)
    files, lines = count_lines(root)
    cache_dir = Path(tempfile.mkdtemp(prefix="bg-bench-cache-"))
    bg = [_exe("backend-gates"), "check", ".", "--quiet", "--exit-zero", "--jobs", str(args.jobs), "--format", "json"]
    env = {"BACKEND_GATES_CACHE_DIR": str(cache_dir / "cache")}

    colds, warms, mems = [], [], []
    for _ in range(args.repeat):
        shutil.rmtree(cache_dir / "cache", ignore_errors=True)
        t, mem, _code = timed(bg, root, env)
        colds.append(t)
        mems.append(mem)
        t, _mem, _code = timed(bg, root, env)
        warms.append(t)
    cold, warm = statistics.median(colds), statistics.median(warms)
    result: dict[str, object] = {
        "tree": str(root) if args.path else f"synthetic corpus ({args.lines} lines target)",
        "files": files,
        "lines": lines,
        "jobs": args.jobs,
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 3),
        "warm_over_cold": round(warm / cold, 4),
        "files_per_s_cold": round(files / cold),
        "lines_per_s_cold": round(lines / cold),
        "peak_rss_mib": round(max(mems) / 1024, 1),
    }
    if args.bandit:
        bandit = [_exe("bandit"), "-r", ".", "-q", "-f", "json", "-o", os.devnull, "-x", "./.venv,./venv"]
        times = [timed(bandit, root)[0] for _ in range(args.repeat)]
        result["bandit_s"] = round(statistics.median(times), 2)
        result["bandit_over_backend_gates_cold"] = round(statistics.median(times) / cold, 2)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    shutil.rmtree(cache_dir, ignore_errors=True)
    if tmp and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print(f"corpus kept at {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
