"""Where the test run is right now: which test, which phase, which HTTP request (innermost)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestScope:
    method: str
    path: str
    id: int
    template: str | None = None  # matched route template when the framework tells us
    data: dict[str, Any] = field(default_factory=dict)


class RunContext:
    """Shared by observers. `test` is the pytest nodeid, `phase` setup|call|teardown|None."""

    def __init__(self) -> None:
        self.test: str | None = None
        self.phase: str | None = None
        self.markers: frozenset[str] = frozenset()
        self.expect_errors: bool = False  # pytest.raises / xfail / backend_gates_expect_errors
        self._local = threading.local()
        self._next_id = 0
        # evidence per test nodeid, for T-KINDS: "sql" (touched a DB), "http" (used a test
        # client), "contract" (a response was validated against the spec)
        self.evidence: dict[str, set[str]] = {}
        # every open request scope, any thread, oldest first: a thread with no scope of its own
        # (the app's thread under TestClient, a threadpool running a sync endpoint, a live
        # server) sees the newest in-flight request as its current one
        self.inflight: list[RequestScope] = []

    def note(self, kind: str) -> None:
        """Record that the current test produced evidence of `kind`."""
        if self.test is not None:
            self.evidence.setdefault(self.test, set()).add(kind)

    # HTTP request scopes nest per thread (a test client may run the app in the same thread)
    @property
    def requests(self) -> list[RequestScope]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def push_request(self, method: str, path: str) -> RequestScope:
        self._next_id += 1
        scope = RequestScope(method.upper(), path, self._next_id)
        self.requests.append(scope)
        self.inflight.append(scope)
        return scope

    def pop_request(self, scope: RequestScope) -> None:
        stack = self.requests
        if scope in stack:
            stack.remove(scope)
        if scope in self.inflight:
            self.inflight.remove(scope)

    @property
    def request(self) -> RequestScope | None:
        stack = self.requests
        if stack:
            return stack[-1]
        inflight = self.inflight
        return inflight[-1] if inflight else None

    def scope_key(self) -> str:
        """The innermost recorded HTTP request, else the test and phase."""
        req = self.request
        if req is not None:
            return f"request:{req.id}"
        return f"test:{self.test}:{self.phase}"


CONTEXT = RunContext()
