"""`check --fix`: libcst codemods for findings whose fix is unambiguous (`--diff` previews them).

A fixer belongs to one rule code and rewrites only the node the finding points at (its line and
column), so two findings on one line are fixed independently and nothing else in the file
changes. Fixed code must parse; a file whose fixed text does not is left untouched (and said so).

Fixers, each with before/after examples that the tests run (`EXAMPLES`):

  BG404  outbound HTTP call without timeout     add `timeout=<fix.timeout>` (default 10 seconds)
  BG221  `verify=False` on an HTTP call         remove the argument (verification is the default)
  BG401  bare `except:`                         `except Exception:` (the handler, re-raise included, stays)
  BG705  `yaml.load(...)` on untrusted data     `yaml.safe_load(...)` (`Loader=` dropped)
  BG103  FastAPI create route answering 200     `status_code=201` on the route decorator
  BG320  foreign-key column without an index    `index=True` on the SQLAlchemy Column/mapped_column
  BG226  md5/sha1 as a checksum or key          `usedforsecurity=False` (the rule is off by default)

Not fixed automatically: a fix that needs a decision (which exceptions, which secret store, what
to index in SQL files, Flask/Django status codes) stays a finding with its `fix` hint.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .model import Finding, Report

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
_NO_SPACE = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


@dataclass(frozen=True, slots=True)
class Target:
    line: int
    column: int  # 1-based, as in findings


@dataclass(frozen=True, slots=True)
class FileFix:
    """The fixed text of one file and the findings it fixes."""

    path: str
    before: str
    after: str
    fixed: tuple[tuple[str, int], ...]  # (rule code, line)

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), f"a/{self.path}", f"b/{self.path}"
            )
        )


# ----------------------------------------------------------------------------- argument helpers


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Append `name=value`, keeping a multi-line call's layout (one argument per line)."""
    new = cst.Arg(value=value, keyword=cst.Name(name), equal=_NO_SPACE)
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if last.star == "**":
        return call  # `**kwargs` may already carry it: not unambiguous
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new argument goes on its own line
        before_last = call.whitespace_before_args if len(args) == 1 else args[-2].comma.whitespace_after  # type: ignore[union-attr]
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_before=last.comma.whitespace_before, whitespace_after=before_last))
        args.append(new.with_changes(comma=last.comma))
    else:  # the whitespace before `)` (a newline in a multi-line call) moves to the new last argument
        args[-1] = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def _drop_keyword(call: cst.Call, name: str) -> cst.Call:
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            if index == len(args) - 1 and index > 0:  # keep the layout before `)`
                args[index - 1] = args[index - 1].with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
            del args[index]
            return call.with_changes(args=args)
    return call


def _name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


# ----------------------------------------------------------------------------- transformers


class _AtTargets(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: set[Target], options: dict[str, Any]) -> None:
        super().__init__()
        self.targets = targets
        self.lines = {t.line for t in targets}
        self.options = options
        self.done: set[Target] = set()

    def _at(self, node: cst.CSTNode, *, line_only: bool = False) -> Target | None:
        pos = self.get_metadata(PositionProvider, node).start
        for target in self.targets:
            if target.line == pos.line and (line_only or target.column == pos.column + 1):
                return target
        return None


class _Timeout(_AtTargets):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._at(original)
        if target is None or _keyword(updated, "timeout") is not None:
            return updated
        timeout = float(self.options.get("timeout", DEFAULT_TIMEOUT))
        value: cst.BaseExpression = cst.Integer(str(int(timeout))) if timeout.is_integer() else cst.Float(repr(timeout))
        fixed = _add_keyword(updated, "timeout", value)
        if fixed is not updated:
            self.done.add(target)
        return fixed


class _VerifyDefault(_AtTargets):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._at(original)
        arg = _keyword(updated, "verify")
        if target is None or arg is None or not (isinstance(arg.value, cst.Name) and arg.value.value == "False"):
            return updated
        self.done.add(target)
        return _drop_keyword(updated, "verify")


class _ExceptException(_AtTargets):
    def leave_ExceptHandler(self, original: cst.ExceptHandler, updated: cst.ExceptHandler) -> cst.ExceptHandler:
        target = self._at(original)
        if target is None or updated.type is not None:
            return updated
        self.done.add(target)
        return updated.with_changes(type=cst.Name("Exception"), whitespace_after_except=cst.SimpleWhitespace(" "))


class _YamlSafeLoad(_AtTargets):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._at(original)
        func = updated.func
        if target is None or not isinstance(func, cst.Attribute) or func.attr.value not in ("load", "load_all"):
            return updated
        if not (isinstance(func.value, cst.Name) and func.value.value == "yaml"):
            return updated
        self.done.add(target)
        safe = "safe_load" if func.attr.value == "load" else "safe_load_all"
        return _drop_keyword(updated.with_changes(func=func.with_changes(attr=cst.Name(safe))), "Loader")


