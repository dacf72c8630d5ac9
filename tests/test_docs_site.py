"""The documentation site: MkDocs builds docs/ (guides + generated rule pages) in strict mode (a
broken link or anchor fails the build), and a SARIF result's help URL, with `docs-url` pointing
at the built site, resolves to a built page whose text is the SARIF rule's `help`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from support import REPO, run_cli, write_tree

pytest.importorskip("mkdocs")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out), "--config-file", str(REPO / "mkdocs.yml")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def test_strict_build_has_every_page(site: Path) -> None:
    from backend_gates.checks import load_all
    from backend_gates.checks.base import REGISTRY

    load_all()
    for code in REGISTRY:
        assert (site / "checks" / f"{code}.html").is_file(), code
    for page in ("index.html", "ci.html", "suppressions.html", "configuration-reference.html", "checks/index.html"):
        assert (site / page).is_file(), page


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs", docs)
    (docs / "ci.md").write_text((docs / "ci.md").read_text() + "\nSee [the missing page](no-such-page.md).\n")
    config = (REPO / "mkdocs.yml").read_text().replace("docs_dir: docs", f"docs_dir: {docs}")
    (tmp_path / "mkdocs.yml").write_text(config)
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert build.returncode != 0 and "no-such-page.md" in build.stderr + build.stdout


def test_sarif_help_urls_resolve_to_built_pages(site: Path, tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app/views.py": "import requests\n\n\ndef f(u):\n    try:\n        return requests.get(u)\n    except:\n        log('x')\n",
        "pyproject.toml": f'[tool.backend-gates]\ndocs-url = "{site.as_uri()}/"\n',
    })
    result = run_cli("check", "--no-cache", "--no-report", "-f", "sarif", cwd=tmp_path)
    run = json.loads(result.stdout)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    seen = {res["ruleId"] for res in run["results"]}
    assert {"BG401", "BG404"} <= seen
    for code in seen:
        rule = rules[code]
        page = Path(url2pathname(urlparse(rule["helpUri"]).path))
        assert page.is_file() and page.parent.parent == site, rule["helpUri"]
        html = page.read_text()
        assert f"{code}" in html and rule["name"] in html
        assert rule["help"]["markdown"].startswith(f"# {code} `{rule['name']}`")
        first_section = rule["help"]["markdown"].split("## What it checks", 1)[1].split("##", 1)[0].strip()
        assert first_section.split("`")[0][:30] in html  # the same text as the built page
    json_report = json.loads(run_cli("check", "--no-cache", "--no-report", "-f", "json", cwd=tmp_path).stdout)
    assert all(f["help_url"].startswith(site.as_uri()) for f in json_report["findings"])
