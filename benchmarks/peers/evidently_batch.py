"""Evidently 0.7: Report([DataDriftPreset()]) with defaults, reference vs current window.

    cd benchmarks && <evidently venv>/bin/python -m peers.evidently_batch --size cur1m

Timed: wrapping both DataFrames as Datasets, running the report, reading the per-column
verdicts. Evidently has no separate fit step, so the reference is processed inside the timed
section (that is how it is used). Per-column verdicts come from the ValueDrift metrics:
distance methods drift when value >= threshold, p-value methods when value < threshold.
"""

from __future__ import annotations

import time
from typing import Any

import harness as h


def drifted(snapshot: dict[str, Any]) -> tuple[list[str], dict[str, list[Any]]]:
    out: list[str] = []
    values: dict[str, list[Any]] = {}
    for mt in snapshot["metrics"]:
        cfg = mt.get("config", {})
        if not str(cfg.get("type", "")).endswith("ValueDrift"):
            continue
        col, method, thr, v = cfg["column"], cfg["method"], cfg["threshold"], mt["value"]
        values[col] = [method, v]
        is_p = "p_value" in method.lower() or "p-value" in method.lower()
        if (v < thr) if is_p else (v >= thr):
            out.append(col)
    return out, values


def main() -> None:
    args = h.arg_parser(__doc__).parse_args()
    if args.task != "batch":
        raise SystemExit(f"unknown task {args.task}")
    t0 = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report  # type: ignore[import-not-found, unused-ignore]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found, unused-ignore]

    t_import = time.perf_counter() - t0
    m = h.meta()
    dd = DataDefinition(numerical_columns=m["num_cols"], categorical_columns=m["cat_cols"])
    ref = h.load_df(h.REFERENCE)
    cur = h.load_df(args.size)
    h.reset_peak()
    mem0 = h.mem_mb()
    with h.Timer() as t:
        r = Dataset.from_pandas(ref, data_definition=dd)
        c = Dataset.from_pandas(cur, data_definition=dd)
        snap = Report([DataDriftPreset()]).run(c, r)
        flagged, values = drifted(snap.dict())
    mem1 = h.mem_mb()
    h.emit(
        {
            "peer": "evidently",
            "task": "batch",
            "variant": args.variant,
            "size": args.size,
            "n_cur": len(cur),
            "seconds": t.s,
            "cpu_seconds": t.cpu,
            "import_seconds": t_import,
            "input_bytes": h.df_bytes(cur),
            "mem_before": mem0,
            "mem": mem1,
            "peak_above_mb": h.peak_above(mem0, mem1),
            "score": h.score_for(args.size, flagged),
            "values": values,
            "versions": h.versions("evidently", "pandas", "scipy"),
        }
    )


if __name__ == "__main__":
    main()
