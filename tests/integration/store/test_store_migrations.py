"""Migrations: upgrade, downgrade to base, upgrade again, and the schema matches the models."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from redline.store import Base, create_engine_for, current_revision, downgrade, upgrade
from redline.store.engine import alembic_config

HEAD = "0011"
TABLES_0001 = {"references", "windows", "signals"}
TABLES_0002 = {
    "counters",
    "incidents",
    "incident_signals",
    "timeline_events",
    "audit_log",
    "actions",
    "notifications",
    "route_states",
    "model_versions",
    "deployments",
}
NEW_SIGNAL_COLUMNS = {"source", "status"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _signal_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("signals")}


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_head_is_the_single_latest_revision() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD]


def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    try:
        assert current_revision(engine) is None
        assert not _tables(engine) & (TABLES_0001 | TABLES_0002)

        upgrade(empty_url)
        assert _tables(engine) >= TABLES_0001 | TABLES_0002
        assert current_revision(engine) == HEAD

        upgrade(engine)  # already at head: nothing to do
        assert current_revision(engine) == HEAD

        downgrade(engine)
        assert not _tables(engine) & (TABLES_0001 | TABLES_0002)
        assert current_revision(engine) is None

        upgrade(engine)
        assert _tables(engine) >= TABLES_0001 | TABLES_0002
        assert current_revision(engine) == HEAD
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_0002_down_and_up_keeps_the_0001_tables_and_their_rows(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    insert_signal = text(
        "INSERT INTO signals (model, monitor, kind, statistic, value, threshold, level, "
        "fingerprint, n_rows, evidence, created_at) VALUES ('m', 'psi', 'input_drift', 'psi', "
        "0.3, 0.2, 'alarm', 'm|psi', 10, '{}', :at)"
    )
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(insert_signal, {"at": datetime(2024, 1, 1, tzinfo=UTC)})

        upgrade(engine)
        assert _signal_columns(engine) >= NEW_SIGNAL_COLUMNS
        with engine.connect() as connection:
            old = connection.execute(text("SELECT source, status FROM signals")).one()
        assert tuple(old) == ("monitor", "firing")  # rows from before 0002 get the defaults

        downgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        assert _tables(engine) >= TABLES_0001
        assert not _tables(engine) & TABLES_0002
        assert not _signal_columns(engine) & NEW_SIGNAL_COLUMNS
        with engine.connect() as connection:
            assert connection.execute(text("SELECT model FROM signals")).scalars().all() == ["m"]

        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def _window_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("windows")}


def test_0011_down_and_up_keeps_the_windows_and_their_summaries_start_empty(
    empty_url: str,
) -> None:
    engine = create_engine_for(empty_url)
    insert_window = text(
        'INSERT INTO windows (id, model, start, "end", n_rows, payload, created_at) '
        "VALUES ('w-0', 'm', :at, :at, 10, '{}', :at)"
    )
    try:
        upgrade(engine, "0010")
        with engine.begin() as connection:
            connection.execute(insert_window, {"at": datetime(2024, 1, 1, tzinfo=UTC)})
        assert "summary" not in _window_columns(engine)

        upgrade(engine)
        assert "summary" in _window_columns(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, summary FROM windows")).all()
        assert [tuple(r) for r in rows] == [("w-0", None)]  # no backfill: read off the payload

        downgrade(engine, "0010")
        assert current_revision(engine) == "0010"
        assert "summary" not in _window_columns(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM windows")).scalars().all() == ["w-0"]

        upgrade(engine)
        assert current_revision(engine) == HEAD
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _schema_diff(engine) == []
