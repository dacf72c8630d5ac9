"""M-COVERAGE: line coverage of the test run, from pytest-cov's data or our own measurement.

- pytest-cov active (`--cov`): its combined data is read after its own reporting; nothing is
  measured twice.
- otherwise, only when asked (`--backend-gates-cov=PKG`, config `runtime.coverage-packages`):
  coverage.py is started before the conftests load (plugin.pytest_load_initial_conftests), so
  module-level lines count; xdist workers send their measured lines, the controller combines.
Gates: total minimum (`thresholds.coverage-percent`), per-file/per-package minimums (BG550
option `minimums`), changed lines against a git base (BG551 option `base`).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_EARLY: list[Any] = []  # the Coverage object started before conftests were imported


def pytest_cov_active(config: Any) -> bool:
    plugin = config.pluginmanager.getplugin("_cov")
    if plugin is None:
        return False
    options = getattr(plugin, "options", None)
    if options is not None and getattr(options, "no_cov", False):
        return False
    return getattr(plugin, "cov_controller", None) is not None or bool(getattr(options, "cov_source", None))


def requested_packages(early_config: Any) -> list[str]:
    ns = early_config.known_args_namespace
    pkgs = [p for value in (getattr(ns, "backend_gates_cov", None) or []) for p in str(value).split(",") if p]
    if pkgs:
        return pkgs
    try:
        from ..config import load_config

        settings = load_config(Path(str(early_config.rootpath)))
        return list(settings["runtime.coverage-packages"])
    except Exception:
        return []


def early_start(early_config: Any) -> None:
    """Start coverage.py before the conftests load, when gates are on and pytest-cov is not."""
    ns = early_config.known_args_namespace
    enabled = getattr(ns, "backend_gates", None)
    if not enabled:
        try:
            enabled = early_config.getini("backend_gates")
        except Exception:
            enabled = False
    if not enabled or _EARLY:
        return
    if getattr(ns, "cov_source", None) and not getattr(ns, "no_cov", False):
        return  # pytest-cov measures; we read its data
    pkgs = requested_packages(early_config)
    if not pkgs:
        return
    _EARLY.append(_start(pkgs))


def _start(pkgs: list[str]) -> Any:
    import coverage

    cov = coverage.Coverage(data_file=None, source=pkgs)
    cov.start()
    return cov


@dataclass(frozen=True, slots=True)
class CoverageRecord:
    """What the coverage observer recorded: coverage.py's JSON report of the run (None: no data)."""

    mode: str | None  # "pytest-cov" | "own" | None (not measured)
    report: Mapping[str, Any] | None  # coverage.py `json_report` document
    root: Path  # the project root the report's file names are made relative to
    changes: Mapping[str, frozenset[int]] | None = None  # changed lines per path (None: ask git)

    def changed_since(self, base: str) -> Mapping[str, set[int]] | Mapping[str, frozenset[int]]:
        """Lines changed since the git ref `base` (working tree included), per relative path."""
        if self.changes is not None:
            return self.changes
        return changed_lines(self.root, base)

    def files(self) -> dict[str, Mapping[str, Any]]:
        """Measured files by project-relative path."""
        out: dict[str, Mapping[str, Any]] = {}
        for name, entry in ((self.report or {}).get("files") or {}).items():
            try:
                rel = Path(os.path.abspath(name)).relative_to(self.root.resolve()).as_posix()
            except ValueError:
                rel = Path(name).as_posix()
            out[rel] = entry
        return out

    def unmeasured(self) -> str | None:
        """Why nothing can be judged, or None."""
        if self.mode is None:
            return "runtime: no coverage data: run with pytest-cov (--cov=PKG) or --backend-gates-cov=PKG (config runtime.coverage-packages)"
        if self.report is None:
            return "runtime: pytest-cov produced no data"
        if not int((self.report.get("totals") or {}).get("num_statements", 0)):
            return "runtime: coverage measured no statements (check the measured packages)"
        return None


