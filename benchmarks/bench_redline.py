"""redline's side of the benchmarks; one task per process, one ``RESULT {json}`` line.

    cd benchmarks && PYTHONPATH=../src ../.venv/bin/python -m bench_redline --task check --size cur1m

Tasks:
  check          batch drift of a pandas window (num_* float64, cat_* object strings) against a
                 reference fitted beforehand on the 100k-row ``ref``. Timed: only
                 ``redline.check(reference, window)``; ``fit_seconds`` is the fit, reported apart.
                 Flags = ``report.drifted_columns``.
  guard_row      Guard overhead per single-row call: ``Guard(model="bench", predict=fn,
                 reference=ref, store=None).predict(row)`` vs ``fn(row)``, rows as dicts of 25
                 values; median ns per call of each (blocks of --block calls, the two
                 interleaved), their difference, and the mean including any flushes.
  guard_batch    rows/s of ``guard.predict_batch(columns)`` on --batch-rows-row dicts of numpy
                 arrays (cat_* as object arrays of strings), against ``fn(columns)`` alone.
                 ``rows_per_cpu_s_incl_close``: rows per CPU second of the whole process (all
                 threads) from the first call to the end of ``close()``, the per-core rate.
                 One window is closed before the timed section (``first_flush_seconds``: scipy's
                 first load on the window thread and the first store write, reported apart).
  evaluate       time per window for ``MonitorSuite(reference).evaluate(window)`` (every
                 registered monitor) on the folded profile of cur10k (25 columns); median of
                 --eval-repeats calls on the same profile, wall and CPU (``cpu_ms_median``).
  profile_bytes  bytes per feature of a serialised WindowProfile (compact JSON of ``to_dict()``,
                 whole profile / 25) for windows of 1k, 100k and 1M rows, and whether the
                 profiles of two halves merge into exactly the whole window's column states.

The redline API these tasks call is checked before anything is timed; a missing piece ends the
job with ``redline API missing: ...`` (exit code 3) instead of a traceback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import harness as h

API_MISSING = 3
FEATURES = 25


class ApiMissingError(Exception):
    """The redline API a task needs is not there (yet)."""


def need(root: Any, dotted: str) -> Any:
    """``root.a.b`` or ApiMissingError naming exactly what is missing (redline resolves its
    top-level names lazily, so a missing module shows up as ImportError here)."""
    obj = root
    done = getattr(root, "__name__", type(root).__name__)
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ApiMissingError(f"{done}.{part}") from None
        except ImportError as e:
            raise ApiMissingError(f"{done}.{part} ({e})") from None
        done = f"{done}.{part}"
    return obj


def need_module(dotted: str, attr: str) -> Any:
    """``from <dotted> import <attr>`` or ApiMissingError."""
    import importlib

    try:
        mod = importlib.import_module(dotted)
    except ImportError as e:
        raise ApiMissingError(f"{dotted}.{attr} ({e})") from None
    return need(mod, attr)


def import_redline() -> tuple[Any, float]:
    t0 = time.perf_counter()
    try:
        import redline
    except ImportError as e:
        raise ApiMissingError(f"import redline ({e})") from e
    return redline, time.perf_counter() - t0


def redline_versions(rl: Any) -> dict[str, str]:
    v = h.versions("pandas", "scipy")
    v["redline"] = str(getattr(rl, "__version__", "?"))
    v["redline_path"] = str(getattr(rl, "__file__", "?"))
    return v


def model(x: Any) -> Any:
    """The 'model' behind every Guard here: one comparison, for a row dict (-> bool) or a dict
    of column arrays (-> bool array). Cheap on purpose, so the Guard's own cost is what shows."""
    return x["num_00"] > 0.0


def fit(rl: Any, fit_on: Any) -> tuple[Any, float]:
    fit_reference = need(rl, "fit_reference")
    with h.Timer() as t:
        ref = fit_reference(fit_on)
    return ref, t.s


# --------------------------------------------------------------------------------------- check


