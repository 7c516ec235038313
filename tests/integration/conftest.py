"""Store fixtures: each test on a real SQLite file and on the machine's PostgreSQL.

``empty_url`` is a database no migration has touched; ``migrated_url`` one already at head,
copied from a template migrated once per process (``rltest.stores``), for tests that would
migrate first thing; ``empty_postgresql_url`` and ``migrated_postgresql_url`` are the same on
PostgreSQL only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from redline.store import Store, create_engine_for, upgrade
from rltest.stores import copy_sqlite_template, pg_schema_at_head, pg_url, sqlite_template

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_server_url() -> str:
    url = os.environ.get("REDLINE_TEST_PG_URL", PG_URL_DEFAULT)
    if not url:
        pytest.skip("REDLINE_TEST_PG_URL is empty: PostgreSQL tests are switched off")
    return url


def _pg_admin() -> Engine:
    """An engine on the PostgreSQL server; fails the test, without a traceback, if it is down."""
    server_url = make_url(_pg_server_url())
    admin = create_engine(server_url)
    failure: OperationalError | None = None
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        failure = exc
    if failure is not None:  # failed outside the except block, so without a chained traceback
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {server_url.render_as_string(hide_password=True)} did not answer: "
            f"{failure.orig}\nStart it, point REDLINE_TEST_PG_URL at a reachable server, "
            "or set REDLINE_TEST_PG_URL='' to skip the PostgreSQL tests.",
            pytrace=False,
        )
    return admin


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A fresh, empty schema; yields a URL whose search_path is that schema."""
    schema = f"redline_test_{secrets.token_hex(6)}"
    admin = _pg_admin()
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield pg_url(_pg_server_url(), schema)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def _pg_migrated() -> Iterator[str]:
    """A fresh schema already at head; yields a URL whose search_path is that schema."""
    admin = _pg_admin()
    try:
        with pg_schema_at_head(admin, _pg_server_url()) as url:
            yield url
    finally:
        admin.dispose()


@contextmanager
def _empty_database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'redline-{secrets.token_hex(4)}.db'}"
    else:
        with _pg_schema() as url:
            yield url


@pytest.fixture(scope="session")
def sqlite_template_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per process, for ``migrated_url`` to copy."""
    return sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session", params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of a database migrated to head, shared by the whole session."""
    with _empty_database(request.param, tmp_path_factory.mktemp("store")) as url:
        upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database no migration has touched, for this test alone."""
    with _empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database already at the newest migration, for this test alone."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template_file")
        yield copy_sqlite_template(template, tmp_path)
        return
    with _pg_migrated() as url:
        yield url


@pytest.fixture
def store(migrated_url: str) -> Iterator[Store]:
    """A store of its own at the newest migration (SQLite file or PostgreSQL schema)."""
    opened = Store.from_url(migrated_url)
    yield opened
    opened.dispose()


@pytest.fixture(scope="session")
def engine(store_url: str) -> Iterator[Engine]:
    """The store's engine on the migrated database."""
    engine = create_engine_for(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_postgresql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty PostgreSQL schema, for behaviour only PostgreSQL has (locks, TRUNCATE)."""
    with _empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_postgresql_url() -> Iterator[str]:
    """URL of a PostgreSQL schema already at the newest migration, for this test alone."""
    with _pg_migrated() as url:
        yield url


@pytest.fixture
def second_postgresql_url() -> Iterator[str]:
    """URL of another empty PostgreSQL schema in the same database as ``empty_postgresql_url``."""
    with _pg_schema() as url:
        yield url
