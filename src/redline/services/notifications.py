"""Paging through an outbox: notifications are queued in the incident's transaction and sent
after it commits, so a failed delivery never undoes an incident change and is retried."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from redline.domain import IncidentStatus, Severity
from redline.errors import StoreBusyError
from redline.notify import IncidentNotice, Notifier
from redline.services.chains import record_event
from redline.store import (
    IncidentRow,
    Session,
    Store,
    add_notification,
    list_notifications,
    save_notification,
)

__all__ = ["deliver_pending", "queue_notice"]


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


def deliver_pending(store: Store, notifier: Notifier, *, limit: int = 100) -> int:
    """Send queued notifications (network I/O outside any transaction); returns how many were sent."""
    with store.reading() as session:
        pending = [
            (n.id, n.channel, dict(n.payload), n.attempts)
            for n in list_notifications(session, status="pending", limit=limit)
        ]
    sent = 0
    for notification_id, channel, payload, attempts in pending:
        (result,) = notifier.send(_notice(payload), [channel])
        for wait_s in (*_BUSY_RETRIES_S, None):
            # The notice went out: a busy store must not leave it pending to be sent again.
            try:
                with store.session() as session:
                    save_notification(
                        session,
                        notification_id=notification_id,
                        status="sent" if result.ok else "failed",
                        attempts=attempts + result.attempts,
                        last_error=result.error,
                        sent_at=datetime.now(UTC) if result.ok else None,
                    )
                break
            except StoreBusyError:
                if wait_s is None:
                    raise
                time.sleep(wait_s)
        sent += int(result.ok)
    return sent
