"""One loaded OpenAPI document: root file, the local files its `$ref`s reach, and validation.

`$ref`s are followed here once, breadth first over files: local pointers (`#/...`) and relative
files (`schemas/pet.yaml#/Pet`) are loaded with the same safe loader and checked; remote
(`http(s)://`) refs are recorded and never fetched unless `openapi.allow-remote-refs` is on.
Cycles terminate: every file is loaded once and `deref` stops on a ref it has already followed.
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urldefrag, urlparse

from ..sources.limits import LimitExceeded, read_bounded, read_project_text
from .loader import JsonPath, Loaded, SpecParseError, follow, load_text, parse_pointer, pointer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_VALIDATION_ERRORS = 50
MAX_RAW_ERRORS = 500
RESOLVED_CACHE = 8192  # jsonschema-path's resolved-ref cache (default 128 thrashes on large specs)


@dataclass
class RefProblem:
    file: str  # absolute path of the file holding the $ref
    path: JsonPath  # where the $ref sits in that file
    ref: str
    reason: str
    remote: bool = False


@dataclass
class Problem:
    """A validity problem with its JSON path (in `file`, absolute) and line."""

    file: str
    path: JsonPath
    line: int
    message: str


@dataclass
class Operation:
    path: str  # the template as written in the spec
    method: str  # lower case
    node: dict[str, Any]
    item: dict[str, Any]  # the path item (shared parameters)
    json_path: JsonPath

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class SpecDocument:
    path: str  # project-relative, '/'-separated
    abs_path: str
    root: Loaded
    allow_remote: bool = False
    project_root: str | None = None  # $refs are read only inside it (None: the spec's own directory tree is not enforced)
    files: dict[str, Loaded] = field(default_factory=dict)  # absolute path -> loaded
    file_errors: dict[str, str] = field(default_factory=dict)
    ref_problems: list[RefProblem] = field(default_factory=list)
    owner: dict[int, str] = field(default_factory=dict)  # id(container) -> file it came from
    _problems: list[Problem] | None = None

    # ------------------------------------------------------------------ basics
    @property
    def data(self) -> Any:
        return self.root.data

    @property
    def version(self) -> str:
        """'2.0', '3.0', '3.1', '3.2' or '' when the document says none."""
        data = self.data if isinstance(self.data, dict) else {}
        if isinstance(data.get("openapi"), str):
            return ".".join(data["openapi"].split(".")[:2])
        if str(data.get("swagger", "")).startswith("2"):
            return "2.0"
        return ""

    @property
    def is_swagger(self) -> bool:
        return self.version == "2.0"

    def line_of(self, path: JsonPath) -> int:
        return self.root.line_of(path)

    def operations(self) -> Iterator[Operation]:
        paths = self.data.get("paths") if isinstance(self.data, dict) else None
        if not isinstance(paths, dict):
            return
        for template, item in paths.items():
            if not str(template).startswith("/"):
                continue  # `x-` extensions (and invalid keys, which the validator reports)
            item_path: JsonPath = ("paths", template)
            item = self.deref(item)
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                node = self.deref(item.get(method))  # non-standard but common in multi-file sources
                if isinstance(node, dict):
                    yield Operation(str(template), method, node, item, item_path + (method,))

    def security_schemes(self) -> dict[str, Any]:
        data = self.data if isinstance(self.data, dict) else {}
        if self.is_swagger:
            found = data.get("securityDefinitions")
        else:
            comps = data.get("components")
            found = comps.get("securitySchemes") if isinstance(comps, dict) else None
        return found if isinstance(found, dict) else {}

    def path_of(self, node: Any) -> JsonPath | None:
        """Where a container of the root document sits (first occurrence), or None."""
        found = self.locate(node)
        return found[1] if found is not None and found[0] == self.abs_path else None

    def locate(self, node: Any) -> tuple[str, JsonPath] | None:
        """(absolute file, json path) of a container in the root or a file its refs reach."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for file, loaded in [(self.abs_path, self.root), *self.files.items()]:
                stack: list[tuple[Any, JsonPath]] = [(loaded.data, ())]
                while stack:
                    item, where = stack.pop()
                    if id(item) in index:
                        continue
                    index[id(item)] = (file, where)
                    if isinstance(item, dict):
                        stack.extend((v, where + (k,)) for k, v in item.items() if isinstance(v, (dict, list)))
                    elif isinstance(item, list):
                        stack.extend((v, where + (i,)) for i, v in enumerate(item) if isinstance(v, (dict, list)))
            self.__dict__["_index"] = index
        return index.get(id(node))

    def _find_relative(self, rel: JsonPath, instance: Any) -> JsonPath | None:
        """The absolute path of a node reached by `rel` from some container of the root document
        whose value is `instance` (validator errors relative to a schema)."""
        if not rel:
            return None
        self.locate(self.root.data)  # builds the index
        index: dict[int, tuple[str, JsonPath]] = self.__dict__["_index"]
        for file, base in index.values():
            if file != self.abs_path:
                continue
            ok, container = follow(self.root.data, base)
            if not ok:
                continue
            ok, value = follow(container, rel)
            if ok and value == instance and type(value) is type(instance):
                return base + _typed_path(container, rel)
        return None

    def file_line(self, file: str, where: JsonPath) -> int:
        loaded = self.root if file == self.abs_path else self.files.get(file)
        return loaded.line_of(where) if loaded is not None else 1

    # ------------------------------------------------------------------ refs
    def deref(self, node: Any, limit: int = 32) -> Any:
        """Follow `$ref` chains from `node` (cycle-safe); unresolvable refs give None."""
        seen: set[tuple[str, str]] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and limit > 0:
            limit -= 1
            base = self.owner.get(id(node), self.abs_path)
            key = (base, node["$ref"])
            if key in seen:
                return None
            seen.add(key)
            node = self._target(base, node["$ref"])
        return node

    def _target(self, base: str, ref: str) -> Any:
        cache = self.__dict__.setdefault("_targets", {})
        key = (base, ref)
        if key not in cache:
            cache[key] = self._lookup(base, ref)
        return cache[key]

    def _lookup(self, base: str, ref: str) -> Any:
        url, fragment = urldefrag(ref)
        if urlparse(url).scheme in ("http", "https"):
            return None
        file = _join(base, url) if url else base
        loaded = self.root if file == self.abs_path else self.files.get(file)
        if loaded is None:
            return None
        parts = parse_pointer(fragment)
        if parts is None:
            return None
        ok, value = follow(loaded.data, parts)
        return value if ok else None

    def resolve_refs(self) -> None:
        """Load every local file the refs reach; record broken and remote refs."""
        self._own(self.root.data, self.abs_path)
        queue = [(self.abs_path, self.root)]
        done = {self.abs_path}
        chains: list[tuple[str, JsonPath, str, Any]] = []
        while queue:
            file, loaded = queue.pop(0)
            for where, ref in _refs(loaded.data):
                url, fragment = urldefrag(ref)
                scheme = urlparse(url).scheme
                if scheme in ("http", "https"):
                    why = "remote $ref fetched by the validator" if self.allow_remote else "remote $ref not fetched (set openapi.allow-remote-refs to allow)"
                    self.ref_problems.append(RefProblem(file, where, ref, why, remote=True))
                    continue
                if scheme and scheme != "file":
                    self.ref_problems.append(RefProblem(file, where, ref, f"unsupported $ref scheme {scheme!r}"))
                    continue
                target_file = _join(file, url) if url else file
                target = self.root if target_file == self.abs_path else self.files.get(target_file)
                if target is None:
                    if target_file in self.file_errors:
                        self.ref_problems.append(RefProblem(file, where, ref, self.file_errors[target_file]))
                        continue
                    try:
                        text = read_project_text(target_file, self.project_root)
                        target = load_text(text, json_hint=target_file.endswith(".json"))
                    except LimitExceeded as exc:  # outside the project, special file, too big, not UTF-8
                        self.file_errors[target_file] = f"not read: {_short(target_file, self.abs_path)}: {exc}"
                        self.ref_problems.append(RefProblem(file, where, ref, self.file_errors[target_file]))
                        continue
                    except OSError as exc:
                        self.file_errors[target_file] = f"cannot read {_short(target_file, self.abs_path)}: {exc.strerror or exc}"
                        self.ref_problems.append(RefProblem(file, where, ref, self.file_errors[target_file]))
                        continue
                    except SpecParseError as exc:
                        self.file_errors[target_file] = f"{_short(target_file, self.abs_path)}:{exc.line}: {exc.message}"
                        self.ref_problems.append(RefProblem(file, where, ref, self.file_errors[target_file]))
                        continue
                    self.files[target_file] = target
                    self._own(target.data, target_file)
                if target_file not in done:
                    done.add(target_file)
                    queue.append((target_file, target))
                parts = parse_pointer(fragment)
                if parts is None:
                    self.ref_problems.append(RefProblem(file, where, ref, "malformed JSON pointer"))
                    continue
                ok, value = follow(target.data, parts)
                if not ok:
                    self.ref_problems.append(RefProblem(file, where, ref, "points at nothing"))
                elif isinstance(value, dict) and isinstance(value.get("$ref"), str):
                    chains.append((file, where, ref, value))
        for file, where, ref, first in chains:
            if self.deref(first) is None and not self._chain_broken(first):
                self.ref_problems.append(RefProblem(file, where, ref, "$ref cycle: the chain of refs never reaches a definition"))

    def _chain_broken(self, node: Any) -> bool:
        """True when a ref chain ends in a ref already reported as broken or remote (not a cycle)."""
        seen: set[tuple[str, str]] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            base = self.owner.get(id(node), self.abs_path)
            key = (base, node["$ref"])
            if key in seen:
                return False
            seen.add(key)
            nxt = self._target(base, node["$ref"])
            if nxt is None:
                return True
            node = nxt
        return False

    def _own(self, data: Any, file: str) -> None:
        if file == self.abs_path:
            return  # the default owner
        stack = [data]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                self.owner[id(node)] = file
                stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                self.owner[id(node)] = file
                stack.extend(v for v in node if isinstance(v, (dict, list)))

    def depends(self) -> list[dict[str, str]]:
        """Other files this document reads, with content digests (cache invalidation)."""
        out = []
        for file in sorted(set(self.files) | set(self.file_errors)):
            try:
                digest = hashlib.blake2b(read_bounded(file), digest_size=16).hexdigest()
            except (OSError, ValueError, LimitExceeded):
                digest = ""
            out.append({"path": file, "digest": digest})
        return out

    # ------------------------------------------------------------------ validity
    def problems(self) -> list[Problem]:
        """Validity problems (openapi-spec-validator plus ref checks), computed once."""
        if self._problems is None:
            self._problems = self._validate()
        return self._problems

    def _validate(self) -> list[Problem]:
        out: list[Problem] = []
        for rp in self.ref_problems:
            if rp.remote and self.allow_remote:
                continue
            loaded = self.root if rp.file == self.abs_path else self.files.get(rp.file, self.root)
            line = loaded.line_of(rp.path + ("$ref",))
            kind = "remote" if rp.remote else "unresolved"
            if rp.remote:
                continue  # reported by its own check (remote refs are not errors of the spec)
            out.append(Problem(rp.file, rp.path, line, f"{kind} $ref {rp.ref!r} at {pointer(rp.path)}: {rp.reason}"))
        if not isinstance(self.data, dict):
            out.append(Problem(self.abs_path, (), 1, "the document is not a mapping"))
            return out
        validator_cls = _validator_for(self.version)
        if validator_cls is None:
            out.append(Problem(self.abs_path, (), 1, f"unsupported OpenAPI version {self.data.get('openapi') or self.data.get('swagger')!r}"))
            return out
        broken = {(rp.file, rp.path) for rp in self.ref_problems if not (rp.remote and self.allow_remote)}
        docs = {self.abs_path: self.root.data, **{f: l.data for f, l in self.files.items()}}
        if broken:
            docs = {f: _sanitized(d, [p for (bf, p) in broken if bf == f]) for f, d in docs.items()}
        handlers = _handlers(docs, self.allow_remote)
        from jsonschema_path import SchemaPath

        base_uri = Path(self.abs_path).as_uri()
        schema_path = SchemaPath.from_dict(
            docs[self.abs_path], base_uri=base_uri, handlers=handlers, resolved_cache_maxsize=RESOLVED_CACHE
        )
        validator = _fast(validator_cls)(schema_path, base_uri=base_uri)
        raw: list[tuple[JsonPath, str, bool]] = []  # (path, message, vague)
        stopped = ""
        try:
            for count, err in enumerate(validator.iter_errors()):
                if count >= MAX_RAW_ERRORS:
                    break
                where = _typed_path(docs[self.abs_path], tuple(getattr(err, "absolute_path", ()) or ()))
                ok, _value = follow(docs[self.abs_path], where)
                if not ok or not where:
                    # keyword validators give paths relative to the schema they check: find it
                    where = self._find_relative(where, getattr(err, "instance", None)) or where
                message = _error_text(err)
                raw.append((where, message, "valid under any of" in message))
        except RecursionError:
            stopped = "validation stopped: schemas nest too deeply through $refs for the validator (recursion limit)"
        except Exception as exc:  # the validator's own failures (unresolvable refs it found)
            stopped = f"validation stopped early (openapi-spec-validator raised {type(exc).__name__}: {_first_line(exc)}); fix the other errors first"
        precise = [w for w, _m, vague in raw if not vague]
        seen: set[tuple[JsonPath, str]] = set()
        shown = 0
        for where, message, vague in sorted(raw, key=lambda r: r[2]):  # precise errors first
            if vague and any(len(p) > len(where) and p[: len(where)] == where for p in precise):
                continue  # "not valid under any of ..." explained by a precise error inside it
            if (where, message) in seen:
                continue
            seen.add((where, message))
            if shown >= MAX_VALIDATION_ERRORS:
                out.append(Problem(self.abs_path, (), 1, f"more than {MAX_VALIDATION_ERRORS} validation errors; first {MAX_VALIDATION_ERRORS} shown"))
                break
            shown += 1
            out.append(Problem(self.abs_path, where, self.root.line_of(where), f"{message} at {pointer(where)}"))
        if stopped:
            out.append(Problem(self.abs_path, (), 1, stopped))
        return out


