"""Redaction: secrets under secret-looking keys, inside URLs and in the environment never pass."""

from __future__ import annotations

import json

import pytest

from redline.forensics.redact import (
    REDACTED,
    is_secret_key,
    redact,
    redact_environ,
    scrub,
    secrets_in_environ,
)


@pytest.mark.parametrize(
    "key",
    [
        "token",
        "api_key",
        "apiKey",
        "password",
        "DB_PASSWORD",
        "Authorization",
        "routing_key",
        "client_secret",
        "dsn",
        "webhook_url",
        "session_cookie",
        "key",
        "private_key",
    ],
)
def test_secret_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["columns", "monkey", "window_s", "keyboard_layout", "severity"])
def test_ordinary_keys_are_not(key: str) -> None:
    assert not is_secret_key(key)


def test_values_under_secret_keys_urls_and_env_references_are_redacted() -> None:
    config = {
        "notifications": {
            "hook": {"url": "https://user:hunter22@hooks.example.com/T01/B02/xyzsecret?sig=abc"},
            "pd": {"routing_key": "R0UT1NGKEY"},
            "headers": {"Authorization": "Bearer abc.def.ghi"},
        },
        "store": "postgresql://redline:s3cret-pw@db:5432/redline",
        "note": "call with Bearer eyJhbGciOiJIUzI1NiJ9 and ${SLACK_TOKEN}",
        "threshold": 0.7,
        "columns": ["income", "debt"],
    }
    text = json.dumps(redact(config))
    for secret in (
        "hunter22",
        "xyzsecret",
        "sig=abc",
        "R0UT1NGKEY",
        "abc.def.ghi",
        "s3cret-pw",
        "eyJhbGciOiJIUzI1NiJ9",
        "SLACK_TOKEN",
    ):
        assert secret not in text
    out = redact(config)
    assert out["threshold"] == 0.7
    assert out["columns"] == ["income", "debt"]
    assert out["notifications"]["pd"]["routing_key"] == REDACTED
    assert out["store"].startswith("postgresql://[redacted]@db:5432")


def test_known_secret_values_are_scrubbed_wherever_they_appear() -> None:
    environ = {
        "HOOK_TOKEN": "tok-123456789",
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "PWD": "/srv/app",  # the working directory, though "pwd" also abbreviates password
    }
    secrets = secrets_in_environ(environ)
    assert secrets == ["tok-123456789"]
    data = {"rows": [{"comment": "pasted tok-123456789 here", "url": "https://a.example/x"}]}
    assert scrub(data, secrets=secrets) == {
        "rows": [{"comment": f"pasted {REDACTED} here", "url": "https://a.example/x"}]
    }
    assert redact({"free": "tok-123456789"}, secrets=secrets) == {"free": REDACTED}


def test_environment_variables_keep_names_and_lose_values() -> None:
    out = redact_environ({"AWS_SECRET_ACCESS_KEY": "abc", "PATH": "/usr/bin", "TZ": "UTC"})
    assert out == {"AWS_SECRET_ACCESS_KEY": REDACTED, "PATH": REDACTED, "TZ": "UTC"}
