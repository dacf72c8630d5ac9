"""API-VERSION: breaking changes against the spec at a git base; the FastAPI app's generated spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck

_CONF = '[tool.backend-gates.openapi]\nspec-base = "openapi.yaml.orig"\n'
_V1 = """\
openapi: "3.0.3"
info:
  title: Pets
  version: "1.0.0"
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
"""
_APP = """\
class App:
    def openapi(self):
        return {"openapi": "3.0.3", "info": {"title": "T", "version": "1"},
                "paths": {"/things": {"get": {"responses": {"200": {"description": "ok"}}}}}}


app = App()
"""


class BreakingSpecChange(ProjectCheck):
    """The spec changed in a way that breaks existing clients, without a version bump.

    Compares each spec with its version at the git ref given by `--spec-base REF` (or
    `openapi.spec-base`; an existing file path there is compared instead of a git version): removed operations, removed response fields, new required parameters or
    request fields, narrowed types or enums, changed authentication. With a version bump (major of
    `info.version`, or a higher `/vN` path or server prefix) the changes are reported as info.

    Why it matters: clients built against the old contract fail at run time; a breaking change
    belongs in a new version that old clients do not call.
    Known limits: `$ref`s of the base version into other files are read from the working tree;
    operations are matched by method and path shape (renaming a path is a removal plus an
    addition). `backend-gates spec-diff OLD NEW` compares two files directly.
    """

    code = "BG614"
    cacheable = False  # reads the spec at a git ref
    name = "breaking-spec-change"
    gate = "API-VERSION"
    severity = Severity.WARNING
    message = "breaking change since {base}: {change}{bump}"
    fix = "keep the old behaviour, or release the change under a new major version (info.version, /v2)"
    good = [{"pyproject.toml": _CONF, "openapi.yaml.orig": _V1, "openapi.yaml": _V1.replace("    get:", "    post:\n      responses:\n        '201': {description: created}\n    get:")}]
    bad = [
        Bad({"pyproject.toml": _CONF, "openapi.yaml.orig": _V1, "openapi.yaml": _V1.replace("          description: ok\n", "          description: ok\n  /pets/{id}:\n    delete:\n      responses:\n        '204': {description: gone}\n").replace("    get:\n      parameters:\n        - {name: limit, in: query, schema: {type: integer}}\n", "    get:\n      parameters:\n        - {name: limit, in: query, required: true, schema: {type: integer}}\n")}, line=7, path="openapi.yaml"),
    ]

    def not_evaluated(self, project: Any) -> str | None:
        from ...openapi.project import spec_facts

        if not str(project.config["openapi.spec-base"] or ""):
            return "no base to compare the spec with (use --spec-base REF or openapi.spec-base)"
        if not spec_facts(project):
            return "no OpenAPI spec found"
        _findings, why = self._compare(project)
        return why

    def run(self, project: Any) -> list[Finding]:
        findings, _why = self._compare(project)
        return findings

    def _compare(self, project: Any) -> tuple[list[Finding], str | None]:
        cache = project.__dict__.setdefault("_openapi_breaking", {})
        if "value" not in cache:
            cache["value"] = self._compute(project)
        value: tuple[list[Finding], str | None] = cache["value"]
        return value

    def _compute(self, project: Any) -> tuple[list[Finding], str | None]:
        from ...openapi.diff import compare, version_bump
        from ...openapi.loader import SpecParseError
        from ...openapi.project import git_show, spec_facts, summary_of_text

        base = str(project.config["openapi.spec-base"])
        out: list[Finding] = []
        for path, summary in spec_facts(project):
            spec = summary.get("spec", path)
            base_file = Path(project.root) / base
            text: str | None
            if base_file.is_file():  # a second file instead of a git ref
                text, why = base_file.read_text(encoding="utf-8", errors="replace"), ""
            else:
                text, why = git_show(Path(project.root), base, spec)
            if text is None:
                if "exists on disk, but not in" in why or "does not exist in" in why:
                    continue  # a new spec: nothing to break
                return [], f"cannot read {spec} at {base}: {why}"
            try:
                old = summary_of_text(spec, str(Path(project.root) / spec), text)
            except SpecParseError as exc:
                out.append(self.make_finding(Location(spec, 1), message=f"the spec at {base} does not parse ({exc.message}); breaking changes not checked", severity=Severity.INFO))
                continue
            bump = version_bump(old, summary)
            for change in compare(old.get("contract", {}), summary.get("contract", {})):
                out.append(
                    self.make_finding(
                        Location(spec, change.line),
                        base=base,
                        change=change.text(),
                        bump=f" (announced by a version bump: {bump})" if bump else "",
                        severity=Severity.INFO if bump else None,
                        extra={"kind": change.kind, "operation": change.operation},
                    )
                )
        return out, None


class AppSpecGenerated(ProjectCheck):
    """The spec was generated by importing the FastAPI app named in `openapi.app` (user code ran).

    Why it matters: with no spec file, the app's own generated spec is what clients see; it is
    linted and compared with the routes. Importing the app runs its module-level code, so this
    happens only when `openapi.app` is set, in a subprocess, and every run says so.
    Known limits: an app that needs environment or services at import time fails to generate;
    the failure is reported here and the spec gates stay not evaluated.
    """

    code = "BG618"
    cacheable = False  # imports the app to generate its spec
    name = "app-spec-generated"
    gate = "API-DOCS"
    severity = Severity.INFO
    message = "{what}"
    fix = "commit the generated spec as openapi.json to lint it without importing the app"
    good = [{"pyproject.toml": '[tool.backend-gates.openapi]\napp = "main:app"\n', "main.py": _APP,
             "openapi.json": '{"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {}}'}]
    bad = [Bad({"pyproject.toml": '[tool.backend-gates.openapi]\napp = "main:app"\n', "main.py": _APP}, line=1, path="pyproject.toml")]

    def not_evaluated(self, project: Any) -> str | None:
        if not str(project.config["openapi.app"] or ""):
            return "openapi.app is not set (the app's generated spec is not used)"
        if project.facts("openapi"):
            return "spec files exist; openapi.app is not imported"
        return None

    def run(self, project: Any) -> list[Finding]:
        from ...openapi.project import app_spec

        value = app_spec(project)
        if value is None:
            return []
        loc = Location("pyproject.toml" if (Path(project.root) / "pyproject.toml").exists() else value["file"], 1)
        out: list[Finding] = []
        if value["summary"] is None:
            why = "; ".join(value["errors"]) or "no spec produced"
            out.append(self.make_finding(loc, what=f"imported user code ({value['target']}) to generate the OpenAPI spec, but it failed: {why}", severity=Severity.WARNING))
            return out
        n = len(value["summary"].get("operations", ()))
        out.append(self.make_finding(loc, what=f"imported user code ({value['target']}) to generate the OpenAPI spec ({n} operations, written to {value['file']})"))
        out.extend(value["findings"])
        return out
