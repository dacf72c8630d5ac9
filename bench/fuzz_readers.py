"""The long fuzz run: mutate real files through every reader, report inputs run and crashes.

    python bench/fuzz_readers.py [--minutes 10] [--seed 0] [--corpus DIR ...]

Seeds: the repository's fixtures plus any corpus directories (e.g. /work/real/*). Each input is
one mutation (truncation, byte flips, deep nesting, NUL bytes, huge lines, odd encodings,
splices, duplication, noise) of a seed, run through the engine's per-file path like the CI
suite in tests/fuzz (same harness). A crash is an exception or an `internal` tool error; each
one is printed with the seed and mutation so it can become a regression test.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz.harness import FIXTURES, Harness, mutate  # noqa: E402

SUFFIXES = {".py": "mut.py", ".sql": "migrations/0001_mut.sql", ".yaml": "openapi.yaml", ".yml": "openapi.yaml", ".json": "openapi.json"}


def corpus(dirs: list[Path], per_kind: int, rng: random.Random) -> list[tuple[str, bytes]]:
    found: dict[str, list[Path]] = {}
    for base in [FIXTURES, *dirs]:
        for path in base.rglob("*"):
            if path.suffix in SUFFIXES and path.is_file() and not path.is_symlink() and path.stat().st_size < 200_000:
                found.setdefault(path.suffix, []).append(path)
    out = []
    for suffix, paths in found.items():
        rng.shuffle(paths)
        out += [(SUFFIXES[suffix], p.read_bytes()) for p in paths[:per_kind]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-kind", type=int, default=300, help="seed files per file kind")
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = corpus(args.corpus, args.per_kind, rng)
    harness = Harness()
    deadline = time.monotonic() + args.minutes * 60
    by_kind: dict[str, int] = {}
    while time.monotonic() < deadline:
        name, data = rng.choice(seeds)
        state = rng.getstate()
        mutated = mutate(data, rng)
        crash = harness.crash_of(name, mutated)
        by_kind[name] = by_kind.get(name, 0) + 1
        if crash:
            harness.stats.crashes.append(crash)
            out = Path(f"/tmp/bg-fuzz-crash-{len(harness.stats.crashes)}{Path(name).suffix}")
            out.write_bytes(mutated)
            print(f"CRASH {name}: {crash[:200]} (input saved to {out}; rng state hash {hash(state)})", flush=True)
    print(f"inputs: {harness.stats.inputs} ({', '.join(f'{k}: {v}' for k, v in sorted(by_kind.items()))}); seeds: {len(seeds)}; crashes: {len(harness.stats.crashes)}")
    return 1 if harness.stats.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
