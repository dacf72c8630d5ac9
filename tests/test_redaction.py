"""Redaction tries each pattern only where a match can start (the words it starts with, the quote
opening a string, the scheme before `://`): the same text out as every pattern's plain `sub`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from backend_gates import redact as R
from backend_gates.redact import redact_text

# one secret per key format (a new format needs its sample here, and its start in _KEY_FORMAT_HEADS)
KEY_SAMPLES = {
    "aws-access-key": ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A", "AGPAIOSFODNN7EXAMPLE", "AIDAIOSFODNN7EXAMPLE",
                       "AROAIOSFODNN7EXAMPLE", "ANPAIOSFODNN7EXAMPLE"],
    "github-token": ["ghp_" + "a1B2" * 9, "gho_" + "Z" * 36, "github_pat_" + "x_" * 21],
    "slack-token": ["xoxb-1234567890-abcdef"],
    "stripe-key": ["sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "rk_test_" + "a" * 16],
    "google-api-key": ["AIza" + "SyA-1234567890abcdefghijklmnopqrstu"],
    "openai-key": ["sk-proj-" + "abcdefghij" * 3, "sk-" + "Z9" * 12],
    "jwt": ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    "sendgrid-key": ["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"],
}
FRAGMENTS = [
    "password", "PassWord", "passwd", "pwd", "PWD", "pass", "secret", "client_secret", "token", "Token", "access_token",
    "api_key", "api-key", "apikey", "API", "bearer ", "Bearer ", "basic ", "identified by ", "IDENTIFIED BY ", "auth",
    "dsn", "salt", "session_key", "=", " = ", ": ", "'", '"', "\n", " ", "  ", "\t", ";", "&", ",", "(", ")", "{", "}",
    "@", ":", "/", "://", "postgres://", "user:", "https://", "hooks.slack.com/services/", "db.example.com", ".", "-", "_",
    "hunter2", "s3cr3t-value", "abcdefghijklmnop", "x", "42", "{{ value }}", "%(pw)s", "$PW", "<secret>", "****", "…",
    "é", "K", "ſ", "İ", "example: ", "default: ", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "self.password", "gh", "sk", "eyJ", "SG.", "AKIA", "xox", "AIza",
] + [s for samples in KEY_SAMPLES.values() for s in samples]


@pytest.fixture(params=["each pattern over short texts", "starts found first in every text"])
def where_starts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short texts take every pattern's plain `sub` (cheaper there); both ways are checked."""
    if request.param.startswith("starts"):
        monkeypatch.setattr(R, "_SCAN_WHERE_STARTS", 0)


def plain(text: str) -> str:
    """Every pattern over the whole text, in `_redact`'s order (the definition of the result),
    after the same shortcut for ASCII text holding none of the words the patterns need."""
    if text.isascii() and not any(word in text.lower() for word in R._MAY_HOLD):
        return text
    text = R.PRIVATE_KEY.sub("-----BEGIN PRIVATE KEY----- …redacted…", text)
    text = R._ANY_KEY_FORMAT.sub(lambda m: R.mask(m.group(0)), text)
    if "://" in text:
        text = R.DSN_PASSWORD.sub(lambda m: f"{m.group('head')}****{m.group('at')}", text)
    text = R.NAMED_VALUE.sub(R._mask_named, text)
    text = R._QUOTED.sub(R._mask_connection_string, text)
    text = R.SQL_PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{R.mask(m.group(3))}{m.group(4)}", text)
    text = R.BEARER.sub(lambda m: m.group(1) + R.mask(m.group(2)), text)
    text = R.KV_ANY.sub(R._mask_kv, text)
    text = R.SPEC_EXAMPLE.sub(R._mask_spec_example, text)
    if "://" in text:
        text = R.WEBHOOK_URL.sub(lambda m: m.group("keep") + "****", text)
    return text


def test_every_key_format_has_a_sample_and_its_start() -> None:
    assert set(KEY_SAMPLES) == {label for label, _pattern in R.KEY_FORMATS}
    for label, pattern in R.KEY_FORMATS:
        for sample in KEY_SAMPLES[label]:
            assert pattern.fullmatch(sample), (label, sample)
            assert sample.startswith(R._KEY_FORMAT_HEADS), (label, sample)


@pytest.mark.parametrize("seed", range(8))
def test_random_texts_come_out_as_with_every_pattern_everywhere(seed: int, where_starts: None) -> None:
    rng = random.Random(seed)
    for _ in range(2500):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14)))
        assert redact_text(text) == plain(text), text


def test_source_files_and_a_large_text_come_out_as_with_every_pattern_everywhere(where_starts: None) -> None:
    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.glob("*/**/*.py"))[:400]]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted((root / "docs").glob("*.md"))]
    for text in texts:
        assert redact_text(text) == plain(text)
    large = "\n".join(texts)
    assert len(large) > R._LARGE and redact_text(large) == plain(large)


@pytest.mark.parametrize("text", [
    'x.postgres://admin:hunter22@db/app and "host=db password=swordfish" and token=abcdef123',
    "-.postgres://admin:hunter22@db/app",  # the scheme starts after the run's first characters
    "key: '.db+x://admin:hunter22@db' ",
    """name='a', dsn="host=db password=swordfish", other='b'""",  # the nearest quote opens it
    """name="a", conn='host=db password=swordfish123', other="b" """,
    """'x' "a\nhost=db password=swordfish" 'y'""",  # a line end between: not one string
    "Bearer abcdefghijklmnop; TOKEN = abcdef123; identified BY 'swordfish'",
])
def test_masked_as_with_every_pattern_everywhere(text: str, where_starts: None) -> None:
    out = redact_text(text)
    assert out == plain(text)
    assert "hunter22" not in out and "abcdef123" not in out
    assert "swordfish" not in out or "\n" in text
    assert out != text


@pytest.mark.parametrize("sample", [s for samples in KEY_SAMPLES.values() for s in samples])
def test_every_key_format_is_masked_alone_and_in_plain_words(sample: str) -> None:
    """A key with no secret-looking word around it (the shortcut for such text must not skip it)."""
    for text in (sample, f"the value {sample} here", f"x = '{sample}'"):
        assert sample not in redact_text(text), text
