"""OpenAPI/Swagger spec files: one safe load per spec, shared by every OpenAPI check.

Which files are specs (never other YAML such as CI configs or docker-compose files):
  - `openapi.spec` globs when configured (then only those);
  - otherwise `.yaml/.yml/.json` files named `openapi*` / `swagger*` (anywhere, e.g. docs/openapi.yaml)
    or whose first 4 KB show a top-level `openapi:` / `swagger:` key (a cheap text pre-check).
The facts of kind `openapi` (operations, contract) let drift, breaking-change checks and the
runtime plugin work without loading the spec again.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..model import Finding, Location, Severity, ToolError, fingerprint
from ..suppress import parse_suppressions
from .context import FileResult, finalize_findings, matches_any

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

log = logging.getLogger(__name__)

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
NOT_SPECS = ("openapitools.json",)  # openapi-generator's own config
_TOP_KEY = re.compile(r"""^(?:openapi|swagger)\s*:|^\s*\{?\s*["'](?:openapi|swagger)["']\s*:""", re.MULTILINE)


def _configured(key: str, config: "Config") -> bool:
    specs = list(config["openapi.spec"])
    wanted = [s[2:] if s.startswith("./") else s for s in specs]
    return bool(wanted) and (key in wanted or matches_any(key, wanted))


def is_spec_file(key: str, config: "Config") -> bool:
    """Matcher for engine.FILE_KINDS: configured specs, spec-like names, or a top-level key."""
    low = key.lower()
    if not low.endswith(SPEC_SUFFIXES):
        return False
    if config["openapi.spec"]:
        return _configured(key, config)
    name = low.rsplit("/", 1)[-1]
    if name in NOT_SPECS:
        return False
    if name.startswith(("openapi", "swagger")):
        return True
    return _looks_like_spec(os.path.join(str(config.root), key))


_JSON_VERSION = re.compile(r""""(?:openapi|swagger)"\s*:\s*"[23]\.""")


_SEEN: dict[tuple[str, int, int], bool] = {}  # discovery asks twice per file: read it once


def _looks_like_spec(abs_path: str) -> bool:
    try:
        st = os.stat(abs_path)
    except OSError:
        return False
    key = (abs_path, st.st_mtime_ns, st.st_size)
    found = _SEEN.get(key)
    if found is None:
        if len(_SEEN) > 50_000:
            _SEEN.clear()
        found = _SEEN[key] = _read_head(abs_path)
    return found


def _read_head(abs_path: str) -> bool:
    is_json = abs_path.lower().endswith(".json")
    try:
        with open(abs_path, "rb") as handle:
            # JSON keys come in any order (a long `info` may come first): look further, for the
            # unambiguous `"openapi": "3.` / `"swagger": "2.` pair
            head = handle.read(65536 if is_json else 4096)
    except OSError:
        return False
    text = head.decode("utf-8", errors="replace")
    if is_json:
        return _JSON_VERSION.search(text) is not None
    return _TOP_KEY.search(text) is not None


def analyze(
    path: str,
    abs_path: str,
    source: str,
    checks: Iterable[tuple[type[Any], dict[str, Any]]],
    config: "Config",
) -> FileResult:
    from ..openapi.loader import SpecParseError
    from ..openapi.model import FACT, summarize
    from ..openapi.spec import load_spec

    checks = list(checks)
    result = FileResult(path=path, kind="openapi", lines=source.count("\n") + 1)
    result.suppressions = parse_suppressions(source)
    codes = {cls.code for cls, _ in checks}
    try:
        doc = load_spec(path, abs_path, source, allow_remote=bool(config["openapi.allow-remote-refs"]))
    except SpecParseError as exc:
        result.parsed = False
        result.errors.append(ToolError(path, f"{exc.line}:{exc.column}: cannot load OpenAPI spec: {exc.message}", "parse"))
        if "BG600" in codes:
            result.findings.append(_invalid(path, exc.line, exc.column, f"spec does not parse: {exc.message}; no other spec check ran on it"))
        result.findings = finalize_findings(path, source.splitlines(), result.findings)
        return result

    if not doc.version:
        if not _configured(path, config):
            # a file named like a spec that is not one (generator config, fragment): not ours
            result.parsed = False
            return result
        result.parsed = False
        result.errors.append(ToolError(path, "not an OpenAPI document: no top-level `openapi` or `swagger` version", "parse"))
        if "BG600" in codes:
            result.findings.append(_invalid(path, 1, 1, "not an OpenAPI document: no top-level `openapi` or `swagger` version key"))
        result.findings = finalize_findings(path, source.splitlines(), result.findings)
        return result

    found: list[Finding] = []
    for cls, options in checks:
        try:
            if not cls.wants(doc):
                continue
            check = cls(doc, options, config)
            check.run()
            found.extend(check.found)
        except Exception as exc:  # our bug: keep the other checks and files going
            log.debug("openapi check %s failed on %s", cls.code, path, exc_info=True)
            result.errors.append(ToolError(path, f"internal error in {cls.code} ({cls.name}): {type(exc).__name__}: {exc}", "internal"))
    try:
        summary = summarize(doc)
    except Exception as exc:  # pragma: no cover - defensive: facts must not sink the file
        log.debug("summarising %s failed", path, exc_info=True)
        result.errors.append(ToolError(path, f"internal error summarising the spec: {type(exc).__name__}: {exc}", "internal"))
        summary = None
    if summary is not None:
        summary["depends"] = doc.depends()
        result.facts[FACT] = [summary]
    result.findings = _finalize(path, source, found, config)
    return result


def _finalize(path: str, source: str, found: list[Finding], config: "Config") -> list[Finding]:
    groups: dict[str, list[Finding]] = {}
    for f in found:
        groups.setdefault(f.location.path, []).append(f)
    out: list[Finding] = []
    for where, group in groups.items():
        if where == path:
            lines = source.splitlines()
        else:
            try:
                lines = (Path(config.root) / where).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
        out.extend(finalize_findings(where, lines, group))
    return out


def _invalid(path: str, line: int, column: int, message: str) -> Finding:
    from ..checks.openapi.validity import InvalidSpec

    return Finding(
        code=InvalidSpec.code,
        name=InvalidSpec.name,
        gate=InvalidSpec.gate,
        severity=Severity.ERROR,
        message=message,
        location=Location(path, line, column),
        fingerprint=fingerprint(InvalidSpec.code, path, message, 0),
        help_url=InvalidSpec.help_url(),
        fix=InvalidSpec.fix,
    )
