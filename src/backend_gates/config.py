"""One configuration loader for the CLI, the pytest plugin and the language server.

Precedence: command line > environment (`BACKEND_GATES_*`) > `[tool.backend-gates]` in
`pyproject.toml` (or `--config FILE`) > defaults. Every effective value remembers its source.
Unknown keys and wrong types raise ConfigError naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import ConfigError

# --------------------------------------------------------------------------- schema


@dataclass(frozen=True, slots=True)
class Setting:
    type: str  # bool | int | float | str | list | dict[list] | dict[str] | severity
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    analysis: bool = True  # part of the cache key (changes what analysis finds)


DEFAULT_PUBLIC_ROUTES = [
    "/health*",
    "*/health*",
    "*/healthz",
    "*/ping",
    "/healthz",
    "/livez",
    "/readyz",
    "/ready",
    "/ping",
    "/status",
    "/metrics",
    "*/login",
    "*/login/*",
    "*/logout",
    "*/register",
    "*/signup",
    "*/sign-up",
    "*/signin",
    "*/sign-in",
    "*/token",
    "*/token/refresh",
    "*/refresh",
    "*/password-recovery*",
    "*/reset-password*",
    "*/forgot-password*",
    "*/verify-email*",
    "*/webhook*",
    "*/auth/*",
    "*/password-reset*",
    "*/password/reset*",
    "*/tokens",
    "*/tokens/reset",
    "*/oauth/*",
    "*/oauth2/*",
    "*/oauth",
    "*/graphql",
    "*/graphql/",
    "/.well-known/*",
    "*/.well-known/*",
    "/media/*",
    "*/media/*",
    "/setup",
    "*/setup",
    "*/about",
    "*/about/*",
    "*/version",
    "/docs*",
    "/redoc*",
    "/openapi.json",
    "/openapi.yaml",
    "/swagger*",
    "/schema*",
    "*/docs",
    "*/docs/*",
    "*/redoc*",
    "*/openapi.json",
    "*/openapi.yaml",
    "*/swagger*",
    "*/schema",
    "*/schema/*",
    "/static/*",
    "*/static/*",
    "*/reset_password*",
    "*/forgot_password*",
    "*/password_reset*",
    "*/thumbnail/*",
    "*/thumbnails/*",
    "/favicon.ico",
    "/robots.txt",
    "/",
]

DEFAULT_TEST_PATHS = ["tests/*", "test/*", "*/tests/*", "test_*.py", "*_test.py", "conftest.py"]

DEFAULT_EXCLUDE = [
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    ".backend-gates",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "site-packages",
    # dot-directories of tools: their fixtures and rule tests are not application code
    ".semgrep",
    ".semgrep-rules",
    ".semgrep_rules",
    ".github",
    ".gitlab",
    ".circleci",
    ".devcontainer",
    ".idea",
    ".vscode",
    ".cache",
    ".eggs",
    ".direnv",
    ".hypothesis",
    ".pytype",
    ".pyre",
    ".ipynb_checkpoints",
]

TOP: dict[str, Setting] = {
    "paths": Setting("list", ["."], "Paths to check when none are given on the command line."),
    "exclude": Setting("list", DEFAULT_EXCLUDE, "Glob patterns never checked (replaces the default list)."),
    "extend-exclude": Setting("list", [], "More glob patterns never checked, added to `exclude`."),
    "respect-gitignore": Setting("bool", True, "Skip files that .gitignore ignores."),
    "skip-vendored": Setting(
        "bool", True,
        "Skip vendored third-party code: directories of installed distributions (*.dist-info), or plain directories "
        "holding copies of three or more declared requirements or commonly vendored packages (README: What is checked); "
        "a note names each.",
    ),
    "force-exclude": Setting(
        "bool", False,
        "Apply `exclude` and `skip-vendored` to paths named on the command line too (pre-commit names every staged file).",
    ),
    "select": Setting("list", [], "Rule codes, rule names, gate ids or checklist names to enable (empty: all default rules)."),
    "extend-select": Setting("list", [], "More rules/gates to enable on top of `select` (also turns on opinionated rules)."),
    "ignore": Setting("list", [], "Rule codes, rule names, gate ids or checklist names to disable."),
    "severity": Setting("dict[str]", {}, "Severity overrides: rule code/name or gate id -> info|warning|error."),
    "fail-on": Setting("str", "warning", "Lowest severity that fails a gate and the run.", ("info", "warning", "error")),
    "per-file-ignores": Setting("dict[list]", {}, "Glob -> rule codes/names/gates ignored in matching files."),
    "test-paths": Setting("list", DEFAULT_TEST_PATHS, "Globs of test files (some rules relax there, e.g. localhost URLs)."),
    "jobs": Setting("int", 0, "Worker processes (0 = CPU count).", analysis=False),
    "cache": Setting("bool", True, "Cache per-file results on disk.", analysis=False),
    "cache-dir": Setting("str", ".backend-gates/cache", "Where the cache lives.", analysis=False),
    "format": Setting("str", "text", "Output format of `check`.", ("text", "json", "sarif", "github", "concise", "gitlab", "junit"), analysis=False),
    "enforce": Setting("bool", False, "pytest plugin: fail the session when a gate fails.", analysis=False),
    "report": Setting("str", ".backend-gates/report.json", "Where the gate report event is written.", analysis=False),
    "baseline": Setting("str", "", "Baseline file: findings recorded there are not reported.", analysis=False),
    "diff": Setting("str", "", "Report only findings on lines changed since this git ref (`git diff REF`).", analysis=False),
    "new-code": Setting("str", "", "Gates fail only on findings in code new or changed since this git ref (merge base); older findings are listed as existing. In CI defaults to the pull/merge request's target branch.", analysis=False),
    "show-source": Setting("bool", True, "Text output shows the offending source line.", analysis=False),
    "docs-url": Setting(
        "str", "https://backend-gates.readthedocs.io/en/latest/",
        "Base URL of the documentation site; a finding's help URL is <docs-url>checks/<code>.html (a mirror, or file:// of a local `mkdocs build`).",
        analysis=False,
    ),
    "external-suppressions": Setting(
        "list", ["ruff", "bandit", "semgrep", "sonar", "squawk", "pylint"],
        "Other tools whose suppression comments (`# noqa: S608`, `# nosec`, `# nosemgrep`, `# NOSONAR`, "
        "`-- squawk-ignore`, `# pylint: disable=`) also silence the rules mapped to them (docs/suppressions.md); [] = none.",
        analysis=False,
    ),
}

SECTIONS: dict[str, dict[str, Setting]] = {
    "thresholds": {
        "n-plus-one": Setting("int", 5, "DB-PERF: repeats of one query fingerprint with distinct parameters in one test/request."),
        "slow-query-ms": Setting("float", 50.0, "DB-PERF / M-QUERY: a query slower than this is a finding."),
        "latency-p95-ms": Setting("float", 200.0, "M-LATENCY: p95 latency budget per endpoint."),
        "latency-min-samples": Setting("int", 20, "M-LATENCY: endpoints with at least this many requests are judged by their p95, others by their maximum."),
        "error-rate-percent": Setting("float", 0.1, "M-ERRORS: maximum share of 5xx responses, in percent."),
        "coverage-percent": Setting("float", 80.0, "M-COVERAGE: minimum total line coverage."),
        "spec-coverage-percent": Setting("float", 50.0, "API-DOCS runtime: minimum share of spec operations the tests exercise (below: BG567); untested operations themselves are info (BG544)."),
        "full-scan-rows": Setting("int", 1000, "DB-INDEX runtime: full scans on tables with more rows are findings."),
        "request-query-budget": Setting("int", 0, "DB-PERF: maximum queries per HTTP request (0 = no budget)."),
        "handler-max-statements": Setting("int", 30, "AP-LOGIC-IN-ROUTE: statements allowed in one handler."),
        "handler-max-branches": Setting("int", 8, "AP-LOGIC-IN-ROUTE: if/elif/try/match branches allowed in one handler."),
        "handler-max-loops": Setting("int", 3, "AP-LOGIC-IN-ROUTE: loops allowed in one handler."),
        "secret-min-entropy": Setting("float", 3.0, "SEC-CRYPTO: Shannon entropy (bits/char) above which an unnamed literal may be a secret."),
    },
    "routes": {
        "public": Setting("list", DEFAULT_PUBLIC_ROUTES, "Route path globs that need no authentication."),
        "extend-public": Setting("list", [], "More public route globs, added to `public`."),
        "auth-guards": Setting("list", [], "Extra decorator/dependency names that count as authentication."),
        "rate-limiters": Setting("list", [], "Extra decorator/dependency/middleware names that count as rate limiting."),
        "audit-calls": Setting("list", [], "Extra call names that count as audit logging."),
        "service-layers": Setting("list", ["services", "service", "repositories", "repository", "crud"], "Module name parts that are service/repository layers."),
        "version-scheme": Setting("str", "", "Expected version prefix pattern, e.g. '/api/v{n}' (empty: detect)."),
    },
    "db": {
        "dialect": Setting("str", "", "SQL dialect (empty: infer from drivers/DSNs).", ("", "postgres", "mysql", "sqlite")),
        "migrations": Setting("list", [], "Migration directories (empty: discover alembic/ and */migrations/)."),
        "backup-command": Setting("str", "", "DB-BACKUP: a command whose exit status proves a verified backup.", analysis=False),
        "backup-file": Setting("str", "", "DB-BACKUP: a file whose age proves a recent verified backup.", analysis=False),
        "backup-max-age-hours": Setting("float", 26.0, "DB-BACKUP: maximum age of `backup-file`.", analysis=False),
        "judge-migrations": Setting("str", "new", "DB-MIGRATE/DB-ROLLBACK: which migrations the safety rules judge: `new` (added since the git base, else the newest of each folder / Alembic head) or `all`.", ("new", "all")),
        "require-migrations-applied": Setting("bool", False, "DB-MIGRATE runtime: failed (not not_evaluated) when no migration ran in the tests."),
    },
    "openapi": {
        "spec": Setting("list", [], "OpenAPI spec files (empty: discover openapi.*, swagger.*, docs/openapi*)."),
        "app": Setting("str", "", "FastAPI app ('pkg.module:app') whose generated spec is used; imports user code."),
        "allow-remote-refs": Setting("bool", False, "Fetch remote http(s) $refs (off: never touch the network)."),
        "spec-base": Setting("str", "", "Git ref to compare the spec with for breaking changes."),
    },
    "runtime": {
        "explain": Setting("bool", False, "Run EXPLAIN once per SELECT fingerprint to find full scans.", analysis=False),
        "webhook": Setting("str", "", "POST the report event to this URL.", analysis=False),
        "coverage-packages": Setting("list", [], "Measure coverage of these packages when pytest-cov is not active.", analysis=False),
        "html": Setting("str", "", "Also write the HTML gate report here.", analysis=False),
        "replay-unauthenticated": Setting("bool", False, "SEC-AUTHN runtime: replay each credentialed request once without its credentials after the test; a guarded route answering 2xx is a finding (BG566).", analysis=False),
        "replay-methods": Setting("list", ["GET", "HEAD", "OPTIONS"], "Methods the unauthenticated replay may send (safe ones by default).", analysis=False),
    },
    "contracts": {
        "requests": Setting("list", [], "API-CONTRACT: globs of files holding frontend.api.request events (JSON object, list, or lines).", analysis=False),
    },
    "fix": {
        "timeout": Setting("float", 10.0, "`check --fix`: the timeout (seconds) added to outbound HTTP calls without one (BG404).", analysis=False),
    },
    "semgrep": {
        "enabled": Setting("bool", False, "Run the bundled semgrep rule pack too."),
        "path": Setting("str", "", "The semgrep executable (empty: find it on PATH).", analysis=False),
        "extra-rules": Setting("list", [], "More semgrep rule files or directories."),
    },
}

# per-check options live in [tool.backend-gates.checks.<code or name>] and are validated when
# the checks are loaded (engine.load_checks), where their declarations are known.
CHECKS_SECTION = "checks"


def all_settings() -> dict[str, Setting]:
    out = dict(TOP)
    for section, settings in SECTIONS.items():
        for key, setting in settings.items():
            out[f"{section}.{key}"] = setting
    return out


SETTINGS = all_settings()

# --------------------------------------------------------------------------- values


@dataclass
class Config:
    root: Path
    file: Path | None
    values: dict[str, Any]
    sources: dict[str, str]
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values[key]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def effective(self) -> dict[str, dict[str, Any]]:
        """key -> {value, source}, for `backend-gates config` and the report."""
        from .redact import redact_setting  # shown to people and written to reports: no secrets

        out = {k: {"value": redact_setting(self.values[k]), "source": self.sources[k]} for k in sorted(self.values)}
        for check, opts in sorted(self.check_options.items()):
            for k, v in sorted(opts.items()):
                out[f"checks.{check}.{k}"] = {"value": redact_setting(v), "source": self.describe_file()}
        return out

    def describe_file(self) -> str:
        if self.file is None:
            return "defaults"
        try:
            rel = self.file.relative_to(self.root)
        except ValueError:
            rel = self.file
        return str(rel)

    def analysis_key(self) -> str:
        """Hash of everything that changes what analysis finds (part of the cache key)."""
        data = {k: v for k, v in self.values.items() if SETTINGS[k].analysis}
        data["__checks__"] = self.check_options
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def test_paths(self) -> list[str]:
        return list(self.values["test-paths"])

    @property
    def public_routes(self) -> list[str]:
        return list(self.values["routes.public"]) + list(self.values["routes.extend-public"])

    @property
    def excludes(self) -> list[str]:
        return list(self.values["exclude"]) + list(self.values["extend-exclude"])


# --------------------------------------------------------------------------- validation


def _coerce(value: Any, setting: Setting, key: str, file: str | None) -> Any:
    kind = setting.type

    def fail(expected: str) -> ConfigError:
        accepted = f"; accepted values: {', '.join(repr(c) for c in setting.choices)}" if setting.choices else ""
        return ConfigError(
            f"expected {expected}, got {type(value).__name__} {value!r}{accepted}", file=file, key=key
        )

    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("an integer")
        if value < 0:
            raise ConfigError(f"must not be negative, got {value}", file=file, key=key)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        value = float(value)
        if value < 0:
            raise ConfigError(f"must not be negative, got {value}", file=file, key=key)
    elif kind == "str":
        if not isinstance(value, str):
            raise fail("a string")
    elif kind == "list":
        if isinstance(value, str):
            raise ConfigError(
                f"expected a list of strings, got the string {value!r}; write {key.rsplit('.', 1)[-1]} = [{json.dumps(value)}]",
                file=file, key=key,
            )
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
    elif kind == "dict[str]":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail("a table of strings")
    elif kind == "dict[list]":
        if not isinstance(value, dict):
            raise fail("a table of string lists")
        fixed = {}
        for k, v in value.items():
            if isinstance(v, str):
                raise ConfigError(f"expected a list of strings for {k!r}, got the string {v!r}; write {json.dumps(k)} = [{json.dumps(v)}]", file=file, key=key)
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise fail("a table of string lists")
            fixed[k] = v
        value = fixed
    if setting.choices and isinstance(value, str) and value not in setting.choices:
        raise ConfigError(
            f"{value!r} is not one of: {', '.join(repr(c) for c in setting.choices if c) }",
            file=file,
            key=key,
        )
    if key == "severity":
        from .model import Severity

        for rule, sev in value.items():
            try:
                Severity.parse(sev)
            except ValueError as exc:
                raise ConfigError(str(exc), file=file, key=f"severity.{rule}") from None
    return value


def _flatten_file_table(table: dict[str, Any], file: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    values: dict[str, Any] = {}
    checks: dict[str, dict[str, Any]] = {}
    for key, value in table.items():
        if key == CHECKS_SECTION:
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError("expected tables of per-check options", file=file, key=key)
            checks = {k: dict(v) for k, v in value.items()}
            continue
        if key in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"expected a table [{key}]", file=file, key=key)
            for sub, subvalue in value.items():
                full = f"{key}.{sub}"
                if full not in SETTINGS:
                    raise ConfigError(
                        f"unknown key; known keys in [{key}]: {', '.join(sorted(SECTIONS[key]))}",
                        file=file,
                        key=full,
                    )
                values[full] = _coerce(subvalue, SETTINGS[full], full, file)
            continue
        if key not in TOP:
            raise ConfigError(_unknown_key_message(key), file=file, key=key)
        values[key] = _coerce(value, TOP[key], key, file)
    return values, checks


def _unknown_key_message(key: str) -> str:
    import difflib

    near = difflib.get_close_matches(key, list(SETTINGS) + list(SECTIONS) + [CHECKS_SECTION], n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"unknown key{hint} (see `backend-gates config --list`)"


def _env_name(key: str) -> str:
    return "BACKEND_GATES_" + key.upper().replace("-", "_").replace(".", "_")


def _from_env(environ: dict[str, str]) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    for key, setting in SETTINGS.items():
        name = _env_name(key)
        if name not in environ:
            continue
        out[key] = (parse_text_value(environ[name], setting, key, f"environment {name}"), f"env {name}")
    return out


def parse_text_value(raw: str, setting: Setting, key: str, origin: str) -> Any:
    """Parse a value given as text (environment variable or command-line option)."""
    kind = setting.type
    value: Any
    try:
        if kind == "bool":
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                value = True
            elif low in ("0", "false", "no", "off", ""):
                value = False
            else:
                raise ValueError(raw)
        elif kind == "int":
            value = int(raw)
        elif kind == "float":
            value = float(raw)
        elif kind == "list":
            value = [p.strip() for p in raw.split(",") if p.strip()]
        elif kind in ("dict[str]", "dict[list]"):
            value = json.loads(raw)
        else:
            value = raw
    except ValueError:
        raise ConfigError(f"cannot read {raw!r} as {kind}", file=origin, key=key) from None
    return _coerce(value, setting, key, origin)


# --------------------------------------------------------------------------- loading


def find_project_root(start: Path) -> tuple[Path, Path | None]:
    """The nearest directory above `start` with a pyproject.toml ([tool.backend-gates] preferred)."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    first_pyproject: Path | None = None
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                text = ""
            if "[tool.backend-gates" in text or '"backend-gates"' in text:
                return directory, candidate
            if first_pyproject is None:
                first_pyproject = candidate
        if (directory / ".git").exists():
            break
    if first_pyproject is not None:
        return first_pyproject.parent, None
    return start, None


