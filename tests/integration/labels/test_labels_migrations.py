"""Migration 0003: up, down, up again on both backends; 0002's rows survive; the schema matches."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from redline.store import Base, create_engine_for, current_revision, downgrade, upgrade
from redline.store.engine import alembic_config

TABLES_0003 = {"predictions", "labels", "review_items", "snoozes"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _head() -> str:
    (head,) = ScriptDirectory.from_config(alembic_config()).get_heads()
    return str(head)


def test_0003_follows_0002_on_the_way_to_the_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_revision("0003").down_revision == "0002"
    assert "0003" in {r.revision for r in scripts.walk_revisions(base="base", head=_head())}


def test_upgrade_downgrade_upgrade_including_0003(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == _head()
        assert _tables(engine) >= TABLES_0003
        downgrade(engine)
        assert current_revision(engine) is None
        assert not _tables(engine) & TABLES_0003
        upgrade(engine)
        assert current_revision(engine) == _head()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_0003_down_and_up_keeps_the_incidents_and_windows(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    at = {"at": datetime(2026, 3, 1, tzinfo=UTC)}
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            connection.execute(
                text(
                    'INSERT INTO windows (id, model, start, "end", n_rows, payload, created_at) '
                    "VALUES ('w1', 'fraud', :at, :at, 5, '{}', :at)"
                ),
                at,
            )
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO predictions (model, request_id, window_id, value, route, "
                    "served_at) VALUES ('fraud', 'r1', 'w1', '\"legit\"', 'primary', :at)"
                ),
                at,
            )
        downgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert not _tables(engine) & TABLES_0003
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM windows")).scalars().all() == ["w1"]
        upgrade(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
