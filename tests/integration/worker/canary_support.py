"""Helpers for the worker's canary tests: real model artifacts, a playbook, a recording pager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from redline.domain import Severity
from redline.notify import Notifier, WebhookChannel
from redline.playbook import load_playbook
from redline.services.canary_routes import ModelCanaries, canaries_from_playbook
from redline.services.canary_runs import ServiceCanaries
from redline.services.registry import deploy, register_version
from redline.services.response import ResponsePlan
from redline.store import Store

HOOK = "https://hooks.example.test/pager"
PLAYBOOK = """\
version: 1
models:
  credit:
    reference: reference.json
    primary: "credit:v1"
    fallback: "credit:{fallback}"
    canaries:
      - {{name: golden-low, input: {{x: 0.0}}, expected: 1.0, tolerance: 0.001, every_s: 60}}
      - {{name: golden-high, input: {{x: 3.0}}, expected: 7.0, tolerance: 0.001, every_s: 60}}
"""


def rule_fallback(row: dict[str, Any]) -> float:
    """A rule that agrees with the good model on the golden inputs."""
    return 2.0 * float(row["x"]) + 1.0


def broken_fallback(row: dict[str, Any]) -> float:
    """A rule that answers zero whatever it is asked."""
    return 0.0


def linear_artifact(directory: Path, name: str, slope: float, intercept: float) -> Path:
    """A scikit-learn LinearRegression of y = slope * x + intercept, saved with joblib."""
    x = pd.DataFrame({"x": np.linspace(-5.0, 5.0, 41)})
    model = LinearRegression().fit(x, slope * x["x"] + intercept)
    path = directory / f"{name}.joblib"
    joblib.dump(model, path)
    return path


def register_credit(store: Store, directory: Path) -> None:
    """Versions of model credit: v1 (good), v2 (bad), and two rule fallbacks; v1 deployed."""
    for version, artifact in (
        ("v1", linear_artifact(directory, "v1", 2.0, 1.0)),
        ("v2", linear_artifact(directory, "v2", -2.0, 3.0)),
        ("rules", "canary_support:rule_fallback"),
        ("broken", "canary_support:broken_fallback"),
    ):
        register_version(store, model="credit", version=version, artifact=artifact, actor="ci")
    deploy(store, model="credit", version="v1", actor="ci", reason="first release")


def credit_canaries(directory: Path, *, fallback: str = "rules") -> list[ModelCanaries]:
    """The canaries of model credit, read from a playbook written to ``directory``."""
    path = directory / "redline.yaml"
    path.write_text(PLAYBOOK.format(fallback=fallback))
    return canaries_from_playbook(load_playbook(path))


def paging_plan() -> ResponsePlan:
    """The default policy, paging channel ops at SEV1."""
    return ResponsePlan(
        channels={"ops": WebhookChannel(HOOK, name="ops")}, paged={Severity.SEV1: ("ops",)}
    )


def service_canaries(
    store: Store, models: list[ModelCanaries], *, trust: bool = True
) -> ServiceCanaries:
    """The worker's canaries of ``models`` on ``store``, with the paging plan."""
    return ServiceCanaries(store, models=models, plan=paging_plan(), trust=trust)


def recording_notifier(sent: list[str]) -> Notifier:
    """A notifier whose pager is a local mock; each body sent lands in ``sent``."""

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request.read().decode())
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(receive))
    return Notifier({"ops": WebhookChannel(HOOK, name="ops")}, client, retries=0)
