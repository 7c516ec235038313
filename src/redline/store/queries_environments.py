"""Environment fingerprints of models' serving processes, the latest per Guard instance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from redline.store.queries import _add_once
from redline.store.tables_forensics import ModelEnvironmentRow

__all__ = ["get_model_environment", "list_model_environments", "save_model_environment"]


def save_model_environment(
    session: Session,
    *,
    model: str,
    instance: str,
    sha256: str,
    fingerprint: dict[str, Any],
    received_at: datetime,
) -> ModelEnvironmentRow:
    """Keep ``fingerprint`` as the latest of this model's Guard ``instance``; flushes."""

    def find() -> ModelEnvironmentRow | None:
        query = select(ModelEnvironmentRow).where(
            ModelEnvironmentRow.model == model, ModelEnvironmentRow.instance == instance
        )
        return session.scalars(query).first()

    fresh = ModelEnvironmentRow(
        model=model,
        instance=instance,
        sha256=sha256,
        fingerprint=fingerprint,
        received_at=received_at,
    )
    row, created = _add_once(session, fresh, find)
    if not created:
        row.sha256, row.fingerprint, row.received_at = sha256, fingerprint, received_at
        session.flush()
    return row


def list_model_environments(session: Session, *, model: str) -> list[ModelEnvironmentRow]:
    """Every Guard instance's latest fingerprint of ``model``, most recently received first."""
    query = (
        select(ModelEnvironmentRow)
        .where(ModelEnvironmentRow.model == model)
        .order_by(ModelEnvironmentRow.received_at.desc(), ModelEnvironmentRow.id.desc())
    )
    return list(session.scalars(query))


def get_model_environment(session: Session, *, model: str) -> ModelEnvironmentRow | None:
    """The fingerprint most recently received for ``model``, or None if no Guard sent one."""
    found = list_model_environments(session, model=model)
    return found[0] if found else None
