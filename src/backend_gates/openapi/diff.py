"""Breaking changes between two versions of a spec (contracts from model.contract()).

Breaking: removed operations, removed response properties, new required request fields or
parameters (or a body that became required), narrowed types or enums, changed or added auth.
Additive changes (new operations, optional parameters, new response fields) are not reported.
A version bump (info.version major, or a /vN path or server prefix) makes them information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

WIDENINGS = {("integer", "number")}


@dataclass(frozen=True)
class Change:
    kind: str  # removed-operation | removed-response-field | new-required-input | narrowed-type | narrowed-enum | changed-auth
    operation: str  # "GET /pets/{petId}"
    detail: str
    line: int  # line in the new spec (the operation, or 1 when it is gone)

    def text(self) -> str:
        return f"{self.operation}: {self.detail}"


def _type_narrowed(old: str, new: str) -> bool:
    if not old or not new or old == new:
        return False
    if (old, new) in WIDENINGS:
        return False
    old_set, new_set = set(old.split("|")), set(new.split("|"))
    return not old_set <= new_set


def _enum_narrowed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    new_enum = new.get("enum")
    if new_enum is None:
        return []
    old_enum = old.get("enum")
    if old_enum is None:
        return ["(any value)"]
    return sorted(set(old_enum) - set(new_enum))


def _props(contract: dict[str, Any], part: dict[str, Any] | None) -> dict[str, Any] | None:
    """A body/response entry with its flattened properties looked up in the contract's table."""
    if part is None:
        return None
    props = part.get("props")
    if props is None:
        props = contract.get("schemas", {}).get(part.get("schema", ""), {})
    return {**part, "props": props}


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    old_ops: dict[str, Any] = old.get("operations", {})
    new_ops: dict[str, Any] = new.get("operations", {})
    for key, was in old_ops.items():
        label = was.get("label", key)
        now = new_ops.get(key)
        if now is None:
            out.append(Change("removed-operation", label, "operation removed", int(new.get("paths_line", 1))))
            continue
        line = int(now.get("line", 1))
        out.extend(_params(label, line, was.get("params", {}), now.get("params", {})))
        out.extend(_body(label, line, _props(old, was.get("body")), _props(new, now.get("body"))))
        out.extend(
            _responses(
                label,
                line,
                {c: _props(old, r) for c, r in was.get("responses", {}).items()},
                {c: _props(new, r) for c, r in now.get("responses", {}).items()},
            )
        )
        out.extend(_auth(label, line, was.get("security"), now.get("security")))
    return out


def _params(label: str, line: int, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out = []
    for name, now in new.items():
        was = old.get(name)
        if now.get("required") and (was is None or not was.get("required")):
            out.append(Change("new-required-input", label, f"parameter {name} is now required", line))
        if was is None:
            continue
        if _type_narrowed(was.get("type", ""), now.get("type", "")):
            out.append(Change("narrowed-type", label, f"parameter {name} changed type {was.get('type')} -> {now.get('type')}", line))
        gone = _enum_narrowed(was, now)
        if gone:
            out.append(Change("narrowed-enum", label, f"parameter {name} no longer accepts {', '.join(gone)}", line))
    return out


def _body(label: str, line: int, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    if new is None:
        return []
    out = []
    if new.get("required") and not (old or {}).get("required"):
        out.append(Change("new-required-input", label, "request body is now required", line))
    old_props = (old or {}).get("props", {})
    if old is not None and _type_narrowed(old.get("type", ""), new.get("type", "")):
        out.append(Change("narrowed-type", label, f"request body changed type {old.get('type')} -> {new.get('type')}", line))
    for name, now in new.get("props", {}).items():
        was = old_props.get(name)
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        parent_new = parent and parent not in old_props  # a new optional object may have required fields
        if now.get("required") and (was is None or not was.get("required")) and not parent_new:
            out.append(Change("new-required-input", label, f"request field {name} is now required", line))
        if was is None:
            continue
        if _type_narrowed(was.get("type", ""), now.get("type", "")):
            out.append(Change("narrowed-type", label, f"request field {name} changed type {was.get('type')} -> {now.get('type')}", line))
        gone = _enum_narrowed(was, now)
        if gone:
            out.append(Change("narrowed-enum", label, f"request field {name} no longer accepts {', '.join(gone)}", line))
    return out


def _responses(label: str, line: int, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out = []
    for code, was in old.items():
        now = new.get(code)
        if now is None:
            # the success code changed: compare with any remaining 2xx body
            now = next(iter(new.values()), None)
            if now is None:
                continue
        now_props = now.get("props", {})
        for name, prop in was.get("props", {}).items():
            if name not in now_props:
                parent = name.rsplit(".", 1)[0] if "." in name else ""
                if parent and parent not in now_props and parent in was.get("props", {}):
                    continue  # reported once for the parent
                out.append(Change("removed-response-field", label, f"response {code} no longer has field {name}", line))
            elif prop.get("type") and now_props[name].get("type") and prop.get("type") != now_props[name].get("type"):
                out.append(Change("narrowed-type", label, f"response {code} field {name} changed type {prop.get('type')} -> {now_props[name].get('type')}", line))
    return out


def _auth(label: str, line: int, old: list[str] | None, new: list[str] | None) -> list[Change]:
    old_set, new_set = set(old or []), set(new or [])
    if not new_set:
        return []  # auth removed or optional: not breaking for clients (a security concern elsewhere)
    if not old_set:
        return [Change("changed-auth", label, f"now requires authentication ({', '.join(sorted(new_set))})", line)]
    dropped = old_set - new_set
    if dropped:
        return [Change("changed-auth", label, f"no longer accepts {', '.join(sorted(dropped))}; requires {', '.join(sorted(new_set))}", line)]
    return []


_MAJOR = re.compile(r"^\s*v?(\d+)")
_PATH_VERSION = re.compile(r"(?:^|/)v(\d+)(?=/|$)", re.IGNORECASE)


def _major(version: str) -> int | None:
    m = _MAJOR.match(version or "")
    return int(m.group(1)) if m else None


def _path_versions(summary: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for prefix in summary.get("prefixes", ()):
        found.update(int(v) for v in _PATH_VERSION.findall(prefix))
    for op in summary.get("operations", ()):
        found.update(int(v) for v in _PATH_VERSION.findall(op.get("template", "")))
    return found


def version_bump(old: dict[str, Any], new: dict[str, Any]) -> str:
    """How the new spec announces a new version ('' if it does not). Arguments are summaries."""
    a, b = _major(old.get("info_version", "")), _major(new.get("info_version", ""))
    if a is not None and b is not None and b > a:
        return f"info.version {old.get('info_version')} -> {new.get('info_version')}"
    old_v, new_v = _path_versions(old), _path_versions(new)
    if new_v and (not old_v or max(new_v) > max(old_v)):
        return f"path version v{max(old_v) if old_v else '-'} -> v{max(new_v)}"
    return ""
