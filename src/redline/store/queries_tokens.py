"""API tokens: add, look up by hash, list, mark used and revoke. Functions flush; callers commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from redline.store.tables_tokens import ApiTokenRow

__all__ = ["add_api_token", "get_api_token", "list_api_tokens", "save_api_token"]


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
