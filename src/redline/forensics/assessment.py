"""Reportability: the EU AI Act Art. 73 questions, answered where the record can, and the clocks.

Computed and shown, never submitted; every output says it is not legal advice. A question the
stored record cannot answer says so, and names who must: a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redline.forensics.postmortem_facts import IncidentRecord

__all__ = [
    "CLOCKS",
    "NOT_LEGAL_ADVICE",
    "UNKNOWN",
    "Clock",
    "assess_reportability",
    "regulatory_clocks",
]

NOT_LEGAL_ADVICE = (
    "Not legal advice: redline computes these from the incident record; whether and when to "
    "report is for the provider and its counsel to decide."
)
UNKNOWN = "unknown — a person must answer"


@dataclass(frozen=True, slots=True)
class Clock:
    """One Art. 73 deadline: which case it covers and how many days from awareness."""

    name: str
    days: int
    applies_when: str


#: Art. 73(2)-(4): 15 days in general, 2 for widespread infringement or critical
#: infrastructure, 10 for a death; an initial, incomplete report is allowed (73(5)).
CLOCKS = (
    Clock("general", 15, "any serious incident (Art. 73(2))"),
    Clock(
        "widespread_or_critical_infrastructure",
        2,
        "widespread infringement or serious disruption of critical infrastructure (Art. 73(3))",
    ),
    Clock("death", 10, "the death of a person (Art. 73(4))"),
)


def regulatory_clocks(aware_at: datetime | None, *, now: datetime) -> list[dict[str, Any]]:
    """Each clock's deadline, time left and whether it is overdue (all unknown without aware_at)."""
    out = []
    for clock in CLOCKS:
        entry: dict[str, Any] = {
            "clock": clock.name,
            "days": clock.days,
            "applies_when": clock.applies_when,
            "not_legal_advice": True,
        }
        if aware_at is None:
            entry |= {
                "deadline": None,
                "seconds_left": None,
                "overdue": None,
                "status": "unknown — the time of awareness (aware_at) is not recorded",
            }
        else:
            deadline = aware_at + timedelta(days=clock.days)
            left = (deadline - now).total_seconds()
            entry |= {
                "deadline": deadline.isoformat(),
                "seconds_left": left,
                "overdue": left < 0,
                "status": "overdue" if left < 0 else "running",
            }
        out.append(entry)
    return out


def _answer(question: str, answer: str, basis: str) -> dict[str, str]:
    return {"question": question, "answer": answer, "basis": basis}


def _scope(regulatory: Mapping[str, Any] | None) -> dict[str, str]:
    question = "Is the AI system a high-risk system under the EU AI Act?"
    if regulatory is None:
        return _answer(question, UNKNOWN, "no regulatory section in the playbook")
    applies = bool(regulatory.get("eu_ai_act", True)) and regulatory.get("risk_class") == "high"
    basis = f"playbook: eu_ai_act={regulatory.get('eu_ai_act')}, risk_class={regulatory.get('risk_class')}"
    return _answer(question, "yes" if applies else "no", basis)


def _before_change(record: IncidentRecord) -> dict[str, str]:
    question = "Was evidence captured before the system was altered (Art. 73(6))?"
    changed = [a["applied_at"] for a in record.actions if a["applied_at"] is not None]
    taken = [s["taken_at"] for s in record.snapshots]
    if not changed:
        return _answer(question, "yes: no action altered the system", "no applied action")
    if taken and min(taken) <= min(changed):
        return _answer(
            question, "yes", f"snapshot {record.snapshots[-1]['id'][:12]} precedes the first action"
        )
    return _answer(question, "no", "no snapshot precedes the first applied action")


def _questions(
    record: IncidentRecord, regulatory: Mapping[str, Any] | None
) -> list[dict[str, str]]:
    row = record.incident
    kinds = {s["kind"] for s in record.signals}
    causal = f"yes, since {row.causal_link_at.isoformat()}" if row.causal_link_at else UNKNOWN
    return [
        _scope(regulatory),
        _answer(
            "Did it lead, or might it have led, to a death or serious harm to health?",
            UNKNOWN,
            "the record holds model signals, not harm to people",
        ),
        _answer(
            "Did it seriously and irreversibly disrupt critical infrastructure?",
            UNKNOWN,
            "the record does not say what the system controls",
        ),
        _answer(
            "Did it infringe obligations protecting fundamental rights?",
            UNKNOWN,
            "bias signals were raised" if "bias" in kinds else "no bias signal was raised",
        ),
        _answer(
            "Did it cause serious harm to property or the environment?",
            UNKNOWN,
            "not in the record",
        ),
        _answer(
            "Is the infringement widespread?",
            UNKNOWN,
            f"{record.decisions_served} decisions were served in the impact window",
        ),
        _answer(
            "Is a causal link between the system and the harm established?",
            causal,
            "incident causal_link_at",
        ),
        _answer(
            "When did the provider become aware?",
            row.aware_at.isoformat() if row.aware_at else UNKNOWN,
            "incident aware_at",
        ),
        _before_change(record),
    ]


def assess_reportability(
    record: IncidentRecord, *, regulatory: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    """The Art. 73 questions with answers (or UNKNOWN), the clocks and the disclaimer."""
    return {
        "incident": record.key,
        "assessed_at": now.isoformat(),
        "questions": _questions(record, regulatory),
        "clocks": regulatory_clocks(record.incident.aware_at, now=now),
        "not_legal_advice": NOT_LEGAL_ADVICE,
    }
