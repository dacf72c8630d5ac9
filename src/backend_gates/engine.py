"""discover -> parse once -> run checks -> findings -> gate results.

CLI, pre-commit hook, language server and pytest plugin all call `check(...)`.
Warm runs replay the on-disk cache without importing libcst or sqlglot.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import __version__
from .config import Config
from .errors import ConfigError, UsageError
from .gates import GATES, GATES_BY_ID
from .model import (
    Finding,
    GateResult,
    GateStatus,
    Location,
    Report,
    RuleInfo,
    Severity,
    Suppression,
    ToolError,
)
from .sources.context import FileResult, SuppressionComment, finalize_findings, matches_any

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# ----------------------------------------------------------------------------- file kinds


@dataclass(frozen=True, slots=True)
class SourceFile:
    abs: str
    key: str  # path relative to the project root, '/'-separated: cache key, fingerprints, output
    kind: str


# kind -> (module with `analyze(path, abs_path, source, checks, config) -> FileResult`, matcher)
FILE_KINDS: dict[str, tuple[str, Callable[[str, Config], bool]]] = {
    "python": ("backend_gates.sources.python", lambda key, cfg: key.endswith(".py")),
    "openapi": ("backend_gates.sources.openapi", lambda key, cfg: _openapi_matcher(key, cfg)),
    "sql": ("backend_gates.sources.sql", lambda key, cfg: key.endswith(".sql")),
}


def _openapi_matcher(key: str, config: Config) -> bool:
    from .sources.openapi import is_spec_file

    return is_spec_file(key, config)


def _depends_of(facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [dep for fact in facts.get("openapi", ()) for dep in fact.get("depends", ())]


def _stale_depends(hit: dict[str, Any]) -> bool:
    """A cached result that read other files (spec $refs) is stale when one of them changed."""
    for dep in hit.get("deps", ()):
        try:
            with open(dep["path"], "rb") as handle:
                digest = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
        except OSError:
            digest = ""
        if digest != dep.get("digest"):
            return True
    return False


def kind_of(key: str, config: Config) -> str | None:
    for kind, (_module, matcher) in FILE_KINDS.items():
        if matcher(key, config):
            return kind
    return None


# ----------------------------------------------------------------------------- discovery


class _Ignore:
    """.gitignore rules, one compiled spec per directory that has a .gitignore."""

    def __init__(self) -> None:
        self.specs: list[tuple[str, Any]] = []

    def add(self, directory: str, rel_dir: str) -> None:
        path = os.path.join(directory, ".gitignore")
        if not os.path.isfile(path):
            return
        try:
            import pathspec

            with open(path, encoding="utf-8", errors="replace") as handle:
                spec = pathspec.GitIgnoreSpec.from_lines(handle)
        except (OSError, ValueError) as exc:  # unreadable .gitignore: warn, go on
            log.warning("%s: cannot read .gitignore: %s", path, exc)
            return
        self.specs.append((rel_dir, spec))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        for base, spec in self.specs:
            if base:
                if not rel.startswith(base + "/"):
                    continue
                sub = rel[len(base) + 1 :]
            else:
                sub = rel
            if spec.match_file(sub + "/" if is_dir else sub):
                return True
        return False


def discover(paths: Iterable[str | Path], config: Config) -> tuple[list[SourceFile], list[ToolError]]:
    """Files to check under `paths`: known kinds, minus `exclude` and .gitignore'd ones.

    Explicitly named files are always checked (if backend-gates reads their kind).
    """
    from .sources.context import PathMatcher

    root = config.root.resolve()
    root_str = str(root)
    exclude = PathMatcher(tuple(config.excludes))
    files: list[SourceFile] = []
    errors: list[ToolError] = []
    seen: set[str] = set()
    use_git = bool(config["respect-gitignore"])

    def key_of(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    def add(abs_path: str, key: str, explicit: bool) -> None:
        if key in seen:
            return
        kind = kind_of(key, config)
        if kind is None:
            if explicit:
                errors.append(ToolError(key, "not a file backend-gates reads (skipped)", "discover"))
            return
        seen.add(key)
        files.append(SourceFile(abs_path, key, kind))

    paths = list(paths)
    given_dirs_only = all(Path(p if Path(p).is_absolute() else Path.cwd() / p).is_dir() for p in paths)
    for given in paths:
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory")
        path = path.resolve()
        if path.is_file():
            add(str(path), key_of(path), explicit=True)
            continue
        ignore = _Ignore()
        listed = None
        if use_git:
            from .gitfiles import listing

            listed = listing(str(path))  # in a git work tree: git's own answer (nested negations, info/exclude)
        if use_git and listed is None:
            # .gitignore files between the root and the starting directory apply too
            current = root
            if path != root and root in path.parents:
                ignore.add(str(root), "")
                for part in path.relative_to(root).parts[:-1]:
                    current = current / part
                    ignore.add(str(current), key_of(current))
        start_key = key_of(path)
        prefix_len = len(str(path)) + 1
        for dirpath, dirnames, filenames in os.walk(path):
            if dirpath == str(path):
                rel_dir = "" if start_key == "." else start_key
            else:
                sub = dirpath[prefix_len:].replace(os.sep, "/")
                rel_dir = f"{start_key}/{sub}" if start_key not in (".", "") else sub
            if dirpath == root_str:
                rel_dir = ""
            if use_git and listed is None:
                ignore.add(dirpath, rel_dir)
            walked = "" if dirpath == str(path) else dirpath[prefix_len:].replace(os.sep, "/")
            keep = []
            for name in sorted(dirnames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if exclude.match(name) or exclude.match(rel):
                    continue
                if use_git and ignore.specs and ignore.ignored(rel, True):
                    continue
                if listed is not None and not listed.keeps_dir(f"{walked}/{name}" if walked else name):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if kind_of(rel, config) is None:
                    continue
                if exclude.match(name) or exclude.match(rel):
                    continue
                if use_git and ignore.specs and ignore.ignored(rel, False):
                    continue
                if listed is not None and not listed.keeps_file(f"{walked}/{name}" if walked else name):
                    continue
                add(os.path.join(dirpath, name), rel, explicit=False)
    if given_dirs_only:
        _add_configured_specs(root, config, add, seen)
    files.sort(key=lambda f: f.key)
    return files, errors


def _add_configured_specs(root: Path, config: Config, add: Callable[[str, str, bool], None], seen: set[str]) -> None:
    """`openapi.spec` names the spec even when `paths` does not reach it (paths = ["app"], spec at
    the root): the static spec checks and drift need it."""
    for entry in config["openapi.spec"]:
        text = str(entry)[2:] if str(entry).startswith("./") else str(entry)
        candidates = sorted(root.glob(text)) if any(ch in text for ch in "*?[") else [root / text]
        for path in candidates:
            try:
                resolved = path.resolve()
                key = resolved.relative_to(root).as_posix()
            except (OSError, ValueError):
                continue  # outside the project: never read
            if key not in seen and resolved.is_file():
                add(str(resolved), key, False)


# ----------------------------------------------------------------------------- check selection


def _tokens_match(token: str, cls: Any) -> bool:
    t = token.strip()
    up = t.upper()
    if up == cls.code.upper() or t.lower() == cls.name.lower():
        return True
    if cls.gate and up == cls.gate.upper():
        return True
    if cls.gate and t.lower() == GATES_BY_ID[cls.gate].checklist:
        return True
    if up == "ALL":
        return True
    # code prefix, ruff style: BG2 selects BG2xx
    return len(up) >= 3 and up.startswith("BG") and cls.code.upper().startswith(up)


def _explicit(token: str, cls: Any) -> bool:
    return token.strip().upper() == cls.code.upper() or token.strip().lower() == cls.name.lower()


def validate_selectors(config: Config) -> None:
    from .checks import load_all
    from .checks.base import REGISTRY

    load_all()
    for key in ("select", "extend-select", "ignore"):
        for token in config[key]:
            if not any(_tokens_match(token, cls) for cls in REGISTRY.values()) and token.upper() not in GATES_BY_ID:
                raise ConfigError(
                    f"{token!r} names no rule, gate or checklist (see `backend-gates rules`)",
                    file=config.sources[key],
                    key=key,
                )
    for pattern, tokens in config["per-file-ignores"].items():
        for token in tokens:
            if not any(_tokens_match(token, cls) for cls in REGISTRY.values()) and token.upper() not in GATES_BY_ID:
                raise ConfigError(
                    f"{token!r} names no rule, gate or checklist", file=config.sources["per-file-ignores"], key=f"per-file-ignores.{pattern}"
                )


def selected(config: Config, kinds: tuple[str, ...]) -> list[tuple[type, dict[str, Any]]]:
    """The enabled checks of these kinds, each with its validated options."""
    from .checks import load_all
    from .checks.base import REGISTRY

    load_all(kinds)
    select = list(config["select"])
    extend = list(config["extend-select"])
    ignore = list(config["ignore"])
    out = []
    for code in sorted(REGISTRY):
        cls = REGISTRY[code]
        if cls.kind not in kinds:
            continue
        if cls.default_enabled:
            enabled = (not select or any(_tokens_match(t, cls) for t in select)) or any(
                _tokens_match(t, cls) for t in extend
            )
        else:
            enabled = any(_explicit(t, cls) for t in select + extend)
        if enabled and any(_tokens_match(t, cls) for t in ignore):
            enabled = False
        if enabled:
            out.append((cls, check_options(cls, config)))
    from .checks.base import COLLECTORS

    out.extend((cls, {}) for cls in COLLECTORS if cls.kind in kinds)  # fact collectors always run
    return out


def check_options(cls: Any, config: Config) -> dict[str, Any]:
    values = {name: opt.default for name, opt in cls.options.items()}
    for key in (cls.code, cls.name):
        given = config.check_options.get(key)
        if not given:
            continue
        for name, value in given.items():
            if name not in cls.options:
                known = ", ".join(sorted(cls.options)) or "none"
                raise ConfigError(
                    f"unknown option for {cls.code} ({cls.name}); known options: {known}",
                    file=config.describe_file(),
                    key=f"checks.{key}.{name}",
                )
            expected = cls.options[name].type
            origin = getattr(expected, "__origin__", expected)
            if isinstance(origin, type) and not isinstance(value, origin):
                raise ConfigError(
                    f"expected {getattr(expected, '__name__', expected)}, got {type(value).__name__}",
                    file=config.describe_file(),
                    key=f"checks.{key}.{name}",
                )
            values[name] = value
    return values


def validate_check_config(config: Config) -> None:
    from .checks import load_all
    from .checks.base import REGISTRY

    load_all()
    names = {c.code for c in REGISTRY.values()} | {c.name for c in REGISTRY.values()}
    for key in config.check_options:
        if key not in names:
            raise ConfigError(
                "unknown check in [tool.backend-gates.checks]", file=config.describe_file(), key=f"checks.{key}"
            )
    for cls in REGISTRY.values():
        check_options(cls, config)


# ----------------------------------------------------------------------------- cache


def ruleset_key() -> str:
    """Tool version plus the stat of every source file of the package (changes invalidate)."""
    base = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for dirpath, _dirs, files in os.walk(base):
        for name in sorted(files):
            if name.endswith((".py", ".yaml", ".yml", ".json")):
                st = os.stat(os.path.join(dirpath, name))
                digest.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


class Cache:
    FORMAT = 3

    def __init__(self, config: Config, enabled: bool) -> None:
        self.enabled = enabled
        directory = Path(config["cache-dir"])
        self.dir = directory if directory.is_absolute() else config.root / directory
        self.key = f"{ruleset_key()}-{config.analysis_key()}"
        self.path = self.dir / f"cache-{self.key}.json"
        self.facts_path = self.dir / f"facts-{self.key}.json"
        self.files: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, Any] = {}
        self._facts: dict[str, dict[str, Any]] | None = None  # loaded on first need (warm runs rarely)
        self.dirty = False
        self.facts_dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return
        if data.get("format") != self.FORMAT:
            return
        self.files = data.get("files", {})
        self.meta = data.get("meta", {})

    def get(self, key: str, digest: str) -> dict[str, Any] | None:
        entry = self.files.get(key)
        if entry is not None and entry.get("hash") == digest:
            return entry
        return None

    def put(self, key: str, digest: str, result: FileResult) -> None:
        data = result.to_dict()
        facts = data.pop("facts")
        self.files[key] = {"hash": digest, "result": data, "fact_kinds": sorted(k for k, v in facts.items() if v), "deps": _depends_of(facts)}
        self.all_facts()[key] = facts
        self.dirty = self.facts_dirty = True

    def all_facts(self) -> dict[str, dict[str, Any]]:
        if self._facts is None:
            self._facts = {}
            if self.enabled:
                try:
                    with open(self.facts_path, encoding="utf-8") as handle:
                        self._facts = json.load(handle)
                except (OSError, ValueError):
                    self._facts = {}
        return self._facts

    def save(self, keep: set[str]) -> None:
        if not self.enabled:
            return
        stale = set(self.files) - keep
        if stale:
            for key in stale:
                del self.files[key]
            self.dirty = True
        if not self.dirty:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            gitignore = self.dir / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
            if self.facts_dirty or stale:
                facts = self.all_facts()
                for key in [k for k in facts if k not in self.files]:
                    del facts[key]
                tmp = self.facts_path.with_suffix(f".tmp{os.getpid()}")
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(json.dumps(facts, separators=(",", ":")))  # C encoder (json.dump is not)
                os.replace(tmp, self.facts_path)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(json.dumps({"format": self.FORMAT, "meta": self.meta, "files": self.files}, separators=(",", ":")))
            os.replace(tmp, self.path)
            for pattern in ("cache-*.json", "facts-*.json"):
                others = sorted(self.dir.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
                for old in others[4:]:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot write cache %s: %s", self.path, exc)


# ----------------------------------------------------------------------------- analysis

_WORKER: dict[str, Any] = {}


def _analyze_file(sf: SourceFile) -> tuple[str, FileResult]:
    config: Config = _WORKER["config"]
    checks = _WORKER["checks"].get(sf.kind, [])
    try:
        with open(sf.abs, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return "", _unreadable(sf, f"cannot read: {exc.strerror}")
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return digest, _unreadable(sf, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    module = _modules((sf.kind,)).get(sf.kind)
    try:
        result = module.analyze(sf.key, sf.abs, source, checks, config)
    except Exception as exc:  # a bug of ours must not lose the other files
        log.debug("internal error on %s", sf.key, exc_info=True)
        result = FileResult(path=sf.key, kind=sf.kind, lines=source.count("\n") + 1, parsed=False)
        result.errors.append(ToolError(sf.key, f"internal error while checking: {type(exc).__name__}: {exc}", "internal"))
    return digest, result


def _unreadable(sf: SourceFile, why: str) -> FileResult:
    from .checks.python.tool import SyntaxErrorCheck
    from .model import fingerprint

    result = FileResult(path=sf.key, kind=sf.kind, lines=0, parsed=False)
    result.errors.append(ToolError(sf.key, why, "read"))
    result.findings.append(
        Finding(
            SyntaxErrorCheck.code,
            SyntaxErrorCheck.name,
            None,
            Severity.ERROR,
            f"cannot read this file: {why}",
            Location(sf.key),
            fingerprint=fingerprint(SyntaxErrorCheck.code, sf.key, why),
            help_url=SyntaxErrorCheck.help_url(),
        )
    )
    return result


def _modules(kinds: Iterable[str] | None = None) -> dict[str, Any]:
    """The reader module of each file kind, imported on first need (a one-file Python run never
    imports sqlglot or the spec validator)."""
    import importlib

    mods: dict[str, Any] = _WORKER.setdefault("modules", {})
    for kind in FILE_KINDS if kinds is None else kinds:
        if kind not in mods and kind in FILE_KINDS:
            mods[kind] = importlib.import_module(FILE_KINDS[kind][0])
    return mods


def _analyze_chunk(chunk: list[SourceFile]) -> list[tuple[str, FileResult]]:
    return [_analyze_file(sf) for sf in chunk]


def analyze_files(
    files: list[SourceFile],
    config: Config,
    checks: dict[str, list[tuple[type, dict[str, Any]]]],
    jobs: int,
    progress: Progress | None = None,
) -> list[tuple[str, FileResult]]:
    _WORKER["config"] = config
    _WORKER["checks"] = checks
    _modules({f.kind for f in files})  # before the pool forks
    total = len(files)
    if total == 0:
        return []
    size = sum(_size(f.abs) for f in files)
    if jobs <= 1 or total < 8 or size < 64_000:
        out = []
        for index, sf in enumerate(files, 1):
            out.append(_analyze_file(sf))
            if progress:
                progress(index, total)
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    # large files first so the pool does not end on one straggler
    ordered = sorted(files, key=lambda f: -_size(f.abs))
    per_chunk = max(1, min(32, total // (jobs * 8) or 1))
    chunks = [ordered[i : i + per_chunk] for i in range(0, total, per_chunk)]
    results: list[tuple[str, FileResult]] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for chunk_result in pool.map(_analyze_chunk, chunks):
            results.extend(chunk_result)
            if progress:
                progress(len(results), total)
    return results


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# ----------------------------------------------------------------------------- project phase


@dataclass
class Project:
    """What project checks see: every file's facts, and the run's configuration."""

    root: Path
    config: Config
    results: dict[str, FileResult]
    counts: dict[str, int] = field(default_factory=dict)  # files per kind
    load_facts: Callable[[], None] | None = None  # fills cached results' facts on first need

    def facts(self, kind: str) -> list[tuple[str, Any]]:
        if self.load_facts is not None:
            loader, self.load_facts = self.load_facts, None
            loader()
        out = []
        for path, result in self.results.items():
            for item in result.facts.get(kind, ()):
                out.append((path, item))
        return out

    def line(self, path: str, line: int) -> str:
        lines = self.lines(path)
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def lines(self, path: str) -> list[str]:
        cache = self.__dict__.setdefault("_lines", {})
        if path not in cache:
            try:
                cache[path] = (self.root / path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                cache[path] = []
        return cache[path]


# ----------------------------------------------------------------------------- the run


@dataclass
class Coverage:
    """Whether a gate's checks could judge this project, and why not."""

    checks: list[str] = field(default_factory=list)
    evaluated: bool = False
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    # a gate-level judgement that is no finding at a file line (T-KINDS: missing test kinds):
    # (severity, reason); decides the status when the gate has no active findings
    verdict: tuple[Severity, str] | None = None


