"""Benchmark: a generated spec with thousands of operations validates and lints in seconds.

    python bench/openapi_large.py [--paths 1000] [--format yaml|json]

Writes the spec to a temporary directory (never committed), then times the whole engine run
(load with line numbers, $ref checks, openapi-spec-validator, every OpenAPI check, facts) and
each phase separately.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def generate(paths: int) -> dict:
    spec: dict = {
        "openapi": "3.0.3",
        "info": {"title": "Large", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "security": [{"bearer": []}],
        "paths": {},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"NotFound": {"description": "not found"}},
            "schemas": {},
        },
    }
    for i in range(paths):
        name = f"resource{i}"
        spec["components"]["schemas"][f"Res{i}"] = {
            "type": "object",
            "required": ["name"],
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "name": {"type": "string", "maxLength": 100},
                "tags": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 20}},
                # recursive schemas in rings of 10 (a ring of thousands exceeds the validator's recursion)
                "owner": {"$ref": f"#/components/schemas/Res{i + 1 if i % 10 != 9 and i + 1 < paths else i - i % 10}"},
            },
        }
        ref = {"$ref": f"#/components/schemas/Res{i}"}
        ok = {"description": "ok", "content": {"application/json": {"schema": ref}}}
        spec["paths"][f"/{name}s"] = {
            "get": {
                "operationId": f"list{i}", "summary": "list",
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "maxItems": 100, "items": ref}}}}, "400": {"description": "bad"}},
            },
            "post": {
                "operationId": f"create{i}", "summary": "create",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                "responses": {"201": ok, "400": {"description": "bad"}},
            },
        }
        item = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        spec["paths"][f"/{name}s/{{id}}"] = {
            "get": {"operationId": f"get{i}", "summary": "get", "parameters": [item], "responses": {"200": ok, "404": {"$ref": "#/components/responses/NotFound"}}},
            "delete": {"operationId": f"delete{i}", "summary": "delete", "parameters": [item], "responses": {"204": {"description": "gone"}, "404": {"$ref": "#/components/responses/NotFound"}}},
        }
    return spec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=1000, help="resources (4 operations each)")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    args = parser.parse_args()
    import yaml

    from backend_gates.config import load_config
    from backend_gates.engine import check
    from backend_gates.openapi.model import summarize
    from backend_gates.openapi.spec import load_spec

    spec = generate(args.paths)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[tool.backend-gates]\n")
        target = root / f"openapi.{args.format}"
        text = json.dumps(spec, indent=1) if args.format == "json" else yaml.safe_dump(spec, sort_keys=False)
        target.write_text(text)
        ops = sum(len(v) for v in spec["paths"].values())
        print(f"spec: {ops} operations, {len(text.splitlines())} lines, {len(text) / 1e6:.1f} MB ({args.format})")

        clock = time.process_time  # CPU seconds: wall time depends on what else the machine runs
        t0 = clock()
        doc = load_spec(target.name, str(target), text)
        t1 = clock()
        problems = doc.problems()
        t2 = clock()
        summarize(doc)
        t3 = clock()
        print(f"CPU: load+refs {t1 - t0:.2f}s  validate {t2 - t1:.2f}s ({len(problems)} problems)  facts {t3 - t2:.2f}s")

        config = load_config(root, overrides={"cache": False, "jobs": 1}, environ={})
        w4, t4 = time.perf_counter(), clock()
        report = check([root], config)
        w5, t5 = time.perf_counter(), clock()
        counts: dict[str, int] = {}
        for f in report.findings:
            counts[f.code] = counts.get(f.code, 0) + 1
        print(f"engine run (load, validate, all checks, facts): {t5 - t4:.2f}s CPU, {w5 - w4:.2f}s wall; findings: {counts or 'none'}; errors: {len(report.errors)}")

        cached = load_config(root, overrides={"cache": True, "jobs": 1}, environ={})
        check([root], cached)  # fill the cache
        t6 = clock()
        warm = check([root], cached)
        t7 = clock()
        print(f"warm run (cache hit, drift/breaking read facts only): {t7 - t6:.2f}s CPU; analyzed {warm.extra['timing']['analyzed']} file(s)")


if __name__ == "__main__":
    main()
