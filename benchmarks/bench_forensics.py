"""Forensics: how well the evidence and the diagnosis hold up, and what they cost.

1. Change point: windows of 600 rows with a mean shift injected in one feature at a random onset
   (windows 3–8 of 12), 30 seeds per shift size; how often ``locate_shift`` lands within one
   window of the onset, and exactly on it. Data: the synthetic generator of the unit tests.
2. Likely cause on real data: ``redline demo --headless --json`` per seed; per scenario, whether
   the incident's triage report names the cause the scenario injected, and whether its snapshot
   verifies.
3. Cost on the last demo store: taking a snapshot on demand and verifying it (median of 20).

    .venv/bin/python benchmarks/bench_forensics.py [--seeds 7 1 2] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "forensics"))

from synthetic import reference, window  # noqa: E402  (the unit tests' generator)

from redline.forensics.blame import locate_shift  # noqa: E402


def change_points(seeds: int = 30) -> dict[str, Any]:
    """Share of seeds whose estimated onset is within one window of the injected one."""
    ref = reference()
    out: dict[str, Any] = {}
    for shift in (0.3, 0.6):
        errors = []
        for seed in range(seeds):
            rng = np.random.default_rng(1000 + seed)
            onset = int(rng.integers(3, 9))
            windows = [
                window(ref, rng, i, n=600, shifts={"x2": shift} if i >= onset else None)
                for i in range(12)
            ]
            errors.append(abs(int(locate_shift(ref, windows)["onset"]) - onset))
        within = float(np.mean(np.array(errors) <= 1))
        exact = float(np.mean(np.array(errors) == 0))
        out[f"shift {shift} sd"] = {"within_one_window": within, "exact": exact, "seeds": seeds}
    return out


def demo(seed: int, store: str) -> dict[str, Any]:
    """One headless demo run: per scenario, the cause named and whether the snapshot verifies."""
    command = [str(Path(sys.executable).parent / "redline"), "demo", "--headless", "--json"]
    began = time.perf_counter()
    done = subprocess.run(
        [*command, "--seed", str(seed), "--store", store],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - began
    result = json.loads(done.stdout)
    scenarios = {
        s["name"]: {
            "cause": s["forensics"]["triage"]["likely_cause"],
            "named": s["forensics"]["triage"]["named"],
            "snapshot_verified": s["forensics"]["snapshot"]["verified"],
            "postmortem_sections": s["forensics"]["postmortem"]["sections"],
        }
        for s in result["scenarios"]
        if s.get("forensics")
    }
    return {"seed": seed, "exit": done.returncode, "seconds": round(seconds, 1), **scenarios}


def snapshot_cost(store_url: str, repeats: int = 20) -> dict[str, float]:
    """Median milliseconds to take a snapshot on demand and to verify it."""
    from redline.services import open_store
    from redline.services.snapshots import take_snapshot, verify_snapshot
    from redline.services.views import list_incident_views

    store = open_store(store_url)
    try:
        incident = list_incident_views(store)[0]
        take, check = [], []
        for _ in range(repeats):
            began = time.perf_counter()
            view = take_snapshot(store, model=incident.model, incident_key=incident.key)
            take.append(time.perf_counter() - began)
            began = time.perf_counter()
            assert verify_snapshot(store, snapshot_id=view.id).ok
            check.append(time.perf_counter() - began)
        return {
            "take_ms": round(1000 * statistics.median(take), 1),
            "verify_ms": round(1000 * statistics.median(check), 2),
            "files": float(view.files),
            "size_kib": round(view.size_bytes / 1024, 1),
        }
    finally:
        store.dispose()


def main() -> None:
    """Run every part and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 1, 2])
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"change_point": change_points()}
    if not args.skip_demo:
        with tempfile.TemporaryDirectory() as folder:
            runs, store = [], ""
            for seed in args.seeds:
                store = f"sqlite:///{Path(folder) / f'demo-{seed}.db'}"
                runs.append(demo(seed, store))
            report["demo"] = runs
            report["snapshot"] = snapshot_cost(store)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
