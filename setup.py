"""Build hook: ship the semgrep rule pack (`rules/`) inside the wheel as `backend_gates/rules`.

Everything else is declared in pyproject.toml. The repository keeps the pack at the top level
(`rules/<lang>/<id>.yaml` beside its semgrep test file); `checks/semgrep/pack.py` looks for
`backend_gates/rules` first (installed) and falls back to the repository's `rules/` (editable).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithRulePack(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's rules/ directly
        source = HERE / "rules"
        target = Path(self.build_lib) / "backend_gates" / "rules"
        for path in sorted(source.rglob("*")):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".md"):
                dest = target / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)


setup(cmdclass={"build_py": BuildWithRulePack})
