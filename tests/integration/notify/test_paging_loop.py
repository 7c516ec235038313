"""A playbook's SEV1 rule pages a real webhook receiver; resolving later sends no trigger twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import redline
from redline.domain import Route
from redline.notify import Notifier
from redline.playbook import parse_playbook
from redline.profiles.reference import Reference
from redline.services.acknowledge import acknowledge_incident
from redline.services.notifications import deliver_pending
from redline.services.response import ResponsePlan
from redline.store import Store, list_incidents, list_notifications

if TYPE_CHECKING:
    from conftest import Receiver


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(41)
    return redline.fit_reference(
        {
            "x": rng.normal(size=20_000),
            "tier": rng.choice(["gold", "silver", "bronze"], 20_000, p=[0.6, 0.3, 0.1]),
        },
        window_sizes=[300, 1_000],
    )


def playbook_text(url: str) -> str:
    return f"""
models:
  pricing:
    reference: reference.json
    primary: pricing:v1
severity:
  version: "test-1"
  rules:
    - match: {{kinds: [mapping_error]}}
      severity: SEV1
    - match: {{}}
      severity: SEV3
notifications:
  oncall:
    type: webhook
    url: {url}
"""


def mapped_wrong(n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(42)
    swap = {"gold": "bronze", "bronze": "gold", "silver": "silver"}
    tiers = rng.choice(["gold", "silver", "bronze"], n, p=[0.6, 0.3, 0.1])
    return [
        {"x": float(x), "tier": swap[str(t)]}
        for x, t in zip(rng.normal(size=n), tiers, strict=True)
    ]


def test_a_sev1_pages_once_and_kills_the_model(
    migrated_url: str, reference: Reference, receiver: Receiver
) -> None:
    playbook = parse_playbook(playbook_text(receiver.url + "/hook"))
    with redline.Guard(
        model="pricing",
        predict=lambda r: 1.0,
        fallback=lambda r: 0.0,
        reference=reference,
        store=migrated_url,
        playbook=playbook,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        for row in mapped_wrong(1_000):
            guard.predict(row)
        guard.flush()
        for row in mapped_wrong(500):
            guard.predict(row)
        guard.flush()
        assert guard.route.mode is Route.FALLBACK
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model="pricing")
            assert incident.severity == "SEV1"
            notes = list_notifications(session, incident_id=incident.id)
            assert [(n.channel, n.event, n.status) for n in notes] == [
                ("oncall", "trigger", "sent")
            ]
        (request,) = receiver.requests
        body = request.json
        assert body["key"] == incident.key
        assert body["severity"] == "SEV1"

        acknowledge_incident(store, key=incident.key, actor="person:ana")
        channels = ResponsePlan.from_playbook(playbook).channels
        assert deliver_pending(store, Notifier(channels, sleep=lambda s: None)) == 1
        assert [r.json["event"] for r in receiver.requests] == ["trigger", "acknowledge"]
    finally:
        store.dispose()
