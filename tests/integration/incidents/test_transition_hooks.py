"""The hook table's links run on every path that moves an incident or its post-mortem.

Incidents are built by hand in the store (a SEV2 being monitored, paged on two channels, quiet
for three windows) and moved by the system (``advance_incidents_in``, ``transition_in`` as
triage calls it), by a person through the service every entry point calls
(``transition_incident``), through the ``redline`` command (its Typer app, in-process), and
through the HTTP API of a live server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from redline.api import create_app
from redline.api.server import ApiServer
from redline.domain import (
    IncidentEvent,
    IncidentStatus,
    Level,
    Severity,
    SeverityPolicy,
    SeverityRule,
    Signal,
    SignalMatch,
)
from redline.domain.postmortem import PostmortemStatus
from redline.services.acknowledge import acknowledge_incident
from redline.services.incidents import transition_in, transition_incident
from redline.services.integrity import verify_chains
from redline.services.notifications import queue_notice
from redline.services.postmortem_review import (
    approve_postmortem,
    request_postmortem_changes,
    submit_postmortem,
)
from redline.services.postmortems import generate_postmortem, show_postmortem
from redline.services.response import ResponsePlan
from redline.services.tokens import create_token
from redline.services.triage import advance_incidents_in, triage_signals_in
from redline.settings import Settings, StoreSettings
from redline.store import (
    Store,
    add_incident,
    add_incident_signals,
    add_signals,
    add_window,
    get_incident,
    list_notifications,
    list_timeline,
)
from rltest.cli import invoke_redline

MODEL = "scorer"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
PAGED = ("oncall-pager", "oncall-slack")
RESOLVE_PATHS = ["system", "person", "cli", "api"]


@pytest.fixture
def url(migrated_url: str) -> str:
    return migrated_url


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store.from_url(url)
    try:
        yield opened
    finally:
        opened.dispose()


def monitoring_incident(
    store: Store,
    *,
    severity: Severity = Severity.SEV2,
    paged: tuple[str, ...] = PAGED,
    quiet: int = 3,
    status: IncidentStatus = IncidentStatus.MONITORING,
) -> str:
    """An incident in ``status`` whose last signal came ``quiet`` hourly windows ago."""
    with store.session() as session:
        row = add_incident(
            session,
            model=MODEL,
            title="feature drift in x on scorer",
            category="drift",
            severity=severity,
            policy_version="hooks-test",
            detected_at=T0,
            status=status,
            first_signal_at=T0,
            last_signal_at=T0,
        )
        (signal,) = add_signals(session, signals=[drift(T0)])
        add_incident_signals(session, incident_id=row.id, signal_ids=[signal.id])
        if paged:
            queue_notice(session, row, event="trigger", channels=paged, summary=row.title, now=T0)
        for hour in range(quiet):
            start = T0 + timedelta(hours=hour)
            add_window(
                session,
                window_id=f"{row.key}-{hour}",
                model=MODEL,
                start=start,
                end=start + timedelta(hours=1),
                n_rows=500,
                payload={},
            )
        return row.key


#: Drift is watched, nothing more: triage's response runs no action in these tests.
WATCH_DRIFT = SeverityPolicy(
    version="hooks-test",
    rules=(
        SeverityRule(
            name="drift_watch",
            match=SignalMatch(kinds=frozenset({"feature_drift"})),
            severity=Severity.SEV3,
        ),
    ),
)


def drift(at: datetime) -> Signal:
    """A drift alarm on MODEL in the window ending at ``at``."""
    return Signal(
        monitor="numeric_drift",
        kind="feature_drift",
        column="x",
        statistic="wasserstein_norm",
        value=0.5,
        threshold=0.1,
        level=Level.ALARM,
        window_start=at - timedelta(hours=1),
        window_end=at,
        n_rows=500,
        model=MODEL,
    )


def resolve(path: str, store: Store, url: str, key: str) -> None:
    """Resolve the incident the way ``path`` does."""
    now = T0 + timedelta(hours=4)
    if path == "system":
        with store.session() as session:
            assert advance_incidents_in(session, model=MODEL, now=now) == [key]
    elif path == "person":
        transition_incident(
            store, key=key, event=IncidentEvent.RESOLVE, actor="person:ana", now=now
        )
    elif path == "cli":
        done = invoke_redline("incidents", "resolve", key, "--actor", "ana", "--store", url)
        assert done.returncode == 0, done.stderr
    else:
        resolve_over_http(store, url, key)
    assert incident_status(store, key) == IncidentStatus.RESOLVED


def resolve_over_http(store: Store, url: str, key: str) -> None:
    app = create_app(Settings(store=StoreSettings(url=url)), store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    try:
        token, *_ = create_token(store, name="responder-test", role="responder")
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=30.0) as client:
            moved = client.post(f"/api/v1/incidents/{key}/transitions", json={"event": "resolve"})
        assert moved.status_code == 200, moved.text
    finally:
        server.stop()


def incident_status(store: Store, key: str) -> str:
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        return row.status


def notices(store: Store, key: str) -> list[tuple[str, str]]:
    """(event, channel) of every queued notification of the incident, in order."""
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        return [(n.event, n.channel) for n in list_notifications(session, incident_id=row.id)]


def timeline_kinds(store: Store, key: str) -> list[str]:
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        return [e.kind for e in list_timeline(session, incident_id=row.id)]


@pytest.mark.parametrize("path", RESOLVE_PATHS)
def test_every_resolve_tells_the_paged_channels_and_drafts_the_post_mortem(
    path: str, store: Store, url: str
) -> None:
    key = monitoring_incident(store)
    resolve(path, store, url, key)
    resolved = [channel for event, channel in notices(store, key) if event == "resolve"]
    assert sorted(resolved) == sorted(PAGED)
    draft = show_postmortem(store, key=key)
    assert (draft.status, draft.version) == (PostmortemStatus.DRAFT, 1)
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        assert (row.postmortem_status, row.postmortem_required) == ("draft", True)
        assert row.resolved_at is not None
    kinds = timeline_kinds(store, key)
    assert kinds.index("status") < kinds.index("notify_resolve") < kinds.index("postmortem_drafted")
    assert verify_chains(store).intact


@pytest.mark.parametrize("path", ["system", "person"])
def test_a_resolve_without_pages_or_post_mortem_queues_and_drafts_nothing(
    path: str, store: Store, url: str
) -> None:
    key = monitoring_incident(store, severity=Severity.SEV3, paged=())
    resolve(path, store, url, key)
    assert notices(store, key) == []
    kinds = timeline_kinds(store, key)
    assert "postmortem_drafted" not in kinds
    assert "page_skipped" not in kinds  # no notice was wanted, so none was skipped


def reviewed(store: Store, key: str, until: PostmortemStatus) -> None:
    """Resolve by a person, then take the drafted post-mortem to ``until``."""
    transition_incident(store, key=key, event=IncidentEvent.RESOLVE, actor="person:ana")
    submit_postmortem(store, key=key, actor="person:bo")
    assert incident_status(store, key) == IncidentStatus.POSTMORTEM  # the submit hook
    if until is PostmortemStatus.APPROVED:
        approve_postmortem(store, key=key, by="ana")


@pytest.mark.parametrize("until", [PostmortemStatus.IN_REVIEW, PostmortemStatus.APPROVED])
def test_a_person_reopening_sends_a_reviewed_post_mortem_back_to_draft(
    until: PostmortemStatus, store: Store
) -> None:
    key = monitoring_incident(store)
    reviewed(store, key, until)
    transition_incident(
        store, key=key, event=IncidentEvent.REOPEN, actor="person:ana", reason="it recurred"
    )
    assert show_postmortem(store, key=key).status == PostmortemStatus.DRAFT
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        assert (row.status, row.postmortem_status) == ("declared", "draft")
    assert timeline_kinds(store, key)[-1] == "postmortem_incident_reopened"


def test_the_system_reopening_sends_an_approved_post_mortem_back_to_draft(store: Store) -> None:
    key = monitoring_incident(store)
    reviewed(store, key, PostmortemStatus.APPROVED)
    transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana")
    with store.session() as session:  # as action_failures does when a containment is lost
        row = get_incident(session, key=key)
        assert row is not None
        transition_in(session, row, IncidentEvent.REOPEN, actor="system", now=T0)
    assert show_postmortem(store, key=key).status == PostmortemStatus.DRAFT


def test_signals_coming_back_reopen_and_send_a_post_mortem_in_review_back_to_draft(
    store: Store,
) -> None:
    key = monitoring_incident(store)
    generate_postmortem(store, key=key, actor="person:bo")
    submit_postmortem(store, key=key, actor="person:bo")  # in review while still monitoring
    resolve("system", store, "", key)
    assert show_postmortem(store, key=key).status == PostmortemStatus.IN_REVIEW
    back = T0 + timedelta(minutes=10)  # within the grouping window of the last signal
    with store.session() as session:
        rows = add_signals(session, signals=[drift(back)])
        plan = ResponsePlan(policy=WATCH_DRIFT)
        found = triage_signals_in(session, model=MODEL, rows=rows, now=back, plan=plan)
        assert found is not None
        assert found.key == key
    assert incident_status(store, key) == IncidentStatus.DECLARED
    assert show_postmortem(store, key=key).status == PostmortemStatus.DRAFT
    assert "postmortem_incident_reopened" in timeline_kinds(store, key)


def test_a_reopen_leaves_a_draft_as_it_is_and_a_redraft_follows_the_next_resolve(
    store: Store,
) -> None:
    key = monitoring_incident(store)
    transition_incident(store, key=key, event=IncidentEvent.RESOLVE, actor="person:ana")
    transition_incident(store, key=key, event=IncidentEvent.REOPEN, actor="person:ana")
    assert "postmortem_incident_reopened" not in timeline_kinds(store, key)
    assert show_postmortem(store, key=key).version == 1
    for event in (IncidentEvent.MONITOR, IncidentEvent.RESOLVE):
        transition_incident(
            store, key=key, event=event, actor="person:ana", reason="quiet since the recurrence"
        )
    assert show_postmortem(store, key=key).version == 2  # untouched: drafted again
    assert [e for e, _ in notices(store, key)].count("resolve") == 2 * len(PAGED)


def test_submitting_before_the_incident_resolved_leaves_its_status(store: Store) -> None:
    key = monitoring_incident(store)
    generate_postmortem(store, key=key, actor="person:bo")
    submit_postmortem(store, key=key, actor="person:bo")
    assert incident_status(store, key) == IncidentStatus.MONITORING
    request_postmortem_changes(store, key=key, actor="person:ana", reason="not over yet")
    assert show_postmortem(store, key=key).status == PostmortemStatus.DRAFT


def test_acknowledging_tells_the_paged_channels_once(store: Store) -> None:
    key = monitoring_incident(store, status=IncidentStatus.DECLARED)
    acknowledge_incident(store, key=key, actor="person:ana", now=T0)
    acknowledge_incident(store, key=key, actor="person:bo", now=T0)
    acked = sorted(c for e, c in notices(store, key) if e == "acknowledge")
    assert acked == sorted(PAGED)


def test_reaching_contained_or_closed_dates_it(store: Store) -> None:
    key = monitoring_incident(store, severity=Severity.SEV3, paged=())
    transition_incident(store, key=key, event=IncidentEvent.RESOLVE, actor="person:ana")
    at = T0 + timedelta(days=1)
    transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana", now=at)
    with store.reading() as session:
        row = get_incident(session, key=key)
        assert row is not None
        assert row.closed_at is not None
        assert row.closed_at.replace(tzinfo=UTC) == at
        assert row.contained_at is None
