"""GitLab code quality, JUnit XML, concise and GitHub annotations, through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from backend_gates.gates import GATES
from support import run_cli, write_tree

HANDLER = "def h{n}():\n    try:\n        work()\n    except:\n        log('x{n}')\n\n\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.backend-gates]\npaths = ["app"]\n',
            "app/views.py": "".join(HANDLER.format(n=n) for n in range(3)),
            "app/broken.py": "def broken(:\n    pass\n",
        },
    )
    return tmp_path


def test_gitlab_code_quality_structure(project: Path) -> None:
    result = run_cli("check", "--no-cache", "--format", "gitlab", cwd=project)
    assert result.returncode == 1
    issues = json.loads(result.stdout)
    assert isinstance(issues, list) and len(issues) == 4  # 3 x BG401 + BG001
    for item in issues:
        assert set(item) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert isinstance(item["description"], str) and item["description"]
        assert item["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(item["location"]["path"], str)
        assert isinstance(item["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == 4  # GitLab needs them unique
    by_rule = sorted((i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in issues)
    assert by_rule == [
        ("BG001 syntax-error", "app/broken.py", 2, "major"),
        ("BG401 bare-except", "app/views.py", 4, "minor"),
        ("BG401 bare-except", "app/views.py", 11, "minor"),
        ("BG401 bare-except", "app/views.py", 18, "minor"),
    ]


def test_gitlab_empty_project_is_an_empty_list(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "ok.py": "x = 1\n"})
    result = run_cli("check", "--no-cache", "--format", "gitlab", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_junit_one_case_per_gate(project: Path) -> None:
    result = run_cli("check", "--no-cache", "--format", "junit", cwd=project)
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(GATES) + 1
    assert int(suite.get("tests")) == len(cases)
    names = [c.get("name").split()[0] for c in cases[:-1]]
    assert names == [g.id for g in GATES]
    by_id = {c.get("name").split()[0]: c for c in cases}
    failure = by_id["AP-ERROR-HANDLING"].find("failure")
    assert failure is not None and "3 finding(s)" in failure.get("message")
    assert failure.text.count("BG401") == 3 and "app/views.py:4:5" in failure.text
    assert by_id["M-LATENCY"].find("skipped") is not None
    tool = cases[-1]
    assert tool.get("classname") == "backend-gates.tool"
    assert "BG001" in tool.find("failure").text
    assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == 2
    assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
    assert "app/broken.py" in suite.find("system-err").text


def test_concise_is_flake8_style(project: Path) -> None:
    result = run_cli("check", "--no-cache", "--format", "concise", cwd=project)
    assert result.returncode == 1
    rows = result.stdout.splitlines()
    assert rows[0].startswith("app/broken.py:2:1: BG001 cannot parse this file: ")
    assert rows[1:] == [
        f"app/views.py:{line}:5: BG401 bare `except:` catches every exception, including KeyboardInterrupt; name the exceptions you expect"
        for line in (4, 11, 18)
    ]


def test_github_annotations_are_capped_per_level(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"pyproject.toml": "[tool.backend-gates]\n", "app/views.py": "".join(HANDLER.format(n=n) for n in range(13))},
    )
    result = run_cli("check", "--no-cache", "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(warnings) == 10
    assert warnings[0].startswith("::warning file=app/views.py,line=4,endLine=5,col=5,title=BG401 bare-except (AP-ERROR-HANDLING)::")
    summary = [line for line in lines if "not annotated" in line]
    assert summary == ["::notice title=backend-gates::3 more warning(s) not annotated (GitHub shows 10 per level); see the full report"]
    assert lines[-1].startswith("::notice title=backend-gates::13 finding(s); gates failed: AP-ERROR-HANDLING")
