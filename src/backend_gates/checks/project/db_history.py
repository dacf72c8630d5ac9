"""Which migrations the migration-safety rules judge: the ones this change adds.

Shipped migrations already ran in production; a team cannot change them, so they are history,
not findings (squawk and django-migration-linter lint new migrations the same way). The judged
set is, by `db.judge-migrations`:

- `new` (default) with a git base (`--diff REF`, or the `new-code` base when configured): the
  migration files added or changed since the base;
- `new` without a base: the newest migration of each migration folder (each Alembic head, each
  leaf of a Django app's dependency graph, the highest-numbered `.sql` migration);
- `all`: every migration.

A table the change creates (with a base: in any migration it adds), or one created by an
`initial` migration and extended by another `initial` migration of the same folder, is new and
empty: the operations that extend it cannot lock or fail on rows. A squashed migration (`replaces = [...]`)
only runs on fresh databases, so it is never judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck
from ...patterns import lazy

_DIGITS = lazy(r"(\d+)")


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One migration file: its tool, its folder and its place in the folder's history."""

    path: str
    tool: str  # alembic | django | sql
    folder: str
    unit: str  # what "one migration" is: a revision, a Django name, an up/down pair
    deps: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    initial: bool = False


@dataclass(slots=True)
class MigrationHistory:
    """The migrations of a project and the subset the safety rules judge."""

    files: dict[str, MigrationFile] = field(default_factory=dict)
    judged: set[str] = field(default_factory=set)
    mode: str = "newest"  # newest | base | all
    base: str = ""
    new_tables: dict[str, set[str]] = field(default_factory=dict)  # folder -> tables the change creates
    initial_tables: dict[str, set[str]] = field(default_factory=dict)  # folder -> tables of its initial migrations

    def judges(self, path: str) -> bool:
        """Whether findings in `path` are judged (files that are not migrations always are)."""
        return path not in self.files or path in self.judged

    def is_new_table(self, path: str, table: str) -> bool:
        """`table` is empty when `path` runs: the change (or the initial set `path` is in) creates it."""
        migration = self.files.get(path)
        if migration is None or not table:
            return False
        if migration.initial and table in self.initial_tables.get(migration.folder, set()):
            return True
        return path in self.judged and table in self.new_tables.get(migration.folder, set())

    @property
    def shipped(self) -> int:
        """Migrations not judged (counted once per migration, not per file of an up/down pair)."""
        return len({(m.folder, m.unit) for p, m in self.files.items() if p not in self.judged})


def base_ref(config: Any) -> str:
    """The git base of the change: `--diff REF`, else the `new-code` setting when it exists."""
    for key in ("diff", "new-code"):
        try:
            value = config[key]
        except KeyError:
            continue
        if value:
            return str(value)
    return ""


def history(project: Any) -> MigrationHistory:
    """The project's migration history and judged set (computed once per run)."""
    cache = project.__dict__.setdefault("_db_history", {})
    if "history" not in cache:
        cache["history"] = _build(project)
    return cache["history"]  # type: ignore[no-any-return]


def _natural(text: str) -> list[Any]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text) if part]


def _files(project: Any) -> dict[str, MigrationFile]:
    out: dict[str, MigrationFile] = {}
    for path, data in project.facts("migration"):
        folder = path.rpartition("/")[0]
        unit = data.get("revision") or data.get("name") or path
        out[path] = MigrationFile(path, data["tool"], folder, unit, tuple(data.get("deps", ())), tuple(data.get("replaces", ())),
                                  bool(data.get("initial")))
    for path, data in project.facts("sql_migration_file"):
        directory, _, name = path.rpartition("/")
        key = data.get("key") or ""
        if name.lower() in ("up.sql", "down.sql"):  # DIR/up.sql: the directory is one migration
            folder, unit = directory.rpartition("/")[0], directory.rpartition("/")[2]
        else:
            folder, unit = directory, (key.rpartition("/")[2] if key else name)
        out[path] = MigrationFile(path, "sql", folder, unit)
    for path, op in project.facts("migration_op"):  # migrations known only by their operations
        if path not in out:
            out[path] = MigrationFile(path, op.get("source", "") or "sql", path.rpartition("/")[0], path.rpartition("/")[2])
    return out


def _newest(group: list[MigrationFile]) -> set[str]:
    """Paths of the newest migrations of one folder (heads / leaves / highest number)."""
    graph = [m for m in group if m.tool in ("alembic", "django")]
    if graph:
        referenced = {d for m in graph for d in m.deps} | {r for m in graph for r in m.replaces}
        leaves = {m.path for m in graph if m.unit not in referenced}
        if leaves:
            return leaves
    top = max(group, key=lambda m: _natural(m.unit))
    return {m.path for m in group if m.unit == top.unit}


