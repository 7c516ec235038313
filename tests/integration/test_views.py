"""Read-only views, acknowledgement and chain verification on SQLite and PostgreSQL, over a
store where a real Guard saw drifted traffic and opened a SEV2 incident."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import text

import redline
from redline.domain import ActionType, IncidentEvent, IncidentStatus, Route, Severity
from redline.profiles.reference import Reference
from redline.services import IncidentNotFoundError, apply_action, views
from redline.services.acknowledge import AcknowledgeError, acknowledge_incident
from redline.services.catalog import list_models
from redline.services.integrity import verify_chains
from redline.services.views import (
    get_incident_id,
    get_incident_view,
    get_route_view,
    get_schema_status,
    list_action_views,
    list_incident_views,
    list_route_views,
)
from redline.store import SignalRow, Store, add_incident, get_incident, list_audit
from redline.store.tables_incidents import IncidentSignalRow
from rltest.policy import drift_fallback_playbook

MODEL = "credit"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000, 10_000],
    )


@pytest.fixture
def store(migrated_url: str, reference: Reference) -> Iterator[Store]:
    """A store holding one SEV2 drift incident of ``credit``, contained by a fallback."""
    with redline.Guard(
        model=MODEL,
        predict=lambda row: 2 * float(row["x"]),
        fallback=lambda row: 0.0,
        reference=reference,
        store=migrated_url,
        window_s=3600,
        playbook=drift_fallback_playbook(),  # opts into rerouting confirmed drift
    ) as guard:
        rng = np.random.default_rng(1)
        values, regions = rng.normal(1.5, 1, 1_000), rng.choice(["n", "s"], 1_000)
        for value, region in zip(values, regions, strict=True):
            guard.predict({"x": float(value), "region": str(region)})
        guard.flush()
    opened = Store.from_url(migrated_url)
    yield opened
    opened.dispose()


def _key(store: Store) -> str:
    (incident,) = list_incident_views(store)
    return incident.key


def test_incident_listing_filters(store: Store) -> None:
    (incident,) = list_incident_views(store, model=MODEL, open_only=True)
    assert (incident.severity, incident.status) == (Severity.SEV2, IncidentStatus.DECLARED)
    assert incident.detected_at.tzinfo is not None
    assert list_incident_views(store, severity=Severity.SEV1) == []
    assert list_incident_views(store, statuses=[IncidentStatus.CLOSED]) == []
    both = [IncidentStatus.TRIAGE, IncidentStatus.DECLARED]
    assert list_incident_views(store, statuses=both) == [incident]
    assert list_incident_views(store, model="other") == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        incident.title = "changed"  # type: ignore[misc]


def test_incident_detail_carries_evidence_actions_and_a_verified_timeline(store: Store) -> None:
    detail = get_incident_view(store, key=_key(store))
    assert {s.column for s in detail.signals} == {"x", "score"}
    assert all(s.top_moves and s.value > s.threshold for s in detail.signals)
    (action,) = detail.actions
    assert (action.type, action.incident_key, action.revision) == (
        ActionType.ROUTE_FALLBACK,
        detail.incident.key,
        1,
    )
    assert detail.timeline[0].kind == "opened"
    assert [e.seq for e in detail.timeline] == list(range(1, len(detail.timeline) + 1))
    assert detail.chain_intact
    assert all(e.verified for e in detail.timeline)
    assert detail.next_events == (IncidentEvent.CONTAIN, IncidentEvent.MONITOR)
    assert detail.allowed_events == ()  # containment is applied, not yet verified
    assert detail.postmortem_required
    data = detail.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert (data["incident"]["severity"], data["chain_intact"]) == ("SEV2", True)
    assert data["timeline"][0]["at"].endswith("+00:00")


def _link_signals(store: Store, key: str, n: int) -> list[int]:
    """Link ``n`` alarms on column ``z`` to the incident, an hour apart from NOW; their ids."""
    with store.session() as session:
        incident = get_incident(session, key=key)
        assert incident is not None
        rows = [
            SignalRow(
                model=MODEL,
                monitor="feature_drift",
                kind="feature_drift",
                column="z",
                statistic="wasserstein_norm",
                value=0.2 + i,
                threshold=0.1,
                level="alarm" if i else "critical",
                fingerprint=f"{MODEL}:z",
                window_start=NOW.replace(hour=i),
                window_end=NOW.replace(hour=i, minute=59),
                n_rows=100,
                evidence={},
                created_at=NOW.replace(hour=i, minute=59),
            )
            for i in range(n)
        ]
        session.add_all(rows)
        session.flush()
        for row in rows:
            session.add(IncidentSignalRow(incident_id=incident.id, signal_id=row.id))
        return [row.id for row in rows]


def test_a_long_incident_carries_its_newest_signals_and_counts_them_all(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key(store)
    before = len(get_incident_view(store, key=key).signals)
    ids = _link_signals(store, key, 7)
    monkeypatch.setattr(views, "SIGNALS_SHOWN", 3)
    detail = get_incident_view(store, key=key)
    assert [s.id for s in detail.signals] == ids[-3:]  # the newest, oldest first
    assert detail.signals_total == before + 7
    (z,) = [c for c in detail.signal_counts if c.column == "z" and c.level == "alarm"]
    assert (z.count, z.first_seen, z.last_seen) == (
        6,
        NOW.replace(hour=1, minute=59),
        NOW.replace(hour=6, minute=59),
    )
    (loud,) = [c for c in detail.signal_counts if c.column == "z" and c.level == "critical"]
    assert loud.count == 1
    assert sum(c.count for c in detail.signal_counts if c.column != "z") == before
    assert detail.to_dict()["signals_total"] == before + 7


def test_unknown_incident_keys_are_refused_with_a_hint(store: Store) -> None:
    for call in (
        lambda: get_incident_view(store, key="RL-1999-0001"),
        lambda: get_incident_id(store, key="RL-1999-0001"),
        lambda: list_action_views(store, incident_key="RL-1999-0001"),
        lambda: acknowledge_incident(store, key="RL-1999-0001", actor="person:ana"),
    ):
        with pytest.raises(IncidentNotFoundError, match="`redline incidents list` shows them"):
            call()


def test_action_and_route_views(store: Store) -> None:
    key = _key(store)
    apply_action(
        store,
        model=MODEL,
        type=ActionType.BLOCK_SOURCE,
        trigger="person:ana",
        params={"sources": ["10.0.0.0/8"]},
        incident_id=get_incident_id(store, key=key),
        now=NOW,
    )
    apply_action(store, model="other", type=ActionType.KILL_SWITCH, trigger="person:bob", now=NOW)
    mine = list_action_views(store, incident_key=key)
    assert [(a.type, a.incident_key) for a in mine] == [
        (ActionType.ROUTE_FALLBACK, key),
        (ActionType.BLOCK_SOURCE, key),
    ]
    (kill,) = list_action_views(store, model="other")
    assert (kill.incident_key, kill.trigger, kill.requested_at) == (None, "person:bob", NOW)

    history = list_route_views(store, model=MODEL)
    assert [v.revision for v in history] == [1, 2]
    assert history[0].changes == {"mode": Route.FALLBACK.value}
    assert history[1].changes == {"blocked_sources": ["10.0.0.0/8"]}
    assert history[1].created_by == "person:ana"
    now = get_route_view(store, model=MODEL)
    assert (now.revision, now.state.mode, now.state.blocked_sources) == (
        2,
        Route.FALLBACK,
        ("10.0.0.0/8",),
    )
    assert now.to_dict()["revision"] == 2
    assert (now.degraded, now.departures) == (True, ("fallback", "blocked_sources"))
    assert now.to_dict()["departures"] == ["fallback", "blocked_sources"]
    unseen = get_route_view(store, model="unseen")
    assert (unseen.revision, unseen.state.mode, unseen.created_by) == (0, Route.PRIMARY, None)
    assert (unseen.degraded, unseen.departures) == (False, ())
    health = {m.name: (m.degraded, m.departures, m.open_incidents) for m in list_models(store)}
    assert health == {
        MODEL: (True, ("fallback", "blocked_sources"), 1),
        "other": (True, ("fallback",), 0),  # no incident open, still off its primary route
    }
    assert list_route_views(store, model="unseen") == []


def test_acknowledge_records_once_and_refuses_finished_incidents(store: Store) -> None:
    key = _key(store)
    first = acknowledge_incident(store, key=key, actor="person:ana", now=NOW)
    assert (first.actor, first.acknowledged_at, first.new) == ("person:ana", NOW, True)
    again = acknowledge_incident(store, key=key, actor="person:bob")
    assert (again.actor, again.acknowledged_at, again.new) == ("person:ana", NOW, False)
    detail = get_incident_view(store, key=key)
    assert detail.incident.acknowledged_at == NOW
    assert [e.actor for e in detail.timeline if e.kind == "acknowledged"] == ["person:ana"]
    assert detail.chain_intact
    with store.session() as session:
        assert list_audit(session, target=key)[-1].action == "incident.acknowledge"
        add_incident(
            session,
            model=MODEL,
            title="noise",
            category="drift",
            severity=Severity.SEV3,
            policy_version="test",
            detected_at=NOW,
            status=IncidentStatus.DISMISSED,
            key="RL-2030-0099",
        )
    with pytest.raises(AcknowledgeError, match="it is dismissed"):
        acknowledge_incident(store, key="RL-2030-0099", actor="person:ana")


def _tamper(store: Store, table: str, statement: str) -> None:
    """Change a stored row past the append-only triggers, as a database owner could."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            connection.execute(text(f"DROP TRIGGER {table}_no_update"))
        connection.execute(text(statement))


