"""Forensic evidence: content-addressed blobs, snapshots, triage reports and post-mortems.

Blobs, snapshots and triage reports are append-only, refused UPDATE and DELETE by triggers on
PostgreSQL and SQLite alike, so evidence cannot change once kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DICT = sa.JSON().with_variant(JSONB(), "postgresql")
HASH = sa.String(64)
NAME = sa.String(200)

TABLES = ("blobs", "snapshots", "triage_reports", "postmortems")
APPEND_ONLY = ("blobs", "snapshots", "triage_reports")
REFUSAL = "{table} is append-only: {op} refused; record a correction as a new entry"


def _create_tables() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", HASH, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("model", NAME, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("manifest", JSON_DICT, nullable=False),
        sa.Column("taken_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_snapshots_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    op.create_index(op.f("ix_snapshots_incident_id"), "snapshots", ["incident_id"])
    op.create_index(op.f("ix_snapshots_model"), "snapshots", ["model"])
    op.create_table(
        "triage_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("window_id", NAME, nullable=True),
        sa.Column("likely_cause", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("report", JSON_DICT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_triage_reports_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_reports")),
    )
    op.create_index(op.f("ix_triage_reports_incident_id"), "triage_reports", ["incident_id"])
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("content", JSON_DICT, nullable=False),
        sa.Column("edited_by", NAME, nullable=True),
        sa.Column("approved_by", NAME, nullable=True),
        sa.Column("approved_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )


def _forbid_changes() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE) of the evidence tables in the database."""
    if op.get_bind().dialect.name == "postgresql":
        # redline_refuse_change() comes with revision 0002.
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION redline_refuse_change()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            message = REFUSAL.format(table=table, op=action)
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def upgrade() -> None:
    """Apply this revision."""
    _create_tables()
    _forbid_changes()


def downgrade() -> None:
    """Revert this revision."""
    for table in reversed(TABLES):
        op.drop_table(table)  # dropping a table drops its triggers
