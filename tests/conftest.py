"""Suite-wide settings: the longest test files start first; property tests never time out.

With ``--dist loadfile`` each file runs whole on one worker, in collection order; a file that
takes a minute or two and starts last keeps the run going alone at the end. Started first, it
runs alongside everything else.

Hypothesis's per-example deadline and its "too slow" health check measure wall time, which a
busy machine stretches: both are off, and each run draws the same examples (``derandomize``).
``HYPOTHESIS_PROFILE=explore`` draws new examples on every run instead.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: Files that each hold one worker for a minute or more, longest first (summed test times of a
#: ``scripts/test`` run on a busy machine: 360 s for the first, 70 s for the last).
LONGEST_FIRST = (
    "tests/e2e/test_wheel.py",
    "tests/integration/api/test_api_schema.py",
    "tests/e2e/test_demo.py",
    "tests/integration/api/test_api_schema_invalid.py",
    "tests/integration/api/test_api_auth.py",
    "tests/integration/api/test_api_series.py",
    "tests/integration/forensics/test_postmortem.py",
    "tests/unit/domain/test_action_specs.py",
    "tests/integration/forensics/test_snapshots.py",
    "tests/integration/worker/test_worker_loop.py",
    "tests/integration/test_guard_settings.py",
    "tests/faults/test_pg_partition.py",
    "tests/integration/test_modes.py",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest files to the front, keeping every other test in its order."""
    items.sort(key=_rank)
