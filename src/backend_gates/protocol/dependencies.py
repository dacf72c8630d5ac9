"""Query parameters a FastAPI endpoint binds through its dependencies.

FastAPI reads a dependency's own signature: `Depends(pagination_params)` with
`def pagination_params(skip: int = 0, limit: int = 100)` makes `skip` and `limit` query
parameters of every endpoint that depends on it. The forms followed here:

- a function dependency: `p = Depends(fn)`, `p: Annotated[T, Depends(fn)]`, an alias
  `PageDep = Annotated[T, Depends(fn)]` used as `p: PageDep`, and the decorator's
  `dependencies=[Depends(fn)]`;
- a class dependency: `p: Pagination = Depends()`, `Depends(Pagination)`,
  `Annotated[Pagination, Depends()]`: its `__init__` parameters, or, without one, its annotated
  fields (dataclasses, pydantic models); `Depends(Paginator())`: the instance's `__call__`;
- a pydantic model of query parameters: `filters: Annotated[FilterParams, Query()]`;
- nested dependencies (a dependency's own `Depends(...)` parameters), a few levels deep.

Names are resolved through the project's own modules (imports, relative imports, re-exports);
a dependency defined outside the project cannot be read, and the caller says so. Files are read
from the run's discovered Python files only (`project.lines`), parsed with `ast`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 4
# a parameter bound from somewhere else than the query string
NOT_QUERY = frozenset({"Header", "Cookie", "Path", "Body", "Form", "File", "Security", "Depends"})
PLUMBING_TYPES = frozenset({
    "Request", "Response", "Session", "AsyncSession", "BackgroundTasks", "WebSocket", "HTTPConnection",
    "UploadFile", "SecurityScopes", "Connection", "AsyncConnection", "Engine",
})
SCALARS = frozenset({
    "int", "str", "float", "bool", "bytes", "UUID", "Decimal", "date", "datetime", "time", "Literal", "Optional",
    "List", "list", "Union", "set", "Set", "tuple", "Tuple", "EmailStr", "AnyUrl", "HttpUrl", "StrictInt",
    "StrictStr", "PositiveInt", "NonNegativeInt", "conint", "constr", "Enum",
})


@dataclass(frozen=True, slots=True)
class DependencyQuery:
    """What an endpoint's dependencies add to its query string."""

    params: frozenset[str]  # query parameter names (aliases when given)
    read: tuple[str, ...]  # the dependencies read: "app/deps.py:12 pagination_params"
    unread: tuple[str, ...]  # dependencies named but not readable (outside the project): their names
    found: bool = True  # the handler's definition was read (False: nothing could be judged here)
    models: frozenset[str] = frozenset()  # handler parameters that are query models (their fields are the parameters)


@dataclass
class _Module:
    path: str
    name: str
    is_pkg: bool
    defs: dict[str, ast.AST] = field(default_factory=dict)  # top-level functions, classes, assignments
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local -> (module, attr)
    stars: list[str] = field(default_factory=list)  # modules of `from x import *`


