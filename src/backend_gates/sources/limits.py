"""Reader limits: what a hostile or odd file may cost. One file over a limit becomes one finding
naming the limit; the run goes on and every other file keeps its findings.

- Only regular files inside the project are read: FIFOs, devices and sockets are skipped (they
  would hang or never end), and so are symlinks whose target leaves the project.
- A per-file size budget (`MAX_FILE_BYTES`), checked before reading, reading at most that much.
- A per-file time budget (`FILE_SECONDS`) for the analysis, where a timer can interrupt it.
- Python nesting is checked before libcst sees a file: libcst's native parser crashes the process
  (SIGSEGV) on a few thousand nested brackets and is quadratic on very deep expressions (long
  attribute or operator chains). Files that might be that deep are first parsed by CPython,
  whose parser has hard limits, and rejected when the expression depth exceeds `MAX_DEPTH`.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate

MAX_FILE_BYTES = int(os.environ.get("BACKEND_GATES_MAX_FILE_BYTES", 5_000_000))
FILE_SECONDS = float(os.environ.get("BACKEND_GATES_FILE_SECONDS", 60))
MAX_DEPTH = 200  # AST nesting; CPython itself refuses more than 200 nested brackets
_DEEP_BRACKETS = 100
_LONG_LINE = 2_000
_LONG_SPAN = 20_000  # characters inside one pair of brackets


class LimitExceeded(Exception):
    """A file over a reader limit; the message names the limit."""


def human(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


def special_reason(abs_path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str | None:
    """Why a discovered path must not be read (None: a regular file inside the project)."""
    try:
        link = os.lstat(abs_path)
    except (OSError, ValueError) as exc:
        return f"cannot read: {getattr(exc, 'strerror', None) or exc}"
    if stat.S_ISREG(link.st_mode):
        return None  # a regular file itself (not a link): what stat would say too
    if stat.S_ISLNK(link.st_mode) and root is not None:
        real = os.path.realpath(abs_path)
        base = os.path.realpath(root)
        if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
            return "symlink to a location outside the project (skipped: only files inside the project are read)"
    try:
        st = os.stat(abs_path)
    except (OSError, ValueError) as exc:
        return f"cannot read: {getattr(exc, 'strerror', None) or exc}"
    if not stat.S_ISREG(st.st_mode):
        what = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device" if (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else "not a regular file"
        return f"{what}, not a regular file (skipped)"
    return None


def inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def read_bounded(abs_path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The file's bytes, refusing special files and anything over `limit` without reading it
    whole. Raises LimitExceeded (naming the limit) or OSError."""
    limit = MAX_FILE_BYTES if limit is None else limit
    fd = os.open(abs_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LimitExceeded("not a regular file (FIFO, device or socket): not read")
        if st.st_size > limit:
            raise LimitExceeded(f"{human(st.st_size)} is over the per-file limit of {human(limit)} (BACKEND_GATES_MAX_FILE_BYTES)")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise LimitExceeded(f"over the per-file limit of {human(limit)} (BACKEND_GATES_MAX_FILE_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_project_text(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    """A UTF-8 text file referenced from another (a spec's $ref): inside the project, regular,
    bounded. Raises LimitExceeded with the reason, or OSError."""
    if "\x00" in os.fspath(path):
        raise LimitExceeded("the path contains a NUL byte")
    if root is not None and not inside(path, root):
        raise LimitExceeded("outside the project (only files inside the project are read)")
    raw = read_bounded(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LimitExceeded(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


# ----------------------------------------------------------------------------- time budget


@contextmanager
def time_budget(seconds: float | None = None) -> Iterator[None]:
    """Raise LimitExceeded when the block runs longer than `seconds` (main thread of a process
    only; elsewhere the block runs unbounded, as a timer cannot interrupt it)."""
    seconds = FILE_SECONDS if seconds is None else seconds
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        raise LimitExceeded(f"analysis took longer than the per-file limit of {seconds:g} s (BACKEND_GATES_FILE_SECONDS)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------- Python nesting

_BRACKETS = re.compile(r"[()\[\]{}]")
_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def _bracket_shape(source: str) -> tuple[int, int]:
    """(deepest bracket nesting, longest bracketed span in characters); brackets in strings and
    comments count too, which only makes the estimate cautious."""
    depth = deepest = longest = 0
    opened: list[int] = []
    for match in _BRACKETS.finditer(source):
        if _DELTA[match.group()] > 0:
            opened.append(match.start())
            depth += 1
            if depth > deepest:
                deepest = depth
        elif opened:
            span = match.start() - opened.pop()
            if span > longest:
                longest = span
            depth -= 1
    return deepest, longest


def _might_be_deep(source: str) -> bool:
    """Could this file nest deeper than libcst handles well? One long line, deep brackets, a long
    bracketed expression (a multi-line chain) or many backslash continuations."""
    longest_line = max(map(len, source.split("\n"))) if "\n" in source else len(source)
    if longest_line > _LONG_LINE or source.count("\\\n") > 400:
        return True
    if len(source) <= _LONG_SPAN:  # no span can be that long: the C-speed depth estimate suffices
        brackets = _BRACKETS.findall(source)
        return bool(brackets) and max(accumulate(map(_DELTA.__getitem__, brackets))) > _DEEP_BRACKETS
    deepest, span = _bracket_shape(source)
    return deepest > _DEEP_BRACKETS or span > _LONG_SPAN


def python_too_deep(source: str) -> tuple[int, int, str] | None:
    """(line, column, reason) when the file must not reach libcst, else None.

    Cheap for ordinary files (a bracket count and the longest line); files that might be deep are
    parsed by CPython first: what CPython rejects is reported with its message, and an accepted
    file whose expressions nest deeper than MAX_DEPTH is refused as over the limit."""
    nul = source.find("\x00")
    if nul >= 0:  # CPython refuses these files; libcst parses them and its checks then crash
        line = source.count("\n", 0, nul) + 1
        return (line, nul - (source.rfind("\n", 0, nul) + 1) + 1, "source code cannot contain NUL bytes")
    if not _might_be_deep(source):
        return None
    try:
        tree = compile(source, "<checked>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        return (exc.lineno or 1, (exc.offset or 1), exc.msg or "invalid syntax")
    except (RecursionError, MemoryError):
        return (1, 1, f"nested too deeply to analyse (over the nesting limit of {MAX_DEPTH})")
    except ValueError as exc:  # NUL bytes
        return (1, 1, str(exc))
    depth, where = _ast_depth(tree)
    if depth > MAX_DEPTH:
        return (where, 1, f"an expression nested {depth} levels deep is over the nesting limit of {MAX_DEPTH}")
    return None


def _ast_depth(tree: ast.AST) -> tuple[int, int]:
    """The deepest nesting in the tree and the line where it is (iterative: no recursion)."""
    deepest, line = 0, 1
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, line = depth, getattr(node, "lineno", line)
            if deepest > MAX_DEPTH:
                break
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1))
    return deepest, line


# ----------------------------------------------------------------------------- decoding


def decode_source(raw: bytes, kind: str) -> str:
    """File bytes as text: UTF-8, or for Python files the encoding a PEP 263 coding cookie names
    (`# -*- coding: latin-1 -*-` is valid Python). Raises UnicodeDecodeError, SyntaxError (a bad
    cookie) or LookupError (an unknown codec)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if kind != "python":
            raise
        import io
        import tokenize

        encoding, _lines = tokenize.detect_encoding(io.BytesIO(raw).readline)
        if encoding in ("utf-8", "utf-8-sig"):
            raise
        return raw.decode(encoding)
