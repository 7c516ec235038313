"""Each notification carries its claim: who is sending it and since when; the window backlog
has an index of its own.

A sender claims a notice by setting status ``sending``, ``claimed_by`` and ``claimed_at`` in
one statement; a claim older than the lease is taken over by the next sender (crash recovery).
``ix_windows_unevaluated`` (partial: ``evaluated_at IS NULL``) keeps a worker's claim as cheap
with millions of windows stored as with a few.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(200)
UNEVALUATED = sa.text("evaluated_at IS NULL")


def upgrade() -> None:
    """Add ``notifications.claimed_by`` and ``claimed_at`` (NULL: never claimed) and the
    backlog's index."""
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claimed_by", NAME, nullable=True))
        batch.add_column(sa.Column("claimed_at", TIMESTAMP, nullable=True))
    op.create_index(
        op.f("ix_windows_unevaluated"),
        "windows",
        ["start", "id"],
        postgresql_where=UNEVALUATED,
        sqlite_where=UNEVALUATED,
    )


def downgrade() -> None:
    """Drop them again; a notice caught mid-send goes back to pending."""
    op.drop_index(op.f("ix_windows_unevaluated"), table_name="windows")
    op.execute("UPDATE notifications SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
