"""AP-SYNC-LONG: blocking calls inside `async def`, and slow work in request handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ...model import Severity
from ..base import Bad, PythonCheck
from . import _sensitive as S
from ._names import Imports, dotted
from ._cst import descendants
from ...patterns import lazy

_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_HTTP_MODULES = ("requests", "httpx")  # httpx's module functions and Client are synchronous
_SESSION_CTORS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"})
_DB_CONNECT = frozenset(
    {
        "sqlite3.connect", "psycopg2.connect", "psycopg.connect", "pymysql.connect", "MySQLdb.connect",
        "mysql.connector.connect", "cx_Oracle.connect", "oracledb.connect", "pyodbc.connect", "pymssql.connect",
    }
)
_PROCESS = frozenset(
    {
        "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
        "subprocess.getoutput", "subprocess.getstatusoutput", "os.system", "os.popen", "os.waitpid",
    }
)
_MAIL = frozenset(
    {
        "smtplib.SMTP", "smtplib.SMTP_SSL", "django.core.mail.send_mail", "django.core.mail.send_mass_mail",
        "django.core.mail.mail_admins", "django.core.mail.mail_managers",
    }
)
_SYNC_SESSIONS = frozenset(
    {"sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlmodel.Session", "sqlmodel.orm.session.Session"}
)
_SESSION_IO = frozenset(
    {"query", "execute", "exec", "commit", "flush", "refresh", "get", "scalar", "scalars", "merge", "rollback",
     "bulk_save_objects", "bulk_insert_mappings"}
)
# CPU-heavy password hashing (hundreds of milliseconds by design)
_HASHING = frozenset(
    {
        "bcrypt.hashpw", "bcrypt.checkpw", "bcrypt.kdf", "hashlib.pbkdf2_hmac", "hashlib.scrypt",
        "werkzeug.security.generate_password_hash", "werkzeug.security.check_password_hash",
        "django.contrib.auth.hashers.make_password", "django.contrib.auth.hashers.check_password",
        "passlib.hash.bcrypt.hash", "passlib.hash.bcrypt.verify", "passlib.hash.argon2.hash",
        "passlib.hash.argon2.verify", "passlib.hash.pbkdf2_sha256.hash", "passlib.hash.pbkdf2_sha256.verify",
        "flask_bcrypt.generate_password_hash", "flask_bcrypt.check_password_hash",
    }
)
_HASHER_CTORS = frozenset({"passlib.context.CryptContext", "argon2.PasswordHasher", "flask_bcrypt.Bcrypt", "pwdlib.PasswordHash"})
_HASHER_METHODS = frozenset({"hash", "verify", "verify_and_update", "check_password_hash", "generate_password_hash", "hash_password", "verify_password"})
# project helpers (usually in another module) that hash or check a password, by name
_PASSWORD_HELPER = lazy(r"(?i)^_*(get_?password_?hash|hash_?password|verify_?password|check_?password|make_?password|set_?password|password_?matches)$")
_PYMONGO_METHODS = frozenset(
    {"find", "find_one", "insert_one", "insert_many", "update_one", "update_many", "delete_one", "delete_many",
     "aggregate", "count_documents", "replace_one", "find_one_and_update", "find_one_and_delete",
     "find_one_and_replace", "bulk_write", "distinct", "estimated_document_count", "create_index"}
)
# synchronous clients whose every method call does network I/O: handle kind -> constructors
_SYNC_CLIENTS: dict[str, frozenset[str]] = {
    "redis": frozenset({"redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url", "redis.client.Redis", "redis.StrictRedis.from_url"}),
    "boto3": frozenset({"boto3.client", "boto3.resource", "boto3.session.Session.client", "boto3.Session.client", "boto3.Session.resource"}),
}
_MAIL_MESSAGES = frozenset(
    {"django.core.mail.EmailMessage", "django.core.mail.EmailMultiAlternatives", "django.core.mail.message.EmailMessage",
     "django.core.mail.message.EmailMultiAlternatives"}
)
_CLIENT_LABEL = {"redis": "redis-py's sync client", "boto3": "boto3 is synchronous"}
_CLIENT_LOCAL = frozenset({"pipeline", "lock", "pubsub", "register_script", "get_paginator", "get_waiter", "Bucket", "Object", "Table", "meta"})
# Django ORM calls that run a query now (their async twins start with `a`: `aget`, `acreate` ...)
_ORM_RUNS = frozenset(
    {"get", "create", "get_or_create", "update_or_create", "first", "last", "count", "exists", "update", "delete",
     "bulk_create", "bulk_update", "aggregate", "in_bulk", "earliest", "latest", "iterator", "contains", "explain"}
)
# a sync SQLAlchemy session made in the code: `SessionLocal()`, `Session(engine)`, `scoped_session(...)()`
_SESSION_FACTORY = lazy(r"^(?!.*[Aa]sync).*(Session|SessionLocal|session_factory|session_maker)$")
_MAIL_HELPER = lazy(r"(?i)^_*(send|deliver|dispatch)_?\w*(e?mail|message_to_user|newsletter)\w*$|^_*\w*e?mail_?(send|deliver)\w*$")
_HELPER_DECORATORS_OK = frozenset({"staticmethod", "classmethod", "cache", "lru_cache", "cached_property", "contextmanager", "wraps"})
_PATH_IO = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})
_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "api_view"})


# class-based views: Django `View`/generic views, DRF `APIView`/`ViewSet`, Flask `MethodView`,
# Flask-RESTful `Resource`, Tornado `RequestHandler`, Starlette `HTTPEndpoint`
_VIEW_BASE = lazy(r"(View|ViewSet|APIView|Resource|RequestHandler|HTTPEndpoint)$")
_VIEW_METHOD = lazy(
    r"^(get|post|put|patch|delete|head|on_get|on_post|on_put|on_patch|on_delete|create|update|partial_update|destroy|"
    r"list|retrieve|perform_create|perform_update|perform_destroy|form_valid|dispatch)$"
)


_FALCON_RESPONDER = lazy(r"^on_(get|post|put|patch|delete|head|options)(_\w+)?$")


def _through_manager(node: cst.BaseExpression) -> bool:
    """The receiver chain goes through a Django manager: `User.objects`, `Post.objects.filter(...)`,
    `self.model.objects.select_related(...)`."""
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            if node.attr.value == "objects":
                return True
            node = node.value
        else:
            return False


def _leaf(func: cst.BaseExpression) -> str:
    """The called name: `b` of `a.b(...)`, `f` of `f(...)`, else ''."""
    if type(func) is cst.Attribute:
        return func.attr.value
    if type(func) is cst.Name:
        return func.value
    return ""


def _quote(what: str) -> str:
    """`time.sleep()` (note) from "time.sleep() (note)"."""
    call, _, note = what.partition(" ")
    return f"`{call}`" + (f" {note}" if note else "")


@dataclass
class _Frame:
    node: cst.CSTNode | None
    name: str
    is_async: bool
    key: str | None = None  # helper key ("func" or "Class.method") for sync functions
    sessions: set[str] = field(default_factory=set)  # sync SQLAlchemy Session parameters
    session_reported: bool = False
    route: bool = False
    loops: int = 0


@dataclass
class _Helper:
    blocking: str = ""  # first direct blocking call, e.g. "time.sleep()"
    line_node: cst.CSTNode | None = None
    callees: set[str] = field(default_factory=set)
    usable: bool = True  # no decorator that changes how it runs


class _BlockingWalker(PythonCheck):
    """Shared walk state: imports, function frames, sync handles (sessions, connections)."""

    abstract = True

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.imports = Imports()
        self.frames: list[_Frame] = [_Frame(None, "<module>", False)]
        self.classes: list[str] = []
        self.view_classes: list[bool] = []  # per class on the stack: a class-based view (Django, DRF, Flask, Falcon ...)
        self.handles: dict[str, str] = {}  # variable -> "http" | "db" | "hasher"
        self.local_defs: set[str] = set()
        self.awaited: set[int] = set()
        self.comprehension_iters: list[cst.BaseExpression] = []
        self.session_aliases: set[str] = set()  # `SessionDep = Annotated[Session, Depends(get_db)]`
        source = ctx.source
        self.pymongo = ("pymongo" in source or "flask_pymongo" in source or "MongoClient" in source) and "motor" not in source
        self.django = "django" in source or ".objects." in source

    # ------------------------------------------------------------------ structure
    def visit_Import(self, node: cst.Import) -> None:
        self.imports.visit_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.visit_import_from(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)
        bases = [(dotted(b.value) or "").rsplit(".", 1)[-1] for b in node.bases]
        self.view_classes.append(any(_VIEW_BASE.search(b) for b in bases if b))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()
        self.view_classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        key = None
        if len(self.frames) == 1:  # module level or directly in a class body
            key = f"{self.classes[-1]}.{name}" if self.classes else name
            if not self.classes:
                self.local_defs.add(name)
        frame = _Frame(node, name, node.asynchronous is not None, key)
        frame.route = self._is_route(node)
        for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
            if param.annotation is not None and self.sync_session_type(param.annotation.annotation):
                frame.sessions.add(param.name.value)
        self.frames.append(frame)
        self.enter_function(frame, node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.frames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.frames.append(_Frame(node, "<lambda>", False))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.frames.pop()

    def visit_For(self, node: cst.For) -> None:
        self.frames[-1].loops += 1

    def leave_For(self, node: cst.For) -> None:
        self.frames[-1].loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self.frames[-1].loops += 1

    def leave_While(self, node: cst.While) -> None:
        self.frames[-1].loops -= 1

    # a comprehension runs its element once per item: a loop (its first iterable runs once)
    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self._leave_comprehension()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self._leave_comprehension()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self._leave_comprehension()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._leave_comprehension()

    def _enter_comprehension(self, node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp) -> None:
        self.frames[-1].loops += 1
        self.comprehension_iters.append(node.for_in.iter)

    def _leave_comprehension(self) -> None:
        self.frames[-1].loops -= 1
        self.comprehension_iters.pop()

    def in_loop(self, node: cst.CSTNode) -> bool:
        """Does `node` run once per item of a loop of the current function? Not in the first
        iterable of the innermost comprehension when that is its only loop."""
        loops = self.frames[-1].loops
        if loops == 1 and self.comprehension_iters:
            outer = self.comprehension_iters[-1]
            if node is outer or any(n is node for n in descendants(outer, cst.Call)):
                return False
        return loops > 0

    def enter_function(self, frame: _Frame, node: cst.FunctionDef) -> None:
        """Hook for subclasses."""

    def _is_route(self, node: cst.FunctionDef) -> bool:
        if self.view_classes and self.view_classes[-1] and len(self.frames) == 1 and _VIEW_METHOD.match(node.name.value):
            return True  # `class ContactView(View): def post(self, request)`, DRF `create`
        if self.classes and len(self.frames) == 1 and _FALCON_RESPONDER.match(node.name.value) and len(node.params.params) >= 3:
            return True  # Falcon resources are plain classes: `def on_post(self, req, resp)`
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            if isinstance(expr, cst.Attribute) and expr.attr.value in _ROUTE_METHODS:
                receiver = (dotted(expr.value) or "").lower()
                if any(w in receiver for w in ("app", "router", "bp", "blueprint", "api")):
                    return True
            if isinstance(expr, cst.Name) and expr.value == "api_view":
                return True
        return False

    # ------------------------------------------------------------------ handles
    def _handle_kind(self, value: cst.BaseExpression | None) -> str | None:
        if not isinstance(value, cst.Call):
            return None
        qualified = self.imports.resolve(value.func) or ""
        if qualified in _SESSION_CTORS:
            return "http"
        if qualified in _DB_CONNECT:
            return "db"
        if qualified in _HASHER_CTORS:
            return "hasher"
        for kind, ctors in _SYNC_CLIENTS.items():
            if qualified in ctors:
                return kind
        if qualified in _MAIL_MESSAGES:
            return "mail"
        leaf = (dotted(value.func) or "").rsplit(".", 1)[-1]
        factory = leaf != "Session" and _SESSION_FACTORY.match(leaf) is not None
        if qualified in _SYNC_SESSIONS or (factory and (leaf.endswith("SessionLocal") or "sqlalchemy" in self.ctx.source)):
            return "session"  # `db = SessionLocal()`, `with Session(engine) as s:`
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value == "cursor":
            if self.handles.get(dotted(func.value) or "") == "db":
                return "db"
        return None

    def _remember(self, target: cst.BaseExpression, kind: str | None) -> None:
        key = dotted(target)
        if key and kind:
            self.handles[key] = kind

    def sync_session_type(self, node: cst.BaseExpression, depth: int = 0) -> bool:
        """A sync SQLAlchemy/SQLModel `Session` annotation, also inside `Annotated[Session, Depends(...)]`,
        `Optional[Session]`, `Session | None`, or a module alias of one (`SessionDep`)."""
        if depth > 4:
            return False
        if isinstance(node, cst.Name) and node.value in self.session_aliases:
            return True
        if isinstance(node, cst.Subscript):
            base = (self.imports.resolve(node.value) or "").rsplit(".", 1)[-1]
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if base == "Annotated" and elements:
                return self.sync_session_type(elements[0], depth + 1)
            if base in ("Optional", "Union"):
                return any(self.sync_session_type(e, depth + 1) for e in elements)
            return False
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return self.sync_session_type(node.left, depth + 1) or self.sync_session_type(node.right, depth + 1)
        return self.imports.resolve(node) in _SYNC_SESSIONS

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(self.frames) == 1 and not self.classes and isinstance(node.value, cst.Subscript) and self.sync_session_type(node.value):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.session_aliases.add(target.target.value)
        kind = self._handle_kind(node.value) or self._session_param(node.value)
        for target in node.targets:
            self._remember(target.target, kind)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        kind = self._handle_kind(node.value) or self._session_param(node.value)
        if kind is None and self.imports.resolve(node.annotation.annotation) in _SYNC_SESSIONS:
            kind = "session"  # `self.db: Session = db`, a class attribute `db: Session`
        self._remember(node.target, kind)

    def _session_param(self, value: cst.BaseExpression | None) -> str | None:
        """`self.db = db` in `def __init__(self, db: Session)`: the attribute holds the sync session."""
        if isinstance(value, cst.Name) and value.value in self.frames[-1].sessions:
            return "session"
        return None

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, (cst.Name, cst.Attribute)):
            self._remember(node.asname.name, self._handle_kind(node.item))

    def visit_Await(self, node: cst.Await) -> None:
        self.awaited.add(id(node.expression))

    # ------------------------------------------------------------------ classification
    def blocking(self, node: cst.Call) -> str | None:
        """What blocks in this call ("time.sleep()"), or None."""
        func = node.func
        qualified = self.imports.resolve(func) or ""
        if qualified == "time.sleep":
            return "time.sleep()"
        if qualified in _HASHING:
            return f"{qualified.rsplit('.', 1)[-1]}() (CPU-heavy password hashing)"
        # exact type tests where the answer is often no: an isinstance miss against a libcst class
        # goes through the ABC machinery (parsed nodes are of libcst's own final classes)
        if type(func) is cst.Attribute and func.attr.value in _HASHER_METHODS:
            if self.handles.get(dotted(func.value) or "") == "hasher":
                return f"{dotted(func)}() (CPU-heavy password hashing)"
        if (
            self.pymongo
            and isinstance(func, cst.Attribute)
            and func.attr.value in _PYMONGO_METHODS
            and id(node) not in self.awaited
            and isinstance(func.value, (cst.Attribute, cst.Subscript, cst.Name))
        ):
            return f"{dotted(func) or func.attr.value}() (pymongo is synchronous)"
        head, _, last = qualified.rpartition(".")
        if head in _HTTP_MODULES and last in _HTTP_METHODS | {"stream"}:
            return f"{qualified}()"
        if qualified == "urllib.request.urlopen":
            return "urlopen()"
        if qualified in _PROCESS:
            return f"{qualified}()"
        if qualified in _DB_CONNECT:
            return f"{qualified}() (a synchronous DB driver)"
        if qualified in _MAIL:
            return f"{qualified.rsplit('.', 1)[-1]}() (synchronous mail)"
        if type(func) is cst.Name and func.value == "open" and not self.imports.is_imported("open") and "open" not in self.local_defs:
            return "open() (blocking file I/O)"
        if type(func) is not cst.Attribute:
            return None
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _PATH_IO
            and isinstance(func.value, cst.Call)
            and self.imports.resolve(func.value.func) == "pathlib.Path"
        ):
            return f"Path(...).{func.attr.value}() (blocking file I/O)"
        if isinstance(func, cst.Attribute):
            receiver = dotted(func.value) or ""
            kind = self.handles.get(receiver)
            if kind == "http" and func.attr.value in _HTTP_METHODS:
                return f"{receiver}.{func.attr.value}() (a synchronous HTTP client)"
            if kind == "db" and func.attr.value not in ("close",):
                return f"{receiver}.{func.attr.value}() (a synchronous DB driver)"
            frame = self.frames[-1]
            if (receiver in frame.sessions or kind == "session") and func.attr.value in _SESSION_IO and id(node) not in self.awaited:
                return f"{receiver}.{func.attr.value}() on a synchronous SQLAlchemy Session"
            if func.attr.value == "send" and (kind == "mail" or self._handle_kind(func.value) == "mail"):
                return "EmailMessage.send() (synchronous mail)"
            if id(node) not in self.awaited and func.attr.value not in _CLIENT_LOCAL:
                client = kind if kind in _SYNC_CLIENTS else self._client_call(func.value)
                if client is not None:
                    return f"{receiver or func.attr.value}.{func.attr.value}() ({_CLIENT_LABEL[client]})" if receiver else f"{func.attr.value}() ({_CLIENT_LABEL[client]})"
            if self.django and id(node) not in self.awaited and func.attr.value in _ORM_RUNS and _through_manager(func.value):
                return f"{func.attr.value}() (a Django ORM query, synchronous)"
        return None

    def _client_call(self, node: cst.BaseExpression) -> str | None:
        """`boto3.client("s3")` used in place: `boto3.client("s3").upload_file(...)`."""
        if isinstance(node, cst.Call):
            qualified = self.imports.resolve(node.func) or ""
            for kind, ctors in _SYNC_CLIENTS.items():
                if qualified in ctors:
                    return kind
        return None


class BlockingCallInAsync(S.SecurityRule, _BlockingWalker):
    """A blocking call inside `async def`: sleep, sync HTTP, sync DB drivers, subprocess, file I/O.

    Why it matters: an `async def` runs on the event loop; while a blocking call waits, every
    other request served by that loop waits too. One `time.sleep(1)` or a slow HTTP call freezes
    the whole worker. Use the async equivalent (`asyncio.sleep`, `httpx.AsyncClient`, an async
    driver, `asyncio.create_subprocess_exec`, `aiofiles`), or move the work off the loop
    (`await asyncio.to_thread(fn)`, `run_in_threadpool`), or make the handler a plain `def`
    (FastAPI runs those in a thread pool).

    Reported inside `async def` (not inside nested sync functions or lambdas, which may be sent
    to a thread): `time.sleep`; CPU-heavy password hashing (`bcrypt.hashpw/checkpw`, passlib
    `CryptContext` and argon2 `PasswordHasher` objects' `hash`/`verify`, werkzeug and Django
    hashers, `hashlib.pbkdf2_hmac/scrypt`, and project helpers named `verify_password`,
    `get_password_hash`, `check_password` ...); pymongo collection calls that are not awaited
    (in files that use pymongo and not motor); `requests.*` and `httpx.*` module functions, methods of
    `requests.Session()`/`httpx.Client()` created in the file; `urlopen`; `sqlite3`, `psycopg2`,
    `psycopg` (sync), `pymysql`, `MySQLdb`, `mysql.connector`, `pyodbc`, `oracledb` connections and
    their cursors; I/O methods (`query`, `execute`, `commit`, `get`, `refresh` ...) of a parameter
    annotated with a sync SQLAlchemy/SQLModel `Session` (also `Annotated[Session, Depends(...)]`,
    `Optional[Session]`, `Session | None`, or an alias of one made in the same module:
    `SessionDep = Annotated[Session, Depends(get_db)]`; or an attribute it is stored in:
    `self.db = db` in `__init__(self, db: Session)`), or made in the code (`db = SessionLocal()`,
    `with Session(engine) as s:`), that are not awaited (one finding per function); Django ORM
    calls that run a query (`Model.objects....get()/create()/count()/first()` ..., not the async
    `aget()` family); method calls on sync redis-py clients (`redis.Redis()`, `redis.from_url()`)
    and boto3 clients and resources;
    `subprocess.run/call/check_call/check_output`, `os.system`, `os.popen`; `smtplib.SMTP`,
    Django `send_mail`; the builtin `open()` and `Path(...).read_text()`-style calls; and a call to a sync function or method
    (`self.helper()`) of the same module that does any of these, directly or through other
    helpers of the module.

    Known limits: handles are tracked by variable name within the file; helpers decorated with
    anything but `staticmethod`/`classmethod`/`cache`/`contextmanager` are not followed (such as
    `sync_to_async`); blocking calls in other modules are not followed.
    """

    code = "BG420"
    name = "blocking-call-in-async"
    gate = "AP-SYNC-LONG"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ("ruff:ASYNC210", "ruff:ASYNC251", "ruff:ASYNC230", "ruff:ASYNC220", "ruff:ASYNC221")
    message = "{what} blocks the event loop inside `async def {func}`; use an async API or `await asyncio.to_thread(...)`"
    fix = "use asyncio.sleep / httpx.AsyncClient / an async driver, or `await asyncio.to_thread(fn, ...)`"
    dev_code_is_info = True
    skip_tests = True  # a blocking call in a test slows the test, not a user
    triggers = ("async def",)

    good = [
        "from passlib.context import CryptContext\nimport asyncio\nctx = CryptContext(schemes=['bcrypt'])\n\n"
        "async def login(pw, hashed):\n    return await asyncio.to_thread(ctx.verify, pw, hashed)\n",
        "import asyncio\nasync def handler():\n    await asyncio.sleep(1)\n",
        "import time\ndef handler():\n    time.sleep(1)\n",
        "import asyncio, requests\nasync def handler(url):\n    return await asyncio.to_thread(requests.get, url, timeout=5)\n",
        "import asyncio, time\nasync def handler(loop):\n    await loop.run_in_executor(None, lambda: time.sleep(1))\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\nasync def handler(db: AsyncSession):\n    await db.commit()\n",
        "import aiofiles\nasync def read(path):\n    async with aiofiles.open(path) as f:\n        return await f.read()\n",
        "from .models import Order\n\nasync def order(pk):\n    return await Order.objects.aget(pk=pk)\n",
        "from sqlalchemy.ext.asyncio import async_sessionmaker\nfrom .db import AsyncSessionLocal\n\nasync def users():\n"
        "    async with AsyncSessionLocal() as db:\n        return (await db.execute(q)).all()\n",
        "import redis.asyncio as redis\n\ncache = redis.Redis(host='cache')\n\nasync def hits():\n    return await cache.incr('hits')\n",
        "import redis\n\ncache = redis.Redis(host='cache')\n\ndef hits():\n    return cache.incr('hits')\n",
        "from typing import Annotated\nfrom fastapi import Depends\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "SessionDep = Annotated[AsyncSession, Depends(get_db)]\n\nasync def items(session: SessionDep):\n"
        "    return (await session.execute(q)).all()\n",
    ]
    bad = [
        Bad("import time\n\nasync def handler():\n    time.sleep(0.5)\n", line=4),
        Bad("import requests\n\nasync def handler(url):\n    return requests.get(url, timeout=5).json()\n", line=4),
        Bad("import subprocess\n\nasync def build():\n    subprocess.run(['make'], check=True)\n", line=4),
        Bad(
            "from sqlalchemy.orm import Session\n\nasync def create(db: Session):\n    db.add(x)\n    db.commit()\n",
            line=5,
        ),
        Bad(
            "import sqlite3\n\ndef load(path):\n    with sqlite3.connect(path) as conn:\n        return conn.execute('SELECT 1').fetchall()\n\n"
            "async def handler():\n    return load('db.sqlite3')\n",
            line=8,
        ),
        Bad("async def upload(path, data):\n    with open(path, 'wb') as f:\n        f.write(data)\n", line=2),
        Bad("from pathlib import Path\n\nasync def page():\n    return Path('page.html').read_text()\n", line=4),
        Bad("import bcrypt\n\nasync def register(pw: str):\n    return bcrypt.hashpw(pw.encode(), bcrypt.gensalt())\n", line=4),
        Bad("from passlib.context import CryptContext\n\npwd = CryptContext(schemes=['bcrypt'])\n\nasync def login(pw, user):\n    return pwd.verify(pw, user.hashed)\n", line=6),
        Bad("from app.security import verify_password\n\nasync def login(form, user):\n    if not verify_password(form.password, user.hashed_password):\n        raise Unauthorized()\n", line=4),
        Bad("from pymongo import MongoClient\n\ndb = MongoClient()['shop']\n\nasync def item(item_id):\n    return db.items.find_one({'_id': item_id})\n", line=6),
        Bad("from django.http import JsonResponse\nfrom .models import Order\n\nasync def order(request, pk):\n"
            "    o = Order.objects.select_related('user').get(pk=pk)\n    return JsonResponse({'id': o.pk})\n", line=5),
        Bad("from .db import SessionLocal\n\nasync def users():\n    db = SessionLocal()\n"
            "    return db.query(User).all()\n", line=5),
        Bad("import redis\n\ncache = redis.Redis(host='cache')\n\nasync def hits():\n    return cache.incr('hits')\n", line=6),
        Bad("from sqlalchemy.orm import Session\n\nclass Users:\n    def __init__(self, db: Session):\n        self.db = db\n\n"
            "    async def get(self, uid):\n        return self.db.get(User, uid)\n", line=8),
        Bad("import boto3\n\nasync def upload(path):\n    boto3.client('s3').upload_file(path, 'bucket', 'key')\n", line=4),
        Bad(
            "from typing import Annotated\nfrom fastapi import Depends\nfrom sqlmodel import Session, select\n\n"
            "SessionDep = Annotated[Session, Depends(get_db)]\n\nasync def items(session: SessionDep):\n"
            "    return session.exec(select(Item)).all()\n",
            line=8,
        ),
        Bad("from typing import Optional\nfrom sqlalchemy.orm import Session\n\nasync def one(db: Optional[Session] = None):\n    return db.get(User, 1)\n", line=5),
    ]

    def __init__(self, ctx: Any, options: dict[str, Any]) -> None:
        super().__init__(ctx, options)
        self.helpers: dict[str, _Helper] = {}
        self.helper_calls: list[tuple[str, cst.Call, str]] = []  # (helper key, call, async func name)

    def enter_function(self, frame: _Frame, node: cst.FunctionDef) -> None:
        if frame.key is not None and not frame.is_async:
            usable = all(self._decorator_ok(d.decorator) for d in node.decorators)
            self.helpers[frame.key] = _Helper(usable=usable)

    @staticmethod
    def _decorator_ok(expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted(expr) or ""
        return name.rsplit(".", 1)[-1] in _HELPER_DECORATORS_OK

    def _callee_key(self, node: cst.Call) -> str | None:
        func = node.func
        if type(func) is cst.Name and func.value in self.local_defs:
            return func.value
        if (
            type(func) is cst.Attribute
            and type(func.value) is cst.Name
            and func.value.value in ("self", "cls")
            and self.classes
        ):
            return f"{self.classes[-1]}.{func.attr.value}"
        if type(func) is cst.Name:
            return func.value  # may be defined later in the module; resolved in finish()
        return None

    def visit_Call(self, node: cst.Call) -> None:
        frame = self.frames[-1]
        if frame.node is None or type(frame.node) is cst.Lambda:
            return
        if not frame.is_async:
            self._in_sync_function(frame, node)
            return
        what = self.blocking(node)
        if what is None and id(node) not in self.awaited:
            leaf = _leaf(node.func)
            if _PASSWORD_HELPER.match(leaf) and self._callee_key(node) not in self.helpers and leaf not in self.local_defs:
                self.report(node, confidence="medium", what=f"`{leaf}()` (password hashing is CPU-heavy by design)", func=frame.name)
                return
        if what is not None:
            if "SQLAlchemy Session" in what:
                if frame.session_reported:
                    return
                frame.session_reported = True
            self.report(node, what=_quote(what), func=frame.name)
            return
        key = self._callee_key(node)
        if key is not None:
            self.helper_calls.append((key, node, frame.name))

    def _in_sync_function(self, frame: _Frame, node: cst.Call) -> None:
        """A call in a sync helper of the module: what it blocks on (the helper's first such call
        is all that is kept, so later calls are not classified) and which helpers it calls."""
        if frame.key is not None and frame.key in self.helpers:
            helper = self.helpers[frame.key]
            if not helper.blocking:
                what = self.blocking(node)
                if what is not None:
                    helper.blocking = what.partition(" ")[0]
            key = self._callee_key(node)
            if key is not None:
                helper.callees.add(key)

    def finish(self) -> None:
        if not self.helper_calls:
            return
        reason: dict[str, str] = {k: h.blocking for k, h in self.helpers.items() if h.blocking and h.usable}
        changed = True
        while changed:  # blocking through other helpers of the module
            changed = False
            for key, helper in self.helpers.items():
                if key in reason or not helper.usable:
                    continue
                for callee in sorted(helper.callees):
                    if callee in reason:
                        reason[key] = f"{callee.rsplit('.', 1)[-1]}() -> {reason[callee]}"
                        changed = True
                        break
        for key, node, func in self.helper_calls:
            if key in reason:
                self.report(node, what=f"`{key.rsplit('.', 1)[-1]}()` (it calls `{reason[key]}`)", func=func)


class SlowWorkInRequest(S.SecurityRule, _BlockingWalker):
    """Slow work inside a route handler: sending mail, or outbound HTTP calls inside a loop.

    Why it matters: the client waits for every mail server handshake and every sequential remote
    call, and the worker serving it is busy all along; one slow SMTP server or a long list turns
    into timeouts. Queue the work (FastAPI `BackgroundTasks`, Celery/RQ, a task queue) or batch
    the remote calls.

    Reported in functions decorated as routes (`@app.get`, `@router.post`, `@bp.route`,
    `@app.route`, DRF `@api_view`): `smtplib.SMTP(...)`, Django `send_mail`/`send_mass_mail`/
    `mail_admins`; and `requests`/`httpx` calls (module functions or sessions created in the file)
    and `urlopen` inside a `for`/`while` loop or a comprehension (`[requests.get(u) for u in
    urls]`; not its first iterable, which runs once).

    Also: Flask-Mail `mail.send(msg)`; Django `EmailMessage(...).send()` (and
    `EmailMultiAlternatives`, also through a variable); a function of the same module that sends mail (one level of
    helper); and helpers of other modules named for sending mail (`send_email`,
    `send_welcome_email`, `send_reset_mail`), unless queued (`.delay()`, `add_task`). Django
    function views (`def view(request, ...)` in a `views` module) count as handlers.

    Class-based views count too: the HTTP-verb methods (`get`, `post` ...), Falcon responders
    (`on_post(self, req, resp)`, whatever the class's bases), DRF
    actions (`create`, `perform_create` ...) and `form_valid` of classes based on a `View`,
    `ViewSet`, `APIView`, `MethodView`, `Resource`, `RequestHandler` or `HTTPEndpoint`; there
    only direct mail calls and helpers of the same module are read (imported `send_..._email`
    helpers of such projects often just queue the mail).

    Known limits: calls already reported by BG420 (blocking inside `async def`) are not repeated here;
    awaited calls (async mail clients) are not reported.
    """

    code = "BG421"
    name = "slow-work-in-request"
    gate = "AP-SYNC-LONG"
    severity = Severity.WARNING
    confidence = "high"
    external_ids = ()
    message = "{what} in request handler `{func}`; the client waits for it: queue it as a background task"
    fix = "background_tasks.add_task(send_welcome, user.email)  # or a task queue"
    dev_code_is_info = True
    skip_tests = True  # a blocking call in a test slows the test, not a user
    triggers = ("smtplib", "send_mail", "mail_admins", "requests", "httpx", "urlopen", "mail", "email")

    good = [
        "from fastapi import APIRouter, BackgroundTasks\nfrom django.core.mail import send_mail\nrouter = APIRouter()\n\n"
        "@router.post('/signup')\ndef signup(tasks: BackgroundTasks):\n    tasks.add_task(send_mail, 'hi', 'body', 'a@b.c', ['d@e.f'])\n",
        "import requests\n\ndef sync_all(urls):\n    for url in urls:\n        requests.get(url, timeout=5)\n",
        "import requests\nfrom flask import Blueprint\nbp = Blueprint('x', __name__)\n\n@bp.get('/x')\ndef x():\n    return requests.get(URL, timeout=5).json()\n",
        "from flask import Blueprint\nfrom .tasks import send_welcome_email\nbp = Blueprint('x', __name__)\n\n@bp.post('/x')\ndef x():\n    send_welcome_email.delay(7)\n    return '', 202\n",
        "from django.core.mail import send_mail\n\nclass Notifier:\n    def post(self, user):\n        send_mail('Hi', 'body', 'noreply@example.com', [user.email])\n",
        "import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.get('/names')\ndef names():\n"
        "    return [u['name'] for u in requests.get(USERS_URL, timeout=3).json()]\n",
    ]
    bad = [
        Bad(
            "import smtplib\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.post('/signup')\ndef signup():\n"
            "    with smtplib.SMTP(MAIL_HOST) as smtp:\n        smtp.send_message(msg)\n    return '', 201\n",
            line=7,
        ),
        Bad(
            "import requests\nfrom fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/sync')\ndef sync(ids: list[int]):\n"
            "    for i in ids:\n        requests.post(URL, json={'id': i}, timeout=5)\n",
            line=8,
        ),
        Bad(
            "from flask import Flask\nfrom flask_mail import Mail, Message\napp = Flask(__name__)\nmail = Mail(app)\n\n"
            "@app.post('/invite')\ndef invite():\n    mail.send(Message('Hi', recipients=['a@b.c']))\n    return '', 204\n",
            line=8,
        ),
        Bad(
            "from flask import Blueprint\nfrom .emails import send_password_reset_email\nbp = Blueprint('auth', __name__)\n\n"
            "@bp.route('/reset', methods=['POST'])\ndef reset():\n    send_password_reset_email(user)\n    return '', 204\n",
            line=7,
        ),
        Bad(
            "from django.core.mail import send_mail\nfrom django.views import View\nfrom django.http import JsonResponse\n\n"
            "class ContactView(View):\n    def post(self, request):\n        send_mail('Hi', 'body', 'noreply@example.com', ['ops@example.com'])\n"
            "        return JsonResponse({'ok': True})\n",
            line=7,
        ),
        Bad(
            {"shop/views.py": "from django.core.mail import EmailMultiAlternatives\nfrom django.http import JsonResponse\n\n"
             "def contact(request):\n    msg = EmailMultiAlternatives('Hi', 'body', to=['ops@example.com'])\n    msg.send()\n"
             "    return JsonResponse({'ok': True})\n"},
            line=6,
            path="shop/views.py",
        ),
        Bad(
            "import requests\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.post('/check')\ndef check(urls):\n"
            "    return {'codes': [requests.get(u, timeout=3).status_code for u in urls]}\n",
            line=7,
        ),
    ]

    def __init__(self, ctx, options):  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self.flask_mail = "flask_mail" in ctx.source or "flask_mailman" in ctx.source
        self._mail_helpers: set[str] | None = None
        self.imported_names: set[str] = set()
        self.views_module = bool(re.search(r"(^|/)views?(/|\.py$|_)", ctx.path))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        if not isinstance(node.names, cst.ImportStar):  # relative imports too: `from .emails import send_x`
            for alias in node.names:
                local = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(local, cst.Name):
                    self.imported_names.add(local.value)

    def _is_route(self, node: cst.FunctionDef) -> bool:
        if super()._is_route(node):
            return True
        # Django function views: `def view(request, ...)` in a views module, or one that answers
        # with a response (`return JsonResponse(...)`, `render(request, ...)`, `redirect(...)`)
        params = node.params.params
        if self.classes or not params or params[0].name.value != "request":
            return False
        return self.views_module or _answers_with_response(node)

    def mail_helpers(self) -> set[str]:
        """Functions of this module that send mail directly (one level of helper)."""
        if self._mail_helpers is None:
            found: set[str] = set()
            imports = self.imports
            flask_mail = self.flask_mail

            # the outermost function holding each mailing call (module-level calls have none)
            for top in descendants(self.ctx.module, cst.FunctionDef, prune=cst.FunctionDef):
                for node in descendants(top, cst.Call):
                    if (imports.resolve(node.func) or "") in _MAIL or (flask_mail and _flask_mail_send(node)):
                        found.add(top.name.value)
                        break
            self._mail_helpers = found
        return self._mail_helpers

    def visit_Call(self, node: cst.Call) -> None:
        frame = self.frames[-1]
        if not frame.route:
            return
        qualified = self.imports.resolve(node.func) or ""
        if qualified in _MAIL:
            if frame.is_async:
                return  # BG420 reports it
            self.report(node, what=f"`{qualified.rsplit('.', 1)[-1]}()` sends mail", func=frame.name)
            return
        if self.flask_mail and _flask_mail_send(node) and id(node) not in self.awaited:
            self.report(node, what=f"`{dotted(node.func)}()` (Flask-Mail) sends mail", func=frame.name)
            return
        what = None if frame.is_async else self.blocking(node)  # (blocking() only reads the walk's state)
        if (what or "").endswith("(synchronous mail)"):
            self.report(node, what="`EmailMessage(...).send()` sends mail", func=frame.name)
            return
        leaf = _leaf(node.func)
        if leaf and id(node) not in self.awaited and leaf not in ("delay", "apply_async", "add_task", "send_task"):
            if isinstance(node.func, cst.Name) and (
                (leaf in self.mail_helpers() and leaf != frame.name)
                # an imported function named for sending mail (methods of models may queue it); not
                # in class-based views, whose helpers are as often queueing wrappers (`send_x` ->
                # `send_mail.delay(...)`, redash) as senders
                or (_MAIL_HELPER.match(leaf) and leaf not in self.local_defs and leaf in self.imported_names
                    and not (self.view_classes and self.view_classes[-1]))
            ):
                confidence = "high" if leaf in self.mail_helpers() else "medium"
                self.report(node, confidence=confidence, what=f"`{leaf}()` sends mail", func=frame.name)
                return
        if frame.is_async or not self.in_loop(node):
            return  # (in `async def`: BG420 reports it)
        if what is None or not ("requests." in what or "httpx." in what or "urlopen" in what or "HTTP client" in what):
            return
        self.report(node, what=f"outbound HTTP call `{what.partition(' ')[0]}` inside a loop", func=frame.name)


def _answers_with_response(fn: cst.FunctionDef) -> bool:
    """The function returns an HTTP response (`*Response(...)`, `render(...)`, `redirect(...)`)."""
    for ret in descendants(fn, cst.Return, prune=cst.FunctionDef):
        value = ret.value
        if isinstance(value, cst.Call):
            leaf = (dotted(value.func) or "").rsplit(".", 1)[-1]
            if leaf.endswith("Response") or leaf in ("render", "redirect", "render_to_response", "TemplateResponse"):
                return True
    return False


def _flask_mail_send(node: cst.Call) -> bool:
    """`mail.send(msg)` / `mail.send_message(...)` on a Flask-Mail `Mail` object (by its name)."""
    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("send", "send_message"):
        return False
    receiver = (dotted(func.value) or "").rsplit(".", 1)[-1].lower()
    return receiver in ("mail", "mailer", "_mail", "flask_mail", "mail_ext")
