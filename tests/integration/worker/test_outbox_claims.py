"""Each notice is claimed by one sender: a second sender skips it; a stale claim is taken over."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from worker_support import START, closed_window, paging_plan, recording_notifier, store_fixture

from redline.domain import Level
from redline.services.ingest import record_window
from redline.services.notifications import CLAIM_LEASE, deliver_pending, queue_notice
from redline.store import Store, list_incidents, list_notifications, save_claimed_notification

MODELS = 4

store = store_fixture()


class SenderDied(BaseException):
    """A sender killed mid-send (not an error a notifier would report)."""


def _queue(store: Store) -> None:
    for index in range(MODELS):  # one SEV2 incident per model, each with a notice queued
        closed = closed_window(f"m{index}", 0, level=Level.ALARM)
        assert record_window(store, closed, plan=paging_plan())
    with store.session() as session:
        for row in list_incidents(session):
            queue_notice(session, row, event="trigger", channels=["ops"], summary="", now=START)


def _notice(request: httpx.Request) -> str:
    body = json.loads(request.read())
    return f"{body['key']} {body['event']}"


def test_a_sender_running_meanwhile_skips_the_notices_being_sent(
    store: Store, migrated_url: str
) -> None:
    _queue(store)
    received: list[str] = []
    other = Store.from_url(migrated_url)
    second: list[int] = []

    def first_sender(request: httpx.Request) -> None:
        if not second:  # while the first notice is in flight, a second sender runs
            second.append(deliver_pending(other, recording_notifier(record), now=START))
        record(request)

    def record(request: httpx.Request) -> None:
        received.append(_notice(request))

    try:
        assert deliver_pending(store, recording_notifier(first_sender), now=START) == MODELS
    finally:
        other.dispose()
    assert second == [0]
    assert len(received) == MODELS == len(set(received))
    with store.reading() as session:
        assert {n.status for n in list_notifications(session)} == {"sent"}


def test_a_claim_older_than_the_lease_is_taken_over_and_sent_once(store: Store) -> None:
    _queue(store)
    received: list[str] = []

    def die(request: httpx.Request) -> None:
        raise SenderDied

    with pytest.raises(SenderDied):
        deliver_pending(store, recording_notifier(die), now=START)
    with store.reading() as session:
        claimed = list_notifications(session, status="sending")
        assert len(claimed) == MODELS  # claimed, none sent: the sender died on the first
        dead = claimed[0].claimed_by
    assert dead is not None

    record = recording_notifier(lambda r: received.append(_notice(r)))
    assert deliver_pending(store, record, now=START + CLAIM_LEASE - timedelta(seconds=1)) == 0
    assert deliver_pending(store, record, now=START + CLAIM_LEASE + timedelta(seconds=1)) == MODELS
    assert deliver_pending(store, record, now=START + 3 * CLAIM_LEASE) == 0
    assert len(received) == MODELS == len(set(received))
    with store.session() as session:
        rows = list_notifications(session)
        assert {n.status for n in rows} == {"sent"}
        assert all(n.claimed_by not in (None, dead) for n in rows)
        # The dead sender's outcome, arriving late, does not overwrite the new sender's.
        assert not save_claimed_notification(
            session, notification_id=rows[0].id, claimant=dead, status="failed"
        )
