"""Synthetic fraud traffic: windows of served predictions and the labels that come later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from redline.guard.sinks import Feedback
from redline.services.labels import ServedPrediction, record_served_in
from redline.store import WindowRow, add_window

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MODEL = "fraud"


def add_hour_window(session: Session, window_id: str, start: datetime = T0) -> WindowRow:
    """A stored one-hour window of the fraud model."""
    row, _ = add_window(
        session,
        window_id=window_id,
        model=MODEL,
        start=start,
        end=start + timedelta(hours=1),
        n_rows=0,
        payload={},
    )
    return row


def serve_window(
    session: Session,
    window_id: str,
    *,
    n_fraud: int,
    caught: int,
    n_legit: int,
    start: datetime = T0,
    labelled_at: datetime | None = None,
) -> list[Feedback]:
    """Serve a window in which the model catches ``caught`` of ``n_fraud`` frauds.

    Every legit request is predicted legit. Returns the true labels, to be recorded later.
    """
    window = add_hour_window(session, window_id, start)
    truth = ["fraud"] * n_fraud + ["legit"] * n_legit
    predicted = ["fraud"] * caught + ["legit"] * (n_fraud - caught + n_legit)
    ids = [f"{window_id}-{i}" for i in range(len(truth))]
    served = [
        ServedPrediction(request_id, value, "primary", window.start + timedelta(seconds=i))
        for i, (request_id, value) in enumerate(zip(ids, predicted, strict=True))
    ]
    record_served_in(session, model=MODEL, window_id=window_id, served=served)
    at = labelled_at or window.end
    return [Feedback(request_id, label, at) for request_id, label in zip(ids, truth, strict=True)]
