"""Running the installed ``redline`` console script the way a person would, with plain output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

__all__ = ["cli_env", "redline_script", "run_redline"]


def redline_script() -> str:
    """The ``redline`` script beside this interpreter (else on PATH); fails the test without one."""
    beside = Path(sys.executable).parent / "redline"
    found = str(beside) if beside.exists() else shutil.which("redline")
    if found is None:
        pytest.fail("the redline console script is not installed (pip install -e .)")
    return found


def cli_env(
    drop: Iterable[str] = ("COLUMNS",),
    *,
    prefix: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """This environment without FORCE_COLOR, ``drop`` and ``prefix*`` names; NO_COLOR and ``extra`` set."""
    unwanted = {"FORCE_COLOR", *drop}
    kept = {
        k: v
        for k, v in os.environ.items()
        if k not in unwanted and not (prefix and k.startswith(prefix))
    }
    return {**kept, "NO_COLOR": "1", **(extra or {})}


def run_redline(
    *args: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script with ``args`` and ``env`` (default: :func:`cli_env`), capturing text."""
    return subprocess.run(
        [redline_script(), *map(str, args)],
        capture_output=True,
        text=True,
        env=cli_env() if env is None else dict(env),
        timeout=120,
        check=False,
    )
