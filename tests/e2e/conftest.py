"""The wheel, its installs and the one demo run, built once per worker that asks for them.

``test_wheel.py`` and ``test_demo.py`` both read these; ``tests/conftest.py`` keeps the two files
on one worker and runs ``test_wheel.py`` first, so its core-only checks see the core virtualenv
before the ``demo`` extra is added to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rltest.installed import DemoRun, build_wheel, make_venv, pip_install, run_demo


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the repository."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def core(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel and its core dependencies, nothing else."""
    return make_venv(tmp_path_factory.mktemp("core"), str(wheel))


@pytest.fixture(scope="session")
def demo(wheel: Path, core: Path) -> Path:
    """The core virtualenv once its tests are done, with the ``demo`` extra added (which brings
    ``server``): pip resolves the extras from the wheel's metadata, the core is not installed twice.
    """
    pip_install(core, f"{wheel}[demo]")
    return core


@pytest.fixture(scope="session")
def demo_run(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The full headless demo, run once by the installed wheel on a store of its own."""
    return run_demo(demo, tmp_path_factory.mktemp("demo"))