def check(
    paths: Iterable[str | Path],
    config: Config,
    *,
    use_cache: bool | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    mode: str = "check",
) -> Report:
    """Run every enabled static check over `paths` and evaluate the gates."""
    started = _now()
    t0 = time.perf_counter()
    paths = list(paths) or [config.root / p for p in config["paths"]]
    files, errors = discover(paths, config)
    cache = Cache(config, config["cache"] if use_cache is None else use_cache)
    jobs = jobs if jobs is not None else (config["jobs"] or os.cpu_count() or 1)

    results: dict[str, FileResult] = {}
    misses: list[SourceFile] = []
    digests: dict[str, str] = {}
    fact_kinds: set[str] = set()  # fact kinds any file produced (for rules that `require` some)
    for sf in files:
        try:
            with open(sf.abs, "rb") as handle:
                raw = handle.read()
        except OSError:
            misses.append(sf)
            continue
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        digests[sf.key] = digest
        hit = cache.get(sf.key, digest)
        if hit is not None and _stale_depends(hit):
            hit = None
        if hit is not None:
            result = FileResult.from_dict({**hit["result"], "facts": {}})
            fact_kinds.update(hit.get("fact_kinds", ()))
            results[sf.key] = result
        else:
            misses.append(sf)

    file_kinds = tuple(FILE_KINDS)
    if misses or "rules" not in cache.meta:
        checks_by_kind: dict[str, list[tuple[type, dict[str, Any]]]] = {k: [] for k in file_kinds}
        for cls, opts in selected(config, file_kinds + ("tool",)):
            if cls.kind in checks_by_kind:
                checks_by_kind[cls.kind].append((cls, opts))
        file_rules = [cls.info().to_dict() for kind in file_kinds for cls, _o in checks_by_kind[kind] if cls.code]
        cache.meta["rules"] = file_rules
        cache.dirty = True
        for digest, result in analyze_files(misses, config, checks_by_kind, jobs, progress):
            results[result.path] = result
            fact_kinds.update(k for k, v in result.facts.items() if v)
            if digest:
                cache.put(result.path, digest, result)
    file_rules = [RuleInfo.from_dict(r) for r in cache.meta["rules"]]
    fresh = {r.path for r in results.values() if r.facts}

    def load_cached_facts() -> None:
        stored = cache.all_facts() if cache.enabled else {}
        for key, result in results.items():
            if key not in fresh and not result.facts:
                result.facts = stored.get(key, {})

    counts: dict[str, int] = {}
    parsed: dict[str, int] = {}
    for result in results.values():
        counts[result.kind] = counts.get(result.kind, 0) + 1
        if result.parsed:
            parsed[result.kind] = parsed.get(result.kind, 0) + 1
        errors.extend(result.errors)

    project = Project(config.root, config, results, counts, load_cached_facts)
    findings: list[Finding] = [f for r in results.values() for f in r.findings]
    coverage: dict[str, Coverage] = {g.id: Coverage() for g in GATES}
    for info in file_rules:
        if info.gate is None:
            continue
        cov = coverage[info.gate]
        cov.checks.append(info.code)
        if info.requires and not fact_kinds.intersection(info.requires[0]):
            cov.reasons.append(f"{info.code}: {info.requires[1]}")
        elif parsed.get(info.kind, 0):
            cov.evaluated = True
        else:
            cov.reasons.append(f"{info.code}: no {info.kind} files {'parsed' if counts.get(info.kind) else 'found'}")

    # Project checks read only the facts, so their outcome is cached under the digest of every
    # file: an unchanged tree replays it. Checks with outside inputs (`cacheable = False`) rerun.
    project_key = hashlib.sha256("\n".join(f"{k}:{digests.get(k, '')}" for k in sorted(results)).encode()).hexdigest()
    stored = cache.meta.get("project") if cache.enabled else None
    replay: dict[str, Any] = stored["checks"] if stored and stored.get("key") == project_key else {}
    outcomes: dict[str, Any] = {}
    uncached: set[str] = set()  # checks with outside inputs: rerun every time, never make the cache dirty
    project_rules: list[RuleInfo] = []
    for cls, opts in selected(config, ("project",)):
        project_rules.append(cls.info())
        cov = coverage[cls.gate] if cls.gate else Coverage()
        cov.checks.append(cls.code)
        if not getattr(cls, "cacheable", True) or (getattr(cls, "reads_git_base", False) and _git_base(config)):
            uncached.add(cls.code)
        outcome = replay.get(cls.code) if cls.code not in uncached else None
        if outcome is None:
            outcome = _run_project_check(cls, opts, project)
        outcomes[cls.code] = outcome
        if outcome["error"]:
            errors.append(ToolError("", outcome["error"], "internal"))
            cov.reasons.append(f"{cls.code}: internal error: {outcome['error']}")
        elif outcome["reason"]:
            cov.reasons.append(f"{cls.code}: {outcome['reason']}")
        else:
            cov.evaluated = True
            findings.extend(Finding.from_dict(f) for f in outcome["findings"])
    fresh_outcomes = {c for c, o in outcomes.items() if o is not replay.get(c) and c not in uncached}
    if cache.enabled and (fresh_outcomes or replay.keys() != outcomes.keys()):
        cache.meta["project"] = {"key": project_key, "checks": outcomes}
        cache.dirty = True
    cache.save(set(results))
    findings.extend(_semgrep_step(config, files, findings, project, coverage, project_rules, errors))

    rules = file_rules + project_rules + _tool_rules()
    findings = _shipped_migrations_as_info(findings, project)
    findings = apply_overrides(findings, config)
    findings = apply_suppressions(findings, results, config, project)
    from .baseline import narrow  # baseline + --diff

    findings, narrowed = narrow(findings, config, project.lines)
    findings.sort(key=Finding.sort_key)

    report = Report(
        root=str(config.root),
        findings=findings,
        gates=[],
        rules=sorted({r.code: r for r in rules}.values(), key=lambda r: r.code),
        errors=errors,
        files=len(results),
        lines=sum(r.lines for r in results.values()),
        fail_on=Severity.parse(config["fail-on"]),
        config=config.effective(),
        started_at=started,
        mode=mode,
    )
    report.extra["timing"] = {"seconds": round(time.perf_counter() - t0, 3), "analyzed": len(misses), "cached": len(results) - len(misses)}
    report.extra["coverage"] = coverage
    report.extra.update(narrowed)
    report.extra["project"] = project  # in-process only (not serialised): facts for feature commands
    report.gates = evaluate_gates(report, coverage)
    from .docgen import rebase_help_urls

    rebase_help_urls(report, config["docs-url"])  # help URLs at the configured docs site
    report.finished_at = _now()
    return report


