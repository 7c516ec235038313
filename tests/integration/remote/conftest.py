"""Services for the remote Guard tests: on each backend, or on a SQLite file only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_support import Service, fit_reference

from redline.profiles.reference import Reference
from rltest.stores import copy_sqlite_template


@pytest.fixture(scope="session")
def reference() -> Reference:
    """The reference every window is profiled on."""
    return fit_reference()


@pytest.fixture
def service(migrated_url: str) -> Iterator[Service]:
    """A running service on a fresh SQLite file, then on a fresh PostgreSQL schema."""
    running = Service(migrated_url).start()
    yield running
    running.close()


@pytest.fixture
def sqlite_service(sqlite_template_file: Path, tmp_path: Path) -> Iterator[Service]:
    """A service on a migrated SQLite file of its own, not started: the spool tests start it late."""
    created = Service(copy_sqlite_template(sqlite_template_file, tmp_path))
    yield created
    created.close()


@pytest.fixture
def down_service(sqlite_service: Service) -> Service:
    """A service that ran once and stopped: its port refuses connections until ``start()``."""
    sqlite_service.start().stop()
    return sqlite_service
