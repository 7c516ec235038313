"""``redline.Guard(server=..., token=...)``: the same public Guard with the service as its
control plane (windows spooled and sent, the route long-polled)."""

from __future__ import annotations

from pathlib import Path

from remote_support import MODEL, Service

import redline
from redline.domain import Route
from redline.guard.control import RemoteControlPlane
from redline.profiles.reference import Reference
from rltest.waiting import wait_for

ROW = {"x": 0.5, "region": "n"}


def test_a_guard_given_a_server_sends_its_windows_and_obeys_the_route(
    service: Service, reference: Reference, tmp_path: Path
) -> None:
    with redline.Guard(
        model=MODEL,
        predict=lambda row: 2.0 * row["x"],
        fallback=lambda row: 0.0,
        reference=reference,
        server=service.base_url,
        token=service.tokens["responder"],
        spool_dir=tmp_path,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        assert isinstance(guard.control, RemoteControlPlane)
        for _ in range(50):
            guard.predict(ROW)
        guard.flush()  # returns once the service acknowledged the window
        assert len(service.window_ids()) == 1
        with service.client("responder") as client:
            client.post(
                f"/api/v1/models/{MODEL}/actions", json={"type": "kill_switch"}
            ).raise_for_status()
        wait_for(lambda: guard.route.revision == 1, timeout_s=5)
        decision = guard.predict(ROW)
    assert (decision.route, decision.value) == (Route.FALLBACK, 0.0)
    assert (tmp_path / f"{MODEL}.http.spool").exists()
