"""The containment-action status table over every pair, and what can be reverted."""

from __future__ import annotations

import pytest

from redline.domain import (
    REVERSIBLE,
    ActionStatus,
    ActionType,
    IncidentEvent,
    IncidentStatus,
    Severity,
    TransitionError,
    advance_action,
    next_action_statuses,
)
from redline.domain.action_rules import CANARY_FAILURE, is_reversible
from redline.domain.transitions import ON_CONTAINMENT_LOST, IncidentFacts, containment_lost_event

A = ActionStatus

#: Every (from, to) pair written out: True when the table allows it.
EXPECTED: dict[tuple[ActionStatus, ActionStatus], bool] = {
    (A.REQUESTED, A.REQUESTED): False,
    (A.REQUESTED, A.APPLIED): True,
    (A.REQUESTED, A.VERIFIED): False,
    (A.REQUESTED, A.FAILED): True,
    (A.REQUESTED, A.REVERTED): False,
    (A.APPLIED, A.REQUESTED): False,
    (A.APPLIED, A.APPLIED): False,
    (A.APPLIED, A.VERIFIED): True,
    (A.APPLIED, A.FAILED): True,
    (A.APPLIED, A.REVERTED): True,
    (A.VERIFIED, A.REQUESTED): False,
    (A.VERIFIED, A.APPLIED): False,
    (A.VERIFIED, A.VERIFIED): False,
    (A.VERIFIED, A.FAILED): True,
    (A.VERIFIED, A.REVERTED): True,
    (A.FAILED, A.REQUESTED): False,
    (A.FAILED, A.APPLIED): False,
    (A.FAILED, A.VERIFIED): False,
    (A.FAILED, A.FAILED): False,
    (A.FAILED, A.REVERTED): True,
    (A.REVERTED, A.REQUESTED): False,
    (A.REVERTED, A.APPLIED): False,
    (A.REVERTED, A.VERIFIED): False,
    (A.REVERTED, A.FAILED): False,
    (A.REVERTED, A.REVERTED): False,
}


def test_the_expected_table_covers_every_pair() -> None:
    assert set(EXPECTED) == {(a, b) for a in A for b in A}


@pytest.mark.parametrize(("source", "target"), list(EXPECTED))
def test_every_pair(source: ActionStatus, target: ActionStatus) -> None:
    if EXPECTED[(source, target)]:
        assert advance_action(source, target, evidence=CANARY_FAILURE) is target
        assert target in next_action_statuses(source)
    else:
        with pytest.raises(TransitionError, match=f"from {source} to {target}: not in the"):
            advance_action(source, target)
        assert target not in next_action_statuses(source)


@pytest.mark.parametrize("evidence", [None, "feature_drift", "performance_drop"])
def test_a_verified_action_fails_only_on_a_canary_failure(evidence: str | None) -> None:
    with pytest.raises(TransitionError, match="only a canary_failure shows it") as info:
        advance_action(A.VERIFIED, A.FAILED, evidence=evidence)
    assert info.value.guard == "evidence"
    assert advance_action(A.VERIFIED, A.FAILED, evidence=CANARY_FAILURE) is A.FAILED
    # Evidence only gates the verified → failed move: an unverified action fails as before.
    assert advance_action(A.APPLIED, A.FAILED) is A.FAILED
    assert advance_action(A.REQUESTED, A.FAILED, evidence=evidence) is A.FAILED


@pytest.mark.parametrize("status", list(IncidentStatus))
@pytest.mark.parametrize("still_contained", [True, False])
def test_a_lost_containment_sends_back_only_what_rested_on_it(
    status: IncidentStatus, still_contained: bool
) -> None:
    facts = IncidentFacts(severity=Severity.SEV1, has_verified_containment=still_contained)
    event = containment_lost_event(status, facts)
    if still_contained or status not in {IncidentStatus.CONTAINED, IncidentStatus.MONITORING}:
        assert event is None
    else:
        assert event is IncidentEvent.REOPEN
        assert ON_CONTAINMENT_LOST[status] is IncidentEvent.REOPEN


def test_refusal_lists_the_allowed_moves() -> None:
    with pytest.raises(TransitionError, match=r"\(allowed: verified, failed, reverted\)"):
        advance_action(A.APPLIED, A.REQUESTED)
    with pytest.raises(TransitionError, match=r"\(allowed: none \(final\)\)"):
        advance_action(A.REVERTED, A.APPLIED)


def test_a_failed_action_that_changed_nothing_cannot_be_reverted() -> None:
    with pytest.raises(TransitionError, match="changed nothing") as info:
        advance_action(A.FAILED, A.REVERTED, changed=False)
    assert info.value.guard == "something_changed"
    assert advance_action(A.FAILED, A.REVERTED, changed=True) is A.REVERTED
    # ``changed`` only gates the failed → reverted move.
    assert advance_action(A.VERIFIED, A.REVERTED, changed=False) is A.REVERTED


def test_reversible_types_are_everything_but_snapshot_and_page() -> None:
    assert frozenset(ActionType) - REVERSIBLE == {ActionType.SNAPSHOT, ActionType.PAGE}
    assert is_reversible(ActionType.KILL_SWITCH)
    assert not is_reversible(ActionType.PAGE)


@pytest.mark.parametrize("action_type", list(ActionType))
def test_revert_respects_the_action_type(action_type: ActionType) -> None:
    if action_type in REVERSIBLE:
        assert advance_action(A.APPLIED, A.REVERTED, action_type=action_type) is A.REVERTED
    else:
        with pytest.raises(TransitionError, match=f"a {action_type} action cannot be undone"):
            advance_action(A.APPLIED, A.REVERTED, action_type=action_type)
    # Moves other than a revert do not depend on the type.
    assert advance_action(A.REQUESTED, A.APPLIED, action_type=action_type) is A.APPLIED


@pytest.mark.parametrize("source", list(A))
def test_a_restore_can_be_undone_until_it_is_verified(source: ActionStatus) -> None:
    allowed = source in {A.APPLIED, A.FAILED}
    if allowed:
        assert advance_action(source, A.REVERTED, action_type=ActionType.RESTORE) is A.REVERTED
    else:
        with pytest.raises(TransitionError) as info:
            advance_action(source, A.REVERTED, action_type=ActionType.RESTORE)
        expected = "final" if source is A.VERIFIED else None
        assert info.value.guard == expected


def test_next_action_statuses() -> None:
    assert next_action_statuses(A.REQUESTED) == (A.APPLIED, A.FAILED)
    assert next_action_statuses(A.VERIFIED) == (A.REVERTED, A.FAILED)
    assert next_action_statuses(A.REVERTED) == ()
