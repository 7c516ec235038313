"""Markdown tables of a false-alarm benchmark result (``bench_false_alarms.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

#: Kinds always listed, even when nothing raised them.
KINDS = [
    "numeric_drift",
    "categorical_drift",
    "prediction_drift",
    "mapping_error",
    "null_jump",
    "unseen_categories",
    "out_of_range",
    "type_violation",
    "missing_column",
    "latency",
    "confidence_drop",
    "source_share",
    "performance_drop",
]
LEVELS = ("warning", "alarm")


def rate(count: int, windows: int) -> str:
    """Per 1,000 windows; with none seen, the 95% upper bound by the rule of three."""
    if windows == 0:
        return "–"
    if count == 0:
        return f"0 (≤ {3000 / windows:.2g})"
    return f"{1000 * count / windows:.1f}"


def kind_counts(entries: Iterable[dict[str, Any]]) -> tuple[Counter[tuple[str, str]], int]:
    """Windows per (kind, level) summed over tallies, and the windows in all of them."""
    counts: Counter[tuple[str, str]] = Counter()
    windows = 0
    for entry in entries:
        windows += entry["windows"]
        for key, n in entry["kinds"].items():
            kind, level = key.split("|")
            counts[kind, level] += n
    return counts, windows


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def kinds_table(real: dict[str, Any]) -> list[str]:
    """Per signal kind, over every real set: warnings and alarms per 1,000 null windows."""
    counts, windows = kind_counts(real.values())
    seen = sorted({k for k, _ in counts} - set(KINDS))
    rows = []
    for kind in [*KINDS, *seen]:
        worst = max(real, key=lambda n: real[n]["kinds"].get(f"{kind}|alarm", 0))
        n_worst = real[worst]["kinds"].get(f"{kind}|alarm", 0)
        where = f"{worst} {rate(n_worst, real[worst]['windows'])}" if n_worst else "–"
        alarms = counts[kind, "alarm"]
        status = "met" if 1000 * alarms / max(windows, 1) <= 1 else "**not met**"
        rows.append(
            [kind, rate(counts[kind, "warning"], windows), rate(alarms, windows), where, status]
        )
    head = ["kind", "warnings /1,000", "alarms /1,000", "most alarms (set, /1,000)", "≤ 1 alarm"]
    return [f"All real sets together: {windows:,} null windows.", "", *table(head, rows)]


def sets_table(real: dict[str, Any]) -> list[str]:
    """Per real set: windows with any warning or alarm, and what the default policy makes of them."""
    rows = []
    for name, e in real.items():
        sev = e["severities"]
        severe = sev.get("SEV1", 0) + sev.get("SEV2", 0)
        alarming = sorted({k.split("|")[0] for k in e["kinds"] if k.endswith("|alarm")})
        rows.append(
            [
                name,
                f"{e['reference_rows']:,} / {e['pool_rows']:,}",
                str(e["window"]),
                f"{e['windows']:,}",
                rate(e["any"].get("warning", 0), e["windows"]),
                rate(e["any"].get("alarm", 0), e["windows"]),
                rate(severe, e["windows"]),
                ", ".join(alarming) or "–",
            ]
        )
    head = ["set", "reference / pool rows", "window", "windows", "any warning /1,000"]
    head += ["any alarm /1,000", "SEV1/SEV2 by policy /1,000", "kinds alarming"]
    return table(head, rows)


def synthetic_table(synth: dict[str, Any]) -> list[str]:
    """Per synthetic window size; then per column (cardinality), warnings / alarms per 1,000."""
    rows = []
    pairs: set[tuple[str, str]] = set()
    for e in synth.values():
        sev = e["severities"]
        severe = sev.get("SEV1", 0) + sev.get("SEV2", 0)
        kinds = sorted({k.split("|")[0] for k in e["kinds"]})
        pairs |= {(k.split("|")[1], k.split("|")[0]) for k in e["columns"]}
        rows.append(
            [
                f"{e['window']:,}",
                f"{e['reference_rows']:,}",
                f"{e['windows']:,}",
                rate(e["any"].get("warning", 0), e["windows"]),
                rate(e["any"].get("alarm", 0), e["windows"]),
                rate(severe, e["windows"]),
                ", ".join(kinds) or "–",
            ]
        )
    head = ["window", "reference rows", "windows", "any warning /1,000", "any alarm /1,000"]
    head += ["SEV1/SEV2 by policy /1,000", "kinds raised"]
    lines = table(head, rows)
    if pairs:
        lines += ["", *column_table(synth, sorted(pairs))]
    return lines


def column_table(synth: dict[str, Any], pairs: list[tuple[str, str]]) -> list[str]:
    """Synthetic signals per column and kind, as warnings / alarms per 1,000 windows per size."""
    rows = []
    for column, kind in pairs:
        row = [f"{'whole window' if column == 'None' else column} ({kind})"]
        for e in synth.values():
            w = e["columns"].get(f"{kind}|{column}|warning", 0)
            a = e["columns"].get(f"{kind}|{column}|alarm", 0)
            row.append(f"{rate(w, e['windows'])} / {rate(a, e['windows'])}")
        rows.append(row)
    head = ["column (kind)", *(f"w={e['window']:,}" for e in synth.values())]
    return table(head, rows)


def guard_table(guard: dict[str, Any]) -> list[str]:
    """Per real set: incidents, route changes and alarms per 1,000 null windows through a Guard."""
    rows = []
    total: Counter[str] = Counter()
    for name, e in guard.items():
        n = e["windows"]
        inc = e["incidents"]
        total.update({"windows": n, "routes": e["route_changes"], **inc})
        s = e["signals"]
        rows.append(
            [
                name,
                f"{n:,} ({e['streams']})",
                *(rate(inc.get(sev, 0), n) for sev in ("SEV1", "SEV2", "SEV3")),
                rate(e["route_changes"], n),
                rate(s["any"].get("alarm", 0), n),
                ", ".join(sorted({k.split("|")[0] for k in s["kinds"]})) or "–",
            ]
        )
    n = total["windows"]
    rows.append(
        [
            "**all**",
            f"{n:,}",
            *(rate(total[sev], n) for sev in ("SEV1", "SEV2", "SEV3")),
            rate(total["routes"], n),
            "",
            "",
        ]
    )
    head = ["set", "windows (Guards)", "SEV1 incidents /1,000", "SEV2 /1,000", "SEV3 /1,000"]
    head += ["route changes /1,000", "windows with an alarm /1,000", "kinds stored (any level)"]
    return table(head, rows)


def cell(values: list[Any]) -> str:
    """Per-trial windows from the onset; '–' when not reached, 'pre' when before the onset."""
    shown = {None: "–", "before onset": "pre"}
    return " ".join(shown.get(v, str(v)) if not isinstance(v, int) else str(v) for v in values)


def power_table(power: list[dict[str, Any]]) -> list[str]:
    """Per set and fault: windows from the onset to each milestone, one number per trial."""
    rows = []
    for case in power:
        trials = case["trials"]
        goal = "route" if case["fault"] == "collapse" else "signal"
        met = all(isinstance(t[goal], int) and t[goal] <= 2 for t in trials)
        rows.append(
            [
                case["set"],
                case["fault"],
                case["injected"],
                ", ".join(case["expected"])
                + (f" on {case['column']}" if case.get("column") else ""),
                *(cell([t[k] for t in trials]) for k in ("signal", "incident", "severe", "route")),
                ", ".join(sorted({k for t in trials for k in t.get("contained_by", [])})) or "–",
                str(sum(t.get("false_starts", 0) for t in trials)),
                "met" if met else "**not met**",
            ]
        )
    head = ["set", "fault", "injected", "detected by", "windows to signal", "to incident"]
    head += ["to SEV1/SEV2", "to route change", "kinds on the containing window"]
    head += ["false containments before the onset", "≤ 2 windows (collapse: to route change)"]
    return table(head, rows)


def render(result: dict[str, Any]) -> str:
    """Every table of the parts that ran, with a line saying what was measured."""
    dirty = " plus uncommitted changes in src/" if result.get("src_modified") else ""
    lines = [
        f"redline at commit {result['commit']}{dirty} ({result['redline_src']}); "
        f"{result['seconds']:.0f} s; load average before {result['loadavg_before'][0]:.1f}."
    ]
    if "signals" in result:
        lines += ["", "#### Signals per kind, real null windows", ""]
        lines += kinds_table(result["signals"]["real"])
        lines += ["", "#### Per real set", "", *sets_table(result["signals"]["real"])]
        lines += ["", "#### Synthetic nulls", "", *synthetic_table(result["signals"]["synthetic"])]
    if "guard" in result:
        lines += ["", "#### Whole Guard, default policy, SQLite store, 1,000-row null windows", ""]
        lines += guard_table(result["guard"])
    if "power" in result:
        lines += ["", "#### Power: faults at 1,000 rows, windows from the onset", ""]
        lines += power_table(result["power"])
    return "\n".join(lines)
