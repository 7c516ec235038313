"""An LLM that starts leaking an email address → pii_leak → SEV1 → kill switch → canned answer."""

from __future__ import annotations

from typing import Any

import pytest

from redline.domain import Route
from redline.llm import LLMGuard, fit_llm_reference
from redline.scanners import ScannerPipeline, default_pipeline
from redline.scanners.base import Action
from redline.store import Store, list_actions, list_incidents, list_review_items
from rltest.llm import FakeScanners, reference_calls
from rltest.waiting import wait_for

EMAIL = "jane.doe@example.com"
CANNED = "The assistant is paused; a person will answer you shortly."


class Bot:
    """Answers politely until ``leaking`` is set, then pastes a customer's email address."""

    leaking = False

    def __call__(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        text = f"Contact {EMAIL} for that." if self.leaking else "Your refund is on its way."
        choice = {"message": {"content": text}, "finish_reason": "stop"}
        return {"choices": [choice], "usage": {"prompt_tokens": 12, "completion_tokens": 6}}


@pytest.fixture(scope="module")
def scanners() -> ScannerPipeline:
    """redline's own scanners, PII included (its pattern engine loads once per module)."""
    pipeline = default_pipeline()
    if "pii" not in {s.name for s in pipeline.scanners}:
        pytest.skip("the PII scanner needs the llm extra (presidio-analyzer)")
    return pipeline


@pytest.mark.slow  # the PII scanner's pattern engine takes about 10 s to load
def test_a_pii_leak_opens_a_sev1_and_the_kill_switch_serves_the_canned_answer(
    migrated_url: str, scanners: ScannerPipeline
) -> None:
    reference = fit_llm_reference(reference_calls(), window_sizes=[50])
    bot = Bot()
    user = [{"role": "user", "content": "who handles refunds?"}]
    with LLMGuard(
        model="support-bot",
        chat=bot,
        reference=reference,
        scanners=scanners,
        safe_response=CANNED,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        assert guard.chat(user).route is Route.PRIMARY
        bot.leaking = True
        leaked = guard.chat(user)
        assert EMAIL not in leaked.text  # redacted on the way out
        guard.flush()
        wait_for(lambda: guard.guard.route.mode is Route.FALLBACK)
        contained = guard.chat(user)
    assert (contained.text, contained.route) == (CANNED, Route.FALLBACK)
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model="support-bot")
            assert incident.severity == "SEV1"
            actions = list_actions(session, incident_id=incident.id)
            assert [a.type for a in actions] == ["kill_switch"]
            assert EMAIL not in incident.title
    finally:
        store.dispose()


def test_flagged_answers_reach_the_stored_review_queue(migrated_url: str) -> None:
    reference = fit_llm_reference(reference_calls(), window_sizes=[50])
    bot = Bot()
    bot.leaking = True
    with LLMGuard(
        model="support-bot",
        chat=bot,
        reference=reference,
        scanners=FakeScanners(Action.REVIEW),
        store=migrated_url,
        window_s=3600,
    ) as guard:
        answer = guard.chat([{"role": "user", "content": "who handles refunds?"}])
        guard.flush()
    assert answer.route is Route.REVIEW
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            (item,) = list_review_items(session, model="support-bot")
            assert (item.request_id, item.reason) == (answer.request_id, "output scanners")
            assert EMAIL in str(item.output)  # the reviewer sees what the model said
    finally:
        store.dispose()
