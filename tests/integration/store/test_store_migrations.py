"""Migrations: upgrade, downgrade to base, upgrade again, and the schema matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from redline.store import Base, create_engine_for, current_revision, downgrade, upgrade
from redline.store.engine import alembic_config

TABLES = {"references", "windows", "signals"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_head_is_the_single_latest_revision() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == ["0001"]


def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    try:
        assert current_revision(engine) is None
        assert not _tables(engine) & TABLES

        upgrade(empty_url)
        assert _tables(engine) >= TABLES
        assert current_revision(engine) == "0001"

        upgrade(engine)  # already at head: nothing to do
        assert current_revision(engine) == "0001"

        downgrade(engine)
        assert not _tables(engine) & TABLES
        assert current_revision(engine) is None

        upgrade(engine)
        assert _tables(engine) >= TABLES
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
