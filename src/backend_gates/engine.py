"""discover -> parse once -> run checks -> findings -> gate results.

CLI, pre-commit hook, language server and pytest plugin all call `check(...)`.
Warm runs replay the on-disk cache without importing libcst or sqlglot.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import importlib.util
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .version import __version__
from .config import Config
from . import cache_guard
from .errors import UsageError
from .redact import redact_data
from .sources.limits import LimitExceeded, decode_source, read_bounded, special_reason, time_budget
from .evidence import Evidence, EvidenceBuilder, Sources
from .model import Finding, GateNote, Location, Report, RuleInfo, Severity, ToolError
from .pipeline import finalize, finish, now
from .selection import Selected, selected
from .sources import memo
from .sources.context import FileResult

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# ----------------------------------------------------------------------------- file kinds


@dataclass(frozen=True, slots=True)
class SourceFile:
    abs: str
    key: str  # path relative to the project root, '/'-separated: cache key, fingerprints, output
    kind: str
    memo: dict[str, str] | None = None  # what its last analysis remembered (sources/memo.py)


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


def kind_of(key: str, config: Config) -> str | None:
    for kind, (_module, matcher) in FILE_KINDS.items():
        if matcher(key, config):
            return kind
    return None


# ----------------------------------------------------------------------------- discovery


class _Ignore:
    """.gitignore rules, one compiled spec per directory that has a .gitignore, read when first
    needed: in a git work tree git's listing decides (they apply only inside a submodule or a
    nested repository), and pathspec is not even imported."""

    def __init__(self) -> None:
        self._specs: list[tuple[str, Any]] = []
        self._pending: list[tuple[str, str]] = []  # (path of a .gitignore, its directory's key), in walk order
        self.paths: list[str] = []  # every .gitignore found

    def add(self, directory: str, rel_dir: str) -> None:
        path = os.path.join(directory, ".gitignore")
        if os.path.isfile(path):
            self._pending.append((path, rel_dir))
            self.paths.append(path)

    @property
    def specs(self) -> list[tuple[str, Any]]:
        if self._pending:
            pending, self._pending = self._pending, []
            for path, rel_dir in pending:
                try:
                    import pathspec

                    with open(path, encoding="utf-8", errors="replace") as handle:
                        spec = pathspec.GitIgnoreSpec.from_lines(handle)
                except (OSError, ValueError) as exc:  # unreadable .gitignore: warn, go on
                    log.warning("%s: cannot read .gitignore: %s", path, exc)
                    continue
                self._specs.append((rel_dir, spec))
        return self._specs

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


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable_key(key: str) -> str:
    """A file name as text every output can carry: undecodable bytes as \\xNN, control
    characters as escapes; the file itself is still read by its real path."""
    raw = key.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


@dataclass
class _Walk:
    """What a discovery read besides names: the directories it listed, the files whose content
    decided (.gitignore files, spec-like YAML/JSON), whether git's listing decided."""

    dirs: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    by_git: bool = False


