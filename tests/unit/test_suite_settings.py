"""The suite's own settings (``tests/conftest.py``): the ordering names files that exist, and
property tests run without wall-clock limits, on the same examples every run."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]


def _suite_conftest(config: pytest.Config) -> ModuleType:
    path = ROOT / "tests" / "conftest.py"
    (found,) = [
        p for p in config.pluginmanager.get_plugins() if getattr(p, "__file__", None) == str(path)
    ]
    assert isinstance(found, ModuleType)
    return found


def test_every_file_ordered_first_exists(pytestconfig: pytest.Config) -> None:
    longest_first = _suite_conftest(pytestconfig).LONGEST_FIRST
    assert [p for p in longest_first if not (ROOT / p).is_file()] == []
    assert len(set(longest_first)) == len(longest_first)


@pytest.mark.skipif("HYPOTHESIS_PROFILE" in os.environ, reason="another profile was chosen")
def test_property_tests_have_no_wall_clock_limit_and_fixed_examples() -> None:
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
    assert settings.default.derandomize


def test_files_run_together_start_after_the_file_that_builds_what_they_read(
    pytestconfig: pytest.Config,
) -> None:
    conftest = _suite_conftest(pytestconfig)
    for follower, leader in conftest.RUN_TOGETHER.items():
        assert (ROOT / follower).is_file()
        assert conftest.LONGEST_FIRST.index(leader) < conftest.LONGEST_FIRST.index(follower)


def test_xdist_keeps_the_collection_order(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.option.loadscopereorder is False


def test_files_run_together_share_one_work_unit(pytestconfig: pytest.Config) -> None:
    unit = _suite_conftest(pytestconfig).work_unit
    assert unit("tests/e2e/test_demo.py::test_x") == unit("tests/e2e/test_wheel.py::test_y")
    assert unit("tests/unit/a.py::test_x") != unit("tests/unit/b.py::test_x")
    assert unit("tests/unit/a.py::TestA::test_x") == unit("tests/unit/a.py::test_y")
