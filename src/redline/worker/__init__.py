"""Background loops that claim stored work and call services: windows, canaries, SLAs, notifications."""

from __future__ import annotations

from redline.worker.jobs import advance_open_incidents, deliver_notifications
from redline.worker.loop import TickSummary, Worker, stop_on_signals
from redline.worker.slas import (
    CONTAIN_ESCALATION_KIND,
    ESCALATION_KIND,
    ack_slas,
    escalate_unacknowledged,
    escalate_uncontained,
)

__all__ = [
    "CONTAIN_ESCALATION_KIND",
    "ESCALATION_KIND",
    "TickSummary",
    "Worker",
    "ack_slas",
    "advance_open_incidents",
    "deliver_notifications",
    "escalate_unacknowledged",
    "escalate_uncontained",
    "stop_on_signals",
]
