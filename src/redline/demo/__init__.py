"""``redline demo``: a real model on real flights, five failures, and redline's response to each."""

from __future__ import annotations

from redline.demo.report import NOT_DETECTED, ActionOutcome, DemoOutcome, ScenarioOutcome
from redline.demo.run import DemoError, check_scenarios, model_versions, prepare, run_demo
from redline.demo.runner import WindowNote
from redline.demo.scenarios import SCENARIOS, Scenario

__all__ = [
    "NOT_DETECTED",
    "SCENARIOS",
    "ActionOutcome",
    "DemoError",
    "DemoOutcome",
    "Scenario",
    "ScenarioOutcome",
    "WindowNote",
    "check_scenarios",
    "model_versions",
    "prepare",
    "run_demo",
]
