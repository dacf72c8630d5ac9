"""Capture points for HTTP requests made through test clients, installed and removed as a set.

Client side (where the test calls): `httpx.Client.send` / `httpx.AsyncClient.send` (also
Starlette/FastAPI's TestClient, ASGI and WSGI transports), `requests.Session.send` (live servers),
Werkzeug's test client (`flask.testing.FlaskClient`), Django's test `Client`/`AsyncClient`.
Server side (the application): Starlette/FastAPI, Flask and Django tell the matched route
template, and, when the app runs in another thread (TestClient's portal, a live server), they
push the client's request scope onto that thread so SQL run there is attributed to the request.

Every wrapper calls the original exactly once and returns or raises exactly what it did; the
recorder's own failures are caught and counted, never raised into a test.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import sys
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from .context import CONTEXT, RequestScope

log = logging.getLogger(__name__)

_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("backend_gates_http_depth", default=0)
ACTIVE: list[RequestScope] = []  # client-side scopes in flight (any thread), newest last
APPS: list[Any] = []  # ASGI apps that served a recorded request and generate a spec (FastAPI)
RAISES_DEPTH = [0]  # open `pytest.raises` blocks


class _SchedStat:
    """This thread's /proc/thread-self/schedstat, kept open (closed with the thread's locals)."""

    __slots__ = ("fd",)

    def __init__(self) -> None:
        try:
            self.fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:  # not Linux (or no schedstat): waits are not known
            self.fd = -1

    def __del__(self) -> None:
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except Exception:  # pragma: no cover - interpreter shutdown: nothing to report
                pass


_THREAD = threading.local()


def waited_ns() -> int:
    """Nanoseconds this thread has spent runnable but waiting for a CPU (Linux schedstat:
    contention on a loaded machine, not the code's own time), or -1 where not known."""
    stat: _SchedStat | None = getattr(_THREAD, "schedstat", None)
    if stat is None:
        stat = _THREAD.schedstat = _SchedStat()
    if stat.fd < 0:
        return -1
    try:
        return int(os.pread(stat.fd, 64, 0).split()[1])
    except (OSError, ValueError, IndexError):
        return -1


class Token:
    __slots__ = ("scope", "t0", "q0", "nested", "client", "test", "phase", "expect", "method", "path")

    def __init__(self, scope: RequestScope | None, client: str, nested: bool, method: str = "GET", path: str = "/") -> None:
        self.scope = scope
        self.client = client
        self.nested = nested
        self.method = method  # what the client was asked for: extractors fall back on it
        self.path = path
        self.q0 = waited_ns() if not nested else -1
        self.t0 = time.perf_counter()
        self.test = CONTEXT.test
        self.phase = CONTEXT.phase
        self.expect = bool(CONTEXT.expect_errors or RAISES_DEPTH[0] > 0)


# --------------------------------------------------------------------------- recorder hookup

_SINK: list[Any] = []  # the HttpObserver when started
# callbacks(client, token, args, kwargs, response) after each outermost client call of a test
# (runtime/replay.py); PAUSED non-empty: calls pass through unrecorded (the replay's own calls)
LISTENERS: list[Callable[[str, Any, tuple[Any, ...], dict[str, Any], Any], None]] = []
PAUSED: list[bool] = []


def _depth() -> int:
    return _DEPTH.get()


def begin(client: str, method: str, url: str, record: bool = True) -> Token | None:
    """Open a request scope (outermost client call only); `record=False` passes the call through."""
    try:
        nested = _depth() > 0 or not record or not _SINK or bool(PAUSED)
        path = urlsplit(url).path or "/"
        if nested:
            token = Token(None, client, True, method, path)
        else:
            scope = CONTEXT.push_request(method, path)
            ACTIVE.append(scope)
            token = Token(scope, client, False, method.upper(), path)
        _DEPTH.set(_depth() + 1)
        return token
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)
        return None


def _release(token: Token | None) -> None:
    if token is None:
        return
    try:
        _DEPTH.set(max(0, _depth() - 1))
        if token.scope is None:
            return
        CONTEXT.pop_request(token.scope)
        if token.scope in ACTIVE:
            ACTIVE.remove(token.scope)
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "testserver", "testserver.local"})
EXTRA_HOSTS: set[str] = set()  # hosts of the spec's servers (set by the observer)


