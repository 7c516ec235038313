"""Snapshots in two steps (manifest before the change, bytes after) and Guards' environments.

``snapshot_completions`` holds, per snapshot, the files copied after the change it preceded;
append-only like the snapshots themselves. Snapshots taken before this revision held every
byte in their manifest: each gets a completion with no further files. ``model_environments``
keeps the latest environment fingerprint each Guard instance sent for a model.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DICT = sa.JSON().with_variant(JSONB(), "postgresql")
HASH = sa.String(64)
NAME = sa.String(200)
REFUSAL = "snapshot_completions is append-only: {op} refused; record a correction as a new entry"
BACKFILL = (
    "INSERT INTO snapshot_completions (snapshot_id, record, completed_at) "
    "SELECT id, {record}, created_at FROM snapshots"
)


def _forbid_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # redline_refuse_change() comes with revision 0002.
        op.execute(
            "CREATE TRIGGER snapshot_completions_append_only BEFORE UPDATE OR DELETE OR "
            "TRUNCATE ON snapshot_completions FOR EACH STATEMENT "
            "EXECUTE FUNCTION redline_refuse_change()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER snapshot_completions_no_{action.lower()} BEFORE {action} "
            f"ON snapshot_completions BEGIN SELECT RAISE(ABORT, '{REFUSAL.format(op=action)}'); END"
        )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "snapshot_completions",
        sa.Column("snapshot_id", HASH, nullable=False),
        sa.Column("record", JSON_DICT, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_snapshot_completions_snapshot_id_snapshots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", name=op.f("pk_snapshot_completions")),
    )
    empty = '\'{"files": [], "sections": {}, "problems": []}\''
    record = f"CAST({empty} AS jsonb)" if op.get_bind().dialect.name == "postgresql" else empty
    op.execute(BACKFILL.format(record=record))
    _forbid_changes()
    op.create_table(
        "model_environments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", NAME, nullable=False),
        sa.Column("instance", NAME, nullable=False),
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("fingerprint", JSON_DICT, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_environments")),
        sa.UniqueConstraint("model", "instance", name=op.f("uq_model_environments_model_instance")),
    )
    op.create_index(op.f("ix_model_environments_model"), "model_environments", ["model"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("model_environments")
    op.drop_table("snapshot_completions")  # dropping a table drops its triggers
