"""Dashboard sessions kept in the store: a random cookie whose hash is stored, ended at logout.

Server-side sessions need no signing secret: any API process on the same store accepts a
session, and logging out (or revoking the token) ends it everywhere at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redline.services.tokens import ApiToken, Role
from redline.store import (
    Store,
    add_dashboard_session,
    get_api_token,
    get_dashboard_session,
    save_dashboard_session,
)

__all__ = ["DashboardSession", "csrf_token", "end_session", "read_session", "start_session"]

_COOKIE_BYTES = 32
_CSRF_CONTEXT = b"redline.dashboard.csrf.v1"


@dataclass(frozen=True, slots=True)
class DashboardSession:
    """A live session: its id, the token it stands for (as it is now) and when it expires."""

    id: int
    token: ApiToken
    expires_at: datetime

    @property
    def role(self) -> Role:
        """The token's role."""
        return self.token.role


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def csrf_token(cookie: str) -> str:
    """The CSRF token of a session: derived from its cookie, which only its browser holds."""
    return hmac.new(cookie.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def start_session(
    store: Store, *, token: ApiToken, max_age_s: int, now: datetime | None = None
) -> str:
    """Open a session for ``token``; returns the cookie (shown once, only its hash is kept)."""
    at = now or datetime.now(UTC)
    cookie = secrets.token_urlsafe(_COOKIE_BYTES)
    with store.session() as session:
        add_dashboard_session(
            session,
            token_id=token.id,
            secret_hash=_hash(cookie),
            created_at=at,
            expires_at=at + timedelta(seconds=max_age_s),
        )
    return cookie


def read_session(
    store: Store, cookie: str | None, *, now: datetime | None = None
) -> DashboardSession | None:
    """The session of ``cookie`` if it is open, unexpired and its token still active; else None."""
    if not cookie or len(cookie) > 200:
        return None
    at = now or datetime.now(UTC)
    with store.reading() as session:
        row = get_dashboard_session(session, secret_hash=_hash(cookie))
        if row is None or row.revoked_at is not None or row.expires_at <= at:
            return None
        token_row = get_api_token(session, token_id=row.token_id)
        if token_row is None or token_row.revoked_at is not None:
            return None
        return DashboardSession(row.id, ApiToken.from_row(token_row), row.expires_at)


def end_session(store: Store, cookie: str, *, now: datetime | None = None) -> bool:
    """Revoke the session of ``cookie``; False when there was no open session."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = get_dashboard_session(session, secret_hash=_hash(cookie))
        if row is None or row.revoked_at is not None:
            return False
        save_dashboard_session(session, session_id=row.id, revoked_at=at)
        return True
