"""The `redline worker` process: the services' control loop with signals and a CLI around it."""

from __future__ import annotations

from redline.services.control_slas import CONTAIN_ESCALATION_KIND, ESCALATION_KIND
from redline.worker.loop import TickSummary, Worker, stop_on_signals

__all__ = ["CONTAIN_ESCALATION_KIND", "ESCALATION_KIND", "TickSummary", "Worker", "stop_on_signals"]
