"""Install size and cold import time: redline core, redline[server], Evidently and NannyML.

Each target is installed by pip, with its dependencies, into a fresh virtualenv of its own
(outside the repository); its size is the sum of the files under that venv's site-packages,
reported whole and net of an empty venv's (pip and setuptools). Import time is the median over
``--repeats`` fresh interpreters running the target's import statement (after one discarded
run): wall time, and CPU time, which moves less with other people's load on a shared machine;
with the number of modules the statement loaded.

    .venv/bin/python benchmarks/bench_install.py                     # all four, 5 runs each
    .venv/bin/python benchmarks/bench_install.py --only core,server --repeats 5
    .venv/bin/python benchmarks/bench_install.py --reuse             # time the same venvs again

Venvs go under ``$REDLINE_INSTALL_VENVS`` (default ``<tempdir>/redline-install``) and are
rebuilt on every run unless ``--reuse``; pip's cache keeps reruns short. Results:
``benchmarks/results/install-<stamp>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Target:
    """What to install and what importing it means."""

    name: str
    requirements: tuple[str, ...]  # ``{wheel}`` stands for the redline wheel of this tree
    statements: tuple[str, ...]


TARGETS = [
    Target(
        "core",
        ("{wheel}",),
        (
            "import redline; redline.Guard",
            "from redline.guard import GuardEngine",  # the engine alone, without a control plane
            "import redline; redline.check, redline.fit_reference",
        ),
    ),
    Target("server", ("{wheel}[server]",), ("from redline.api import create_app",)),
    # Neither peer imports with pandas 3, which pip picks for them; NannyML 0.13 also imports
    # statsmodels without declaring it. Both get what they need to import, nothing more.
    Target("evidently", ("evidently", "pandas<3"), ("from evidently import Report",)),
    Target("nannyml", ("nannyml", "pandas<3", "statsmodels"), ("import nannyml",)),
]

#: Prints the wall and CPU seconds one import statement took and the modules it left loaded.
PROBE = (
    "import sys, time\n"
    "t, c = time.perf_counter(), time.process_time()\n"
    "{statement}\n"
    "print(time.perf_counter() - t, time.process_time() - c, len(sys.modules))\n"
)


@dataclass
class Import:
    """One import statement's wall times in fresh interpreters, and the modules it loaded."""

    statement: str
    seconds: list[float]
    median_s: float
    cpu_seconds: list[float]
    median_cpu_s: float
    modules: int


@dataclass
class Result:
    """One target's measurements (or why it has none)."""

    name: str
    requirement: str
    site_packages_mb: float | None = None
    net_mb: float | None = None
    distributions: int | None = None
    imports: list[Import] | None = None
    versions: dict[str, str] | None = None
    error: str | None = None


def _site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def _size_mb(path: Path) -> float:
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())
    return total / 1e6


def _make_venv(venv: Path) -> Path:
    if venv.exists():
        shutil.rmtree(venv)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    return venv / "bin" / "python"


def build_wheel(out: Path) -> Path:
    """The redline wheel of this tree (the build backend is a development dependency)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("redline-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (wheel,) = out.glob("redline-*.whl")
    return wheel


def _versions(python: Path) -> dict[str, str]:
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {p["name"].lower(): p["version"] for p in json.loads(done.stdout)}


def _time_import(python: Path, statement: str, repeats: int, cwd: Path) -> Import:
    code = PROBE.format(statement=statement)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    runs: list[tuple[float, float, int]] = []
    for _ in range(repeats + 1):  # the first run is discarded (file cache, lazy .pyc writes)
        done = subprocess.run(
            [str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True
        )
        wall, cpu, modules = done.stdout.split()
        runs.append((float(wall), float(cpu), int(modules)))
    walls = [round(r[0], 4) for r in runs[1:]]
    cpus = [round(r[1], 4) for r in runs[1:]]
    median, median_cpu = statistics.median(walls), statistics.median(cpus)
    return Import(statement, walls, round(median, 3), cpus, round(median_cpu, 3), runs[-1][2])


def measure(
    target: Target, root: Path, wheel: Path, repeats: int, empty_mb: float, *, reuse: bool
) -> Result:
    """Install ``target`` into a fresh venv under ``root`` (or reuse it) and measure it."""
    result = Result(target.name, " ".join(target.requirements).format(wheel="redline"))
    venv = root / target.name
    python = venv / "bin" / "python"
    if not (reuse and python.exists()):
        python = _make_venv(venv)
        requirements = [r.format(wheel=wheel) for r in target.requirements]
        done = subprocess.run(
            [str(python), "-m", "pip", "install", *requirements],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            result.error = (done.stderr.strip().splitlines() or ["pip failed"])[-1][:400]
            return result
    site = _site_packages(venv)
    result.site_packages_mb = round(_size_mb(site), 1)
    result.net_mb = round(result.site_packages_mb - empty_mb, 1)
    result.versions = _versions(python)
    result.distributions = len(result.versions)
    scratch = Path(tempfile.mkdtemp(prefix="import-", dir=root))
    result.imports = []
    try:
        for statement in target.statements:
            result.imports.append(_time_import(python, statement, repeats, scratch))
    except subprocess.CalledProcessError as exc:
        result.error = f"import failed: {(exc.stderr or '').strip().splitlines()[-1:]}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def render(results: list[Result], empty_mb: float, repeats: int) -> str:
    """The results as a Markdown table."""
    lines = [
        f"| target | import statement | site-packages MB | net of empty venv MB | packages "
        f"| import s, wall (median of {repeats}) | import s, CPU | modules |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.site_packages_mb is None:
            lines.append(f"| {r.name} | — | — | — | — | — | — | {r.error} |")
            continue
        if r.error:
            lines.append(
                f"| {r.name} | — | {r.site_packages_mb:.0f} | {r.net_mb:.0f} "
                f"| {r.distributions} | — | — | {r.error} |"
            )
        for i in r.imports or []:
            lines.append(
                f"| {r.name} | `{i.statement}` | {r.site_packages_mb:.0f} | {r.net_mb:.0f} "
                f"| {r.distributions} | {i.median_s:.3f} | {i.median_cpu_s:.3f} | {i.modules} |"
            )
    lines.append("")
    lines.append(f"An empty venv's site-packages (pip, setuptools): {empty_mb:.0f} MB.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen targets and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated target names (default: all)")
    parser.add_argument("--repeats", type=int, default=5)
    default_root = Path(tempfile.gettempdir()) / "redline-install"
    parser.add_argument(
        "--root", type=Path, default=Path(os.environ.get("REDLINE_INSTALL_VENVS", default_root))
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the venvs a previous run installed again"
    )
    args = parser.parse_args(argv)
    chosen = set(args.only.split(",")) if args.only else {t.name for t in TARGETS}
    root: Path = args.root
    root.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(root / "wheel")
    if not (args.reuse and (root / "empty").exists()):
        _make_venv(root / "empty")
    empty_mb = round(_size_mb(_site_packages(root / "empty")), 1)
    results = []
    for target in TARGETS:
        if target.name in chosen:
            started = time.perf_counter()
            results.append(measure(target, root, wheel, args.repeats, empty_mb, reuse=args.reuse))
            print(f"{target.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    record = {
        "host": platform.node(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "empty_venv_mb": empty_mb,
        "repeats": args.repeats,
        "results": [asdict(r) for r in results],
    }
    (RESULTS / f"install-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")
    table = render(results, empty_mb, args.repeats)
    (RESULTS / f"install-{stamp}.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
