"""Validation of the on-disk cache before any of it is used.

The cache is a convenience, never an input: a file of the wrong shape, from another tool version,
edited by hand, cut short by a SIGKILL, or restored by CI from another branch must never decide
a verdict. So:

- every cache file is `header line + body`: the header names the format, the tool version and a
  keyed digest of the body (the key is the ruleset and analysis key, so a file written for other
  rules or settings does not verify); any mismatch discards the whole file, which is rebuilt;
- every entry is checked for shape before it is replayed (a doubtful entry is a cache miss);
- dependency paths recorded in an entry are only read when they lie inside the project (a
  poisoned cache cannot make the tool read /etc/shadow or a FIFO);
- results with transient errors (internal errors, time budget) are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from .version import __version__
from .sources.limits import LimitExceeded, inside, read_bounded

_ENTRY_KEYS = {"hash", "result", "fact_kinds", "deps"}
_RESULT_KEYS = {"path", "kind", "lines", "findings", "suppressions", "errors"}
_FINDING_KEYS = {"rule", "name", "severity", "message", "path", "line", "column", "end_line", "end_column"}
_TRANSIENT = ("took longer than the per-file limit", "the analysis process died")


def _digest(key: str, body: bytes) -> str:
    return hashlib.blake2b(body, key=key.encode()[:64], digest_size=20).hexdigest()


def dump(path: Path, key: str, fmt: int, data: dict[str, Any]) -> None:
    """Write `data` atomically with a verifying header (temp file + rename)."""
    body = json.dumps(data, separators=(",", ":")).encode("utf-8", "backslashreplace")
    header = json.dumps({"format": fmt, "tool": __version__, "digest": _digest(key, body)}).encode()
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(header + b"\n" + body)
    os.replace(tmp, path)


def load(path: Path, key: str, fmt: int, seen: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The body of a cache file written by this tool version for this key, or None (absent,
    unreadable, truncated, edited, another version or format, not a JSON object). `seen`, when
    given, receives the verified body digest under "digest" (what a delta file names: `body_digest`)."""
    try:
        raw = read_bounded(path, 1 << 30)
    except (OSError, LimitExceeded):
        return None
    header, sep, body = raw.partition(b"\n")
    if not sep:
        return None
    try:
        head = json.loads(header)
        if not isinstance(head, dict) or head.get("format") != fmt or head.get("tool") != __version__:
            return None
        if head.get("digest") != _digest(key, body):
            return None
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if seen is not None:
        seen["digest"] = str(head["digest"])
    return data


def body_digest(path: Path) -> str | None:
    """The body digest a cache file's header names, read from its header line alone (a delta
    written against it names it; `load` verifies the body when the file is read)."""
    try:
        with open(path, "rb") as handle:
            head = json.loads(handle.readline(4096))
    except (OSError, ValueError):
        return None
    digest = head.get("digest") if isinstance(head, dict) else None
    return digest if isinstance(digest, str) else None


def valid_entry(entry: Any) -> bool:
    """A file entry has the shape the engine replays (checked before use: doubt is a miss)."""
    if not isinstance(entry, dict) or not _ENTRY_KEYS <= entry.keys() or not isinstance(entry["hash"], str):
        return False
    result = entry["result"]
    if not isinstance(result, dict) or not _RESULT_KEYS <= result.keys():
        return False
    if not isinstance(result["findings"], list) or not isinstance(result["errors"], list) or not isinstance(result["suppressions"], list):
        return False
    # (most lists are empty: no generator is made for them; a warm run checks every entry)
    findings, errors, deps = result["findings"], result["errors"], entry["deps"]
    if findings and not all(isinstance(f, dict) and _FINDING_KEYS <= f.keys() for f in findings):
        return False
    if errors and not all(isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("message"), str) for e in errors):
        return False
    if not isinstance(entry["fact_kinds"], list) or not isinstance(deps, list):
        return False
    return not deps or all(isinstance(d, dict) and isinstance(d.get("path"), str) for d in deps)


def stale_depends(hit: dict[str, Any], root: Path) -> bool:
    """A cached result that read other files (spec $refs) is stale when one of them changed.
    Only paths inside the project are read; any other recorded path makes the entry stale."""
    for dep in hit.get("deps", ()):
        path = dep.get("path", "") if isinstance(dep, dict) else ""
        if not isinstance(path, str) or "\x00" in path or not inside(path, root):
            return True
        try:
            digest = hashlib.blake2b(read_bounded(path), digest_size=16).hexdigest()
        except (OSError, ValueError, LimitExceeded):
            digest = ""
        if digest != dep.get("digest"):
            return True
    return False


def transient(errors: list[Any]) -> bool:
    """Results that must not be cached: an internal error (a MemoryError, a bug) or a budget
    that depends on the machine's load; the next run tries again."""
    return any(e.kind == "internal" or any(t in e.message for t in _TRANSIENT) for e in errors)


def sweep_temporaries(directory: Path, older_than: float = 600.0) -> None:
    """Temp files of runs killed half-way (SIGKILL before the rename)."""
    now = time.time()
    try:
        for tmp in directory.glob("*.tmp*"):
            try:
                if now - tmp.stat().st_mtime > older_than:
                    tmp.unlink()
            except OSError:
                pass
    except OSError:
        pass
