"""The package as users get it: a wheel built from the tree, installed by pip into fresh
virtualenvs outside it (its dependencies resolved from the wheel's own metadata), doing its jobs.

One virtualenv holds the core alone (the SDK, ``redline check``, the embedded store, the CLI);
another adds the ``demo`` extra (which brings ``server``). pip's cache keeps reruns short.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from the repository (no network: the build backend is a
    development dependency)."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("redline-*.whl")
    return built


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


def _env(venv: Path) -> dict[str, str]:
    """The virtualenv first on PATH; pip's own settings kept; nothing of redline's."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k == "HOME"}
    return {**keep, "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200"}


def _make_venv(root: Path, requirement: str) -> Path:
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", requirement],
        env=_env(venv),
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return venv


def _run(
    venv: Path, args: list[str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(venv), capture_output=True, text=True, check=False, timeout=timeout
    )


@pytest.fixture(scope="module")
def core(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel and its core dependencies, nothing else."""
    return _make_venv(tmp_path_factory.mktemp("core"), str(wheel))


@pytest.fixture(scope="module")
def demo(wheel: Path, core: Path) -> Path:
    """The core virtualenv once its tests are done, with the ``demo`` extra added (which brings
    ``server``): pip resolves the extras from the wheel's metadata, the core is not installed twice.
    """
    done = subprocess.run(
        [str(core / "bin" / "python"), "-m", "pip", "install", f"{wheel}[demo]"],
        env=_env(core),
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return core


def _installed(venv: Path) -> set[str]:
    done = _run(venv, ["python", "-m", "pip", "list", "--format", "json"], cwd=venv)
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
    done = _run(core, command, cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]  # 1: drift found
    report = json.loads(done.stdout)
    assert report["drifted_columns"] == ["x"]


def test_the_core_install_runs_an_embedded_guard(core: Path, tmp_path: Path) -> None:
    done = _run(core, ["python", "-c", GUARD], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "guard ok" in done.stdout


def test_the_core_install_names_the_server_extra(core: Path, tmp_path: Path) -> None:
    done = _run(core, ["redline", "serve"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Error: redline serve needs redline[server]: pip install 'redline[server]'"
    )


@pytest.mark.timeout(900)  # ~80 CPU-seconds of demo after installing the extra
def test_the_demo_extra_runs_the_demo(demo: Path, tmp_path: Path) -> None:
    command = ["redline", "demo", "--headless", "--json", "--scenario", "pipeline_bug"]
    done = _run(demo, command, cwd=tmp_path, timeout=840)
    assert done.returncode == 0, done.stderr[-3000:]
    (scenario,) = json.loads(done.stdout)["scenarios"]
    assert scenario["name"] == "pipeline_bug"
    assert scenario["incident"] is not None


def test_the_installed_wheel_migrates_checks_and_serves(demo: Path, tmp_path: Path) -> None:
    done = _run(demo, ["python", "-c", SMOKE], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wheel ok" in done.stdout
