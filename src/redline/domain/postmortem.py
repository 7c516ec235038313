"""The post-mortem review workflow as a rule table: draft → in review → approved."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from redline.domain.transitions import TransitionError

__all__ = [
    "POSTMORTEM_RULES",
    "PostmortemEvent",
    "PostmortemRule",
    "PostmortemStatus",
    "PostmortemTransitionError",
    "postmortem_events_from",
    "postmortem_transition",
]


class PostmortemStatus(StrEnum):
    """Where a post-mortem is in its review."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"


class PostmortemEvent(StrEnum):
    """What people (or redline) do to a post-mortem."""

    REGENERATE = "regenerate"
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    INCIDENT_REOPENED = "incident_reopened"


class PostmortemTransitionError(TransitionError):
    """A post-mortem change the workflow does not allow from its current status."""


@dataclass(frozen=True, slots=True)
class PostmortemRule:
    """FROM any of ``sources`` on ``event`` go TO ``target``."""

    sources: frozenset[PostmortemStatus]
    event: PostmortemEvent
    target: PostmortemStatus


_P, _V = PostmortemStatus, PostmortemEvent
#: The whole workflow; a (status, event) pair not listed is refused.
POSTMORTEM_RULES: tuple[PostmortemRule, ...] = (
    PostmortemRule(frozenset({_P.DRAFT}), _V.REGENERATE, _P.DRAFT),
    PostmortemRule(frozenset({_P.DRAFT}), _V.EDIT, _P.DRAFT),
    PostmortemRule(frozenset({_P.DRAFT}), _V.SUBMIT, _P.IN_REVIEW),
    PostmortemRule(frozenset({_P.IN_REVIEW}), _V.APPROVE, _P.APPROVED),
    PostmortemRule(frozenset({_P.IN_REVIEW}), _V.REQUEST_CHANGES, _P.DRAFT),
    # A recurrence is not covered by what was reviewed: back to draft, to be approved again.
    PostmortemRule(frozenset({_P.IN_REVIEW, _P.APPROVED}), _V.INCIDENT_REOPENED, _P.DRAFT),
)


def postmortem_events_from(status: PostmortemStatus | str) -> tuple[PostmortemEvent, ...]:
    """The events the workflow allows from ``status``, in declaration order."""
    here = PostmortemStatus(status)
    return tuple(r.event for r in POSTMORTEM_RULES if here in r.sources)


def postmortem_transition(
    status: PostmortemStatus | str, event: PostmortemEvent | str, *, key: str = "this incident"
) -> PostmortemStatus:
    """The status ``event`` leads to; raises PostmortemTransitionError when not allowed."""
    here, doing = PostmortemStatus(status), PostmortemEvent(event)
    for rule in POSTMORTEM_RULES:
        if rule.event is doing and here in rule.sources:
            return rule.target
    allowed = ", ".join(postmortem_events_from(here)) or "none"
    raise PostmortemTransitionError(
        f"cannot {doing.value.replace('_', ' ')} the post-mortem of {key}: it is {here.value} "
        f"(allowed from {here.value}: {allowed})",
        status=here.value,
        event=doing.value,
        guard=None,
    )
