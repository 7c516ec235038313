"""Suite-wide ordering: the longest test files start first.

With ``--dist loadfile`` each file runs whole on one worker, in collection order; a file that
takes a minute or two and starts last keeps the run going alone at the end. Started first, it
runs alongside everything else.
"""

from __future__ import annotations

import pytest

#: Files that each hold one worker for a minute or more (``scripts/test --durations=40``),
#: longest first.
LONGEST_FIRST = (
    "tests/e2e/test_wheel.py",
    "tests/e2e/test_demo.py",
    "tests/faults/test_pg_partition.py",
    "tests/faults/test_mixed_load.py",
    "tests/integration/api/test_api_schema.py",
    "tests/faults/test_disk_full.py",
    "tests/faults/test_kills.py",
    "tests/integration/test_guard_settings.py",
    "tests/integration/test_modes.py",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest files to the front, keeping every other test in its order."""
    items.sort(key=_rank)
