"""runtime/spec.py: path matching, status lookup and schema validation rules, on small specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_gates.runtime.spec import SpecIndex, media_type_for

SPEC = """
openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
paths:
  /users/{id}:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/User"}
        4XX: {description: client error}
        default: {description: other}
  /users/me:
    get:
      responses:
        "200": {description: ok}
  /files/{name}.json:
    get:
      responses:
        "200": {description: ok}
  /users/{id}/posts:
    get:
      responses:
        "201": {description: created}
        2XX: {description: ok}
components:
  schemas:
    User:
      type: object
      required: [id, secret]
      properties:
        id: {type: integer}
        nickname: {type: string, nullable: true}
        born: {type: string, format: unheard-of-format}
        secret: {type: string, writeOnly: true}
"""


@pytest.fixture
def index(tmp_path: Path) -> SpecIndex:
    (tmp_path / "openapi.yaml").write_text(SPEC)
    return SpecIndex.build(tmp_path, [])


def test_literal_segment_wins_over_template(index: SpecIndex) -> None:
    assert index.match("GET", "/v1/users/me").path == "/users/me"
    assert index.match("GET", "/v1/users/42").path == "/users/{id}"


def test_server_base_path_is_stripped_and_never_suffix_matched(index: SpecIndex) -> None:
    assert index.match("GET", "/users/42").path == "/users/{id}"  # base "" is always allowed
    assert index.match("GET", "/other/v1/users/42") is None  # no suffix matching
    assert index.match("GET", "/v1/users/42/posts/7") is None  # segment counts differ
    assert index.match("POST", "/v1/users/42") is None  # method not documented


def test_partial_template_segment(index: SpecIndex) -> None:
    assert index.match("GET", "/v1/files/report.json").path == "/files/{name}.json"
    assert index.match("GET", "/v1/files/report.xml") is None


def test_framework_template_preferred(index: SpecIndex) -> None:
    # the framework says it routed /users/me to the templated route
    assert index.match("GET", "/users/me", "/users/{user_id}").path == "/users/{id}"
    assert index.match("GET", "/users/me", "/users/<int:pk>").path == "/users/{id}"


def test_status_lookup_exact_then_range_then_default(index: SpecIndex) -> None:
    op = index.match("GET", "/users/1")
    assert op.response_for(200)[0] == "200"
    assert op.response_for(404)[0] == "4XX"
    assert op.response_for(503)[0] == "default"
    posts = index.match("GET", "/users/1/posts")
    assert posts.response_for(201)[0] == "201"
    assert posts.response_for(204)[0] == "2XX"
    assert posts.response_for(500) is None


def _errors(index: SpecIndex, body: object) -> list[str]:
    op = index.match("GET", "/users/1")
    spec = op.spec
    schema = op.response_for(200)[1]["content"]["application/json"]["schema"]
    validator = spec.validator("x", schema)
    return [e.message for e in validator.iter_errors(body)]


def test_nullable_write_only_and_unknown_format(index: SpecIndex) -> None:
    assert _errors(index, {"id": 1, "nickname": None, "born": "whenever"}) == []  # writeOnly `secret` not required in responses
    assert _errors(index, {"id": "1"})
    assert _errors(index, {"id": 1, "nickname": 5})


def test_schema_pointer_follows_refs(index: SpecIndex) -> None:
    op = index.match("GET", "/users/1")
    schema = op.response_for(200)[1]["content"]["application/json"]["schema"]
    validator = op.spec.validator("p", schema)
    error = next(iter(validator.iter_errors({"id": "x"})))
    assert op.spec.schema_pointer("#/base", schema, list(error.relative_schema_path)) == "#/components/schemas/User/properties/id/type"


def test_media_type_ranges() -> None:
    content = {"application/json": {}, "text/*": {}}
    assert media_type_for(content, "application/json; charset=utf-8") == "application/json"
    assert media_type_for(content, "text/csv") == "text/*"
    assert media_type_for(content, "application/xml") is None
    assert media_type_for({"*/*": {}}, "image/png") == "*/*"


def test_unreadable_spec_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text("openapi: [unclosed\n")
    index = SpecIndex.build(tmp_path, [])
    assert index.operations == []
    assert "openapi.yaml" in index.errors[0]


def test_template_with_same_shape_is_disambiguated_by_parameter_names(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /users/{id}:\n    get:\n      responses: {'200': {description: ok}}\n"
        "  /users/{username}:\n    get:\n      responses: {'200': {description: ok}}\n"
    )
    index = SpecIndex.build(tmp_path, [])
    assert index.match("GET", "/users/alice", "/users/<username>").path == "/users/{username}"
    assert index.match("GET", "/users/7", "/users/<int:id>").path == "/users/{id}"


def test_server_base_paths() -> None:
    from backend_gates.runtime.spec import _server_path

    assert _server_path("https://api.example.com/v1", None) == "/v1"
    assert _server_path("{scheme}://{host}/api/v2", None) == "/api/v2"
    assert _server_path("/api/{version}", {"version": {"default": "v3"}}) == "/api/v3"
    assert _server_path("/api/{version}", None) == ""
    assert _server_path("http://localhost:5000/", None) == "/"
    assert _server_path("api", None) == "/api"


def test_openapi_31_type_lists_and_swagger_2(tmp_path: Path) -> None:
    (tmp_path / "openapi.json").write_text(
        '{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": '
        '{"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": '
        '{"n": {"type": ["string", "null"]}}}}}}}}}}}'
    )
    index = SpecIndex.build(tmp_path, [])
    op = index.match("GET", "/a")
    schema = op.response_for(200)[1]["content"]["application/json"]["schema"]
    validator = op.spec.validator("a", schema)
    assert list(validator.iter_errors({"n": None})) == []
    assert list(validator.iter_errors({"n": 3}))
