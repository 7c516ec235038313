"""The incident transition table over every (status, event) pair, its guards and messages."""

from __future__ import annotations

import pytest

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
)
from redline.domain.transitions import TRANSITIONS

S = IncidentStatus
E = IncidentEvent

#: Every (status, event) pair, written out: the target when all guards hold, or None (refused).
EXPECTED: dict[tuple[IncidentStatus, IncidentEvent], IncidentStatus | None] = {
    (S.TRIAGE, E.DECLARE): S.DECLARED,
    (S.TRIAGE, E.DISMISS): S.DISMISSED,
    (S.TRIAGE, E.CONTAIN): None,
    (S.TRIAGE, E.MONITOR): None,
    (S.TRIAGE, E.RESOLVE): None,
    (S.TRIAGE, E.START_POSTMORTEM): None,
    (S.TRIAGE, E.CLOSE): None,
    (S.TRIAGE, E.REOPEN): None,
    (S.DISMISSED, E.DECLARE): None,
    (S.DISMISSED, E.DISMISS): None,
    (S.DISMISSED, E.CONTAIN): None,
    (S.DISMISSED, E.MONITOR): None,
    (S.DISMISSED, E.RESOLVE): None,
    (S.DISMISSED, E.START_POSTMORTEM): None,
    (S.DISMISSED, E.CLOSE): None,
    (S.DISMISSED, E.REOPEN): None,
    (S.DECLARED, E.DECLARE): None,
    (S.DECLARED, E.DISMISS): None,
    (S.DECLARED, E.CONTAIN): S.CONTAINED,
    (S.DECLARED, E.MONITOR): S.MONITORING,
    (S.DECLARED, E.RESOLVE): None,
    (S.DECLARED, E.START_POSTMORTEM): None,
    (S.DECLARED, E.CLOSE): None,
    (S.DECLARED, E.REOPEN): None,
    (S.CONTAINED, E.DECLARE): None,
    (S.CONTAINED, E.DISMISS): None,
    (S.CONTAINED, E.CONTAIN): None,
    (S.CONTAINED, E.MONITOR): S.MONITORING,
    (S.CONTAINED, E.RESOLVE): None,
    (S.CONTAINED, E.START_POSTMORTEM): None,
    (S.CONTAINED, E.CLOSE): None,
    (S.CONTAINED, E.REOPEN): S.DECLARED,
    (S.MONITORING, E.DECLARE): None,
    (S.MONITORING, E.DISMISS): None,
    (S.MONITORING, E.CONTAIN): None,
    (S.MONITORING, E.MONITOR): None,
    (S.MONITORING, E.RESOLVE): S.RESOLVED,
    (S.MONITORING, E.START_POSTMORTEM): None,
    (S.MONITORING, E.CLOSE): None,
    (S.MONITORING, E.REOPEN): S.DECLARED,
    (S.RESOLVED, E.DECLARE): None,
    (S.RESOLVED, E.DISMISS): None,
    (S.RESOLVED, E.CONTAIN): None,
    (S.RESOLVED, E.MONITOR): None,
    (S.RESOLVED, E.RESOLVE): None,
    (S.RESOLVED, E.START_POSTMORTEM): S.POSTMORTEM,
    (S.RESOLVED, E.CLOSE): S.CLOSED,
    (S.RESOLVED, E.REOPEN): S.DECLARED,
    (S.POSTMORTEM, E.DECLARE): None,
    (S.POSTMORTEM, E.DISMISS): None,
    (S.POSTMORTEM, E.CONTAIN): None,
    (S.POSTMORTEM, E.MONITOR): None,
    (S.POSTMORTEM, E.RESOLVE): None,
    (S.POSTMORTEM, E.START_POSTMORTEM): None,
    (S.POSTMORTEM, E.CLOSE): S.CLOSED,
    (S.POSTMORTEM, E.REOPEN): S.DECLARED,
    (S.CLOSED, E.DECLARE): None,
    (S.CLOSED, E.DISMISS): None,
    (S.CLOSED, E.CONTAIN): None,
    (S.CLOSED, E.MONITOR): None,
    (S.CLOSED, E.RESOLVE): None,
    (S.CLOSED, E.START_POSTMORTEM): None,
    (S.CLOSED, E.CLOSE): None,
    (S.CLOSED, E.REOPEN): S.DECLARED,
}

