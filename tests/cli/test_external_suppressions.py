"""Other tools' suppression comments (`# noqa`, `# nosec`, `# nosemgrep`, `# NOSONAR`, squawk,
pylint) silence the rules that list the same concern in `external_ids`, and stay visible."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend_gates.checks import load_all
from backend_gates.checks.base import REGISTRY
from backend_gates.suppress import EXTERNAL_TOOLS, parse_suppressions
from support import REPO, SARIF_SCHEMA, run_cli, write_tree

BARE = "def {name}():\n    try:\n        work()\n    except:{comment}\n        log('x')\n"
CALL = "def {name}():\n    return requests.get(URL){comment}\n"


def _module(cases: list[tuple[str, str, str]]) -> str:
    text = "import requests\n\nURL = 'https://example.com/x'\n\n"
    return text + "\n\n".join((BARE if kind == "bare" else CALL).format(name=name, comment=comment) for name, kind, comment in cases)


def _findings(project: Path, *extra: str) -> list[dict]:
    result = run_cli("check", "--no-cache", "-f", "json", "--select", "BG401,BG404,BG002,BG003", *extra, ".", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


CASES = [
    ("noqa_code", "bare", "  # noqa: E722", "ruff: `# noqa: E722`"),
    ("noqa_bare", "bare", "  # noqa", "ruff: `# noqa`"),
    ("noqa_list", "bare", "  # noqa:F401,E722", "ruff: `# noqa:F401,E722`"),
    ("noqa_other", "bare", "  # noqa: F401", None),
    ("nosonar", "bare", "  # NOSONAR", "sonar: `# NOSONAR`"),
    ("pylint", "bare", "  # pylint: disable=bare-except", "pylint: `# pylint: disable=bare-except`"),
    ("pylint_other", "bare", "  # pylint: disable=unused-import", None),
    ("nosec_bare", "call", "  # nosec", "bandit: `# nosec`"),
    ("nosec_code", "call", "  # nosec B113", "bandit: `# nosec B113`"),
    ("nosec_other", "call", "  # nosec B608", None),
    ("nosonar_unmapped", "call", "  # NOSONAR", None),  # BG404 names no Sonar rule
    ("in_string", "call", "  # 'noqa' is not a comment here", None),
]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    project = tmp_path_factory.mktemp("ext")
    write_tree(project, {"app.py": _module([(n, k, c) for n, k, c, _ in CASES])})
    text = (project / "app.py").read_text().splitlines()
    by_function: dict[str, dict] = {}
    for f in _findings(project):
        owner = next(line for line in reversed(text[: f["line"]]) if line.startswith("def "))
        by_function[owner[4:].split("(")[0]] = f
    return by_function


@pytest.mark.parametrize("name,kind,comment,reason", CASES, ids=[c[0] for c in CASES])
def test_other_tools_comment(findings: dict[str, dict], name: str, kind: str, comment: str, reason: str | None) -> None:
    f = findings[name]
    assert f["rule"] == ("BG401" if kind == "bare" else "BG404")
    if reason is None:
        assert not f["suppressed"], f
    else:
        assert f["suppressed"] and f["suppression"]["reason"] == reason, f


def test_foreign_comments_are_never_unused_or_reasonless(findings: dict[str, dict]) -> None:
    assert not [f for f in findings.values() if f["rule"] in ("BG002", "BG003")]


def test_own_line_noqa_does_not_reach_the_next_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "def f():\n    try:\n        work()\n    # noqa: E722\n    except:\n        log('x')\n"})
    (f,) = _findings(tmp_path)
    assert f["rule"] == "BG401" and not f["suppressed"]


def test_file_level_ruff_noqa(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "# ruff: noqa: E722\n" + BARE.format(name="f", comment="")})
    (f,) = _findings(tmp_path)
    assert f["suppressed"] and f["suppression"]["reason"] == "ruff: `# ruff: noqa: E722`"


def test_setting_turns_them_off(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app.py": BARE.format(name="f", comment="  # noqa: E722"),
        "pyproject.toml": "[tool.backend-gates]\nexternal-suppressions = [\"bandit\"]\n",
    })
    (f,) = _findings(tmp_path)
    assert not f["suppressed"]


def test_sarif_keeps_them_as_suppressed_with_the_tool_named(tmp_path: Path) -> None:
    import jsonschema

    write_tree(tmp_path, {"app.py": BARE.format(name="f", comment="  # noqa: E722")})
    result = run_cli("check", "--no-cache", "-f", "sarif", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # the only finding is suppressed
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "BG401"]
    assert res["suppressions"] == [{"kind": "inSource", "justification": "ruff: `# noqa: E722`"}]


def test_squawk_ignore_applies_to_the_next_statement() -> None:
    sql = "-- squawk-ignore require-concurrent-index-creation, ban-drop-column\nCREATE INDEX i ON t (c);\n"
    (comment,) = parse_suppressions(sql)
    assert (comment.tool, comment.target, comment.codes) == ("squawk", 2, ["require-concurrent-index-creation", "ban-drop-column"])
    (whole,) = parse_suppressions("-- squawk-ignore-file\nDROP TABLE t;\n")
    assert whole.file_level and whole.tool == "squawk"


def test_external_ids_name_known_tools() -> None:
    load_all()
    for cls in REGISTRY.values():
        for ident in cls.external_ids:
            tool, _, rule = ident.partition(":")
            assert tool in EXTERNAL_TOOLS and rule and " " not in rule, (cls.code, ident)


SEMGREP = shutil.which("semgrep") or (str(REPO / ".venv-semgrep/bin/semgrep") if (REPO / ".venv-semgrep/bin/semgrep").exists() else None)


@pytest.mark.skipif(SEMGREP is None, reason="semgrep not installed")
def test_nosemgrep_keeps_the_pack_finding_as_suppressed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "views.py": "from flask import request\n\n\ndef calc():\n"
                    "    return eval(request.args['a'])  # nosemgrep: eval-request-data\n\n\ndef calc2():\n"
                    "    # nosemgrep\n    return eval(request.args['b'])\n\n\ndef calc3():\n    return eval(request.args['c'])\n",
        "pyproject.toml": f"[tool.backend-gates.semgrep]\npath = \"{SEMGREP}\"\n",
    })
    result = run_cli("check", "--no-cache", "--semgrep", "-f", "json", "--select", "BG710", ".", cwd=tmp_path)
    found = {f["line"]: f for f in json.loads(result.stdout)["findings"] if f["rule"] == "BG710"}
    assert sorted(found) == [5, 10, 14], result.stdout
    assert found[5]["suppression"]["reason"] == "semgrep: `# nosemgrep: eval-request-data`"
    assert found[10]["suppressed"] and not found[14]["suppressed"]
    assert result.returncode == 1


def test_squawk_ignore_silences_the_migration_rule_for_the_next_statement(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "pyproject.toml": '[tool.backend-gates.db]\ndialect = "postgres"\n',
        "migrations/V1__init.sql": "CREATE TABLE orders (id int primary key, user_id int);\n",
        "migrations/V2__idx.sql": "-- squawk-ignore require-concurrent-index-creation\n"
                                  "CREATE INDEX idx_orders_user ON orders (user_id);\n"
                                  "CREATE INDEX idx_orders_both ON orders (id, user_id);\n",
    })
    result = run_cli("check", "--no-cache", "-f", "json", ".", cwd=tmp_path)
    found = {f["line"]: f for f in json.loads(result.stdout)["findings"] if f["rule"] == "BG331"}
    assert sorted(found) == [2, 3], result.stdout
    assert found[2]["suppression"]["reason"] == "squawk: `-- squawk-ignore require-concurrent-index-creation`"
    assert not found[3]["suppressed"]


BUILT = (
    "def {name}(db, request):\n"
    "    table = request.args['t']\n"
    "    query = \"SELECT * FROM items WHERE name = '{{t}}'\".format({comment}\n"
    "        t=table\n"
    "    )\n"
    "    db.engine.execute(query){sink_comment}\n"
)


@pytest.mark.parametrize(
    "comment,sink_comment,reason",
    [
        ("  # noqa: S608", "", "ruff: `# noqa: S608`"),  # where ruff reports the built string
        ("  # nosec B608", "", "bandit: `# nosec B608`"),
        ("", "  # noqa: S608", "ruff: `# noqa: S608`"),  # on the finding's own line, as before
        ("  # noqa: E501", "", None),  # another ruff rule on the build line
        ("  # backend-gates: ignore[BG201] built from a checked name", "", None),  # ours: the finding's line only
    ],
    ids=["noqa-at-build", "nosec-at-build", "noqa-at-sink", "other-code-at-build", "ours-at-build"],
)
def test_other_tools_comment_where_the_sql_is_built(tmp_path: Path, comment: str, sink_comment: str, reason: str | None) -> None:
    write_tree(tmp_path, {"app.py": BUILT.format(name="f", comment=comment, sink_comment=sink_comment)})
    result = run_cli("check", "--no-cache", "-f", "json", "--select", "BG201", ".", cwd=tmp_path)
    (f,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "BG201"]
    assert f["line"] == 6 and f["extra"]["built_at"] == [[3, 5]]
    if reason is None:
        assert not f["suppressed"], f
    else:
        assert f["suppressed"] and f["suppression"]["reason"] == reason, f
