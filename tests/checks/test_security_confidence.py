"""Security findings carry a confidence; only high confidence is error (and so fails M-VULNS).
Tool dot-directories and semgrep rule tests are not application code."""

from __future__ import annotations

import json
from pathlib import Path

from support import run_cli, write_tree

APP = {
    "pyproject.toml": "[tool.backend-gates]\n",
    # high: the application's signing key as a literal
    "app/main.py": "from flask import Flask\n\napp = Flask(__name__)\napp.secret_key = 'dev'\n",
    # medium: an env fallback no production class is known to inherit
    "app/settings.py": "import os\n\nDB_PASSWORD = os.environ.get('DB_PASSWORD', 'shop2024')\n",
    # low: a development config class
    "app/config.py": "class DevelopmentConfig:\n    SECRET_KEY = 'dev-key'\n",
}


OURS = {"BG201", "BG202", "BG210", "BG211", "BG212", "BG220", "BG221", "BG222", "BG223", "BG224", "BG230", "BG401", "BG402",
        "BG403", "BG404", "BG410", "BG411", "BG412", "BG413", "BG415", "BG420", "BG421"}


def _report(root: Path) -> dict:
    proc = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", ".", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_confidence_decides_severity_and_m_vulns(tmp_path: Path) -> None:
    write_tree(tmp_path, APP)
    report = _report(tmp_path)
    secrets = {(f["path"], f["line"]): f for f in report["findings"] if f["rule"] == "BG210"}
    assert secrets[("app/main.py", 4)]["extra"]["confidence"] == "high"
    assert secrets[("app/main.py", 4)]["severity"] == "error"
    assert secrets[("app/settings.py", 3)]["extra"]["confidence"] == "medium"
    assert secrets[("app/settings.py", 3)]["severity"] == "warning"
    assert secrets[("app/config.py", 2)]["extra"]["confidence"] == "low"
    assert secrets[("app/config.py", 2)]["severity"] == "info"
    for finding in report["findings"]:
        if finding["rule"] in OURS:
            assert finding["extra"].get("confidence") in ("high", "medium", "low"), finding
    gates = {g["id"]: g for g in report["gates"]}
    errors = [f for f in report["findings"] if (f["gate"] or "").startswith("SEC-") and f["severity"] == "error"]
    assert gates["M-VULNS"]["status"] == "failed"
    assert gates["M-VULNS"]["evidence"]["error_findings"] == len(errors) == 1


def test_only_lower_confidence_findings_pass_m_vulns(tmp_path: Path) -> None:
    files = dict(APP)
    files["app/main.py"] = "import os\nfrom flask import Flask\n\napp = Flask(__name__)\napp.secret_key = os.environ['SECRET_KEY']\n"
    write_tree(tmp_path, files)
    report = _report(tmp_path)
    gates = {g["id"]: g for g in report["gates"]}
    assert any(f["rule"] == "BG210" for f in report["findings"])
    assert gates["M-VULNS"]["status"] == "passed", gates["M-VULNS"]


def test_tool_dot_directories_and_semgrep_rule_tests_are_not_application_code(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            ".semgrep/rules/requests-timeout.py": "import requests\n\n# ruleid: no-timeout\nrequests.get(url)\n",
            "rules/secret-key.py": "# ruleid: hardcoded-secret-key\nSECRET_KEY = 'dev'\n# ok: hardcoded-secret-key\nSECRET_KEY = os.environ['K']\n",
            "app/client.py": "import requests\n\ndef rates():\n    return requests.get('https://api.example.com/rates')\n",
        },
    )
    report = _report(tmp_path)
    paths = {f["path"] for f in report["findings"]}
    assert "app/client.py" in paths  # the real application code is still checked
    assert not any(p.startswith(".semgrep/") for p in paths)
    assert "rules/secret-key.py" not in {f["path"] for f in report["findings"] if f["rule"] == "BG210"}