def task_check(size: str) -> dict[str, Any]:
    ref_df = h.load_df(h.REFERENCE)
    cur = h.load_df(size)
    rl, t_import = import_redline()
    check = need(rl, "check")
    reference, t_fit = fit(rl, ref_df)
    del ref_df
    # The statistics libraries load on the first check of a process, not at import: one check
    # of 1,000 rows, timed apart, keeps that one-time cost out of the timed section (as the
    # import is) and reports it.
    with h.Timer() as warm:
        check(reference, cur.iloc[:1_000])
    h.reset_peak()
    mem0 = h.mem_mb()
    with h.Timer() as t:
        report = check(reference, cur)
    mem1 = h.mem_mb()
    flagged = [str(c) for c in need(report, "drifted_columns")]
    body: Any = None
    if hasattr(report, "to_dict"):
        body = report.to_dict()
        if len(json.dumps(body, default=str)) > 50_000:
            body = {"omitted": "to_dict() larger than 50 kB"}
    input_bytes = h.df_bytes(cur)
    peak = h.peak_above(mem0, mem1)
    return {
        "task": "check",
        "size": size,
        "n_cur": len(cur),
        "seconds": t.s,
        "cpu_seconds": t.cpu,
        "fit_seconds": t_fit,
        "import_seconds": t_import,
        "first_check_seconds": warm.s,
        "input_bytes": input_bytes,
        "mem_before": mem0,
        "mem": mem1,
        "peak_above_mb": peak,
        "peak_over_input": peak * 1024 * 1024 / input_bytes,
        "score": h.score_for(size, flagged),
        "report": body,
        "versions": redline_versions(rl),
    }


# ------------------------------------------------------------------------------------- guards


def make_guard(rl: Any, reference: Any, *, batch: bool = False) -> tuple[Any, dict[str, str]]:
    """``Guard(model="bench", predict=model, reference=reference, store=None)``.

    ``store=None`` (redline's configured store; run.py points ``REDLINE_STORE__URL`` at a
    SQLite file in the job's scratch directory) is passed only if the constructor takes it; with ``batch`` the same vectorised ``model`` goes in as ``predict_batch=`` when the
    constructor takes that, so the batch path calls the model once per batch. The keyword
    arguments actually used are returned for the record."""
    import inspect

    guard_cls = need(rl, "Guard")
    params = inspect.signature(guard_cls).parameters
    kwargs: dict[str, Any] = {"model": "bench", "predict": model, "reference": reference}
    used = {"model": "'bench'", "predict": "model", "reference": "reference"}
    if "store" in params:
        kwargs["store"] = None
        used["store"] = "None -> " + os.environ.get("REDLINE_STORE__URL", "configured default")
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if batch and ("predict_batch" in params or takes_any):
        kwargs["predict_batch"] = model
        used["predict_batch"] = "model"
    return guard_cls(**kwargs), used


def close(guard: Any) -> float:
    with h.Timer() as t:
        if hasattr(guard, "close"):
            guard.close()
    return t.s


def first_flush(guard: Any) -> float | None:
    """Close the Guard's first window before the timed section; its time is reported apart.

    The first window's close loads what the monitors load at first use (scipy, on the window
    thread) and makes the first store write: a once-per-process cost, like ``check``'s first call.
    """
    if not hasattr(guard, "flush"):
        return None
    with h.Timer() as t:
        guard.flush()
    return t.s


def task_guard_row(n_rows: int, block: int) -> dict[str, Any]:
    ref_df = h.load_df(h.REFERENCE)
    rows = h.rows_as_dicts("cur100k", n_rows)
    rl, _ = import_redline()
    reference, t_fit = fit(rl, ref_df)
    del ref_df
    guard, used = make_guard(rl, reference)
    predict = need(guard, "predict")
    first = predict(rows[0])
    for r in rows[:block]:  # warm-up: caches, first buffer allocation
        predict(r)
        model(r)
    h.reset_peak()
    mem0 = h.mem_mb()
    pc = time.perf_counter_ns
    g_blocks: list[float] = []
    d_blocks: list[float] = []
    g_total = d_total = 0
    n_done = 0
    for k, i in enumerate(range(0, len(rows) - block + 1, block)):
        chunk = rows[i : i + block]
        order = ("g", "d") if k % 2 == 0 else ("d", "g")
        for which in order:
            fn: Callable[[Any], object] = predict if which == "g" else model
            t0 = pc()
            for r in chunk:
                fn(r)
            dt = pc() - t0
            if which == "g":
                g_blocks.append(dt / block)
                g_total += dt
            else:
                d_blocks.append(dt / block)
                d_total += dt
        n_done += block
    mem1 = h.mem_mb()
    t_close = close(guard)
    g_med, d_med = h.median(g_blocks), h.median(d_blocks)
    overhead = g_med - d_med
    return {
        "task": "guard_row",
        "size": "cur100k",
        "rows": n_done,
        "block": block,
        "guard_ns_median": g_med,
        "direct_ns_median": d_med,
        "overhead_ns_median": overhead,
        "overhead_ns_mean": (g_total - d_total) / n_done,
        "guard_ns_max_block": max(g_blocks),
        "rows_per_s_guard": 1e9 * n_done / g_total,
        "overhead_rows_per_s": 1e9 / overhead if overhead > 0 else None,
        "decision_type": type(first).__name__,
        "guard_kwargs": used,
        "rows_dropped": getattr(guard, "rows_dropped", None),
        "close_seconds": t_close,
        "fit_seconds": t_fit,
        "mem_before": mem0,
        "mem": mem1,
        "peak_above_mb": h.peak_above(mem0, mem1),
        "versions": redline_versions(rl),
    }


