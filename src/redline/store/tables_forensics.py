"""Forensic evidence: content-addressed blobs, snapshots, triage reports and post-mortems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.store.tables import (
    Base,
    JSONDict,
    UTCDateTime,
    _validate_utc,
    choice_validator,
    utcnow,
)

__all__ = [
    "POSTMORTEM_STATUSES",
    "SNAPSHOT_REASONS",
    "BlobRow",
    "ModelEnvironmentRow",
    "PostmortemRow",
    "SnapshotCompletionRow",
    "SnapshotRow",
    "TriageReportRow",
]

HASH_LENGTH = 64  # hex sha256
# Why a snapshot was taken: the incident was declared, an action was about to alter the
# system, or a person asked for one.
SNAPSHOT_REASONS = ("declared", "before_action", "on_demand")
POSTMORTEM_STATUSES = ("draft", "in_review", "approved")


class BlobRow(Base):
    """Immutable bytes named by their sha256: the files a snapshot manifest points to."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    _utc = validates("created_at")(_validate_utc)


class SnapshotRow(Base):
    """A forensic snapshot: its manifest, named by the manifest's own sha256. Append-only."""

    __tablename__ = "snapshots"

    id: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("incidents.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    model: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    _choices = validates("reason")(choice_validator({"reason": SNAPSHOT_REASONS}))
    _utc = validates("taken_at", "created_at")(_validate_utc)


class SnapshotCompletionRow(Base):
    """The bytes copied into a snapshot after the change it preceded: files, sections, problems."""

    __tablename__ = "snapshot_completions"

    snapshot_id: Mapped[str] = mapped_column(
        String(HASH_LENGTH), ForeignKey("snapshots.id", ondelete="RESTRICT"), primary_key=True
    )
    record: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    _utc = validates("completed_at")(_validate_utc)


class ModelEnvironmentRow(Base):
    """The latest environment fingerprint a model's serving process (one Guard instance) sent."""

    __tablename__ = "model_environments"
    __table_args__ = (UniqueConstraint("model", "instance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    instance: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    fingerprint: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    _utc = validates("received_at")(_validate_utc)


class TriageReportRow(Base):
    """A first diagnosis of an incident; a later report supersedes, none is changed. Append-only."""

    __tablename__ = "triage_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    window_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    likely_cause: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    _utc = validates("created_at")(_validate_utc)


class PostmortemRow(Base):
    """An incident's post-mortem: a draft people edit, review and approve; ``version`` counts edits."""

    __tablename__ = "postmortems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("incidents.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    edited_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    _choices = validates("status")(choice_validator({"status": POSTMORTEM_STATUSES}))
    _utc = validates("approved_at", "created_at", "updated_at")(_validate_utc)
