"""Keep secrets out of evidence: values under secret-looking keys, URL credentials, env values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redline.guard.environment import REDACTED, SAFE_ENV, redact_environ

__all__ = [
    "REDACTED",
    "SAFE_ENV",
    "is_secret_key",
    "redact",
    "redact_environ",
    "scrub",
    "secrets_in_environ",
]

MIN_SECRET_CHARS = 6  # shorter values would mask ordinary words, not protect anything

#: Words that make a key's value a secret wherever they appear in the key's name.
_SECRET_WORDS = re.compile(
    r"token|passw|pwd|secret|api_?key|apikey|private|credential|authori[sz]ation|cookie|"
    r"signature|session|routing_?key|access_?key|dsn|webhook",
    re.IGNORECASE,
)
#: Whole words (split on _ - . and case) that mark a secret: "key" but not "monkey".
_SECRET_PARTS = frozenset({"key", "keys", "auth", "pass", "pat", "jwt", "bearer", "salt"})
_ENV_REFERENCE = re.compile(r"\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)
_BEARER = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (token, password, key, authorization, DSN...)."""
    if _SECRET_WORDS.search(key):
        return True
    parts = re.split(r"[_\-.\s]+|(?<=[a-z])(?=[A-Z])", key)
    return any(part.lower() in _SECRET_PARTS for part in parts)


def _scrub_url(match: re.Match[str]) -> str:
    """A URL without user info, path or query: webhook paths and queries carry tokens."""
    try:
        parts = urlsplit(match.group(0))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return REDACTED
    tail = "/" + REDACTED if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    auth = REDACTED + "@" if parts.username or parts.password else ""
    return urlunsplit((parts.scheme, f"{auth}{host}{port}", "", "", "")) + tail


def _text(value: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        value = value.replace(secret, REDACTED)
    value = _ENV_REFERENCE.sub(REDACTED, value)
    value = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
    return _URL.sub(_scrub_url, value)


def redact(value: Any, *, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with every secret replaced by ``[redacted]``.

    >>> redact({"url": "https://u:pw@hooks.example/T1/abc", "api_token": "x", "n": 3})
    {'url': 'https://[redacted]@hooks.example/[redacted]', 'api_token': '[redacted]', 'n': 3}
    """
    return _walk(value, _known(secrets))


def scrub(value: Any, *, secrets: Iterable[str]) -> Any:
    """A copy of observed data with only known secret values replaced (keys and URLs kept)."""
    known = _known(secrets)
    if not known:
        return value
    if isinstance(value, Mapping):
        return {str(k): scrub(v, secrets=known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets=known) for v in value]
    if isinstance(value, str):
        for secret in known:
            value = value.replace(secret, REDACTED)
    return value


def _known(secrets: Iterable[str]) -> tuple[str, ...]:
    # Longest first, so a secret is masked before any shorter one inside it.
    return tuple(sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True))


def _walk(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if is_secret_key(str(k)) and v not in (None, "") else _walk(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_walk(v, secrets) for v in value]
    if isinstance(value, str):
        return _text(value, secrets)
    return value


def secrets_in_environ(environ: Mapping[str, str]) -> list[str]:
    """Values of environment variables that look secret, to scrub wherever they turn up."""
    return [
        value
        for name, value in environ.items()
        if name not in SAFE_ENV and is_secret_key(name) and len(value) >= MIN_SECRET_CHARS
    ]