def is_test_host(url: str) -> bool:
    """A request to a server the tests run (local), not to a third-party service."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return (
        not host
        or host in LOCAL_HOSTS
        or host in EXTRA_HOSTS
        or host.startswith("127.")
        or host.endswith((".localhost", ".local", ".test", ".internal"))
    )


def end(token: Token | None, response: Any, extract: Callable[[Any], dict[str, Any]]) -> None:
    _release(token)
    if token is None or token.nested or not _SINK:
        return
    try:
        duration = (time.perf_counter() - token.t0) * 1000.0
        # time spent waiting for a CPU (a loaded machine) is not the endpoint's latency: left out,
        # on the client's thread and on the app's when it served the request in another thread
        waited = 0.0
        q1 = waited_ns() if token.q0 >= 0 else -1
        if q1 >= token.q0 >= 0:
            waited = (q1 - token.q0) / 1e6
        if token.scope is not None:
            waited += token.scope.data.get("server_waited_ms", 0.0)
        waited = min(max(waited, 0.0), duration)
        info = extract(response)
        if info is None:
            return
        match = info.pop("match", None)  # a route lookup that costs a URL resolution (Django)
        if match is not None:
            known = token.scope.template if token.scope is not None else None
            if known:  # the server side told the route as it served the request
                info["template"], info["unresolved"] = known, False
            else:
                info["template"], resolved = match()
                info["unresolved"] = not resolved
        if not info.get("method"):
            info["method"] = token.method
        if not info.get("path"):
            info["path"] = token.path
        info["waited_ms"] = waited
        _SINK[0].record(token, info, duration - waited)
    except Exception as exc:
        _error(exc)


def fail(token: Token | None) -> None:
    """The client call raised (e.g. TestClient re-raising a server exception): no response."""
    _release(token)
    if token is None or token.nested or not _SINK:
        return
    try:
        _SINK[0].record_exception(token)
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)


def notify(client: str, token: Token | None, args: tuple[Any, ...], kwargs: dict[str, Any], response: Any) -> None:
    """Tell the listeners about an outermost, recorded client call that returned. Never raises."""
    if not LISTENERS or token is None or token.nested:
        return
    for listener in list(LISTENERS):
        try:
            listener(client, token, args, kwargs, response)
        except Exception as exc:  # pragma: no cover - listeners catch their own errors
            _error(exc)


def _error(exc: BaseException) -> None:
    log.debug("backend-gates http capture failed", exc_info=exc)
    if _SINK:
        _SINK[0].capture_error(exc)


# --------------------------------------------------------------------------- server side


def server_enter() -> RequestScope | None:
    """On the app's thread: make the in-flight client request the current scope if it is not."""
    try:
        if not ACTIVE:
            return None
        scope = ACTIVE[-1]
        if scope in CONTEXT.requests:
            return None
        CONTEXT.requests.append(scope)
        scope.data["server_q0"] = waited_ns()  # the app's thread: its waits for a CPU too
        return scope
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)
        return None


def server_exit(pushed: RequestScope | None) -> None:
    if pushed is not None:
        try:
            q0 = pushed.data.pop("server_q0", -1)
            q1 = waited_ns() if q0 >= 0 else -1
            if q1 >= q0 >= 0:
                pushed.data["server_waited_ms"] = pushed.data.get("server_waited_ms", 0.0) + (q1 - q0) / 1e6
            stack = CONTEXT.requests  # this thread's stack only: the client side still owns it
            if pushed in stack:
                stack.remove(pushed)
        except Exception as exc:  # pragma: no cover - defensive
            _error(exc)


def set_template(template: Any) -> None:
    try:
        if isinstance(template, str) and template and ACTIVE:
            scope = _current_scope()
            if scope is not None:
                scope.template = template
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)


def _current_scope() -> RequestScope | None:
    if not ACTIVE:
        return None
    scope = CONTEXT.request
    return scope if scope in ACTIVE else ACTIVE[-1]


def view_location(func: Any, method: str | None = None) -> tuple[str, int, str] | None:
    """(file, first line, name) of a view: decorators unwrapped, class-based views by method."""
    import inspect

    view_class = getattr(func, "view_class", None) or getattr(func, "cls", None)
    if isinstance(view_class, type):
        handler = getattr(view_class, (method or "get").lower(), None) or getattr(view_class, "dispatch", None)
        if handler is not None:
            func = handler
    func = inspect.unwrap(func) if callable(func) else func
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    return (code.co_filename, _def_line(code), getattr(func, "__qualname__", code.co_name))


_DEF_LINES: dict[Any, int] = {}


def _def_line(code: Any) -> int:
    """The `def` line of a function (its code starts at the first decorator)."""
    line = _DEF_LINES.get(code)
    if line is None:
        import linecache

        line = code.co_firstlineno
        for offset in range(30):
            text = linecache.getline(code.co_filename, code.co_firstlineno + offset).lstrip()
            if text.startswith(("def ", "async def ")):
                line = code.co_firstlineno + offset
                break
        _DEF_LINES[code] = line
    return line


