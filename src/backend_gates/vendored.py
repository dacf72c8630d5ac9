"""Third-party packages copied into a project ("vendored"): found by discovery and not checked.

A reviewer does not act on a copy of urllib3 shipped in `lib/`: its findings are the upstream
project's, and a change of this project cannot fix them. A directory is vendored when it is a
root of other projects' packages rather than part of the project's own code:

- it holds installed distributions' metadata (`*.dist-info`, `*.egg-info`: `pip install --target`); or
- it is not itself a package (no `__init__.py`), is not the project root, and at least three of its
  packages or modules carry the import names of requirements the project declares
  (requirements*.txt, pyproject.toml, Pipfile, setup.cfg): the project depends on them and ships
  their copies; or
- it is not a package and holds three or more of the pure-Python packages most often copied
  into applications (requests, urllib3, six, ...: `COMMONLY_VENDORED`); or
- it is named like a vendor directory (`vendor`, `_vendor`, `third_party`, ...) and one of its
  packages is one of those.

A package of the project that wraps a library (`payments/stripe/`) lives inside a package, so it is
never taken for a copy. `skip-vendored = false` checks vendored directories as any other; a file
named on the command line is always checked. The editor gives no diagnostics in vendored
directories, as in excluded ones.
"""

from __future__ import annotations

import configparser
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sources.limits import LimitExceeded, inside, read_bounded

VENDOR_NAMES = frozenset({"vendor", "vendored", "_vendor", "vendors", "third_party", "thirdparty", "third-party", "3rdparty"})
_MIN_DECLARED = 3  # copies of declared requirements that make a plain directory a vendored root
_MAX_MANIFEST_BYTES = 1 << 20

# distributions whose import name is not their normalised name
_IMPORT_NAMES = {
    "beautifulsoup4": "bs4",
    "pillow": "pil",
    "pyyaml": "yaml",
    "pyjwt": "jwt",
    "python_dateutil": "dateutil",
    "paho_mqtt": "paho",
    "scikit_learn": "sklearn",
    "attrs": "attr",
    "pycryptodome": "crypto",
    "pycryptodomex": "cryptodome",
    "pyopenssl": "openssl",
    "dnspython": "dns",
    "websocket_client": "websocket",
    "djangorestframework": "rest_framework",
    "django_cors_headers": "corsheaders",
    "pysocks": "socks",
    "pyzmq": "zmq",
    "protobuf": "google",
    "msgpack_python": "msgpack",
    "opencv_python": "cv2",
    "python_magic": "magic",
    "setuptools": "pkg_resources",
}
# pure-Python packages most often copied into applications (import names): a plain directory
# holding three of them is a vendored root even when no manifest declares them
COMMONLY_VENDORED = frozenset("""
    apscheduler attr bleach bs4 cachecontrol certifi chardet charset_normalizer cheroot cherrypy
    click colorama configobj dateutil decorator distro dns feedparser future html5lib httplib2 idna
    importlib_metadata importlib_resources jinja2 jwt mako markupsafe more_itertools oauthlib
    packaging pkg_resources portend pytz requests requests_oauthlib setuptools simplejson six
    socks soupsieve tempora typing_extensions tzlocal urllib3 webencodings websocket xmltodict
    yaml zipp
""".split())
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, slots=True)
class VendoredDir:
    path: str  # relative to the project root, posix
    why: str

    def note(self) -> str:
        return f"vendored third-party code ({self.why}): not checked (skip-vendored = false checks it)"


def import_names(distribution: str) -> set[str]:
    """The import names a distribution is likely installed under (lowercase)."""
    norm = re.sub(r"[-_.]+", "_", distribution.strip().lower())
    names = {norm, _IMPORT_NAMES.get(norm, norm)}
    for prefix in ("python_", "py_", "py"):
        if norm.startswith(prefix) and len(norm) > len(prefix) + 2:
            names.add(norm[len(prefix) :])
    names.add(norm.rstrip("0123456789") or norm)
    return names


