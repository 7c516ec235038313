"""Incidents, timelines, audit log, actions, notifications, route states, versions, deployments.

Also gives signals a source and a firing/resolved status, and makes timeline_events, audit_log
and deployments append-only with triggers on PostgreSQL and SQLite alike.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
HASH = sa.String(64)
NAME = sa.String(200)

# In creation order; the downgrade drops them in reverse.
TABLES = (
    *("counters", "incidents", "incident_signals", "timeline_events", "audit_log"),
    *("actions", "notifications", "route_states", "model_versions", "deployments"),
)
APPEND_ONLY = ("timeline_events", "audit_log", "deployments")
REFUSAL = "{table} is append-only: {op} refused; record a correction as a new entry"
PG_REFUSE = """
CREATE FUNCTION redline_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused; record a correction as a new entry',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$
"""


def _table(name: str, *items: sa.Column[Any] | sa.Constraint, pk: Sequence[str] = ("id",)) -> None:
    """Create ``name`` with an integer ``id`` primary key unless ``pk`` names other columns."""
    key = [sa.Column("id", sa.Integer(), nullable=False)] if tuple(pk) == ("id",) else []
    op.create_table(name, *key, *items, sa.PrimaryKeyConstraint(*pk, name=op.f(f"pk_{name}")))


def _times(*names: str, nullable: bool = True) -> list[sa.Column[Any]]:
    return [sa.Column(name, TIMESTAMP, nullable=nullable) for name in names]


def _fk(
    column: str, table: str, referred: str = "incidents", ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{referred}")
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=name, ondelete=ondelete)


def _create_incident_tables() -> None:
    _table(
        "counters",
        sa.Column("name", NAME, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        pk=("name",),
    )
    _table(
        "incidents",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("model", NAME, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("containment_state", sa.String(64), nullable=True),
        sa.Column("policy_version", sa.String(100), nullable=False),
        *_times("impact_start", "impact_end"),
        sa.Column("affected_decisions", sa.Integer(), nullable=True),
        *_times("first_signal_at"),
        *_times("detected_at", nullable=False),
        *_times("acknowledged_at", "contained_at", "resolved_at", "closed_at"),
        *_times("aware_at", "causal_link_at"),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("postmortem_required", sa.Boolean(), nullable=False),
        sa.Column("postmortem_status", sa.String(32), nullable=True),
        sa.Column("evidence_hold", sa.Boolean(), nullable=False),
        *_times("last_signal_at"),
        *_times("created_at", "updated_at", nullable=False),
        sa.UniqueConstraint("key", name=op.f("uq_incidents_key")),
    )
    op.create_index(op.f("ix_incidents_model"), "incidents", ["model"])
    op.create_index(op.f("ix_incidents_status"), "incidents", ["status"])
    _table(
        "incident_signals",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        *_times("linked_at", nullable=False),
        _fk("incident_id", "incident_signals", ondelete="CASCADE"),
        _fk("signal_id", "incident_signals", "signals", ondelete="CASCADE"),
        pk=("incident_id", "signal_id"),
    )
    op.create_index(op.f("ix_incident_signals_signal_id"), "incident_signals", ["signal_id"])


def _chain(*middle: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The columns of a hash-chained entry, with ``middle`` after the actor."""
    return [
        *_times("at", nullable=False),
        sa.Column("actor", NAME, nullable=False),
        *middle,
        sa.Column("details", JSON, nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("hash", HASH, nullable=False),
    ]


def _create_chain_tables() -> None:
    _table(
        "timeline_events",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        *_chain(sa.Column("kind", sa.String(100), nullable=False)),
        _fk("incident_id", "timeline_events"),
        sa.UniqueConstraint("incident_id", "seq", name=op.f("uq_timeline_events_incident_id_seq")),
    )
    _table(
        "audit_log",
        sa.Column("seq", sa.Integer(), nullable=False),
        *_chain(
            sa.Column("action", sa.String(100), nullable=False),
            sa.Column("target", sa.String(500), nullable=False),
        ),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    op.create_index(op.f("ix_audit_log_target"), "audit_log", ["target"])


def _create_action_tables() -> None:
    _table(
        "actions",
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("model", NAME, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("trigger", NAME, nullable=False),
        sa.Column("idempotency_key", NAME, nullable=False),
        sa.Column("before_state", JSON, nullable=True),
        sa.Column("after_state", JSON, nullable=True),
        sa.Column("verification", JSON, nullable=True),
        sa.Column("snapshot_id", NAME, nullable=True),
        sa.Column("reverts_action_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        *_times("requested_at", nullable=False),
        *_times("applied_at", "verified_at", "failed_at", "reverted_at"),
        _fk("incident_id", "actions"),
        _fk("reverts_action_id", "actions", "actions"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_actions_idempotency_key")),
    )
    op.create_index(op.f("ix_actions_incident_id"), "actions", ["incident_id"])
    op.create_index(op.f("ix_actions_model"), "actions", ["model"])
    _table(
        "notifications",
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("dedup_key", NAME, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        *_times("created_at", nullable=False),
        *_times("sent_at"),
        _fk("incident_id", "notifications"),
    )
    for column in ("incident_id", "dedup_key", "status"):
        op.create_index(op.f(f"ix_notifications_{column}"), "notifications", [column])


def _create_serving_tables() -> None:
    _table(
        "route_states",
        sa.Column("model", NAME, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", JSON, nullable=False),
        *_times("created_at", nullable=False),
        sa.Column("created_by", NAME, nullable=False),
        pk=("model", "revision"),
    )
    _table(
        "model_versions",
        sa.Column("model", NAME, nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.Column("artifact_uri", sa.String(2000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("training_data_version", NAME, nullable=True),
        sa.Column("metrics", JSON, nullable=False),
        *_times("registered_at", nullable=False),
        sa.Column("registered_by", NAME, nullable=False),
        sa.UniqueConstraint("model", "version", name=op.f("uq_model_versions_model_version")),
    )
    _table(
        "deployments",
        sa.Column("model", NAME, nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.Column("previous_version", NAME, nullable=True),
        sa.Column("alias", sa.String(64), nullable=False),
        *_times("at", nullable=False),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        _fk("incident_id", "deployments"),
    )
    op.create_index("ix_deployments_model_alias_at", "deployments", ["model", "alias", "at"])
    op.create_index(op.f("ix_deployments_incident_id"), "deployments", ["incident_id"])


def _forbid_changes() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE) of the append-only tables in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION redline_refuse_change()"
            )
        return
    # SQLite. A batch migration that rebuilds one of these tables drops its triggers:
    # such a migration must create them again.
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            message = REFUSAL.format(table=table, op=action)
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("signals") as batch:
        for name, length, default in (("source", 100, "monitor"), ("status", 16, "firing")):
            column = sa.Column(name, sa.String(length), server_default=default, nullable=False)
            batch.add_column(column)
    _create_incident_tables()
    _create_chain_tables()
    _create_action_tables()
    _create_serving_tables()
    _forbid_changes()


def downgrade() -> None:
    """Revert this revision."""
    for table in reversed(TABLES):
        op.drop_table(table)  # dropping a table drops its triggers
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION redline_refuse_change()")
    with op.batch_alter_table("signals") as batch:
        batch.drop_column("status")
        batch.drop_column("source")
