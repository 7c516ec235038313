"""``redline.Guard``'s keywords and README.md's settings table: each documented, each real."""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import redline
from redline.guard.environment import LOCAL_FINGERPRINT
from redline.profiles.reference import Reference
from redline.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(2)
    return redline.fit_reference({"x": rng.normal(size=1_000)}, window_sizes=[100])


def _table_after(heading: str) -> list[list[str]]:
    """The rows (cells) of the first Markdown table after ``heading``."""
    rest = README.split(heading, 1)[1]
    rows = []
    for line in rest.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # past the header and the rule


def _variables() -> Iterator[str]:
    """Every ``REDLINE_A__B`` the settings table names (``__C`` continues the row's prefix)."""
    for cells in _table_after("## Configuration"):
        row = " ".join(cells)
        prefix = re.match(r"`(REDLINE_[A-Z]+)__", cells[0])
        yield from re.findall(r"`(REDLINE_[A-Z]+__[A-Z_]+)`", row)
        if prefix:
            yield from (prefix.group(1) + m for m in re.findall(r"`(__[A-Z_]+)`", cells[0]))


VARIABLES = sorted(set(_variables()))


def _field(variable: str) -> tuple[str, str]:
    section, name = variable.removeprefix("REDLINE_").lower().split("__")
    return section, name


def _source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).read_text(encoding="utf-8")


def _all_modules() -> list[str]:
    """Every module of the package but the settings themselves."""
    src = ROOT / "src"
    paths = sorted((src / "redline").rglob("*.py"))
    names = [".".join(p.relative_to(src).with_suffix("").parts) for p in paths]
    return [n.removesuffix(".__init__") for n in names if n != "redline.settings"]


def _guard(reference: Reference, **options: object) -> redline.Guard:
    return redline.Guard(model="m", predict=float, reference=reference, **options)  # type: ignore[arg-type]


def _store_url(reference: Reference, tmp_path: Path) -> object:
    with _guard(reference) as guard:
        return guard.control.store.engine.url.database  # type: ignore[union-attr]


def _probes(reference: Reference, tmp_path: Path) -> dict[str, tuple[str, Callable[[], object]]]:
    """What each variable is set to, and what reads it back through the code that uses it."""
    from redline.services.evidence import SnapshotConfig

    db = str(tmp_path / "probe.db")
    spool = str(tmp_path / "spool-probe")

    def window_s() -> object:
        with _guard(reference, store=False) as guard:
            return guard._worker._window_s

    def buffer_rows() -> object:
        with _guard(reference, store=False) as guard:
            return guard._capacity

    def spool_dir() -> object:
        with _guard(reference, store=f"sqlite:///{db}") as guard:
            return str(guard.control.sink.spool_path.parent)  # type: ignore[union-attr]

    def interval() -> object:
        with _guard(reference, store=f"sqlite:///{db}") as guard:
            return guard.control.loop.interval_s  # type: ignore[union-attr]

    def route_stale() -> object:
        with _guard(reference, store=False) as guard:
            return guard._watchdog.route.threshold_s

    def window_blocked() -> object:
        with _guard(reference, store=False) as guard:
            return guard._watchdog.window.threshold_s

    return {
        "REDLINE_STORE__URL": (f"sqlite:///{db}", lambda: _store_url(reference, tmp_path)),
        "REDLINE_GUARD__WINDOW_S": ("7.5", window_s),
        "REDLINE_GUARD__BUFFER_ROWS": ("64", buffer_rows),
        "REDLINE_GUARD__SPOOL_DIR": (spool, spool_dir),
        "REDLINE_GUARD__CONTROL_INTERVAL_S": ("0.25", interval),
        "REDLINE_GUARD__ROUTE_STALE_S": ("4.5", route_stale),
        "REDLINE_GUARD__WINDOW_BLOCKED_S": ("6.5", window_blocked),
        "REDLINE_FORENSICS__COPY_ARTIFACTS": (
            "false",
            lambda: SnapshotConfig.from_settings().copy_artifacts,
        ),
        "REDLINE_FORENSICS__MAX_ARTIFACT_MB": (
            "2",
            lambda: SnapshotConfig.from_settings().max_artifact_bytes // (1024 * 1024),
        ),
        "REDLINE_FORENSICS__CODE_PATH": ("/c", lambda: SnapshotConfig.from_settings().code_path),
        "REDLINE_FORENSICS__DATA_PATH": ("/d", lambda: SnapshotConfig.from_settings().data_path),
        "REDLINE_FORENSICS__DATA_VERSION": (
            "v9",
            lambda: SnapshotConfig.from_settings().data_version,
        ),
    }


