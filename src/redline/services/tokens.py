"""API tokens: created once in plaintext, stored as a sha256 hash, checked on every request."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from redline.errors import RedlineError, StoreError
from redline.services.chains import record_audit
from redline.store import (
    TOKEN_ROLES,
    ApiTokenRow,
    Store,
    add_api_token,
    get_api_token,
    list_api_tokens,
    save_api_token,
)

__all__ = [
    "TOKEN_PREFIX",
    "ApiToken",
    "Role",
    "TokenError",
    "TokenNotFoundError",
    "TokenTouches",
    "authenticate",
    "create_token",
    "get_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
    "touch_token",
]

log = logging.getLogger("redline.tokens")

TOKEN_PREFIX = "rl_"
#: ``last_used_at`` is refreshed at most this often, so reads do not all become writes.
TOUCH_EVERY = timedelta(seconds=60)
_SECRET_BYTES = 32


class Role(StrEnum):
    """What a token may do: viewers read, responders act on incidents, admins manage."""

    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """True when this role is at least ``needed``."""
        return TOKEN_ROLES.index(self.value) >= TOKEN_ROLES.index(needed.value)


class TokenError(RedlineError):
    """A token request is refused: a blank name, an unknown role."""


class TokenNotFoundError(TokenError):
    """No token has this id."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as people see it: never the secret, only who it is for and its role."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True until the token is revoked."""
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: ApiTokenRow) -> ApiToken:
        """The view of a stored token."""
        return cls(
            row.id, row.name, Role(row.role), row.created_at, row.last_used_at, row.revoked_at
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (times in ISO 8601)."""
        at = {"created_at": self.created_at, "last_used_at": self.last_used_at}
        at["revoked_at"] = self.revoked_at
        times = {k: None if v is None else v.isoformat() for k, v in at.items()}
        return {"id": self.id, "name": self.name, "role": self.role.value, **times}


def hash_token(plaintext: str) -> str:
    """The hex sha256 the store keeps of a token."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise TokenError(f"unknown role {role!r}; choose one of {choices}") from None


def create_token(
    store: Store, *, name: str, role: Role | str, actor: str = "system", now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a token; returns its plaintext (shown once, never stored) and its record."""
    chosen, at = _role(role), now or datetime.now(UTC)
    if not name.strip():
        raise TokenError("a token needs a name saying who or what uses it")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
    with store.session() as session:
        row = add_api_token(
            session,
            name=name.strip(),
            role=chosen.value,
            token_hash=hash_token(plaintext),
            created_at=at,
        )
        details = {"id": row.id, "name": row.name, "role": row.role}
        record_audit(
            session,
            at=at,
            actor=actor,
            action="token_created",
            target=f"token:{row.id}",
            details=details,
        )
        return plaintext, ApiToken.from_row(row)


def get_token(store: Store, *, token_id: int) -> ApiToken:
    """One token by id (revoked ones too); raises TokenNotFoundError."""
    with store.reading() as session:
        row = get_api_token(session, token_id=token_id)
        if row is None:
            raise TokenNotFoundError(f"no token {token_id}; `redline tokens list` shows them")
        return ApiToken.from_row(row)


def list_tokens(store: Store, *, include_revoked: bool = True) -> list[ApiToken]:
    """Every token, oldest first (revoked ones too unless told otherwise)."""
    with store.reading() as session:
        rows = list_api_tokens(session, include_revoked=include_revoked)
        return [ApiToken.from_row(row) for row in rows]


def revoke_token(
    store: Store, *, token_id: int, actor: str, now: datetime | None = None
) -> ApiToken:
    """Revoke a token for good; revoking it again changes nothing."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = get_api_token(session, token_id=token_id)
        if row is None:
            raise TokenNotFoundError(f"no token {token_id}; `redline tokens list` shows them")
        if row.revoked_at is None:
            save_api_token(session, token_id=row.id, revoked_at=at)
            details = {"id": row.id, "name": row.name, "role": row.role}
            record_audit(
                session,
                at=at,
                actor=actor,
                action="token_revoked",
                target=f"token:{row.id}",
                details=details,
            )
        return ApiToken.from_row(row)


def _stale(last_used_at: datetime | None, at: datetime) -> bool:
    return last_used_at is None or at - last_used_at >= TOUCH_EVERY


def touch_token(store: Store, *, token_id: int, at: datetime) -> None:
    """Record that a token was used at ``at``, best effort: a busy or absent store is logged."""
    try:
        with store.session() as session:
            row = get_api_token(session, token_id=token_id)
            if row is not None and row.revoked_at is None and _stale(row.last_used_at, at):
                save_api_token(session, token_id=row.id, last_used_at=at)
    except StoreError as exc:
        log.warning("token %s: last use not recorded (%s)", token_id, exc)


def authenticate(
    store: Store,
    token: str,
    *,
    now: datetime | None = None,
    touch: Callable[[int, datetime], None] | None = None,
) -> ApiToken | None:
    """The active token whose plaintext is ``token``, or None (unknown, malformed, revoked).

    Only reads: a stale ``last_used_at`` is handed to ``touch`` (the API's background
    :class:`TokenTouches`), or else recorded here, best effort, after the read.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    at = now or datetime.now(UTC)
    with store.reading() as session:
        row = get_api_token(session, token_hash=hash_token(token))
        if row is None or row.revoked_at is not None:
            return None
        found = ApiToken.from_row(row)
    if not _stale(found.last_used_at, at):
        return found
    if touch is None:
        touch_token(store, token_id=found.id, at=at)
    else:
        touch(found.id, at)
    return replace(found, last_used_at=at)


class TokenTouches:
    """Records tokens' last use on a thread of its own, so no request waits on a write."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redline-token-touch", daemon=True)
        self._thread.start()

    def __call__(self, token_id: int, at: datetime) -> None:
        """Queue a use of ``token_id`` (the newest time per token is kept)."""
        with self._lock:
            self._pending[token_id] = max(at, self._pending.get(token_id, at))
        self._wake.set()

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is queued, then stop the thread."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            stopping = self._stop.is_set()
            with self._lock:
                batch, self._pending = self._pending, {}
            for token_id, at in batch.items():
                touch_token(self.store, token_id=token_id, at=at)
            if stopping:
                return
