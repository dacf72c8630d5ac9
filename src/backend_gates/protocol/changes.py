"""`backend-gates changes --base REF [--output FILE]`: what changed for the developer docs.

Markdown with the endpoints added, removed and changed (method, path, auth, parameters), the
schema changes (tables, columns, indexes) and the migrations added since REF, and the breaking
changes of every OpenAPI spec. The base is read with `git archive REF` into a temporary
directory (the working tree is never touched) and analysed like the current tree, without cache.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import commands
from ..errors import UsageError

HELP = "Markdown summary of endpoint, schema, migration and spec changes since a git ref"
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files or directories (default: `paths` from config, else .)")
    p.add_argument("--base", metavar="REF", required=True, help="git ref to compare with (branch, tag, commit)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the Markdown to FILE (e.g. docs/backend-changes.md) instead of stdout")
    commands.add_config_options(p)


@dataclass(frozen=True, slots=True)
class EndpointView:
    method: str
    path: str
    auth: tuple[str, ...]
    params: tuple[str, ...]
    handler: str
    file: str
    line: int

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class TableView:
    name: str
    columns: dict[str, str]  # name -> "TYPE, not null, pk"
    indexes: frozenset[str]  # "name (a, b) unique"
    file: str
    line: int


@dataclass
class Snapshot:
    endpoints: dict[tuple[str, str], EndpointView] = field(default_factory=dict)
    tables: dict[str, TableView] = field(default_factory=dict)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # spec path -> summary
    files: set[str] = field(default_factory=set)


@dataclass
class Summary:
    base: str
    added: list[EndpointView] = field(default_factory=list)
    removed: list[EndpointView] = field(default_factory=list)
    changed: list[tuple[EndpointView, list[str]]] = field(default_factory=list)
    tables_added: list[TableView] = field(default_factory=list)
    tables_removed: list[TableView] = field(default_factory=list)
    tables_changed: list[tuple[TableView, list[str]]] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    breaking: list[tuple[str, str, str]] = field(default_factory=list)  # spec, operation, detail
    bumps: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.tables_added or self.tables_removed
                    or self.tables_changed or self.migrations or self.breaking)


# ----------------------------------------------------------------------------- snapshots


def snapshot(report: Any, project: Any) -> Snapshot:
    from ..openapi.project import spec_facts
    from ..protocol.contracts import PLUMBING
    from ..routes import shape
    from ..routes.discover import analyze
    from ..sql.schema import build

    snap = Snapshot(files=set(project.results))
    for view in analyze(project):
        route = view.route
        params = []
        for p in view.params:
            name = p.name
            if not name or name in ("self", "cls") or name.lower() in PLUMBING or p.dep:
                continue
            ann = p.ann
            params.append(f"{name}: {ann}" if ann and ann != "?" else name)
        auth = tuple(sorted(set(view.auth)))
        snap.endpoints[(route.method, shape(route.path))] = EndpointView(
            route.method, route.path, auth, tuple(params), route.handler, route.file, route.line
        )
    schema = build(project)
    for name, table in schema.merged.items():
        cols = {}
        for col in table.columns.values():
            bits = [col.type or "?"]
            if not col.nullable or col.pk:
                bits.append("not null")
            if col.pk or col.name in table.pk:
                bits.append("primary key")
            if col.fk:
                bits.append(f"-> {col.fk}")
            cols[col.name] = ", ".join(bits)
        indexes = frozenset(
            f"{ix.name or 'index'} ({', '.join(ix.columns)}){' unique' if ix.unique else ''}"
            for ix in table.index_sets() if ix.columns and not ix.implicit
        )
        first = min(schema.tables(name), key=lambda t: (t.path, t.line), default=table)
        snap.tables[name] = TableView(name, cols, indexes, first.path, first.line)
    for spec_path, summary in spec_facts(project):
        snap.specs[str(summary.get("spec", spec_path))] = summary
    return snap


def compare(base: Snapshot, head: Snapshot, ref: str, migrations: list[str]) -> Summary:
    from ..openapi.diff import compare as spec_compare
    from ..openapi.diff import version_bump

    out = Summary(ref, migrations=migrations)
    for key, ep in sorted(head.endpoints.items()):
        old = base.endpoints.get(key)
        if old is None:
            out.added.append(ep)
            continue
        what = []
        if old.path != ep.path:
            what.append(f"path `{old.path}` -> `{ep.path}`")
        if old.auth != ep.auth:
            what.append(f"auth {_list(old.auth) or 'none'} -> {_list(ep.auth) or 'none'}")
        if old.params != ep.params:
            gone = [p for p in old.params if p not in ep.params]
            new = [p for p in ep.params if p not in old.params]
            if new:
                what.append(f"parameters added: {_list(new)}")
            if gone:
                what.append(f"parameters removed: {_list(gone)}")
        if what:
            out.changed.append((ep, what))
    out.removed = [ep for key, ep in sorted(base.endpoints.items()) if key not in head.endpoints]
    for name, table in sorted(head.tables.items()):
        old_table = base.tables.get(name)
        if old_table is None:
            out.tables_added.append(table)
            continue
        what = []
        for col, desc in table.columns.items():
            if col not in old_table.columns:
                what.append(f"column added: `{col}` ({desc})")
            elif old_table.columns[col] != desc:
                what.append(f"column changed: `{col}` ({old_table.columns[col]} -> {desc})")
        what.extend(f"column removed: `{col}`" for col in old_table.columns if col not in table.columns)
        what.extend(f"index added: {ix}" for ix in sorted(table.indexes - old_table.indexes))
        what.extend(f"index removed: {ix}" for ix in sorted(old_table.indexes - table.indexes))
        if what:
            out.tables_changed.append((table, what))
    out.tables_removed = [t for name, t in sorted(base.tables.items()) if name not in head.tables]
    for spec, summary in sorted(head.specs.items()):
        old_summary = base.specs.get(spec)
        if old_summary is None:
            continue
        bump = version_bump(old_summary, summary)
        if bump:
            out.bumps[spec] = bump
        for change in spec_compare(old_summary.get("contract", {}), summary.get("contract", {})):
            out.breaking.append((spec, change.operation, change.detail))
    return out


def _list(items: Any) -> str:
    return ", ".join(f"`{i}`" for i in items)


# ----------------------------------------------------------------------------- git


def _git(root: Path, *args: str, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"`changes` needs git: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"`git {' '.join(args)}` failed in {root}: {detail[-1] if detail else done.returncode}")
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


def extract_base(root: Path, ref: str, target: Path) -> Path:
    """The project directory as it was at `ref`, extracted under `target` (regular files only)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    rel = root.resolve().relative_to(top).as_posix()
    args = ["archive", "--format=tar", ref]
    if rel != ".":
        args += ["--", rel]
    data = _git(top, *args, binary=True)
    if len(data) > MAX_ARCHIVE_BYTES:
        raise UsageError(f"the tree at {ref} is larger than {MAX_ARCHIVE_BYTES // 2**20} MB")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        safe = [m for m in archive.getmembers() if (m.isfile() or m.isdir()) and not m.name.startswith("/") and ".." not in Path(m.name).parts]
        archive.extractall(target, members=safe, filter="data")
    return target / rel if rel != "." else target