class Finder:
    """Decides, directory by directory during the walk, which directories are vendored roots."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._declared: dict[str, str] | None = None  # import name -> the manifest naming it
        self.found: list[VendoredDir] = []
        self._judged: dict[str, VendoredDir | None] = {}  # `holding`'s answers per directory
        self.read: list[str] = []  # the manifests read (their content decided)

    def check(self, rel_dir: str, dirnames: list[str], filenames: list[str]) -> VendoredDir | None:
        """The verdict on one walked directory (its direct entries); recorded when vendored."""
        if not rel_dir:
            return None  # the project root is the project
        metadata = sorted(d for d in dirnames if d.endswith((".dist-info", ".egg-info")))
        if metadata:
            return self._found(rel_dir, f"installed distributions: {_listed(metadata)}")
        vendor_named = rel_dir.rsplit("/", 1)[-1].lower() in VENDOR_NAMES
        if "__init__.py" in filenames and not vendor_named:
            return None  # a package: the project's own code
        children = {d.lower(): d for d in dirnames} | {f[:-3].lower(): f for f in filenames if f.endswith(".py") and f != "__init__.py"}
        if len(children) < (1 if vendor_named else _MIN_DECLARED):
            return None
        enough = 1 if vendor_named else _MIN_DECLARED
        declared = self.declared()
        copies = sorted(name for name in children if name in declared)
        if len(copies) >= enough:
            sources = ", ".join(sorted({declared[name] for name in copies}))
            shown = _listed(sorted(children[name] for name in copies))
            return self._found(rel_dir, f"{len(copies)} of its {len(children)} packages are requirements declared in {sources}: {shown}")
        known = sorted(name for name in children if name in COMMONLY_VENDORED)
        if len(known) >= enough:
            shown = _listed(sorted(children[name] for name in known))
            return self._found(rel_dir, f"{len(known)} of its {len(children)} packages are well-known third-party packages: {shown}")
        return None

    def holding(self, key: str) -> VendoredDir | None:
        """The vendored directory holding the project file `key` (the editor opens one file: its
        directories are judged as discovery would judge them), remembered per directory."""
        parts = key.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            rel_dir = "/".join(parts[:depth])
            if rel_dir not in self._judged:
                try:
                    entries = list(os.scandir(self.root / rel_dir))
                except OSError:
                    return None
                dirnames = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
                filenames = [e.name for e in entries if not e.is_dir(follow_symlinks=False)]
                self._judged[rel_dir] = self.check(rel_dir, dirnames, filenames)
            if self._judged[rel_dir] is not None:
                return self._judged[rel_dir]
        return None

    def _found(self, rel_dir: str, why: str) -> VendoredDir:
        found = VendoredDir(rel_dir, why)
        self.found.append(found)
        return found

    def declared(self) -> dict[str, str]:
        if self._declared is None:
            self._declared = {}
            for manifest, names in _manifests(self.root, self.read):
                for name in names:
                    for imported in import_names(name):
                        self._declared.setdefault(imported, manifest)
        return self._declared


def _listed(names: list[str], shown: int = 5) -> str:
    more = f", ... ({len(names)})" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _read(path: Path, root: Path, read: list[str]) -> str | None:
    """A manifest's text: inside the project (a link out of it is not followed), bounded, regular."""
    if not inside(path, root):
        return None
    try:
        text = read_bounded(path, _MAX_MANIFEST_BYTES).decode("utf-8", "replace")
    except (OSError, LimitExceeded):
        return None
    read.append(str(path))
    return text


def _manifests(root: Path, read: list[str]) -> list[tuple[str, list[str]]]:
    """(manifest, distribution names) for each dependency manifest at the project root; the
    paths of those read are added to `read`."""
    out: list[tuple[str, list[str]]] = []
    candidates = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements*.in"))
    candidates += sorted((root / "requirements").glob("*.txt")) if (root / "requirements").is_dir() else []
    for path in candidates:
        text = _read(path, root, read)
        if text is not None:
            out.append((path.relative_to(root).as_posix(), _requirement_lines(text)))
    for name, reader in (("pyproject.toml", _pyproject), ("Pipfile", _pipfile), ("setup.cfg", _setup_cfg)):
        text = _read(root / name, root, read)
        if text is not None:
            names = reader(text)
            if names:
                out.append((name, names))
    return out


def _requirement_lines(text: str) -> list[str]:
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _NAME.match(line)
        if match:
            names.append(match.group(1))
    return names


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return {}


def _pyproject(text: str) -> list[str]:
    data = _toml(text)
    project = _table(data, "project")
    specs = _strings(project.get("dependencies"))
    for group in [*_table(project, "optional-dependencies").values(), *_table(data, "dependency-groups").values()]:
        specs += _strings(group)
    names = _requirement_lines("\n".join(specs))
    poetry = _table(_table(data, "tool"), "poetry")
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _table(poetry, "group").values() if isinstance(group, dict)]
    return names + [name for table in tables for name in table if name.lower() != "python"]


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _pipfile(text: str) -> list[str]:
    data = _toml(text)
    return [name for table in ("packages", "dev-packages") for name in _table(data, table)]


def _setup_cfg(text: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    return _requirement_lines(parser.get("options", "install_requires", fallback=""))
