"""Our options never change pytest's root and ini detection.

pytest picks the rootdir and ini file before plugin options are known, so in
`--backend-gates-report PATH` the PATH is taken for a test path: once the file exists (from the
second run on) and lies outside the project, the rootdir moves and pytest-django loses its
settings. That exact condition is refused with a clear message; the `=` form always works.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def _django_project(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.backend-gates]\npaths = ["proj"]\n')
    pytester.mkpydir("proj")
    (pytester.path / "proj" / "settings.py").write_text(
        'SECRET_KEY = "test-only-not-secret-000000000000000000000000"\nINSTALLED_APPS = ["django.contrib.contenttypes"]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
    )
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = proj.settings\n")
    pytester.makepyfile(test_settings="""
from django.conf import settings


def test_settings():
    assert settings.configured and settings.SECRET_KEY.startswith("test-only")
""")


@pytest.mark.parametrize("option", ["--backend-gates-report", "--backend-gates-config"])
def test_space_separated_path_outside_the_project_is_refused_clearly(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, option: str
) -> None:
    pytest.importorskip("pytest_django")
    _django_project(pytester)
    outside = tmp_path_factory.mktemp("elsewhere") / ("report.json" if option.endswith("report") else "gates.toml")
    if option.endswith("config"):
        outside.write_text("[tool.backend-gates]\npaths = ['proj']\n")
    args = ("-p", "no:cacheprovider", "--backend-gates", "--backend-gates-no-static", option, str(outside))
    if not outside.exists():  # the report exists from the second run on
        pytester.runpytest_subprocess(*args).assert_outcomes(passed=1)
        assert outside.exists()
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*backend-gates: write {option}={outside} (with '='): pytest chose its rootdir*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    # the documented alternative works, every time
    for _ in range(2):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--backend-gates", "--backend-gates-no-static", f"{option}={outside}")
        result.assert_outcomes(passed=1)
    if option.endswith("report"):
        assert outside.exists()


def test_space_separated_path_inside_the_project_keeps_working(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_django")
    _django_project(pytester)
    for _ in range(2):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--backend-gates", "--backend-gates-no-static", "--backend-gates-report", "out/report.json")
        result.assert_outcomes(passed=1)
    assert (pytester.path / "out" / "report.json").exists()
