"""The summary of a memory soak (``soak_memory.py``): per process, start / end / peak of each
memory series and its least-squares slope per hour after the warm-up.

    .venv/bin/python benchmarks/soak_report.py benchmarks/results/soak-<stamp>.json
    .venv/bin/python benchmarks/soak_report.py --compare results/soak-A.json results/soak-B.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np


def slope_per_h(t_s: list[float], values: list[float]) -> float:
    """Least-squares slope of ``values`` over ``t_s``, per hour."""
    if len(t_s) < 3:
        return float("nan")
    return float(np.polyfit(np.asarray(t_s) / 3600.0, np.asarray(values, dtype=float), 1)[0])


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    warmup_s = 60 * float(result["args"]["warmup_min"])
    out: dict[str, Any] = {}
    names = sorted({r["process"] for r in result["samples"]})
    for name in names:
        rows = [r for r in result["samples"] if r["process"] == name]
        late = [r for r in rows if r["t_s"] >= warmup_s]
        item: dict[str, Any] = {}
        for key in ("rss_kb", "uss_kb", "pss_kb", "anon_kb", "threads", "fds", "store_bytes"):
            item[key] = {
                "start": rows[0][key],
                "at_warmup": late[0][key] if late else None,
                "end": rows[-1][key],
                "peak": max(r[key] for r in rows),
                "slope_per_h": slope_per_h([r["t_s"] for r in late], [r[key] for r in late]),
            }
        item["cpu_s"] = rows[-1]["cpu_s"]
        item["inside"] = _inside(result["probes"].get(name, []), warmup_s, result)
        out[name] = item
    loads = [r["loadavg_1m"] for r in result["samples"]]
    out["loadavg_1m"] = {"median": float(np.median(loads)), "max": max(loads)}
    return out


PYMALLOC_ARENA = 1 << 20  # CPython 3.10+ on 64-bit: pymalloc arenas are 1 MiB


def _series(probe: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Series from a process's probe lines: counts, and bytes held and used by each allocator."""
    m = [p["mallinfo"] for p in probe]
    py = [p["pymalloc"] for p in probe]
    series: dict[str, list[float]] = {
        "allocated_blocks (count)": [p["allocated_blocks"] for p in probe],
        "malloc heap from system": [x.get("arena", 0) for x in m],
        "malloc in use": [x.get("uordblks", 0) for x in m],
        "malloc free in heap": [x.get("fordblks", 0) for x in m],
        "malloc mmapped blocks": [x.get("hblkhd", 0) for x in m],
        "pymalloc arenas": [x.get("arenas", 0) * PYMALLOC_ARENA for x in py],
        "pymalloc in use": [x.get("allocated_blocks_bytes", 0) for x in py],
        "pymalloc free in arenas": [
            x.get("arenas", 0) * PYMALLOC_ARENA - x.get("allocated_blocks_bytes", 0) for x in py
        ],
    }
    if "tracemalloc" in probe[-1]:
        series["traced by tracemalloc"] = [
            p.get("tracemalloc", {}).get("current", 0) for p in probe
        ]
    return series


def _inside(probe: list[dict[str, Any]], warmup_s: float, result: dict[str, Any]) -> dict[str, Any]:
    """What the process said of itself, per series: at the warm-up, at the end, slope per hour.
    The last line of a probe is written while the process stops, so it is left out."""
    if len(probe) < 3:
        return {}
    t0 = probe[0]["t"] - float(result["args"]["probe_s"])
    last = probe[-1]
    probe = probe[:-1]
    t = [p["t"] - t0 for p in probe]
    late = [i for i, x in enumerate(t) if x >= warmup_s] or list(range(len(t)))
    out: dict[str, Any] = {}
    for key, values in _series(probe).items():
        out[key] = {
            "start": values[0],
            "at_warmup": values[late[0]],
            "end": values[-1],
            "slope_per_h": slope_per_h([t[i] for i in late], [values[i] for i in late]),
        }
    out["gc_uncollectable_end"] = last.get("gc_uncollectable", 0)
    if "top_growth" in probe[-1].get("tracemalloc", {}):
        out["tracemalloc_top"] = probe[-1]["tracemalloc"]["top_growth"][:10]
    return out


def _made(made: dict[str, Any]) -> str:
    """What the load made, from the stores' row counts."""
    tables = ("windows", "signals", "incidents", "actions", "notifications", "snapshots")
    parts = []
    for db in ("server", "embedded"):
        rows = made.get(db, {})
        parts.append(f"{db} store: " + ", ".join(f"{t} {rows.get(t, 0):,}" for t in tables))
    return "Made: " + "; ".join(parts) + f"; webhook pages received {made.get('pages_received')}."


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.1f}"