def added_migrations(root: Path, ref: str, configured: list[str]) -> list[str]:
    from ..sql.paths import is_migration_path

    out = _git(root, "diff", "--name-only", "--diff-filter=A", "--relative", ref, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    names = sorted({n.strip() for n in (out + "\n" + untracked).splitlines() if n.strip()})
    return [n for n in names if n.endswith((".py", ".sql")) and is_migration_path(n, configured) and not n.endswith("__init__.py")]


# ----------------------------------------------------------------------------- markdown


def render(summary: Summary) -> str:
    lines = [f"# Backend changes since `{summary.base}`", ""]
    if summary.empty:
        lines += ["No endpoint, schema, migration or spec changes.", ""]
        return "\n".join(lines)
    lines += ["## Endpoints", ""]
    if not (summary.added or summary.removed or summary.changed):
        lines += ["No endpoint changes.", ""]
    if summary.added:
        lines += ["### Added", "", "| method | path | auth | parameters | handler |", "|---|---|---|---|---|"]
        for ep in summary.added:
            lines.append(f"| {ep.method} | `{ep.path}` | {_list(ep.auth) or 'none'} | {_list(ep.params) or '-'} | `{ep.handler}` ({ep.file}:{ep.line}) |")
        lines.append("")
    if summary.removed:
        lines += ["### Removed", ""]
        lines += [f"- {ep.method} `{ep.path}` (was `{ep.handler}`)" for ep in summary.removed]
        lines.append("")
    if summary.changed:
        lines += ["### Changed", ""]
        lines += [f"- {ep.method} `{ep.path}`: {'; '.join(what)}" for ep, what in summary.changed]
        lines.append("")
    lines += ["## Schema", ""]
    if not (summary.tables_added or summary.tables_removed or summary.tables_changed or summary.migrations):
        lines += ["No schema changes.", ""]
    for table in summary.tables_added:
        cols = ", ".join(f"`{c}` ({d})" for c, d in table.columns.items())
        lines.append(f"- table added: `{table.name}` ({table.file}:{table.line}): {cols or 'no columns known'}")
    for table in summary.tables_removed:
        lines.append(f"- table removed: `{table.name}`")
    for table, what in summary.tables_changed:
        lines.append(f"- table `{table.name}`: {'; '.join(what)}")
    if summary.tables_added or summary.tables_removed or summary.tables_changed:
        lines.append("")
    if summary.migrations:
        lines += ["### Migrations added", ""]
        lines += [f"- `{m}`" for m in summary.migrations]
        lines.append("")
    lines += ["## Breaking API changes", ""]
    if not summary.breaking:
        lines += ["None in the OpenAPI specs.", ""]
    for spec, operation, detail in summary.breaking:
        note = f" (announced by a version bump: {summary.bumps[spec]})" if spec in summary.bumps else ""
        lines.append(f"- `{spec}` {operation}: {detail}{note}")
    if summary.breaking:
        lines.append("")
    return "\n".join(lines)


def _static(paths: Any, config: Any) -> tuple[Any, Any]:
    """(report, project) of a static run."""
    from ..engine import Run

    run_ = Run(config)
    return run_.finish(run_.static(paths)), run_.project


def run(args: argparse.Namespace) -> int:
    from ..config import load_config

    config = commands.load(args)
    root = config.root
    overrides = {**commands.overrides_from(args), "cache": False}
    head = snapshot(*_static(args.paths, config))
    with tempfile.TemporaryDirectory(prefix="backend-gates-base-") as tmp:
        base_root = extract_base(root, args.base, Path(tmp))
        base_config = load_config(base_root, overrides=overrides)
        if base_config.root.resolve() != base_root.resolve():  # no pyproject at the base: same root
            base_config = load_config(base_root, config_file=None, overrides=overrides)
        base_config.root = base_root
        paths = [base_root / p for p in base_config["paths"] if (base_root / p).exists()] or [base_root]
        base = snapshot(*_static(paths, base_config))
    summary = compare(base, head, args.base, added_migrations(root, args.base, list(config["db.migrations"])))
    text = render(summary)
    if args.output:
        target = Path(args.output)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        sys.stderr.write(f"backend-gates: wrote {target}\n")
    else:
        sys.stdout.write(text)
    return commands.EXIT_OK


commands.register(commands.Command("changes", HELP, configure, run))
