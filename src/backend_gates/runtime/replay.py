"""SEC-AUTHN at runtime: replay a credentialed request without its credentials (opt-in).

`[tool.backend-gates.runtime] replay-unauthenticated = true` turns it on. For every request a
test sent *with* credentials (an Authorization, Cookie, API-key or token header, credentials in
the query string, or a client-level `auth`), the first one per endpoint (method + route template)
is sent once more after the test's call phase finished (before its fixtures are torn down, so the
app and its database still exist), through the same in-process client's transport, with every
credential removed. At the end of the run the observer hands its `ReplayRecord` (the replays and
the static route table's guarded routes) to BG566, whose `judge` reports an endpoint whose route
has an authentication guard in the code and which answered the replay with 2xx: its guard did
not reject an anonymous request.

Only safe methods are replayed (GET, HEAD, OPTIONS) unless `runtime.replay-methods` allows more.
The replay never changes a test's outcome: it runs outside the test's phases, its own errors are
swallowed and counted, and capture is paused so it adds nothing to SQL or HTTP evidence.
Supported clients: httpx and httpx2, sync and async (`fastapi.testclient.TestClient`, Starlette's,
`httpx.AsyncClient(transport=ASGITransport(app))`: an async request is replayed after the test's
call phase on the event loop the test used when it is still open, else on a fresh loop), Werkzeug/Flask test clients, and Django's test client (and
DRF's APIClient: session cookies, `force_authenticate` and credential headers are dropped; the
replay runs in a transaction that is rolled back).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import patches
from .context import CONTEXT

log = logging.getLogger(__name__)

SAFE = ("GET", "HEAD", "OPTIONS")
CREDENTIAL_HEADERS = re.compile(
    r"^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-csrf-token|"
    r"x-xsrf-token|x-session-token|x-user-token|x-amz-security-token|x-goog-iap-jwt-assertion|x-forwarded-user|"
    r"x-remote-user|remote-user|x-[\w-]*(token|auth|key|session|secret)[\w-]*)$",
    re.I,
)
CREDENTIAL_PARAMS = re.compile(r"^(api[_-]?key|apikey|token|access[_-]?token|auth|key|session|sig|signature|jwt)$", re.I)
MAX_REPLAYS = 500


@dataclass(frozen=True, slots=True)
class Replay:
    """One replayed request and what the app answered without credentials."""

    method: str
    path: str  # the concrete path replayed
    template: str  # the route template when the framework told us, else the path
    test: str
    status: int  # 0: the replay raised (the app refused by raising, or the client failed)
    removed: tuple[str, ...]  # what was stripped (header / parameter names, "client auth")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "template": self.template, "test": self.test,
                "status": self.status, "removed": list(self.removed)}


@dataclass(frozen=True, slots=True)
class GuardedRoute:
    """A route of the static route table whose handler has an authentication guard."""

    method: str
    path: str  # the route template as declared
    file: str
    line: int
    guards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    """The replay observer's evidence, judged by BG566 (checks/runtime/http_checks.py)."""

    enabled: bool
    replays: tuple[Replay, ...] = ()
    guarded: tuple[GuardedRoute, ...] | None = None  # None: no static route table (static gates skipped)
    errors: tuple[str, ...] = ()


def _running_loop() -> Any:
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _rolled_back:
    """Django: run the replay inside a transaction (a savepoint inside the test's) on every open
    connection, rolled back at the end, so a replay that writes leaves no trace."""

    def __init__(self) -> None:
        self.atomics: list[Any] = []

    def __enter__(self) -> None:
        from django.db import connections, transaction

        for alias in connections:
            connection = connections[alias]
            if getattr(connection, "connection", None) is None:
                continue  # never opened by the test: the replay may not use it either
            atomic = transaction.atomic(using=alias)
            atomic.__enter__()
            self.atomics.append((alias, atomic))

    def __exit__(self, *exc: Any) -> None:
        from django.db import transaction

        for alias, atomic in reversed(self.atomics):
            try:
                transaction.set_rollback(True, using=alias)
            finally:
                atomic.__exit__(None, None, None)


def _strip_query(url: str) -> tuple[str, list[str]]:
    parts = urlsplit(url)
    if not parts.query:
        return url, []
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    removed = [k for k, _v in pairs if CREDENTIAL_PARAMS.match(k)]
    if not removed:
        return url, []
    kept = [(k, v) for k, v in pairs if not CREDENTIAL_PARAMS.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment)), removed