def task_guard_batch(batch_rows: int, max_rows: int, max_seconds: float) -> dict[str, Any]:
    ref_df = h.load_df(h.REFERENCE)
    cols = h.load_columns("cur1m", max_rows)
    batches = [
        {c: a[i : i + batch_rows] for c, a in cols.items()}
        for i in range(0, len(cols["num_00"]) - batch_rows + 1, batch_rows)
    ]
    rl, _ = import_redline()
    reference, t_fit = fit(rl, ref_df)
    del ref_df
    guard, used = make_guard(rl, reference, batch=True)
    predict_batch = need(guard, "predict_batch")
    out = predict_batch(batches[0])
    n_out = len(out)
    if n_out != batch_rows:
        raise SystemExit(f"predict_batch returned {n_out} values for {batch_rows} rows")
    t_first = first_flush(guard)

    def loop(fn: Callable[[Any], object]) -> tuple[int, float]:
        n = 0
        t0 = time.perf_counter()
        for b in batches:
            fn(b)
            n += batch_rows
            if time.perf_counter() - t0 > max_seconds:
                break
        return n, time.perf_counter() - t0

    h.reset_peak()
    mem0 = h.mem_mb()
    n_d, s_d = loop(model)
    c_g = time.process_time()
    n_g, s_g = loop(predict_batch)
    mem1 = h.mem_mb()
    t_close = close(guard)
    c_g = time.process_time() - c_g  # every thread's CPU: the request path, folding, the close
    return {
        "task": "guard_batch",
        "size": "cur1m",
        "batch_rows": batch_rows,
        "rows": n_g,
        "seconds": s_g,
        "rows_per_s": n_g / s_g,
        "direct_rows_per_s": n_d / s_d,
        "overhead_ns_per_row": 1e9 * (s_g / n_g - s_d / n_d),
        "rows_per_s_incl_close": n_g / (s_g + t_close),
        "cpu_seconds_incl_close": c_g,
        "rows_per_cpu_s_incl_close": n_g / c_g,
        "guard_kwargs": used,
        "rows_dropped": getattr(guard, "rows_dropped", None),
        "close_seconds": t_close,
        "first_flush_seconds": t_first,
        "fit_seconds": t_fit,
        "mem_before": mem0,
        "mem": mem1,
        "peak_above_mb": h.peak_above(mem0, mem1),
        "versions": redline_versions(rl),
    }


# ------------------------------------------------------------------------------------ profiles


def window_profile(rl: Any, reference: Any, columns: dict[str, Any]) -> Any:
    """Fold a window of columns into a ``redline.profiles.WindowProfile``."""
    wp = need_module("redline.profiles.window", "WindowProfile")
    if hasattr(wp, "of"):
        return wp.of(reference, columns)
    return need(wp, "empty")(reference).fold(reference, columns)


def serialised(profile: Any) -> bytes:
    body = need(profile, "to_dict")()
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()


