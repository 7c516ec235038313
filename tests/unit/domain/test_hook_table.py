"""The hook table: what follows each move of each machine, and that it names only what exists."""

from __future__ import annotations

import pytest

from redline.domain import IncidentEvent, IncidentStatus
from redline.domain.hooks import (
    ACKNOWLEDGE,
    ACKNOWLEDGED,
    HOOKS,
    STAMP_FIELDS,
    VOCABULARY,
    Effect,
    EffectKind,
    Hook,
    Machine,
    draft_postmortem,
    effects_after,
    incident_event,
    notify_paged_channels,
    postmortem_event,
    stamp,
)
from redline.domain.postmortem import POSTMORTEM_RULES, PostmortemEvent, PostmortemStatus
from redline.domain.transitions import TRANSITIONS
from redline.notify.message import NoticeEvent
from redline.store import IncidentRow

E, S, V = IncidentEvent, IncidentStatus, PostmortemEvent


def test_every_hook_names_an_event_or_status_of_its_machine() -> None:
    for hook in HOOKS:
        events, statuses = VOCABULARY[hook.machine]
        if hook.event is not None:
            assert hook.event in events, hook
        if hook.to is not None:
            assert hook.to in statuses, hook


def test_every_machine_has_its_vocabulary() -> None:
    assert set(VOCABULARY) == set(Machine)


def test_incident_hooks_name_moves_the_transition_table_can_make() -> None:
    events = {r.event for r in TRANSITIONS}
    targets = {r.target for r in TRANSITIONS}
    for hook in (h for h in HOOKS if h.machine is Machine.INCIDENT):
        assert hook.event is None or hook.event in events, hook
        assert hook.to is None or hook.to in targets, hook


def test_postmortem_hooks_name_moves_the_workflow_can_make() -> None:
    events = {r.event for r in POSTMORTEM_RULES}
    for hook in (h for h in HOOKS if h.machine is Machine.POSTMORTEM):
        assert hook.event is None or hook.event in events, hook


def test_every_effect_value_is_one_its_kind_understands() -> None:
    valid = {
        EffectKind.NOTIFY_PAGED_CHANNELS: {e.value for e in NoticeEvent},
        EffectKind.DRAFT_POSTMORTEM: {""},
        EffectKind.POSTMORTEM_EVENT: {e.value for e in PostmortemEvent},
        EffectKind.INCIDENT_EVENT: {e.value for e in IncidentEvent},
        EffectKind.STAMP: set(STAMP_FIELDS),
    }
    assert set(valid) == set(EffectKind)
    for effect in (e for h in HOOKS for e in h.effects):
        assert effect.value in valid[effect.kind], effect


def test_every_stamp_field_is_an_incident_time() -> None:
    for field in STAMP_FIELDS:
        assert field.endswith("_at")
        assert field in IncidentRow.__table__.columns, field


def test_a_cross_machine_event_is_one_the_other_machine_moves_by() -> None:
    """A post-mortem event a hook sends must be allowed from some status, and likewise."""
    for effect in (e for h in HOOKS for e in h.effects):
        if effect.kind is EffectKind.POSTMORTEM_EVENT:
            assert any(r.event == effect.value for r in POSTMORTEM_RULES), effect
        if effect.kind is EffectKind.INCIDENT_EVENT:
            assert any(r.event == effect.value for r in TRANSITIONS), effect


RESOLVE_EFFECTS = (stamp("resolved_at"), notify_paged_channels("resolve"), draft_postmortem())


@pytest.mark.parametrize(
    ("machine", "event", "target", "expected"),
    [
        (Machine.INCIDENT, E.RESOLVE, S.RESOLVED, RESOLVE_EFFECTS),
        (Machine.INCIDENT, E.REOPEN, S.DECLARED, (postmortem_event(V.INCIDENT_REOPENED),)),
        (Machine.INCIDENT, E.CONTAIN, S.CONTAINED, (stamp("contained_at"),)),
        (Machine.INCIDENT, E.CLOSE, S.CLOSED, (stamp("closed_at"),)),
        (Machine.INCIDENT, E.DECLARE, S.DECLARED, ()),
        (Machine.INCIDENT, E.DISMISS, S.DISMISSED, ()),
        (Machine.INCIDENT, E.MONITOR, S.MONITORING, ()),
        (Machine.INCIDENT, E.START_POSTMORTEM, S.POSTMORTEM, ()),
        (
            Machine.POSTMORTEM,
            V.SUBMIT,
            PostmortemStatus.IN_REVIEW,
            (incident_event(E.START_POSTMORTEM),),
        ),
        (Machine.POSTMORTEM, V.APPROVE, PostmortemStatus.APPROVED, ()),
        (Machine.POSTMORTEM, V.INCIDENT_REOPENED, PostmortemStatus.DRAFT, ()),
        (
            Machine.ACKNOWLEDGEMENT,
            ACKNOWLEDGE,
            ACKNOWLEDGED,
            (notify_paged_channels("acknowledge"),),
        ),
    ],
)
def test_effects_after_each_move(
    machine: Machine, event: str, target: str, expected: tuple[Effect, ...]
) -> None:
    assert effects_after(machine, event, target) == expected


def test_the_same_name_on_another_machine_does_not_match() -> None:
    assert effects_after(Machine.POSTMORTEM, E.RESOLVE, S.RESOLVED) == ()


def test_a_hook_names_exactly_one_event_or_status() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Hook(Machine.INCIDENT, (draft_postmortem(),))
    with pytest.raises(ValueError, match="exactly one"):
        Hook(Machine.INCIDENT, (draft_postmortem(),), event=E.RESOLVE, to=S.RESOLVED)


def test_a_stamp_names_an_incident_time() -> None:
    with pytest.raises(ValueError, match="closed_at"):
        stamp("updated_at")


def _targets(machine: Machine, event: str) -> set[str]:
    if machine is Machine.INCIDENT:
        return {r.target for r in TRANSITIONS if r.event == event}
    if machine is Machine.POSTMORTEM:
        return {r.target for r in POSTMORTEM_RULES if r.event == event}
    return {ACKNOWLEDGED}


def _follow_ons(machine: Machine, event: str) -> set[tuple[Machine, str]]:
    """The (machine, event) moves the hooks of ``machine`` moving by ``event`` may cause."""
    effects = {e for t in _targets(machine, event) for e in effects_after(machine, event, t)}
    crossing = {EffectKind.INCIDENT_EVENT: Machine.INCIDENT}
    crossing[EffectKind.POSTMORTEM_EVENT] = Machine.POSTMORTEM
    return {(crossing[e.kind], e.value) for e in effects if e.kind in crossing}


def _loops_from(move: tuple[Machine, str], path: tuple[tuple[Machine, str], ...]) -> bool:
    if move in path:
        return True
    return any(_loops_from(nxt, (*path, move)) for nxt in _follow_ons(*move))


def test_hooks_moving_another_machine_never_come_back_round() -> None:
    """Following cross-machine effects from any move ends: no hook chain loops."""
    assert _follow_ons(Machine.INCIDENT, E.REOPEN) == {
        (Machine.POSTMORTEM, V.INCIDENT_REOPENED.value)
    }
    for machine, (events, _) in VOCABULARY.items():
        for event in events:
            assert not _loops_from((machine, event), ()), (machine, event)
