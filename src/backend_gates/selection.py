"""Which rules a configuration enables, and their validated options.

One place for `select` / `extend-select` / `ignore` (ruff-style tokens: code, name, code prefix,
gate id, checklist, ALL) and per-check options; every stage of a run asks here.
"""

from __future__ import annotations

from typing import Any

from .checks.base import COLLECTORS, REGISTRY, Check
from .config import Config
from .errors import ConfigError
from .gates import GATES_BY_ID

Selected = list[tuple[type[Check], dict[str, Any]]]


def tokens_match(token: str, cls: type[Check]) -> bool:
    t = token.strip()
    up = t.upper()
    if up == cls.code.upper() or t.lower() == cls.name.lower():
        return True
    if cls.gate and up == cls.gate.upper():
        return True
    if cls.gate and t.lower() == GATES_BY_ID[cls.gate].checklist:
        return True
    if up == "ALL":
        return True
    # code prefix, ruff style: BG2 selects BG2xx
    return len(up) >= 3 and up.startswith("BG") and cls.code.upper().startswith(up)


def explicit(token: str, cls: type[Check]) -> bool:
    return token.strip().upper() == cls.code.upper() or token.strip().lower() == cls.name.lower()


def validate_selectors(config: Config) -> None:
    from .checks import load_all

    load_all()
    for key in ("select", "extend-select", "ignore"):
        for token in config[key]:
            if not any(tokens_match(token, cls) for cls in REGISTRY.values()) and token.upper() not in GATES_BY_ID:
                raise ConfigError(
                    f"{token!r} names no rule, gate or checklist (see `backend-gates rules`)",
                    file=config.sources[key],
                    key=key,
                )
    for pattern, tokens in config["per-file-ignores"].items():
        for token in tokens:
            if not any(tokens_match(token, cls) for cls in REGISTRY.values()) and token.upper() not in GATES_BY_ID:
                raise ConfigError(
                    f"{token!r} names no rule, gate or checklist", file=config.sources["per-file-ignores"], key=f"per-file-ignores.{pattern}"
                )


def is_enabled(cls: type[Check], config: Config) -> bool:
    """Whether `select` / `extend-select` / `ignore` leave this rule on."""
    select = list(config["select"])
    extend = list(config["extend-select"])
    if cls.default_enabled:
        enabled = (not select or any(tokens_match(t, cls) for t in select)) or any(tokens_match(t, cls) for t in extend)
    else:
        enabled = any(explicit(t, cls) for t in select + extend)
    return enabled and not any(tokens_match(t, cls) for t in config["ignore"])


def selection_is_default(config: Config) -> bool:
    return all(config.sources[k] == "default" for k in ("select", "extend-select", "ignore"))


def selected(config: Config, kinds: tuple[str, ...]) -> Selected:
    """The enabled checks of these kinds, each with its validated options."""
    from .checks import load_all

    load_all(kinds)
    out: Selected = []
    for code in sorted(REGISTRY):
        cls = REGISTRY[code]
        if cls.kind in kinds and is_enabled(cls, config):
            out.append((cls, check_options(cls, config)))
    out.extend((cls, {}) for cls in COLLECTORS if cls.kind in kinds)  # fact collectors always run
    return out


def check_options(cls: type[Check], config: Config) -> dict[str, Any]:
    values = {name: opt.default for name, opt in cls.options.items()}
    for key in (cls.code, cls.name):
        given = config.check_options.get(key)
        if not given:
            continue
        for name, value in given.items():
            if name not in cls.options:
                known = ", ".join(sorted(cls.options)) or "none"
                raise ConfigError(
                    f"unknown option for {cls.code} ({cls.name}); known options: {known}",
                    file=config.describe_file(),
                    key=f"checks.{key}.{name}",
                )
            expected = cls.options[name].type
            origin = getattr(expected, "__origin__", expected)
            if isinstance(origin, type) and not isinstance(value, origin):
                raise ConfigError(
                    f"expected {getattr(expected, '__name__', expected)}, got {type(value).__name__}",
                    file=config.describe_file(),
                    key=f"checks.{key}.{name}",
                )
            values[name] = value
    return values


def validate_check_config(config: Config) -> None:
    from .checks import load_all

    load_all()
    names = {c.code for c in REGISTRY.values()} | {c.name for c in REGISTRY.values()}
    for key in config.check_options:
        if key not in names:
            raise ConfigError(
                "unknown check in [tool.backend-gates.checks]", file=config.describe_file(), key=f"checks.{key}"
            )
    for cls in REGISTRY.values():
        check_options(cls, config)
