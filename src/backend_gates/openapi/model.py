"""Plain summaries of a loaded spec, stored as facts: operations (for drift and the runtime
plugin) and the contract (for breaking-change comparison). JSON-safe, no loader needed to read."""

from __future__ import annotations

import os
import re
from typing import Any, Iterator
from urllib.parse import urlparse

from ..routes import normalize_path
from .loader import pointer
from .spec import Operation, SpecDocument

FACT = "openapi"
MAX_DEPTH = 6


def summarize(doc: SpecDocument) -> dict[str, Any]:
    data = doc.data if isinstance(doc.data, dict) else {}
    info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
    return {
        "spec": doc.path,
        "version": doc.version,
        "info_version": str(info.get("version", "")),
        "title": str(info.get("title", "")),
        "prefixes": server_prefixes(doc),
        "operations": [operation_summary(doc, op) for op in doc.operations()],
        "contract": contract(doc),
    }


def server_prefixes(doc: SpecDocument) -> list[str]:
    """Path parts of the server URLs (or swagger basePath): '/api/v1'. '' for the root."""
    data = doc.data if isinstance(doc.data, dict) else {}
    out: list[str] = []
    if doc.is_swagger:
        base = data.get("basePath")
        out.append(_clean_prefix(base if isinstance(base, str) else ""))
    else:
        servers = data.get("servers")
        if isinstance(servers, list):
            for server in servers:
                if isinstance(server, dict) and isinstance(server.get("url"), str):
                    url = re.sub(r"\{[^}]*\}", "x", server["url"]) if "://" in server["url"] else server["url"]
                    path = urlparse(url).path if "://" in url else url
                    out.append(_clean_prefix(path))
    return list(dict.fromkeys(out)) or [""]


def _clean_prefix(path: str) -> str:
    path = "/" + path.strip().strip("/") if path.strip().strip("/") else ""
    return path


def effective_security(doc: SpecDocument, op: Operation) -> list[str] | None:
    """Scheme names the operation requires; [] when explicitly public; None when nothing is declared."""
    node = op.node.get("security", doc.data.get("security") if isinstance(doc.data, dict) else None)
    if not isinstance(node, list):
        return None
    names: list[str] = []
    for req in node:
        if isinstance(req, dict):
            names.extend(str(k) for k in req)
    if node and not names:  # [{}]: auth optional
        return []
    return sorted(set(names))


def path_params(template: str) -> list[str]:
    return re.findall(r"\{([^}/]+)\}", template)


def operation_summary(doc: SpecDocument, op: Operation) -> dict[str, Any]:
    responses = op.node.get("responses")
    return {
        "method": op.method.upper(),
        "path": normalize_path(op.path),
        "template": op.path,
        "operation_id": str(op.node.get("operationId", "")),
        **({"controller": str(controller)} if (controller := op.node.get("x-openapi-router-controller") or op.node.get("x-swagger-router-controller")) else {}),
        "security": effective_security(doc, op),
        "responses": sorted(str(k) for k in responses) if isinstance(responses, dict) else [],
        "params": path_params(op.path),
        "line": doc.line_of(op.json_path),
    }


# ----------------------------------------------------------------------------- contract


