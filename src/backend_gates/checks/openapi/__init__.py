"""OpenAPI spec checks: each runs over one loaded spec document (sources/openapi.py).

`OpenApiCheck` is the base: define `run()`, read `self.spec` (a SpecDocument: `data`,
`operations()`, `deref()`, `line_of()`), and call `self.report(json_path, **fmt)`. Examples are
small spec fragments written to `openapi.yaml`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..base import Check
from ...model import Location, Severity

if TYPE_CHECKING:  # pragma: no cover
    from ...openapi.spec import SpecDocument


class OpenApiCheck(Check):
    """Runs over one loaded OpenAPI/Swagger document."""

    abstract = True
    kind: ClassVar[str] = "openapi"

    def __init__(self, spec: "SpecDocument", options: dict[str, Any], config: Any = None) -> None:
        self.spec = spec
        self.opts = options
        self.config = config
        self.found: list[Any] = []

    @classmethod
    def wants(cls, spec: "SpecDocument") -> bool:
        return True

    def run(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def report(
        self,
        where: tuple[Any, ...],
        *,
        line: int | None = None,
        file: str | None = None,
        message: str | None = None,
        severity: Severity | None = None,
        extra: dict[str, Any] | None = None,
        **fmt: Any,
    ) -> None:
        from ...openapi.loader import pointer

        column = self.spec.root.column_of(where) if file is None else 1
        loc = Location(file or self.spec.path, line if line is not None else self.spec.line_of(where), column)
        data = {"json_path": pointer(where)}
        data.update(extra or {})
        self.found.append(self.make_finding(loc, message=message, severity=severity, extra=data, **fmt))


def report_property(check: OpenApiCheck, owner: Any, leaf: str, fallback: tuple[Any, ...], **fmt: Any) -> None:
    """Report at the definition of property `leaf` of schema `owner`, in whichever file holds it."""
    found = check.spec.locate(owner)
    if found is None:
        check.report(fallback, **fmt)
        return
    file, where = found
    where = where + ("properties", leaf)
    if file == check.spec.abs_path:
        check.report(where, **fmt)
        return
    from ...openapi.loader import rel_to_root

    rel = rel_to_root(file, check.config, "") if check.config is not None else ""
    if not rel:
        check.report(fallback, **fmt)
        return
    check.report(where, file=rel, line=check.spec.file_line(file, where), **fmt)


def is_public_path(path: str, config: Any) -> bool:
    """The path matches `routes.public` / `routes.extend-public` globs."""
    import fnmatch

    if config is None:
        return False
    globs = list(config["routes.public"]) + list(config["routes.extend-public"])
    return any(fnmatch.fnmatchcase(path, g) for g in globs)