def _changed_migrations(project: Any, files: dict[str, MigrationFile], ref: str) -> set[str]:
    from ...diff import changed_lines

    changed = changed_lines(project.root, ref)
    units = {(m.folder, m.unit) for p, m in files.items() if p in changed}
    return {p for p, m in files.items() if (m.folder, m.unit) in units}


def _build(project: Any) -> MigrationHistory:
    files = _files(project)
    out = MigrationHistory(files=files)
    if not files:
        return out
    config = project.config
    if config["db.judge-migrations"] == "all":
        out.mode, out.judged = "all", set(files)
    else:
        ref = base_ref(config)
        if ref:
            out.mode, out.base, out.judged = "base", ref, _changed_migrations(project, files, ref)
        else:
            groups: dict[str, list[MigrationFile]] = {}
            for migration in files.values():
                groups.setdefault(migration.folder, []).append(migration)
            for group in groups.values():
                out.judged |= _newest(group)
    out.judged = {p for p in out.judged if not files[p].replaces}  # squashes run only on fresh databases
    for path, op in project.facts("migration_op"):
        if op.get("op") != "create_table" or path not in files:
            continue
        migration = files[path]
        if migration.initial:
            out.initial_tables.setdefault(migration.folder, set()).add(op.get("table", ""))
        if out.mode == "base" and path in out.judged:
            out.new_tables.setdefault(migration.folder, set()).add(op.get("table", ""))
    return out


class MigrationHistoryNotJudged(ProjectCheck):
    """Shipped migrations the safety rules did not judge (one summary line).

    Why it matters: migrations that already ran in production cannot be changed, so their
    operations are history, not findings; the migration-safety rules (BG330-BG334, BG340-BG343)
    judge the migrations a change adds. This line says how many were left out and how to lint
    them all (`[tool.backend-gates.db] judge-migrations = "all"`).
    Known limits: without a git base (`--diff REF`) "new" means the newest migration of each
    folder (each Alembic head / Django leaf), which may be older than the change under review.
    """

    code = "BG339"
    name = "shipped-migrations-not-judged"
    gate = None  # a note on what was judged, not a finding about the code: no gate status changes
    severity = Severity.INFO
    confidence = "high"
    message = "{count} shipped migration(s) not judged ({how}); `db.judge-migrations = \"all\"` to lint them"
    fix = 'set `[tool.backend-gates.db] judge-migrations = "all"` to judge every migration'
    reads_git_base = True  # the judged set depends on the git base
    example_path = "migrations/0002_add_index.sql"
    good = [{"migrations/0001_init.sql": "CREATE TABLE t (id INT PRIMARY KEY);\n"}]
    bad = [Bad({"migrations/0001_init.sql": "CREATE TABLE t (id INT PRIMARY KEY);\n",
                "migrations/0002_add_index.sql": "CREATE INDEX ix ON t (id);\n"}, line=1, path="migrations/0002_add_index.sql")]

    def run(self, project: Any) -> list[Finding]:
        found = history(project)
        if found.mode == "all" or not found.shipped:
            return []
        how = f"not changed since {found.base}" if found.mode == "base" else "only the newest migration of each folder is judged without a git base"
        if found.judged:
            where = Location(min(found.judged), 1)
        else:  # a base with no migration changed: the note belongs to the configuration
            config = project.config
            where = Location(config.describe_file() if config.file is not None else min(found.files), 1)
        return [self.make_finding(where, count=found.shipped, how=how)]


def shipped_as_info(findings: list[Finding], project: Any) -> list[Finding]:
    """Other rules' warnings in shipped migrations become info: history a change cannot edit.

    SEC-CRYPTO findings keep their severity: a secret committed in an old migration is still a
    leaked secret. SQL built from strings in a migration that already ran is not an attack surface.
    """
    from ...sql.paths import is_migration_path

    configured = project.config["db.migrations"]
    candidates = [f for f in findings if f.severity is not Severity.INFO and f.location.path
                  and f.gate != "SEC-CRYPTO" and is_migration_path(f.location.path, configured)]
    if not candidates:
        return findings
    judged = history(project)
    if judged.mode == "all":
        return findings
    shipped = {id(f) for f in candidates if f.location.path in judged.files and not judged.judges(f.location.path)}
    if not shipped:
        return findings
    import dataclasses

    return [
        dataclasses.replace(f, severity=Severity.INFO, extra={**f.extra, "shipped_migration": True}) if id(f) in shipped else f
        for f in findings
    ]
