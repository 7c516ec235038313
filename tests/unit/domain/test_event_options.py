"""What a person may do next from each status: the options agree with ``transition`` itself."""

from __future__ import annotations

from dataclasses import replace
from itertools import product

import pytest

from redline.domain import IncidentEvent, IncidentStatus, Severity
from redline.domain.transitions import (
    TRANSITIONS,
    IncidentFacts,
    TransitionError,
    event_options,
    transition,
)

E, S = IncidentEvent, IncidentStatus

FACTS = [
    IncidentFacts(severity=severity, **flags)
    for severity, flags in product(
        Severity,
        [
            {},
            {"has_verified_containment": True},
            {"containment_in_force": True, "exit_windows_quiet": 3},
            {"containment_in_force": True, "restore_pending": True, "exit_windows_quiet": 3},
            {"exit_windows_quiet": 3, "postmortem_required": True, "postmortem_approved": True},
        ],
    )
]


def _succeeds(status: IncidentStatus, event: IncidentEvent, facts: IncidentFacts) -> bool:
    try:
        transition(status, event, facts)
    except TransitionError:
        return False
    return True


@pytest.mark.parametrize("status", list(IncidentStatus))
@pytest.mark.parametrize("facts", FACTS, ids=range(len(FACTS)))
def test_every_option_says_what_transition_does(
    status: IncidentStatus, facts: IncidentFacts
) -> None:
    options = {o.event: o for o in event_options(status, facts)}
    defined = {r.event for r in TRANSITIONS if status in r.sources}
    assert set(options) == defined
    for event, option in options.items():
        assert option.allowed == _succeeds(status, event, facts)
        supplied = replace(
            facts,
            reason="the owner says so" if "reason" in option.needs else facts.reason,
            containment_accepted=("kept on purpose" if "accept_containment" in option.needs else "")
            or facts.containment_accepted,
        )
        if option.allowed or option.needs:
            assert _succeeds(status, event, supplied), option
            assert option.refusal == ""
        else:
            assert not _succeeds(status, event, supplied)
            with pytest.raises(TransitionError) as refused:
                transition(status, event, facts)
            assert option.refusal
            assert option.refusal in str(refused.value)


def test_monitoring_a_declared_sev2_without_containment_needs_a_reason() -> None:
    (monitor,) = [
        o for o in event_options(S.DECLARED, IncidentFacts(Severity.SEV2)) if o.event is E.MONITOR
    ]
    assert (monitor.allowed, monitor.needs) == (False, ("reason",))


def test_resolving_with_the_fallback_in_force_needs_an_accepted_containment() -> None:
    facts = IncidentFacts(Severity.SEV2, containment_in_force=True, exit_windows_quiet=3)
    (resolve,) = [o for o in event_options(S.MONITORING, facts) if o.event is E.RESOLVE]
    assert (resolve.allowed, resolve.needs) == (False, ("accept_containment",))
    waiting = replace(facts, restore_pending=True)
    (resolve,) = [o for o in event_options(S.MONITORING, waiting) if o.event is E.RESOLVE]
    assert (resolve.allowed, resolve.needs) == (False, ())
    assert "restore is waiting" in resolve.refusal


def test_a_quiet_window_short_of_the_exit_criteria_is_said_in_words() -> None:
    facts = IncidentFacts(Severity.SEV3, exit_windows_quiet=1)
    (resolve,) = [o for o in event_options(S.MONITORING, facts) if o.event is E.RESOLVE]
    assert resolve.refusal == "exit criteria held for 1 of 3 windows"