class _Status201(_AtTargets):
    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        pos = self.get_metadata(PositionProvider, original.name).start
        target = next((t for t in self.targets if t.line == pos.line), None)
        if target is None:
            return updated
        decorators = list(updated.decorators)
        for index, dec in enumerate(decorators):
            call = dec.decorator
            if isinstance(call, cst.Call) and _name(call.func) == "post" and _keyword(call, "status_code") is None:
                decorators[index] = dec.with_changes(decorator=_add_keyword(call, "status_code", cst.Integer("201")))
                self.done.add(target)
                return updated.with_changes(decorators=decorators)
        return updated


class _IndexForeignKey(_AtTargets):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._at(original, line_only=True)
        if target is None or target in self.done or _name(updated.func) not in ("Column", "mapped_column"):
            return updated
        has_fk = any(isinstance(a.value, cst.Call) and _name(a.value.func) == "ForeignKey" for a in updated.args)
        if not has_fk or _keyword(updated, "index") is not None:
            return updated
        self.done.add(target)
        return _add_keyword(updated, "index", cst.Name("True"))


_HASH_CONSTRUCTORS = frozenset({"md5", "sha1", "new"})


class _NotForSecurity(_AtTargets):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._at(original)
        # `hashlib.md5(x).hexdigest()` starts where `hashlib.md5(x)` does: the constructor is the one
        if target is None or _name(updated.func) not in _HASH_CONSTRUCTORS or _keyword(updated, "usedforsecurity") is not None:
            return updated
        fixed = _add_keyword(updated, "usedforsecurity", cst.Name("False"))
        if fixed is not updated:
            self.done.add(target)
        return fixed


@dataclass(frozen=True)
class Fixer:
    code: str
    title: str
    transformer: type[_AtTargets]
    applies: Callable[[str], bool] = lambda source: True
    examples: tuple[tuple[str, str], ...] = field(default=())


def _fastapi_module(source: str) -> bool:
    return "fastapi" in source and "flask" not in source.lower()


