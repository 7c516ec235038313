"""The package as users get it: a wheel built from the tree, installed outside it, doing its jobs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

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
assert installed.is_relative_to(Path(sys.argv[1]).resolve()), installed
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


def test_the_installed_wheel_migrates_checks_and_serves(wheel: Path, tmp_path: Path) -> None:
    target, work = tmp_path / "site", tmp_path / "elsewhere"
    work.mkdir()
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-c", SMOKE, str(target)],
        cwd=work,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wheel ok" in done.stdout
