"""Exports of a real incident validate against their schemas; their sha256 is the payload's."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from postmortem_world import fit, resolved_incident

from redline.domain.timeline import canonical_json
from redline.forensics.exports import ExportSchemaError, validate_export
from redline.profiles.reference import Reference
from redline.services.postmortem_exports import (
    UnknownExportError,
    export_incident,
    render_export,
)
from redline.store import Store, get_incident, save_incident

SCHEMAS = Path(__file__).parents[3] / "src" / "redline" / "forensics" / "schemas"
REGULATORY = {
    "system_name": "Credit scorer",
    "provider": "ACME Bank",
    "risk_class": "high",
    "eu_ai_act": True,
}


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit()


def set_aware_at(store: Store, key: str, aware_at: datetime | None) -> None:
    with store.session() as session:
        row = get_incident(session, key=key)
        assert row is not None
        save_incident(session, incident_id=row.id, aware_at=aware_at)


def test_every_export_validates_is_sealed_and_carries_the_clocks(
    migrated_url: str, reference: Reference
) -> None:
    key = resolved_incident(migrated_url, reference)
    store = Store.from_url(migrated_url)
    try:
        for kind in ("art73", "nist", "aiid", "assessment"):
            document = export_incident(store, key=key, kind=kind, regulatory=REGULATORY)
            schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text("utf-8"))
            jsonschema.validate(document, schema)
            digest = hashlib.sha256(canonical_json(document["payload"]).encode()).hexdigest()
            assert document["sha256"] == digest
            tampered = copy.deepcopy(document)
            stamp = "assessed_at" if kind == "assessment" else "generated_at"
            tampered["payload"][stamp] = "2020-01-01T00:00:00+00:00"
            with pytest.raises(ExportSchemaError, match="does not match its sha256"):
                validate_export(kind, tampered)
            broken = copy.deepcopy(document)
            del broken["payload"][next(iter(broken["payload"]))]
            with pytest.raises(ExportSchemaError, match="required property"):
                validate_export(kind, broken)

        art73 = export_incident(store, key=key, kind="art73", regulatory=REGULATORY)["payload"]
        assert art73["incident"]["key"] == key
        assert art73["reporter"]["provider"] == "ACME Bank"
        assert art73["report_type"] == "initial"
        assert art73["evidence"]["timeline_chain_intact"] is True
        assert art73["evidence"]["snapshots"]
        assert art73["causal_analysis"]["likely_cause"] == "covariate_drift"
        answers = {q["question"]: q["answer"] for q in art73["assessment"]["questions"]}
        assert answers["Is the AI system a high-risk system under the EU AI Act?"] == "yes"
        assert answers[
            "Did it seriously and irreversibly disrupt critical infrastructure?"
        ].startswith("unknown")

        markdown = render_export(
            export_incident(store, key=key, kind="art73"), kind="art73", fmt="md"
        )
        assert markdown is not None
        assert "**Not legal advice" in markdown
        assert "| 15 days |" in markdown
        html = render_export(
            export_incident(store, key=key, kind="art73"), kind="art73", fmt="html"
        )
        assert html is not None
        assert "<script" not in html
        with pytest.raises(UnknownExportError, match="json"):
            render_export(export_incident(store, key=key, kind="nist"), kind="nist", fmt="html")
        with pytest.raises(UnknownExportError, match="art73"):
            export_incident(store, key=key, kind="gdpr")

        set_aware_at(store, key, datetime.now(UTC) - timedelta(days=11))
        clocks = {
            c["clock"]: c
            for c in export_incident(store, key=key, kind="assessment")["payload"]["clocks"]
        }
        assert clocks["death"]["overdue"] is True
        assert clocks["widespread_or_critical_infrastructure"]["overdue"] is True
        assert clocks["general"]["overdue"] is False
        assert 3 * 86_400 < clocks["general"]["seconds_left"] < 4 * 86_400

        set_aware_at(store, key, None)
        unknown = export_incident(store, key=key, kind="art73")["payload"]["assessment"]
        assert all(c["deadline"] is None for c in unknown["clocks"])
        assert all("aware_at" in c["status"] for c in unknown["clocks"])
    finally:
        store.dispose()