# ----------------------------------------------------------------------------- helpers


def load_spec(path: str, abs_path: str, text: str, allow_remote: bool = False, project_root: str | None = None) -> SpecDocument:
    """Parse and follow refs (local files inside `project_root` only). Raises SpecParseError
    when the root does not parse."""
    root = load_text(text, json_hint=abs_path.endswith(".json"))
    doc = SpecDocument(path, abs_path, root, allow_remote, project_root)
    doc.resolve_refs()
    return doc


def _refs(data: Any) -> Iterator[tuple[JsonPath, str]]:
    stack: list[tuple[Any, JsonPath]] = [(data, ())]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield where, ref
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    stack.append((value, where + (key,)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, where + (index,)))


def _join(base: str, url: str) -> str:
    if url.startswith("file:"):
        from urllib.parse import unquote

        return os.path.normpath(unquote(urlparse(url).path))
    from urllib.parse import unquote

    return os.path.normpath(os.path.join(os.path.dirname(base), unquote(url)))


def _short(file: str, root_file: str) -> str:
    try:
        return os.path.relpath(file, os.path.dirname(root_file))
    except ValueError:
        return file


def _sanitized(data: Any, paths: list[JsonPath]) -> Any:
    """A copy of `data` with the $ref objects at `paths` replaced by {} (validate the rest)."""
    if not paths:
        return data
    out = copy.deepcopy(data)
    for where in paths:
        if not where:
            return {}
        ok, parent = follow(out, where[:-1])
        if ok and isinstance(parent, dict):
            parent[where[-1]] = {}
        elif ok and isinstance(parent, list):
            parent[int(where[-1])] = {}
    return out