def write_markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    a = result["args"]
    lines = [
        f"# Memory soak {result['stamp']}",
        "",
        f"{a['minutes']:.0f} min, samples every {a['sample_s']:.0f} s, slopes after a "
        f"{a['warmup_min']:.0f}-min warm-up by least squares; MALLOC_ARENA_MAX="
        f"{result['env'].get('MALLOC_ARENA_MAX')}; load average (1 min) median "
        f"{s['loadavg_1m']['median']:.2f}, max {s['loadavg_1m']['max']:.2f}. Exit codes: "
        f"{result['exit_codes']}.",
        "",
        _made(result["made"]),
        "",
        "| process | RSS start / at warm-up / end / peak (MB) | RSS slope (MB/h) | USS end (MB) "
        "| USS slope (MB/h) | threads end (peak) | fds end (peak) | CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, item in s.items():
        if name == "loadavg_1m":
            continue
        r, u = item["rss_kb"], item["uss_kb"]
        lines.append(
            f"| {name} | {_mb(r['start'])} / {_mb(r['at_warmup'] or 0)} / {_mb(r['end'])} / "
            f"{_mb(r['peak'])} | {r['slope_per_h'] / 1024:+.1f} | {_mb(u['end'])} | "
            f"{u['slope_per_h'] / 1024:+.1f} | {item['threads']['end']} "
            f"({item['threads']['peak']}) | {item['fds']['end']} ({item['fds']['peak']}) | "
            f"{item['cpu_s']:.0f} |"
        )
    lines += ["", "Inside each process (MB, or a count; slope per hour after the warm-up):", ""]
    lines += [
        "| process | series | at warm-up | end | slope/h |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, item in s.items():
        if name == "loadavg_1m":
            continue
        for key, v in item["inside"].items():
            if isinstance(v, dict) and "slope_per_h" in v:
                unit = 1 if "count" in key else 2**20
                lines.append(
                    f"| {name} | {key} | {v['at_warmup'] / unit:,.1f} | {v['end'] / unit:,.1f} | "
                    f"{v['slope_per_h'] / unit:+,.1f} |"
                )
    tops = [
        (n, i["inside"]["tracemalloc_top"])
        for n, i in s.items()
        if n != "loadavg_1m" and i["inside"].get("tracemalloc_top")
    ]
    for name, top in tops:
        lines += [
            "",
            f"tracemalloc, {name}: lines whose live bytes grew most after the warm-up:",
            "",
        ]
        lines += [
            f"- {d['where']}: {d['size_diff'] / 1024:+,.0f} KiB ({d['count_diff']:+,} blocks)"
            for d in top
        ]
    lines += ["", "RSS over time (MB, every 5 min):", "", _curve(result), ""]
    return "\n".join(lines)


def _curve(result: dict[str, Any]) -> str:
    names = sorted({r["process"] for r in result["samples"]})
    marks = sorted({int(r["t_s"] // 300) for r in result["samples"]})
    head = "| min | " + " | ".join(names) + " |"
    lines = [head, "| --- |" + " --- |" * len(names)]
    for m in marks:
        cells = []
        for name in names:
            rows = [r for r in result["samples"] if r["process"] == name and r["t_s"] // 300 == m]
            cells.append(_mb(rows[0]["rss_kb"]) if rows else "")
        lines.append(f"| {m * 5} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare(results: list[dict[str, Any]], process: str = "server") -> str:
    """One row per run: ``process``'s RSS at fixed minutes, its slopes from the warm-up to 30
    min and to the end of the shortest run, and the allocators' free memory at those points, so
    runs of different lengths compare like with like."""
    marks = (10, 20, 30, 40, 50, 60)
    common = min(float(r["args"]["minutes"]) for r in results)
    lines = [
        f"| run | {process} RSS MB at " + " / ".join(f"{m}" for m in marks) + " min "
        f"| slope MB/h, 10–30 min | slope MB/h, 10–{common:.0f} min | glibc free MB at warm-up / "
        f"{common:.0f} min / end | pymalloc arenas MiB at warm-up / {common:.0f} min / end |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        rows = [r for r in result["samples"] if r["process"] == process]
        warm = 60 * float(result["args"]["warmup_min"])

        def at(minute: float, rows: list[dict[str, Any]] = rows) -> str:
            near = min(rows, key=lambda row: abs(row["t_s"] - 60 * minute))
            return _mb(near["rss_kb"]) if abs(near["t_s"] - 60 * minute) <= 30 else "–"

        def slope(end_s: float, rows: list[dict[str, Any]] = rows, warm: float = warm) -> float:
            span = [r for r in rows if warm <= r["t_s"] <= end_s]
            return slope_per_h([r["t_s"] for r in span], [r["rss_kb"] for r in span]) / 1024

        probe = result["probes"].get(process, [])[:-1]  # the last line: while stopping
        t0 = probe[0]["t"] - float(result["args"]["probe_s"]) if probe else 0.0

        def near(second: float, probe: list[dict[str, Any]] = probe, t0: float = t0) -> Any:
            return min(probe, key=lambda line: abs(line["t"] - t0 - second)) if probe else {}

        points = (near(warm), near(60 * common), probe[-1] if probe else {})
        free = " / ".join(f"{p.get('mallinfo', {}).get('fordblks', 0) / 2**20:.0f}" for p in points)
        arenas = " / ".join(f"{p.get('pymalloc', {}).get('arenas', 0)}" for p in points)
        lines.append(
            f"| {result['stamp']} | " + " / ".join(at(m) for m in marks) + f" | "
            f"{slope(60 * 30):+.1f} | {slope(60 * common):+.1f} | {free} | {arenas} |"
        )
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1] == "--compare":
        results = [json.loads(Path(p).read_text()) for p in sys.argv[2:]]
        print(compare(results))
        return
    path = Path(sys.argv[1])
    result = json.loads(path.read_text())
    result["summary"] = summarise(result)
    path.write_text(json.dumps(result, indent=1))
    md = write_markdown(result)
    path.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
