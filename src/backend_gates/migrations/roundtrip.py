"""Migration round trip: apply every migration up, take it down, bring it up again, on a scratch
database, and compare the reflected schema at each step.

For each migration M (in dependency order):
  1. apply M (failure: `apply-failed`), reverse it (failure: `reverse-failed`);
  2. reflect the schema before M, apply M, reflect after M;
  3. reverse M and compare with "before" (`not-restored`: the downgrade leaves a different schema);
  4. apply M again and compare with "after" (`differs-after-reapply`).
Then the whole chain goes down to the base and up to the head once more.

Databases: a fresh SQLite file in a temporary directory by default; PostgreSQL only when a DSN
is given, and only when that database is empty (it is never used when it holds tables). The
user's configured database URL is never used: Alembic's `sqlalchemy.url` is overridden (and
env.py files that build their own URL are refused), Django's `DATABASES` is replaced before
setup, in a child process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..redact import redact_text

IGNORED_TABLES = frozenset({"alembic_version", "django_migrations", "sqlite_sequence"})


@dataclass
class Step:
    migration: str
    status: str  # ok | apply-failed | reverse-failed | not-restored | differs-after-reapply | skipped
    detail: str = ""


@dataclass
class Result:
    tool: str  # alembic | django
    database: str
    steps: list[Step] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(s.status in ("ok", "skipped") for s in self.steps)

    @property
    def problems(self) -> list[Step]:
        return [s for s in self.steps if s.status not in ("ok", "skipped")]

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "database": self.database, "ok": self.ok, "error": self.error,
                "steps": [asdict(s) for s in self.steps]}


# ----------------------------------------------------------------------------- schema reflection


def reflect(engine: Any) -> dict[str, Any]:
    """A comparable picture of the schema: tables -> columns, keys, indexes (names left out
    where databases generate them)."""
    from sqlalchemy import inspect

    insp = inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        if table in IGNORED_TABLES:
            continue
        columns = sorted(
            (c["name"], _type_name(c["type"]), bool(c["nullable"])) for c in insp.get_columns(table)
        )
        pk = tuple(insp.get_pk_constraint(table).get("constrained_columns") or ())
        fks = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in insp.get_foreign_keys(table)
        )
        indexes = sorted((tuple(ix["column_names"]), bool(ix.get("unique"))) for ix in insp.get_indexes(table) if ix.get("column_names"))
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table))
        out[table] = {"columns": columns, "pk": pk, "fks": fks, "indexes": indexes, "uniques": uniques}
    picture: dict[str, Any] = json.loads(json.dumps(out))  # tuples -> lists, so pictures compare equal after JSON
    return picture


def _type_name(t: Any) -> str:
    try:
        return str(t).upper()
    except Exception:  # pragma: no cover - exotic types
        return type(t).__name__.upper()


def diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A short human description of how two schema pictures differ ('' when equal)."""
    parts = []
    for table in sorted(set(before) | set(after)):
        if table not in after:
            parts.append(f"table {table} missing")
        elif table not in before:
            parts.append(f"table {table} left behind")
        elif before[table] != after[table]:
            what = [k for k in before[table] if before[table][k] != after[table].get(k)]
            for key in what:
                if key == "columns":
                    b = {c[0]: c for c in before[table]["columns"]}
                    a = {c[0]: c for c in after[table]["columns"]}
                    extra = sorted(set(a) - set(b))
                    missing = sorted(set(b) - set(a))
                    changed = sorted(n for n in set(a) & set(b) if a[n] != b[n])
                    if extra:
                        parts.append(f"{table}: column(s) {', '.join(extra)} left behind")
                    if missing:
                        parts.append(f"{table}: column(s) {', '.join(missing)} missing")
                    if changed:
                        parts.append(f"{table}: column(s) {', '.join(changed)} changed")
                else:
                    parts.append(f"{table}: {key} differ")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- scratch databases