def parameters(doc: SpecDocument, op: Operation) -> Iterator[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    for source in (op.node.get("parameters"), op.item.get("parameters")):
        if not isinstance(source, list):
            continue
        for raw in source:
            param = doc.deref(raw)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                continue
            key = (str(param.get("in", "")), param["name"])
            if key in seen:
                continue
            seen.add(key)
            yield param


def request_schema(doc: SpecDocument, op: Operation) -> tuple[Any, bool]:
    """(schema or None, whether a body is required) for the operation's request body."""
    if doc.is_swagger:
        for param in parameters(doc, op):
            if param.get("in") == "body":
                return doc.deref(param.get("schema")), bool(param.get("required"))
        return None, False
    body = doc.deref(op.node.get("requestBody"))
    if not isinstance(body, dict):
        return None, False
    content = body.get("content")
    schema = None
    if isinstance(content, dict):
        for media, item in content.items():
            item = doc.deref(item)
            if isinstance(item, dict) and "schema" in item:
                schema = doc.deref(item["schema"])
                if "json" in str(media):
                    break
    return schema, bool(body.get("required"))


def response_schemas(doc: SpecDocument, op: Operation) -> Iterator[tuple[str, Any]]:
    responses = op.node.get("responses")
    if not isinstance(responses, dict):
        return
    for code, raw in responses.items():
        resp = doc.deref(raw)
        if not isinstance(resp, dict):
            continue
        if doc.is_swagger:
            if "schema" in resp:
                yield str(code), doc.deref(resp["schema"])
            continue
        content = resp.get("content")
        if isinstance(content, dict):
            for item in content.values():
                item = doc.deref(item)
                if isinstance(item, dict) and "schema" in item:
                    yield str(code), doc.deref(item["schema"])
                    break


def schema_type(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(sorted(str(x) for x in t))
    if isinstance(t, str):
        return t
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return ""


CONTRACT_DEPTH = 3  # nesting levels of properties compared for breaking changes


def flatten(doc: SpecDocument, schema: Any, prefix: str = "", max_depth: int = CONTRACT_DEPTH) -> dict[str, dict[str, Any]]:
    """Property path -> {type, required, enum}; follows refs, allOf, items; cycle-safe."""
    out: dict[str, dict[str, Any]] = {}
    for name, prop, required, _parent in walk_properties(doc, schema, max_depth):
        entry: dict[str, Any] = {"type": schema_type(prop), "required": required}
        if isinstance(prop, dict) and isinstance(prop.get("enum"), list):
            entry["enum"] = sorted({str(v) for v in prop["enum"]})
        out[prefix + name] = entry
    return out


def walk_properties(doc: SpecDocument, schema: Any, max_depth: int = MAX_DEPTH) -> Iterator[tuple[str, Any, bool, Any]]:
    """(dotted name, property schema, required, owning schema) for every property reachable."""
    stack: list[tuple[Any, str, int, frozenset[int]]] = [(schema, "", 0, frozenset())]
    while stack:
        node, prefix, depth, seen = stack.pop()
        node = doc.deref(node)
        if not isinstance(node, dict) or id(node) in seen or depth > max_depth:
            continue
        seen = seen | {id(node)}
        for key in ("allOf", "oneOf", "anyOf"):
            parts = node.get(key)
            if isinstance(parts, list):
                for part in parts:
                    stack.append((part, prefix, depth, seen))
        if "items" in node:
            stack.append((node["items"], prefix + "[].", depth + 1, seen))
        props = node.get("properties")
        if isinstance(props, dict):
            required: list[Any] = node["required"] if isinstance(node.get("required"), list) else []
            for name, raw in props.items():
                prop = doc.deref(raw)
                full = f"{prefix}{name}"
                yield full, prop, name in required, node
                stack.append((prop, full + ".", depth + 1, seen))


def contract(doc: SpecDocument) -> dict[str, Any]:
    """What clients rely on, per operation (keyed by 'METHOD /shape/{}')."""
    from ..routes import shape

    ops: dict[str, Any] = {}
    keys: dict[int, str] = {}
    schemas: dict[str, dict[str, dict[str, Any]]] = {}  # flattened once, referenced by key

    def flat_of(schema: Any) -> str:
        key = keys.get(id(schema))
        if key is None:
            found = doc.locate(schema)
            if found is None:
                key = f"inline:{len(keys)}"
            else:
                file, where = found
                key = ("" if file == doc.abs_path else os.path.basename(file)) + pointer(where)
            keys[id(schema)] = key
            schemas[key] = flatten(doc, schema)
        return key

    for op in doc.operations():
        params = {}
        for param in parameters(doc, op):
            if param.get("in") == "body":
                continue
            schema = doc.deref(param.get("schema")) if "schema" in param else param
            entry: dict[str, Any] = {"required": bool(param.get("required")), "type": schema_type(schema)}
            if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
                entry["enum"] = sorted({str(v) for v in schema["enum"]})
            params[f"{param.get('in')}:{param['name']}"] = entry
        body, body_required = request_schema(doc, op)
        responses = {}
        for code, schema in response_schemas(doc, op):
            if code.startswith("2"):
                responses[code] = {"type": schema_type(schema), "schema": flat_of(schema)}
        ops[f"{op.method.upper()} {shape(op.path)}"] = {
            "label": op.label,
            "line": doc.line_of(op.json_path),
            "params": params,
            "body": {"required": body_required, "type": schema_type(body), "schema": flat_of(body)} if body is not None else None,
            "responses": responses,
            "security": effective_security(doc, op),
        }
    return {"operations": ops, "schemas": schemas, "prefixes": server_prefixes(doc), "paths_line": doc.line_of(("paths",))}
