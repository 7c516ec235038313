"""A request still running when the server stops is answered 503 with Retry-After, not 500."""

from __future__ import annotations

import threading

import httpx
import pytest
from api_support import Api

from rltest.waiting import wait_for


@pytest.mark.slow
def test_a_long_poll_cut_by_shutdown_gets_503_with_retry_after(api: Api) -> None:
    answers: list[httpx.Response | Exception] = []

    def long_poll() -> None:
        with api.client("viewer") as client:
            try:
                answers.append(client.get("/api/v1/models/credit/route?after_revision=0&wait_s=60"))
            except httpx.HTTPError as exc:
                answers.append(exc)

    poll = threading.Thread(target=long_poll, daemon=True)
    poll.start()
    wait_for(lambda: bool(api.server.server.server_state.tasks), timeout_s=10)
    api.server.stop()  # graceful shutdown waits 3 s, then cancels the long-poll
    poll.join(timeout=30)
    assert len(answers) == 1, answers
    answer = answers[0]
    assert isinstance(answer, httpx.Response), answer
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "5"
    assert "shutting down" in answer.json()["detail"]
