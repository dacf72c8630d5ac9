"""Property-based and mutation fuzzing of every reader (hypothesis; bounded for CI: a few dozen
inputs per reader, ~1 minute in all). `bench/fuzz_readers.py` runs the same mutations much
longer over real files. Every crash found became a regression test (tests/cli/test_hostile_inputs.py
and the `REGRESSIONS` below)."""

from __future__ import annotations

import json
import random
import socket
import threading
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .harness import Harness, mutate, seeds  # noqa: E402

CI = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def harness() -> Harness:
    return Harness()


def _assert_no_crash(harness: Harness, name: str, data: bytes) -> None:
    crash = harness.crash_of(name, data)
    assert crash is None, f"{name}: {crash}\ninput (first 300 bytes): {data[:300]!r}"


PY_SEEDS = seeds((".py",))
SQL_SEEDS = seeds((".sql",))
SPEC_SEEDS = seeds((".yaml", ".yml", ".json"))


@CI
@given(seed=st.integers(0, 10**9))
def test_python_reader_survives_mutations(harness: Harness, seed: int) -> None:
    rng = random.Random(seed)
    name, data = rng.choice(PY_SEEDS)
    _assert_no_crash(harness, "mut.py", mutate(data, rng))


@CI
@given(text=st.text(max_size=400))
def test_python_reader_survives_arbitrary_text(harness: Harness, text: str) -> None:
    _assert_no_crash(harness, "gen.py", text.encode("utf-8", "surrogatepass"))


@CI
@given(seed=st.integers(0, 10**9))
def test_sql_reader_survives_mutations(harness: Harness, seed: int) -> None:
    rng = random.Random(seed)
    name, data = rng.choice(SQL_SEEDS)
    _assert_no_crash(harness, "migrations/0001_mut.sql", mutate(data, rng))


@CI
@given(seed=st.integers(0, 10**9))
def test_openapi_reader_survives_mutations(harness: Harness, seed: int) -> None:
    rng = random.Random(seed)
    name, data = rng.choice(SPEC_SEEDS)
    suffix = ".json" if name.endswith(".json") else ".yaml"
    _assert_no_crash(harness, f"openapi{suffix}", mutate(data, rng))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
SPEC_KEYS = st.sampled_from(["type", "properties", "items", "$ref", "maxLength", "enum", "format", "allOf", "oneOf", "example", "required", "nullable"])
SCHEMA = st.recursive(
    JSONISH,
    lambda inner: st.dictionaries(SPEC_KEYS, inner, max_size=5),
    max_leaves=25,
)


@CI
@given(schema=SCHEMA, param=JSONISH, ref=st.sampled_from(["#/components/schemas/A", "#/components/schemas/B", "#/nope", "other.yaml#/x", "http://127.0.0.1:9/x", "", "#/components/schemas/A/properties"]))
def test_openapi_checks_survive_odd_schema_shapes(harness: Harness, schema: Any, param: Any, ref: str) -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items/{id}": {
                "parameters": [param] if isinstance(param, dict) else [],
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": schema}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": ref}}}}},
                },
            }
        },
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}, "C": schema}},
    }
    _assert_no_crash(harness, "openapi.json", json.dumps(spec, default=str).encode())


def test_openapi_alias_bombs_and_ref_cycles(harness: Harness) -> None:
    lines = ["openapi: 3.0.3", "info: {title: t, version: '1'}", "paths: {}", "x-a: &a ['x','x','x','x','x','x','x','x','x','x']"]
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"x-{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
        prev = name
    _assert_no_crash(harness, "openapi.yaml", "\n".join(lines).encode())
    cycle = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: &x {properties: {a: *x}}\n"
    _assert_no_crash(harness, "openapi.yaml", cycle.encode())


def test_remote_refs_reach_no_listener(harness: Harness) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    try:
        rng = random.Random(7)
        for _i in range(20):
            ref = rng.choice([f"http://127.0.0.1:{port}/s.yaml#/A", f"https://127.0.0.1:{port}/s.json", f"//127.0.0.1:{port}/x", f"file://127.0.0.1:{port}/x"])
            text = f"openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '{ref}'}}\n"
            _assert_no_crash(harness, "openapi.yaml", text.encode())
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()
    assert not seen, f"{len(seen)} connection(s) to the listener"


# ----------------------------------------------------------------------------- configuration, baseline, worker evidence


@CI
@given(text=st.text(max_size=300))
def test_configuration_reader_raises_only_config_errors(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    from backend_gates.config import load_config
    from backend_gates.errors import ConfigError

    root = tmp_path_factory.mktemp("cfg")
    (root / "pyproject.toml").write_text("[tool.backend-gates]\n" + text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(root)
    except ConfigError:
        pass


@CI
@given(data=JSONISH)
def test_baseline_reader_raises_only_config_errors(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    from backend_gates.baseline import load
    from backend_gates.errors import ConfigError

    path = tmp_path_factory.mktemp("bl") / "baseline.json"
    for doc in (data, {"format": 1, "findings": data}, {"format": 1, "findings": [data]}):
        path.write_text(json.dumps(doc, default=str))
        try:
            load(path)
        except ConfigError:
            pass


def _observer_classes() -> list[Any]:
    from backend_gates.protocol.outcomes import OutcomesObserver
    from backend_gates.runtime.covgate import CoverageObserver
    from backend_gates.runtime.http import HttpObserver
    from backend_gates.runtime.kinds import KindsObserver
    from backend_gates.runtime.replay import ReplayObserver
    from backend_gates.runtime.sql import SqlObserver

    return [CoverageObserver, HttpObserver, KindsObserver, SqlObserver, OutcomesObserver, ReplayObserver]


@pytest.mark.parametrize("index", range(6))
def test_worker_evidence_merge_never_raises(index: int) -> None:
    """What an xdist worker sends (`workeroutput`, plain JSON) is folded in by the controller's
    observers: damaged or foreign data must not raise (mutations of a real worker's output)."""
    cls = _observer_classes()[index]

    @CI
    @given(part=st.dictionaries(st.text(max_size=12), JSONISH, max_size=6))
    def check(part: Any) -> None:
        cls().merge(part)

    check()
