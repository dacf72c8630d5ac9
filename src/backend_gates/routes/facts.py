"""Typed handler facts: what the route rules and the framework adapters know of one handler.

The per-file collector (checks/python/route_facts.py) stores JSON-safe dicts, because facts are
cached between runs; discovery turns each handler's dict into a `HandlerFacts` once, when it
builds the route view, and every rule and adapter reads these attributes instead of re-deriving
them from the dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@dataclass(frozen=True, slots=True)
class Param:
    """A handler parameter: `user: User = Depends(get_current_user)` -> name, ann, dep."""

    name: str
    ann: str = ""  # the annotation as written (dotted), "union" for `A | B`
    dep: str = ""  # `Depends(get_current_user)` / `Security(...)`
    default: str = ""  # the callable of a default such as `Query(...)`, `Body(...)`
    has_default: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Param:
        return cls(str(data.get("name") or ""), str(data.get("ann") or ""), str(data.get("dep") or ""), str(data.get("default") or ""), bool(data.get("has_default")))


@dataclass(frozen=True, slots=True)
class Decorator:
    """A decorator: its dotted name, whether it is called, positional arguments and the keyword
    arguments discovery reads (`status_code`, `dependencies`, `methods`, `response_model`, ...)."""

    name: str
    call: bool = False
    args: tuple[Any, ...] = ()
    kw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decorator:
        return cls(str(data.get("name") or "?"), bool(data.get("call")), tuple(data.get("args") or ()), dict(data.get("kw") or {}))


@dataclass(frozen=True, slots=True)
class Return:
    """One `return`: the status it sets (None: default, -1: computed), an error payload, what
    builds the answer (`JsonResponse`, `redirect`, `tuple`, `dict`), and whether it hands the
    request to another handler."""

    status: int | None = None
    error: bool = False
    kind: str = ""
    delegates: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Return:
        status = data.get("status")
        return cls(int(status) if isinstance(status, int) else None, bool(data.get("error")), str(data.get("kind") or ""), bool(data.get("delegates")))


@dataclass(frozen=True, slots=True)
class Load:
    """A call that fetches by an argument: `get_object_or_404(Order, pk=order_id)`."""

    call: str
    args: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Body:
    """What the handler's body does (see `BodyFacts` in checks/python/route_facts.py)."""

    calls: tuple[str, ...] = ()  # dotted call names, calls in a chain written `f()`
    stmts: int = 0
    branches: int = 0
    loops: int = 0
    reads: tuple[str, ...] = ()  # request attributes read (`json`, `POST`, `user`, ...)
    auth: tuple[str, ...] = ()  # identity checks and denials
    returns: tuple[Return, ...] = ()
    sql: tuple[str, ...] = ()  # "read" / "write" / "insert" statements seen
    loads: tuple[Load, ...] = ()
    methods: tuple[str, ...] = ()  # HTTP methods the body compares `request.method` with
    delegates: tuple[str, ...] = ()  # project handlers given the request (`create_check`, `OtherView.get`)
    ownership: bool = False  # an owner/tenant attribute compared
    password: bool = False  # takes a password
    sensitive: tuple[str, ...] = ()  # secret or personal fields read or built
    subscripts: tuple[str, ...] = ()
    caller_data: tuple[str, ...] = ()  # the caller's own records read
    object_calls: tuple[tuple[str, str], ...] = ()  # (project class, method) called on a local instance
    layer_locals: tuple[str, ...] = ()  # locals a repository/service factory returned
    served_lookups: tuple[str, ...] = ()  # models looked up and answered from
    module_state: tuple[str, ...] = ()  # containers outside the function changed
    spoof: tuple[str, ...] = ()  # client-supplied headers a denial depends on
    credential_headers: tuple[str, ...] = ()
    query: tuple[str, ...] = ()  # query-string fields used raw
    concerns: tuple[str, ...] = ()  # responsibilities: crypto, persistence, authorization, ...
    auth_at: int = -1  # top-level statement index of the first identity check / denial
    work_at: int = -1  # ... of the first state-changing call
    identity: tuple[str, ...] = ()  # names that refer to the caller or an owner
    identity_kw: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Body:
        return cls(
            calls=_strs(data.get("calls")),
            stmts=int(data.get("stmts") or 0),
            branches=int(data.get("branches") or 0),
            loops=int(data.get("loops") or 0),
            reads=_strs(data.get("reads")),
            auth=_strs(data.get("auth")),
            returns=tuple(Return.from_dict(r) for r in data.get("returns") or () if isinstance(r, Mapping)),
            sql=_strs(data.get("sql")),
            loads=tuple(Load(str(item[0]), _strs(item[1]), _strs(item[2])) for item in data.get("loads") or () if len(item) == 3),
            methods=_strs(data.get("methods")),
            delegates=_strs(data.get("delegates")),
            ownership=bool(data.get("ownership")),
            password=bool(data.get("password")),
            sensitive=_strs(data.get("sensitive")),
            subscripts=_strs(data.get("subscripts")),
            caller_data=_strs(data.get("caller_data")),
            object_calls=tuple((str(c[0]), str(c[1])) for c in data.get("object_calls") or () if len(c) == 2),
            layer_locals=_strs(data.get("layer_locals")),
            served_lookups=_strs(data.get("served_lookups")),
            module_state=_strs(data.get("module_state")),
            spoof=_strs(data.get("spoof")),
            credential_headers=_strs(data.get("credential_headers")),
            query=_strs(data.get("query")),
            concerns=_strs(data.get("concerns")),
            auth_at=int(data.get("auth_at", -1)),
            work_at=int(data.get("work_at", -1)),
            identity=_strs(data.get("identity")),
            identity_kw=_strs(data.get("identity_kw")),
        )


EMPTY_BODY = Body()


@dataclass(frozen=True, slots=True)
class HandlerFacts:
    """One handler function: where it is, its parameters, decorators and body."""

    line: int
    first: int = 0  # first decorator line
    is_async: bool = False
    params: tuple[Param, ...] = ()
    decorators: tuple[Decorator, ...] = ()
    body: Body = EMPTY_BODY
    returns_ann: str = ""  # the return annotation (a response model)
    public: bool = False  # marked `# backend-gates: public`

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HandlerFacts:
        return cls(
            line=int(data.get("line") or 0),
            first=int(data.get("first") or 0),
            is_async=bool(data.get("async")),
            params=tuple(Param.from_dict(p) for p in data.get("params") or () if isinstance(p, Mapping)),
            decorators=tuple(Decorator.from_dict(d) for d in data.get("decorators") or () if isinstance(d, Mapping)),
            body=Body.from_dict(data.get("body") or {}),
            returns_ann=str(data.get("returns_ann") or ""),
            public=bool(data.get("public")),
        )