#: The pairs that are refused when their guard fails, and the guard that says so.
GUARDED: dict[tuple[IncidentStatus, IncidentEvent], str] = {
    (S.DECLARED, E.CONTAIN): "verified_containment",
    (S.DECLARED, E.MONITOR): "sev3_or_reason",
    (S.MONITORING, E.RESOLVE): "exit_criteria_held",
    (S.POSTMORTEM, E.CLOSE): "postmortem_approved",
    (S.RESOLVED, E.CLOSE): "postmortem_not_required",
}

#: Every guard holds.
OPEN = IncidentFacts(
    severity=Severity.SEV3,
    has_verified_containment=True,
    exit_windows_quiet=3,
    exit_windows_required=3,
    postmortem_approved=True,
)
#: Every guard fails.
SHUT = IncidentFacts(severity=Severity.SEV1, exit_windows_quiet=1, exit_windows_required=3)

PAIRS = sorted(EXPECTED, key=lambda p: (list(S).index(p[0]), list(E).index(p[1])))


def test_the_expected_table_covers_every_pair() -> None:
    assert set(EXPECTED) == {(s, e) for s in S for e in E}
    assert set(GUARDED) <= {p for p, target in EXPECTED.items() if target is not None}


def test_no_rule_is_shadowed_by_an_earlier_unguarded_rule() -> None:
    seen: set[tuple[IncidentStatus, IncidentEvent]] = set()
    for rule in TRANSITIONS:
        pairs = {(s, rule.event) for s in rule.sources}
        assert not pairs & seen, f"rule {rule} can never fire"
        seen |= pairs if not rule.guards else set()


@pytest.mark.parametrize(("status", "event"), PAIRS)
def test_every_pair_when_all_guards_hold(status: IncidentStatus, event: IncidentEvent) -> None:
    expected = EXPECTED[(status, event)]
    if expected is None:
        with pytest.raises(TransitionError) as info:
            transition(status, event, OPEN)
        assert info.value.guard is None
        assert f"no '{event}' from {status}" in str(info.value)
        assert event not in allowed_events(status, OPEN)
    else:
        assert transition(status, event, OPEN) is expected
        assert event in allowed_events(status, OPEN)


@pytest.mark.parametrize(("status", "event"), PAIRS)
def test_every_pair_when_every_guard_fails(status: IncidentStatus, event: IncidentEvent) -> None:
    expected = EXPECTED[(status, event)]
    if expected is None or (status, event) in GUARDED:
        with pytest.raises(TransitionError) as info:
            transition(status, event, SHUT)
        assert info.value.guard == GUARDED.get((status, event))
        assert (info.value.status, info.value.event) == (status.value, event.value)
        assert event not in allowed_events(status, SHUT)
    else:
        assert transition(status, event, SHUT) is expected


def test_contain_without_verified_action_names_key_status_and_allowed_events() -> None:
    facts = IncidentFacts(severity=Severity.SEV2)
    with pytest.raises(TransitionError) as info:
        transition(S.DECLARED, E.CONTAIN, facts, key="RL-2026-0042")
    message = str(info.value)
    assert message.startswith("cannot contain RL-2026-0042: no verified containment action yet")
    assert "status declared" in message
    assert "events from here: contain, monitor" in message
    assert "allowed now: none" in message


def test_refused_event_lists_what_is_allowed_now() -> None:
    with pytest.raises(TransitionError, match=r"no 'resolve' from declared.*allowed now: monitor"):
        transition(S.DECLARED, E.RESOLVE, IncidentFacts(severity=Severity.SEV3), key="RL-1")


def test_resolve_needs_exit_criteria_for_n_windows() -> None:
    facts = IncidentFacts(severity=Severity.SEV2, exit_windows_quiet=1, exit_windows_required=4)
    with pytest.raises(TransitionError, match="exit criteria held for 1 of 4 windows"):
        transition(S.MONITORING, E.RESOLVE, facts)
    done = IncidentFacts(severity=Severity.SEV2, exit_windows_quiet=4, exit_windows_required=4)
    assert transition(S.MONITORING, E.RESOLVE, done) is S.RESOLVED


