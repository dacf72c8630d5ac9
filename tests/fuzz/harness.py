"""Shared harness for the reader fuzz suite (tests/fuzz) and the longer run (bench/fuzz_readers.py).

Every input goes through the engine's own per-file path (`engine.analyze_files`: bounded read,
decoding, nesting check, parse, every enabled check), so a crash here is a crash users would
hit. A *crash* is an exception escaping, or an `internal` tool error in the result (the engine
turned one of our exceptions into an incomplete run)."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_gates.config import load_config
from backend_gates.engine import FILE_KINDS, analyze_files, discover, selected

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


@dataclass
class Stats:
    inputs: int = 0
    crashes: list[str] = field(default_factory=list)


class Harness:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bg-fuzz-"))
        (self.dir / "pyproject.toml").write_text("[tool.backend-gates]\n")
        self.config = load_config(self.dir, overrides={"cache": False, "jobs": 1, "select": "ALL"})
        kinds = tuple(FILE_KINDS)
        self.checks: dict[str, list[tuple[type, dict[str, Any]]]] = {k: [] for k in kinds}
        for cls, opts in selected(self.config, kinds + ("tool",)):
            if cls.kind in self.checks:
                self.checks[cls.kind].append((cls, opts))
        self.stats = Stats()

    def crash_of(self, name: str, data: bytes) -> str | None:
        """Run one file through the engine; the crash description, or None."""
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.stats.inputs += 1
        try:
            files, _errors = discover([path], self.config)
            results = analyze_files(files, self.config, self.checks, 1)
        except Exception as exc:  # noqa: BLE001 - this is what the fuzz suite looks for
            return f"{type(exc).__name__}: {exc}"
        for _digest, result in results:
            for err in result.errors:
                if err.kind == "internal":
                    return err.message
        return None


def seeds(suffixes: tuple[str, ...], limit: int = 40) -> list[tuple[str, bytes]]:
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix in suffixes and path.stat().st_size < 20_000:
            out.append((path.name, path.read_bytes()))
    random.Random(0).shuffle(out)
    return out[:limit]


# ----------------------------------------------------------------------------- mutations


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of the mutation kinds the suite promises, chosen by rng."""
    kind = rng.randrange(9)
    if not data:
        data = b"x"
    if kind == 0:  # truncation
        return data[: rng.randrange(len(data) + 1)]
    if kind == 1:  # byte flips
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if kind == 2:  # deep nesting
        depth = rng.choice((50, 300, 1200, 3000))
        opener, closer = rng.choice(((b"(", b")"), (b"[", b"]"), (b"{", b"}")))
        return data + b"\nx = " + opener * depth + b"1" + closer * depth + b"\n"
    if kind == 3:  # NUL bytes
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]
    if kind == 4:  # a huge line
        return data + b"\nx = '" + b"a" * rng.choice((10_000, 200_000)) + b"'\n"
    if kind == 5:  # odd encodings
        text = data.decode("utf-8", "replace")
        enc = rng.choice(("latin-1", "utf-16", "utf-8-sig", "cp1252"))
        cookie = f"# -*- coding: {enc} -*-\n".encode("ascii") if rng.random() < 0.5 else b""
        return cookie + text.encode(enc, "replace")
    if kind == 6:  # splice two halves
        a, b = rng.randrange(len(data) + 1), rng.randrange(len(data) + 1)
        return data[:a] + data[b:]
    if kind == 7:  # duplicate a slice
        a = rng.randrange(len(data) + 1)
        return data[:a] + data[a : a + rng.randint(1, 400)] * rng.randint(2, 20) + data[a:]
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))  # noise