def _validator_for(version: str) -> Any:
    from openapi_spec_validator import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )

    table: dict[str, Any] = {"2.0": OpenAPIV2SpecValidator, "3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}
    try:
        from openapi_spec_validator import OpenAPIV32SpecValidator

        table["3.2"] = OpenAPIV32SpecValidator
    except ImportError:  # pragma: no cover - older validator
        pass
    return table.get(version)


class _SeenList(list):  # type: ignore[type-arg]
    """A list with O(1) membership: openapi-spec-validator keeps visited schema ids and operation
    ids in lists and tests `in` for each new one, which is quadratic on specs with thousands of
    operations. Same contents, same order; only `in` is faster."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[Any] = set()

    def append(self, item: Any) -> None:
        super().append(item)
        try:
            self._seen.add(item)
        except TypeError:  # unhashable (an invalid operationId): the list still has it
            pass

    def __contains__(self, item: object) -> bool:
        try:
            if item in self._seen:
                return True
        except TypeError:
            pass
        return list.__contains__(self, item)


_LIST_ATTRS = ("visited_schema_ids", "meta_checked_schema_ids", "operation_ids_registry")
_FAST: dict[type, type] = {}


def _fast(validator_cls: Any) -> Any:
    """The validator class with its keyword validators' id registries made O(1) (same results)."""
    if validator_cls in _FAST:
        return _FAST[validator_cls]
    keyword_validators = dict(validator_cls.keyword_validators)
    for key in ("operation", "schema"):
        base = keyword_validators.get(key)
        if base is None:
            continue

        def __init__(self: Any, registry: Any, _base: Any = base) -> None:
            _base.__init__(self, registry)
            for attr in _LIST_ATTRS:
                if isinstance(getattr(self, attr, None), list):
                    setattr(self, attr, _SeenList())

        keyword_validators[key] = type(f"Fast{base.__name__}", (base,), {"__init__": __init__})
    fast = type(f"Fast{validator_cls.__name__}", (validator_cls,), {"keyword_validators": keyword_validators})
    _FAST[validator_cls] = fast
    return fast


class _RemoteRefused(Exception):
    pass


def _handlers(docs: dict[str, Any], allow_remote: bool) -> dict[str, Any]:
    """jsonschema-path handlers: local files from what we loaded; remote only when allowed."""
    from jsonschema_path.handlers import default_handlers

    def local(uri: str) -> Any:
        file = _join("/", uri)
        if file in docs:
            return docs[file]
        raise _RemoteRefused(f"{file} was not loaded")

    def remote(uri: str) -> Any:
        if allow_remote:
            return default_handlers["http" if uri.startswith("http:") else "https"](uri)
        raise _RemoteRefused(f"remote $ref {uri} not fetched")

    def any_url(uri: str) -> Any:
        scheme = urlparse(uri).scheme
        return local(uri) if scheme == "file" else remote(uri)

    return {"<all_urls>": any_url, "http": remote, "https": remote, "file": local}


def _typed_path(data: Any, where: JsonPath) -> JsonPath:
    """Validator paths may say 200 for the key '200': use the document's own key types."""
    out: list[str | int] = []
    node = data
    for part in where:
        if isinstance(node, list):
            try:
                index = int(part)
            except (TypeError, ValueError):
                return tuple(out)
            out.append(index)
            node = node[index] if 0 <= index < len(node) else None
        elif isinstance(node, dict):
            key = part if part in node else str(part)
            out.append(key)
            node = node.get(key)
        else:
            out.append(part)
            node = None
    return tuple(out)


def _error_text(err: Any) -> str:
    message = str(getattr(err, "message", "") or err)
    message = message.split(" Failed validating ", 1)[0].split("\nFailed validating ", 1)[0]
    message = " ".join(message.split())
    if message[:1] in ("{", "[") and len(message) > 80:  # "{...whole object...} is not valid ...": drop the dump
        cut = max(message.rfind("} is "), message.rfind("] is "))
        if cut > 0:
            message = "the value" + message[cut + 1 :]
    if len(message) > 200:
        message = message[:197] + "..."
    return message


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
