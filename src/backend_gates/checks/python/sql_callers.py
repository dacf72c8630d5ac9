"""Call sites of the project's functions, as `call_sites` facts, for tracing SQL identifiers
built from a function's parameters back to what the callers pass (BG202 reads them).

Each call whose callee is a plain name or an attribute (`clear_table(...)`, `db.upsert(...)`,
`self.run(...)`) is recorded under the callee's last name with the kind of every argument:

- `c`: constant where it is passed: a literal, an UPPER_CASE or module constant, a local assigned
  only literals (or a loop variable over a literal tuple of them), text built from those (`"query_%d" % n` with a numeric format included);
- `p`: the caller's own parameter passed on unchanged, with where it sits in the caller's
  signature, so a project check can follow it one more call up;
- `d`: anything else (a value the caller computes or receives from elsewhere).

A non-constant argument is then read with the SQL-text builder of sqlsinks.py in the caller's
scope, so what makes text safe there makes it constant here (`"query_%d" % n`, `int(x)`, a
regex capture of digits, `quote_name(x)`, an allow-list); a `p` built from the items of the
caller's parameter (`"query_{}".format(qid)` in `for qid in query_ids`) says so (`:items`,
`:items:<i>` for `row[i]`). Each argument also gets an items kind after `|`, for a callee that
uses the items (dict keys) of the parameter: `c` (items written in code: a dict literal's keys, a
list of constants, a regex capture of an identifier alphabet), `p:...` (the items of the caller's
parameter), `r` (request data or text derived from the caller's own parameters: keys from outside
the code), `d` (the program's own data: database rows, objects it built); `|<i>=<kind>` for the
i-th value of tuple items (`re.findall` with several groups).

A computed argument is read with the text builder only where a project check needs it: the main
pass records `?` for it (most projects have no function whose parameters reach SQL identifiers,
and the builder is most of this collector's cost), and BG202 asks for the files whose calls it
reads (`Project.complete`), which are then read again with the `build` option on.

Calls whose arguments are all `d` are recorded by their shape only (how many positional
arguments, which keywords): such a call keeps a finding when it passes the parameter. Calls of a few builtins and container methods are not recorded (no project
function a finding depends on is found through them; a function named like one keeps its finding
because no caller is found). Test files and migrations are not read (a function only they call keeps its finding). Cost: one
pass over the file's calls and assignments within the shared walk, no name resolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ...sources.nodes import node_types
from ..base import DEFERRED, FactCollector
from . import sqlsinks
from ...patterns import lazy

# callee names never recorded: builtins and container/str methods (performance only)
_SKIP = frozenset(
    {
        "print", "len", "isinstance", "issubclass", "getattr", "setattr", "hasattr", "str", "int", "float", "bool", "list",
        "dict", "set", "tuple", "range", "enumerate", "zip", "sorted", "super", "type", "repr", "min", "max", "sum", "any",
        "all", "map", "filter", "iter", "next", "open", "append", "extend", "insert", "update", "pop", "get", "setdefault",
        "items", "keys", "values", "join", "split", "strip", "replace", "startswith", "endswith", "format", "lower", "upper",
        "encode", "decode", "add", "remove", "discard", "copy", "debug", "info", "warning", "error", "exception", "critical",
        "assertEqual", "assertTrue", "assertFalse", "assertIn", "assertIsNone", "_", "gettext", "gettext_lazy", "ugettext",
    }
)
_MIGRATION = lazy(r"(^|/)(migrations|alembic|versions)/")
# calls whose result the text builder reads (text formatting, collections, regex captures)
_BUILDING_CALLS = frozenset({"format", "join", "dict", "list", "tuple", "set", "sorted", "findall", "str", "get_json", "to_dict"})
# steps the text builder may take to judge one argument (names followed, helpers, items)
_BUDGET = 200
_LITERALS = node_types(cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)
# values the text builder can say more about (exact types: see sources.nodes.node_types)
_BUILT = node_types(cst.FormattedString, cst.BinaryOperation, cst.ConcatenatedString, cst.Dict, cst.List, cst.Tuple, cst.Set,
                    cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.IfExp)
_BUILT_OR_TEXT = _BUILT | {cst.SimpleString}


def signature(fn: cst.FunctionDef) -> list[tuple[str, str]]:
    """(name, default kind) of a function's positional-or-keyword parameters, `self`/`cls`
    dropped: default kind `c` when the default is a constant, `-` when there is none, else `d`."""
    params = [*fn.params.posonly_params, *fn.params.params]
    if params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    out: list[tuple[str, str]] = []
    for p in params:
        default = p.default
        kind = "-" if default is None else "c" if _constant_value(default) else "d"
        out.append((p.name.value, kind))
    return out


def _constant_value(node: cst.BaseExpression) -> bool:
    if type(node) in _LITERALS:  # exact types: see sources.nodes.node_types
        return True
    if type(node) is cst.Name:
        return node.value in ("None", "True", "False") or bool(sqlsinks._CONST_NAME.match(node.value))
    if type(node) is cst.UnaryOperation:
        return _constant_value(node.expression)
    return False


def _literal_keys(node: cst.BaseExpression) -> set[str] | None:
    """The keys of a dict literal whose keys are all string literals, else None."""
    if not isinstance(node, cst.Dict):
        return None
    keys: set[str] = set()
    for element in node.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        value = element.key.evaluated_value
        keys.add(value if isinstance(value, str) else value.decode("utf-8", "replace"))
    return keys


def _buildable(value: cst.BaseExpression) -> bool:
    """An assigned value the text builder can judge: text built in place, collections, calls
    that build text or collections (or a same-module helper's result), request data."""
    if type(value) in _BUILT_OR_TEXT:
        return True
    if type(value) is cst.Call:
        func = value.func
        return type(func) is cst.Name or (type(func) is cst.Attribute and func.attr.value in _BUILDING_CALLS)
    if type(value) is cst.Attribute:
        return sqlsinks._dotted(value).split(".")[0] in ("request", "req")
    return False


def _constant_items(node: cst.BaseExpression) -> bool:
    """A literal collection of constants: a loop over it binds only constants."""
    return isinstance(node, (cst.Tuple, cst.List, cst.Set)) and all(
        isinstance(e, cst.Element) and _constant_value(e.value) for e in node.elements
    )


@dataclass(slots=True)
class _Frame:
    """One function being walked: its signature, what its names are assigned, its calls."""

    name: str
    params: list[tuple[str, str]]
    node: cst.CSTNode | None = None
    stars: frozenset[str] = frozenset()  # the function's `*args` / `**kwargs` names
    kwargs: str | None = None  # the `**kwargs` name
    buildable: set[str] = field(default_factory=set)  # names assigned text, collections or loop items
    assigned: sqlsinks.Assignments | None = None  # its assignments, read once when an argument needs them
    literal: dict[str, bool] = field(default_factory=dict)  # name -> assigned only literals so far
    dict_keys: dict[str, set[str] | None] = field(default_factory=dict)  # name -> keys of the dict literals it is assigned
    calls: list[tuple[str, list[cst.BaseExpression], dict[str, cst.BaseExpression]]] = field(default_factory=list)


class CallSiteFacts(FactCollector):
    """Every call of a project-style function with the kind of each argument (see module doc).

    Arguments are judged when the enclosing function has been walked, from what its names are
    assigned anywhere in it (one pass: no per-call scan of the function)."""

    skip_tests = True  # a function only tests call keeps its finding: no caller fixes it
    produces = ("call_sites",)
    deferred_option = "build"

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        return super().wants(ctx) and not _MIGRATION.search(ctx.path)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.frames: list[_Frame] = [_Frame("", [])]
        self._index: sqlsinks.ModuleIndex | None = None
        self.calls: dict[str, list[list[Any]]] = {}
        self.dynamic: dict[str, list[list[Any]]] = {}  # name -> [[positional count, keyword names, caller]]

    # -- names and their assignments
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        stars = {p.name.value for p in (node.params.star_arg, node.params.star_kwarg) if isinstance(p, cst.Param)}
        kwargs = node.params.star_kwarg.name.value if isinstance(node.params.star_kwarg, cst.Param) else None
        self.frames.append(_Frame(node.name.value, signature(node), node, frozenset(stars), kwargs))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.settle(self.frames.pop())

    def leave_Module(self, node: cst.Module) -> None:
        self.frames[0].node = node
        self.settle(self.frames[0])

    def assign(self, target: cst.BaseExpression, literal: bool, value: cst.BaseExpression | None = None) -> None:
        frame = self.frames[-1]
        if isinstance(target, cst.Name):
            frame.literal[target.value] = frame.literal.get(target.value, True) and literal
            if value is None or _buildable(value):
                frame.buildable.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.assign(element.value, False)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self.assign(t.target, _constant_value(node.value), node.value)
            if isinstance(t.target, cst.Name):
                keys = _literal_keys(node.value)
                known = self.frames[-1].dict_keys
                previous = known.get(t.target.value, set())
                known[t.target.value] = None if keys is None or previous is None else previous | keys

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.assign(node.target, node.value is not None and _constant_value(node.value), node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.assign(node.target, False)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.assign(node.target, _constant_value(node.value), node.value)

    def visit_For(self, node: cst.For) -> None:
        self.assign(node.target, _constant_items(node.iter))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.assign(node.target, _constant_items(node.iter))

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, (cst.Name, cst.Tuple, cst.List)):
            self.assign(node.name, False)

    # -- calls
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Name:
            leaf = func.value
        elif type(func) is cst.Attribute:
            leaf = func.attr.value
            receiver = func.value
            if type(receiver) is cst.Name and receiver.value[:1].isupper() and not receiver.value.isupper():
                return self.any_argument(leaf)  # `Class.method(obj, ...)`: positions shift; not followed
        else:
            return None
        if leaf in _SKIP or not node.args:
            return None
        if any(a.star == "*" for a in node.args):
            return self.any_argument(leaf)
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        for spread in (a.value for a in node.args if a.star == "**"):
            keys = self.frames[-1].dict_keys.get(spread.value) if isinstance(spread, cst.Name) else _literal_keys(spread)
            if keys is None:
                keywords["**"] = spread  # `**kwargs` of unknown keys: any parameter not given may be passed
                continue
            keywords.update({key: spread for key in keys})  # `**{"img": img}`: exactly these keys, values computed
        self.frames[-1].calls.append((leaf, positional, keywords))
        return None

    def any_argument(self, leaf: str) -> None:
        """A call whose arguments cannot be placed (`*args`, `Class.method(obj, ...)`): it may
        pass anything in any position."""
        known = self.dynamic.setdefault(leaf, [])
        if not any(entry[0] < 0 for entry in known):
            known.append([-1, [], self.frames[-1].name])

    def settle(self, frame: _Frame) -> None:
        """Judge the arguments of the calls of a function that has been walked."""
        for leaf, positional_nodes, keyword_nodes in frame.calls:
            positional = [self.argument_kind(v, frame) for v in positional_nodes]
            keywords = {k: self.argument_kind(v, frame) for k, v in keyword_nodes.items()}
            if all(k == "d" for k in positional) and all(k == "d" for k in keywords.values()):
                shape = [len(positional), sorted(keywords)]
                known = self.dynamic.setdefault(leaf, [])
                if not any(entry[:2] == shape for entry in known):
                    known.append([*shape, frame.name])
                continue
            self.calls.setdefault(leaf, []).append([positional, keywords, frame.name])
        frame.calls.clear()

    def argument_kind(self, value: cst.BaseExpression, frame: _Frame) -> str:
        kind = self.plain_kind(value, frame)
        if kind != "d" or not self.worth_building(value, frame):
            return kind
        return self.built_kind(value, frame) if self.opts.get("build") else DEFERRED

    @staticmethod
    def worth_building(value: cst.BaseExpression, frame: _Frame) -> bool:
        """Arguments the text builder can say more about than `d`: text built in place, literal
        collections and comprehensions, names the function assigns (or loops over), request
        data, and calls that build text or collections. Attributes, subscripts and other calls
        stay `d` without the cost of building (most arguments are these)."""
        if type(value) in _BUILT:
            return True
        if type(value) is cst.Name:
            return value.value in frame.buildable or value.value in frame.stars
        if type(value) is cst.Attribute:
            return sqlsinks._dotted(value).split(".")[0] in ("request", "req")
        if type(value) is cst.Call:
            func = value.func
            leaf = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
            return leaf in _BUILDING_CALLS or sqlsinks._dotted(func).split(".")[0] in ("request", "req")
        return False

    def built_kind(self, value: cst.BaseExpression, frame: _Frame) -> str:
        """The kinds of a computed argument, read with the SQL-text builder in the caller's scope:
        `<value kind>|<items kind>[|<i>=<kind of the i-th value of each item>]`."""
        if frame.node is None:
            return "d"
        if frame.assigned is None:
            frame.assigned = sqlsinks.assignments_before(frame.node, None)
        if self._index is None:
            self._index = sqlsinks.module_index(self.ctx.module)
        try:
            template = sqlsinks.reconstruct(value, dict(frame.assigned), self._index, budget=_BUDGET, with_kind=False)
            kinds = [self.classify(template.dynamic, frame, value_mode=True)]
            if kinds[0] == "c" and not isinstance(value, (cst.Name, cst.Dict, cst.List, cst.Tuple, cst.Set)):
                return "c"  # text built only from safe parts
            items = sqlsinks.items_of(value, dict(frame.assigned), self._index, budget=_BUDGET)
            kinds.append(self.classify(items, frame, value_mode=False))
            if kinds[1] == "r" or kinds[1].startswith("p:"):  # tuples whose other values are safe (`re.findall` with groups)
                for i in range(3):
                    at = self.classify(sqlsinks.items_of(value, dict(frame.assigned), self._index, i, budget=_BUDGET), frame, value_mode=False)
                    if at != kinds[1]:
                        kinds.append(f"{i}={at}")
        except RecursionError:
            return "d"
        return "|".join(kinds) if kinds != ["d", "d"] else "d"

    def classify(self, dynamic: tuple[str, ...], frame: _Frame, value_mode: bool) -> str:
        """The kind of an argument from the sources of its non-constant parts."""
        if not dynamic:
            return "c"
        names = [n for n, _ in frame.params]
        sources = set(dynamic)
        if len(sources) == 1:
            source = next(iter(sources))
            found = sqlsinks.ITEM_SOURCE.match(source)
            name = found.group(1) if found else source
            if found and found.group(2) is None and name == frame.kwargs and name not in frame.literal:
                return f"p:{frame.name}:-1:{name}:-:kwargs"  # the keyword names its callers pass
            if name in names and name not in frame.literal:
                i = names.index(name)
                # an item built from the parameter's value (`[["col", user_id]]`): its value decides
                mode = (":value" if not value_mode else "") if not found else ":items" if found.group(2) is None else f":items:{found.group(2)}"
                return f"p:{frame.name}:{i}:{name}:{frame.params[i][1]}{mode}"
        if value_mode:
            return "d"
        inputs = set(names) | frame.stars
        for source in sources:
            if sqlsinks.REQUEST_SOURCE.search(source) or inputs & set(re.findall(r"(?<![.\w])[A-Za-z_]\w*", source)):
                return "r"
        return "d"

    def plain_kind(self, value: cst.BaseExpression, frame: _Frame) -> str:
        if _constant_value(value):
            return "c"
        if isinstance(value, cst.Name):
            names = [n for n, _ in frame.params]
            if value.value in names and value.value not in frame.literal:
                i = names.index(value.value)
                return f"p:{frame.name}:{i}:{value.value}:{frame.params[i][1]}"
            if value.value in frame.literal:
                return "c" if frame.literal[value.value] else "d"
            module = self.frames[0].literal
            if value.value in module:
                return "c" if module[value.value] else "d"
            return "d"
        if isinstance(value, cst.FormattedString):
            parts = [p.expression for p in value.parts if isinstance(p, cst.FormattedStringExpression)]
            return "c" if all(self.plain_kind(p, frame) == "c" for p in parts) else "d"
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Modulo)):
            sides = [value.left, *(e.value for e in value.right.elements)] if isinstance(value.right, cst.Tuple) else [value.left, value.right]
            return "c" if all(self.plain_kind(p, frame) == "c" for p in sides) else "d"
        return "d"

    def finish(self) -> None:
        if self.calls or self.dynamic:
            self.fact("call_sites", {"calls": self.calls, "dynamic": self.dynamic})
