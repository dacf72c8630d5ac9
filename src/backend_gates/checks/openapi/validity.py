"""Spec validity: the document loads, validates, and its $refs resolve."""

from __future__ import annotations

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck

_VALID = """\
openapi: "3.0.3"
info:
  title: Pets
  version: "1.0.0"
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: the pets
"""


class InvalidSpec(OpenApiCheck):
    """The OpenAPI/Swagger document does not parse, does not validate, or has a broken `$ref`.

    Why it matters: an invalid spec breaks client generation, documentation and contract tests;
    readers trust it less than the code, and drift goes unnoticed. Validation uses
    openapi-spec-validator (OpenAPI 3.0, 3.1, Swagger 2.0); each error names its JSON path.
    Known limits: errors inside a file reached through a `$ref` are located at the `$ref` in the
    root document; at most 50 validation errors are reported per spec.
    """

    code = "BG600"
    name = "invalid-openapi-spec"
    gate = "API-DOCS"
    severity = Severity.ERROR
    message = "invalid OpenAPI spec: {problem}"
    fix = "fix the spec so that openapi-spec-validator accepts it"
    good = [_VALID]
    bad = [
        Bad('openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\n', line=1),
        Bad(_VALID.replace('          description: the pets\n', '          description: the pets\n          content:\n            application/json:\n              schema:\n                $ref: "#/components/schemas/Pet"\n'), line=15),
        Bad('openapi: "3.0.3"\ninfo:\n  title: [unclosed\n', line=4),
    ]

    def run(self) -> None:
        from ...openapi.loader import rel_to_root

        for problem in sorted(self.spec.problems(), key=lambda p: p.line):
            if problem.file == self.spec.abs_path:
                self.report(problem.path, line=problem.line, problem=problem.message)
            else:
                where = rel_to_root(problem.file, self.config, "") if self.config is not None else ""
                if where:
                    self.report(problem.path, line=problem.line, file=where, problem=problem.message)
                else:
                    self.report((), line=1, problem=problem.message)


class RemoteRefNotFetched(OpenApiCheck):
    """The spec has a remote (`http(s)://`) `$ref` that was not fetched, so it was not validated.

    Why it matters: backend-gates never touches the network unless told to, so whatever the remote
    document holds is unchecked; the rest of the spec is validated with that ref left open.
    Set `openapi.allow-remote-refs = true` to fetch and validate it.
    Known limits: with remote refs allowed, a fetch failure is reported by the validator.
    """

    code = "BG601"
    name = "remote-ref-not-fetched"
    gate = "API-DOCS"
    severity = Severity.INFO
    message = "remote $ref {ref!r} was not fetched (openapi.allow-remote-refs is off); that part of the spec is not validated"
    fix = "vendor the referenced document next to the spec, or set openapi.allow-remote-refs = true"
    good = [_VALID]
    bad = [Bad(_VALID.replace('          description: the pets\n', '          description: the pets\n          content:\n            application/json:\n              schema:\n                $ref: "https://example.com/pet.yaml#/Pet"\n'), line=15)]

    def run(self) -> None:
        if self.spec.allow_remote:
            return
        for rp in self.spec.ref_problems:
            if not rp.remote:
                continue
            if rp.file == self.spec.abs_path:
                self.report(rp.path + ("$ref",), ref=rp.ref)
            else:
                loaded = self.spec.files.get(rp.file)
                line = loaded.line_of(rp.path + ("$ref",)) if loaded else 1
                from ...openapi.loader import rel_to_root

                where = rel_to_root(rp.file, self.config, "") if self.config is not None else ""
                self.report(rp.path, line=line if where else 1, file=where or None, ref=rp.ref)