def discover(
    paths: Iterable[str | Path], config: Config, walk: _Walk | None = None
) -> tuple[list[SourceFile], list[ToolError]]:
    """Files to check under `paths`: known kinds, minus `exclude` and .gitignore'd ones.

    Explicitly named files are always checked (if backend-gates reads their kind).
    """
    from .sources.context import PathMatcher
    from .sources.openapi import SPEC_SUFFIXES
    from .vendored import Finder

    root = config.root.resolve()
    root_str = str(root)
    exclude = PathMatcher(tuple(config.excludes))
    files: list[SourceFile] = []
    errors: list[ToolError] = []
    seen: set[str] = set()
    use_git = bool(config["respect-gitignore"])
    vendored = Finder(root) if config["skip-vendored"] else None

    def key_of(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    def add(abs_path: str, key: str, explicit: bool, kind: str | None = None) -> None:
        if key in seen:
            return
        kind = kind or kind_of(key, config)
        if kind is None:
            if explicit:
                errors.append(ToolError(key, "not a file backend-gates reads (skipped)", "discover"))
            return
        seen.add(key)
        if not key.isprintable() or _has_surrogates(key):  # non-UTF-8 or control bytes in a name: shown escaped
            key = _printable_key(key)
        unsafe = special_reason(abs_path, None if explicit else root)
        if unsafe is not None:  # FIFOs, devices, sockets, symlinks out of the project: never read
            errors.append(ToolError(key, unsafe, "discover"))
            return
        files.append(SourceFile(abs_path, key, kind))

    def forced_out(key: str) -> bool:
        """`force-exclude`: a named path under an excluded or vendored directory, or excluded itself."""
        parts = key.rstrip("/").split("/")
        if any(exclude.match(part) or exclude.match("/".join(parts[: i + 1])) for i, part in enumerate(parts)):
            return True
        return vendored is not None and vendored.holding(key) is not None

    force = bool(config["force-exclude"])
    paths = list(paths)
    given_dirs_only = all(Path(p if Path(p).is_absolute() else Path.cwd() / p).is_dir() for p in paths)
    for given in paths:
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists():
            raise UsageError(f"{given}: no such file or directory")
        if not path.is_dir():  # a named file (or FIFO/device: refused in add, never opened)
            key = key_of(path.parent.resolve() / path.name)
            if not (force and forced_out(key)):
                add(str(path), key, explicit=True)
            continue
        path = path.resolve()
        if force and path != root and forced_out(key_of(path) + "/"):
            continue
        ignore = _Ignore()
        listed = None
        if use_git:
            from .gitfiles import listing

            listed = listing(str(path))  # in a git work tree: git's own answer (nested negations, info/exclude)
            if walk is not None and listed is not None:
                walk.by_git = True
        if use_git:
            # .gitignore files between the root and the starting directory apply too
            current = root
            if path != root and root in path.parents:
                ignore.add(str(root), "")
                for part in path.relative_to(root).parts[:-1]:
                    current = current / part
                    ignore.add(str(current), key_of(current))
        opaque: set[str] = set()
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
            if vendored is not None and dirpath != str(path):  # a named directory is checked, whatever it holds
                found = vendored.check(rel_dir, dirnames, filenames)
                if found is not None:
                    errors.append(ToolError(found.path, found.note(), "discover"))
                    dirnames[:] = []
                    if walk is not None:
                        walk.dirs.append(dirpath)  # its entries decided
                    continue
            if use_git:
                ignore.add(dirpath, rel_dir)
            if walk is not None:
                walk.dirs.append(dirpath)
            walked = "" if dirpath == str(path) else dirpath[prefix_len:].replace(os.sep, "/")
            # git's listing decides, except inside what git lists as one entry (a submodule or
            # nested repository), where the .gitignore files read on the way decide
            by_git = listed is not None and walked not in opaque and not any(walked.startswith(o + "/") for o in opaque)
            keep = []
            for name in sorted(dirnames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if exclude.match(name) or exclude.match(rel):
                    continue
                sub_walked = f"{walked}/{name}" if walked else name
                if by_git and listed is not None:
                    if listed.opaque(sub_walked):
                        opaque.add(sub_walked)
                    elif not listed.keeps_dir(sub_walked):
                        continue
                elif use_git and ignore.specs and ignore.ignored(rel, True):
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if walk is not None and name.lower().endswith(SPEC_SUFFIXES):  # its kind may depend on its content
                    walk.read.append(os.path.join(dirpath, name))
                file_kind = kind_of(rel, config)
                if file_kind is None:
                    continue
                if exclude.match(name) or exclude.match(rel):
                    continue
                if by_git and listed is not None:
                    if not listed.keeps_file(f"{walked}/{name}" if walked else name):
                        continue
                elif use_git and ignore.specs and ignore.ignored(rel, False):
                    continue
                add(os.path.join(dirpath, name), rel, explicit=False, kind=file_kind)
        if walk is not None:
            walk.read.extend(ignore.paths)
    if walk is not None and vendored is not None:
        walk.read.extend(vendored.read)  # the manifests whose requirements decided
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


# ----------------------------------------------------------------------------- cache


def ruleset_key() -> str:
    """Tool version plus the stat of every source file of the package and of the parsers whose
    answers are cached (changes, an upgrade of libcst or sqlglot included, invalidate)."""
    base = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for name in _PARSERS:
        spec = importlib.util.find_spec(name)  # locates the package without importing it
        origin = spec.origin if spec is not None else None
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        digest.update(f"{name}:{origin}:{st.st_size if st else ''}:{st.st_mtime_ns if st else ''}".encode())
    for dirpath, _dirs, files in os.walk(base):
        for name in sorted(files):
            if name.endswith((".py", ".yaml", ".yml", ".json")):
                st = os.stat(os.path.join(dirpath, name))
                digest.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


_PARSERS = ("libcst", "sqlglot", "yaml")
_DELTA_FILES = 256  # past this many files' facts in the delta, the whole facts file is written


class Cache:
    FORMAT = 5

    def __init__(self, config: Config, enabled: bool) -> None:
        self.enabled = enabled
        directory = Path(config["cache-dir"])
        self.dir = directory if directory.is_absolute() else config.root / directory
        self.key = f"{ruleset_key()}-{config.analysis_key()}"
        self.path = self.dir / f"cache-{self.key}.json"
        self.facts_path = self.dir / f"facts-{self.key}.json"
        # the facts of files analysed since facts_path was written, against that file's digest:
        # a run that changed a few files writes them alone, without reading every file's facts
        self.delta_path = self.dir / f"delta-{self.key}.json"
        self.files: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, Any] = {}
        # each file's facts with the digest of the version they were made from: {"hash", "facts"}
        self._facts: dict[str, dict[str, Any]] | None = None  # loaded on first need (warm runs rarely)
        self._new_facts: dict[str, dict[str, Any]] = {}  # facts this run stored
        self.dirty = False
        self.facts_dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        data = cache_guard.load(self.path, self.key, self.FORMAT)  # verified, or None: rebuild
        if data is None:
            return
        files, meta = data.get("files"), data.get("meta")
        if isinstance(files, dict) and isinstance(meta, dict):
            self.files, self.meta = files, meta

    def get(self, key: str, digest: str) -> dict[str, Any] | None:
        entry = self.files.get(key)
        if entry is not None and cache_guard.valid_entry(entry) and entry["hash"] == digest:
            return entry
        return None

    def put(self, key: str, digest: str, result: FileResult, signature: list[int] | None = None, view: str = "") -> None:
        data = result.to_dict()
        facts = data.pop("facts")
        self.files[key] = {"hash": digest, "result": data, "fact_kinds": sorted(k for k, v in facts.items() if v), "deps": _depends_of(facts)}
        if view:
            self.files[key]["view"] = view
        if signature is not None:
            self.files[key]["stat"] = signature
        self._store_facts(key, digest, facts)

    def update_facts(self, key: str, digest: str, facts: dict[str, Any]) -> None:
        """Replace the stored facts of a file whose entry is for `digest` (Project.complete). Its
        `view` stays the main pass's (see `_view_of`), so equal files keep equal views."""
        entry = self.files.get(key)
        if not self.enabled or not isinstance(entry, dict) or entry.get("hash") != digest:
            return
        entry["fact_kinds"] = sorted(k for k, v in facts.items() if v)
        entry["deps"] = _depends_of(facts)
        self._store_facts(key, digest, facts)

    def _store_facts(self, key: str, digest: str, facts: dict[str, Any]) -> None:
        record = {"hash": digest, "facts": facts}
        self._new_facts[key] = record
        if self._facts is not None:
            self._facts[key] = record
        self.dirty = self.facts_dirty = True

    def facts_of(self, key: str, digest: str | None) -> dict[str, Any] | None:
        """The stored facts of `key` when they were made from the version `digest` names; None
        otherwise. The entries and the facts are separate files, each replaced whole by the last
        run that writes it: two overlapping runs that saw a file in two versions can leave one
        version's entry beside the other version's facts."""
        record = self.all_facts().get(key) if digest else None
        if isinstance(record, dict) and record.get("hash") == digest and isinstance(record.get("facts"), dict):
            facts: dict[str, Any] = record["facts"]
            return facts
        return None

    def memo_of(self, key: str) -> dict[str, str]:
        """What the last analysis of `key` remembered (its entry for another version included)."""
        entry = self.files.get(key)
        result = entry.get("result") if isinstance(entry, dict) else None
        return memo.valid(result.get("memo")) if isinstance(result, dict) else {}

    def known_digest(self, key: str, signature: list[int] | None) -> str | None:
        """The stored digest of a file whose stat signature is the one recorded with it."""
        entry = self.files.get(key) if signature is not None else None
        if isinstance(entry, dict) and entry.get("stat") == signature and isinstance(entry.get("hash"), str):
            return str(entry["hash"])
        return None

    def all_facts(self) -> dict[str, dict[str, Any]]:
        """Every file's stored facts record (see `facts_of`)."""
        if self._facts is None:
            self._facts = {}
            if self.enabled:
                seen: dict[str, str] = {}
                stored = cache_guard.load(self.facts_path, self.key, self.FORMAT, seen)
                if stored is not None and all(isinstance(v, dict) for v in stored.values()):
                    self._facts = stored
                    self._facts.update(self._delta(seen.get("digest")))
            self._facts.update(self._new_facts)
        return self._facts

    def _delta(self, base: str | None) -> dict[str, dict[str, Any]]:
        """The stored delta's facts when it was written against the facts file `base` names."""
        data = cache_guard.load(self.delta_path, self.key, self.FORMAT) if base else None
        facts = data.get("facts") if data is not None and data.get("base") == base else None
        if not isinstance(facts, dict) or not all(isinstance(v, dict) for v in facts.values()):
            return {}
        return facts

    def _save_facts(self) -> None:
        """A delta when this run stored few files' facts and never needed the others; else the
        whole facts file (the delta then goes: it names the digest of a file that is gone)."""
        base = cache_guard.body_digest(self.facts_path) if self._facts is None else None
        if base is not None:
            delta = {**self._delta(base), **self._new_facts}
            if len(delta) <= _DELTA_FILES:
                cache_guard.dump(self.delta_path, self.key, self.FORMAT, {"base": base, "facts": delta})
                return
        facts = self.all_facts()
        for key in [k for k in facts if k not in self.files]:
            del facts[key]
        cache_guard.dump(self.facts_path, self.key, self.FORMAT, facts)
        self.delta_path.unlink(missing_ok=True)

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
            if self.facts_dirty or (stale and self._facts is not None):
                self._save_facts()
            cache_guard.dump(self.path, self.key, self.FORMAT, {"meta": self.meta, "files": self.files})
            cache_guard.sweep_temporaries(self.dir)
            for pattern in ("cache-*.json", "facts-*.json", "delta-*.json"):
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
        raw = read_bounded(sf.abs)
    except LimitExceeded as exc:
        return "", _unreadable(sf, str(exc))
    except OSError as exc:
        return "", _unreadable(sf, f"cannot read: {exc.strerror}")
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    try:
        source = decode_source(raw, sf.kind)
    except UnicodeDecodeError as exc:
        return digest, _unreadable(sf, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except (SyntaxError, LookupError) as exc:  # a Python coding cookie naming an unknown codec
        return digest, _unreadable(sf, f"cannot decode: {exc}")
    module = _modules((sf.kind,))[sf.kind]
    try:
        with time_budget(), memo.analysing(sf.memo or {}) as used:
            result = module.analyze(sf.key, sf.abs, source, checks, config)
        result.memo = used
    except LimitExceeded as exc:  # over the time budget: one finding naming it; the run goes on
        return digest, _unreadable(sf, str(exc))
    except Exception as exc:  # a bug of ours must not lose the other files
        log.debug("internal error on %s", sf.key, exc_info=True)
        result = FileResult(path=sf.key, kind=sf.kind, lines=source.count("\n") + 1, parsed=False)
        result.errors.append(ToolError(sf.key, f"internal error while checking: {type(exc).__name__}: {exc}", "internal"))
    # facts reach the cache on disk: no raw secrets (redacted here, in the worker that made them)
    result.facts = redact_data(result.facts)
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


# Modules the Python checks import on first need (sqlglot when a string looks like SQL, the
# position index when a finding is located, ...). A one-file run stays lazy; a batch big enough
# for the pool will need them in every worker, so they are imported once before the pool forks
# rather than once per worker (sqlglot alone is 0.1-0.2 s of CPU per import)
_POOL_PRELOAD = (
    "sqlglot",
    "sqlglot.errors",
    "sqlglot.dialects.postgres",
    "libcst.metadata",
    "backend_gates.sources.positions",
    "backend_gates.sources.chunks",
    "backend_gates.sql.analysis",
    "backend_gates.sql.paths",
    "backend_gates.sql.query_shapes",
    "backend_gates.checks.project.db_queries",
)


def _preload(names: Iterable[str]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - an optional dependency missing: imported on need, as before
            continue


def _analyze_chunk(chunk: list[SourceFile]) -> list[tuple[str, FileResult]]:
    return [_analyze_file(sf) for sf in chunk]


@contextlib.contextmanager
def _batch_collection() -> Iterator[None]:
    """The garbage collector's pace while a batch of files is analysed (workers inherit it).

    A file's trees and facts are freed by reference counting as soon as its result is made
    (FileContext.release); what the collector finds are a few small cycles per file. At the default
    pace it ran a thousand times in a cold run of a 650-file project and walked every object the
    imports had made in each full pass (a tenth of the CPU); at this pace it runs a few dozen
    times and never a full pass."""
    before = gc.get_threshold()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
    if not files:
        return []
    with _batch_collection():
        return _analyze_all(files, jobs, progress)


def _analyze_aside(
    files: list[SourceFile], config: Config, checks: dict[str, list[tuple[type, dict[str, Any]]]], jobs: int
) -> list[tuple[str, FileResult]]:
    """`analyze_files` for a second look at some files during the project checks, leaving the
    main pass's worker state (its checks, its reader modules) as it was."""
    keep = dict(_WORKER)
    try:
        return analyze_files(files, config, checks, jobs)
    finally:
        _WORKER.clear()
        _WORKER.update(keep)


def _analyze_all(files: list[SourceFile], jobs: int, progress: Progress | None) -> list[tuple[str, FileResult]]:
    total = len(files)
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
    if context is not None and any(f.kind == "python" for f in files):
        _preload(_POOL_PRELOAD)
    if context is not None:  # the rules' patterns compiled once, here, not in every worker
        from .patterns import compile_all

        compile_all()
    # large files first so the pool does not end on one straggler
    ordered = sorted(files, key=lambda f: -_size(f.abs))
    per_chunk = max(1, min(32, total // (jobs * 8) or 1))
    chunks = [ordered[i : i + per_chunk] for i in range(0, total, per_chunk)]
    results: list[tuple[str, FileResult]] = []
    from concurrent.futures.process import BrokenProcessPool

    # what the imports made is shared with the forked workers page by page; a collection in a
    # worker touches every tracked object's header and copies its page. Frozen, the collector
    # leaves those objects alone (CPython's advice for pre-fork servers)
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for chunk_result in pool.map(_analyze_chunk, chunks):
                results.extend(chunk_result)
                if progress:
                    progress(len(results), total)
    except BrokenProcessPool:  # a worker died (out of memory, a native crash): isolate the file
        done = {r.path for _d, r in results}
        for sf in ordered:
            if sf.key not in done:
                results.append(_analyze_isolated(sf, context))
                if progress:
                    progress(len(results), total)
    finally:
        gc.unfreeze()
    return results


def _analyze_isolated(sf: SourceFile, context: Any) -> tuple[str, FileResult]:
    """One file in its own process, after a worker died: a crash costs this file only."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(_analyze_file, sf).result()
    except BrokenProcessPool:
        return "", _unreadable(sf, "the analysis process died on this file (out of memory or a parser crash); the other files were checked")


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
    texts: dict[str, list[str]] = field(default_factory=dict)  # path -> lines, read once
    fact_kinds: frozenset[str] | None = None  # kinds some file produced (None: unknown): others need no load
    # reads files again for what their collectors deferred (see `complete`); None: not possible here
    completer: Callable[[str, set[str]], bool] | None = None
    reads: set[str] = field(default_factory=set)  # files `complete` read again for the running check

    def complete(self, kind: str, paths: set[str]) -> bool:
        """Have the collectors of fact `kind` judge, in `paths`, what the main pass deferred
        (`FactCollector.deferred_option`); the files' facts of that kind are replaced. False when
        this run cannot read files again (its facts stay as they are)."""
        if self.completer is None:
            return False
        self.reads.update(paths)
        self.facts(kind)  # cached facts loaded first: the fresh ones replace them
        return self.completer(kind, paths)

    def facts(self, kind: str) -> list[tuple[str, Any]]:
        if self.fact_kinds is not None and kind not in self.fact_kinds:
            return []
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
        """The text of `path` as lines: the editor's buffer when one is open (`texts`), else the disk."""
        if path not in self.texts:
            try:
                self.texts[path] = (self.root / path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self.texts[path] = []
        return self.texts[path]


# ----------------------------------------------------------------------------- the run


@dataclass
class _Files:
    """Every file of the project known to this run: results (fresh or from the cache)."""

    results: dict[str, FileResult]
    digests: dict[str, str]
    fact_kinds: set[str]  # fact kinds any file produced (for rules that `require` some)
    rules: list[RuleInfo]  # the file-kind rules that ran
    analyzed: int
    views: dict[str, str] = field(default_factory=dict)  # path -> digest of what project checks see of it (_view_of)


class Run:
    """One invocation of backend-gates: static evidence for paths or an editor buffer, then
    `finish(*evidence)` -> Report. CLI, pytest plugin, language server and `merge` use it.

    A partial run (named files that are not the whole project: pre-commit, the editor) is the
    full run restricted: project checks see the facts of every file of the project (cached, or
    computed and cached now) and only findings located in the named files are reported.
    """

    def __init__(
        self,
        config: Config,
        *,
        use_cache: bool | None = None,
        jobs: int | None = None,
        progress: Progress | None = None,
        mode: str = "check",
    ) -> None:
        self.config = config
        self.mode = mode
        self.progress = progress
        self.use_cache = bool(config["cache"] if use_cache is None else use_cache)
        self.jobs = jobs if jobs is not None else (config["jobs"] or os.cpu_count() or 1)
        self.started = now()
        self.project: Project | None = None  # after static()/source(): every file's facts
        self._checks: dict[str, Selected] | None = None
        self._cache: Cache | None = None
        self._memo: dict[str, tuple[str, FileResult, str]] = {}  # key -> (digest, result, view): files seen by this run

    # ------------------------------------------------------------------ stages
    def static(self, paths: Iterable[str | Path] = ()) -> Evidence:
        """Findings of every enabled static check over `paths` (default: config `paths`)."""
        t0 = time.perf_counter()
        config = self.config
        named = list(paths)
        whole = [config.root / p for p in config["paths"]]
        files, errors = discover(named or whole, config)
        scope: set[str] | None = None
        if named and not _covers(named, whole):  # a named path holding the whole project: one discovery
            everything = self._whole_project(whole)
            keys = {f.key for f in files}
            if everything is not None and not keys >= {f.key for f in everything}:
                scope = keys
                files = files + [f for f in everything if f.key not in keys]
        cache = self._cache_()
        state = self._file_results(files, cache)
        evidence = self._evidence(state, cache, files, errors, scope, {})
        cache.save(set(state.results))
        return self._with_sources(evidence, state, scope, t0, {})

    def source(self, path: str | Path, text: str, *, project: bool = True) -> Evidence:
        """Static evidence for one document as the editor holds it (unsaved text included).

        Every finding located in the document is reported: per-file checks on `text`, and (with
        `project`) project checks over the whole project's facts, this document's from `text`.
        """
        t0 = time.perf_counter()
        config = self.config
        key = _key_of(Path(path), config)
        kind = kind_of(key, config)
        if kind is None:
            return Evidence("static")
        cache = self._cache_()
        others: list[SourceFile] = []
        if project:
            everything = self._whole_project([config.root / p for p in config["paths"]]) or []
            others = [f for f in everything if f.key != key]
        state = self._file_results(others, cache)
        module = _modules((kind,))[kind]
        checks = self._file_checks().get(kind, [])
        if project:  # the project checks run: what a collector defers would be read again at once
            checks = _judging_deferred(checks)
        result = module.analyze(key, str(path), text, checks, config)
        state.results[key] = result
        state.fact_kinds.update(k for k, v in result.facts.items() if v)
        if project and cache.enabled:  # the document as if saved: its content and its (redacted) facts
            state.digests[key] = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
            state.views[key] = _view_of(dataclasses.replace(result, facts=redact_data(result.facts)))
        texts = {key: text.splitlines()}
        evidence = self._evidence(state, cache, [], [], {key}, texts, project_checks=project)
        if project:
            cache.save(set(state.results))
        return self._with_sources(evidence, state, {key}, t0, texts)

    def runtime(self, observer: str, recorded: Any) -> Evidence:
        """Judge what one observer recorded: every selected runtime check that `observes` it."""
        from .checks.base import RuntimeCheck

        out = EvidenceBuilder(f"runtime:{observer}")
        for cls, opts in selected(self.config, ("runtime",)):
            if not issubclass(cls, RuntimeCheck) or cls.observes != observer:
                continue
            out.rules.append(cls.info())
            try:
                verdict = cls(opts, self.config).judge(recorded)
            except Exception as exc:  # our bug: this check cannot judge; the others go on
                log.debug("runtime check %s failed", cls.code, exc_info=True)
                message = f"internal error in {cls.code} ({cls.name}): {type(exc).__name__}: {exc}"
                out.errors.append(ToolError("", message, "internal"))
                out.not_judged(cls.code, cls.gate, message)
                continue
            out.findings.extend(verdict.findings)
            if verdict.reason:
                out.not_judged(cls.code, cls.gate, verdict.reason)
            else:
                out.ran(cls.code, cls.gate)
            for part in verdict.partial:
                out.not_judged(cls.code, cls.gate, part)
            if verdict.notes and cls.gate:
                out.note(cls.gate, **verdict.notes)
            if verdict.gate_verdict is not None and cls.gate:
                out.notes.append(GateNote(cls.gate, {}, None, verdict.gate_verdict))
            for key, value in verdict.metrics.items():
                have = out.metrics.get(key)
                out.metrics[key] = {**have, **value} if isinstance(have, dict) and isinstance(value, dict) else value
        return out.build()

    def finish(self, *evidence: Evidence, absent: str | Mapping[str, str] | None = None) -> Report:
        """Overrides, suppressions, baseline and diff over all evidence; every gate scored once."""
        return finish(self.config, evidence, mode=self.mode, started=self.started, absent=absent)

    # ------------------------------------------------------------------ pieces
    def _cache_(self) -> Cache:
        if self._cache is None:
            self._cache = Cache(self.config, self.use_cache)
        return self._cache

    def _whole_project(self, whole: list[Path]) -> list[SourceFile] | None:
        """Every file of the project, for a partial run. Outside git, the cache keeps the last
        answer with what it was read from (see `_listing_of`); an unchanged tree replays it."""
        config, cache = self.config, self._cache_()
        given = [p for p in whole if p.exists()] or [config.root]
        key = _listing_key(config, given) if cache.enabled else None
        stored = cache.meta.get("listing") if key else None
        files = _replay_listing(stored, key, config) if isinstance(stored, dict) and key else None
        if files is not None:
            return files
        walk = _Walk() if key else None
        started = time.time_ns()
        try:
            files, _errors = discover(given, config, walk)
        except UsageError:
            return None
        if key and walk is not None:
            listing = _listing_of(walk, files, key, config, started)
            if listing != stored:
                if listing is None:
                    cache.meta.pop("listing", None)
                else:
                    cache.meta["listing"] = listing
                cache.dirty = True
        return files

    def _file_checks(self) -> dict[str, Selected]:
        if self._checks is None:
            kinds = tuple(FILE_KINDS)
            by_kind: dict[str, Selected] = {k: [] for k in kinds}
            for cls, opts in selected(self.config, kinds + ("tool",)):
                if cls.kind in by_kind:
                    by_kind[cls.kind].append((cls, opts))
            self._checks = by_kind
        return self._checks

    def _file_results(self, files: list[SourceFile], cache: Cache) -> _Files:
        results: dict[str, FileResult] = {}
        misses: list[SourceFile] = []
        digests: dict[str, str] = {}
        views: dict[str, str] = {}
        fact_kinds: set[str] = set()
        signatures: dict[str, list[int]] = {}
        for sf in files:
            signature = _signature(sf.abs) if cache.enabled else None
            if signature is not None:
                signatures[sf.key] = signature
            digest = cache.known_digest(sf.key, signature)  # unchanged since it was hashed: not read again
            if digest is None:
                try:
                    with open(sf.abs, "rb") as handle:
                        raw = handle.read()
                except OSError:
                    misses.append(sf)
                    continue
                digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
            digests[sf.key] = digest
            seen = self._memo.get(sf.key)
            if seen is not None and seen[0] == digest:
                results[sf.key] = seen[1]
                fact_kinds.update(k for k, v in seen[1].facts.items() if v)
                if seen[2]:
                    views[sf.key] = seen[2]
                continue
            hit = cache.get(sf.key, digest)
            if hit is not None and cache_guard.stale_depends(hit, self.config.root):
                hit = None
            replayed = None
            if hit is not None:
                try:
                    replayed = FileResult.from_dict({**hit["result"], "facts": {}})
                except (KeyError, TypeError, ValueError, AttributeError):  # doubt: analyse again
                    replayed = None
            if replayed is not None and hit is not None and replayed.path == sf.key:
                results[sf.key] = replayed
                fact_kinds.update(hit.get("fact_kinds", ()))
                if isinstance(hit.get("view"), str):
                    views[sf.key] = hit["view"]
            else:
                misses.append(dataclasses.replace(sf, memo=cache.memo_of(sf.key)))
        if misses or "rules" not in cache.meta:
            checks = self._file_checks()
            cache.meta["rules"] = [cls.info().to_dict() for kind in FILE_KINDS for cls, _o in checks[kind] if cls.code]
            cache.dirty = True
            for digest, result in analyze_files(misses, self.config, checks, self.jobs, self.progress):
                results[result.path] = result
                fact_kinds.update(k for k, v in result.facts.items() if v)
                if digest and not cache_guard.transient(result.errors):  # never replay a transient failure
                    view = _view_of(result) if cache.enabled else ""
                    if view:
                        views[result.path] = view
                    cache.put(result.path, digest, result, signatures.get(result.path), view)
                    self._memo[result.path] = (digest, result, view)
        rules = [RuleInfo.from_dict(r) for r in cache.meta["rules"]]
        return _Files(results, digests, fact_kinds, rules, len(misses), views)

    def _evidence(
        self,
        state: _Files,
        cache: Cache,
        files: list[SourceFile],
        errors: list[ToolError],
        scope: set[str] | None,
        texts: dict[str, list[str]],
        *,
        project_checks: bool = True,
    ) -> Evidence:
        config = self.config
        results = state.results
        fresh = {r.path for r in results.values() if r.facts}

        def load_cached_facts() -> None:
            astray: list[str] = []
            for key, result in results.items():
                if key not in fresh and not result.facts:
                    facts = cache.facts_of(key, state.digests.get(key)) if cache.enabled else None
                    if facts is None and cache.enabled:
                        astray.append(key)
                    result.facts = facts or {}
            if astray:
                self._facts_again(state, cache, astray)

        def mine(path: str) -> bool:
            return scope is None or path in scope

        counts: dict[str, int] = {}
        parsed: dict[str, int] = {}
        for result in results.values():
            counts[result.kind] = counts.get(result.kind, 0) + 1
            if result.parsed:
                parsed[result.kind] = parsed.get(result.kind, 0) + 1
            if mine(result.path):
                errors.extend(result.errors)

        project = Project(config.root, config, results, counts, load_cached_facts, dict(texts), frozenset(state.fact_kinds))
        project.completer = functools.partial(self._complete, state, cache)
        self.project = project
        out = EvidenceBuilder("static")
        out.findings.extend(f for r in results.values() if mine(r.path) for f in r.findings)
        for info in state.rules:
            if info.requires and not state.fact_kinds.intersection(info.requires[0]):
                out.not_judged(info.code, info.gate, info.requires[1])
            elif parsed.get(info.kind, 0):
                out.ran(info.code, info.gate)
            else:
                out.not_judged(info.code, info.gate, f"no {info.kind} files {'parsed' if counts.get(info.kind) else 'found'}")

        # Project checks read only the facts, so their outcome is cached under the digest of every
        # file: an unchanged tree replays it. An edit that leaves every file's facts as they were
        # (a body, a comment, a docstring) replays it too, when the lines its findings point at
        # are unchanged (their evidence and fingerprints). Checks with outside inputs
        # (`cacheable = False`) rerun.
        project_key = hashlib.sha256("\n".join(f"{k}:{state.digests.get(k, '')}" for k in sorted(results)).encode()).hexdigest()
        facts_key = _facts_key(results, state.views)
        stored = cache.meta.get("project") if cache.enabled and project_checks else None
        replay: dict[str, Any] = {}
        anchors: dict[str, list[str]] = {}
        if stored and stored.get("key") == project_key:
            replay = stored["checks"]
            anchors = stored.get("anchors") or {}
        elif stored and facts_key and stored.get("facts_key") == facts_key:
            held = _anchors_now(stored, state.digests, project)
            if held is not None:
                anchors, replay = held, _replayable(stored["checks"], state.digests)
        outcomes: dict[str, Any] = {}
        uncached: set[str] = set()  # checks with outside inputs: rerun every time, never make the cache dirty
        project_rules: list[RuleInfo] = []
        for cls, opts in selected(config, ("project",)) if project_checks else []:
            project_rules.append(cls.info())
            if not getattr(cls, "cacheable", True) or (getattr(cls, "reads_git_base", False) and _git_base(config)):
                uncached.add(cls.code)
            outcome = replay.get(cls.code) if cls.code not in uncached else None
            if outcome is None:
                project.reads = set()
                outcome = _run_project_check(cls, opts, project)
                if project.reads:  # its outcome holds more than facts: these files' contents
                    outcome["reads"] = {p: state.digests.get(p, "") for p in sorted(project.reads)}
            outcomes[cls.code] = outcome
            if outcome["error"]:
                errors.append(ToolError("", outcome["error"], "internal"))
                out.not_judged(cls.code, cls.gate, f"internal error: {outcome['error']}")
            elif outcome["reason"]:
                out.not_judged(cls.code, cls.gate, outcome["reason"])
            else:
                out.ran(cls.code, cls.gate)
                out.findings.extend(f for f in map(Finding.from_dict, outcome["findings"]) if mine(f.location.path))
        fresh_outcomes = {c for c, o in outcomes.items() if o is not replay.get(c) and c not in uncached}
        if cache.enabled and project_checks and (fresh_outcomes or replay.keys() != outcomes.keys() or (stored or {}).get("key") != project_key):
            cache.meta["project"] = {
                "key": project_key,
                "facts_key": facts_key,
                "checks": outcomes,
                "anchors": _anchors(outcomes, state.digests, project, anchors if not fresh_outcomes else {}),
            }
            cache.dirty = True
        out.findings.extend(self._semgrep(files if scope is None else [f for f in files if f.key in scope], out, project))
        out.rules.extend(state.rules + project_rules + _tool_rules())
        out.errors.extend(errors)
        out.findings[:] = _shipped_migrations_as_info(out.findings, project)
        return out.build()

    def _facts_again(self, state: _Files, cache: Cache, keys: list[str]) -> None:
        """Files whose cached result is replayed but whose stored facts are missing or were made
        from another version (`Cache.facts_of`): analysed again for their facts, which replace
        the stored ones. A file changed on disk since this run hashed it keeps no facts."""
        results = state.results
        disk = [SourceFile(str(self.config.root / k), k, results[k].kind) for k in keys]
        fresh = _analyze_aside(disk, self.config, self._file_checks(), self.jobs)
        for digest, result in fresh:
            target = results.get(result.path)
            if target is None or not digest or digest != state.digests.get(result.path) or cache_guard.transient(result.errors):
                continue
            target.facts = result.facts
            entry = cache.files.get(result.path) or {}
            cache.put(result.path, digest, result, entry.get("stat"), _view_of(result))

    def _complete(self, state: _Files, cache: Cache, kind: str, paths: set[str]) -> bool:
        """Project.complete for this run: the collectors of `kind` with their deferred option on,
        over `paths` read from disk; the fresh facts of that kind replace the file's, in this run
        and in the cache. A file whose digest is not the one this run hashed keeps its facts: one
        changed on disk since, and an editor's document that differs from the disk (`source()`
        reads the document's deferred parts in its own pass)."""
        collectors = [
            (cls, opts)
            for cls, opts in _judging_deferred(self._file_checks().get("python", []))
            if getattr(cls, "deferred_option", None) and kind in getattr(cls, "produces", ())
        ]
        if not collectors:
            return False
        results = state.results
        wanted = sorted(p for p in paths if p in results and results[p].kind == "python")
        disk = [SourceFile(str(self.config.root / k), k, "python") for k in wanted if k in state.digests]
        fresh = _analyze_aside(disk, self.config, {"python": collectors}, self.jobs)
        for digest, result in fresh:
            target = results.get(result.path)
            if target is None or result.errors or not digest or digest != state.digests.get(result.path):
                continue
            target.facts = {k: v for k, v in target.facts.items() if k != kind}
            if result.facts.get(kind):
                target.facts[kind] = result.facts[kind]
            cache.update_facts(result.path, digest, target.facts)
        return True

    def _semgrep(self, files: list[SourceFile], out: EvidenceBuilder, project: Project) -> list[Finding]:
        """The semgrep rule pack (sources/semgrep.py): one process, only when enabled or selected."""
        from .sources import semgrep

        outcome = semgrep.run_pack(self.config, [(f.key, f.abs) for f in files if f.kind == "python"], out.findings)
        if outcome is None:
            return []
        out.errors.extend(outcome.errors)
        out.rules.extend(outcome.rules)
        for info in outcome.rules:
            if outcome.ran:
                out.ran(info.code, info.gate)
            else:
                out.not_judged(info.code, info.gate, f"semgrep: {outcome.reason}")
        return finalize(outcome.findings, project.lines)

    def _with_sources(
        self, evidence: Evidence, state: _Files, scope: set[str] | None, t0: float, texts: dict[str, list[str]]
    ) -> Evidence:
        results = [r for r in state.results.values() if scope is None or r.path in scope]
        project = self.project
        assert project is not None
        sources = Sources(
            files=len(results),
            lines=sum(r.lines for r in results),
            suppressions={r.path: tuple(r.suppressions) for r in results if r.suppressions and r.parsed},
            lines_of=project.lines,
            analyzed=min(state.analyzed, len(results)),
            seconds=time.perf_counter() - t0,
        )
        return dataclasses.replace(evidence, sources=sources)


def _view_of(result: FileResult) -> str:
    """A digest of what project checks see of one file: its kind, whether it parsed, and its
    facts as the main pass made them (what a check reads again with `Project.complete` is
    recorded with its outcome: `_replayable`). Empty when the facts are not JSON (no replay)."""
    try:
        facts = json.dumps(result.facts, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return ""
    seen = f"{result.kind}:{int(result.parsed)}:{facts}"
    return hashlib.blake2b(seen.encode(), digest_size=16).hexdigest()


def _facts_key(results: Mapping[str, FileResult], views: Mapping[str, str]) -> str:
    """What every project check reads, as one digest (empty when a file's view is unknown)."""
    if any(k not in views for k in results):
        return ""
    return hashlib.sha256("\n".join(f"{k}:{views[k]}" for k in sorted(results)).encode()).hexdigest()


def _finding_lines(outcomes: Mapping[str, Any]) -> dict[str, list[int]]:
    """path -> the lines project findings point at (their evidence and fingerprints read them)."""
    out: dict[str, set[int]] = {}
    for outcome in outcomes.values():
        for f in outcome.get("findings", ()):
            out.setdefault(f["path"], set()).add(f["line"])
    return {path: sorted(lines) for path, lines in out.items()}


def _lines_digest(project: Project, path: str, lines: list[int]) -> str:
    text = "\n".join(project.line(path, n) for n in lines)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _anchors(outcomes: Mapping[str, Any], digests: Mapping[str, str], project: Project, known: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """path -> [file digest, digest of the lines findings point at]; `known` entries for a file
    whose digest is unchanged are kept without reading it."""
    out: dict[str, list[str]] = {}
    for path, lines in _finding_lines(outcomes).items():
        have = known.get(path)
        digest = digests.get(path, "")
        out[path] = list(have) if have and digest and have[0] == digest else [digest, _lines_digest(project, path, lines)]
    return out


def _replayable(outcomes: Mapping[str, Any], digests: Mapping[str, str]) -> dict[str, Any]:
    """The outcomes still true of equal facts: a check that read files again (`reads`) is run
    again when one of them has changed."""
    out: dict[str, Any] = {}
    for code, outcome in outcomes.items():
        reads = outcome.get("reads") if isinstance(outcome, dict) else None
        if isinstance(outcome, dict) and (reads is None or (isinstance(reads, dict) and all(
            isinstance(digest, str) and digest and digests.get(path) == digest for path, digest in reads.items()
        ))):
            out[code] = outcome
    return out


def _anchors_now(stored: Mapping[str, Any], digests: Mapping[str, str], project: Project) -> dict[str, list[str]] | None:
    """The stored anchors brought up to date, or None when a line a stored finding points at has
    changed (its evidence or fingerprint would: the checks run again)."""
    anchors = stored.get("anchors")
    checks = stored.get("checks")
    if not isinstance(anchors, dict) or not isinstance(checks, dict):
        return None
    try:
        wanted = _finding_lines(checks)
    except (KeyError, TypeError, AttributeError):
        return None
    out: dict[str, list[str]] = {}
    for path, lines in wanted.items():
        have = anchors.get(path)
        if not isinstance(have, list) or len(have) != 2:
            return None
        digest = digests.get(path, "")
        if not (digest and have[0] == digest):
            now = _lines_digest(project, path, lines)
            if now != have[1]:
                return None
            have = [digest, now]
        out[path] = have
    return out


def _judging_deferred(checks: Selected) -> Selected:
    """`checks` with every collector's deferred option on (FactCollector.deferred_option)."""
    out: Selected = []
    for cls, opts in checks:
        option = getattr(cls, "deferred_option", None)
        out.append((cls, {**opts, option: True}) if option else (cls, opts))
    return out


_RACY_SECONDS = 2.0


def _signature(path: str) -> list[int] | None:
    """What identifies an unchanged file without reading it: size, inode, modification and change
    times (the change time moves on every write and every `touch`/`cp -p`, and cannot be set).

    A file changed within the last two seconds gets none, so a write in the same clock tick as the
    stat can never pass for the hashed content (git's "racy clean" rule); it is read and hashed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < _RACY_SECONDS * 1e9:
        return None
    return [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


# ----------------------------------------------------------------------------- the project's files, replayed
# A partial run (pre-commit, the editor) needs every file of the project to validate the cache,
# and listing a tree (with its .gitignore files) cost 15-30 ms. Outside a git work tree the
# answer is kept with the stat signatures of what it was read from: every directory listed (a
# file created, deleted or renamed changes its directory's times), every .gitignore and every
# file whose content decided its kind (spec-like YAML/JSON). A tree holding symlinks, a project
# whose paths are not its root, configured spec globs, or a listing read while anything it read
# was changing (git's "racy" rule, as for file signatures) is listed again every time.


def _listing_key(config: Config, given: list[Path]) -> str | None:
    """What the listing depends on besides the tree; None when it is not replayed."""
    root = config.root.resolve()
    if os.sep != "/" or [p.resolve() for p in given] != [root] or config["openapi.spec"]:
        return None
    settings = [str(root), list(config.excludes), bool(config["respect-gitignore"]), bool(config["skip-vendored"]), list(FILE_KINDS)]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def _listing_of(walk: _Walk, files: list[SourceFile], key: str, config: Config, started: int) -> dict[str, Any] | None:
    """The listing with the signatures of what it was read from, or None (not replayable)."""
    root = str(config.root.resolve())
    if walk.by_git or any(f.abs != os.path.join(root, f.key) for f in files):
        return None
    stamps: dict[str, list[int]] = {}
    for path in walk.dirs + walk.read:
        stamp = _stamp(path)
        if stamp is None or max(stamp[2], stamp[3]) > started - _RACY_SECONDS * 1_000_000_000:
            return None  # changed while (or just before) it was read
        stamps[path] = stamp
    for directory in walk.dirs:
        try:
            with os.scandir(directory) as entries:
                if any(entry.is_symlink() for entry in entries):
                    return None  # what a link points to can change with no directory here changing
        except OSError:
            return None
    return {"key": key, "stamps": stamps, "files": [[f.key, f.kind] for f in files]}


def _replay_listing(stored: dict[str, Any], key: str, config: Config) -> list[SourceFile] | None:
    """The stored listing when everything it was read from is as it was, and the project is
    still outside a git work tree (a `git init` above it changes nothing in it)."""
    if stored.get("key") != key or not isinstance(stored.get("stamps"), dict) or not isinstance(stored.get("files"), list):
        return None
    for path, stamp in stored["stamps"].items():
        if _stamp(path) != stamp:
            return None
    root = str(config.root.resolve())
    if config["respect-gitignore"] and not _outside_git(root):
        from .gitfiles import listing

        if listing(root) is not None:
            return None
    try:
        return [SourceFile(os.path.join(root, k), k, kind) for k, kind in stored["files"]]
    except (TypeError, ValueError):
        return None


def _outside_git(root: str) -> bool:
    """No git work tree can hold `root` (git finds one through a `.git` in it or above it, or
    through GIT_DIR): git need not be asked."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return False
    path = root
    while True:
        if os.path.lexists(os.path.join(path, ".git")):
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _covers(named: list[str | Path], whole: list[Path]) -> bool:
    """Whether every configured path lies under one of the named paths (`check .`)."""
    try:
        mine = [Path(p).resolve() for p in named]
        return all(any(m == w or m in w.parents for m in mine) for w in (p.resolve() for p in whole))
    except (OSError, RuntimeError):
        return False


def _key_of(path: Path, config: Config) -> str:
    root = config.root.resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def check(
    paths: Iterable[str | Path],
    config: Config,
    *,
    use_cache: bool | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    mode: str = "check",
) -> Report:
    """Run every enabled static check over `paths` and evaluate the gates (a one-stage Run)."""
    run = Run(config, use_cache=use_cache, jobs=jobs, progress=progress, mode=mode)
    return run.finish(run.static(paths))


def _shipped_migrations_as_info(findings: list[Finding], project: Project) -> list[Finding]:
    """History a change cannot edit is not a failure: other rules' findings in shipped migrations are info."""
    from .checks.project.db_history import shipped_as_info

    return shipped_as_info(findings, project)


def _git_base(config: Config) -> str:
    """The change's git base (`--diff REF` / `new-code`), which some project checks read."""
    from .checks.project.db_history import base_ref

    return base_ref(config)


def _run_project_check(cls: Any, opts: dict[str, Any], project: Project) -> dict[str, Any]:
    """Run one project check; its outcome as JSON-safe data (findings finalised)."""
    instance = cls(opts)
    try:
        reason = instance.not_evaluated(project)
        if reason:
            return {"reason": reason, "error": None, "findings": []}
        found = finalize(instance.run(project), project.lines)
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
