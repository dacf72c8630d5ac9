"""runtime/http.py and runtime/kinds.py helpers: sensitive fields, error bodies, p95, test kinds."""

from __future__ import annotations

from backend_gates.runtime.http import error_object_keys, percentile, sensitive_fields
from backend_gates.runtime.kinds import classify


def test_sensitive_fields_by_name_never_empty_or_metadata() -> None:
    body = {
        "id": 1,
        "passwordHash": "$2b$12$abc",
        "profile": {"ssn": "123-45-6789", "card_last4": "4242"},
        "password_changed_at": "2024-01-01",
        "has_password": True,
        "api_key": None,
        "items": [{"cvv": "123"}],
        "access_token": "eyJ...",
    }
    assert sensitive_fields(body) == {"passwordHash", "profile.ssn", "items[].cvv"}
    assert sensitive_fields({"id": 1, "name": "x", "passage": "p", "secretary": "s"}) == set()


def test_error_object_recognition() -> None:
    assert error_object_keys({"error": "name is required"}) == ["error"]
    assert error_object_keys({"success": False, "message": "nope"}) == ["message", "success"]
    assert error_object_keys({"errors": [], "data": [1]}) is None  # empty errors beside data
    assert error_object_keys({"error": None, "message": "ok"}) is None
    assert error_object_keys({"id": 1, "error": "x"}) is None  # a resource that has an `error` field
    assert error_object_keys([{"error": "x"}]) is None


def test_percentile_nearest_rank() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
    assert percentile([], 0.95) == 0.0


def test_classify_by_markers_folders_names_fixtures_and_evidence() -> None:
    assert classify("tests/test_math.py::test_add", set(), set(), set()) == ["unit"]
    assert classify("tests/integration/test_db.py::test_x", set(), set(), set()) == ["integration"]
    assert classify("tests/test_x.py::test_x", {"load"}, set(), set()) == ["load"]
    assert classify("tests/test_x.py::test_x", set(), {"benchmark"}, set()) == ["load"]
    assert classify("tests/test_x.py::test_unauthorized_user_gets_401", set(), set(), set()) == ["security"]
    assert classify("tests/test_x.py::test_x", set(), set(), {"sql", "http"}) == ["api", "integration"]
    assert classify("tests/test_x.py::test_x", set(), set(), {"http", "contract"}) == ["api", "contract"]
    assert classify("tests/test_x.py::test_x", set(), set(), {"auth-denied"}) == ["security"]
    assert classify("tests/test_security_headers.py::test_x", set(), set(), set()) == ["security"]
    assert classify("tests/units/test_contractor.py::test_x", set(), set(), set()) == ["unit"]  # no substring matching


def test_jsend_style_error_status() -> None:
    assert error_object_keys({"status": "error", "message": "db down"}) == ["message", "status"]
    assert error_object_keys({"status": "ok", "message": "saved"}) is None


def test_only_requests_to_test_servers_are_recorded() -> None:
    from backend_gates.runtime.patches import is_test_host

    assert is_test_host("http://127.0.0.1:8000/users")
    assert is_test_host("http://localhost/users")
    assert is_test_host("http://testserver/users")
    assert is_test_host("/relative")
    assert not is_test_host("https://api.github.com/repos")


def test_validation_errors_naming_a_password_field_are_not_findings() -> None:
    assert sensitive_fields({"errors": {"json": {"old_password": ["Invalid password"]}}}) == set()
    assert sensitive_fields({"detail": [{"loc": ["body", "password"], "msg": "too short"}]}) == set()


def test_schema_documents_and_field_descriptions_are_not_values() -> None:
    spec = {"openapi": "3.1.0", "components": {"schemas": {"UserIn": {"properties": {"password": {"type": "string"}}}}}}
    assert sensitive_fields(spec) == set()
    drf_options = {"name": "User List", "actions": {"POST": {"password": {"type": "string", "required": True}}}}
    assert sensitive_fields(drf_options) == set()
    assert sensitive_fields({"username": "ann", "password": "secret"}) == {"password"}


def test_a_test_asserting_a_5xx_is_recognised_in_every_assertion_form() -> None:
    from backend_gates.runtime.http import _asserts_status

    assert _asserts_status("assert r.status_code == 503", 503)
    assert _asserts_status("        self.assertEqual(r.status_code, 503)", 503)
    assert _asserts_status("self.assertEqual(503, r.status_code)", 503)
    assert not _asserts_status("self.assertEqual(r.status_code, 200)  # 5030 items", 503)
    assert not _asserts_status("client.get('/items/503')", 503)