def test_close_from_postmortem_needs_approval() -> None:
    with pytest.raises(TransitionError, match="post-mortem is not approved yet"):
        transition(S.POSTMORTEM, E.CLOSE, IncidentFacts(severity=Severity.SEV3))


@pytest.mark.parametrize(
    "facts",
    [
        IncidentFacts(severity=Severity.SEV1),
        IncidentFacts(severity=Severity.SEV2, postmortem_approved=True),
        IncidentFacts(severity=Severity.SEV3, postmortem_required=True),
    ],
)
def test_close_from_resolved_is_refused_when_a_postmortem_is_required(facts: IncidentFacts) -> None:
    with pytest.raises(TransitionError, match=r"post-mortem is required.*start_postmortem first"):
        transition(S.RESOLVED, E.CLOSE, facts)
    assert transition(S.RESOLVED, E.START_POSTMORTEM, facts) is S.POSTMORTEM


def test_close_from_resolved_without_postmortem_for_plain_sev3() -> None:
    assert transition(S.RESOLVED, E.CLOSE, IncidentFacts(severity=Severity.SEV3)) is S.CLOSED


@pytest.mark.parametrize(
    ("severity", "reason", "allowed"),
    [
        (Severity.SEV3, "", True),
        (Severity.SEV2, "", False),
        (Severity.SEV2, "   ", False),
        (Severity.SEV1, "fallback is the same model; watching the canaries", True),
    ],
)
def test_monitor_without_containment(severity: Severity, reason: str, allowed: bool) -> None:
    facts = IncidentFacts(severity=severity, reason=reason)
    if allowed:
        assert transition(S.DECLARED, E.MONITOR, facts) is S.MONITORING
    else:
        with pytest.raises(TransitionError, match="needs SEV3 or a reason"):
            transition(S.DECLARED, E.MONITOR, facts)


def test_allowed_events_follow_the_facts() -> None:
    assert allowed_events(S.TRIAGE, SHUT) == (E.DECLARE, E.DISMISS)
    assert allowed_events(S.DECLARED, SHUT) == ()
    assert allowed_events(S.DECLARED, OPEN) == (E.CONTAIN, E.MONITOR)
    assert allowed_events(S.DISMISSED, OPEN) == ()
    assert allowed_events(S.RESOLVED, OPEN) == (E.START_POSTMORTEM, E.CLOSE, E.REOPEN)
    assert allowed_events(S.RESOLVED, SHUT) == (E.START_POSTMORTEM, E.REOPEN)


@pytest.mark.parametrize(
    ("severity", "actions", "required"),
    [
        (Severity.SEV1, (), True),
        (Severity.SEV2, (), True),
        (Severity.SEV3, (), False),
        (Severity.SEV3, (ActionType.SNAPSHOT, ActionType.ROUTE_FALLBACK), False),
        (Severity.SEV3, (ActionType.KILL_SWITCH,), True),
        (Severity.SEV3, [ActionType.INPUT_FILTER, ActionType.ROLLBACK], True),
    ],
)
def test_postmortem_required(
    severity: Severity, actions: tuple[ActionType, ...], required: bool
) -> None:
    assert postmortem_required(severity, actions) is required


def test_severity_alone_forces_a_postmortem_even_if_the_flag_is_unset() -> None:
    assert IncidentFacts(severity=Severity.SEV1).needs_postmortem
    assert not IncidentFacts(severity=Severity.SEV3).needs_postmortem
    assert IncidentFacts(severity=Severity.SEV3, postmortem_required=True).needs_postmortem


@pytest.mark.parametrize("kwargs", [{"exit_windows_required": 0}, {"exit_windows_quiet": -1}])
def test_facts_reject_impossible_window_counts(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="exit_windows"):
        IncidentFacts(severity=Severity.SEV3, **kwargs)  # type: ignore[arg-type]


def test_transition_error_is_a_redline_error() -> None:
    from redline.errors import RedlineError

    assert issubclass(TransitionError, RedlineError)
