"""API tokens: who may call the REST API, with which role; only a hash of each token is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.store.tables import Base, UTCDateTime, _validate_utc, choice_validator, utcnow

__all__ = ["TOKEN_ROLES", "ApiTokenRow", "DashboardSessionRow"]

#: The roles a token may carry, weakest first (``redline.services.tokens.Role`` ranks them).
TOKEN_ROLES = ("viewer", "responder", "admin")


class ApiTokenRow(Base):
    """One API token: a name, a role and the sha256 of the secret, never the secret itself."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("created_at", "last_used_at", "revoked_at")(_validate_utc)
    _choices = validates("role")(choice_validator({"role": TOKEN_ROLES}))

    @validates("name")
    def _not_blank(self, key: str, value: str) -> str:
        if not value.strip():
            raise ValueError("an API token needs a non-empty name")
        return value


class DashboardSessionRow(Base):
    """A dashboard login: the token it stands for and the sha256 of its cookie, never the cookie.

    Kept in the database so that logging out ends the session everywhere at once, and every API
    process sharing the store accepts it with no secret to share.
    """

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("created_at", "expires_at", "revoked_at")(_validate_utc)
