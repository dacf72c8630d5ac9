"""RunContext request scopes across threads (test clients serve requests in other threads)."""

from __future__ import annotations

import threading

from backend_gates.runtime.context import RunContext


def _in_thread(fn):
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def test_other_threads_see_the_only_open_scope() -> None:
    ctx = RunContext()
    assert _in_thread(lambda: ctx.request) is None
    scope = ctx.push_request("get", "/a")
    assert ctx.request is scope and scope.method == "GET"
    assert _in_thread(lambda: ctx.request) is scope
    ctx.pop_request(scope)
    assert ctx.request is None and _in_thread(lambda: ctx.request) is None


def test_nested_scopes_stay_per_thread_and_other_threads_see_the_newest() -> None:
    ctx = RunContext()
    outer = ctx.push_request("GET", "/outer")
    inner = ctx.push_request("GET", "/inner")
    assert ctx.request is inner
    # a test client and the app's middleware both open a scope for one request: the app's
    # worker thread sees the newest
    assert _in_thread(lambda: ctx.request) is inner
    ctx.pop_request(inner)
    assert ctx.request is outer
    assert ctx.scope_key() == f"request:{outer.id}"
    ctx.pop_request(outer)
    assert ctx.scope_key() == "test:None:None"
