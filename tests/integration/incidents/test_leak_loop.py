"""A planted canary string in an output → SEV1 → kill switch, on a real store."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Route
from redline.profiles.reference import Reference
from redline.store import Store, list_actions, list_incidents

SECRET = "ZEBRA-7731-CANARY"


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(92)
    return redline.fit_reference({"prompt": rng.choice(["hi", "help", "refund"], 1_000)})


def chatbot(row: dict[str, Any]) -> str:
    return f"the code is {SECRET}" if row["prompt"] == "leak" else "hello"


def test_a_canary_leak_kills_the_model(migrated_url: str, reference: Reference) -> None:
    with redline.Guard(
        model="bot",
        predict=chatbot,
        fallback=lambda row: "Sorry, I can't help with that.",
        reference=reference,
        store=migrated_url,
        leak_canaries=[SECRET],
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        guard.predict({"prompt": "hi"})
        guard.predict({"prompt": "leak"})
        guard.flush()
        deadline = time.monotonic() + 5
        while guard.route.mode is not Route.FALLBACK and time.monotonic() < deadline:
            time.sleep(0.02)
        assert guard.predict({"prompt": "leak"}).value == "Sorry, I can't help with that."
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model="bot")
            # The window closed by the Guard's exit served the fallback: contained, now watched.
            assert (incident.severity, incident.status) == ("SEV1", "monitoring")
            actions = list_actions(session, incident_id=incident.id)
            assert [(a.type, a.status) for a in actions] == [("kill_switch", "verified")]
            assert SECRET not in incident.title
    finally:
        store.dispose()