def set_view(func: Any) -> None:
    """Record which view serves the request in flight (N+1 and unsafe-GET name it)."""
    try:
        scope = _current_scope()
        if scope is not None and "view" not in scope.data:
            where = view_location(func, scope.method)
            if where is not None:
                scope.data["view"] = where
    except Exception as exc:  # pragma: no cover - defensive
        _error(exc)


# --------------------------------------------------------------------------- extractors


def _headers(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        for k, v in items:
            out[str(k).lower()] = str(v)
    except Exception:
        pass
    return out


def _httpx_info(response: Any) -> dict[str, Any]:
    request = response.request
    body = response._content if hasattr(response, "_content") else None
    return {
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "headers": _headers(response.headers.multi_items()),
        "body": body,
    }


def _requests_info(response: Any) -> dict[str, Any]:
    request = response.request
    body = response._content if getattr(response, "_content_consumed", False) and isinstance(response._content, bytes) else None
    return {
        "method": request.method,
        "path": urlsplit(request.url).path,
        "status": response.status_code,
        "headers": _headers(response.headers.items()),
        "body": body,
    }


def _werkzeug_info(response: Any) -> dict[str, Any]:
    if isinstance(response, tuple):  # Werkzeug 1.x `as_tuple=True`: (environ, response)
        response = response[-1]
    # Werkzeug >= 2 links the request; 1.x does not (the token's method and path are used)
    request = getattr(response, "request", None)
    # a streamed body is read only when its length is known (never drain an endless stream)
    finite = not getattr(response, "is_streamed", False) or response.headers.get("Content-Length") is not None
    body = response.get_data() if finite else None
    return {
        "method": getattr(request, "method", None),
        "path": getattr(request, "path", None),
        "status": response.status_code,
        "headers": _headers(response.headers.items()),
        "body": body,
        "template": getattr(getattr(request, "url_rule", None), "rule", None),
    }


def _webtest_info(response: Any) -> dict[str, Any]:
    request = getattr(response, "request", None)
    return {
        "method": getattr(request, "method", None),
        "path": getattr(request, "path_info", None) or getattr(request, "path", None),
        "status": response.status_int,
        "headers": _headers(response.headers.items()),
        "body": response.body,
    }


def _aiohttp_info(response: Any) -> dict[str, Any]:
    # the body is read later by the test (reading it here would change streaming): not validated
    return {
        "method": getattr(response, "method", None),
        "path": getattr(getattr(response, "url", None), "path", None),
        "status": response.status,
        "headers": _headers(response.headers.items()),
        "body": None,
    }


def _django_route(route: Any) -> str | None:
    """Django's joined route ('api/users/<int:pk>/', or regex parts '^api/^users/(?P<pk>\\d+)/$')."""
    if not isinstance(route, str) or not route:
        return None
    return "/" + route.replace("^", "").replace("$", "").lstrip("/")


def _django_match(response: Any) -> tuple[str | None, bool]:
    """(route template, resolved). The test client's `resolver_match` is lazy: reading it for a
    URL that matches no pattern raises Resolver404 (whose text lists the whole URLconf)."""
    try:
        match = getattr(response, "resolver_match", None)
        route = getattr(match, "route", None) if match is not None else None
    except Exception:  # Resolver404 (or a broken URLconf): an unresolved URL, recorded as such
        return None, False
    return _django_route(route), True


def _django_info(response: Any) -> dict[str, Any]:
    request = getattr(response, "request", None) or {}
    body = None if getattr(response, "streaming", False) else response.content
    return {
        "method": request.get("REQUEST_METHOD", "GET"),
        "path": request.get("PATH_INFO", "/"),
        "status": response.status_code,
        "headers": _headers(response.items()),
        "body": body,
        # read only when the server side did not tell the route (`end`): the test client's
        # `resolver_match` resolves the URL again
        "match": functools.partial(_django_match, response),
    }


# --------------------------------------------------------------------------- wrappers


def _sync_client(original: Callable[..., Any], client: str, describe: Callable[..., tuple[str, str, bool]], extract: Callable[[Any], dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            method, url, record = describe(*args, **kwargs)
            token = begin(client, method, url, record)
        except Exception as exc:
            _error(exc)
            token = None
        try:
            result = original(*args, **kwargs)
        except BaseException:
            fail(token)
            raise
        end(token, result, extract)
        notify(client, token, args, kwargs, result)
        return result

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _async_client(original: Callable[..., Any], client: str, describe: Callable[..., tuple[str, str, bool]], extract: Callable[[Any], dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            method, url, record = describe(*args, **kwargs)
            token = begin(client, method, url, record)
        except Exception as exc:
            _error(exc)
            token = None
        try:
            result = await original(*args, **kwargs)
        except BaseException:
            fail(token)
            raise
        end(token, result, extract)
        notify(client, token, args, kwargs, result)
        return result

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


# transports that run the application in process; MockTransport is not one (it fakes a remote API)
IN_PROCESS_TRANSPORTS = ("ASGITransport", "WSGITransport", "_TestClientTransport")


def _describe_httpx(self: Any, request: Any, *a: Any, **k: Any) -> tuple[str, str, bool]:
    url = str(request.url)
    transport = type(getattr(self, "_transport", None)).__name__
    return request.method, url, transport in IN_PROCESS_TRANSPORTS or is_test_host(url)


def _describe_requests(self: Any, request: Any, *a: Any, **k: Any) -> tuple[str, str, bool]:
    return request.method, request.url, is_test_host(request.url)


def _describe_werkzeug(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str, bool]:
    method = kwargs.get("method", "GET")
    path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "/")
    if args and not isinstance(args[0], str):
        target = args[0]
        method = getattr(target, "method", method)
        path = getattr(target, "path", path)
    return str(method), str(path), True


def _describe_webtest(self: Any, req: Any, *args: Any, **kwargs: Any) -> tuple[str, str, bool]:
    return str(getattr(req, "method", "GET")), str(getattr(req, "url", "/")), True


def _describe_aiohttp(self: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> tuple[str, str, bool]:
    text = str(url)
    return str(method), text, is_test_host(text)


def _describe_django(self: Any, **request: Any) -> tuple[str, str, bool]:
    return str(request.get("REQUEST_METHOD", "GET")), str(request.get("PATH_INFO", "/")), True


_WEBTEST_LAST: contextvars.ContextVar[Any] = contextvars.ContextVar("backend_gates_webtest_response", default=None)


def _webtest_do_request(original: Callable[..., Any]) -> Callable[..., Any]:
    """WebTest raises AppError for an unexpected status after building the response: the
    response is still recorded (it is what the app answered)."""

    @functools.wraps(original)
    def wrapper(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            method, url, record = _describe_webtest(self, req)
            token = begin("webtest", method, url, record)
        except Exception as exc:
            _error(exc)
            token = None
        marker = _WEBTEST_LAST.set(None)
        try:
            result = original(self, req, *args, **kwargs)
        except BaseException:
            answered = _WEBTEST_LAST.get()
            if answered is not None:
                end(token, answered, _webtest_info)
            else:
                fail(token)
            raise
        finally:
            _WEBTEST_LAST.reset(marker)
        end(token, result, _webtest_info)
        return result

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _webtest_check_status(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, status: Any, res: Any, *args: Any, **kwargs: Any) -> Any:
        _WEBTEST_LAST.set(res)
        return original(self, status, res, *args, **kwargs)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _starlette_call(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(self: Any, scope: Any, receive: Any, send: Any) -> Any:
        if not isinstance(scope, dict) or scope.get("type") != "http":
            return await original(self, scope, receive, send)
        if ACTIVE and not APPS and callable(getattr(self, "openapi", None)):
            APPS.append(self)  # the app the tests call: its generated spec can be used
        pushed = server_enter()
        try:
            return await original(self, scope, receive, send)
        finally:
            try:
                route = scope.get("route")
                set_template(getattr(route, "path_format", None) or getattr(route, "path", None))
            except Exception as exc:  # pragma: no cover - defensive
                _error(exc)
            server_exit(pushed)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _flask_wsgi(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, environ: Any, start_response: Any) -> Any:
        pushed = server_enter()
        try:
            return original(self, environ, start_response)
        finally:
            server_exit(pushed)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _flask_dispatch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            from flask import request

            rule = request.url_rule
            set_template(getattr(rule, "rule", None))
            endpoint = getattr(rule, "endpoint", None)
            if endpoint is not None and endpoint in self.view_functions:
                set_view(self.view_functions[endpoint])
        except Exception as exc:  # pragma: no cover - defensive
            _error(exc)
        return original(self, *args, **kwargs)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _django_get_response(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, request: Any) -> Any:
        pushed = server_enter()
        try:
            return original(self, request)
        finally:
            try:
                match = getattr(request, "resolver_match", None)
                route = getattr(match, "route", None)
                set_template(_django_route(route))
            except Exception as exc:  # pragma: no cover - defensive
                _error(exc)
            server_exit(pushed)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _starlette_route_handle(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(self: Any, scope: Any, receive: Any, send: Any) -> Any:
        endpoint = getattr(self, "endpoint", None)
        if endpoint is not None:
            set_view(endpoint)
        return await original(self, scope, receive, send)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _django_resolve_request(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, request: Any) -> Any:
        match = original(self, request)
        func = getattr(match, "func", None)
        if func is not None:
            set_view(func)
        return match

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _raises_enter(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        RAISES_DEPTH[0] += 1
        return result

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _raises_exit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        RAISES_DEPTH[0] = max(0, RAISES_DEPTH[0] - 1)
        return original(self, *args, **kwargs)

    wrapper.__backend_gates_original__ = original  # type: ignore[attr-defined]
    return wrapper


# module -> [(attribute path, wrapper factory)]
TARGETS: dict[str, list[tuple[str, Callable[[Callable[..., Any]], Callable[..., Any]]]]] = {
    "httpx": [
        ("Client.send", lambda f: _sync_client(f, "httpx", _describe_httpx, _httpx_info)),
        ("AsyncClient.send", lambda f: _async_client(f, "httpx", _describe_httpx, _httpx_info)),
    ],
    # httpx2: Starlette's TestClient uses it when installed (same API as httpx)
    "httpx2": [
        ("Client.send", lambda f: _sync_client(f, "httpx2", _describe_httpx, _httpx_info)),
        ("AsyncClient.send", lambda f: _async_client(f, "httpx2", _describe_httpx, _httpx_info)),
    ],
    "requests": [("Session.send", lambda f: _sync_client(f, "requests", _describe_requests, _requests_info))],
    "webtest.app": [("TestApp.do_request", _webtest_do_request), ("TestApp._check_status", _webtest_check_status)],
    "aiohttp.client": [("ClientSession._request", lambda f: _async_client(f, "aiohttp", _describe_aiohttp, _aiohttp_info))],
    "werkzeug.test": [("Client.open", lambda f: _sync_client(f, "werkzeug", _describe_werkzeug, _werkzeug_info))],
    "django.test.client": [
        ("Client.request", lambda f: _sync_client(f, "django", _describe_django, _django_info)),
        ("AsyncClient.request", lambda f: _async_client(f, "django", _describe_django, _django_info)),
    ],
    "starlette.applications": [("Starlette.__call__", _starlette_call)],
    "starlette.routing": [("Route.handle", _starlette_route_handle)],
    "fastapi.routing": [("APIRoute.handle", _starlette_route_handle)],
    "flask.app": [("Flask.wsgi_app", _flask_wsgi), ("Flask.dispatch_request", _flask_dispatch)],
    "django.core.handlers.base": [
        ("BaseHandler.get_response", _django_get_response),
        ("BaseHandler.resolve_request", _django_resolve_request),
    ],
    "_pytest.raises": [
        ("RaisesExc.__enter__", _raises_enter),
        ("RaisesExc.__exit__", _raises_exit),
        ("RaisesGroup.__enter__", _raises_enter),
        ("RaisesGroup.__exit__", _raises_exit),
    ],
    "_pytest.python_api": [("RaisesContext.__enter__", _raises_enter), ("RaisesContext.__exit__", _raises_exit)],
}


class Patcher:
    """Installs the wrappers for modules already imported; `refresh()` picks up later imports."""

    def __init__(self) -> None:
        self.installed: list[tuple[Any, str, Any]] = []
        self.done: set[str] = set()
        self.errors: list[str] = []
        self._modules = -1  # len(sys.modules) at the last refresh: no import since, nothing to do

    def refresh(self) -> None:
        if len(sys.modules) == self._modules:
            return
        self._modules = len(sys.modules)
        for module_name, targets in TARGETS.items():
            if module_name in self.done:
                continue
            module = sys.modules.get(module_name)
            if module is None:
                continue
            self.done.add(module_name)
            for attr_path, factory in targets:
                cls_name, _, attr = attr_path.partition(".")
                cls = getattr(module, cls_name, None)
                original = cls.__dict__.get(attr) if cls is not None else None
                if original is None or hasattr(original, "__backend_gates_original__"):
                    continue
                try:
                    setattr(cls, attr, factory(original))
                    self.installed.append((cls, attr, original))
                except Exception as exc:
                    self.errors.append(f"{module_name}.{attr_path}: {exc}")

    def undo(self) -> None:
        for cls, attr, original in reversed(self.installed):
            try:
                setattr(cls, attr, original)
            except Exception:  # pragma: no cover - defensive
                pass
        self.installed.clear()
        self.done.clear()
        self._modules = -1
