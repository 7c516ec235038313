"""Post-mortems of an incident built through the real ingest path, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from postmortem_world import MODEL, fit, resolved_incident

from redline.domain import IncidentEvent
from redline.domain.postmortem import PostmortemTransitionError
from redline.domain.transitions import TransitionError
from redline.profiles.reference import Reference
from redline.services.incidents import transition_incident
from redline.services.integrity import verify_chains
from redline.services.postmortem_review import (
    approve_postmortem,
    edit_postmortem,
    request_postmortem_changes,
    submit_postmortem,
)
from redline.services.postmortems import (
    PostmortemEditError,
    PostmortemNotFoundError,
    generate_postmortem,
    render_postmortem,
    show_postmortem,
)
from redline.store import (
    StalePostmortemError,
    Store,
    get_incident,
    list_snapshots,
    list_timeline,
)

SECTIONS = [
    "Summary",
    "Impact",
    "Detection",
    "Triage",
    "Containment",
    "Forensic snapshots",
    "Resolution",
    "Timeline",
    "Model lineage",
    "Data timeline",
    "Subgroup impact",
    "Human review",
    "Decisions in the impact window",
    "Root cause",
    "What went well, badly, lucky",
    "Retrain versus patch",
    "Threshold backtest",
    "Suggested playbook changes",
    "Action items",
]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit()


def sections(markdown: str) -> dict[str, str]:
    """Heading → the text under it, up to the next heading."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.M)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts), 2)}


def test_a_resolved_sev2_gets_a_draft_with_every_section_filled(
    migrated_url: str, reference: Reference
) -> None:
    key = resolved_incident(migrated_url, reference)
    store = Store.from_url(migrated_url)
    try:
        view = show_postmortem(store, key=key)
        assert (view.status, view.version, view.edited_by) == ("draft", 1, None)
        body = sections(view.markdown)
        assert list(body) == SECTIONS
        assert all(text for text in body.values()), [h for h, t in body.items() if not t]
        with store.session() as session:
            incident = get_incident(session, key=key)
            assert incident is not None
            assert incident.postmortem_status == "draft"
            (snapshot, *_) = list_snapshots(session, incident_id=incident.id)
            kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        assert kinds[-1] == "postmortem_drafted"
        assert key in body["Summary"]
        assert MODEL in body["Summary"]
        assert "SEV2" in body["Summary"]
        served = re.search(r"predictions\): (\d+), of which (\d+) by the primary", body["Impact"])
        assert served is not None
        assert int(served[1]) >= 1_000
        assert "feature_drift" in body["Detection"]
        assert "| x |" in body["Detection"]
        assert "covariate_drift" in body["Triage"]
        assert "route_fallback | reverted" in body["Containment"]  # the primary was restored
        assert "restore | verified" in body["Containment"]
        assert snapshot.id[:12] in body["Forensic snapshots"]
        assert "hash chain intact" in body["Timeline"]
        assert "first crossed its threshold" in body["Data timeline"]
        assert f"{served[1]} decisions" in body["Decisions in the impact window"]
        assert "to be confirmed by a person" in body["Root cause"]
        assert "SLA 4h" in body["What went well, badly, lucky"]
        assert "**retrain**" in body["Retrain versus patch"]
        assert "160 labelled rows" in body["Retrain versus patch"]
        assert "x1 (current)" in body["Threshold backtest"]
        assert "mitigate" in body["Action items"]
        html = render_postmortem(store, key=key, fmt="html")
        assert html.count("<svg") == 1
        assert "<polyline" in html
        assert "<script" not in html
        assert "http://" not in html
        assert "https://" not in html
        assert f"<h1>Post-mortem {key}" in html
    finally:
        store.dispose()


def test_review_workflow_edits_approves_and_lets_the_sev2_close(
    migrated_url: str, reference: Reference
) -> None:
    key = resolved_incident(migrated_url, reference)
    store = Store.from_url(migrated_url)
    try:
        draft = show_postmortem(store, key=key)
        edited = draft.markdown.replace("## Action items", "## Action items\n\nOwner: ana.")
        with pytest.raises(StalePostmortemError, match="version 3"):
            edit_postmortem(
                store, key=key, markdown=edited, reason="r", actor="person:bo", expected_version=3
            )
        assert show_postmortem(store, key=key).version == 1
        with pytest.raises(PostmortemEditError, match="reason"):
            edit_postmortem(store, key=key, markdown=edited, reason=" ", actor="person:bo")
        view = edit_postmortem(
            store,
            key=key,
            markdown=edited,
            reason="owner named",
            actor="person:bo",
            expected_version=1,
        )
        assert (view.version, view.edited_by, view.markdown) == (2, "person:bo", edited)
        with pytest.raises(PostmortemEditError, match="edited by person:bo"):
            generate_postmortem(store, key=key, actor="person:bo")
        with pytest.raises(TransitionError, match="post-mortem"):
            transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana")

        submit_postmortem(store, key=key, actor="person:bo")
        with pytest.raises(PostmortemTransitionError, match="in_review"):
            edit_postmortem(store, key=key, markdown="x", reason="late", actor="person:bo")
        request_postmortem_changes(store, key=key, actor="person:ana", reason="add owners")
        assert show_postmortem(store, key=key).status == "draft"
        submit_postmortem(store, key=key, actor="person:bo")
        with pytest.raises(PostmortemEditError, match="--by"):
            approve_postmortem(store, key=key, by="  ")
        approved = approve_postmortem(store, key=key, by="ana")
        assert (approved.status, approved.approved_by) == ("approved", "person:ana")
        assert approved.approved_at is not None

        assert (
            transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana")
            == "closed"
        )
        with store.session() as session:
            incident = get_incident(session, key=key)
            assert incident is not None
            assert (incident.status, incident.postmortem_status) == ("closed", "approved")
            kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        for kind in (
            "postmortem_edit",
            "postmortem_submit",
            "postmortem_request_changes",
            "postmortem_approve",
        ):
            assert kind in kinds
        assert verify_chains(store).intact
    finally:
        store.dispose()


def test_a_reopened_incident_needs_its_post_mortem_approved_again(
    migrated_url: str, reference: Reference
) -> None:
    key = resolved_incident(migrated_url, reference)
    store = Store.from_url(migrated_url)
    try:
        submit_postmortem(store, key=key, actor="person:bo")
        approve_postmortem(store, key=key, by="ana")
        transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana")
        transition_incident(
            store, key=key, event=IncidentEvent.REOPEN, actor="person:ana", reason="it recurred"
        )
        view = show_postmortem(store, key=key)
        assert (view.status, view.version) == ("draft", 4)  # submit, approve, reopen
        with store.session() as session:
            incident = get_incident(session, key=key)
            assert incident is not None
            assert (incident.status, incident.postmortem_status) == ("declared", "draft")
            kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        assert kinds[-1] == "postmortem_incident_reopened"
        assert verify_chains(store).intact
    finally:
        store.dispose()


def test_a_failing_draft_never_loses_the_window_that_resolved_the_incident(
    migrated_url: str,
    reference: Reference,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("redline.services.postmortems.build_postmortem", broken)
    key = resolved_incident(migrated_url, reference, quiet_before=1)  # asserts it resolved
    assert "could not draft the post-mortem" in caplog.text
    store = Store.from_url(migrated_url)
    try:
        with pytest.raises(PostmortemNotFoundError, match="postmortem generate"):
            show_postmortem(store, key=key)
        monkeypatch.undo()
        assert generate_postmortem(store, key=key, actor="person:bo").version == 1
    finally:
        store.dispose()
