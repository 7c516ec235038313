"""Databases already at the newest migration, without running the migrations for each test.

Running Alembic from 0001 to head costs a test ~0.1 CPU-s and, on a busy disk, a second or
more of fsyncs. The schema is migrated once per process into a template, and each test gets
a copy: a file copy of a SQLite database, or a PostgreSQL schema restored from a
``pg_dump`` of the template schema (DDL and rows, renamed to the new schema). Where
``pg_dump`` is missing, each PostgreSQL schema is migrated by Alembic instead.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url

from redline.store import upgrade

__all__ = ["copy_sqlite_template", "pg_schema_at_head", "pg_url", "sqlite_template"]

#: Stands for the schema's name in the dumped SQL.
_SCHEMA = "redline_template_schema"


def pg_url(server_url: str, schema: str) -> str:
    """``server_url`` with a search_path of ``schema`` only."""
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def sqlite_template(directory: Path) -> Path:
    """A SQLite file migrated to head in ``directory``, its WAL folded into the file."""
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_sqlite_template(template: Path, directory: Path) -> str:
    """The URL of a fresh copy of ``template`` in ``directory``."""
    copy = directory / f"redline-{secrets.token_hex(4)}.db"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@contextmanager
def pg_schema_at_head(admin: Engine, server_url: str) -> Iterator[str]:
    """A new schema at head (dropped afterwards); yields a URL whose search_path is that schema."""
    schema = f"redline_test_{secrets.token_hex(6)}"
    script = _pg_template_sql(server_url)
    raw = admin.raw_connection()
    try:
        connection = raw.driver_connection  # psycopg: runs a multi-statement script as it is
        assert connection is not None
        with connection.transaction():
            connection.execute(f'CREATE SCHEMA "{schema}"')
            if script is not None:
                connection.execute(script.replace(_SCHEMA, schema))
    finally:
        raw.close()
    url = pg_url(server_url, schema)
    try:
        if script is None:
            upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@cache
def _pg_template_sql(server_url: str) -> str | None:
    """The SQL that recreates a migrated schema named ``_SCHEMA`` (None without ``pg_dump``)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    schema = f"redline_template_{secrets.token_hex(6)}"
    url = make_url(server_url)
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        upgrade(pg_url(server_url, schema))
        dumped = subprocess.run(
            [pg_dump, "--no-owner", "--no-privileges", "--inserts", "--schema", schema],
            env={"PATH": "/usr/bin:/bin", **_libpq_env(server_url)},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
    kept = [
        line
        for line in dumped.splitlines()
        # psql meta-commands, comments, and the session settings (the search_path among them)
        if not line.startswith(("\\", "--", "SET ", "SELECT pg_catalog.set_config"))
        and line != f"CREATE SCHEMA {schema};"
    ]
    return "\n".join(kept).replace(f"{schema}.", f"{_SCHEMA}.")


def _libpq_env(server_url: str) -> dict[str, str]:
    """The libpq environment naming the database of ``server_url``."""
    url = make_url(server_url)
    values = {
        "PGHOST": url.host,
        "PGPORT": None if url.port is None else str(url.port),
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    return {k: v for k, v in values.items() if v}
