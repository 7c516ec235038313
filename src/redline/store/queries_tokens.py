"""API tokens: add, look up by hash, list, mark used and revoke. Functions flush; callers commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from redline.store.tables_tokens import ApiTokenRow, DashboardSessionRow

__all__ = [
    "add_api_token",
    "add_dashboard_session",
    "get_api_token",
    "get_dashboard_session",
    "list_api_tokens",
    "save_api_token",
    "save_dashboard_session",
]


def add_api_token(
    session: Session, *, name: str, role: str, token_hash: str, created_at: datetime
) -> ApiTokenRow:
    """Store a new token (its hash only)."""
    row = ApiTokenRow(name=name, role=role, token_hash=token_hash, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def get_api_token(
    session: Session, *, token_id: int | None = None, token_hash: str | None = None
) -> ApiTokenRow | None:
    """The token with this id or this hash (exactly one of them), or None."""
    if (token_id is None) == (token_hash is None):
        raise ValueError("get_api_token needs exactly one of token_id and token_hash")
    if token_id is not None:
        return session.get(ApiTokenRow, token_id)
    query = select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
    return session.scalars(query).first()


def list_api_tokens(session: Session, *, include_revoked: bool = True) -> list[ApiTokenRow]:
    """Tokens, oldest first; revoked ones too unless ``include_revoked`` is False."""
    query = select(ApiTokenRow)
    if not include_revoked:
        query = query.where(ApiTokenRow.revoked_at.is_(None))
    return list(session.scalars(query.order_by(ApiTokenRow.id)))


def save_api_token(
    session: Session,
    *,
    token_id: int,
    last_used_at: datetime | None = None,
    revoked_at: datetime | None = None,
) -> ApiTokenRow | None:
    """Set when a token was last used and/or revoked; None if there is no such token."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        return None
    if last_used_at is not None:
        row.last_used_at = last_used_at
    if revoked_at is not None:
        row.revoked_at = revoked_at
    session.flush()
    return row


def add_dashboard_session(
    session: Session, *, token_id: int, secret_hash: str, created_at: datetime, expires_at: datetime
) -> DashboardSessionRow:
    """Store a new dashboard session (the hash of its cookie only)."""
    row = DashboardSessionRow(
        token_id=token_id, secret_hash=secret_hash, created_at=created_at, expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return row


def get_dashboard_session(session: Session, *, secret_hash: str) -> DashboardSessionRow | None:
    """The dashboard session whose cookie hashes to ``secret_hash``, or None."""
    query = select(DashboardSessionRow).where(DashboardSessionRow.secret_hash == secret_hash)
    return session.scalars(query).first()


def save_dashboard_session(
    session: Session, *, session_id: int, revoked_at: datetime
) -> DashboardSessionRow | None:
    """Mark a dashboard session revoked; None if there is no such session."""
    row = session.get(DashboardSessionRow, session_id)
    if row is None:
        return None
    row.revoked_at = revoked_at
    session.flush()
    return row
