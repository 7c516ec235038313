"""The core install: a light ``redline.Guard`` import, and the same results without pyarrow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: Never loaded by importing the Guard: the window thread or first use loads what it needs.
NOT_AT_IMPORT = ("sqlalchemy", "alembic", "scipy", "httpx", "fastapi", "uvicorn", "pyarrow")

#: Makes ``import pyarrow`` fail in the child, as on a core install without the parquet extra.
NO_ARROW = "import sys\nsys.modules['pyarrow'] = None\n"


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _loaded_after(statement: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{statement}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(NOT_AT_IMPORT)!r})))\n"
    )
    return json.loads(_run(probe))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "statement",
    [
        "import redline; redline.Guard",
        "from redline.guard import GuardEngine, HttpSink, RemoteRouteSource",
        "import redline.monitors.registry, redline.profiles.fit, redline.profiles.reference",
    ],
)
def test_importing_the_guard_loads_no_statistics_store_or_http(statement: str) -> None:
    assert _loaded_after(statement) == []


#: Fits on mixed columns (numbers, strings, a categorical), checks a drifted batch, and prints
#: the report; run with and without pyarrow, the two must agree exactly.
FIT_AND_CHECK = """
import json
import numpy as np
import pandas as pd
import redline

rng = np.random.default_rng(3)
n = 3_000
ref = pd.DataFrame({
    "x": rng.normal(size=n),
    "city": rng.choice(["north", "south", "east", None], n),
    "tier": pd.Categorical(rng.choice(["a", "b"], n)),
    "note": rng.choice(["ok", "late again", "n/a"], n),
})
cur = pd.DataFrame({
    "x": rng.normal(0.4, 1.0, 800),
    "city": rng.choice(["north", "west", None], 800),
    "tier": pd.Categorical(rng.choice(["a", "b", "c"], 800)),
    "note": rng.choice(["ok", "late"], 800),
})
reference = redline.fit_reference(ref, window_sizes=[100, 800], seed=0)
report = redline.check(reference, cur).to_dict()
fitted = reference.to_dict()
del fitted["created_at"], report["reference_hash"]  # the fit's time, and a hash over it
print(json.dumps({"arrow": __import__("sys").modules.get("pyarrow") is not None,
                  "reference": fitted, "report": report}, sort_keys=True, default=str))
"""


def test_without_pyarrow_fitting_and_checking_give_the_same_report() -> None:
    with_arrow = json.loads(_run(FIT_AND_CHECK))
    without = json.loads(_run(NO_ARROW + FIT_AND_CHECK))
    assert with_arrow["arrow"] is True
    assert without["arrow"] is False
    assert without["reference"] == with_arrow["reference"]
    assert without["report"] == with_arrow["report"]
    assert with_arrow["report"]["drifted_columns"]  # the batch is drifted: a test that can fail


def test_reading_parquet_without_pyarrow_names_the_extra(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(path)
    code = NO_ARROW + (
        "import sys\n"
        "from redline.errors import MissingExtraError\n"
        "from redline.profiles.tabular import read_table\n"
        "try:\n"
        "    read_table(sys.argv[1])\n"
        "except MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    assert _run(code, str(path)) == (
        "reading Parquet files needs redline[parquet]: pip install 'redline[parquet]'"
    )
