"""Indexes for the dashboard's listings: latest incidents, a model's incidents and signals, the queue.

Each serves an ORDER BY ... LIMIT the pages run on every refresh, so the database reads the
newest rows through the index instead of sorting every incident or signal of a model.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index name, table, columns), in the order they are created.
INDEXES = (
    ("ix_incidents_detected_at", "incidents", ["detected_at"]),
    ("ix_incidents_model_detected_at", "incidents", ["model", "detected_at"]),
    ("ix_signals_model_created_at", "signals", ["model", "created_at"]),
    ("ix_review_items_status_created_at", "review_items", ["status", "created_at"]),
)


def upgrade() -> None:
    """Create the dashboard's indexes."""
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop them again, newest first."""
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