def test_verify_chains_names_the_first_changed_entry_of_each_chain(store: Store) -> None:
    key = _key(store)
    intact = verify_chains(store)
    assert intact.intact
    assert (intact.timelines, intact.breaks) == (1, ())
    assert intact.timeline_entries == len(get_incident_view(store, key=key).timeline)
    assert intact.audit_entries >= 2

    _tamper(store, "timeline_events", "UPDATE timeline_events SET actor = 'x' WHERE seq = 2")
    _tamper(store, "audit_log", "UPDATE audit_log SET target = 'x' WHERE seq = 2")
    report = verify_chains(store)
    assert not report.intact
    assert [b.to_dict() for b in report.breaks] == [
        {"chain": "timeline", "incident_key": key, "seq": 2, "problem": "hash"},
        {"chain": "audit", "incident_key": None, "seq": 2, "problem": "hash"},
    ]
    assert report.breaks[0].describe().startswith(f"timeline of {key}: entry 2 fails")
    detail = get_incident_view(store, key=key)
    assert detail.broken_seq == 2
    assert [e.verified for e in detail.timeline[:3]] == [True, False, False]


def test_schema_status_names_the_migration(store: Store) -> None:
    status = get_schema_status(store)
    assert status.revision is not None
    assert status.store.split(":")[0] in {"sqlite", "postgresql+psycopg"}
