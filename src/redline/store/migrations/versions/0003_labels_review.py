"""Served predictions, labels (with when performance scored them), the review queue, snoozes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(200)

# In creation order; the downgrade drops them in reverse.
TABLES = ("predictions", "labels", "review_items", "snoozes")


def _column(name: str, type_: Any, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def _key(table: str) -> tuple[sa.Column[Any], sa.PrimaryKeyConstraint]:
    return _column("id", sa.Integer()), sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, referred: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{referred}")
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=name, ondelete=ondelete)


def _create_label_tables() -> None:
    op.create_table(
        "predictions",
        *_key("predictions"),
        _column("model", NAME),
        _column("request_id", NAME),
        _column("window_id", NAME, nullable=True),
        _column("value", JSON),
        _column("route", sa.String(32)),
        _column("served_at", TIMESTAMP),
        _fk("predictions", "window_id", "windows", "SET NULL"),
        sa.UniqueConstraint("model", "request_id", name=op.f("uq_predictions_model_request_id")),
    )
    op.create_index(op.f("ix_predictions_window_id"), "predictions", ["window_id"])
    op.create_table(
        "labels",
        *_key("labels"),
        _column("model", NAME),
        _column("request_id", NAME),
        _column("label", JSON),
        _column("source", sa.String(16)),
        _column("received_at", TIMESTAMP),
        _column("scored_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_labels_model_request_id", "labels", ["model", "request_id"])
    op.create_index("ix_labels_model_scored_at", "labels", ["model", "scored_at"])


def _create_review_tables() -> None:
    op.create_table(
        "review_items",
        *_key("review_items"),
        _column("model", NAME),
        _column("request_id", NAME),
        _column("incident_id", sa.Integer(), nullable=True),
        _column("reason", NAME),
        _column("confidence", sa.Float(), nullable=True),
        _column("threshold", sa.Float(), nullable=True),
        _column("input", JSON),
        _column("output", JSON),
        _column("status", sa.String(16)),
        _column("decision", sa.String(16), nullable=True),
        _column("final_output", JSON, nullable=True),
        _column("reviewer", NAME, nullable=True),
        _column("created_at", TIMESTAMP),
        _column("decided_at", TIMESTAMP, nullable=True),
        _fk("review_items", "incident_id", "incidents", None),
    )
    for column in ("model", "incident_id", "status"):
        op.create_index(op.f(f"ix_review_items_{column}"), "review_items", [column])
    op.create_table(
        "snoozes",
        *_key("snoozes"),
        _column("fingerprint_pattern", sa.String(1000)),
        _column("until", TIMESTAMP),
        _column("reason", sa.Text()),
        _column("created_by", NAME),
        _column("created_at", TIMESTAMP),
    )
    op.create_index(op.f("ix_snoozes_until"), "snoozes", ["until"])


def upgrade() -> None:
    """Apply this revision."""
    _create_label_tables()
    _create_review_tables()


def downgrade() -> None:
    """Revert this revision."""
    for table in reversed(TABLES):
        op.drop_table(table)
