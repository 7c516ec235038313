"""The triage store functions: append-only reports, the newest wins; predictions by time range."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from redline.domain import Severity
from redline.store import (
    Store,
    add_incident,
    add_predictions,
    add_triage_report,
    add_window,
    count_predictions,
    get_latest_triage_report,
    list_predictions,
    list_triage_reports,
    list_windows_before,
)

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.from_url(store_url)
    yield opened
    opened.dispose()


def test_reports_are_appended_and_the_newest_counts(store: Store) -> None:
    with store.session() as session:
        incident = add_incident(
            session,
            model="store-test",
            title="t",
            category="drift",
            severity=Severity.SEV3,
            policy_version="test",
            detected_at=T0,
        )
        assert get_latest_triage_report(session, incident_id=incident.id) is None
        for cause, confidence in (("covariate_drift", 0.6), ("pipeline_bug", 0.8)):
            add_triage_report(
                session,
                incident_id=incident.id,
                window_id=None,
                likely_cause=cause,
                confidence=confidence,
                report={"cause": cause},
                created_at=T0,
            )
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            add_triage_report(
                session,
                incident_id=incident.id,
                window_id=None,
                likely_cause="x",
                confidence=1.5,
                report={},
            )
        latest = get_latest_triage_report(session, incident_id=incident.id)
        assert latest is not None
        assert (latest.likely_cause, latest.report) == ("pipeline_bug", {"cause": "pipeline_bug"})
        causes = [r.likely_cause for r in list_triage_reports(session, incident_id=incident.id)]
        assert causes == ["covariate_drift", "pipeline_bug"]
        session.rollback()


def test_predictions_and_windows_by_time(store: Store) -> None:
    with store.session() as session:
        for i in range(4):
            start = T0 + timedelta(hours=i)
            add_window(
                session,
                window_id=f"ts-{i}",
                model="store-time",
                start=start,
                end=start + timedelta(hours=1),
                n_rows=2,
                payload={},
            )
            rows = [(f"r{i}-{j}", j, "primary" if j else "fallback", start) for j in range(2)]
            add_predictions(session, model="store-time", window_id=f"ts-{i}", rows=rows)
        end = T0 + timedelta(hours=2)
        assert count_predictions(session, model="store-time", start=T0, end=end) == 6
        primary = list_predictions(
            session, model="store-time", start=T0 + timedelta(hours=1), end=end, route="primary"
        )
        assert [p.request_id for p in primary] == ["r1-1", "r2-1"]
        before = list_windows_before(session, model="store-time", before=end, limit=1)
        assert [w.id for w in before] == ["ts-1"]
        session.rollback()
