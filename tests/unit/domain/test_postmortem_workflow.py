"""The post-mortem workflow table over every (status, event) pair."""

from __future__ import annotations

import pytest

from redline.domain import TransitionError
from redline.domain.postmortem import (
    PostmortemEvent,
    PostmortemStatus,
    PostmortemTransitionError,
    postmortem_events_from,
    postmortem_transition,
)

P, V = PostmortemStatus, PostmortemEvent
EXPECTED: dict[tuple[PostmortemStatus, PostmortemEvent], PostmortemStatus | None] = {
    (P.DRAFT, V.REGENERATE): P.DRAFT,
    (P.DRAFT, V.EDIT): P.DRAFT,
    (P.DRAFT, V.SUBMIT): P.IN_REVIEW,
    (P.DRAFT, V.APPROVE): None,
    (P.DRAFT, V.REQUEST_CHANGES): None,
    (P.IN_REVIEW, V.REGENERATE): None,
    (P.IN_REVIEW, V.EDIT): None,
    (P.IN_REVIEW, V.SUBMIT): None,
    (P.IN_REVIEW, V.APPROVE): P.APPROVED,
    (P.IN_REVIEW, V.REQUEST_CHANGES): P.DRAFT,
    (P.APPROVED, V.REGENERATE): None,
    (P.APPROVED, V.EDIT): None,
    (P.APPROVED, V.SUBMIT): None,
    (P.APPROVED, V.APPROVE): None,
    (P.APPROVED, V.REQUEST_CHANGES): None,
    (P.DRAFT, V.INCIDENT_REOPENED): None,
    (P.IN_REVIEW, V.INCIDENT_REOPENED): P.DRAFT,
    (P.APPROVED, V.INCIDENT_REOPENED): P.DRAFT,
}


def test_the_table_covers_every_pair() -> None:
    assert set(EXPECTED) == {(s, e) for s in PostmortemStatus for e in PostmortemEvent}


@pytest.mark.parametrize(("status", "event"), list(EXPECTED))
def test_every_pair(status: PostmortemStatus, event: PostmortemEvent) -> None:
    target = EXPECTED[(status, event)]
    if target is None:
        with pytest.raises(PostmortemTransitionError, match=f"it is {status.value}") as caught:
            postmortem_transition(status, event, key="RL-2026-0001")
        assert isinstance(caught.value, TransitionError)
        assert (caught.value.status, caught.value.event) == (status.value, event.value)
    else:
        assert postmortem_transition(status, event) is target


def test_strings_are_accepted_and_unknown_ones_refused() -> None:
    assert postmortem_transition("in_review", "approve") is P.APPROVED
    with pytest.raises(ValueError, match="publish"):
        postmortem_transition("draft", "publish")


@pytest.mark.parametrize("status", list(PostmortemStatus))
def test_events_from_a_status_are_those_the_table_moves_by(status: PostmortemStatus) -> None:
    expected = tuple(e for e in PostmortemEvent if EXPECTED[(status, e)] is not None)
    assert postmortem_events_from(status) == expected
