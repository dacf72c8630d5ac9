"""The OpenAPI spec as the runtime plugin needs it: operations, path matching, response validation.

Read with the static reader's limits and bounded YAML loader (`openapi/loader.py`), without its
`$ref` bundling: only the document's own pointers are resolved, nothing remote is fetched.
Schema validation is delegated to openapi-schema-validator (the validator openapi-core uses):
OpenAPI 3.0 `nullable`, `readOnly`/`writeOnly` (responses are "read" validation) and formats are
handled there; unknown formats are ignored by its format checkers.

Path matching is segment by segment: a request path matches a spec path with the same number of
segments where every literal segment is equal and every templated segment matches; among several
candidates the one with literal segments earliest wins (`/users/me` before `/users/{id}`). There
is no suffix or prefix matching beyond the servers' base paths.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_NAMES = ("openapi.yaml", "openapi.yml", "openapi.json", "swagger.yaml", "swagger.yml", "swagger.json")


class SpecError(Exception):
    """A spec file that cannot be read or is not an OpenAPI/Swagger document."""


def discover(root: Path, configured: list[str]) -> list[Path]:
    """Configured spec files (relative to root), else the common names at the root and in docs/."""
    if configured:
        return [root / p if not Path(p).is_absolute() else Path(p) for p in configured]
    found = [root / n for n in SPEC_NAMES if (root / n).is_file()]
    docs = root / "docs"
    if docs.is_dir():
        for p in sorted(docs.iterdir()):
            if p.is_file() and p.name.lower().startswith(("openapi", "swagger")) and p.suffix.lower() in (".yaml", ".yml", ".json"):
                found.append(p)
    return found


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def resolve_pointer(doc: Any, pointer: str) -> Any:
    node = doc
    for part in pointer.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = _unescape(part)
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


@dataclass
class Operation:
    method: str  # upper case
    path: str  # spec template
    spec: "SpecDoc" = field(repr=False)
    node: dict[str, Any] = field(repr=False)
    line: int = 1

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def pointer(self) -> str:
        return f"#/paths/{_escape(self.path)}/{self.method.lower()}"

    def response_for(self, status: int) -> tuple[str, dict[str, Any]] | None:
        """The documented response for `status`: exact code, then `2XX`-style range, then `default`."""
        responses = self.node.get("responses") or {}
        if not isinstance(responses, dict):
            return None
        keys = {str(k).upper(): k for k in responses}
        for key in (str(status), f"{status // 100}XX", "DEFAULT"):
            if key in keys:
                original = keys[key]
                resp = self.spec.deref(responses[original])
                return str(original), resp if isinstance(resp, dict) else {}
        return None


@dataclass
class SpecDoc:
    path: str  # project-relative
    data: dict[str, Any] = field(repr=False)
    lines: list[str] = field(repr=False)
    version: str = "3.0"  # "2.0" | "3.0" | "3.1"
    base_paths: list[str] = field(default_factory=list)
    _validators: dict[str, Any] = field(default_factory=dict, repr=False)

    def deref(self, node: Any, depth: int = 0) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and depth < 20:
            node = resolve_pointer(self.data, node["$ref"])
            depth += 1
        return node

    def line_of(self, path: str) -> int:
        """Line of the path item in the spec text (first occurrence of the key), else 1."""
        for i, text in enumerate(self.lines, 1):
            stripped = text.strip()
            if stripped.startswith((f"{path}:", f"'{path}':", f'"{path}":', f'"{path}" :')):
                return i
        return 1

    def validator(self, pointer: str, schema: Any) -> Any:
        """A cached openapi-schema-validator for the schema at `pointer` (local $refs resolvable)."""
        hit = self._validators.get(pointer)
        if hit is not None:
            return hit
        import openapi_schema_validator as osv

        root = {"allOf": [schema]}
        for key in ("components", "definitions"):
            if key in self.data:
                root[key] = self.data[key]
        registry = _offline_registry()  # remote $refs are never fetched during the test run
        if self.version.startswith("3.1"):
            validator = osv.OAS31Validator(root, format_checker=osv.oas31_format_checker, registry=registry)
        else:
            validator = osv.OAS30ReadValidator(root, format_checker=osv.oas30_format_checker, registry=registry)
        self._validators[pointer] = validator
        return validator

    def schema_pointer(self, base: str, schema: Any, rel_path: list[Any]) -> str:
        """A readable pointer for a validation error: follows $refs into components."""
        parts = list(rel_path)
        if parts[:2] == ["allOf", 0]:
            parts = parts[2:]
        ptr, node = base, schema
        for part in parts:
            if part == "$ref":  # some validators name the $ref step: follow it
                part_is_ref = True
            else:
                part_is_ref = False
            # a schema that is a $ref: the error path continues inside the referenced schema
            hops = 0
            while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and (part_is_ref or part not in node) and hops < 20:
                ptr = node["$ref"]
                try:
                    node = resolve_pointer(self.data, ptr)
                except (KeyError, IndexError, ValueError, TypeError):
                    node = None
                hops += 1
            if part_is_ref:
                continue
            ptr += "/" + _escape(str(part))
            try:
                node = node[part] if node is not None else None
            except (KeyError, IndexError, TypeError):
                node = None
        return ptr


def _offline_registry() -> Any:
    """A `referencing` registry that resolves nothing it was not given: a `$ref` to an http(s)
    or file URL is unresolvable instead of fetched (jsonschema's default retrieves it)."""
    import referencing
    from referencing.exceptions import NoSuchResource

    def refuse(uri: str) -> Any:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    return referencing.Registry(retrieve=refuse)  # type: ignore[call-arg]


def load(path: Path, root: Path, configured: bool = False) -> SpecDoc:
    """Read one spec with the static reader's limits: a regular file inside the project (unless
    the user configured its path), within the size budget, UTF-8, parsed by the same bounded
    loader (YAML aliases may not expand beyond its node limit). Its `$ref`s are never read from
    other files or fetched here: the validator resolves only the document's own pointers."""
    from ..openapi.loader import SpecParseError, load_text
    from ..sources.limits import LimitExceeded, read_project_text

    try:
        text = read_project_text(path, None if configured else root)
    except LimitExceeded as exc:
        raise SpecError(f"{path}: not read: {exc}") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = load_text(text, json_hint=path.suffix.lower() == ".json").data
    except SpecParseError as exc:
        raise SpecError(f"{path}:{exc.line}: {exc.message}") from None
    except Exception as exc:  # a reader bug is this spec's problem, never the test run's
        raise SpecError(f"{path}: not valid YAML/JSON: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
        raise SpecError(f"{path}: not an OpenAPI or Swagger document (no `openapi`/`swagger` key)")
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return from_data(rel, data, text)


def from_data(rel: str, data: dict[str, Any], text: str) -> SpecDoc:
    """A spec document from its parsed data and text (`rel`: where findings point)."""
    version = str(data.get("openapi") or data.get("swagger") or "3.0")
    doc = SpecDoc(rel, data, text.splitlines(), version)
    bases: list[str] = []
    if version.startswith("2"):
        bases.append(str(data.get("basePath") or ""))
    else:
        for server in data.get("servers") or []:
            if isinstance(server, dict) and isinstance(server.get("url"), str):
                bases.append(_server_path(server["url"], server.get("variables")))
    doc.base_paths = sorted({b.rstrip("/") for b in bases} | {""}, key=len, reverse=True)
    return doc


def _server_path(url: str, variables: Any) -> str:
    """The base path of a server URL (`https://{host}/api/v1` -> `/api/v1`); variables in the
    path take their defaults; an unresolvable path gives no base."""
    if "://" in url:
        rest = url.split("://", 1)[1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else ""
    else:
        path = url if url.startswith("/") else "/" + url
    if "{" in path:
        defaults = {k: str(v.get("default", "")) for k, v in (variables or {}).items() if isinstance(v, dict)}
        path = re.sub(r"\{([^}]*)\}", lambda m: defaults.get(m.group(1), "\x00"), path)
        if "\x00" in path:
            return ""
    return urlsplit(path).path


@dataclass
class SpecIndex:
    docs: list[SpecDoc]
    operations: list[Operation]
    errors: list[str]

    @classmethod
    def build(cls, root: Path, configured: list[str]) -> "SpecIndex":
        docs, errors = [], []
        for path in discover(root, configured):
            try:
                docs.append(load(path, root, configured=bool(configured)))
            except SpecError as exc:
                errors.append(str(exc))
        return cls.from_docs(docs, errors)

    @classmethod
    def from_app(cls, app: Any, root: Path, out_rel: str) -> "SpecIndex":
        """The app's generated spec (FastAPI `app.openapi()`), written to `out_rel` (the tool's own
        folder) so findings point at a real file and line."""
        data = app.openapi()
        if not isinstance(data, dict):
            raise SpecError("the app's openapi() did not return a document")
        text = json.dumps(data, indent=1)
        target = root / out_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return cls.from_docs([from_data(out_rel, data, text)], [])

    @classmethod
    def from_docs(cls, docs: list[SpecDoc], errors: list[str]) -> "SpecIndex":
        ops = []
        for doc in docs:
            paths = doc.data.get("paths") or {}
            if not isinstance(paths, dict):
                continue
            for template, item in paths.items():
                item = doc.deref(item)
                if not isinstance(item, dict):
                    continue
                line = doc.line_of(str(template))
                for method in METHODS:
                    node = item.get(method)
                    if isinstance(node, dict):
                        ops.append(Operation(method.upper(), str(template), doc, node, line))
        return cls(docs, list(ops), errors)

    def server_hosts(self) -> set[str]:
        hosts: set[str] = set()
        for doc in self.docs:
            for server in doc.data.get("servers") or []:
                url = server.get("url") if isinstance(server, dict) else None
                if isinstance(url, str) and "://" in url and "{" not in url.split("://", 1)[1].split("/", 1)[0]:
                    host = urlsplit(url).hostname
                    if host:
                        hosts.add(host.lower())
            if isinstance(doc.data.get("host"), str):
                hosts.add(doc.data["host"].split(":", 1)[0].lower())
        return hosts

    def match(self, method: str, path: str, template: str | None = None) -> Operation | None:
        """The operation for a request, or None. `template` is the framework's matched route."""
        method = method.upper()
        concrete = unquote(urlsplit(path).path)
        if template:
            op = self._match_template(method, template, concrete)
            if op is not None:
                return op
        best: tuple[tuple[int, ...], Operation] | None = None
        for op in self.operations:
            if op.method != method:
                continue
            for base in op.spec.base_paths:
                if base and not (concrete == base or concrete.startswith(base + "/")):
                    continue
                rank = _rank(_segments(op.path), _segments(concrete[len(base):]))
                if rank is not None:
                    if best is None or rank < best[0]:
                        best = (rank, op)
                    break
        return best[1] if best else None

    def _match_template(self, method: str, template: str, concrete: str) -> Operation | None:
        from ..routes import normalize_path

        t_segs = _segments(normalize_path(template))
        c_segs = _segments(concrete)
        if len(c_segs) > len(t_segs):  # mounted sub-application: the template lacks the prefix
            t_segs = c_segs[: len(c_segs) - len(t_segs)] + t_segs
        shaped: list[Operation] = []
        for op in self.operations:
            if op.method != method:
                continue
            for base in op.spec.base_paths:
                b_segs = _segments(base)
                segs = t_segs[len(b_segs):] if t_segs[: len(b_segs)] == b_segs else None
                if segs is None:
                    continue
                s_segs = _segments(op.path)
                if len(s_segs) == len(segs) and all(
                    ("{" in a) == ("{" in b) and ("{" in a or a == b) for a, b in zip(s_segs, segs)
                ):
                    if s_segs == segs:  # same parameter names too: this is the one
                        return op
                    shaped.append(op)
                    break
        if len(shaped) == 1:
            return shaped[0]
        return None  # ambiguous by shape (`/users/{id}` and `/users/{name}`): match the concrete path


_TEMPLATED = re.compile(r"\{[^}/]+\}")


def _rank(spec_segs: list[str], req_segs: list[str]) -> tuple[int, ...] | None:
    """None when the paths do not match; else a key where literal-first candidates sort first."""
    if len(spec_segs) != len(req_segs):
        return None
    key = []
    for s, r in zip(spec_segs, req_segs):
        if "{" not in s:
            if s != r:
                return None
            key.append(0)
        else:
            pattern = "^" + _TEMPLATED.sub("[^/]+", re.escape(s).replace(r"\{", "{").replace(r"\}", "}")) + "$"
            if not re.match(pattern, r):
                return None
            key.append(1 if s.startswith("{") and s.endswith("}") else 0)
    return tuple(key)


def media_type_for(content: dict[str, Any], content_type: str) -> str | None:
    """The documented media type a response content type falls under, or None."""
    ct = content_type.split(";", 1)[0].strip().lower()
    keys = {str(k).split(";", 1)[0].strip().lower(): str(k) for k in content}
    if ct in keys:
        return keys[ct]
    major = ct.split("/", 1)[0]
    if f"{major}/*" in keys:
        return keys[f"{major}/*"]
    if "*/*" in keys:
        return keys["*/*"]
    return None


def is_json(content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct == "application/json" or ct.endswith("+json")