def _read_table(path: Path, explicit: bool) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=str(path)) from None
    tool = data.get("tool", {})
    _reject_misspelt_table(tool, path)
    if isinstance(tool, dict) and "backend-gates" in tool:
        table = tool["backend-gates"]
        if not isinstance(table, dict):
            raise ConfigError("[tool.backend-gates] must be a table", file=str(path), key="tool.backend-gates")
        return table
    if explicit and path.name != "pyproject.toml":
        return data  # a standalone backend-gates.toml with top-level keys
    return {}


TABLE = "backend-gates"


def _reject_misspelt_table(tool: Any, path: Path) -> None:
    """`[tool.backend_gates]`, `[tool.backendgates]`, `[tool.backend-gate]`: an error, not silence."""
    import difflib

    if not isinstance(tool, dict):
        return
    for name in tool:
        if name == TABLE:
            continue
        squashed = name.lower().replace("_", "-").replace(".", "-")
        if squashed == TABLE or squashed.replace("-", "") == TABLE.replace("-", "") or difflib.SequenceMatcher(None, squashed, TABLE).ratio() >= 0.85:
            raise ConfigError(
                f"unknown table [tool.{name}]; did you mean [tool.{TABLE}]? (settings under [tool.{name}] would be ignored)",
                file=str(path), key=f"tool.{name}",
            )