class Scratch:
    """The database a round trip runs on: a new SQLite file, or a named empty PostgreSQL database."""

    def __init__(self, dsn: str | None = None) -> None:
        self.dsn = dsn
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if dsn:
            self.url = _sqlalchemy_url(dsn)
            self.label = "postgresql " + redact_text(re.sub(r"//[^@/]*@", "//***@", dsn))
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="bg-roundtrip-")
            self.path = os.path.join(self._tmp.name, "scratch.sqlite3")
            self.url = f"sqlite:///{self.path}"
            self.label = "sqlite (scratch file)"

    def engine(self) -> Any:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        return create_engine(self.url, poolclass=NullPool)

    def ensure_empty(self) -> None:
        if not self.dsn:
            return
        engine = self.engine()
        try:
            from sqlalchemy import inspect

            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise UsageError(
                f"the database {self.label} is not empty ({len(tables)} tables); the round trip needs an empty scratch database"
            )

    def reset(self) -> None:
        """Drop everything the round trip created (the database was empty when it started)."""
        from sqlalchemy import MetaData

        engine = self.engine()
        try:
            meta = MetaData()
            meta.reflect(bind=engine)
            meta.drop_all(bind=engine)
        finally:
            engine.dispose()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _sqlalchemy_url(dsn: str) -> str:
    if dsn.startswith(("postgresql://", "postgres://")):
        rest = dsn.split("://", 1)[1]
        try:
            import psycopg  # noqa: F401

            return f"postgresql+psycopg://{rest}"
        except ImportError:
            return f"postgresql://{rest}"
    if dsn.startswith("sqlite"):
        return dsn
    if "://" in dsn:
        return dsn
    raise UsageError(f"--dsn must be a URL such as postgresql://user@host/db (got {redact_text(dsn)!r})")


# ----------------------------------------------------------------------------- Alembic

_ENV_OWN_URL = re.compile(r"set_main_option\(\s*['\"]sqlalchemy\.url|create(?:_async)?_engine\(|os\.environ|getenv\(")
_ENV_USES_CONFIG = re.compile(r"get_main_option\(\s*['\"]sqlalchemy\.url|get_section\(|engine_from_config|async_engine_from_config")


def check_alembic_env(script_location: Path) -> None:
    env = script_location / "env.py"
    if not env.is_file():
        raise UsageError(f"{env}: no Alembic env.py")
    text = env.read_text(encoding="utf-8", errors="replace")
    if _ENV_OWN_URL.search(text) or not _ENV_USES_CONFIG.search(text):
        raise UsageError(
            f"{env} builds its own database URL (environment or settings) instead of reading `sqlalchemy.url`; "
            "the round trip refuses to run it because it could reach a real database. Make env.py use "
            "config.get_main_option('sqlalchemy.url') (or config.attributes['connection'])"
        )


def alembic_roundtrip(ini: Path, dsn: str | None = None) -> Result:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    if not ini.is_file():
        raise UsageError(f"{ini}: no such Alembic ini file")
    cfg = Config(str(ini))
    location = cfg.get_main_option("script_location") or "alembic"
    location = location.replace("%(here)s", str(ini.parent))
    script_path = Path(location) if Path(location).is_absolute() else ini.parent / location
    cfg.set_main_option("script_location", str(script_path))
    check_alembic_env(script_path)
    scratch = Scratch(dsn)
    result = Result("alembic", scratch.label)
    try:
        scratch.ensure_empty()
        cfg.set_main_option("sqlalchemy.url", scratch.url.replace("%", "%%"))
        cfg.attributes["configure_logger"] = False
        script = ScriptDirectory.from_config(cfg)
        revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
        engine = scratch.engine()
        cwd = os.getcwd()
        os.chdir(ini.parent)
        try:
            _alembic_steps(command, cfg, revisions, engine, scratch, result)
        finally:
            os.chdir(cwd)
            engine.dispose()
    except UsageError:
        raise
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {redact_text(str(exc))[:300]}"
    finally:
        scratch.close()
    return result


def _name(rev: Any) -> str:
    doc = (rev.doc or "").strip().splitlines()[0] if rev.doc else ""
    return f"{rev.revision} ({doc})" if doc else str(rev.revision)


def _quiet(fn: Any, *args: Any) -> None:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        fn(*args)


