"""The ground a fault test stands on: a PostgreSQL schema of its own, a prepared store, a list
of processes killed at exit, a disk filled on purpose."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fault_support import EvaluationLedger, Process
from sqlalchemy import create_engine, make_url

from redline.services import open_store
from redline.services.tokens import create_token

__all__ = ["fill", "killing_at_exit", "pg_schema", "prepare_store"]

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema of its own (dropped afterwards); yields a URL searching only it."""
    server = os.environ.get("REDLINE_TEST_PG_URL", PG_URL_DEFAULT)
    if not server:
        pytest.skip("REDLINE_TEST_PG_URL is empty: PostgreSQL tests are switched off")
    schema = f"redline_fault_{secrets.token_hex(6)}"
    admin = create_engine(make_url(server))
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def prepare_store(url: str) -> dict[str, str]:
    """Migrate the store, install the evaluation ledger; a viewer's and a responder's token."""
    store = open_store(url)
    try:
        tokens = {
            role: create_token(store, name=f"{role}-faults", role=role)[0]
            for role in ("viewer", "responder")
        }
    finally:
        store.dispose()
    EvaluationLedger(url).install()
    return tokens


@contextmanager
def killing_at_exit() -> Iterator[list[Process]]:
    """A list for the processes a test starts; those still running are killed at exit."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def fill(disk: Path, *, leave_bytes: int) -> Path:
    """Write a ballast file that leaves about ``leave_bytes`` free on ``disk``."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    ballast = disk / "ballast"
    ballast.write_bytes(b"\0" * max(0, free - leave_bytes))
    return ballast
