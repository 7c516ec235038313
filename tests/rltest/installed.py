"""The package as users get it: a wheel built from the tree, installed by pip into a fresh
virtualenv outside it, and the one full ``redline demo --headless --json`` run from that install.

``tests/e2e/test_wheel.py`` checks the wheel and its installs; ``tests/e2e/test_demo.py`` checks
what the demo did. Both read the same run (fixtures in ``tests/e2e/conftest.py``, both files on
one worker: ``RUN_TOGETHER`` in ``tests/conftest.py``), so the demo trains and runs once per suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEMO_DEADLINE_S",
    "SETUP_DEADLINE_S",
    "DemoRun",
    "build_wheel",
    "make_venv",
    "pip_install",
    "run_demo",
    "run_in",
    "venv_env",
]

ROOT = Path(__file__).resolve().parents[2]

#: The demo is ~80 CPU-seconds; on two cores shared with the rest of the suite (or a busy
#: machine) its wall time varies several-fold, so it gets a deadline rather than the default.
DEMO_DEADLINE_S = 840
_PIP_DEADLINE_S = 1200
#: pytest's timeout for a test whose fixtures may build the wheel, both installs and the demo.
SETUP_DEADLINE_S = 2 * _PIP_DEADLINE_S + DEMO_DEADLINE_S + 120


@dataclass(frozen=True)
class DemoRun:
    """One headless demo run: the finished process and the store it wrote."""

    done: subprocess.CompletedProcess[str]
    store: str
    script: str


def build_wheel(out: Path) -> Path:
    """The wheel ``pip wheel`` builds from the repository (no network: the build backend is a
    development dependency)."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("redline-*.whl")
    return built


def venv_env(venv: Path) -> dict[str, str]:
    """The virtualenv first on PATH; pip's own settings kept; nothing of redline's; one BLAS
    and OpenMP thread, as the suite's own processes run."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k == "HOME"}
    path = f"{venv / 'bin'}:/usr/bin:/bin"
    return {**keep, "PATH": path, "NO_COLOR": "1", "COLUMNS": "200", "OMP_NUM_THREADS": "1"}


def pip_install(venv: Path, requirement: str) -> None:
    """``pip install requirement`` into ``venv``; fails with pip's output.

    ``--no-compile``: Python compiles the modules the checks import when they first do, rather
    than pip every module of every dependency (half the CPU time of the install).
    """
    command = ["python", "-m", "pip", "install", "--no-compile", requirement]
    done = run_in(venv, command, cwd=venv, timeout=_PIP_DEADLINE_S)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def make_venv(root: Path, requirement: str) -> Path:
    """A fresh virtualenv under ``root`` with ``requirement`` installed."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip_install(venv, requirement)
    return venv


def run_in(
    venv: Path, args: list[str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` with ``venv``'s scripts first on PATH, capturing text."""
    return subprocess.run(
        args,
        cwd=cwd,
        env=venv_env(venv),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def run_demo(venv: Path, workdir: Path) -> DemoRun:
    """``redline demo --headless --json`` of ``venv`` on a SQLite store in ``workdir``, all five
    scenarios, seed 7."""
    store = f"sqlite:///{workdir / 'redline.db'}"
    script = str(venv / "bin" / "redline")
    command = [script, "demo", "--headless", "--json", "--store", store, "--seed", "7"]
    done = run_in(venv, command, cwd=workdir, timeout=DEMO_DEADLINE_S)
    return DemoRun(done=done, store=store, script=script)
