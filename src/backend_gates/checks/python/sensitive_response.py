"""SEC-CRYPTO: response models and serializers that send a password, secret, SSN or card number back."""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from ..openapi.sensitive import sensitive
from . import _sensitive as S
from ...patterns import lazy

_PYDANTIC_BASES = lazy(r"(^|\.)(BaseModel|SQLModel|Schema|BaseSchema|ModelSchema|RootModel)$")
_DRF_BASES = lazy(r"(^|\.)(ModelSerializer|HyperlinkedModelSerializer|Serializer)$")
_MARSHMALLOW_BASES = lazy(r"(^|\.)(Schema|SQLAlchemySchema|SQLAlchemyAutoSchema|ModelSchema)$")
_RESPONSE_NAME = lazy(r"(Out|Response|Read|Public|Detail|Details|View|Resp|Result|Display|Profile|Me|Info|Item|List|Page)s?$")
_INPUT_NAME = lazy(r"(?i)(In|Create|Update|Input|Request|Login|Register|Registration|Signup|SignUp|Form|Payload|Body|Patch|Reset|Change|Set|Base|InDB|DB|Internal|Credentials|Auth)$")
_TOKEN_OK = lazy(r"(?i)token|auth|login|session|credential|oauth|jwt|key")


_RESPONDERS = frozenset({"jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse", "make_response", "Response", "json_response", "dict"})
_ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"})


def _is_handler(node: cst.FunctionDef) -> bool:
    """A route handler: decorated as a route (`@app.get`, `@bp.route`, `@api_view`) or a Django
    function view (first parameter `request`)."""
    for decorator in node.decorators:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        if isinstance(expr, cst.Attribute) and expr.attr.value in _ROUTE_DECORATORS:
            return True
        if isinstance(expr, cst.Name) and expr.value == "api_view":
            return True
    params = node.params.params
    return bool(params) and params[0].name.value == "request"


def _dotted(node: cst.BaseExpression) -> str:
    return S.dotted_name(node)


def _kw_true(call: cst.BaseExpression, *names: str) -> bool:
    if not isinstance(call, cst.Call):
        return False
    return any(
        a.keyword is not None and a.keyword.value in names and isinstance(a.value, cst.Name) and a.value.value == "True"
        for a in call.args
    )