def _shipped_migrations_as_info(findings: list[Finding], project: Project) -> list[Finding]:
    """History a change cannot edit is not a failure: other rules' findings in shipped migrations are info."""
    from .checks.project.db_history import shipped_as_info

    return shipped_as_info(findings, project)


def _git_base(config: Config) -> str:
    """The change's git base (`--diff REF` / `new-code`), which some project checks read."""
    from .checks.project.db_history import base_ref

    return base_ref(config)


def _semgrep_step(
    config: Config,
    files: list[SourceFile],
    findings: list[Finding],
    project: Project,
    coverage: dict[str, Coverage],
    rules: list[RuleInfo],
    errors: list[ToolError],
) -> list[Finding]:
    """The semgrep rule pack (sources/semgrep.py): one process, only when enabled or selected."""
    from .sources import semgrep

    outcome = semgrep.run_pack(config, [(f.key, f.abs) for f in files if f.kind == "python"], findings)
    if outcome is None:
        return []
    errors.extend(outcome.errors)
    rules.extend(outcome.rules)
    by_gate: dict[str, list[str]] = {}
    for info in outcome.rules:
        if info.gate in coverage:
            by_gate.setdefault(info.gate, []).append(info.code)
    for gate, codes in by_gate.items():
        cov = coverage[gate]
        cov.checks.extend(codes)
        if outcome.ran:
            cov.evaluated = True
        else:
            cov.reasons.append(f"{', '.join(codes)} (semgrep): {outcome.reason}")
    return _finalize_project(project, outcome.findings)


