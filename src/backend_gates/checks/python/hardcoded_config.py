"""AP-HARDCODED-CONFIG: debug switched on in code, CORS open to any origin with credentials,
and environment-specific endpoints (DSNs, hosts, service URLs) written into the code.

Secrets themselves (passwords, keys, tokens) are SEC-CRYPTO's business, not these checks'.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from . import _sensitive as S
from ._names import Imports, dotted, is_true, keyword, positional, string_value
from ._cst import children as _fast_children, descendants
from ...patterns import lazy

# a path part (file stem or directory) naming a development/test configuration
_DEV_PART = lazy(r"(?:^|[_\-.])(dev|devel|develop|development|local|test|tests|testing|debug|ci|example|examples|sample)(?:[_\-.]|$)", re.I)
_DEV_CLASS = lazy(r"(Dev|Development|Local|Test|Testing|Debug)(?![a-z])")
_SETTINGS_FILES = frozenset({"settings", "config", "conf", "configuration", "local_settings", "default_settings"})
_SETTINGS_DIRS = frozenset({"settings", "config", "conf", "configuration"})
_DOC_DIRS = frozenset({"docs", "doc", "examples", "example", "samples"})


def _parts(path: str) -> list[str]:
    pure = PurePosixPath(path)
    return [*pure.parent.parts, pure.stem]


def is_settings_module(path: str) -> bool:
    parts = _parts(path)
    return bool(parts) and (parts[-1] in _SETTINGS_FILES or any(p in _SETTINGS_DIRS for p in parts[:-1]))


# top-level assignments only a framework settings module makes (Django, Flask-SQLAlchemy)
_SETTINGS_NAMES = lazy(
    r"^(ALLOWED_HOSTS|INSTALLED_APPS|MIDDLEWARE|ROOT_URLCONF|WSGI_APPLICATION|ASGI_APPLICATION|DATABASES|AUTH_USER_MODEL"
    r"|SQLALCHEMY_DATABASE_URI)\s*[:=]",
    re.M,
)


# a Flask module that loads its own upper-case names as configuration (the flaskr idiom)
_OWN_CONFIG = lazy(r"\.(from_object|from_module)\(\s*__name__\s*\)")


def settings_content(source: str) -> bool:
    """The module reads like a settings module: it assigns framework settings at top level, or
    loads its own names as configuration (`app.config.from_object(__name__)`)."""
    return _SETTINGS_NAMES.search(source) is not None or _OWN_CONFIG.search(source) is not None


def settings_class(node: cst.ClassDef) -> bool:
    """A class that holds configuration: a pydantic `BaseSettings` (or any `*Settings`/`*Config`
    base), or a class named `...Settings`/`...Config`."""
    names = [node.name.value] + [(dotted(b.value) or "").rsplit(".", 1)[-1] for b in node.bases]
    return any(n.endswith(("Settings", "Config", "Configuration")) for n in names if n)


def is_dev_module(path: str) -> bool:
    return any(_DEV_PART.search(p) for p in _parts(path))


def in_doc_dir(path: str) -> bool:
    return any(p in _DOC_DIRS for p in _parts(path)[:-1])


class _Scopes(PythonCheck):
    """Tracks imports, class nesting and function depth for the checks below."""

    abstract = True

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.imports = Imports()
        self.classes: list[str] = []
        self.functions = 0

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.visit_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.visit_import_from(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions -= 1

    @property
    def module_level(self) -> bool:
        return not self.classes and not self.functions

    @property
    def class_level(self) -> bool:
        return bool(self.classes) and not self.functions


# ----------------------------------------------------------------------------- BG410


class DebugEnabled(S.SecurityRule, _Scopes):
    """Debug mode switched on in code: `DEBUG = True`, `app.run(debug=True)`, `FastAPI(debug=True)`.

    Why it matters: debug mode shows tracebacks, settings and sometimes an interactive console
    (Werkzeug's debugger executes code) to whoever triggers an error. Read it from the
    environment and default to off.

    Reported: `DEBUG = True` at module level of a settings module (`settings.py`, `config.py`,
    `settings/*.py` ..., or a module that loads itself with `app.config.from_object(__name__)`) and in the body of a config class (`class Config: DEBUG = True`);
    `app.config["DEBUG"] = True`, `app.config.update(DEBUG=True)` (or `from_mapping`, or a dict
    with `"DEBUG": True`); `app.debug = True`; `<app>.run(debug=True)`;
    `FastAPI(debug=True)` / `Starlette(debug=True)`.

    Also reported: `DEBUG` read from the environment with a default that is on
    (`DEBUG = env_bool("DEBUG", True)`, `env.bool("DEBUG", default=True)`, `os.getenv("DEBUG",
    "True") == "True"`): production runs in debug mode unless someone remembers to set it; and
    `debug=True` passed to an application constructor (aiohttp `web.Application`, Quart, Sanic,
    Litestar).

    `app.run(debug=True)` under `if __name__ == "__main__":` or bound to a loopback host is the
    development server started by hand: reported as info (low confidence).

    Known limits: files and config classes named for development or tests (`settings/dev.py`,
    `local_settings.py`, `class DevelopmentConfig`) are exempt, as are test files; module-level
    `DEBUG = True` outside settings modules is not reported.
    """

    code = "BG410"
    name = "debug-enabled"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("bandit:B201", "ruff:S201", "sonar:S4507", "semgrep:debug-enabled", "semgrep:django-debug-true")
    message = "{what} switches debug mode on in code; read it from the environment, default off"
    fix = "DEBUG = os.environ.get('DEBUG', '') == '1'"
    triggers = ("DEBUG", "debug")
    skip_tests = True
    example_path = "settings.py"

    good = [
        "import os\nDEBUG = os.environ.get('DEBUG') == '1'\n",
        "class DevelopmentConfig(Config):\n    DEBUG = True\n",
        "app.run(debug=False)\n",
        {"myproj/settings/dev.py": "DEBUG = True\n"},
        "import os\nDEBUG = os.getenv('DEBUG', 'False') == 'True'\n",
        "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    debug: bool = False\n",
        "class Widget:\n    debug = True\n",
        "def create_app(app):\n    app.config.update(DEBUG=False, TESTING=False)\n",
    ]
    bad = [
        Bad("DEBUG = True\n", line=1),
        Bad("class Config:\n    DEBUG = True\n", line=2),
        Bad({"app.py": "from flask import Flask\napp = Flask(__name__)\nif __name__ == '__main__':\n    app.run(debug=True)\n"}, line=4),
        Bad({"main.py": "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"}, line=2),
        Bad({"app.py": "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n    app.config.update(DEBUG=True)\n    return app\n"}, line=5, path="app.py"),
        Bad({"main.py": "from aiohttp import web\napp = web.Application(debug=True)\n"}, line=2),
        Bad({"proj/settings.py": "from .env import env_bool\nDEBUG = env_bool('DEBUG', True)\n"}, line=2, path="proj/settings.py"),
        Bad({"config.py": "import os\nclass Config:\n    DEBUG = os.getenv('DEBUG', 'True') == 'True'\n"}, line=3, path="config.py"),
        Bad({"app/core/config.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    debug: bool = True\n"}, line=4, path="app/core/config.py"),
        Bad({"blog.py": "from flask import Flask\n\nDEBUG = True\nDATABASE = '/tmp/blog.db'\n\napp = Flask(__name__)\napp.config.from_object(__name__)\n"}, line=3, path="blog.py"),
    ]

    def __init__(self, ctx, options):  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self.main_guard = 0
        self.main_ifs: set[int] = set()
        self.settings = is_settings_module(ctx.path) or settings_content(getattr(ctx, "source", "") or "")
        self.settings_classes: list[bool] = []  # per class on the stack: a settings/config class

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        self.settings_classes.append(settings_class(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        super().leave_ClassDef(node)
        self.settings_classes.pop()

    @classmethod
    def wants(cls, ctx):  # type: ignore[no-untyped-def]
        return super().wants(ctx) and not is_dev_module(ctx.path)

    def visit_Assign(self, node: cst.Assign) -> None:
        if is_true(node.value):
            for target in node.targets:
                self._target(target.target, node)
        elif _env_default_true(node.value):
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == "DEBUG":
                    self._env_debug(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if is_true(node.value):
            self._target(node.target, node)
        elif node.value is not None and _env_default_true(node.value) and isinstance(node.target, cst.Name):
            if node.target.value.upper() == "DEBUG":
                self._env_debug(node)

    def _env_debug(self, node: cst.CSTNode) -> None:
        """`DEBUG = env_bool("DEBUG", True)`: production runs in debug mode unless someone sets it."""
        if self.module_level and self.settings:
            self.report(node, what="`DEBUG` defaulting to on when the environment does not set it,")
        elif self.class_level and not _DEV_CLASS.search(self.classes[-1]):
            self.report(node, what=f"`DEBUG` in `{self.classes[-1]}` defaulting to on when the environment does not set it,")

    def _target(self, target: cst.BaseExpression, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name) and target.value == "debug" and self.class_level and self.settings_classes[-1]:
            if not _DEV_CLASS.search(self.classes[-1]):
                # pydantic BaseSettings / a config class: `debug: bool = True` is what runs unless the env says otherwise
                self.report(node, what=f"`debug = True` in settings class `{self.classes[-1]}`")
        elif isinstance(target, cst.Name) and target.value == "DEBUG":
            if self.module_level and self.settings:
                self.report(node, what="`DEBUG = True`")
            elif self.class_level and not _DEV_CLASS.search(self.classes[-1]):
                self.report(node, what=f"`DEBUG = True` in `{self.classes[-1]}`")
        elif isinstance(target, cst.Attribute) and target.attr.value == "debug":
            receiver = (dotted(target.value) or "").lower()
            if receiver.endswith("app"):
                self.report(node, what=f"`{dotted(target.value)}.debug = True`")
        elif isinstance(target, cst.Subscript) and (dotted(target.value) or "").endswith("config"):
            element = target.slice[0].slice if target.slice else None
            if isinstance(element, cst.Index) and string_value(element.value) == "DEBUG":
                self.report(node, what=f"`{dotted(target.value)}[\"DEBUG\"] = True`")

    def visit_If(self, node: cst.If) -> None:
        test = node.test
        if (
            isinstance(test, cst.Comparison)
            and isinstance(test.left, cst.Name)
            and test.left.value == "__name__"
            and any(string_value(c.comparator) == "__main__" for c in test.comparisons)
        ):
            self.main_guard += 1
            self.main_ifs.add(id(node))

    def leave_If(self, node: cst.If) -> None:
        if id(node) in self.main_ifs:
            self.main_guard -= 1

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in ("update", "from_mapping") and (dotted(func.value) or "").endswith("config"):
            if _sets_debug(node):  # `app.config.update(DEBUG=True)`, `.from_mapping({"DEBUG": True})`
                self.report(node, what=f"`{dotted(func)}(DEBUG=True)`")
            return
        debug = keyword(node, "debug")
        if debug is None or not is_true(debug.value):
            return
        qualified = self.imports.resolve(node.func) or ""
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "run":
            host = keyword(node, "host")
            local = host is not None and string_value(host.value) in ("127.0.0.1", "localhost", "::1")
            # the development server started by running the file (`python app.py`) on loopback: info
            confidence = "low" if (self.main_guard or local) else "high"
            self.report(node, confidence=confidence, what=f"`{dotted(node.func) or 'run'}(debug=True)`")
        elif qualified in ("fastapi.FastAPI", "starlette.applications.Starlette", "starlette.Starlette") or qualified.rsplit(".", 1)[-1] in _APP_CLASSES:
            self.report(node, what=f"`{qualified.rsplit('.', 1)[-1]}(debug=True)`")


def _sets_debug(node: cst.Call) -> bool:
    """`config.update(DEBUG=True)` or `config.update({"DEBUG": True})`."""
    flag = keyword(node, "DEBUG")
    if flag is not None:
        return is_true(flag.value)
    for arg in node.args:
        if arg.keyword is None and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement) and string_value(element.key) == "DEBUG":
                    return is_true(element.value)
    return False


_APP_CLASSES = frozenset({"Application", "FastAPI", "Starlette", "Quart", "Sanic", "Litestar", "Starlite", "Falcon", "App"})
_ENV_LEAVES = frozenset(
    {"getenv", "get", "env", "env_bool", "bool_env", "get_bool", "get_env_bool", "env_flag", "config", "as_bool",
     "getbool", "get_bool_env", "get_env", "environ_bool", "bool", "str", "int", "get_env_variable", "env_var"}
)
_TRUTHY = frozenset({"true", "1", "yes", "on", "y", "t"})


def _truthy_literal(node: cst.BaseExpression) -> bool:
    if is_true(node):
        return True
    if isinstance(node, cst.Integer):
        return node.value not in ("0",)
    value = string_value(node)
    return value is not None and value.strip().lower() in _TRUTHY


def _env_default_true(node: cst.BaseExpression | None) -> bool:
    """An environment lookup (anywhere in the expression) whose default is on:
    `env_bool("DEBUG", True)`, `env.bool("DEBUG", default=True)`, `os.getenv("DEBUG", "1") == "1"`,
    `config("DEBUG", default=True, cast=bool)`."""
    if node is None:
        return False
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            leaf = (dotted(current.func) or "").rsplit(".", 1)[-1]
            args = current.args
            first = string_value(args[0].value) if args and args[0].keyword is None else None
            if leaf in _ENV_LEAVES and first is not None and "DEBUG" in first.upper():
                for i, arg in enumerate(args):
                    if (arg.keyword is not None and arg.keyword.value == "default") or (arg.keyword is None and i == 1):
                        if _truthy_literal(arg.value):
                            return True
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(_fast_children(current))
    return False


# ----------------------------------------------------------------------------- BG411

_PROBE = "https://attacker.invalid"


def _any_regex(value: str | None) -> bool:
    if value is None:
        return False
    try:
        pattern = re.compile(value)
    except re.error:
        return False
    return pattern.fullmatch(_PROBE) is not None


def _elements(node: cst.BaseExpression | None) -> list[cst.BaseExpression] | None:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements]
    return None


class CorsAnyOriginWithCredentials(S.SecurityRule, _Scopes):
    """CORS allows any origin and credentials together.

    Why it matters: with credentials allowed, the browser sends the user's cookies or auth
    headers on cross-site requests; combined with "any origin" (Starlette, flask-cors and
    django-cors-headers then echo the caller's Origin back), any website the user visits can
    call the API as that user and read the answers. List the origins that may call you.

    Reported: Starlette/FastAPI `CORSMiddleware` (via `add_middleware`, `Middleware(...)` or
    directly) with `allow_origins` containing `"*"` or an `allow_origin_regex` matching every
    origin, and `allow_credentials=True`; flask-cors `CORS(...)`/`@cross_origin(...)` with
    `supports_credentials=True` and no origin list or `"*"`; Django settings with
    `CORS_ALLOW_ALL_ORIGINS` (or `CORS_ORIGIN_ALLOW_ALL`) `= True` or a match-all origin regex,
    together with `CORS_ALLOW_CREDENTIALS = True` in the same module.

    Also reported (warning, medium confidence): `allow_origins=settings.X` with credentials when
    the settings class in the same file gives `X` a default of `["*"]` (the project rule BG415
    joins the two when the settings class lives in another module): production allows any
    origin unless the environment overrides it.

    Also reported (warning, medium confidence): origins read from the environment with `"*"` as
    the fallback (`allow_origins=os.getenv("CORS_ORIGINS", "*").split(",")`, directly or through
    a module constant or settings field): every deployment that does not set the variable allows
    any origin.

    Also reported (error): response headers set by hand in the same module, with
    `Access-Control-Allow-Origin` set to `*` or to the request's own `Origin` (reflected) and
    `Access-Control-Allow-Credentials` set to `true`.

    Known limits: origin lists are followed through module-level constants and settings-class
    defaults; values read from the environment are trusted unless their fallback is `"*"`; a reflected origin set inside an `if`
    that tests the origin (`if origin in ALLOWED:`) is the allow-list idiom and is not reported.
    """

    code = "BG411"
    name = "cors-any-origin-with-credentials"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.ERROR
    confidence = "high"
    external_ids = ("sonar:S5122", "semgrep:wildcard-cors", "semgrep:cors-allow-credentials-with-wildcard")
    message = "{what} allows any origin together with credentials; list the trusted origins instead"
    fix = "allow_origins=[\"https://app.example.com\"] (from settings), or drop credentials"
    triggers = ("CORS", "cross_origin", "origin", "ORIGIN", "Origin")
    skip_tests = True

    good = [
        "from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origins=['*'])\n",
        "from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origins=settings.ORIGINS, allow_credentials=True)\n",
        "from flask_cors import CORS\nCORS(app, origins=['https://app.example.com'], supports_credentials=True)\n",
        "import os\nfrom fastapi.middleware.cors import CORSMiddleware\nORIGINS = os.getenv('CORS_ORIGINS', '').split(',')\n"
        "app.add_middleware(CORSMiddleware, allow_origins=ORIGINS, allow_credentials=True)\n",
        "CORS_ALLOW_ALL_ORIGINS = True\n",
        "def add_cors(response):\n    response.headers['Access-Control-Allow-Origin'] = '*'\n    return response\n",
        "ALLOWED = {'https://app.example.com'}\n\ndef add_cors(request, response):\n    if request.headers.get('Origin') in ALLOWED:\n"
        "        response.headers['Access-Control-Allow-Origin'] = 'https://app.example.com'\n"
        "        response.headers['Access-Control-Allow-Credentials'] = 'true'\n    return response\n",
        "ALLOWED = {'https://app.example.com'}\n\ndef add_cors(request, response):\n    origin = request.headers.get('Origin')\n"
        "    if origin in ALLOWED:\n        response.headers['Access-Control-Allow-Origin'] = origin\n"
        "        response.headers['Access-Control-Allow-Credentials'] = 'true'\n    return response\n",
    ]
    bad = [
        Bad(
            "from fastapi.middleware.cors import CORSMiddleware\n\napp.add_middleware(\n    CORSMiddleware,\n"
            "    allow_origins=['*'],\n    allow_credentials=True,\n)\n",
            line=3,
        ),
        Bad("from flask_cors import CORS\nCORS(app, supports_credentials=True)\n", line=2),
        Bad({"proj/settings.py": "CORS_ALLOW_CREDENTIALS = True\nCORS_ALLOW_ALL_ORIGINS = True\n"}, line=2),
        Bad("from starlette.middleware import Middleware\nfrom starlette.middleware.cors import CORSMiddleware\nORIGINS = ['*']\nmw = [Middleware(CORSMiddleware, allow_origins=ORIGINS, allow_credentials=True)]\n", line=4),
        Bad(
            "from fastapi.middleware.cors import CORSMiddleware\nfrom pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n"
            "    cors_origins: list[str] = ['*']\n\nsettings = Settings()\n"
            "app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True)\n",
            line=8,
        ),
        Bad(
            "import os\nfrom fastapi.middleware.cors import CORSMiddleware\n\nORIGINS = os.getenv('CORS_ORIGINS', '*').split(',')\n"
            "app.add_middleware(CORSMiddleware, allow_origins=ORIGINS, allow_credentials=True)\n",
            line=5,
        ),
        Bad("import os\nfrom flask_cors import CORS\nCORS(app, origins=os.environ.get('ORIGINS', '*'), supports_credentials=True)\n", line=3),
        Bad(
            "from flask import request\n\n@app.after_request\ndef add_cors(resp):\n"
            "    resp.headers['Access-Control-Allow-Origin'] = request.headers.get('Origin', '*')\n"
            "    resp.headers['Access-Control-Allow-Credentials'] = 'true'\n    return resp\n",
            line=5,
        ),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.constants: dict[str, cst.BaseExpression] = {}
        self.django_any: list[tuple[cst.CSTNode, str]] = []
        self.django_credentials = False
        self.settings_any: set[str] = set()  # settings fields defaulting to any origin (this file)
        self.from_settings: list[tuple[cst.Call, str]] = []  # credentialed CORS reading a setting
        # headers set by hand: `resp.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]`
        self.headers_any: list[tuple[cst.CSTNode, str]] = []
        self.headers_credentials = False
        self.origin_tests: list[bool] = []  # per enclosing `if`: its test looks at the origin

    def visit_If(self, node: cst.If) -> None:
        self.origin_tests.append(_reads_origin(node.test))

    def leave_If(self, node: cst.If) -> None:
        self.origin_tests.pop()

    @property
    def origin_checked(self) -> bool:
        """Inside `if origin in ALLOWED:` (or any test of the origin): reflecting it is the allow-list idiom."""
        return any(self.origin_tests)

    def _settings_default(self, name: str, value: cst.BaseExpression | None, node: cst.CSTNode) -> None:
        """A settings field (class attribute) whose default allows any origin: `CORS_ORIGINS = ["*"]`."""
        if value is not None and "origin" in name.lower() and (self._star(value) or self._env_star(value)):
            self.settings_any.add(name)
            self.fact("cors_any_origin_default", {"attr": name, "line": self.ctx.position(node).start.line})

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.class_level and isinstance(node.target, cst.Name):
            self._settings_default(node.target.value, node.value, node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            header = _header_key(target.target)
            if header == "access-control-allow-origin" and (self._star(node.value) or (_reads_origin(node.value) and not self.origin_checked)):
                self.headers_any.append((node, "`*`" if self._star(node.value) else "the request's own `Origin`"))
            elif header == "access-control-allow-credentials" and _truthy_header(node.value):
                self.headers_credentials = True
        if self.class_level:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._settings_default(target.target.value, node.value, node)
        if not self.module_level:
            return
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            self.constants[name] = node.value
            if name in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL") and is_true(node.value):
                self.django_any.append((node, name))
            elif name in ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST"):
                if any(_any_regex(string_value(e)) for e in _elements(node.value) or ()):
                    self.django_any.append((node, name))
            elif name == "CORS_ALLOW_CREDENTIALS" and is_true(node.value):
                self.django_credentials = True

    def _value(self, node: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if isinstance(node, cst.Name) and node.value in self.constants:
            return self.constants[node.value]
        return node

    def _star(self, node: cst.BaseExpression | None) -> bool:
        node = self._value(node)
        if string_value(node) == "*":
            return True
        return any(string_value(self._value(e)) == "*" for e in _elements(node) or ())

    def _env_star(self, node: cst.BaseExpression | None) -> bool:
        """An environment lookup whose fallback is any origin: `os.getenv("CORS_ORIGINS", "*").split(",")`,
        directly or through a module constant."""
        value = self._value(node)
        return isinstance(value, cst.Call) and _any_host(value)

    def _is_cors_middleware(self, node: cst.BaseExpression) -> bool:
        qualified = self.imports.resolve(node) or ""
        return qualified.endswith("CORSMiddleware")

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.imports.resolve(node.func) or ""
        args = positional(node)
        if self._is_cors_middleware(node.func) or (args and self._is_cors_middleware(args[0].value)):
            credentials = keyword(node, "allow_credentials")
            if credentials is None or not is_true(credentials.value):
                return
            origins = keyword(node, "allow_origins")
            regex = keyword(node, "allow_origin_regex")
            if (origins is not None and self._star(origins.value)) or (
                regex is not None and _any_regex(string_value(self._value(regex.value)))
            ):
                self.report(node, what="CORSMiddleware")
            elif origins is not None and self._env_star(origins.value):
                self.report(node, confidence="medium", what=_ENV_ANY.format(what="CORSMiddleware"))
            elif origins is not None:
                setting = _setting_attr(origins.value)
                if setting is not None:
                    self.from_settings.append((node, setting))
            return
        if qualified in ("flask_cors.CORS", "flask_cors.cross_origin", "flask_cors.extension.CORS"):
            credentials = keyword(node, "supports_credentials")
            if credentials is None or not is_true(credentials.value):
                return
            origins = keyword(node, "origins")
            resources = keyword(node, "resources")
            if origins is not None and self._env_star(origins.value):
                what = f"`{qualified.rsplit('.', 1)[-1]}(supports_credentials=True)`"
                self.report(node, confidence="medium", what=_ENV_ANY.format(what=what))
                return
            if origins is not None:
                any_origin = self._star(origins.value)
            elif resources is not None:
                any_origin = self._resources_any(resources.value)
            else:
                any_origin = True  # flask-cors defaults to origins='*'
            if any_origin:
                self.report(node, what=f"`{qualified.rsplit('.', 1)[-1]}(supports_credentials=True)`")

    def _resources_any(self, given: cst.BaseExpression) -> bool:
        node = self._value(given)
        if not isinstance(node, cst.Dict):
            return False
        for element in node.elements:
            options = self._value(element.value) if isinstance(element, cst.DictElement) else None
            if not isinstance(options, cst.Dict):
                return False
            found = None
            for item in options.elements:
                if isinstance(item, cst.DictElement) and string_value(item.key) == "origins":
                    found = item.value
            if found is None or self._star(found):
                return True
        return False

    def finish(self) -> None:
        if self.django_credentials:
            for node, name in self.django_any:
                self.report(node, what=f"`{name}` with `CORS_ALLOW_CREDENTIALS = True`")
        if self.headers_credentials:
            for node, what in self.headers_any:
                self.report(node, what=f"`Access-Control-Allow-Origin` set to {what} with `Access-Control-Allow-Credentials: true`")
        for node, setting in self.from_settings:
            if setting in self.settings_any:
                self.report(node, confidence="medium",
                            what=f"CORSMiddleware (`{setting}` defaults to `[\"*\"]` in settings)")
            else:  # the settings class may live in another module: judged by BG415
                self.fact("cors_credentials_from_setting", {"attr": setting, "line": self.ctx.position(node).start.line})


_ENV_ANY = "{what} (origins default to `*` when the environment does not set them)"


def _header_key(node: cst.BaseExpression) -> str | None:
    """`resp.headers["Access-Control-Allow-Origin"]`, `response["Access-Control-Allow-Origin"]` (Django)."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = string_value(node.slice[0].slice.value)
        return key.lower() if key else None
    return None


def _reads_origin(node: cst.BaseExpression | None) -> bool:
    """The value echoes the request's Origin: `request.headers.get("Origin")`, `request.headers["Origin"]`,
    `request.META["HTTP_ORIGIN"]`, or a name called `origin`."""
    if node is None:
        return False
    for item in descendants(node, (cst.SimpleString, cst.Name)):
        if isinstance(item, cst.SimpleString) and (string_value(item) or "").lower() in ("origin", "http_origin"):
            return True
        if isinstance(item, cst.Name) and item.value.lower() in ("origin", "request_origin"):
            return True
    return False


def _truthy_header(node: cst.BaseExpression) -> bool:
    value = string_value(node)
    return is_true(node) or (value is not None and value.strip().lower() == "true")


def _setting_attr(node: cst.BaseExpression) -> str | None:
    """`settings.CORS_ORIGINS`, `[str(o) for o in settings.BACKEND_CORS_ORIGINS]`, `list(cfg.origins)`."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return _setting_attr(node.for_in.iter)
    if isinstance(node, cst.Call) and node.args and node.args[0].keyword is None:
        return _setting_attr(node.args[0].value)
    return None


# ----------------------------------------------------------------------------- BG412

_DSN_SCHEMES = lazy(
    r"^(postgres|postgresql|pgsql|mysql|mariadb|mongodb|mongodb\+srv|redis|rediss|amqp|amqps|oracle|mssql|"
    r"clickhouse|cockroachdb|kafka|nats|memcached|elasticsearch|cassandra|neo4j|bolt|influxdb)(\+[\w]+)?$",
    re.I,
)
_LOOPBACK = frozenset({"localhost", "0.0.0.0", "::", "::1", "host.docker.internal", "testserver"})
_INTERNAL_SUFFIXES = (".internal", ".local", ".lan", ".corp", ".intranet", ".intra", ".svc", ".home", ".private")
_ENV_LABELS = frozenset(
    {"prod", "production", "staging", "stage", "stg", "preprod", "qa", "uat", "internal", "intranet", "sandbox", "dev"}
)
_EXAMPLE_DOMAINS = (".example.com", ".example.org", ".example.net")
_FIXED_HOSTS = frozenset({"metadata.google.internal", "metadata", "169.254.169.254", "instance-data"})
_TEMPLATE_MARKS = ("{", "}", "<", ">", "%(", "%s", "$", "*", "xxx", "...")
_UPPER = lazy(r"^[A-Z][A-Z0-9_]*$")
_HTTP_CALLS = frozenset(
    {f"requests.{m}" for m in ("get", "post", "put", "patch", "delete", "head", "options", "request")}
    | {f"httpx.{m}" for m in ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")}
    | {"urllib.request.urlopen", "urllib.request.Request", "aiohttp.request"}
)
_BIND_CALLS = frozenset({"run", "serve", "run_app", "run_simple", "bind", "listen", "Config", "start_server", "create_server"})


def _host(value: str) -> tuple[str, str] | None:
    """(scheme, netloc-without-credentials) of a URL literal with a real host, else None."""
    if "://" not in value or any(mark in value for mark in _TEMPLATE_MARKS) or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not host or not parts.scheme:
        return None
    shown = host if port is None else f"{host}:{port}"
    return parts.scheme.lower(), shown


def is_loopback(host: str) -> bool:
    host = host.split(":", 1)[0] if host.count(":") == 1 else host
    if host in _LOOPBACK or host.endswith(".localhost") or host.endswith(".test") or host.endswith(".invalid"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_example_domain(host: str) -> bool:
    bare = host.rsplit(":", 1)[0].lower()
    return bare.endswith(_EXAMPLE_DOMAINS) or bare in ("example.com", "example.org", "example.net")


def is_deployment_specific(host: str) -> bool:
    """A host that belongs to one deployment rather than to a fixed public service: an IP address
    (other than link-local metadata addresses), an internal domain (`.internal`, `.local`,
    `.corp` ...), a name with an environment label (`prod`, `staging`, `sandbox` ...), or a
    reserved example domain standing for "your own service" (`payments.example.com`)."""
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    bare = bare.strip("[]").lower()
    if bare in _FIXED_HOSTS:
        return False
    try:
        address = ipaddress.ip_address(bare)
        return not (address.is_loopback or address.is_unspecified or address.is_link_local)
    except ValueError:
        pass
    if bare.endswith(_INTERNAL_SUFFIXES) or bare.endswith(_EXAMPLE_DOMAINS) or bare in ("example.com", "example.org", "example.net"):
        return True
    labels = set(re.split(r"[.\-]", bare))
    return bool(labels & _ENV_LABELS)


_FILE_NAME = lazy(
    r"(?i)\.(db|sqlite3?|json|ya?ml|txt|log|csv|html?|py|cfg|ini|toml|xml|pem|key|crt|conf|md|rst|png|jpe?g|gif|svg|"
    r"zip|gz|tar|pdf|js|css|lock|pid|sock|env)$"
)


_HOST_PORT = lazy(r"^([A-Za-z0-9.-]+):\d{2,5}$")


def _host_part(value: str) -> str:
    """`kafka-1.prod.acme.net:9092,kafka-2...` -> `kafka-1.prod.acme.net`: the first host of a
    `host:port` list (Kafka bootstrap servers, memcached, Elasticsearch hosts)."""
    first = value.split(",", 1)[0].strip()
    m = _HOST_PORT.match(first)
    return m.group(1) if m else first


def _looks_like_host(value: str) -> bool:
    if any(c.isspace() for c in value) or "/" in value or not value or _FILE_NAME.search(value):
        return False  # `"dev.db"`, `"settings.json"`: file names, not hosts
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value)) and not value.replace(".", "").isdigit()


_SQLITE_NAME = lazy(r"(?i)\.(db|sqlite3?|sqlite)$|^:memory:$")
_CLIENT_HOST_CALLS = frozenset({"MongoClient", "AsyncIOMotorClient", "Redis", "StrictRedis", "ConnectionParameters", "Elasticsearch", "Memcached", "Client", "KafkaProducer", "KafkaConsumer",
                                "SMTP", "SMTP_SSL", "LMTP", "FTP", "FTP_TLS", "HTTPConnection", "HTTPSConnection", "IMAP4", "IMAP4_SSL", "POP3", "POP3_SSL"})
_MAIL_FTP_CALLS = frozenset({"SMTP", "SMTP_SSL", "LMTP", "FTP", "FTP_TLS", "HTTPConnection", "HTTPSConnection", "IMAP4", "IMAP4_SSL", "POP3", "POP3_SSL"})
_RESOURCE_KEYWORDS = {"Bucket": "S3 bucket", "bucket_name": "bucket", "QueueUrl": "queue URL", "QueueName": "queue", "TopicArn": "topic ARN", "queue_url": "queue URL", "topic_arn": "topic ARN"}
_RESOURCE_NAME = lazy(r"(^|_)(BUCKET|QUEUE|TOPIC|STREAM|EXCHANGE)(_NAME|_URL|_ARN)?$")
_API_BASE_NAME = lazy(r"(^|_)(API|BASE|SERVICE|BACKEND|ENDPOINT|SERVER|GATEWAY|WEBHOOK)(_[A-Z0-9]+)*_(URL|URI|ENDPOINT|HOST)$|^(API|BASE)_(URL|URI)$")


_LINK_NAME = lazy(
    r"DOCS?\b|DOCS?_|DOCUMENTATION|HELP|HOMEPAGE|HOME_PAGE|SUPPORT|TERMS|PRIVACY|LICEN[SC]E|REPO|ISSUES?_|TRACKER|ICON|LOGO"
    r"|IMAGE|AVATAR|LINK|WEBSITE|CHANGELOG|FAQ|TUTORIAL|BLOG|FORUM|DOWNLOAD_PAGE|STATUS_PAGE"
)


def _resource_kind(names: list[str]) -> str:
    for n in names:
        for word in ("BUCKET", "QUEUE", "TOPIC", "STREAM", "EXCHANGE"):
            if word in n:
                return word.lower()
    return "resource"


class HardcodedEndpoint(S.SecurityRule, _Scopes):
    """Environment-specific endpoints written into code: DSNs, service URLs and hosts.

    Why it matters: a database DSN, an internal host or a service URL differs between
    development, staging and production; in code it forces a release to move the service, tends
    to point tests at production, and usually drags credentials along. Read it from settings or
    the environment.

    Reported (outside test files and docs/examples directories):
    - a connection URL literal (postgres, mysql, mongodb, redis, amqp, ... schemes) with a host
      that is not loopback, anywhere, including settings modules;
    - an http(s) URL literal with a deployment-specific host passed as the URL of an outbound
      call (`requests.*`, `httpx.*`, `urlopen`, `base_url=` of a client), outside settings modules;
    - a `host=` keyword with a deployment-specific literal host (not the bind address of
      `run`/`serve`/`bind`);
    - an UPPER_CASE constant holding a URL or host with a deployment-specific host;
    - a `"HOST"` entry of a settings dict (Django `DATABASES`) with a real host (not a SQLite file
      name such as `"dev.db"`), and the host given first to `MongoClient`, `Redis`, pika
      `ConnectionParameters`, `Elasticsearch`;
    - outside settings modules: module constants naming a bucket, queue, topic, stream or
      exchange (`UPLOAD_BUCKET = "acme-prod-uploads"`) and `Bucket=`/`QueueUrl=`/`TopicArn=`
      literals; an API base URL constant (`PARTNER_API_URL = "https://api.partner.com"`) is
      reported as info (it belongs in settings, but may be a fixed public endpoint).

    Deployment-specific hosts: IP addresses; internal domains (`.internal`, `.local`, `.lan`,
    `.corp`, `.svc` ...); names with an environment label (`prod`, `staging`, `qa`, `uat`,
    `sandbox`, `dev`, `internal`); and the reserved example domains (`*.example.com`), which
    stand for "your own service". Fixed public endpoints (`https://api.github.com`,
    `https://www.googleapis.com/...`, cloud metadata addresses) are not reported: they are the
    same in every deployment.

    Exempt: loopback hosts (`localhost`, `127.0.0.1`, `host.docker.internal`, `.test`), SQLite
    paths, templates with placeholders, defaults passed to an environment lookup
    (`os.environ.get("DATABASE_URL", "...")`, `os.getenv`, `env("X", default=...)`,
    `config("X", default=...)`), fields of pydantic `BaseSettings` classes (the environment
    overrides them), docstrings. Credentials inside a DSN are never shown (SEC-CRYPTO judges
    them). `host:port` values and lists (`bootstrap_servers="kafka-1.prod:9092,..."`, a module
    constant `"cache.internal:11211"`) are judged by their first host; `bootstrap_servers=`,
    `hosts=` and `server=` count as `host=`; the first argument of `smtplib.SMTP`, `ftplib.FTP`,
    `http.client.HTTPSConnection` and the IMAP/POP clients is judged as a host (reported when
    deployment-specific). Known limits: port numbers on their own are not reported; your own service on a public
    domain (`https://api.mycompany.com`) looks like a fixed public endpoint and is not reported.
    """

    code = "BG412"
    name = "hardcoded-endpoint"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.WARNING
    confidence = "medium"
    external_ids = ("sonar:S1313", "sonar:S1075")
    message = "hardcoded {what} `{shown}`; read it from settings or the environment"
    fix = "DATABASE_URL = os.environ['DATABASE_URL'] (or a settings object populated from the environment)"
    triggers = ("://", "host", "HOST", "BUCKET", "QUEUE", "TOPIC", "STREAM", "EXCHANGE", "Bucket", "QueueUrl", "TopicArn", "bucket_name", "Client", "Redis", "ConnectionParameters", "bootstrap_servers", "Kafka", "SMTP", "FTP", "IMAP4", "POP3", "HTTPConnection", "HTTPSConnection")
    skip_tests = True

    good = [
        "import os\nDATABASE_URL = os.environ.get('DATABASE_URL', 'postgresql://app@localhost/app')\n",
        "engine = create_engine('sqlite:///app.db')\n",
        "import requests\nrequests.get(settings.PAYMENT_URL, timeout=5)\n",
        "from pydantic_settings import BaseSettings\nclass Settings(BaseSettings):\n    redis_url: str = 'redis://cache.prod.internal:6379/0'\n",
        "def f():\n    '''Connect with postgresql://user@db.example.com/app.'''\n",
        "uvicorn.run(app, host='0.0.0.0', port=8000)\n",
        "import requests\nuser = requests.get('https://api.github.com/user', headers=h, timeout=5)\n",
        "import requests\nrequests.get('http://metadata.google.internal/computeMetadata/v1/', timeout=1)\n",
        "TEMPLATE = 'postgresql://{user}:{password}@{host}/{db}'\n",
        {"proj/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'dev.db', 'HOST': 'dev.db'}}\n"},
        "import os\nUPLOAD_BUCKET = os.environ['UPLOAD_BUCKET']\n",
        {"app/tasks.py": "REPORTS_QUEUE_NAME = 'reports'\n"},
    ]
    bad = [
        Bad("DATABASE_URL = 'postgresql://shop@db.internal.example.com:5432/shop'\n", line=1),
        Bad("import requests\n\ndef notify(data):\n    requests.post('https://hooks.example.com/notify', json=data, timeout=5)\n", line=4),
        Bad("import requests\nresp = requests.get('http://10.0.4.12:8080/v1/stock', timeout=5)\n", line=2),
        Bad("import psycopg2\nconn = psycopg2.connect(host='10.0.3.7', dbname='shop')\n", line=2),
        Bad("from kafka import KafkaProducer\nproducer = KafkaProducer(bootstrap_servers='kafka-1.prod.acme.net:9092,kafka-2.prod.acme.net:9092')\n", line=2),
        Bad("import smtplib\n\ndef relay():\n    return smtplib.SMTP('mail.corp.internal', 25, timeout=5)\n", line=4),
        Bad("BILLING_API = 'https://billing.staging.acme.com/v1'\n", line=1),
        Bad({"proj/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'HOST': 'pg1.acme-prod.net'}}\n"}, line=1, path="proj/settings.py"),
        Bad({"app/storage.py": "import boto3\n\nUPLOAD_BUCKET = 'acme-prod-uploads'\n"}, line=3, path="app/storage.py"),
        Bad({"app/events.py": "EVENTS_QUEUE = 'orders-prod-events'\n"}, line=1, path="app/events.py"),
        Bad("from pymongo import MongoClient\nclient = MongoClient('mongo1.acme.net', 27017)\n", line=2),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.exempt: set[int] = set()
        self.settings_classes = 0
        self.settings_module = is_settings_module(ctx.path)

    @classmethod
    def wants(cls, ctx):  # type: ignore[no-untyped-def]
        return super().wants(ctx) and not in_doc_dir(ctx.path)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        if any((dotted(b.value) or "").endswith("Settings") for b in node.bases):
            self.settings_classes += 1
            self.exempt.add(id(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        super().leave_ClassDef(node)
        if id(node) in self.exempt:
            self.settings_classes -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
            self._exempt(node.value)  # docstrings and bare string statements

    def _exempt(self, node: cst.BaseExpression) -> None:
        self.exempt.add(id(node))
        if isinstance(node, cst.ConcatenatedString):
            self._exempt(node.left)
            self._exempt(node.right)

    def visit_Call(self, node: cst.Call) -> None:
        args = positional(node)
        first = string_value(args[0].value) if args else None
        qualified = self.imports.resolve(node.func) or ""
        if qualified in ("os.environ.get", "os.getenv", "os.environ.setdefault") or (first and _UPPER.match(first)):
            for arg in node.args:  # an environment lookup: its default is configurable
                self._exempt(arg.value)
            return
        last = qualified.rsplit(".", 1)[-1]
        if last in _CLIENT_HOST_CALLS and first and id(args[0].value) not in self.exempt and not self.settings_classes:
            host_part = _host_part(first)
            known_client = last not in _MAIL_FTP_CALLS  # a database/cache/queue client: any real host is deployment config
            if "://" not in first and _looks_like_host(host_part) and not is_loopback(host_part) and not _SQLITE_NAME.search(first) and (known_client or is_deployment_specific(host_part)):
                self._exempt(args[0].value)
                self.report(args[0].value, what=f"{last} host", shown=host_part)
            elif "://" in first and not self.settings_module:
                self._url(args[0].value, f"{last} URL")  # `Elasticsearch("http://10.0.0.5:9200")`
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in _RESOURCE_KEYWORDS and not self.settings_module:
                value = string_value(arg.value)
                if value and id(arg.value) not in self.exempt and not any(m in value for m in _TEMPLATE_MARKS):
                    self._exempt(arg.value)
                    self.report(arg.value, what=_RESOURCE_KEYWORDS[arg.keyword.value], shown=value)
        named: dict[str, cst.Arg] = {}  # keyword -> its (first) argument: one pass instead of one per name
        for arg in node.args:
            if arg.keyword is not None:
                named.setdefault(arg.keyword.value, arg)
        if not self.settings_module:
            url_arg = named.get("url")
            if qualified in _HTTP_CALLS or (
                isinstance(node.func, cst.Attribute)
                and last in ("get", "post", "put", "patch", "delete", "head", "request")
                and any(w in (dotted(node.func.value) or "").lower() for w in ("session", "client", "http"))
            ):
                target = url_arg.value if url_arg is not None else args[0].value if args else None
                if qualified.endswith(".request") and url_arg is None and len(args) > 1:
                    target = args[1].value
                self._url(target, "URL")
            base = named.get("base_url")
            if base is not None:
                self._url(base.value, "base URL")
        host = named.get("host") or named.get("bootstrap_servers") or named.get("hosts") or named.get("server")
        if host is not None and last not in _BIND_CALLS and id(host.value) not in self.exempt:
            value = string_value(host.value)
            value = _host_part(value) if value else value
            if value and _looks_like_host(value) and not is_loopback(value) and is_deployment_specific(value):
                self.exempt.add(id(host.value))
                self.report(host.value, what="host", shown=value)

    def _url(self, node: cst.BaseExpression | None, what: str) -> None:
        value = string_value(node)
        if node is None or value is None or id(node) in self.exempt:
            return
        parsed = _host(value)
        if parsed and parsed[0] in ("http", "https") and not is_loopback(parsed[1]) and is_deployment_specific(parsed[1]):
            self._exempt(node)
            self.report(node, what=what, shown=f"{parsed[0]}://{parsed[1]}")

    def visit_DictElement(self, node: cst.DictElement) -> None:
        """Django `DATABASES = {"default": {"HOST": "db1.prod.acme.net"}}` and other `host` entries."""
        key = string_value(node.key) if isinstance(node.key, (cst.SimpleString, cst.ConcatenatedString)) else None
        if key is None or key.lower() not in ("host", "hostname", "server", "db_host"):
            return
        value = string_value(node.value)
        if not value or id(node.value) in self.exempt or self.settings_classes:
            return
        if _SQLITE_NAME.search(value) or not _looks_like_host(value) or is_loopback(value):
            return  # `"HOST": "dev.db"` is a SQLite file name, not a host
        self._exempt(node.value)
        self.report(node.value, what="database host" if key.isupper() else "host", shown=value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.functions or self.settings_classes or any(_DEV_CLASS.search(c) for c in self.classes):
            return
        names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if not any(_UPPER.match(n) for n in names):
            return
        value = string_value(node.value)
        if value is None or id(node.value) in self.exempt:
            return
        if not self.settings_module and not is_dev_module(self.ctx.path) and any(_RESOURCE_NAME.search(n) for n in names):
            kind = _resource_kind(names)
            logical = kind != "bucket" and re.fullmatch(r"[a-z]+(?:[_.:][a-z]+)*", value) and not is_deployment_specific(value)
            if logical:
                return  # `OBSERVABILITY_QUEUE = "observability"`: a routing label, the same in every deployment
            if value and not any(m in value for m in _TEMPLATE_MARKS) and " " not in value and not _UPPER.match(value):
                self._exempt(node.value)
                self.report(node.value, what=f"{_resource_kind(names)} name", shown=value)
                return
        parsed = _host(value)
        host = parsed[1] if parsed else _host_part(value) if _looks_like_host(_host_part(value)) else None
        if host is None or (parsed and _DSN_SCHEMES.match(parsed[0])):
            return  # DSNs are reported where the string is visited
        if parsed and parsed[0] in ("http", "https") and any(_LINK_NAME.search(n) for n in names):
            return  # a link shown to people (documentation, terms, logo), not an endpoint the code calls
        if _is_example_domain(host) and any(re.match(r"(DEFAULT|PLACEHOLDER|EXAMPLE|SAMPLE)_", n) for n in names):
            return  # `DEFAULT_MAIL_SERVER = "mail.example.org"`: the placeholder shown until configured
        if is_deployment_specific(host) and not is_loopback(host):
            self._exempt(node.value)
            self.report(node.value, what="URL" if parsed else "host", shown=f"{parsed[0]}://{host}" if parsed else host)
        elif (
            parsed
            and parsed[0] in ("http", "https")
            and not is_loopback(host)
            and not self.settings_module
            and any(_API_BASE_NAME.search(n) for n in names)
        ):
            # `PAYMENTS_API_URL = "https://api.partner.com/v2"` in a module: belongs in settings (info)
            self._exempt(node.value)
            self.report(node.value, what="API base URL", shown=f"{parsed[0]}://{host}", confidence="low")


    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._dsn(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._dsn(node)
        self._exempt(node)

    def _dsn(self, node: cst.SimpleString | cst.ConcatenatedString) -> None:
        if id(node) in self.exempt or self.settings_classes:
            return
        value = string_value(node)
        if not value or "://" not in value:
            return
        parsed = _host(value)
        if parsed and _DSN_SCHEMES.match(parsed[0]) and not is_loopback(parsed[1]):
            self.report(node, what="connection URL", shown=f"{parsed[0]}://{parsed[1]}")


# ----------------------------------------------------------------------------- BG414


def _any_host(node: cst.BaseExpression | None) -> bool:
    """A host list that admits every host: `["*"]`, `("*",)`, `"*"`, `".*"` or such a list as the
    default of an environment lookup (`env.list("ALLOWED_HOSTS", default=["*"])`, `os.getenv(
    "ALLOWED_HOSTS", "*").split(",")`)."""
    if node is None:
        return False
    value = string_value(node)
    if value is not None:
        return "*" in [v.strip() for v in value.split(",")]
    elements = _elements(node)
    if elements is not None:
        return any(string_value(e) == "*" for e in elements)
    if isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "split":
            return _any_host(node.func.value)  # `os.getenv("ALLOWED_HOSTS", "*").split(",")`
        leaf = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if leaf in _ENV_LEAVES or leaf in ("list", "tuple", "get_list", "env_list", "getlist"):
            for i, arg in enumerate(node.args):
                if (arg.keyword is not None and arg.keyword.value == "default") or (arg.keyword is None and i == 1):
                    return _any_host(arg.value)
                if arg.keyword is None and i == 0 and leaf in ("list", "tuple", "get_list") and string_value(arg.value) is None:
                    return _any_host(arg.value)  # `get_list(os.environ.get("ALLOWED_HOSTS", "*"))`
    return False


class AllowedHostsAny(S.SecurityRule, _Scopes):
    """Django `ALLOWED_HOSTS` that admits every host (`["*"]`), written in code or as the default of an environment lookup.

    Why it matters: Django builds absolute URLs (password-reset links, redirects, `build_absolute_uri`)
    from the request's `Host` header; with any host allowed, an attacker who sends a forged `Host`
    gets those links pointing at a site they control (password-reset poisoning, cache poisoning).
    List the domains the site is served on, from the environment.

    Reported: `ALLOWED_HOSTS = ["*"]` at module level of a settings module or in a config class,
    and an environment lookup whose fallback is `"*"` (`env.list("ALLOWED_HOSTS", default=["*"])`):
    production admits every host unless someone sets the variable.

    Known limits: files and classes named for development, tests or examples
    (`settings/dev.py`, `configuration_testing.py`, `class TestConfig`) are exempt; a wildcard
    subdomain (`".example.com"`) is a list of the site's own hosts and is not reported.
    """

    code = "BG414"
    name = "allowed-hosts-any"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.WARNING
    confidence = "high"
    message = "{what} accepts any Host header (host-header poisoning of reset links and redirects); list the site's domains"
    fix = "ALLOWED_HOSTS = os.environ[\"ALLOWED_HOSTS\"].split(\",\")"
    triggers = ("ALLOWED_HOSTS",)
    skip_tests = True
    example_path = "settings.py"

    good = [
        'import os\nALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")\n',
        'ALLOWED_HOSTS = [".example.com", "localhost"]\n',
        {"proj/settings/dev.py": 'ALLOWED_HOSTS = ["*"]\n'},
        'import os\nALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")\n',
    ]
    bad = [
        Bad('ALLOWED_HOSTS = ["*"]\n', line=1),
        Bad({"proj/settings/base.py": 'import environ\nenv = environ.Env()\nALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])\n'}, line=3, path="proj/settings/base.py"),
        Bad({"config.py": 'import os\nclass ProductionConfig:\n    ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "*").split(",")\n'}, line=3, path="config.py"),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.settings = is_settings_module(ctx.path) or settings_content(getattr(ctx, "source", "") or "")

    @classmethod
    def wants(cls, ctx):  # type: ignore[no-untyped-def]
        # the file's own name by the wider development vocabulary too (`smoketest_configuration.py`)
        return super().wants(ctx) and not is_dev_module(ctx.path) and not S.dev_path(PurePosixPath(ctx.path).name)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._judge(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._judge(node.target, node.value, node)

    def _judge(self, target: cst.BaseExpression, value: cst.BaseExpression | None, node: cst.CSTNode) -> None:
        if not (isinstance(target, cst.Name) and target.value.upper() == "ALLOWED_HOSTS") or not _any_host(value):
            return
        if self.module_level and self.settings:
            literal = string_value(value) is not None or _elements(value) is not None
            self.report(node, what="`ALLOWED_HOSTS = [\"*\"]`" if literal else "`ALLOWED_HOSTS` defaulting to `*` when the environment does not set it,")
        elif self.class_level and not _DEV_CLASS.search(self.classes[-1]):
            self.report(node, what=f"`ALLOWED_HOSTS` in `{self.classes[-1]}`")
