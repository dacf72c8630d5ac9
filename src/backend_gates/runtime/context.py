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
        # every open request scope, all threads: a test client may serve the request in another
        # thread (Starlette's portal, a threadpool for sync endpoints) than the one that opened it
        self._open: list[RequestScope] = []
        self._open_lock = threading.Lock()
        # evidence per test nodeid, for T-KINDS: "sql" (touched a DB), "http" (used a test
        # client), "contract" (a response was validated against the spec)
        self.evidence: dict[str, set[str]] = {}

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
        with self._open_lock:
            self._next_id += 1
            scope = RequestScope(method.upper(), path, self._next_id)
            self._open.append(scope)
        self.requests.append(scope)
        return scope

    def pop_request(self, scope: RequestScope) -> None:
        stack = self.requests
        if scope in stack:
            stack.remove(scope)
        with self._open_lock:
            if scope in self._open:
                self._open.remove(scope)

    @property
    def request(self) -> RequestScope | None:
        """This thread's innermost scope; else the only open scope of any thread (else None)."""
        stack = self.requests
        if stack:
            return stack[-1]
        open_scopes = self._open  # a thread with no scope of its own (the app's thread, a
        return open_scopes[-1] if open_scopes else None  # threadpool) sees the newest open request

    def scope_key(self) -> str:
        """The innermost recorded HTTP request, else the test and phase."""
        req = self.request
        if req is not None:
            return f"request:{req.id}"
        return f"test:{self.test}:{self.phase}"


CONTEXT = RunContext()