def _alembic_steps(command: Any, cfg: Any, revisions: list[Any], engine: Any, scratch: Scratch, result: Result) -> None:
    for rev in revisions:
        name = _name(rev)
        down = rev.down_revision if isinstance(rev.down_revision, str) else ("base" if not rev.down_revision else None)
        if down is None:
            result.steps.append(Step(name, "skipped", "merge revision: reversed as part of the full cycle"))
            _quiet(command.upgrade, cfg, rev.revision)
            continue
        before = reflect(engine)
        try:
            _quiet(command.upgrade, cfg, rev.revision)
        except Exception as exc:
            result.steps.append(Step(name, "apply-failed", _short(exc)))
            return
        after = reflect(engine)
        try:
            _quiet(command.downgrade, cfg, down)
        except Exception as exc:
            result.steps.append(Step(name, "reverse-failed", _short(exc)))
            _recover(command, cfg, scratch, rev.revision)
            continue
        restored = reflect(engine)
        problem = diff(before, restored)
        if problem:
            result.steps.append(Step(name, "not-restored", f"downgrade leaves a different schema: {problem}"))
            _recover(command, cfg, scratch, rev.revision)
            continue
        try:
            _quiet(command.upgrade, cfg, rev.revision)
        except Exception as exc:
            result.steps.append(Step(name, "apply-failed", f"fails when applied again after its downgrade: {_short(exc)}"))
            _recover(command, cfg, scratch, rev.revision)
            continue
        again = reflect(engine)
        problem = diff(after, again)
        if problem:
            result.steps.append(Step(name, "differs-after-reapply", problem))
            continue
        result.steps.append(Step(name, "ok"))
    if result.problems:
        return
    # the whole chain: down to the base and up to the head once more
    head = reflect(engine)
    try:
        _quiet(command.downgrade, cfg, "base")
        base = reflect(engine)
        if base:
            result.steps.append(Step("(full cycle)", "not-restored", f"downgrade to base leaves: {diff({}, base)}"))
            return
        _quiet(command.upgrade, cfg, "heads")
    except Exception as exc:
        result.steps.append(Step("(full cycle)", "reverse-failed", _short(exc)))
        return
    problem = diff(head, reflect(engine))
    if problem:
        result.steps.append(Step("(full cycle)", "differs-after-reapply", problem))


def _recover(command: Any, cfg: Any, scratch: Scratch, revision: str) -> None:
    """After a broken downgrade: rebuild the scratch database at `revision` and go on."""
    scratch.reset()
    _quiet(command.upgrade, cfg, revision)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {redact_text(text)[:300]}"


# ----------------------------------------------------------------------------- Django

