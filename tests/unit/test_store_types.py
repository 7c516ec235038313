"""The store's UTC timestamp type and public surface, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import make_url
from sqlalchemy.dialects import sqlite

from redline.store.tables import UTCDateTime, as_utc

POSTGRESQL = make_url("postgresql+psycopg://").get_dialect()()
ZONES = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
AWARE = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES
)


@given(AWARE)
def test_bind_then_sqlite_read_keeps_the_instant_in_utc(value: datetime) -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(value, sqlite.dialect())
    assert stored is not None
    naive = stored.replace(tzinfo=None)  # what SQLite hands back
    read = column.process_result_value(naive, sqlite.dialect())
    assert read == value
    assert read is not None
    assert read.tzinfo is UTC


@given(AWARE)
def test_postgresql_values_in_any_zone_come_back_in_utc(value: datetime) -> None:
    read = UTCDateTime().process_result_value(value, POSTGRESQL)
    assert read == value
    assert read is not None
    assert read.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2024, 1, 1))
    assert UTCDateTime().process_bind_param(None, sqlite.dialect()) is None
    assert as_utc(datetime(2024, 1, 1, tzinfo=UTC)).tzinfo is UTC
