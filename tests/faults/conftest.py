"""Fault injection: redline as a service, broken on purpose while it works.

Each test runs the real processes: ``redline serve`` (``api.evaluate = worker``),
``redline worker`` and remote Guards (``guard_main.py``: ``redline.Guard`` with the service's
control plane, serving traffic), on a PostgreSQL schema of its own, with a playbook that routes
confirmed drift to the fallback. Then it breaks something:

- ``test_kills.py``: the API server, a worker in the middle of a claim, and a remote Guard
  (restarted on the same spool) are killed with SIGKILL;
- ``test_pg_partition.py``: PostgreSQL goes silent behind a ``rltest.tcp_proxy.TcpProxy``
  (black-holed, not refused), then comes back;
- ``test_disk_full.py``: the Guard's spool sits on a 1 MiB tmpfs while the server is down
  (``test_spool_disk_full.py``: the spool alone, when an append fills the disk);
- ``test_mixed_load.py``: several Guards, label feedback, dashboard and API reads and
  kill-switch presses at once, with one worker.

Each asserts what a fault must not cost: no window lost (the ids the Guards closed against the
ids stored, plus those refused and counted), none evaluated twice (a trigger notes every
committed ``evaluated_at``: ``fault_support.EvaluationLedger``), no 5xx but a documented 503
with Retry-After, containment after recovery (a data fault → an incident → a route change the
Guards follow), and a request path that never raises. Processes are killed in teardown even
when a test fails. Marked ``slow`` and ``postgres``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fault_env import killing_at_exit, pg_schema, prepare_store
from fault_support import Process

from rltest.credit import fit_reference
from rltest.policy import DRIFT_FALLBACK_RULE


@pytest.fixture(scope="session")
def reference_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The credit reference, saved once for every Guard process."""
    path = tmp_path_factory.mktemp("reference") / "reference.json"
    fit_reference().save(path)
    return path


@pytest.fixture(scope="session")
def playbook_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A playbook whose first rule routes confirmed drift to the fallback."""
    from redline.playbook.policy import DEFAULT_RULES

    body = {
        "version": 1,
        "models": {"unused": {"reference": "reference.json", "primary": "unused:v1"}},
        "severity": {"version": "faults-1", "rules": [DRIFT_FALLBACK_RULE, *DEFAULT_RULES]},
    }
    path = tmp_path_factory.mktemp("playbook") / "redline.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for this test (skipped where mounting is not allowed)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of this test's own."""
    with pg_schema() as url:
        yield url


@pytest.fixture
def store_tokens(pg_url: str) -> dict[str, str]:
    """The store prepared (:func:`prepare_store`): tokens by role."""
    return prepare_store(pg_url)


@pytest.fixture
def processes(pg_url: str) -> Iterator[list[Process]]:
    """Every process a test starts goes here; teardown kills those still running (before the
    schema they use is dropped)."""
    with killing_at_exit() as started:
        yield started