def _strings(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for e in node.elements:
            if isinstance(e.value, cst.SimpleString):
                v = e.value.evaluated_value
                out.append(v if isinstance(v, str) else v.decode("utf-8", "replace"))
        return out
    return []


class _Model:
    def __init__(self, name: str, flavour: str, bases: list[str]) -> None:
        self.name = name
        self.flavour = flavour  # pydantic | drf | marshmallow
        self.bases = bases
        self.fields: list[tuple[str, cst.CSTNode, bool]] = []  # (name, node, hidden from output)
        self.meta_fields: list[tuple[str, cst.CSTNode]] = []
        self.hidden: set[str] = set()  # write_only / load_only / exclude via Meta


class SensitiveFieldInResponseModel(S.SecurityRule, PythonCheck):
    """A response model or serializer exposes a password, secret, private key, SSN or card number.

    Why it matters: what the response model declares, the API returns. Password hashes, secrets
    and card numbers in responses end up in browser caches, logs and third-party tools. Keep them
    in input models only, or mark them write-only.
    Looks at pydantic models used as `response_model=` in the same file or named like responses
    (`UserOut`, `UserResponse`, `UserRead`, `UserPublic`), Django REST framework serializers
    (declared fields without `write_only=True`, `Meta.fields` entries not made write-only through
    `extra_kwargs`) and marshmallow schemas (fields without `load_only=True`). Fields inherited from
    models of the same file count. `SecretStr` fields and `Field(exclude=True)` are exempt.
    Also: a dict literal a route handler returns (`return {...}`, `jsonify({...})`,
    `JsonResponse({...})`, `jsonify(password=...)`) with such a key and a computed value.
    Known limits: models named like input (`UserCreate`, `LoginIn`) are judged only when a route of
    the same file uses them as `response_model`; serializers are used for input too, so this is a
    warning (medium confidence); tokens and API keys are not judged (login and key-issuing
    responses return them by design: the OpenAPI rule BG613 judges them per operation).
    """

    code = "BG224"
    name = "sensitive-field-in-response-model"
    gate = "SEC-CRYPTO"
    severity = Severity.WARNING
    confidence = "medium"
    external_ids = ("sonar:S6757",)
    message = "{model} returns `{field}`, which looks like {what}; keep it out of responses or make it write-only"
    fix = "drop the field from the response model (pydantic), or mark it `write_only=True` (DRF) / `load_only=True` (marshmallow)"
    triggers = ("BaseModel", "SQLModel", "Serializer", "Schema", "response_model", "password", "secret", "ssn", "card", "cvv")
    _MODEL_TRIGGERS = ("BaseModel", "SQLModel", "Serializer", "Schema", "response_model")
    references = ["https://cwe.mitre.org/data/definitions/200.html", "https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/"]

    good = [
        'from pydantic import BaseModel\n\nclass UserCreate(BaseModel):\n    email: str\n    password: str\n\nclass UserOut(BaseModel):\n    id: int\n    email: str\n',
        'from rest_framework import serializers\n\nclass UserSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = User\n'
        '        fields = ("id", "username", "password")\n        extra_kwargs = {"password": {"write_only": True}}\n',
        'from rest_framework import serializers\n\nclass Signup(serializers.Serializer):\n    password = serializers.CharField(write_only=True)\n',
        'from pydantic import BaseModel\n\nclass Token(BaseModel):\n    access_token: str\n    token_type: str\n',
        'from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n@app.post("/login")\ndef login():\n    token = issue()\n'
        '    return jsonify({"access_token": token, "password": "********"})\n',
        'def user_row(u):\n    return {"id": u.id, "password": u.password}\n',
    ]
    bad = [
        Bad('from pydantic import BaseModel\n\nclass UserOut(BaseModel):\n    id: int\n    hashed_password: str\n', line=5),
        Bad(
            'from fastapi import FastAPI\nfrom pydantic import BaseModel\n\napp = FastAPI()\n\nclass UserBase(BaseModel):\n    email: str\n    password: str\n\n'
            'class User(UserBase):\n    id: int\n\n@app.get("/users/{uid}", response_model=User)\ndef get(uid: int): ...\n',
            line=8,
        ),
        Bad('from rest_framework import serializers\n\nclass UserSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = User\n        fields = ("id", "username", "password")\n', line=6),
        Bad('from marshmallow import Schema, fields\n\nclass CardSchema(Schema):\n    card_number = fields.Str()\n', line=4),
        Bad('from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n@app.get("/users/<int:uid>")\ndef user(uid):\n    u = load(uid)\n'
            '    return jsonify({"id": u.id, "email": u.email, "password_hash": u.password_hash})\n', line=8),
    ]

    @classmethod
    def wants(cls, ctx: Any) -> bool:
        """Models and serializers are judged in every file; a handler's returned dict only outside
        tests (`visit_Return`), so a test file that merely mentions a password is not parsed for it."""
        text = ctx.source
        if any(word in text for word in cls._MODEL_TRIGGERS):
            return True
        return not ctx.is_test_file and super().wants(ctx)

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.models: dict[str, _Model] = {}
        self.stack: list[_Model | None] = []
        self.in_meta = 0
        self.response_models: set[str] = set()
        self.marshmallow = "marshmallow" in ctx.source
        self.handlers: list[bool] = []  # per function: a route handler

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.stack and self.stack[-1] is not None and node.name.value == "Meta":
            self.in_meta += 1
            self.stack.append(None)
            return
        bases = [_dotted(b.value) for b in node.bases if b.keyword is None]
        flavour = None
        known = [b for b in bases if b.rsplit(".", 1)[-1] in self.models]
        if any(_DRF_BASES.search(b) for b in bases) and ("serializers." in " ".join(bases) or "rest_framework" in self.ctx.source):
            flavour = "drf"
        elif self.marshmallow and any(_MARSHMALLOW_BASES.search(b) for b in bases):
            flavour = "marshmallow"
        elif any(_PYDANTIC_BASES.search(b) for b in bases):
            flavour = "pydantic"
        elif known:
            flavour = self.models[known[0].rsplit(".", 1)[-1]].flavour
        model = _Model(node.name.value, flavour, [b.rsplit(".", 1)[-1] for b in bases]) if flavour else None
        if model is not None:
            self.models[model.name] = model
        self.stack.append(model)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.pop()
        if node.name.value == "Meta" and self.in_meta:
            self.in_meta -= 1

    def _current(self) -> _Model | None:
        if self.in_meta:
            for m in reversed(self.stack):
                if m is not None:
                    return m
            return None
        return self.stack[-1] if self.stack else None

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        model = self._current()
        if model is None or self.in_meta or not isinstance(node.target, cst.Name) or model.flavour != "pydantic":
            return
        ann = self.ctx.module.code_for_node(node.annotation.annotation)
        hidden = "SecretStr" in ann or "SecretBytes" in ann or (node.value is not None and _kw_true(node.value, "exclude"))
        model.fields.append((node.target.value, node.target, hidden))

    def visit_Assign(self, node: cst.Assign) -> None:
        model = self._current()
        if model is None or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        if self.in_meta:
            if name in ("fields",):
                for field in _strings(node.value):
                    model.meta_fields.append((field, node.value))
            elif name in ("write_only_fields", "load_only", "exclude"):
                model.hidden.update(_strings(node.value))
            elif name == "extra_kwargs" and isinstance(node.value, cst.Dict):
                for e in node.value.elements:
                    if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and isinstance(e.value, cst.Dict):
                        key = str(e.key.evaluated_value)
                        for inner in e.value.elements:
                            if (
                                isinstance(inner, cst.DictElement)
                                and isinstance(inner.key, cst.SimpleString)
                                and inner.key.evaluated_value in ("write_only", "load_only")
                                and isinstance(inner.value, cst.Name)
                                and inner.value.value == "True"
                            ):
                                model.hidden.add(key)
            return
        if model.flavour in ("drf", "marshmallow") and isinstance(node.value, cst.Call):
            hidden = _kw_true(node.value, "write_only", "load_only")
            model.fields.append((name, node.targets[0].target, hidden))

    # ----------------------------------------------------------------- handlers returning dicts
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.handlers.append(_is_handler(node))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.handlers.pop()

    def visit_Return(self, node: cst.Return) -> None:
        """`return jsonify({"email": u.email, "password": u.password})` in a route handler."""
        if not self.handlers or not self.handlers[-1] or node.value is None or self.ctx.is_test_file:
            return
        value: cst.BaseExpression = node.value
        if isinstance(value, cst.Tuple) and value.elements:  # `return {...}, 200`
            value = value.elements[0].value
        entries: list[tuple[str, cst.BaseExpression, cst.CSTNode]] = []
        if isinstance(value, cst.Call) and _dotted(value.func).rsplit(".", 1)[-1] in _RESPONDERS:
            for arg in value.args:
                if arg.keyword is not None:
                    entries.append((arg.keyword.value, arg.value, arg))
                elif isinstance(arg.value, cst.Dict) and not arg.star:
                    value = arg.value
                    break
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                    key = element.key.evaluated_value
                    entries.append((key if isinstance(key, str) else key.decode("utf-8", "replace"), element.value, element))
        for key, val, where in entries:
            what = sensitive(key, True)
            if what and not isinstance(val, (cst.SimpleString, cst.Integer, cst.Float)) and not (isinstance(val, cst.Name) and val.value in ("None", "True", "False")):
                self.report(where, model="the handler's response", field=key, what=what)
                return

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == "response_model":
            for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", self.ctx.module.code_for_node(node.value)):
                self.response_models.add(n)

    # ------------------------------------------------------------------ judging
    def _fields(self, model: _Model, depth: int = 0) -> list[tuple[str, cst.CSTNode, bool]]:
        out = list(model.fields)
        if depth < 5:
            for base in model.bases:
                parent = self.models.get(base)
                if parent is not None and parent is not model:
                    out += [f for f in self._fields(parent, depth + 1) if f[0] not in {x[0] for x in out}]
        return out

    def _is_response(self, model: _Model) -> bool:
        if model.name in self.response_models:
            return True
        if model.flavour == "pydantic":
            return bool(_RESPONSE_NAME.search(model.name)) and not _INPUT_NAME.search(model.name)
        return not _INPUT_NAME.search(model.name.removesuffix("Serializer").removesuffix("Schema"))

    def finish(self) -> None:
        if self.ctx.is_test_file:
            return
        reported: set[int] = set()
        for model in self.models.values():
            if not self._is_response(model):
                continue
            token_ok = True  # tokens and API keys in responses are often the design (login, key issuing)
            hidden = set(model.hidden)
            candidates: list[tuple[str, cst.CSTNode, bool]] = self._fields(model)
            if model.flavour == "drf":
                declared = {f[0] for f in candidates}
                candidates += [(name, node, False) for name, node in model.meta_fields if name not in declared]
            for name, node, is_hidden in candidates:
                if is_hidden or name in hidden or id(node) in reported:
                    continue
                what = sensitive(name, token_ok)
                if not what:
                    continue
                reported.add(id(node))
                self.report(node, model=model.name, field=name, what=what)
