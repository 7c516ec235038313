"""Each window keeps a small summary of the numbers its charts read, so a time series never
parses whole payloads.

Windows stored before it have none (NULL): readers take those numbers out of the payload.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add ``windows.summary`` (NULL for windows stored before it)."""
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("summary", JSON, nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("summary")
