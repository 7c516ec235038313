"""Suite-wide settings: the longest test files start first; property tests never time out.

With ``--dist loadfile`` each file runs whole on one worker, in collection order (xdist's own
reordering by number of tests is switched off); a file that takes a minute or two and starts
last keeps the run going alone at the end. Started first, it runs alongside everything else.
Files that share a costly session fixture run on one worker (``RUN_TOGETHER``).

Hypothesis's per-example deadline and its "too slow" health check measure wall time, which a
busy machine stretches: both are off, and each run draws the same examples (``derandomize``).
``HYPOTHESIS_PROFILE=explore`` draws new examples on every run instead.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: Files that each hold one worker for a minute or more, longest first (summed test times of a
#: ``scripts/test`` run on a busy machine: ~20 min for the wheel with the demo, ~40 s for the
#: last). Without the list, the single-test fault files would start last and end the run alone.
LONGEST_FIRST = (
    "tests/e2e/test_wheel.py",
    "tests/e2e/test_demo.py",  # on the wheel's worker (RUN_TOGETHER), after it
    "tests/integration/api/test_api_schema.py",
    "tests/faults/test_disk_full.py",
    "tests/integration/forensics/test_exports_retrain.py",
    "tests/faults/test_kills.py",
    "tests/unit/domain/test_incident_machine.py",
    "tests/integration/api/test_api_schema_invalid.py",
    "tests/integration/forensics/test_postmortem_api.py",
    "tests/faults/test_mixed_load.py",
    "tests/integration/forensics/test_exports.py",
    "tests/integration/api/test_api_auth.py",
    "tests/integration/api/test_api_series.py",
    "tests/e2e/test_cli_serve.py",
    "tests/faults/test_pg_partition.py",
    "tests/unit/test_light_install.py",
    "tests/integration/forensics/test_postmortem.py",
    "tests/unit/domain/test_action_specs.py",
    "tests/integration/test_modes.py",
    "tests/integration/worker/test_outbox_workers.py",
    "tests/integration/forensics/test_snapshots.py",
    "tests/integration/worker/test_worker_loop.py",
    "tests/e2e/test_cli_worker.py",
    "tests/integration/remote/test_remote_kill.py",
    "tests/integration/test_guard_settings.py",
    "tests/e2e/test_cli_models.py",
)

#: Files that run on the worker of another file, which builds what they both read: the demo
#: checks read the one demo run of the installed wheel (``tests/e2e/conftest.py``).
RUN_TOGETHER = {"tests/e2e/test_demo.py": "tests/e2e/test_wheel.py"}


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest files to the front, keeping every other test in its order."""
    items.sort(key=_rank)


def work_unit(nodeid: str) -> str:
    """The file a test belongs to, or the partner file it runs with (``RUN_TOGETHER``)."""
    path = nodeid.split("::", 1)[0]
    return RUN_TOGETHER.get(path, path)


def pytest_configure(config: pytest.Config) -> None:
    """Keep the collection order when xdist hands out files (it sorts them by size otherwise)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, with each file of ``RUN_TOGETHER`` sent to its partner's worker."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class TogetherScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return TogetherScheduling(config, log)
