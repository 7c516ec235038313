"""Keep credentials out of errors, logs and stored answers: webhook paths, keys, passwords."""

from __future__ import annotations

import httpx

from redline.notify.channels import ChannelRequest

__all__ = ["MASK", "host_of", "redact", "secrets_of"]

MASK = "***"
MIN_SECRET_CHARS = 4  # shorter strings would mask ordinary words, not protect anything
MIN_TOKEN_CHARS = 16  # a path segment or query value this long is treated as a token


def host_of(url: httpx.URL) -> str:
    """Host and explicit port only: the path and query of a webhook URL are credentials."""
    return f"{url.host}:{url.port}" if url.port is not None else url.host


def secrets_of(request: ChannelRequest) -> tuple[str, ...]:
    """Every string to mask: declared secrets, the URL, its path, query, tokens, password."""
    found = {*request.secrets, request.url}
    try:
        url: httpx.URL | None = httpx.URL(request.url)
    except Exception:  # an unparsable URL is still masked whole
        url = None
    if url is not None:
        found.update({str(url), url.path, url.query.decode("ascii", "replace")})
        found.add(url.raw_path.decode("ascii", "replace"))
        if url.password:
            found.add(url.password)
        tokens = [*url.path.split("/"), *url.params.values()]
        found.update(token for token in tokens if len(token) >= MIN_TOKEN_CHARS)
    # Longest first, so a whole URL is masked before its path.
    return tuple(sorted((s for s in found if len(s) >= MIN_SECRET_CHARS), key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``.

    >>> redact("POST https://hooks.example/T1/B2/abcdef failed", ("/T1/B2/abcdef",))
    'POST https://hooks.example*** failed'
    """
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text
