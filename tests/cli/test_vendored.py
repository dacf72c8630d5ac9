"""Third-party packages copied into the project (a vendored `lib/`) are not the project's code: a
change cannot fix them, so discovery skips them and says so; the project's own packages named
after the libraries they wrap are checked as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli, write_tree

BARE = "def f():\n    try:\n        work()\n    except:\n        pass\n"


def _run(root: Path, *args: str) -> tuple[set[str], list[dict]]:
    done = run_cli("check", "--no-cache", "--no-report", "-f", "json", "--select", "BG401", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    return {f["path"] for f in data["findings"]}, [e for e in data["errors"] if "vendored" in e["message"]]


def _copies(names: list[str], base: str = "lib") -> dict[str, str]:
    return {f"{base}/{name}/__init__.py": BARE for name in names}


@pytest.mark.parametrize(
    "manifest",
    [
        {"requirements.txt": "requests==2.31\n# pinned\nurllib3>=2\ncherrypy ; python_version > '3'\n-r more.txt\n"},
        {"pyproject.toml": '[project]\nname = "app"\ndependencies = ["requests>=2", "urllib3", "CherryPy[ssl]"]\n'},
        {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "*"\nurllib3 = "*"\ncherrypy = "*"\n'},
        {"Pipfile": '[packages]\nrequests = "*"\nurllib3 = "*"\ncherrypy = "*"\n'},
        {"setup.cfg": "[options]\ninstall_requires =\n    requests\n    urllib3\n    cherrypy\n"},
    ],
    ids=["requirements.txt", "pep621", "poetry", "pipfile", "setup.cfg"],
)
def test_copies_of_declared_requirements_are_not_checked(tmp_path: Path, manifest: dict[str, str]) -> None:
    write_tree(tmp_path, {**manifest, "app/__init__.py": "", "app/views.py": BARE, **_copies(["requests", "urllib3", "cherrypy"]), "lib/plexapi.py": BARE})
    paths, notes = _run(tmp_path)
    assert paths == {"app/views.py"}
    assert [n["path"] for n in notes] == ["lib"] and "declared" in notes[0]["message"]
    paths, notes = _run(tmp_path, "--no-skip-vendored")
    assert paths == {"app/views.py", "lib/requests/__init__.py", "lib/urllib3/__init__.py", "lib/cherrypy/__init__.py", "lib/plexapi.py"}
    assert notes == []


def test_the_note_is_shown_in_the_text_output(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "requests\nurllib3\ncherrypy\n", "app.py": "x = 1\n", **_copies(["requests", "urllib3", "cherrypy"])})
    done = run_cli("check", "--no-cache", "--no-report", "--select", "BG401", cwd=tmp_path)
    assert "note: lib: vendored third-party code" in done.stdout
    assert "skip-vendored = false" in done.stdout
    assert done.returncode == 0  # a note, not a failure


def test_installed_distributions_and_commonly_vendored_packages_without_a_manifest(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "app.py": BARE,
        "site/flask_cors/__init__.py": BARE,
        "site/Flask_Cors-5.0.0.dist-info/METADATA": "Name: Flask-Cors\n",
        "libs/requests/__init__.py": BARE, "libs/six.py": BARE, "libs/certifi/__init__.py": BARE,
        "third_party/yaml/__init__.py": BARE,
    })
    paths, notes = _run(tmp_path)
    assert paths == {"app.py"}
    assert sorted(n["path"] for n in notes) == ["libs", "site", "third_party"]


def test_the_projects_own_packages_are_checked(tmp_path: Path) -> None:
    """Integrations named after the libraries they wrap live inside a package; a plain directory
    with fewer than three copies, or of the project's own modules, is the project's code."""
    write_tree(tmp_path, {
        "requirements.txt": "stripe\nbraintree\nadyen\nrequests\nsix\n",
        "shop/__init__.py": "",
        "shop/gateways/__init__.py": "",
        **_copies(["stripe", "braintree", "adyen"], "shop/gateways"),
        "scripts/requests/__init__.py": BARE, "scripts/six.py": BARE, "scripts/deploy.py": BARE,
        "apps/orders/__init__.py": BARE, "apps/users/__init__.py": BARE, "apps/billing/__init__.py": BARE,
        "vendor/models.py": BARE,  # a Django app named "vendor" (sellers): its own code
    })
    paths, notes = _run(tmp_path)
    assert notes == []
    assert paths == {
        "shop/gateways/stripe/__init__.py", "shop/gateways/braintree/__init__.py", "shop/gateways/adyen/__init__.py",
        "scripts/requests/__init__.py", "scripts/six.py", "scripts/deploy.py",
        "apps/orders/__init__.py", "apps/users/__init__.py", "apps/billing/__init__.py", "vendor/models.py",
    }


def test_a_vendored_directory_or_file_named_on_the_command_line_is_checked(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "requests\nurllib3\ncherrypy\n", "app.py": BARE, **_copies(["requests", "urllib3", "cherrypy"])})
    assert _run(tmp_path, "lib")[0] == {"lib/requests/__init__.py", "lib/urllib3/__init__.py", "lib/cherrypy/__init__.py"}
    assert _run(tmp_path, "lib/urllib3/__init__.py")[0] == {"lib/urllib3/__init__.py"}


def test_hostile_manifests_cost_nothing(tmp_path: Path) -> None:
    import os

    write_tree(tmp_path, {
        "app.py": BARE,
        "pyproject.toml": '[project]\ndependencies = 7\noptional-dependencies = ["a1"]\n[tool]\npoetry = "a2"\n[dependency-groups]\ndev = {a3 = 1}\n',
        "setup.cfg": "[options\n",
        "Pipfile": "[packages\nnot toml",
        **_copies(["a1", "a2", "a3"]),
    })
    os.mkfifo(tmp_path / "requirements.txt")
    (tmp_path / "requirements-dev.txt").write_bytes(b"\xff\xfe\x00garbage")
    paths, notes = _run(tmp_path)
    assert paths == {"app.py", "lib/a1/__init__.py", "lib/a2/__init__.py", "lib/a3/__init__.py"} and notes == []


def test_force_exclude_applies_exclude_and_vendored_to_named_files(tmp_path: Path) -> None:
    """pre-commit names every staged file: with `--force-exclude` (the hook's entry) a named file
    under an excluded or vendored directory is skipped, as `check .` skips it."""
    write_tree(tmp_path, {
        "pyproject.toml": '[tool.backend-gates]\nextend-exclude = ["legacy"]\n',
        "requirements.txt": "requests\nurllib3\ncherrypy\n",
        "app.py": BARE, "legacy/old.py": BARE, **_copies(["requests", "urllib3", "cherrypy"]),
    })
    named = ["app.py", "legacy/old.py", "lib/urllib3/__init__.py"]
    assert _run(tmp_path, *named)[0] == set(named)
    assert _run(tmp_path, "--force-exclude", *named)[0] == {"app.py"}
    assert _run(tmp_path, "--force-exclude", "legacy", "lib")[0] == set()


def test_a_manifest_linked_from_outside_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "requirements.txt"
    outside.parent.mkdir()
    outside.write_text("a1\na2\na3\n")
    root = tmp_path / "project"
    write_tree(root, {"app.py": BARE, **_copies(["a1", "a2", "a3"])})
    (root / "requirements.txt").symlink_to(outside)
    paths, notes = _run(root)
    assert notes == [] and paths == {"app.py", "lib/a1/__init__.py", "lib/a2/__init__.py", "lib/a3/__init__.py"}
