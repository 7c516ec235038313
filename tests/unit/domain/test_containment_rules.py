"""The containment rules as data: departures from the primary, the exit rule over every status
and fact, what a restore's outcome moves, and what an automatic action may not override."""

from __future__ import annotations

import itertools

import pytest

from redline.domain import (
    ActionStatus,
    GenerationLimits,
    IncidentFacts,
    IncidentStatus,
    InputFilter,
    OutputPatch,
    Route,
    RouteState,
    Severity,
)
from redline.domain.containment import (
    RESTORE_LINKS,
    ExitStep,
    changed_fields,
    departures,
    exit_step,
    is_automatic,
    overridden_fields,
    restore_fields,
    restore_links,
)
from redline.domain.transitions import IncidentEvent, TransitionError, transition

A = ActionStatus

#: One RouteState per departure, and the name it is reported under.
DEPARTED: list[tuple[RouteState, tuple[str, ...]]] = [
    (RouteState(), ()),
    (RouteState(model_version="v2"), ()),
    (RouteState(mode=Route.FALLBACK), ("fallback",)),
    (RouteState(mode=Route.BLOCK), ("block",)),
    (RouteState(confidence_threshold=0.7), ("review",)),
    (RouteState(shadow_version="v3"), ("shadow",)),
    (RouteState(input_filters=(InputFilter("x", "gt", 3),)), ("input_filters",)),
    (RouteState(blocked_sources=("10.0.0.0/8",)), ("blocked_sources",)),
    (RouteState(output_patch=OutputPatch(score_offset=0.1)), ("output_patch",)),
    (RouteState(generation_limits=GenerationLimits(max_tokens=64)), ("generation_limits",)),
    (
        RouteState(mode=Route.FALLBACK, confidence_threshold=0.7, blocked_sources=("k",)),
        ("fallback", "review", "blocked_sources"),
    ),
]


@pytest.mark.parametrize(("state", "expected"), DEPARTED)
def test_departures_name_every_way_off_the_primary(
    state: RouteState, expected: tuple[str, ...]
) -> None:
    assert departures(state) == expected


#: The facts the exit rule reads, every combination.
FLAGS = list(itertools.product([True, False], repeat=4))


def _facts(quiet: bool, in_force: bool, accepted: bool, pending: bool) -> IncidentFacts:
    return IncidentFacts(
        severity=Severity.SEV2,
        exit_windows_quiet=3 if quiet else 1,
        exit_windows_required=3,
        containment_in_force=in_force,
        containment_accepted="kept on purpose" if accepted else "",
        restore_pending=pending,
    )


@pytest.mark.parametrize("status", list(IncidentStatus))
@pytest.mark.parametrize(("quiet", "in_force", "accepted", "pending"), FLAGS)
def test_the_system_restores_only_a_quiet_monitored_containment_nobody_kept(
    status: IncidentStatus, quiet: bool, in_force: bool, accepted: bool, pending: bool
) -> None:
    wanted = status is IncidentStatus.MONITORING and quiet and in_force and not accepted
    expected = ExitStep.RESTORE if wanted and not pending else None
    assert exit_step(status, _facts(quiet, in_force, accepted, pending)) is expected


@pytest.mark.parametrize(("quiet", "in_force", "accepted", "pending"), FLAGS)
def test_resolve_needs_the_containment_ended_or_accepted(
    quiet: bool, in_force: bool, accepted: bool, pending: bool
) -> None:
    facts = _facts(quiet, in_force, accepted, pending)
    if quiet and (not in_force or (accepted and not pending)):
        assert transition(IncidentStatus.MONITORING, IncidentEvent.RESOLVE, facts) is (
            IncidentStatus.RESOLVED
        )
        return
    with pytest.raises(TransitionError) as info:
        transition(IncidentStatus.MONITORING, IncidentEvent.RESOLVE, facts, key="RL-1")
    guard = "exit_criteria_held" if not quiet else "containment_ended"
    assert info.value.guard == guard
    if guard == "containment_ended" and pending:
        assert "a restore is waiting for its verification" in str(info.value)
    elif guard == "containment_ended":
        assert "restore the primary route" in str(info.value)
        assert "--accept-containment" in str(info.value)


def test_a_blank_acceptance_is_no_acceptance() -> None:
    facts = IncidentFacts(
        severity=Severity.SEV3,
        exit_windows_quiet=3,
        containment_in_force=True,
        containment_accepted="   ",
    )
    with pytest.raises(TransitionError, match="containment is still in force"):
        transition(IncidentStatus.MONITORING, IncidentEvent.RESOLVE, facts)


@pytest.mark.parametrize("outcome", list(ActionStatus))
def test_a_restore_outcome_moves_the_lifted_actions_or_itself(outcome: ActionStatus) -> None:
    moves = {(link.moves, link.to) for link in restore_links(outcome)}
    expected = {
        A.VERIFIED: {("lifted", A.REVERTED)},
        A.FAILED: {("restore", A.REVERTED)},
    }.get(outcome, set())
    assert moves == expected


def test_every_restore_link_is_a_move_the_action_table_allows() -> None:
    from redline.domain import advance_action

    for link in RESTORE_LINKS:
        source = A.VERIFIED if link.moves == "lifted" else link.outcome
        assert advance_action(source, link.to) is link.to


@pytest.mark.parametrize(
    ("trigger", "automatic"),
    [
        ("system", True),
        ("policy:sev2_degradation", True),
        ("person:ana", False),
        ("token:ci", False),
        ("systemd", False),
    ],
)
def test_only_the_system_and_the_policy_are_automatic(trigger: str, automatic: bool) -> None:
    assert is_automatic(trigger) is automatic


@pytest.mark.parametrize(
    ("changed", "manual", "expected"),
    [
        (
            {"mode"},
            {"confidence_threshold", "review_mode"},
            {"confidence_threshold", "review_mode"},
        ),
        ({"mode"}, {"blocked_sources"}, set()),
        ({"confidence_threshold"}, {"mode"}, set()),
        ({"confidence_threshold"}, {"confidence_threshold"}, {"confidence_threshold"}),
        (
            {"model_version", "mode"},
            {"shadow_version", "model_version"},
            {"shadow_version", "model_version"},
        ),
        ({"blocked_sources"}, {"input_filters"}, set()),
    ],
)
def test_overridden_fields_include_what_a_change_makes_moot(
    changed: set[str], manual: set[str], expected: set[str]
) -> None:
    assert overridden_fields(changed, manual) == expected


def test_changed_fields_ignore_revision_and_model() -> None:
    before = RouteState(model="m").to_dict()
    after = RouteState(model="n", revision=4, mode=Route.FALLBACK).to_dict()
    assert changed_fields(before, after) == {"mode"}


def test_restore_fields_undo_oldest_first_and_keep_what_others_hold() -> None:
    primary = RouteState().to_dict()
    review = RouteState(revision=1, confidence_threshold=0.7).to_dict()
    fallback = RouteState(revision=2, mode=Route.FALLBACK, confidence_threshold=0.9).to_dict()
    lifted = [(primary, review), (review, fallback)]
    assert restore_fields(lifted) == {"confidence_threshold": None, "mode": "primary"}
    assert restore_fields(lifted, kept={"mode"}) == {"confidence_threshold": None}