def _run_project_check(cls: Any, opts: dict[str, Any], project: Project) -> dict[str, Any]:
    """Run one project check; its outcome as JSON-safe data (findings finalised)."""
    instance = cls(opts)
    try:
        reason = instance.not_evaluated(project)
        if reason:
            return {"reason": reason, "error": None, "findings": []}
        found = _finalize_project(project, instance.run(project))
        return {"reason": None, "error": None, "findings": [f.to_dict() for f in found]}
    except Exception as exc:  # our bug: report it, keep going
        log.debug("project check %s failed", cls.code, exc_info=True)
        return {"reason": None, "error": f"internal error in {cls.code} ({cls.name}): {type(exc).__name__}: {exc}", "findings": []}


def _tool_rules() -> list[RuleInfo]:
    from .checks.python.tool import (
        ExpiredSuppression,
        SuppressionWithoutReason,
        SyntaxErrorCheck,
        UnusedSuppression,
    )

    return [c.info() for c in (SyntaxErrorCheck, UnusedSuppression, SuppressionWithoutReason, ExpiredSuppression)]


def _finalize_project(project: Project, findings: list[Finding]) -> list[Finding]:
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.location.path, []).append(f)
    out: list[Finding] = []
    for path, group in by_path.items():
        out.extend(finalize_findings(path, project.lines(path), group))
    return out


