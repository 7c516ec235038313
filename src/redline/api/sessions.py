"""Signed session cookies and CSRF tokens for the dashboard (itsdangerous, HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from redline.services.tokens import ApiToken, Role
from redline.settings import Settings

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SessionData",
    "SessionSigner",
    "session_signer",
]

SESSION_COOKIE = "redline_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SALT = "redline.session.v1"


@dataclass(frozen=True, slots=True)
class SessionData:
    """Who a session cookie stands for: a token (re-checked on use) and a per-login nonce."""

    token_id: int
    role: Role
    nonce: str


class SessionSigner:
    """Issues and reads signed, expiring session cookies, and derives their CSRF tokens."""

    def __init__(self, secret: str, *, max_age_s: int) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret needs at least 16 characters")
        self._secret = secret.encode()
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age_s = max_age_s

    def issue(self, token: ApiToken) -> str:
        """A cookie value for a login with ``token`` (a fresh nonce each time)."""
        nonce = secrets.token_urlsafe(16)
        return self._serializer.dumps({"t": token.id, "r": token.role.value, "n": nonce})

    def read(self, cookie: str | None) -> SessionData | None:
        """The session a cookie holds, or None if it is missing, forged, expired or malformed."""
        if not cookie:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.max_age_s)
            return SessionData(int(data["t"]), Role(data["r"]), str(data["n"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def csrf_token(self, session: SessionData) -> str:
        """The CSRF token of a session: forms and fetches send it back with every change."""
        message = f"csrf:{session.token_id}:{session.nonce}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check_csrf(self, session: SessionData, submitted: str | None) -> bool:
        """True when ``submitted`` is this session's CSRF token (constant-time comparison)."""
        return submitted is not None and hmac.compare_digest(self.csrf_token(session), submitted)

    def cookie_options(self, *, secure: bool) -> dict[str, Any]:
        """Attributes for ``response.set_cookie``: HTTP-only, same-site strict, expiring."""
        return {"httponly": True, "samesite": "strict", "secure": secure, "max_age": self.max_age_s}


def session_signer(settings: Settings) -> SessionSigner:
    """A signer with the configured secret, or a random one (sessions end with the process)."""
    configured = settings.api.session_secret
    secret = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
    return SessionSigner(secret, max_age_s=settings.api.session_max_age_s)
