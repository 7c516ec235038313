"""A Hypothesis state machine drives incidents with random events and facts; invariants hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from redline.domain import (
    ActionType,
    IncidentEvent,
    IncidentFacts,
    IncidentStatus,
    Severity,
    TransitionError,
    allowed_events,
    postmortem_required,
    transition,
    verify_chain,
)
from redline.domain.timeline import chain_hash

START = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
REQUIRED_WINDOWS = 2
E = IncidentEvent


class IncidentMachine(RuleBasedStateMachine):
    """One incident; rules change its facts or fire events, and every transition is chained."""

    def __init__(self) -> None:
        super().__init__()
        self.status = IncidentStatus.TRIAGE
        self.severity = Severity.SEV3
        self.applied: list[ActionType] = []
        self.verified = False
        self.quiet = 0
        self.approved = False
        self.reason = ""
        self.in_force = False
        self.accepted = ""
        self.entries: list[tuple[dict[str, Any], str]] = []

    def facts(self) -> IncidentFacts:
        return IncidentFacts(
            severity=self.severity,
            has_verified_containment=self.verified,
            exit_windows_quiet=self.quiet,
            exit_windows_required=REQUIRED_WINDOWS,
            postmortem_required=postmortem_required(self.severity, self.applied),
            postmortem_approved=self.approved,
            reason=self.reason,
            containment_in_force=self.in_force,
            containment_accepted=self.accepted,
        )

    @rule(severity=st.sampled_from(Severity))
    def change_severity(self, severity: Severity) -> None:
        self.severity = severity

    @rule(action=st.sampled_from(ActionType), verified=st.booleans())
    def apply_action(self, action: ActionType, verified: bool) -> None:
        self.applied.append(action)
        self.verified = self.verified or verified

    @rule(in_force=st.booleans())
    def lift_or_keep_containment(self, in_force: bool) -> None:
        self.in_force = in_force

    @rule(accepted=st.sampled_from(["", "  ", "the rules are good enough until v3"]))
    def accept_containment(self, accepted: str) -> None:
        self.accepted = accepted

    @rule(quiet=st.sampled_from([True, True, True, False]))
    def close_window(self, quiet: bool) -> None:
        self.quiet = self.quiet + 1 if quiet else 0

    @rule()
    def approve_postmortem(self) -> None:
        self.approved = True

    @rule(reason=st.sampled_from(["", " ", "no fallback exists; watching closely"]))
    def give_reason(self, reason: str) -> None:
        self.reason = reason

    @rule(pick=st.integers(min_value=0, max_value=7))
    def move_forward(self, pick: int) -> None:
        # Random events alone rarely walk the whole way to CLOSED; this rule steers forward.
        allowed = [
            e for e in allowed_events(self.status, self.facts()) if e not in (E.REOPEN, E.DISMISS)
        ]
        if allowed:
            self.fire(allowed[pick % len(allowed)])

    @rule(event=st.sampled_from(IncidentEvent))
    def fire(self, event: IncidentEvent) -> None:
        facts = self.facts()
        before = self.status
        if event not in allowed_events(before, facts):
            with pytest.raises(TransitionError, match=f"cannot {event} RL-2026-0001: .*{before}"):
                transition(before, event, facts, key="RL-2026-0001")
            return
        after = transition(before, event, facts, key="RL-2026-0001")
        payload = {
            "seq": len(self.entries),
            "at": START + timedelta(minutes=len(self.entries)),
            "event": event,
            "from": before,
            "to": after,
            "verified": facts.has_verified_containment,
            "needs_postmortem": facts.needs_postmortem,
            "approved": facts.postmortem_approved,
            "in_force": facts.containment_in_force,
            "accepted": facts.containment_accepted,
        }
        previous = self.entries[-1][1] if self.entries else "0" * 64
        self.entries.append((payload, chain_hash(previous, payload)))
        self.status = after
        if event is IncidentEvent.REOPEN:
            self.quiet, self.approved, self.verified = 0, False, False

    @invariant()
    def contained_only_after_a_verified_action(self) -> None:
        for payload, _ in self.entries:
            if payload["to"] is IncidentStatus.CONTAINED:
                assert payload["verified"]

    @invariant()
    def closed_only_with_an_approved_postmortem_when_required(self) -> None:
        for payload, _ in self.entries:
            if payload["to"] is IncidentStatus.CLOSED and payload["needs_postmortem"]:
                assert payload["approved"]
                assert payload["from"] is IncidentStatus.POSTMORTEM

    @invariant()
    def the_chain_verifies_and_any_tampering_is_found_where_it_happened(self) -> None:
        assert verify_chain(self.entries) is None
        for index, (payload, stored) in enumerate(self.entries):
            forged = [*self.entries]
            forged[index] = ({**payload, "to": "closed", "seq": -1}, stored)
            assert verify_chain(forged) == index
            forged[index] = (payload, "f" * 64)
            assert verify_chain(forged) == index

    @invariant()
    def resolved_only_once_containment_ended_or_a_person_kept_it(self) -> None:
        for payload, _ in self.entries:
            if payload["event"] is IncidentEvent.RESOLVE and payload["in_force"]:
                assert payload["accepted"].strip()

    @invariant()
    def dismissed_is_final(self) -> None:
        if self.status is IncidentStatus.DISMISSED:
            assert allowed_events(self.status, self.facts()) == ()


# The budget finds each of five bugs planted by hand in the rule table (a guard dropped from
# CONTAIN, from either CLOSE, from RESOLVE; REOPEN allowed from DISMISSED) with the "ci"
# profile's fixed examples; 100 x 30 or 50 x 25 missed some. It costs ~5 CPU-s.
IncidentMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None
)
TestIncidentMachine = IncidentMachine.TestCase
