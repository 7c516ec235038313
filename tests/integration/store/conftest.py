"""Rows most store tests need: an incident to hang timelines, actions and links on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from redline.domain import Severity
from redline.store import IncidentRow, add_incident

DETECTED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def incident(session: Session) -> IncidentRow:
    """A SEV2 incident in triage on model "fraud", inside the test's rolled-back transaction."""
    return add_incident(
        session,
        model="fraud",
        title="fraud recall dropped 20%",
        category="performance",
        severity=Severity.SEV2,
        policy_version="2026.1",
        detected_at=DETECTED,
    )