def apply_overrides(findings: list[Finding], config: Config) -> list[Finding]:
    per_file = config["per-file-ignores"]
    severities = {k.upper(): Severity.parse(v) for k, v in config["severity"].items()}
    out = []
    for f in findings:
        if per_file:
            drop = False
            for pattern, tokens in per_file.items():
                if matches_any(f.location.path, [pattern]) and any(
                    t.upper() in (f.code.upper(), f.name.upper(), (f.gate or "").upper()) or t.upper() == "ALL"
                    for t in tokens
                ):
                    drop = True
                    break
            if drop:
                continue
        for key in (f.code.upper(), f.name.upper(), (f.gate or "").upper()):
            if key and key in severities:
                f = dataclasses.replace(f, severity=severities[key])
                break
        out.append(f)
    return out


def apply_suppressions(
    findings: list[Finding], results: dict[str, FileResult], config: Config, project: Project
) -> list[Finding]:
    from . import suppress
    from .checks.python.tool import ExpiredSuppression, SuppressionWithoutReason, UnusedSuppression

    honoured = set(config["external-suppressions"])  # other tools' comments: see suppress.py
    by_path: dict[str, list[SuppressionComment]] = {}
    for p, r in results.items():
        kept = [c for c in r.suppressions if not c.tool or c.tool in honoured] if r.parsed else []
        if kept:
            by_path[p] = kept
    if not by_path:
        return findings
    used: set[tuple[str, int]] = set()
    out: list[Finding] = []
    for f in findings:
        comments = by_path.get(f.location.path)
        if not comments or f.code in ("BG001",):
            out.append(f)
            continue
        applied = None
        for comment in comments:
            in_range = comment.file_level or f.location.line <= comment.target <= max(f.location.end_line, f.location.line)
            if not in_range or not suppress.covers(comment, f.code, f.name, f.gate):
                continue
            used.add((f.location.path, comment.line))
            if suppress.expiry_state(comment) == "expired":
                continue
            applied = comment
            break
        if applied is not None:
            f = dataclasses.replace(f, suppression=Suppression(applied.reason or "(no reason given)", applied.line))
        out.append(f)

    meta: list[Finding] = []
    for path, comments in by_path.items():
        for comment in comments:
            if comment.tool:
                continue  # written for another tool: neither reason-less nor unused as far as we are concerned
            codes = ", ".join(comment.codes) or "everything"
            loc = Location(path, comment.line, 1)
            if not comment.reason:
                meta.append(SuppressionWithoutReason.make_finding(loc, codes=codes))
            state = suppress.expiry_state(comment)
            if state == "expired" and (path, comment.line) in used:
                meta.append(ExpiredSuppression.make_finding(loc, codes=codes, expires=comment.expires))
            elif state == "invalid":
                meta.append(
                    SuppressionWithoutReason.make_finding(loc, message=f"suppression of {codes} has an unreadable date expires={comment.expires}; use YYYY-MM-DD"
                    )
                )
            if (path, comment.line) not in used and not _suppression_targets_disabled(comment, config):
                meta.append(UnusedSuppression.make_finding(loc, codes=codes, target=comment.target))
    out.extend(_finalize_project(project, meta))
    return out


