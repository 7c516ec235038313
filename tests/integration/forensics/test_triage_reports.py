"""An incident opened through the normal ingest path gets a triage report within one window;
data blame counts the decisions served in the impact window as the store holds them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

import redline
from redline.domain import Severity
from redline.errors import DataError
from redline.guard.guard import GuardEngine as Guard
from redline.profiles.reference import Reference
from redline.services.catalog import save_reference
from redline.services.data_blame import blame, export_impacted_decisions
from redline.services.incidents import IncidentNotFoundError
from redline.services.triage_reports import (
    TriageReportNotFoundError,
    attach_triage_report_in,
    get_triage_report,
)
from redline.store import (
    PredictionRow,
    Store,
    add_incident,
    list_incidents,
    list_timeline,
    list_triage_reports,
    list_windows,
)
from rltest.policy import drift_fallback_playbook

ATTACKER = "203.0.113.0/24"


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(61)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "z": rng.normal(size=20_000), "region": rng.choice(["n", "s", "e"], 20_000)},
        window_sizes=[300, 1_000],
    )


def predict(row: dict[str, Any]) -> float:
    return float(row["x"])


def serve(guard: Guard, n: int, seed: int, *, shift: float = 0.0, attack: int = 0) -> None:
    """One window: ``n`` rows from ten ordinary sources, ``attack`` of them from one IP range
    sending values far outside the reference's range."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        row = {"x": float(rng.normal(shift)), "z": float(rng.normal()), "region": "n"}
        row["region"] = str(rng.choice(["n", "s", "e"]))
        source = f"10.0.{i % 10}.0/24"
        if i < attack:
            row["x"], source = float(rng.normal(12.0, 0.5)), ATTACKER
        guard.predict(row, source=source)
    guard.flush()


@pytest.fixture
def store(migrated_url: str, reference: Reference) -> Iterator[Store]:
    opened = Store.from_url(migrated_url)
    save_reference(opened, model="credit", body=reference.to_dict(), actor="person:test")
    yield opened
    opened.dispose()


def _guard(store: Store, reference: Reference, **options: Any) -> Guard:
    return redline.Guard(
        model="credit",
        predict=predict,
        reference=reference,
        store=store,
        window_s=3600,
        record_served=True,
        **options,
    )


def test_a_drift_incident_gets_a_report_in_the_window_that_opened_it(
    store: Store, reference: Reference
) -> None:
    with _guard(store, reference) as guard:
        for seed in range(3):
            serve(guard, 600, seed)
        serve(guard, 600, 10, shift=1.5)
        with store.session() as session:
            (incident,) = list_incidents(session, model="credit")
            windows = list_windows(session, model="credit")
            (report,) = list_triage_reports(session, incident_id=incident.id)
            assert report.window_id == windows[-1].id  # the window that opened the incident
            assert report.likely_cause == "covariate_drift"
            features = report.report["input_isolation"]["features"]
            assert features[0]["feature"] == "x"
            assert report.report["reference"] == "stored"
            kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
            assert "triage_report" in kinds
        serve(guard, 600, 11, shift=1.5)  # same cause: still a report of its own window
        serve(guard, 600, 12)  # the inputs are back to normal, the incident still open
    with store.session() as session:
        reports = list_triage_reports(session, incident_id=incident.id)
        windows = list_windows(session, model="credit")
    assert [r.window_id for r in reports] == [w.id for w in windows[3:]]  # one per window
    view = get_triage_report(store, key=incident.key)
    assert (view.likely_cause, view.reports, view.window_id) == (
        "covariate_drift",
        3,
        windows[-1].id,
    )
    assert 0.5 <= view.confidence <= 0.8


def test_an_attack_from_one_ip_range_names_the_source(store: Store, reference: Reference) -> None:
    with _guard(store, reference) as guard:
        for seed in range(3):
            serve(guard, 600, seed)
        serve(guard, 600, 19, shift=1.5)  # opens the incident as a covariate drift
        serve(guard, 600, 20, attack=200)  # the cause changes: a fresher report
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        reports = list_triage_reports(session, incident_id=incident.id)
        assert [r.likely_cause for r in reports] == [
            "covariate_drift",
            "adversarial_or_ood_traffic",
        ]
        events = list_timeline(session, incident_id=incident.id)
        assert [e.kind for e in events].count("triage_report") == 2
    view = get_triage_report(store, key=incident.key)
    assert (view.likely_cause, view.reports) == ("adversarial_or_ood_traffic", 2)
    assert view.report["input_isolation"]["sources"][0]["name"] == ATTACKER
    found = blame(store, key=incident.key)
    assert found.shift["isolation"]["sources"][0]["name"] == ATTACKER


def test_blame_counts_and_exports_the_decisions_served(
    store: Store, reference: Reference, tmp_path: Path
) -> None:
    with _guard(store, reference, playbook=drift_fallback_playbook()) as guard:
        for seed in range(4):
            serve(guard, 400, seed)
        for seed in (30, 31, 32):
            serve(guard, 400, seed, shift=1.5)
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        windows = list_windows(session, model="credit")
        drifted = [w.id for w in windows[4:]]
        stored = session.scalar(
            select(func.count())
            .select_from(PredictionRow)
            .where(PredictionRow.window_id.in_(drifted), PredictionRow.route == "primary")
        )
    found = blame(store, key=incident.key)
    assert found.shift["onset"] == 4
    assert found.shift["first_affected_window"]["window_id"] == windows[4].id
    # Two drifted windows served by the primary; the fallback serves from the third on.
    assert found.decisions_served == stored == 800
    assert found.data_versions["windows_reference_hash"] == reference.content_hash
    n = export_impacted_decisions(store, key=incident.key, path=tmp_path / "d.csv", format="csv")
    with (tmp_path / "d.csv").open() as handle:
        assert n == len(list(csv.DictReader(handle))) == 800
    out = tmp_path / "d.parquet"
    assert export_impacted_decisions(store, key=incident.key, path=out, format="parquet") == n
    assert pq.read_table(out).num_rows == n
    with pytest.raises(DataError, match="csv, parquet"):
        export_impacted_decisions(store, key=incident.key, path=out, format="xlsx")  # type: ignore[arg-type]


def test_unknown_incidents_and_incidents_without_windows(store: Store) -> None:
    with pytest.raises(IncidentNotFoundError, match="no incident"):
        get_triage_report(store, key="RL-2026-9999")
    with store.session() as session:
        row = add_incident(
            session,
            model="credit",
            title="reported by a person",
            category="drift",
            severity=Severity.SEV3,
            policy_version="test",
            detected_at=datetime.now(UTC),
        )
        assert attach_triage_report_in(session, incident=row, now=datetime.now(UTC)) is None
        key = row.key
    with pytest.raises(TriageReportNotFoundError, match="no triage report yet"):
        get_triage_report(store, key=key)
    with pytest.raises(DataError, match="no stored window"):
        blame(store, key=key)