class CoverageObserver:
    name = "coverage"
    gates = ("M-COVERAGE",)

    def __init__(self) -> None:
        self.plugin: Any = None
        self.mode: str | None = None  # pytest-cov | own
        self.cov: Any = None
        self.worker_lines: dict[str, set[int]] = {}
        self.errors: list[str] = []

    def start(self, plugin: Any) -> None:
        self.plugin = plugin
        config = plugin.pytest_config
        if pytest_cov_active(config):
            self.mode = "pytest-cov"
            return
        if _EARLY:
            self.cov, self.mode = _EARLY[0], "own"
            return
        pkgs = [p for v in (config.getoption("backend_gates_cov", None) or []) for p in str(v).split(",") if p]
        pkgs = pkgs or list(plugin.settings["runtime.coverage-packages"])
        if pkgs:  # late start (config given with --backend-gates-config): module-level lines may be missed
            self.cov, self.mode = _start(pkgs), "own"

    def stop(self) -> None:
        if self.mode == "own" and self.cov is not None:
            self.cov.stop()

    def worker_data(self) -> dict[str, Any]:
        if self.mode != "own" or self.cov is None:
            return {}
        data = self.cov.get_data()
        return {"lines": {f: sorted(data.lines(f) or ()) for f in data.measured_files()}}

    def merge(self, data: dict[str, Any]) -> None:
        for path, lines in (data.get("lines") or {}).items():
            self.worker_lines.setdefault(path, set()).update(lines)

    # ------------------------------------------------------------------ data
    def _json(self) -> dict[str, Any] | None:
        cov = None
        if self.mode == "pytest-cov":
            plugin = self.plugin.pytest_config.pluginmanager.getplugin("_cov")
            controller = getattr(plugin, "cov_controller", None)
            cov = getattr(controller, "cov", None)
        elif self.mode == "own":
            cov = self.cov
            if self.worker_lines:
                cov.get_data().add_lines({k: sorted(v) for k, v in self.worker_lines.items()})
        if cov is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "coverage.json")
            cov.json_report(outfile=out, ignore_errors=True)
            with open(out, encoding="utf-8") as handle:
                loaded: dict[str, Any] = json.load(handle)
                return loaded

    def recorded(self) -> CoverageRecord:
        if self.mode is None:
            return CoverageRecord(None, None, Path(self.plugin.settings.root) if self.plugin else Path("."))
        return CoverageRecord(self.mode, self._json(), Path(self.plugin.settings.root))


def matches(path: str, pattern: str) -> bool:
    if any(c in pattern for c in "*?[") or "/" in pattern or pattern.endswith(".py"):
        return fnmatch.fnmatch(path, pattern) or path == pattern
    prefix = pattern.replace(".", "/")
    return path == prefix + ".py" or path.startswith(prefix + "/") or ("/" + prefix + "/") in ("/" + path)


def common_folder(paths: list[str]) -> str:
    try:
        return os.path.commonpath(paths).replace("\\", "/")
    except ValueError:
        return "."


def ranges(lines: list[int]) -> str:
    out: list[str] = []
    start = prev = lines[0]
    n: int | None
    for n in [*lines[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(out)


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(root: Path, base: str) -> dict[str, set[int]]:
    """Lines added or changed since `base` (working tree included), per project-relative path."""
    proc = subprocess.run(
        ["git", "diff", "--unified=0", "--no-color", "--no-ext-diff", base, "--", "."],
        cwd=root, capture_output=True, text=True, timeout=60,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip() or f"git diff exited {proc.returncode}")
    prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
    out: dict[str, set[int]] = {}
    current: str | None = None
    for line in proc.stdout.splitlines():
        if line.startswith("+++ "):
            target = line[4:].strip()
            current = None if target == "/dev/null" else target[2:] if target.startswith("b/") else target
            if current and prefix and current.startswith(prefix):
                current = current[len(prefix):]
            continue
        m = _HUNK.match(line)
        if m and current:
            start, count = int(m.group(1)), int(m.group(2) or 1)
            out.setdefault(current, set()).update(range(start, start + count))
    # new files not yet added to git are changed in full
    others = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "."], cwd=root, capture_output=True, text=True, timeout=30)
    for rel in others.stdout.splitlines():
        if rel.endswith(".py") and rel not in out:
            try:
                count = len((root / rel).read_text(encoding="utf-8", errors="replace").splitlines())
            except OSError:
                continue
            out[rel] = set(range(1, count + 1))
    return out