FIXERS: dict[str, Fixer] = {
    f.code: f
    for f in (
        Fixer(
            "BG221", "remove `verify=False` (certificate verification is the default)", _VerifyDefault,
            examples=(
                ("import requests\n\n\ndef pay(url, body):\n    return requests.post(url, json=body, verify=False, timeout=5)\n",
                 "import requests\n\n\ndef pay(url, body):\n    return requests.post(url, json=body, timeout=5)\n"),
                ("import httpx\n\n\ndef get(url):\n    return httpx.get(url, timeout=3, verify=False)\n",
                 "import httpx\n\n\ndef get(url):\n    return httpx.get(url, timeout=3)\n"),
                ("import requests\n\n\ndef upload(url, data):\n    return requests.put(\n        url, data=data, timeout=5, verify=False\n    )\n",
                 "import requests\n\n\ndef upload(url, data):\n    return requests.put(\n        url, data=data, timeout=5\n    )\n"),
            ),
        ),
        Fixer(
            "BG404", "add `timeout=` (setting fix.timeout, default 10 s)", _Timeout,
            examples=(
                ("import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
                 "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=10)\n"),
                ("import requests\n\n\ndef notify(url, body):\n    requests.post(\n        url,\n        json=body,\n    )\n",
                 "import requests\n\n\ndef notify(url, body):\n    requests.post(\n        url,\n        json=body,\n        timeout=10,\n    )\n"),
                ("import requests\n\n\ndef notify(url, body):\n    requests.post(\n        url, json=body\n    )\n",
                 "import requests\n\n\ndef notify(url, body):\n    requests.post(\n        url, json=body, timeout=10\n    )\n"),
            ),
        ),
        Fixer(
            "BG401", "`except:` -> `except Exception:`", _ExceptException,
            examples=(
                ("import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef load(repo):\n    try:\n        return repo.load()\n    except:\n        log.exception('load failed')\n        raise\n\n\ndef save(repo):\n    try:\n        repo.save()\n    except:  # legacy\n        log.warning('save failed')\n",
                 "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef load(repo):\n    try:\n        return repo.load()\n    except:\n        log.exception('load failed')\n        raise\n\n\ndef save(repo):\n    try:\n        repo.save()\n    except Exception:  # legacy\n        log.warning('save failed')\n"),
            ),
        ),
        Fixer(
            "BG705", "`yaml.load` -> `yaml.safe_load`", _YamlSafeLoad,
            examples=(
                ("import yaml\nfrom flask import request\n\n\ndef upload():\n    return yaml.load(request.data, Loader=yaml.Loader)\n",
                 "import yaml\nfrom flask import request\n\n\ndef upload():\n    return yaml.safe_load(request.data)\n"),
            ),
        ),
        Fixer(
            "BG103", "`status_code=201` on a FastAPI create route", _Status201, applies=_fastapi_module,
            examples=(
                ("from fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\n@app.post('/orders')\ndef create(db=Depends(get_db)):\n    db.add(Order())\n    db.commit()\n    return {}\n",
                 "from fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\n@app.post('/orders', status_code=201)\ndef create(db=Depends(get_db)):\n    db.add(Order())\n    db.commit()\n    return {}\n"),
            ),
        ),
        Fixer(
            "BG320", "`index=True` on a SQLAlchemy foreign-key column", _IndexForeignKey,
            examples=(
                ("from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
                 "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n\n\n"
                 "class Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n    user_id = Column(Integer, ForeignKey('users.id'))\n",
                 "from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\n"
                 "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n\n\n"
                 "class Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n    user_id = Column(Integer, ForeignKey('users.id'), index=True)\n"),
            ),
        ),
        Fixer(
            "BG226", "`usedforsecurity=False` on md5/sha1 used as a checksum or key", _NotForSecurity,
            examples=(
                ("import hashlib\n\n\ndef etag(body):\n    return hashlib.md5(body).hexdigest()\n",
                 "import hashlib\n\n\ndef etag(body):\n    return hashlib.md5(body, usedforsecurity=False).hexdigest()\n"),
                ("import hashlib\n\n\ndef file_md5(path):\n    h = hashlib.md5()\n    with open(path, 'rb') as f:\n        h.update(f.read())\n    return h.hexdigest()\n",
                 "import hashlib\n\n\ndef file_md5(path):\n    h = hashlib.md5(usedforsecurity=False)\n    with open(path, 'rb') as f:\n        h.update(f.read())\n    return h.hexdigest()\n"),
                ("from hashlib import sha1\n\n\ndef cache_key(url):\n    return sha1(url.encode()).hexdigest()\n",
                 "from hashlib import sha1\n\n\ndef cache_key(url):\n    return sha1(url.encode(), usedforsecurity=False).hexdigest()\n"),
                ("import hashlib\n\n\ndef checksum(blob):\n    return hashlib.new('md5', blob).hexdigest()\n",
                 "import hashlib\n\n\ndef checksum(blob):\n    return hashlib.new('md5', blob, usedforsecurity=False).hexdigest()\n"),
            ),
        ),
    )
}


def can_fix(finding: "Finding") -> bool:
    return finding.code in FIXERS and finding.location.path.endswith(".py") and not finding.suppressed


def fix_source(source: str, targets: dict[str, set[Target]], options: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, int]]]:
    """Apply the fixers for `targets` (rule code -> positions) to one file's text."""
    options = options or {}
    fixed: list[tuple[str, int]] = []
    text = source
    for code, fixer in FIXERS.items():  # a fixed order: verify=False is removed before timeout= is added
        wanted = targets.get(code)
        if not wanted or not fixer.applies(text):
            continue
        module = cst.parse_module(text)
        transformer = fixer.transformer(wanted, options)
        text = MetadataWrapper(module).visit(transformer).code
        fixed.extend((code, t.line) for t in sorted(transformer.done, key=lambda t: (t.line, t.column)))
    return text, fixed


def plan(report: "Report", config: "Config") -> tuple[list[FileFix], list[str]]:
    """The fixes for a report's fixable findings, file by file; and problems (files left alone)."""
    by_file: dict[str, dict[str, set[Target]]] = {}
    for f in report.findings:
        if can_fix(f):
            by_file.setdefault(f.location.path, {}).setdefault(f.code, set()).add(Target(f.location.line, f.location.column))
    options = {"timeout": config["fix.timeout"]}
    out: list[FileFix] = []
    problems: list[str] = []
    for rel, targets in sorted(by_file.items()):
        path = config.root / rel
        try:
            before = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: not fixed: cannot read it ({exc})")
            continue
        try:
            after, fixed = fix_source(before, targets, options)
            compile(after, rel, "exec")
        except (cst.ParserSyntaxError, SyntaxError, ValueError) as exc:
            problems.append(f"{rel}: not fixed: the fixed text would not parse ({exc})")
            continue
        if after != before and fixed:
            out.append(FileFix(rel, before, after, tuple(fixed)))
    return out, problems


def write(fixes: Iterable[FileFix], root: Path) -> int:
    count = 0
    for fix in fixes:
        (root / fix.path).write_text(fix.after, encoding="utf-8")
        count += len(fix.fixed)
    return count
