"""A database copied from the test template (``migrated_url``) is the one the migrations build:
the same tables, columns, keys, indexes, triggers and rows, and a store of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from redline.store import upgrade


def _describe(engine: Engine) -> dict[str, Any]:
    """Everything about the schema a test could notice, in a comparable form."""
    inspector = inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    tables: dict[str, Any] = {}
    with engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (str(f["constrained_columns"]), f["referred_table"], str(f["options"]))
                    for f in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (str(i["name"]), str(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "unique": sorted(
                    str(u["column_names"]) for u in inspector.get_unique_constraints(table)
                ),
                # rows the migrations write themselves: the revision and any seeded data
                "rows": sorted(
                    map(repr, connection.execute(text(f"SELECT * FROM {quote(table)}")))
                ),
            }
        tables["(triggers)"] = sorted(_triggers(engine, connection))
    return tables


def _triggers(engine: Engine, connection: Any) -> list[tuple[str, str]]:
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT trigger_name || ' ' || event_manipulation, action_statement "
            "FROM information_schema.triggers WHERE trigger_schema = current_schema()"
        )
    return [(str(name), str(body)) for name, body in connection.execute(text(query))]


def test_a_copied_database_matches_a_migrated_one(
    migrated_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if migrated_url.startswith("sqlite"):
        empty = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        empty = request.getfixturevalue("second_postgresql_url")
    upgrade(empty)
    copied, migrated = create_engine(migrated_url), create_engine(empty)
    try:
        assert _describe(copied) == _describe(migrated)
        assert "alembic_version" in _describe(copied)
    finally:
        copied.dispose()
        migrated.dispose()


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_change_to_one_copy_is_not_in_the_next(migrated_url: str, attempt: int) -> None:
    engine = create_engine(migrated_url)
    try:
        assert "scratch" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