class _Resolver:
    def __init__(self, project: Any) -> None:
        self.project = project
        self.by_name: dict[str, str] = {}  # dotted module -> path
        self.suffix: dict[str, list[str]] = {}
        for path in getattr(project, "results", {}):
            if not path.endswith(".py"):
                continue
            dotted = path[:-3].replace("/", ".")
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            self.by_name[dotted] = path
            parts = dotted.split(".")
            for i in range(len(parts)):
                self.suffix.setdefault(".".join(parts[i:]), []).append(dotted)
        self.modules: dict[str, _Module | None] = {}

    # ------------------------------------------------------------------ modules
    def find(self, name: str) -> str | None:
        if name in self.by_name:
            return name
        found = self.suffix.get(name)
        return min(found, key=len) if found else None

    def module(self, name: str) -> _Module | None:
        if name in self.modules:
            return self.modules[name]
        self.modules[name] = None  # a cycle or a failure reads as unreadable
        path = self.by_name.get(name)
        if path is None:
            return None
        try:
            tree = ast.parse("\n".join(self.project.lines(path)) + "\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        mod = _Module(path, name, path.endswith("__init__.py"))
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                mod.defs[stmt.name] = stmt
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                mod.defs[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                mod.defs[stmt.target.id] = stmt.value
            elif type(stmt).__name__ == "TypeAlias":  # `type PageDep = Annotated[...]` (3.12)
                mod.defs[getattr(getattr(stmt, "name", None), "id", "")] = getattr(stmt, "value", stmt)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        mod.imports[alias.asname] = (alias.name, None)
                    else:
                        head = alias.name.split(".")[0]
                        mod.imports[head] = (head, None)
            elif isinstance(stmt, ast.ImportFrom):
                target = self._absolute(mod, stmt.level, stmt.module)
                for alias in stmt.names:
                    if alias.name == "*":
                        mod.stars.append(target)
                    else:
                        mod.imports[alias.asname or alias.name] = (target, alias.name)
        self.modules[name] = mod
        return mod

    def _absolute(self, mod: _Module, level: int, module: str | None) -> str:
        if not level:
            return module or ""
        base = mod.name.split(".") if mod.is_pkg else mod.name.split(".")[:-1]
        base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
        return ".".join(base + (module.split(".") if module else []))

    def resolve(self, mod: _Module, name: str, depth: int = 0) -> tuple[_Module, ast.AST] | None:
        """The definition `name` refers to from `mod` (a function, class or assigned value)."""
        if depth > 6 or not name:
            return None
        head, _, rest = name.partition(".")
        if head in mod.defs and not rest:
            return mod, mod.defs[head]
        imported = mod.imports.get(head)
        if imported is None:
            for star in mod.stars:
                found = self.find(star)
                other = self.module(found) if found and found != mod.name else None
                hit = self.resolve(other, name, depth + 1) if other is not None else None
                if hit is not None:
                    return hit
            return None
        target, attr = imported
        if attr is None:  # import pkg.mod [as x]: x.name
            full = target + ("." + rest if rest else "")
            parent, _, last = full.rpartition(".")
            found = self.find(parent)
            other = self.module(found) if found else None
            return self.resolve(other, last, depth + 1) if other is not None else None
        sub = self.find(f"{target}.{attr}") if target else self.find(attr)
        if sub is not None and rest:  # from pkg import mod; mod.name
            other = self.module(sub)
            return self.resolve(other, rest, depth + 1) if other is not None else None
        found = self.find(target) if target else None
        other = self.module(found) if found else None
        if other is None or rest:
            return None
        return self.resolve(other, attr, depth + 1)


def dependency_query(view: Any, project: Any) -> DependencyQuery:
    """The query parameters `view`'s FastAPI dependencies bind (empty for other frameworks)."""
    cache: dict[str, DependencyQuery] = project.__dict__.setdefault("_dependency_query", {})
    key = f"{view.route.file}:{view.handler_line or view.route.line}:{view.route.handler}"
    if key in cache:
        return cache[key]
    resolver: _Resolver = project.__dict__.get("_dependency_resolver") or _Resolver(project)
    project.__dict__["_dependency_resolver"] = resolver
    walk = _Walk(resolver)
    module_name = _module_of(resolver, view.route.file)
    mod = resolver.module(module_name) if module_name else None
    handler = _handler(mod, view) if mod is not None else None
    if mod is not None and handler is not None:
        walk.handler(mod, handler)
    out = DependencyQuery(frozenset(walk.params), tuple(dict.fromkeys(walk.read)), tuple(dict.fromkeys(walk.unread)),
                          handler is not None, frozenset(walk.models))
    cache[key] = out
    return out


def _module_of(resolver: _Resolver, path: str) -> str | None:
    for name, p in resolver.by_name.items():
        if p == path:
            return name
    return None


def _handler(mod: _Module, view: Any) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The handler's `def` in its module (by name; the line decides between same-named ones)."""
    name = str(view.route.handler).rsplit(".", 1)[-1]
    line = int(view.handler_line or (view.facts.line if view.facts is not None else 0) or view.route.line or 0)
    candidates = [node for node in _all_functions(mod) if node.name == name]
    if not candidates:
        return None
    return min(candidates, key=lambda n: abs(n.lineno - line))


def _all_functions(mod: _Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    out: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in mod.defs.values():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(node)
        elif isinstance(node, ast.ClassDef):
            out.extend(n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return out


def _call_name(node: ast.AST) -> str:
    """`Depends` for `Depends(...)` / `fastapi.Depends(...)`; '' for anything else."""
    if isinstance(node, ast.Call):
        return _dotted(node.func).rsplit(".", 1)[-1]
    return ""


def _dotted(node: ast.AST | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _annotated(ann: ast.AST | None) -> tuple[ast.AST | None, list[ast.AST]]:
    """`Annotated[T, m1, m2]` -> (T, [m1, m2]); anything else -> (ann, [])."""
    if isinstance(ann, ast.Subscript) and _dotted(ann.value).rsplit(".", 1)[-1] == "Annotated":
        items = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if items:
            return items[0], list(items[1:])
    return ann, []


def _type_name(ann: ast.AST | None) -> str:
    """The class an annotation names: `Pagination`, `Optional[Pagination]` -> Pagination."""
    if ann is None:
        return ""
    if isinstance(ann, ast.Subscript):
        outer = _dotted(ann.value).rsplit(".", 1)[-1]
        if outer in ("Optional",):
            return _type_name(ann.slice)
        return outer
    if isinstance(ann, ast.BinOp):  # X | None
        left, right = _type_name(ann.left), _type_name(ann.right)
        return left if right in ("None", "") else right if left in ("None", "") else left
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):  # a string annotation
        try:
            return _type_name(ast.parse(ann.value, mode="eval").body)
        except SyntaxError:
            return ""
    if isinstance(ann, ast.Constant) and ann.value is None:
        return "None"
    return _dotted(ann)


def _alias_of(call: ast.Call) -> str:
    for kw in call.keywords:
        if kw.arg in ("alias", "validation_alias") and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return ""


class _Walk:
    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver
        self.params: set[str] = set()
        self.read: list[str] = []
        self.unread: list[str] = []
        self.seen: set[int] = set()
        self.models: set[str] = set()

    def handler(self, mod: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Only the dependencies of a handler: its own query parameters are the adapter's."""
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg == "dependencies" and isinstance(kw.value, (ast.List, ast.Tuple)):
                        for item in kw.value.elts:
                            if _call_name(item) in ("Depends", "Security") and isinstance(item, ast.Call):
                                self.depends(mod, item, None, 1)
        for arg, default in _arguments(fn):
            base, meta = _annotated(arg.annotation)
            markers = [m for m in [*meta, default] if m is not None]
            depends = next((m for m in markers if _call_name(m) in ("Depends", "Security")), None)
            query = next((m for m in markers if _call_name(m) == "Query"), None)
            if depends is None and base is not None and not meta:
                depends, base = self._alias(mod, base)
            if isinstance(depends, ast.Call):
                self.depends(mod, depends, base, 1)
            elif query is not None and _type_name(base)[:1].isupper() and _type_name(base) not in SCALARS:
                self.models.add(arg.arg.lower())
                self.model_fields(mod, _type_name(base), 1)  # a pydantic model of query parameters

    def _alias(self, mod: _Module, ann: ast.AST) -> tuple[ast.AST | None, ast.AST | None]:
        """`p: PageDep` where `PageDep = Annotated[T, Depends(fn)]`: (the Depends call, T)."""
        name = _dotted(ann)
        if not name:
            return None, ann
        found = self.resolver.resolve(mod, name)
        if found is None:
            return None, ann
        _mod, value = found
        base, meta = _annotated(value)
        depends = next((m for m in meta if _call_name(m) in ("Depends", "Security")), None)
        if depends is None:
            return None, ann
        return depends, base

    def depends(self, mod: _Module, call: ast.Call, ann: ast.AST | None, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dependency"), None)
        instance = False
        if target is None:  # Depends(): the annotated class
            name = _type_name(ann)
        elif isinstance(target, ast.Call):  # Depends(Paginator(max_size=100)): the instance's __call__
            name, instance = _dotted(target.func), True
        else:
            name = _dotted(target)
        if not name:
            return
        found = self.resolver.resolve(mod, name)
        if found is None:
            self.unread.append(name)
            return
        where, node = found
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        self.read.append(f"{where.path}:{getattr(node, 'lineno', 1)} {name}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and instance:
            self.factory(mod, target, depth)  # Depends(make_dependable(Model)): what it builds is not read
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.signature(where, node, depth, skip_self=False)
        elif isinstance(node, ast.ClassDef):
            self.klass(where, node, depth, instance)

    def factory(self, mod: _Module, call: ast.AST | None, depth: int) -> None:
        """A dependency built by a factory call: a class passed to it is taken as the dependency
        (`make_dependable(PaginationQuery)`, `as_query(Filters)`); otherwise it is judged by name."""
        classes: list[tuple[_Module, ast.ClassDef]] = []
        for arg in getattr(call, "args", []):
            name = _dotted(arg)
            found = self.resolver.resolve(mod, name) if name else None
            if found is not None and isinstance(found[1], ast.ClassDef):
                classes.append((found[0], found[1]))
        if not classes:
            self.unread.append(_dotted(getattr(call, "func", None)) or "?")
            return
        for where, node in classes:
            if id(node) not in self.seen:
                self.seen.add(id(node))
                self.read.append(f"{where.path}:{node.lineno} {node.name}")
                chain = self.bases(where, node)
                if any(_data_class(cls) for _where, cls in chain):  # a repository or service class binds nothing
                    for at, cls in reversed(chain):
                        self.fields(at, cls, depth)

    def klass(self, mod: _Module, node: ast.ClassDef, depth: int, instance: bool) -> None:
        """FastAPI calls the class (its `__init__`, inherited ones included) or, for an instance,
        its `__call__`; a dataclass or pydantic model without `__init__` takes its fields."""
        chain = self.bases(mod, node)
        wanted = "__call__" if instance else "__init__"
        for where, cls in chain:
            method = next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == wanted), None)
            if method is not None:
                self.signature(where, method, depth, skip_self=True)
                return
        if not instance and any(_data_class(cls) for _where, cls in chain):
            for where, cls in reversed(chain):  # inherited fields first, as pydantic orders them
                self.fields(where, cls, depth)

    def bases(self, mod: _Module, node: ast.ClassDef) -> list[tuple[_Module, ast.ClassDef]]:
        """The class and its project-defined bases (method resolution order, a few levels)."""
        out = [(mod, node)]
        for where, cls in out:
            if len(out) > 8:
                break
            for base in cls.bases:
                found = self.resolver.resolve(where, _dotted(base))
                if found is not None and isinstance(found[1], ast.ClassDef) and all(found[1] is not c for _m, c in out):
                    out.append((found[0], found[1]))
        return out

    def signature(self, mod: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int, skip_self: bool) -> None:
        for index, (arg, default) in enumerate(_arguments(fn)):
            if skip_self and index == 0 and arg.arg in ("self", "cls"):
                continue
            self.parameter(mod, arg.arg, arg.annotation, default, depth)

    def parameter(self, mod: _Module, name: str, annotation: ast.AST | None, default: ast.AST | None, depth: int) -> None:
        base, meta = _annotated(annotation)
        markers = [m for m in [*meta, default] if m is not None]
        kinds = [_call_name(m) for m in markers]
        depends = next((m for m in markers if _call_name(m) in ("Depends", "Security")), None)
        if depends is None and base is not None and not meta:
            depends, base = self._alias(mod, base)
        if isinstance(depends, ast.Call):
            self.depends(mod, depends, base, depth + 1)
            return
        if any(k in NOT_QUERY for k in kinds):
            return
        type_name = _type_name(base)
        short = type_name.rsplit(".", 1)[-1]
        if short in PLUMBING_TYPES or name.startswith("_"):
            return
        query = next((m for m in markers if _call_name(m) == "Query"), None)
        if short[:1].isupper() and short not in SCALARS:
            if query is not None:
                self.model_fields(mod, type_name, depth + 1)
            return  # a model: the request body, not the query string
        alias = _alias_of(query) if isinstance(query, ast.Call) else ""
        self.params.add((alias or name).lower())

    def fields(self, mod: _Module, node: ast.ClassDef, depth: int) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if _dotted(stmt.annotation).rsplit(".", 1)[-1] == "ClassVar" or stmt.target.id == "model_config":
                    continue
                value = stmt.value
                alias = _alias_of(value) if isinstance(value, ast.Call) and _call_name(value) in ("Field", "Query") else ""
                if alias:
                    self.params.add(alias.lower())
                else:
                    self.parameter(mod, stmt.target.id, stmt.annotation, value, depth)

    def model_fields(self, mod: _Module, name: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        found = self.resolver.resolve(mod, name)
        if found is None:
            self.unread.append(name)
            return
        where, node = found
        if isinstance(node, ast.ClassDef) and id(node) not in self.seen:
            self.seen.add(id(node))
            self.read.append(f"{where.path}:{node.lineno} {name}")
            for at, cls in reversed(self.bases(where, node)):
                self.fields(at, cls, depth)


DATA_BASES = ("BaseModel", "Model", "Schema", "SQLModel", "BaseSettings", "TypedDict", "NamedTuple", "Struct")


def _data_class(node: ast.ClassDef) -> bool:
    """A dataclass, or a class whose constructor takes its fields (pydantic, SQLModel, attrs...)."""
    for dec in node.decorator_list:
        name = _dotted(dec.func if isinstance(dec, ast.Call) else dec).rsplit(".", 1)[-1]
        if name in ("dataclass", "define", "frozen", "attrs", "s", "pydantic_dataclass"):
            return True
    return any(_dotted(b).rsplit(".", 1)[-1].endswith(DATA_BASES) for b in node.bases)


def _arguments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.arg, ast.AST | None]]:
    """(parameter, default) for positional and keyword parameters, in order."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.AST | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = list(zip(positional, defaults))
    out.extend(zip(args.kwonlyargs, args.kw_defaults))
    return out
