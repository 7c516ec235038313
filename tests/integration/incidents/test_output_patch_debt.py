"""An output patch applied for an incident is recorded on its timeline as debt."""

from __future__ import annotations

from datetime import UTC, datetime

from redline.domain import ActionStatus, ActionType, Severity
from redline.services import apply_action
from redline.store import Store, add_incident, list_timeline


def test_an_output_patch_is_debt_on_the_incident(migrated_url: str) -> None:
    store = Store.from_url(migrated_url)
    try:
        now = datetime.now(UTC)
        with store.session() as session:
            incident = add_incident(
                session,
                model="m",
                title="scores too high",
                category="drift",
                severity=Severity.SEV2,
                policy_version="test",
                detected_at=now,
            )
            incident_id = incident.id
        result = apply_action(
            store,
            model="m",
            type=ActionType.OUTPUT_PATCH,
            trigger="person:ana",
            params={"score_offset": -0.1},
            incident_id=incident_id,
            now=now,
        )
        assert result.status is ActionStatus.APPLIED
        with store.session() as session:
            kinds = [
                (e.kind, e.details.get("patch"))
                for e in list_timeline(session, incident_id=incident_id)
            ]
        assert ("debt", {"output_patch": {"score_offset": -0.1, "class_remap": {}}}) in kinds
    finally:
        store.dispose()
