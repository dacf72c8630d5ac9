"""Small helpers shared by the OpenAPI checks (not a check module: not auto-loaded)."""

from __future__ import annotations

import re
from typing import Any

AUTH_WORDS = {
    "login", "logout", "signin", "sign-in", "sign_in", "token", "tokens", "refresh", "oauth", "oauth2",
    "authorize", "session", "sessions", "password", "password-reset", "reset-password", "forgot-password",
    "signup", "sign-up", "register", "auth", "authenticate", "mfa", "otp", "2fa", "verify",
}
ACTION_WORDS = {
    "search", "query", "login", "logout", "token", "tokens", "refresh", "verify", "validate", "reset",
    "send", "batch", "bulk", "graphql", "auth", "signin", "preview", "calculate", "check", "import",
    "export", "upload", "uploads", "status", "settings", "preferences", "stats", "metrics", "analytics",
    "webhooks", "events", "notifications", "callbacks", "actions", "jobs", "rpc",
}


NOT_PLURAL = {"kubernetes", "redis", "postgres", "dns", "https", "series", "species", "news", "alias", "canvas", "access", "business", "address", "process", "progress"}


def segments(template: str) -> list[str]:
    return [s for s in template.split("/") if s]


def literal_segments(template: str) -> list[str]:
    return [s for s in segments(template) if not (s.startswith("{") and s.endswith("}"))]


def last_segment(template: str) -> str:
    parts = segments(template)
    return parts[-1] if parts else ""


def is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def is_auth_path(template: str) -> bool:
    """Login/token/password-reset style operations (any segment says so)."""
    for seg in literal_segments(template.lower()):
        if seg in AUTH_WORDS or any(seg.startswith(w + ".") for w in ("token", "login")):
            return True
    return False


def is_plural_collection(template: str) -> bool:
    """`/pets`, `/users/{id}/orders`: last segment a literal plural noun, not an action word."""
    seg = last_segment(template).lower()
    if not seg or is_param(seg) or seg in ACTION_WORDS:
        return False
    word = re.split(r"[-_.]", seg)[-1]
    if word in NOT_PLURAL:
        return False
    return len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def words(name: str) -> list[str]:
    """`accessToken`, `access_token`, `Access-Token` -> ['access', 'token']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[\s_\-.]+", spaced.lower()) if w]


def style(name: str) -> str | None:
    """snake | kebab | camel | pascal, or None for one lower-case word (fits every style)."""
    if "_" in name.strip("_") and "-" not in name:
        return "snake" if name == name.lower() else "mixed"
    if "-" in name and "_" not in name:
        return "kebab" if name == name.lower() else "mixed"
    if re.fullmatch(r"[a-z][a-z0-9]*([A-Z][a-z0-9]*)+", name):
        return "camel"
    if re.fullmatch(r"([A-Z][a-z0-9]+){2,}", name):
        return "pascal"
    return None


def responses(op_node: dict[str, Any]) -> dict[str, Any]:
    value = op_node.get("responses")
    return value if isinstance(value, dict) else {}


def codes(op_node: dict[str, Any]) -> list[str]:
    return [str(c).upper() for c in responses(op_node)]
