"""The package as users get it: a wheel built from the tree, installed by pip into a fresh
virtualenv outside it (its dependencies resolved from the wheel's own metadata), doing its jobs.

The virtualenv first holds the core alone (the SDK, ``redline check``, the embedded store, the
CLI), then gets the ``demo`` extra (which brings ``server``). pip's cache keeps reruns short. The
fixtures live in ``conftest.py``: ``test_demo.py`` checks the demo this install runs.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rltest.installed import SETUP_DEADLINE_S, DemoRun, run_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(SETUP_DEADLINE_S)]

#: Run by the wheel's own code in a directory far from the source tree.
SMOKE = """
import sys
from pathlib import Path

import httpx
import numpy as np

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.settings import Settings, StoreSettings
from redline.store import upgrade

installed = Path(redline.__file__).resolve()
assert installed.is_relative_to(Path(sys.prefix).resolve()), installed
url = "sqlite:///" + str(Path.cwd() / "redline.db")
upgrade(url)
rng = np.random.default_rng(0)
reference = redline.fit_reference({"x": rng.normal(size=5_000)})
report = redline.check(reference, {"x": rng.normal(2.0, 1.0, size=1_000)})
assert report.drifted_columns == ["x"], report.drifted_columns
app = create_app(Settings(store=StoreSettings(url=url)))
server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
try:
    login = httpx.get(server.url + "/login", timeout=30)
    style = httpx.get(server.url + "/static/dashboard/dashboard.css", timeout=30)
finally:
    server.stop()
assert login.status_code == 200 and "token" in login.text, login.status_code
assert style.status_code == 200, style.status_code
print("wheel ok", installed)
"""


def test_the_wheel_holds_each_file_once_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert len(names) == len(set(names))
    for data in [
        "redline/store/migrations/env.py",
        "redline/store/migrations/script.py.mako",
        "redline/api/dashboard/templates/incident.html",
        "redline/api/dashboard/static/dashboard.js",
        "redline/demo/playbook.yaml",
        "redline/forensics/schemas/art73.schema.json",
    ]:
        assert data in names


#: An embedded Guard on a SQLite store: serves, closes a window into the store, loads no server.
GUARD = """
import sqlite3
import sys
from pathlib import Path

import numpy as np

import redline

rng = np.random.default_rng(0)
reference = redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[100])
db = Path.cwd() / "guard.db"
guard = redline.Guard(
    model="m", reference=reference, predict=lambda row: row["x"] * 2, store=f"sqlite:///{db}"
)
try:
    values = [guard.predict({"x": float(x)}).value for x in rng.normal(size=300)]
finally:
    guard.close()
assert len(values) == 300
(windows,) = sqlite3.connect(db).execute("select count(*) from windows").fetchone()
assert windows >= 1, windows
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"fastapi", "uvicorn", "pyarrow"})
assert heavy == [], heavy
print("guard ok", windows)
"""

#: Installed by the core alone: none of these.
EXTRAS_ONLY = {"fastapi", "uvicorn", "jinja2", "prometheus-client", "pyarrow", "scikit-learn"}


def _installed(venv: Path) -> set[str]:
    done = run_in(venv, ["python", "-m", "pip", "list", "--format", "json"], cwd=venv)
    assert done.returncode == 0, done.stderr
    return {p["name"].lower() for p in json.loads(done.stdout)}


def test_the_core_install_brings_no_extra(core: Path) -> None:
    installed = _installed(core)
    assert {"redline", "numpy", "scipy", "pandas", "sqlalchemy", "alembic"} <= installed
    assert installed & EXTRAS_ONLY == set()


def test_the_core_install_checks_files(core: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"x": rng.normal(size=3_000), "c": rng.choice(["a", "b"], 3_000)}).to_csv(
        tmp_path / "reference.csv", index=False
    )
    pd.DataFrame({"x": rng.normal(1.0, 1.0, 800), "c": rng.choice(["a", "b"], 800)}).to_csv(
        tmp_path / "current.csv", index=False
    )
    command = ["redline", "check", "-r", "reference.csv", "-c", "current.csv", "-f", "json"]
    done = run_in(core, command, cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]  # 1: drift found
    report = json.loads(done.stdout)
    assert report["drifted_columns"] == ["x"]


def test_the_core_install_runs_an_embedded_guard(core: Path, tmp_path: Path) -> None:
    done = run_in(core, ["python", "-c", GUARD], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "guard ok" in done.stdout


def test_the_core_install_names_the_server_extra(core: Path, tmp_path: Path) -> None:
    done = run_in(core, ["redline", "serve"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Error: redline serve needs redline[server]: pip install 'redline[server]'"
    )


def test_the_demo_extra_runs_the_demo(demo_run: DemoRun) -> None:
    assert demo_run.done.returncode == 0, demo_run.done.stderr[-3000:]
    scenarios = json.loads(demo_run.done.stdout)["scenarios"]
    assert all(scenario["incident"] is not None for scenario in scenarios), scenarios


def test_the_installed_wheel_migrates_checks_and_serves(demo: Path, tmp_path: Path) -> None:
    done = run_in(demo, ["python", "-c", SMOKE], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wheel ok" in done.stdout
