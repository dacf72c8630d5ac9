"""BG360 severity through the CLI: a query per item fails DB-PERF (warning), except where the
per-item work is on purpose (a transaction per item, a write, batch code): info, still listed."""

from __future__ import annotations

import json
from pathlib import Path

from support import run_cli, write_tree

LOOPS = '''
from django.db import transaction


def lock_each(users):
    for user in users:
        with transaction.atomic():
            profile = Profile.objects.select_for_update().get(user=user)
            profile.visits += 1
            profile.save()


def names(users):
    return [Profile.objects.get(user=user).name for user in users]


def archive(users):
    for user in users:
        Profile.objects.filter(user=user).update(archived=True)
'''


def _bg360(root: Path, rel: str) -> dict[int, str]:
    done = run_cli("check", "--no-cache", "-f", "json", "--exit-zero", "--select", "BG360", cwd=root)
    assert done.returncode == 0, done.stderr
    return {f["line"]: f["severity"] for f in json.loads(done.stdout)["findings"] if f["rule"] == "BG360" and f["path"] == rel}


def _line(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def test_per_item_transactions_and_writes_are_info_reads_are_warnings(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "shop/views.py": LOOPS, "shop/models.py": "from django.db import models\n\n\nclass Profile(models.Model):\n    name = models.CharField(max_length=20)\n"})
    found = _bg360(tmp_path, "shop/views.py")
    assert found == {
        _line(LOOPS, "select_for_update"): "info",  # a unit of work per item
        _line(LOOPS, "Profile.objects.get(user=user).name"): "warning",
        _line(LOOPS, "update(archived=True)"): "info",  # a write per item
    }, found


def test_seed_data_modules_are_batch_code(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.backend-gates]\n", "shop/utils/random_data.py": LOOPS, "shop/models.py": "from django.db import models\n\n\nclass Profile(models.Model):\n    name = models.CharField(max_length=20)\n"})
    assert set(_bg360(tmp_path, "shop/utils/random_data.py").values()) == {"info"}
