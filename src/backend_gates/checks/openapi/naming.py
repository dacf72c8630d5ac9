"""API-NAMING lint: one naming style for path segments and one for schema properties."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ...model import Severity
from ..base import Bad
from . import OpenApiCheck
from ._util import literal_segments, style

_HEAD = 'openapi: "3.0.3"\ninfo:\n  title: Pets\n  version: "1.0.0"\n'


def _ok(path: str) -> str:
    return f"  {path}:\n    get:\n      responses:\n        '200': {{description: ok}}\n"


class InconsistentPathNaming(OpenApiCheck):
    """Path segments mix naming styles (kebab-case, snake_case, camelCase), or trailing slashes.

    Why it matters: clients guess URLs from the ones they know; `/user-profiles` beside
    `/order_items` makes every new path a lookup. The spec's majority style wins; the others are
    reported.
    Known limits: single-word segments fit every style and are never reported; parameter names
    are not compared.
    """

    code = "BG607"
    name = "inconsistent-path-naming"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "{path}: {problem}"
    fix = "use one style for path segments (kebab-case is the most common) and one trailing-slash convention"
    good = [_HEAD + "paths:\n" + _ok("/user-profiles") + _ok("/order-items/{itemId}") + _ok("/pets")]
    bad = [Bad(_HEAD + "paths:\n" + _ok("/user-profiles") + _ok("/order-items") + _ok("/line_items"), line=14)]

    def run(self) -> None:
        paths = self.spec.data.get("paths")
        if not isinstance(paths, dict):
            return
        styles: dict[str, list[tuple[str, str]]] = {}
        for template in paths:
            if not str(template).startswith("/"):
                continue
            for seg in literal_segments(str(template)):
                s = style(seg)
                if s is not None:
                    styles.setdefault(s, []).append((str(template), seg))
        reported: set[str] = set()
        if len(styles) > 1:
            counts = Counter({s: len({seg for _t, seg in v}) for s, v in styles.items()})
            major, _n = counts.most_common(1)[0]
            for s, items in styles.items():
                if s == major:
                    continue
                by_segment: dict[str, list[str]] = {}
                for template, seg in items:
                    by_segment.setdefault(seg, []).append(template)
                for seg, templates in by_segment.items():  # once per segment, at its first path
                    template = templates[0]
                    reported.add(template)
                    more = f" (and {len(templates) - 1} more path(s))" if len(templates) > 1 else ""
                    self.report(("paths", template), path=template, problem=f"segment {seg!r} is {s} while most segments use {major}{more}")
        templates = [str(t) for t in paths if str(t).startswith("/") and str(t) != "/"]
        slashed = [t for t in templates if t.endswith("/")]
        plain = [t for t in templates if not t.endswith("/")]
        if slashed and plain:
            minority = slashed if len(slashed) < len(plain) else plain
            what = "ends with a slash while most paths do not" if minority is slashed else "has no trailing slash while most paths have one"
            for template in minority:
                if template not in reported:
                    self.report(("paths", template), path=template, problem=what)


class InconsistentPropertyNaming(OpenApiCheck):
    """Schema properties mix snake_case and camelCase across the spec.

    Why it matters: one payload style lets clients map fields mechanically; a mix means every
    field name must be looked up. The spec's majority style wins; each schema with properties in
    another style is reported once, naming them.
    Known limits: only schemas defined in the root document (components/definitions and inline
    request/response schemas) are read; single-word properties fit every style.
    """

    code = "BG608"
    name = "inconsistent-property-naming"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "{names} use {style} while most properties use {major}"
    fix = "rename the properties to the spec's majority style (or map them in the serializer)"
    good = [_HEAD + "paths: {}\ncomponents:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        pet_id: {type: integer}\n        owner_name: {type: string}\n        tag: {type: string}\n"]
    bad = [Bad(_HEAD + "paths: {}\ncomponents:\n  schemas:\n    Pet:\n      type: object\n      properties:\n        pet_id: {type: integer}\n        owner_name: {type: string}\n"
               "    Owner:\n      type: object\n      properties:\n        first_name: {type: string}\n        lastName: {type: string}\n", line=17)]

    def run(self) -> None:
        found: list[tuple[tuple[Any, ...], str, str]] = []  # (schema path, property, style)
        stack: list[tuple[Any, tuple[Any, ...]]] = [(self.spec.data, ())]
        seen: set[int] = set()
        while stack:
            node, where = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                props = node.get("properties")
                if isinstance(props, dict) and where[-1:] != ("properties",):
                    for name in props:
                        s = style(str(name))
                        if s in ("snake", "camel"):
                            found.append((where, str(name), s))
                for key, value in node.items():
                    if isinstance(value, (dict, list)) and key not in ("example", "examples", "x-examples"):
                        stack.append((value, where + (key,)))
            elif isinstance(node, list):
                stack.extend((v, where + (i,)) for i, v in enumerate(node) if isinstance(v, (dict, list)))
        counts = Counter(s for _w, _n, s in found)
        if len(counts) < 2:
            return
        major = counts.most_common(1)[0][0]
        per_schema: dict[tuple[Any, ...], list[str]] = {}
        for where, name, s in found:
            if s != major:
                per_schema.setdefault(where, []).append(name)
        minor = "camelCase" if major == "snake" else "snake_case"
        for where, names in sorted(per_schema.items(), key=lambda kv: self.spec.line_of(kv[0])):
            first = where + ("properties", names[0])
            shown = ", ".join(repr(n) for n in names[:5]) + (" ..." if len(names) > 5 else "")
            self.report(first, names=f"properties {shown}", style=minor, major="snake_case" if major == "snake" else "camelCase")
