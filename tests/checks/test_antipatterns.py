"""AP-ERROR-HANDLING, AP-HARDCODED-CONFIG and AP-SYNC-LONG on annotated fixtures and edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import FIXTURES, expectations, run_engine, write_tree

OURS = ("BG401", "BG402", "BG403", "BG404", "BG410", "BG411", "BG412", "BG420", "BG421")


def _found(report) -> set[tuple[str, int, str]]:
    root = Path(report.root)
    out = set()
    for f in report.findings:
        if f.code in OURS:
            path = (Path(report.root) / f.location.path).resolve().relative_to(root).as_posix()
            out.add((path, f.location.line, f.code))
    return out


@pytest.mark.parametrize("project", ["bad_fastapi", "antipatterns"])
def test_annotated_fixture_matches_exactly(project: str) -> None:
    root = FIXTURES / project
    report = run_engine(root)
    expected = {e for e in expectations(root) if e[2] in OURS}
    found = _found(report)
    assert found - expected == set(), "unexpected findings"
    assert expected - found == set(), "missed findings"


def test_clean_fixture_has_none_of_these_findings() -> None:
    report = run_engine(FIXTURES / "clean_flask")
    assert _found(report) == set()


def test_every_family_fires_on_the_bad_fixture() -> None:
    report = run_engine(FIXTURES / "bad_fastapi")
    gates = {f.gate for f in report.findings if f.code in OURS}
    assert {"AP-ERROR-HANDLING", "AP-HARDCODED-CONFIG", "AP-SYNC-LONG"} <= gates


def test_dsn_credentials_never_appear_in_messages(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "svc.py": 'DB = "mysql+pymysql://shop:Hunter2Secret@db.acme.io/shop"\n'})
    report = run_engine(tmp_path)
    hits = [f for f in report.findings if f.code == "BG412"]
    assert len(hits) == 1
    assert "Hunter2Secret" not in hits[0].message and "db.acme.io" in hits[0].message


def test_aliases_resolve_and_unrelated_calls_do_not_fire(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "a.py": (
                "from time import sleep as nap\n"
                "import requests as r\n"
                "async def h(cache):\n"
                "    nap(1)\n"
                "    cache.get('k')\n"
                "    r.get(URL, timeout=3)\n"
                "def sleep(x):\n"
                "    return x\n"
            ),
            "b.py": "async def h(cache):\n    cache.get('k')\n    sleep(1)\n    open_door()\n",
        },
    )
    report = run_engine(tmp_path)
    lines = sorted((f.location.path, f.location.line) for f in report.findings if f.code == "BG420")
    assert lines == [("a.py", 4), ("a.py", 6)]


def test_helper_defined_after_the_async_caller_and_decorated_helpers(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.backend-gates]\n",
            "v.py": (
                "import time\nfrom asgiref.sync import sync_to_async\n"
                "async def a():\n    later()\n    wrapped()\n"
                "def later():\n    time.sleep(1)\n"
                "@sync_to_async\ndef wrapped():\n    time.sleep(1)\n"
            ),
        },
    )
    report = run_engine(tmp_path)
    assert [f.location.line for f in report.findings if f.code == "BG420"] == [4]


def test_broad_except_handling_variants(tmp_path: Path) -> None:
    cases = {
        "logs.py": "try:\n    go()\nexcept Exception:\n    self.logger.info('x')\n",
        "prints.py": "try:\n    go()\nexcept Exception:\n    traceback.print_exc()\n",
        "exits.py": "try:\n    go()\nexcept Exception:\n    sys.exit(1)\n",
        "nested_raise.py": "try:\n    go()\nexcept Exception:\n    if retry:\n        raise\n    cleanup()\n",
        "returns_none.py": "def f():\n    try:\n        go()\n    except Exception:\n        return None\n",
        "fallback.py": "try:\n    x = go()\nexcept BaseException:\n    x = 0\n",
    }
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", **cases})
    report = run_engine(tmp_path)
    assert sorted(f.location.path for f in report.findings if f.code == "BG403") == ["fallback.py", "returns_none.py"]
