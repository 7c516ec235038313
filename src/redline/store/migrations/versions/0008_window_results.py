"""Each window keeps its monitors' per-column results, so readers never recompute a verdict.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add ``windows.results`` (NULL for windows stored before it)."""
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("results", JSON, nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("results")