_DJANGO_CHILD = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[2]
apps_wanted = [a for a in sys.argv[3].split(",") if a]
database = json.loads(sys.argv[4])
from django.conf import settings
settings.DATABASES  # load the user's settings module, then replace the databases
settings.DATABASES = {"default": database}
import django
django.setup()
from backend_gates.migrations.roundtrip import django_steps
print("BG-ROUNDTRIP " + json.dumps(django_steps(apps_wanted, sys.argv[1])))
'''


def django_roundtrip(root: Path, settings_module: str, apps: list[str] | None = None, dsn: str | None = None) -> Result:
    scratch = Scratch(dsn)
    result = Result("django", scratch.label)
    try:
        scratch.ensure_empty()
        if dsn:
            database = _django_pg(dsn)
        else:
            database = {"ENGINE": "django.db.backends.sqlite3", "NAME": scratch.path}
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        done = subprocess.run(
            [sys.executable, "-c", _DJANGO_CHILD, str(root), settings_module, ",".join(apps or []), json.dumps(database)],
            capture_output=True, text=True, cwd=str(root), env=env, timeout=900,
        )
        line = next((l for l in done.stdout.splitlines() if l.startswith("BG-ROUNDTRIP ")), None)
        if line is None:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            result.error = f"Django round trip failed to run: {redact_text(tail)[:300]}"
            return result
        data = json.loads(line[len("BG-ROUNDTRIP "):])
        result.steps = [Step(**s) for s in data["steps"]]
        result.error = data.get("error", "")
    finally:
        scratch.close()
    return result


def _django_pg(dsn: str) -> dict[str, Any]:
    from urllib.parse import unquote, urlparse

    u = urlparse(dsn)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": (u.path or "/").lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
    }


def django_reflect() -> dict[str, Any]:
    from django.db import connection

    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        intro = connection.introspection
        for table in sorted(intro.table_names(cursor)):
            if table in IGNORED_TABLES:
                continue
            columns = sorted((c.name, str(c.type_code), bool(c.null_ok)) for c in intro.get_table_description(cursor, table))
            constraints = sorted(
                (tuple(c["columns"] or ()), bool(c["primary_key"]), bool(c["unique"]), tuple(c["foreign_key"] or ()), bool(c["index"]))
                for c in intro.get_constraints(cursor, table).values()
            )
            out[table] = {"columns": columns, "constraints": constraints}
    picture: dict[str, Any] = json.loads(json.dumps(out))
    return picture


def django_steps(apps_wanted: list[str], root: str) -> dict[str, Any]:
    """Runs inside the child process (Django configured on the scratch database)."""
    import contextlib
    import io

    from django.apps import apps as registry
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    root_path = os.path.realpath(root)
    local = [
        cfg.label for cfg in registry.get_app_configs()
        if os.path.realpath(cfg.path).startswith(root_path + os.sep) and "site-packages" not in cfg.path
    ]
    targets = apps_wanted or local
    loader = MigrationLoader(connection)
    plan = []
    for node in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(node):
            if key not in plan:
                plan.append(key)
    steps: list[dict[str, str]] = []
    quiet = io.StringIO()

    def migrate(*args: str) -> None:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            call_command("migrate", *args, verbosity=0, interactive=False)

    def previous(app: str, name: str) -> str:
        parents = [p for p in loader.graph.node_map[(app, name)].parents if p.key[0] == app]
        return parents[0].key[1] if parents else "zero"

    def short(exc: BaseException) -> str:
        text = (str(exc).strip().splitlines() or [""])[0]
        return f"{type(exc).__name__}: {text[:300]}"

    try:
        for app, name in plan:
            if app not in targets:
                continue
            label = f"{app}.{name}"
            prev = previous(app, name)
            try:
                migrate(app, name)
            except Exception as exc:
                steps.append({"migration": label, "status": "apply-failed", "detail": short(exc)})
                return {"steps": steps}
            try:
                migrate(app, prev)
            except Exception as exc:
                steps.append({"migration": label, "status": "reverse-failed", "detail": short(exc)})
                migrate(app, name)
                continue
            before = django_reflect()
            migrate(app, name)
            after = django_reflect()
            migrate(app, prev)
            restored = django_reflect()
            problem = diff(before, restored)
            if problem:
                steps.append({"migration": label, "status": "not-restored", "detail": f"reverse leaves a different schema: {problem}"})
                migrate(app, name)
                continue
            migrate(app, name)
            problem = diff(after, django_reflect())
            if problem:
                steps.append({"migration": label, "status": "differs-after-reapply", "detail": problem})
                continue
            steps.append({"migration": label, "status": "ok", "detail": ""})
        if all(s["status"] == "ok" for s in steps):
            head = django_reflect()
            for app in targets:
                migrate(app, "zero")
            migrate()
            problem = diff(head, django_reflect())
            if problem:
                steps.append({"migration": "(full cycle)", "status": "differs-after-reapply", "detail": problem})
    except Exception as exc:
        return {"steps": steps, "error": short(exc)}
    return {"steps": steps}


# ----------------------------------------------------------------------------- discovery


def find_alembic_ini(root: Path) -> Path | None:
    for candidate in (root / "alembic.ini", *sorted(root.glob("*/alembic.ini"))):
        if candidate.is_file():
            return candidate
    return None


_SETTINGS_DEFAULT = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")


def find_django_settings(root: Path) -> str | None:
    manage = root / "manage.py"
    if manage.is_file():
        m = _SETTINGS_DEFAULT.search(manage.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m.group(1)
    return None


def run(root: Path, *, alembic_ini: Path | None = None, django_settings: str | None = None,
        apps: list[str] | None = None, dsn: str | None = None) -> list[Result]:
    """Round-trip every migration tree found (or named) under `root`."""
    results = []
    ini = alembic_ini or find_alembic_ini(root)
    settings = django_settings or find_django_settings(root)
    if ini is None and settings is None:
        raise UsageError(f"{root}: no alembic.ini and no manage.py with DJANGO_SETTINGS_MODULE; pass --alembic-ini or --django-settings")
    if ini is not None:
        results.append(alembic_roundtrip(ini, dsn))
    if settings is not None:
        results.append(django_roundtrip(root, settings, apps, dsn))
    return results
