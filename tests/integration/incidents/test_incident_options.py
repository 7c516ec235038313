"""What may happen next to an incident, as `incidents show`, the API and the page read it."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from redline.cli.main import app
from redline.domain import IncidentEvent, IncidentStatus, Severity
from redline.services.views import get_incident_view
from redline.store import Store, add_incident

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _declared_sev2(url: str) -> str:
    store = Store.from_url(url)
    try:
        with store.session() as session:
            row = add_incident(
                session,
                model="credit",
                title="drift on credit",
                category="drift",
                severity=Severity.SEV2,
                policy_version="test",
                detected_at=AT,
                status=IncidentStatus.DECLARED,
            )
            return row.key
    finally:
        store.dispose()


def test_a_declared_sev2_without_containment_may_be_monitored_only_with_a_reason(
    migrated_url: str,
) -> None:
    key = _declared_sev2(migrated_url)
    store = Store.from_url(migrated_url)
    try:
        options = {o.event: o for o in get_incident_view(store, key=key).options}
    finally:
        store.dispose()
    assert set(options) == {IncidentEvent.CONTAIN, IncidentEvent.MONITOR}
    assert options[IncidentEvent.MONITOR].needs == ("reason",)
    assert options[IncidentEvent.CONTAIN].refusal == "no verified containment action yet"

    shown = CliRunner().invoke(app, ["incidents", "show", key, "--store", migrated_url])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "contain not yet: no verified containment action yet" in text
    assert "monitor with --reason" in text

    as_json = CliRunner().invoke(app, ["incidents", "show", key, "--json", "--store", migrated_url])
    assert '"needs": [' in as_json.output
