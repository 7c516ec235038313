"""Running ``redline`` commands with plain output: the installed console script in a process of
its own (for entry points, servers and signals), or the same Typer app inside the test process
(for what a command does: no interpreter start-up and import per call)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

__all__ = ["cli_env", "invoke_redline", "redline_script", "run_redline"]


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


def invoke_redline(
    *args: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` through the ``redline`` Typer app in this process, as :func:`run_redline` would
    in a child: the environment is exactly ``env`` (default: :func:`cli_env`) during the call,
    stdin is empty, and an unexpected exception becomes exit code 1 with its traceback on stderr.
    """
    from typer.testing import CliRunner

    from redline.cli.main import app

    wanted = cli_env() if env is None else dict(env)
    # CliRunner sets the names given and removes those mapped to None, then restores them all.
    changes: dict[str, str | None] = {k: None for k in os.environ if k not in wanted}
    changes.update(wanted)
    argv = [str(a) for a in args]
    # As in a fresh process, the root logger starts without handlers (so a command's own logging
    # setup, or else Python's last-resort handler, writes to its stderr); whatever the command
    # configures is undone afterwards.
    root, ours = logging.getLogger(), logging.getLogger("redline")
    saved = (root.level, list(root.handlers), ours.level)
    root.handlers.clear()
    try:
        result = CliRunner().invoke(app, argv, env=changes, prog_name="redline")
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        ours.setLevel(saved[2])
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        stderr += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return subprocess.CompletedProcess(["redline", *argv], result.exit_code, result.stdout, stderr)