#: Settings read where a process starts (the API, `redline serve`): that module must read them;
#: any other documented setting without a probe must be read somewhere in the package.
READ_BY = {
    "REDLINE_API__HOST": "redline.cli.serve",
    "REDLINE_API__PORT": "redline.cli.serve",
    "REDLINE_API__EVALUATE": "redline.api.context",
}


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_documented_setting_exists(variable: str) -> None:
    section, name = _field(variable)
    assert section in Settings.model_fields, f"{variable}: no settings section {section!r}"
    group = Settings.model_fields[section].annotation
    assert group is not None
    assert name in group.model_fields, f"{variable}: no setting {section}.{name}"


@pytest.mark.parametrize("variable", VARIABLES)
def test_each_documented_setting_is_read_by_the_code_that_uses_it(
    variable: str,
    reference: Reference,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.chdir(tmp_path)  # a Guard given no store opens ./redline.db here
    # A Guard started here captures this process's fingerprint with tmp_path as its working
    # directory (no git commit); later tests in this process must capture their own.
    request.addfinalizer(LOCAL_FINGERPRINT.reset)
    probes = _probes(reference, tmp_path)
    section, name = _field(variable)
    if variable not in probes:  # read where a process starts: the code must read the field
        readers = [READ_BY[variable]] if variable in READ_BY else _all_modules()
        assert any(f".{section}.{name}" in _source(m) for m in readers), (
            f"{variable} is documented but {' '.join(readers[:1])} never reads {section}.{name}"
        )
        return
    value, read = probes[variable]
    before = read()
    monkeypatch.setenv(variable, value)
    after = read()
    assert after != before
    expected = value.removeprefix("sqlite:///") if variable == "REDLINE_STORE__URL" else value
    assert str(after).lower() == expected or float(str(after)) == float(expected)


def _keywords() -> list[str]:
    return [n for n in inspect.signature(redline.Guard.__init__).parameters if n != "self"]


def test_the_guard_takes_named_keywords_only() -> None:
    parameters = inspect.signature(redline.Guard.__init__).parameters.values()
    kinds = {p.kind for p in parameters if p.name != "self"}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}
    assert all(p.annotation is not inspect.Parameter.empty for p in parameters if p.name != "self")


def test_every_guard_keyword_is_documented() -> None:
    documented = set()
    for cells in _table_after("### Guard keywords"):
        documented |= set(re.findall(r"`([a-z_]+)`", cells[0]))
    assert documented == set(_keywords())


def test_a_misspelt_keyword_fails_before_a_database_file_exists(
    reference: Reference, tmp_path: Path
) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(TypeError, match="windw_s"):
        redline.Guard(
            model="m", predict=float, reference=reference, store=f"sqlite:///{db}", windw_s=5
        )  # type: ignore[call-arg]
    assert list(tmp_path.iterdir()) == []


def test_mypy_strict_rejects_a_misspelt_keyword(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            import redline

            def serve(reference: redline.Reference) -> None:
                redline.Guard(model="m", predict=float, reference=reference, windw_s=5)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(probe)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout
    assert 'Unexpected keyword argument "windw_s"' in done.stdout


@pytest.mark.parametrize("keyword", ["route_stale_s", "window_blocked_s"])
@pytest.mark.parametrize("value", [0, -1.0, float("nan")])
def test_a_watchdog_threshold_not_above_zero_fails_before_a_database_file_exists(
    keyword: str, value: float, reference: Reference, tmp_path: Path
) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(ValueError, match=f"{keyword} must be a number of seconds above 0"):
        _guard(reference, store=f"sqlite:///{db}", **{keyword: value})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("variable", ["ROUTE_STALE_S", "WINDOW_BLOCKED_S"])
def test_a_watchdog_threshold_setting_not_above_zero_is_refused(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"REDLINE_GUARD__{variable}", "0")
    with pytest.raises(ValueError, match=f"guard.{variable.lower()}"):
        Settings()


def test_a_watchdog_threshold_keyword_wins_over_its_setting(
    reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_GUARD__ROUTE_STALE_S", "4.5")
    with _guard(reference, store=False, route_stale_s=2.0, window_blocked_s=3.0) as guard:
        assert guard._watchdog.route.threshold_s == 2.0
        assert guard._watchdog.window.threshold_s == 3.0