def _suppression_targets_disabled(comment: SuppressionComment, config: Config) -> bool:
    """A suppression for a rule switched off by config is not 'unused' (it may be needed elsewhere)."""
    ignored = {t.upper() for t in config["ignore"]}
    return bool(comment.codes) and all(c.upper() in ignored for c in comment.codes)


# ----------------------------------------------------------------------------- gates


def evaluate_gates(report: Report, coverage: dict[str, Coverage]) -> list[GateResult]:
    limit = report.fail_on.rank
    per_gate: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.gate:
            per_gate.setdefault(f.gate, []).append(f)
    results: list[GateResult] = []
    for gate in GATES:
        found = per_gate.get(gate.id, [])
        active = [f for f in found if not f.suppressed]
        old = [f for f in active if f.extra.get("existing")]  # new-code base: listed, never failing
        active = [f for f in active if not f.extra.get("existing")]
        counts: dict[str, int] = {}
        for f in active:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
        cov = coverage.get(gate.id, Coverage())
        evidence = dict(cov.evidence)
        if cov.checks:
            evidence["checks"] = sorted(set(cov.checks))
        if old:
            evidence["existing"] = len(old)
        if gate.id == "M-VULNS":
            results.append(_m_vulns(report, results, counts))
            continue
        failing = [f for f in active if f.severity.rank >= limit]
        if failing:
            status, reason = GateStatus.FAILED, f"{len(failing)} finding(s) at or above '{report.fail_on.value}'"
        elif active:
            status, reason = GateStatus.WARNED, f"{len(active)} finding(s) below '{report.fail_on.value}'"
        elif cov.verdict is not None:
            severity, reason = cov.verdict
            status = GateStatus.FAILED if severity.rank >= limit else GateStatus.WARNED
        elif old:
            base = (report.extra.get("new_code") or {}).get("ref", "the base")
            status, reason = GateStatus.PASSED, f"nothing new since {base}; {len(old)} existing finding(s) on unchanged code"
        elif cov.evaluated:
            status = GateStatus.PASSED
            reason = f"{len(set(cov.checks))} check(s) ran; nothing found"
            if gate.runtime and report.mode == "check":
                reason += " (static checks only; runtime checks run under `pytest --backend-gates`)"
        elif not cov.checks:
            status, reason = GateStatus.NOT_EVALUATED, "no check implemented yet"
            if gate.runtime and not gate.static and report.mode == "check":
                reason = "measured from the test run: evaluated by `pytest --backend-gates`"
            if gate.manual:
                reason = "cannot be inferred from code; configure evidence"
        else:
            status = GateStatus.NOT_EVALUATED
            reason = _group_reasons(cov.reasons) or "no input these checks can judge"
        if cov.reasons and status is not GateStatus.NOT_EVALUATED and cov.evaluated:
            evidence["not_evaluated"] = list(dict.fromkeys(cov.reasons))
        results.append(
            GateResult(
                gate.id,
                gate.checklist,
                gate.title,
                status,
                reason,
                counts=counts,
                suppressed=len(found) - len(active),
                evidence=evidence,
            )
        )
    return results


