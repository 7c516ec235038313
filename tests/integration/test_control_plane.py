"""The embedded Guard's local control plane: the window thread only writes windows; the control
loop (the same as ``redline worker``'s) responds, escalates SLAs and pages on its own thread."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml
from sqlalchemy import event

from redline.domain import Route
from redline.playbook import Playbook, parse_playbook
from redline.playbook.policy import DEFAULT_RULES
from redline.profiles.reference import Reference
from redline.store import Store, list_incidents, list_timeline
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic
from rltest.policy import DRIFT_FALLBACK_RULE
from rltest.waiting import wait_for


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit_reference()


class Receiver:
    """A webhook on 127.0.0.1 that records the JSON bodies it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


#: Confirmed drift: SEV2, routed to the fallback, paged.
PAGING_DRIFT_RULE = {**DRIFT_FALLBACK_RULE, "actions": ["snapshot", "route_fallback", "page"]}


def paging_playbook(url: str, *, ack_within: str = "1h") -> Playbook:
    """Confirmed drift is a SEV2 routed to the fallback, paging the webhook at ``url``."""
    body = {
        "version": 1,
        "models": {MODEL: {"reference": "reference.json", "primary": "credit:v1"}},
        "severity": {"version": "tests", "rules": [PAGING_DRIFT_RULE, *DEFAULT_RULES]},
        "runbooks": {"SEV2": {"page": True, "ack_within": ack_within}},
        "notifications": {"ops": {"type": "webhook", "url": url}},
    }
    return parse_playbook(yaml.safe_dump(body, sort_keys=False), env={})


def _events(store: Store) -> list[str]:
    with store.reading() as session:
        incidents = list_incidents(session, model=MODEL)
        if not incidents:
            return []
        return [e.kind for e in list_timeline(session, incident_id=incidents[0].id)]


def test_an_embedded_guard_escalates_a_sev2_nobody_acknowledged(
    store: Store, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_GUARD__CONTROL_INTERVAL_S", "0.1")
    receiver = Receiver()
    try:
        playbook = paging_playbook(receiver.url, ack_within="1s")
        with credit_guard(store, reference, playbook=playbook) as guard:
            for seed in (1, 2):  # drift in two windows running is confirmed: SEV2
                send_traffic(guard, 1_000, shift=1.0, seed=seed)
            assert guard.route.mode is Route.FALLBACK
            wait_for(lambda: "ack_sla_breached" in _events(store), timeout_s=15)
            wait_for(
                lambda: any("not acknowledged" in json.dumps(body) for body in receiver.bodies),
                timeout_s=15,
            )
    finally:
        receiver.close()
    assert _events(store).count("ack_sla_breached") == 1


def test_the_window_thread_writes_windows_and_the_loop_does_the_rest(
    store: Store, reference: Reference
) -> None:
    by_thread: Counter[tuple[str, str]] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        table = next((w for w in words[1:6] if w not in ("INTO", "FROM", "OR")), "?")
        by_thread[(threading.current_thread().name, f"{words[0]} {table}")] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    dead = "http://127.0.0.1:9/hook"  # the discard port: nothing listens, connections refused
    try:
        with credit_guard(store, reference, playbook=paging_playbook(dead)) as guard:
            for seed in (1, 2):
                send_traffic(guard, 1_000, shift=1.0, seed=seed)
            assert guard.route.mode is Route.FALLBACK  # flush waited for the response
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    window_thread = {k: n for (name, k), n in by_thread.items() if name == f"redline-guard-{MODEL}"}
    loop_thread = {k for (name, k), n in by_thread.items() if name == f"redline-control-{MODEL}"}
    written = {k for k in window_thread if k.startswith("INSERT")}
    assert "INSERT windows" in written
    assert not any("incident" in k or "notification" in k or "route" in k for k in window_thread)
    assert {"INSERT incidents", "INSERT route_states", "INSERT notifications"} <= loop_thread