def load_config(
    start: Path | None = None,
    *,
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Build the effective configuration.

    `overrides` are command-line values (already typed, or text to parse), keyed like SETTINGS.
    """
    start = Path.cwd() if start is None else start
    environ = dict(os.environ) if environ is None else environ
    if config_file is not None:
        config_file = config_file.resolve()
        if not config_file.is_file():
            raise ConfigError("config file not found", file=str(config_file))
        root: Path = config_file.parent
        file: Path | None = config_file
        table = _read_table(config_file, explicit=True)
    else:
        root, file = find_project_root(start)
        table = _read_table(file, explicit=False) if file else {}
        if file is None and (root / "pyproject.toml").is_file():
            _read_table(root / "pyproject.toml", explicit=False)  # raises on a misspelt table name

    values = {k: _copy(s.default) for k, s in SETTINGS.items()}
    sources = {k: "default" for k in SETTINGS}
    file_label = _display(file, root) if file is not None else "defaults"
    file_values, check_options = _flatten_file_table(table, file_label)
    for key, value in file_values.items():
        values[key] = value
        sources[key] = f"{file_label} [tool.backend-gates]" if file and file.name == "pyproject.toml" else file_label
    for key, (value, source) in _from_env(environ).items():
        values[key] = value
        sources[key] = source
    for key, value in (overrides or {}).items():
        if key not in SETTINGS:
            raise ConfigError("unknown setting", key=key)
        if isinstance(value, str) and SETTINGS[key].type != "str":
            value = parse_text_value(value, SETTINGS[key], key, "command line")
        else:
            value = _coerce(value, SETTINGS[key], key, "command line")
        values[key] = value
        sources[key] = "command line"
    return Config(root=root, file=file, values=values, sources=sources, check_options=check_options)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


ValidateOption = Callable[[Any], Any]


# --------------------------------------------------------------------------- JSON Schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the `[tool.backend-gates]` table, for editors (taplo, Even
    Better TOML, PyCharm) and CI validation; generated from SETTINGS, shipped as
    `schemas/config.schema.json` and printed by `backend-gates config --schema`."""

    def prop(setting: Setting) -> dict[str, Any]:
        strings = {"type": "array", "items": {"type": "string"}}
        kinds: dict[str, dict[str, Any]] = {
            "bool": {"type": "boolean"},
            "int": {"type": "integer", "minimum": 0},
            "float": {"type": "number", "minimum": 0},
            "str": {"type": "string"},
            "list": strings,
            "dict[str]": {"type": "object", "additionalProperties": {"type": "string"}},
            "dict[list]": {"type": "object", "additionalProperties": strings},
        }
        out: dict[str, Any] = dict(kinds.get(setting.type, {}))
        if setting.choices:
            out["enum"] = list(setting.choices)
        if setting.type == "dict[str]" and setting is TOP.get("severity"):
            out["additionalProperties"] = {"enum": ["info", "warning", "error"]}
        out["description"] = setting.help
        out["default"] = setting.default
        return out

    properties: dict[str, Any] = {key: prop(s) for key, s in TOP.items()}
    for section, settings in SECTIONS.items():
        properties[section] = {
            "type": "object",
            "description": f"[tool.backend-gates.{section}]",
            "properties": {key: prop(s) for key, s in settings.items()},
            "additionalProperties": False,
        }
    properties[CHECKS_SECTION] = {
        "type": "object",
        "description": "Per-rule options: [tool.backend-gates.checks.<code or name>] (see each rule's page).",
        "additionalProperties": {"type": "object"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://backend-gates.readthedocs.io/en/latest/config.schema.json",
        "title": "backend-gates configuration ([tool.backend-gates] in pyproject.toml)",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