def _group_reasons(reasons: list[str]) -> str:
    """'BG600: no spec; BG601: no spec' -> 'BG600, BG601: no spec' (order kept)."""
    grouped: dict[str, list[str]] = {}
    for item in dict.fromkeys(reasons):
        code, sep, why = item.partition(": ")
        if not sep or not code.startswith("BG"):
            code, why = "", item
        grouped.setdefault(why, []).append(code)
    parts = []
    for why, codes in grouped.items():
        named = ", ".join(c for c in codes if c)
        parts.append(f"{named}: {why}" if named else why)
    return "; ".join(parts)


def _m_vulns(report: Report, done: list[GateResult], counts: dict[str, int]) -> GateResult:
    gate = GATES_BY_ID["M-VULNS"]
    sec = [g for g in done if g.id.startswith("SEC-")]
    errors = [
        f for f in report.active_findings
        if f.gate and f.gate.startswith("SEC-") and f.severity is Severity.ERROR and not f.extra.get("existing")
    ]
    evaluated = [g for g in sec if g.status is not GateStatus.NOT_EVALUATED]
    evidence = {"security_gates_evaluated": [g.id for g in evaluated], "error_findings": len(errors)}
    if errors:
        return GateResult(gate.id, gate.checklist, gate.title, GateStatus.FAILED, f"{len(errors)} security finding(s) at error severity", {"error": len(errors)}, 0, evidence)
    if not evaluated:
        return GateResult(gate.id, gate.checklist, gate.title, GateStatus.NOT_EVALUATED, "no security gate could be evaluated", {}, 0, evidence)
    reason = f"no error-severity finding in {len(evaluated)} evaluated security gate(s)"
    missing = [g.id for g in sec if g.status is GateStatus.NOT_EVALUATED]
    if missing:
        reason += f"; not evaluated: {', '.join(missing)}"
    return GateResult(gate.id, gate.checklist, gate.title, GateStatus.PASSED, reason, {}, 0, evidence)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
