"""Side by side with bandit (and ruff's `S` rules when ruff is installed) on labelled cases.

Cases live in fixtures/compare/<category>/<label>_<name>.py: one file per case, `label` is `bad`
(a real problem every tool should report) or `safe` (code that must not be reported), category is
one of the categories below. A tool "catches" a case when it reports, in that file, a rule of the
case's category (table below); on safe cases that is a false positive. Categories: `sqli`,
`secret`, `crypto`, `config` (hardcoded configuration, credentials included), `errors` (error
handling, timeouts) and `blocking` (blocking calls in async code, slow work in handlers; bandit
and ruff `S` have no rule for it).

    python bench/compare_bandit.py            # writes docs/comparison.md
    python bench/compare_bandit.py --check    # exits 1 unless we catch every case bandit or
                                              # ruff catches and raise fewer false positives
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "fixtures" / "compare"
OUTPUT = REPO / "docs" / "comparison.md"

# rules of each tool that belong to a category
RULES: dict[str, dict[str, frozenset[str]]] = {
    "bandit": {
        "sqli": frozenset({"B608", "B610", "B611"}),
        "secret": frozenset({"B105", "B106", "B107"}),
        "crypto": frozenset({"B303", "B304", "B305", "B311", "B323", "B324", "B501", "B502", "B503", "B504", "B505", "B507", "B413"}),
        # hardcoded configuration: Flask debug, and credentials (which count as configuration too)
        "hardcoded-config": frozenset({"B201", "B105", "B106", "B107"}),
        "errors": frozenset({"B110", "B112", "B113"}),
        "blocking": frozenset(),
    },
    "ruff": {
        "sqli": frozenset({"S608", "S610", "S611"}),
        "secret": frozenset({"S105", "S106", "S107"}),
        "crypto": frozenset({"S303", "S304", "S305", "S311", "S323", "S324", "S501", "S502", "S503", "S504", "S505", "S507", "S413"}),
        "hardcoded-config": frozenset({"S201", "S105", "S106", "S107"}),
        "errors": frozenset({"S110", "S112", "S113"}),
        "blocking": frozenset(),
    },
    "backend-gates": {
        "sqli": frozenset({"BG201", "BG202"}),
        "secret": frozenset({"BG210", "BG211", "BG212"}),
        "crypto": frozenset({"BG220", "BG221", "BG222", "BG223", "BG224", "BG225", "BG230"}),
        "hardcoded-config": frozenset({"BG410", "BG411", "BG412", "BG413", "BG414", "BG415"}),
        "errors": frozenset({"BG401", "BG402", "BG403", "BG404"}),
        "blocking": frozenset({"BG420", "BG421"}),
    },
}
CATEGORIES = tuple(RULES["backend-gates"])


@dataclass(frozen=True)
class Case:
    path: str  # relative to the cases root, '/'-separated
    category: str
    label: str  # bad | safe
    name: str


@dataclass
class Row:
    case: Case
    hits: dict[str, bool | None] = field(default_factory=dict)  # tool -> caught (None: tool missing)


def load_cases(root: Path = CASES) -> list[Case]:
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        category = rel.split("/", 1)[0]
        label, _, name = path.stem.partition("_")
        if label in ("bad", "safe") and category in RULES["bandit"]:
            out.append(Case(rel, category, label, name))
    return out


def run_bandit(root: Path = CASES) -> dict[str, set[str]] | None:
    """file -> bandit test ids reported there (all severities and confidences)."""
    try:
        import bandit  # noqa: F401
    except ImportError:
        return None
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"],
        cwd=root, capture_output=True, text=True, timeout=600,
    )
    data = json.loads(proc.stdout or "{}")
    out: dict[str, set[str]] = {}
    for result in data.get("results", []):
        rel = Path(result["filename"]).as_posix().removeprefix("./")
        out.setdefault(rel, set()).add(result["test_id"])
    return out


def run_ruff(root: Path = CASES) -> dict[str, set[str]] | None:
    exe = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(exe).exists():
        return None
    proc = subprocess.run(
        [exe, "check", "--isolated", "--no-cache", "--select", "S", "--output-format", "json", "--exit-zero", "."],
        cwd=root, capture_output=True, text=True, timeout=600,
    )
    out: dict[str, set[str]] = {}
    for result in json.loads(proc.stdout or "[]"):
        rel = Path(result["filename"]).resolve().relative_to(root.resolve()).as_posix()
        out.setdefault(rel, set()).add(result["code"])
    return out


def run_ours(root: Path = CASES) -> dict[str, set[str]]:
    from backend_gates.config import load_config
    from backend_gates.engine import check

    config = load_config(root, overrides={"cache": False, "jobs": 1, "test-paths": []}, environ={})
    report = check([root], config)
    out: dict[str, set[str]] = {}
    for finding in report.findings:
        path = Path(finding.location.path)
        abs_path = path if path.is_absolute() else (config.root / path)
        rel = abs_path.resolve().relative_to(root.resolve()).as_posix()
        out.setdefault(rel, set()).add(finding.code)
    return out


def compare(root: Path = CASES) -> tuple[list[Row], list[str]]:
    """One row per case; the list of tools that ran."""
    results = {"bandit": run_bandit(root), "ruff": run_ruff(root), "backend-gates": run_ours(root)}
    tools = [t for t, r in results.items() if r is not None]
    rows = []
    for case in load_cases(root):
        row = Row(case)
        for tool, found in results.items():
            if found is None:
                row.hits[tool] = None
                continue
            row.hits[tool] = bool(found.get(case.path, set()) & RULES[tool][case.category])
        rows.append(row)
    return rows, tools


def score(rows: list[Row], tool: str, category: str | None = None) -> dict[str, int]:
    """caught bad cases, total bad, false positives on safe cases, total safe."""
    picked = [r for r in rows if category is None or r.case.category == category]
    bad = [r for r in picked if r.case.label == "bad"]
    safe = [r for r in picked if r.case.label == "safe"]
    return {
        "caught": sum(1 for r in bad if r.hits.get(tool)),
        "bad": len(bad),
        "false_positives": sum(1 for r in safe if r.hits.get(tool)),
        "safe": len(safe),
    }


def missed_by_us(rows: list[Row], categories: tuple[str, ...] = CATEGORIES) -> list[str]:
    """Bad cases bandit or ruff `S` catches and backend-gates does not (must be empty)."""
    return [
        r.case.path
        for r in rows
        if r.case.category in categories
        and r.case.label == "bad"
        and (r.hits.get("bandit") or r.hits.get("ruff"))
        and not r.hits.get("backend-gates")
    ]


def render_markdown(rows: list[Row], tools: list[str]) -> str:
    mark = {True: "caught", False: "–", None: "n/a"}
    safe_mark = {True: "**false positive**", False: "quiet", None: "n/a"}
    lines = [
        "# backend-gates, bandit and ruff `S` side by side",
        "",
        "Generated by `python bench/compare_bandit.py` from the labelled cases in `fixtures/compare/`",
        "(one file per case: `bad_*` must be reported, `safe_*` must not). A tool counts as reporting",
        "a case when it raises, in that file, one of its rules for the case's category:",
        "",
    ]
    for tool in ("bandit", "ruff", "backend-gates"):
        cats = "; ".join(f"{c}: {', '.join(sorted(ids)) or '(no rule)'}" for c, ids in RULES[tool].items())
        lines.append(f"- **{tool}**: {cats}")
    lines += ["", "## Summary", "", "| category | tool | bad cases caught | false positives on safe cases |", "|---|---|---|---|"]
    for category in CATEGORIES:
        for tool in ("bandit", "ruff", "backend-gates"):
            if tool not in tools:
                continue
            s = score(rows, tool, category)
            lines.append(f"| {category} | {tool} | {s['caught']}/{s['bad']} | {s['false_positives']}/{s['safe']} |")
    header = "| case | label | " + " | ".join(("ruff-S" if t == "ruff" else t) for t in ("bandit", "ruff", "backend-gates")) + " |"
    lines += ["", "## Cases", "", header, "|---|---|---|---|---|"]
    for row in rows:
        marks = mark if row.case.label == "bad" else safe_mark
        cells = [marks[row.hits.get(t)] for t in ("bandit", "ruff", "backend-gates")]
        lines.append(f"| `{row.case.path}` | {row.case.label} | " + " | ".join(cells) + " |")
    missing = missed_by_us(rows)
    lines += ["", f"Cases bandit or ruff `S` catches that backend-gates misses: {len(missing)}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="verify the property, do not write")
    args = parser.parse_args(argv)
    rows, tools = compare()
    if "bandit" not in tools:
        print("bandit is not installed (pip install 'backend-gates[test]')", file=sys.stderr)
        return 2
    if args.check:
        ok = not missed_by_us(rows)
        for category in CATEGORIES:
            ours = score(rows, "backend-gates", category)
            for tool in ("bandit", "ruff"):
                if tool not in tools:
                    continue
                theirs = score(rows, tool, category)
                ok = ok and ours["false_positives"] <= theirs["false_positives"] and ours["caught"] >= theirs["caught"]
        return 0 if ok else 1
    args.output.write_text(render_markdown(rows, tools), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
