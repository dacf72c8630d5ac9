"""Load OpenAPI documents safely, keeping the line of every node.

YAML is composed with PyYAML's safe (C when available) loader into nodes, then turned into plain
JSON data while recording `json path -> line` for every mapping key and sequence item. JSON goes
through the same path (JSON is YAML); when the YAML reader rejects a JSON file, `json.loads` reads
it without positions. Dates stay strings, integer keys (`200:`) become strings, recursive aliases
terminate. Nothing here touches the network.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is several times faster on large specs
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

JsonPath = tuple[str | int, ...]


class SpecParseError(Exception):
    """The text is not YAML/JSON: `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Loaded:
    """One loaded file: plain data and where each node starts."""

    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict)
    columns: dict[JsonPath, int] = field(default_factory=dict)  # only for nodes on very long lines

    def column_of(self, path: JsonPath) -> int:
        """The column of the node at `path` when it sits on a long (e.g. minified JSON) line, else 1."""
        if not self.columns:
            return 1
        p = tuple(path)
        while p:
            col = self.columns.get(p)
            if col is not None:
                return col
            p = p[:-1]
        return 1

    def line_of(self, path: JsonPath) -> int:
        """The line of the node at `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            line = self.lines.get(p)
            if line is not None:
                return line
            p = p[:-1]
        return self.lines.get((), 1)


_STR = "tag:yaml.org,2002:str"
_CONTAINER_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _scalar(loader: Any, node: yaml.ScalarNode) -> Any:
    if node.tag == _STR:  # most scalars: no constructor round trip
        return node.value
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return node.value
    if isinstance(value, bytes):
        return node.value
    if isinstance(value, float) and value != value:  # .nan
        return node.value
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def load_text(text: str, json_hint: bool = False) -> Loaded:
    """Parse YAML or JSON text into plain data with node lines. Raises SpecParseError."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            out = Loaded(None)
            if root is not None:
                long_lines = {i + 1 for i, line in enumerate(text.split("\n")) if len(line) > LONG_LINE}
                out.data = _convert(loader, root, out.lines, out.columns if long_lines else None, long_lines)
            return out
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if json_hint:
            return _load_json(text)
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecParseError(f"not valid {'JSON' if json_hint else 'YAML'}: {problem}", line, column) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        if json_hint:
            return _load_json(text)
        raise SpecParseError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise SpecParseError("document nested too deeply") from None


def _load_json(text: str) -> Loaded:
    try:
        return Loaded(json.loads(text), {(): 1})
    except json.JSONDecodeError as exc:
        raise SpecParseError(f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise SpecParseError("document nested too deeply") from None


LONG_LINE = 300


def _convert(
    loader: Any,
    root: yaml.Node,
    lines: dict[JsonPath, int],
    columns: dict[JsonPath, int] | None = None,
    long_lines: set[int] | frozenset[int] = frozenset(),
) -> Any:
    """Nodes -> plain data, iteratively (deep specs must not hit the recursion limit)."""
    done: dict[int, Any] = {}  # node id -> converted container (aliases, recursive anchors)

    def new(node: yaml.Node) -> Any:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _CONTAINER_TAGS:
            mark = node.start_mark
            raise SpecParseError(f"not valid YAML for a spec: unsupported tag {node.tag!r}", mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return {}
        if isinstance(node, yaml.SequenceNode):
            return []
        assert isinstance(node, yaml.ScalarNode)
        return _scalar(loader, node)

    result = new(root)
    lines[()] = root.start_mark.line + 1
    if not isinstance(root, (yaml.MappingNode, yaml.SequenceNode)):
        return result
    done[id(root)] = result
    stack: list[tuple[yaml.Node, Any, JsonPath]] = [(root, result, ())]
    while stack:
        node, target, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)  # `<<:` merge keys
            for key_node, value_node in node.value:
                key = _key(_scalar(loader, key_node) if isinstance(key_node, yaml.ScalarNode) else key_node.start_mark.line)
                child_path = path + (key,)
                lines[child_path] = key_node.start_mark.line + 1
                if columns is not None and key_node.start_mark.line + 1 in long_lines:
                    columns[child_path] = key_node.start_mark.column + 1
                target[key] = _child(value_node, child_path, done, new, stack)
        else:
            for index, item in enumerate(node.value):
                child_path = path + (index,)
                lines[child_path] = item.start_mark.line + 1
                if columns is not None and item.start_mark.line + 1 in long_lines:
                    columns[child_path] = item.start_mark.column + 1
                target.append(_child(item, child_path, done, new, stack))
    return result


def _child(node: yaml.Node, path: JsonPath, done: dict[int, Any], new: Any, stack: list[Any]) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        seen = done.get(id(node))
        if seen is not None:
            return seen  # alias: share (recursive anchors stay finite)
        value = new(node)
        done[id(node)] = value
        stack.append((node, value, path))
        return value
    return new(node)


def pointer(path: JsonPath) -> str:
    """`('paths', '/pets', 'get')` -> `#/paths/~1pets/get`."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "#/" + "/".join(parts) if parts else "#"


def parse_pointer(fragment: str) -> JsonPath | None:
    """`/components/schemas/Pet` -> ('components', 'schemas', 'Pet'); None if malformed."""
    from urllib.parse import unquote

    fragment = unquote(fragment)
    if fragment in ("", "/"):
        return () if fragment == "" else ("",)
    if not fragment.startswith("/"):
        return None
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in fragment[1:].split("/"))


def follow(data: Any, path: JsonPath) -> tuple[bool, Any]:
    """The node at `path` inside `data` (lists indexed by int-like parts)."""
    node = data
    for part in path:
        if isinstance(node, dict):
            if part not in node:
                return False, None
            node = node[part]
        elif isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                return False, None
        else:
            return False, None
    return True, node


def rel_to_root(file: str, config: Any, fallback: str) -> str:
    """A project-relative path for a file a spec refers to (fallback when outside the project)."""
    try:
        return Path(file).resolve().relative_to(Path(config.root).resolve()).as_posix()
    except ValueError:
        return fallback