def compare(a: Any, b: Any, path: str = "") -> tuple[list[str], float]:
    """Integer/str/bool fields that differ (paths) and the largest relative float difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        diffs: list[str] = []
        worst = 0.0
        for k in sorted(a.keys() | b.keys(), key=str):
            if k not in a or k not in b:
                diffs.append(f"{path}/{k}")
                continue
            d, w = compare(a[k], b[k], f"{path}/{k}")
            diffs += d
            worst = max(worst, w)
        return diffs, worst
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [path], 0.0
        diffs, worst = [], 0.0
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d, w = compare(x, y, f"{path}[{i}]")
            diffs += d
            worst = max(worst, w)
        return diffs, worst
    if isinstance(a, float) and isinstance(b, float):
        return [], abs(a - b) / max(abs(a), abs(b), 1e-300)
    return ([] if a == b else [path]), 0.0


def task_profile_bytes(sizes: Sequence[tuple[str, str, int]]) -> dict[str, Any]:
    ref_df = h.load_df(h.REFERENCE)
    rl, _ = import_redline()
    reference, t_fit = fit(rl, ref_df)
    del ref_df
    per: dict[str, Any] = {}
    for label, dataset, n in sizes:
        cols = h.load_columns(dataset, n)
        with h.Timer() as t:
            prof = window_profile(rl, reference, cols)
        blob = serialised(prof)
        body = prof.to_dict()
        col_bytes = len(json.dumps(body.get("columns", {}), separators=(",", ":"), default=str))
        entry: dict[str, Any] = {
            "rows": n,
            "bytes": len(blob),
            "bytes_per_feature": len(blob) / FEATURES,
            "column_state_bytes_per_feature": col_bytes / FEATURES,
            "fold_seconds": t.s,
        }
        if hasattr(prof, "merge"):
            # Exact merge: the column states and row count of (first half + second half) equal
            # the whole window's. The row sample is random and the window id new, so they are
            # left out; float sums may differ in the last bits (reported as max_rel_diff).
            half = n // 2
            a = window_profile(rl, reference, {c: v[:half] for c, v in cols.items()})
            b = window_profile(rl, reference, {c: v[half:] for c, v in cols.items()})
            merged = a.merge(b).to_dict()
            keys = ("columns", "n_rows", "missing", "unknown")
            diffs, worst = compare({k: merged.get(k) for k in keys}, {k: body.get(k) for k in keys})
            entry["merge_exact"] = not diffs and worst <= 1e-9
            entry["merge_differences"] = diffs[:10]
            entry["merge_float_max_rel_diff"] = worst
        per[label] = entry
    return {
        "task": "profile_bytes",
        "windows": per,
        "fit_seconds": t_fit,
        "versions": redline_versions(rl),
    }


def monitor_suite(reference: Any) -> Any:
    """Every registered monitor of one model (``redline.monitors.registry.MonitorSuite``)."""
    suite_cls = need_module("redline.monitors.registry", "MonitorSuite")
    suite = suite_cls(reference, model="bench")
    need(suite, "evaluate")
    return suite


def task_evaluate(dataset: str, n_rows: int, repeats: int) -> dict[str, Any]:
    ref_df = h.load_df(h.REFERENCE)
    cols = h.load_columns(dataset, n_rows)
    rl, _ = import_redline()
    reference, t_fit = fit(rl, ref_df)
    del ref_df
    suite = monitor_suite(reference)
    prof = window_profile(rl, reference, cols)
    signals = suite.evaluate(prof)  # warm-up, and what a window raises
    times: list[float] = []
    cpu: list[float] = []  # this thread's CPU: what a loaded, shared machine leaves comparable
    pc, tc = time.perf_counter_ns, time.thread_time_ns
    for _ in range(repeats):
        t0, c0 = pc(), tc()
        suite.evaluate(prof)
        times.append((pc() - t0) / 1e6)
        cpu.append((tc() - c0) / 1e6)
    monitors = getattr(suite, "monitors", [])
    return {
        "task": "evaluate",
        "size": dataset,
        "rows": n_rows,
        "columns": FEATURES,
        "monitors": [type(m).__name__ for m in monitors],
        "repeats": repeats,
        "ms_median": h.median(times),
        "ms_min": min(times),
        "ms_max": max(times),
        "cpu_ms_median": h.median(cpu),
        "signals": [
            f"{getattr(x, 'kind', '?')}:{getattr(x, 'level', '?')}" for x in list(signals)[:30]
        ],
        "fit_seconds": t_fit,
        "versions": redline_versions(rl),
    }


# ---------------------------------------------------------------------------------------- main


def main() -> None:
    p = h.arg_parser(__doc__)
    p.add_argument("--rows", type=int, default=100_000, help="guard_row: rows fed one by one")
    p.add_argument("--block", type=int, default=1000, help="guard_row: calls per timed block")
    p.add_argument("--batch-rows", type=int, default=1000, help="guard_batch: rows per batch")
    p.add_argument("--max-rows", type=int, default=1_000_000, help="guard_batch: rows in total")
    p.add_argument("--max-seconds", type=float, default=4.0, help="guard_batch: time cap")
    p.add_argument("--eval-repeats", type=int, default=200)
    args = p.parse_args()
    try:
        if args.task == "check":
            res = task_check(args.size)
        elif args.task == "guard_row":
            res = task_guard_row(args.rows, args.block)
        elif args.task == "guard_batch":
            res = task_guard_batch(args.batch_rows, args.max_rows, args.max_seconds)
        elif args.task == "evaluate":
            res = task_evaluate("cur10k", 10_000, args.eval_repeats)
        elif args.task == "profile_bytes":
            res = task_profile_bytes(
                [("1k", "cur10k", 1_000), ("100k", "cur100k", 100_000), ("1m", "cur1m", 1_000_000)]
            )
        else:
            raise SystemExit(f"unknown task {args.task}")
    except ApiMissingError as e:
        print(f"redline API missing: {e}", flush=True)
        raise SystemExit(API_MISSING) from None
    res = {"peer": "redline", "variant": "default", **res}
    res.setdefault("size", "-")
    h.emit(res)


if __name__ == "__main__":
    main()