class ReplayObserver:
    name = "replay"
    gates = ("SEC-AUTHN",)

    def __init__(self) -> None:
        self.plugin: Any = None
        self.enabled = False
        self.methods: tuple[str, ...] = SAFE
        self.pending: list[tuple[str, str, str, str, Any]] = []  # (test, method, template, key, send) this test
        self.seen: set[tuple[str, str]] = set()  # (method, template) already replayed
        self.replays: list[Replay] = []
        self.errors: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self, plugin: Any) -> None:
        self.plugin = plugin
        settings = plugin.settings
        self.enabled = bool(settings["runtime.replay-unauthenticated"])
        if not self.enabled:
            return
        self.methods = tuple(m.upper() for m in settings["runtime.replay-methods"]) or SAFE
        patches.LISTENERS.append(self.on_response)
        plugin.pytest_config.pluginmanager.register(self, "backend_gates_replay")

    def stop(self) -> None:
        if self.on_response in patches.LISTENERS:
            patches.LISTENERS.remove(self.on_response)
        try:
            pm = self.plugin.pytest_config.pluginmanager if self.plugin is not None else None
            if pm is not None and pm.is_registered(self):
                pm.unregister(self)
        except Exception:  # pragma: no cover - defensive
            log.debug("replay observer: unregister failed", exc_info=True)

    # ------------------------------------------------------------------ recording
    def on_response(self, client: str, token: Any, args: tuple[Any, ...], kwargs: dict[str, Any], response: Any) -> None:
        """A test's client call finished (outermost calls only). Never raises."""
        try:
            if token is None or token.test is None or len(self.replays) + len(self.pending) >= MAX_REPLAYS:
                return
            template = token.scope.template if token.scope is not None and token.scope.template else None
            if client in ("httpx", "httpx2"):
                self._record_httpx(token, template, args, kwargs)
            elif client == "werkzeug":
                self._record_werkzeug(token, template, args, kwargs, response)
            elif client == "django":
                self._record_django(token, template, args, kwargs)
        except Exception as exc:
            self._error(exc)

    def _queue(self, test: str, method: str, template: str, path: str, send: Any) -> None:
        key = (method, template)
        if method not in self.methods or key in self.seen:
            return
        self.seen.add(key)
        self.pending.append((test, method, template, path, send))

    def _record_httpx(self, token: Any, template: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if len(args) < 2:
            return
        client, request = args[0], args[1]
        headers = list(request.headers.multi_items())
        removed = sorted({k.lower() for k, _v in headers if CREDENTIAL_HEADERS.match(k)})
        url, params = _strip_query(str(request.url))
        removed += params
        auth = kwargs.get("auth")
        if getattr(client, "_auth", None) is not None or (auth is not None and not _is_default(auth)):
            removed.append("client auth")
        if not removed:
            return  # sent without credentials: nothing to take away
        transport = getattr(client, "_transport", None)
        kept = [(k, v) for k, v in headers if not CREDENTIAL_HEADERS.match(k) and k.lower() not in ("content-length",)]
        method = str(request.method).upper()
        path = urlsplit(url).path or "/"
        request_cls = type(request)
        if transport is not None and hasattr(transport, "handle_async_request") and _running_loop() is not None:
            loop = _running_loop()

            async def answer() -> int:
                reply = await transport.handle_async_request(request_cls(method, url, headers=kept))
                try:
                    await reply.aread()
                finally:
                    await reply.aclose()
                return int(reply.status_code)

            def send_async() -> int:
                # on the loop the test used when it is still there (a session-scoped loop: the app's
                # engine and connections belong to it), else on a fresh loop of its own (anyio and
                # pytest-asyncio close a test's loop before its teardown); the loop policy's current
                # loop is left alone either way
                if loop is not None and not loop.is_closed() and not loop.is_running():
                    return int(loop.run_until_complete(answer()))
                import asyncio

                fresh = asyncio.new_event_loop()
                try:
                    return int(fresh.run_until_complete(answer()))
                finally:
                    fresh.close()

            self._queue(token.test, method, template or path, path, (send_async, tuple(removed)))
            return
        if transport is None or not hasattr(transport, "handle_request"):
            return

        def send() -> int:
            fresh = request_cls(method, url, headers=kept)
            reply = transport.handle_request(fresh)
            try:
                reply.read()
            finally:
                reply.close()
            return int(reply.status_code)

        self._queue(token.test, method, template or path, path, (send, tuple(removed)))

    def _record_django(self, token: Any, template: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Django's test client (and DRF's APIClient): `Client.request(**environ)`."""
        client = args[0] if args else None
        if client is None or type(client).__name__.startswith("Async"):
            return
        environ = {**(getattr(client, "defaults", None) or {}), **kwargs}
        keys = [k for k in environ if isinstance(k, str) and k.startswith("HTTP_")]
        removed = sorted({k[5:].replace("_", "-").lower() for k in keys if CREDENTIAL_HEADERS.match(k[5:].replace("_", "-"))})
        query = str(environ.get("QUERY_STRING", ""))
        pairs = parse_qsl(query, keep_blank_values=True)
        removed += [k for k, _v in pairs if CREDENTIAL_PARAMS.match(k)]
        cookies = getattr(client, "cookies", None)
        if cookies:
            removed.append("cookie")
        handler = getattr(client, "handler", None)
        if getattr(handler, "_force_user", None) is not None or getattr(handler, "_force_token", None) is not None:
            removed.append("force_authenticate")
        if not removed:
            return
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/")) or "/"
        extra = {
            k: str(v) for k, v in environ.items()
            if k in keys and not CREDENTIAL_HEADERS.match(k[5:].replace("_", "-"))
        }
        extra["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if not CREDENTIAL_PARAMS.match(k)])
        secure = environ.get("wsgi.url_scheme") == "https"

        def send() -> int:
            from django.test import Client

            with _rolled_back():  # whatever the replay writes is undone
                reply = Client().generic(method, path, secure=secure, **extra)
                try:
                    return int(reply.status_code)
                finally:
                    reply.close()

        self._queue(token.test, method, template or path, path, (send, tuple(removed)))

    def _record_werkzeug(self, token: Any, template: str | None, args: tuple[Any, ...], kwargs: dict[str, Any], response: Any) -> None:
        request = getattr(response, "request", None)
        client = args[0] if args else None
        app = getattr(client, "application", None)
        if request is None or app is None:
            return
        environ = dict(getattr(request, "environ", {}) or {})
        removed = sorted({
            k[5:].replace("_", "-").lower() for k in environ
            if k.startswith("HTTP_") and CREDENTIAL_HEADERS.match(k[5:].replace("_", "-"))
        })
        query = str(environ.get("QUERY_STRING", ""))
        pairs = parse_qsl(query, keep_blank_values=True)
        removed += [k for k, _v in pairs if CREDENTIAL_PARAMS.match(k)]
        if environ.get("REMOTE_USER"):
            removed.append("REMOTE_USER")
        if not removed:
            return
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/")) or "/"
        headers = [
            (k[5:].replace("_", "-").title(), str(v)) for k, v in environ.items()
            if k.startswith("HTTP_") and not CREDENTIAL_HEADERS.match(k[5:].replace("_", "-"))
        ]
        kept_query = urlencode([(k, v) for k, v in pairs if not CREDENTIAL_PARAMS.match(k)])

        def send() -> int:
            from werkzeug.test import Client

            anonymous = Client(app, use_cookies=False)
            reply = anonymous.open(path, method=method, headers=headers, query_string=kept_query)
            try:
                return int(reply.status_code)
            finally:
                reply.close()

        self._queue(token.test, method, template or path, path, (send, tuple(removed)))

    # ------------------------------------------------------------------ replaying
    def pytest_runtest_teardown(self, item: Any, nextitem: Any) -> None:
        """Runs first in the teardown phase: the test's call is over, its fixtures still exist."""
        self._replay_pending(item.nodeid)

    def _replay_pending(self, nodeid: str) -> None:
        pending, self.pending = [p for p in self.pending if p[0] == nodeid], [p for p in self.pending if p[0] != nodeid]
        if not pending:
            return
        saved = (CONTEXT.test, CONTEXT.phase)
        CONTEXT.test, CONTEXT.phase = None, None  # capture attributes nothing to the test
        patches.PAUSED.append(True)
        try:
            for test, method, template, path, (send, removed) in pending:
                try:
                    status = send()
                except Exception as exc:  # the app raised (TestClient re-raises): not an answer
                    log.debug("replay of %s %s raised", method, path, exc_info=True)
                    status = 0
                    self._error(exc)
                self.replays.append(Replay(method, path, template, test, status, removed))
        finally:
            patches.PAUSED.remove(True)
            CONTEXT.test, CONTEXT.phase = saved

    def _error(self, exc: BaseException) -> None:
        if len(self.errors) < 20:
            self.errors.append(f"{type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ xdist
    def worker_data(self) -> dict[str, Any]:
        return {"replays": [r.to_dict() for r in self.replays], "errors": self.errors[:20], "enabled": self.enabled}

    def merge(self, data: dict[str, Any]) -> None:
        """Fold in a worker's replays; damaged entries are skipped (never raises)."""
        replays = data.get("replays") if isinstance(data, dict) else None
        for item in replays if isinstance(replays, list) else []:
            try:
                removed = item.get("removed") or ()
                self.replays.append(Replay(str(item["method"]), str(item["path"]), str(item["template"]), str(item["test"]),
                                           int(item["status"]), tuple(str(r) for r in removed)))
            except (AttributeError, KeyError, TypeError, ValueError):
                self._error(ValueError("a worker sent a damaged replay entry"))
        errors = data.get("errors") if isinstance(data, dict) else None
        self.errors.extend(str(e) for e in (errors if isinstance(errors, list) else [])[:20])

    # ------------------------------------------------------------------ evidence
    def recorded(self, project: Any = None) -> ReplayRecord:
        """What was replayed, with the static route table's guarded routes (BG566 judges it)."""
        guarded: tuple[GuardedRoute, ...] | None = None
        if self.enabled and project is not None:
            guarded = guarded_routes(project)
        return ReplayRecord(self.enabled, tuple(self.replays), guarded, tuple(self.errors[:20]))


def guarded_routes(project: Any) -> tuple[GuardedRoute, ...]:
    """Every route of the static route table with an authentication guard."""
    from ..routes.discover import analyze

    return tuple(
        GuardedRoute(v.route.method, v.route.path, v.route.file, v.route.line, tuple(v.auth))
        for v in analyze(project) if v.auth
    )


def _is_default(value: Any) -> bool:
    return type(value).__name__ == "UseClientDefault"
