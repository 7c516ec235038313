"""Paging through an outbox: notifications are queued in the incident's transaction and sent
after it commits, so a failed delivery never undoes an incident change and is retried."""

from __future__ import annotations

import logging
import os
import platform
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from redline.domain import IncidentStatus, Severity
from redline.errors import StoreBusyError
from redline.notify import IncidentNotice, Notifier
from redline.services.chains import record_event
from redline.store import (
    IncidentRow,
    NotificationChanges,
    Session,
    Store,
    add_notification,
    claim_notifications,
    save_claimed_notification,
)

__all__ = ["CLAIM_LEASE", "deliver_pending", "queue_notice"]

log = logging.getLogger("redline.services")

#: How long a claimed notice is its sender's alone: longer than one delivery takes (retries
#: included), short enough that a crashed sender's notices go out soon after.
CLAIM_LEASE = timedelta(minutes=5)


def queue_notice(
    session: Session,
    row: IncidentRow,
    *,
    event: str,
    channels: Iterable[str],
    summary: str,
    now: datetime,
) -> list[str]:
    """Queue a notice about ``row`` to each channel; returns the channel names queued."""
    names = list(channels)
    payload: dict[str, Any] = {
        "key": row.key,
        "title": row.title,
        "model": row.model,
        "severity": row.severity,
        "status": row.status,
        "event": event,
        "summary": summary,
        "at": now.isoformat(),
    }
    for name in names:
        add_notification(
            session,
            channel=name,
            dedup_key=row.key,
            event=event,
            payload=payload,
            incident_id=row.id,
        )
    kind = f"notify_{event}" if names else "page_skipped"
    details = {"channels": names} if names else {"reason": "no notification channel is configured"}
    record_event(session, incident_id=row.id, at=now, actor="system", kind=kind, details=details)
    return names


def _notice(payload: dict[str, Any]) -> IncidentNotice:
    return IncidentNotice(
        key=payload["key"],
        title=payload["title"],
        model=payload["model"],
        severity=Severity(payload["severity"]),
        status=IncidentStatus(payload["status"]),
        event=payload["event"],
        summary=payload["summary"],
        at=datetime.fromisoformat(payload["at"]),
    )


#: Waits before retrying to record a delivery while another writer holds the store.
_BUSY_RETRIES_S = (0.5, 1.0, 2.0)


def _claimant() -> str:
    return f"{platform.node()}:{os.getpid()}:{secrets.token_hex(4)}"


def deliver_pending(
    store: Store,
    notifier: Notifier,
    *,
    limit: int = 100,
    now: datetime | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> int:
    """Claim queued notices (and those whose claim is older than ``lease``), send them outside
    any transaction and record each outcome; returns how many were sent.

    The claim commits before the first send, so another sender running at the same time
    skips these notices: each goes once unless its sender dies mid-send (then again, after
    ``lease``).
    """
    claimant, at = _claimant(), now or datetime.now(UTC)
    with store.session() as session:
        claimed = [
            (n.id, n.channel, dict(n.payload), n.attempts)
            for n in claim_notifications(
                session, claimant=claimant, now=at, stale_before=at - lease, limit=limit
            )
        ]
    sent = 0
    for notification_id, channel, payload, attempts in claimed:
        (result,) = notifier.send(_notice(payload), [channel])
        changes: NotificationChanges = {
            "status": "sent" if result.ok else "failed",
            "attempts": attempts + result.attempts,
            "last_error": result.error,
            "sent_at": datetime.now(UTC) if result.ok else None,
        }
        _record(store, notification_id, claimant, changes)
        sent += int(result.ok)
    return sent


def _record(
    store: Store, notification_id: int, claimant: str, changes: NotificationChanges
) -> None:
    for wait_s in (*_BUSY_RETRIES_S, None):
        # The notice went out: a busy store must not leave it claimed, to be sent again.
        try:
            with store.session() as session:
                if not save_claimed_notification(
                    session, notification_id=notification_id, claimant=claimant, **changes
                ):
                    log.warning(
                        "notification %d was taken over by another sender (claim older "
                        "than the lease); its outcome here is not recorded",
                        notification_id,
                    )
            return
        except StoreBusyError:
            if wait_s is None:
                raise
            time.sleep(wait_s)
