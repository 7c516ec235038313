"""Markdown tables of one `bench_detection.py` run, from its JSON record."""

from __future__ import annotations

from typing import Any


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(row: dict[str, Any], kind: str) -> str:
    return f"{row[f'{kind}_median_ms']:.3f} / {row[f'{kind}_p99_ms']:.3f}"


def _pr(cell: dict[str, Any]) -> str:
    return f"{_pct(cell['precision'])} / {_pct(cell['recall'])} ({cell['tp']}/{cell['fp']}/{cell['fn']})"


def render_pii(pii: dict[str, Any]) -> list[str]:
    """The per-entity precision/recall table."""
    names = list(pii["results"])
    lines = [
        "## PII: precision / recall per entity (TP/FP/FN)",
        "",
        f"{pii['sentences']} sentences from `{pii['templates']}` filled by Faker (en_US); "
        f"labelled spans: {pii['labelled']}. A detection counts when its type matches and it "
        "covers at least half of the labelled span. Of the labelled phone numbers, "
        f"{_pct(pii['valid_us_phone_share'])} are valid US numbers to libphonenumber (Faker "
        "draws area codes at random).",
        "",
        "| entity | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    entities = list(next(iter(pii["results"].values()))["per_entity"])
    for entity in entities:
        cells = [_pr(pii["results"][n]["per_entity"][entity]) for n in names]
        lines.append(f"| {entity} | " + " | ".join(cells) + " |")
    overall = [_pr(pii["results"][n]["overall_without_url"]) for n in names]
    lines.append("| **all but URL** | " + " | ".join(overall) + " |")
    others = [
        ", ".join(f"{k} {v}" for k, v in pii["results"][n]["other_types"].items()) or "none"
        for n in names
    ]
    lines.append("| detections of unscored types | " + " | ".join(others) + " |")
    for kind in ("cpu", "wall"):
        timing = [_ms(pii["results"][n], kind) for n in names]
        lines.append(f"| ms per sentence, {kind}: median / p99 | " + " | ".join(timing) + " |")
    return lines


def render_injection(injection: dict[str, Any]) -> list[str]:
    """TPR at 1% FPR per detector and attack set."""
    lines = ["", "## Injection: TPR at 1% FPR against held-out benign prompts", ""]
    if "skipped" in injection:
        return [*lines, injection["skipped"]]
    lines += [f"Sets: {injection['sets']}.", *[f"- {n}" for n in injection["notes"]], ""]
    lines += [
        "| detector | attack set | TPR at ≤1% FPR (held-out ROC) | its threshold (benign FPs) "
        "| threshold from train benign: TPR / FPR | shipped 0.5: TPR / FPR |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, by_set in injection["results"].items():
        if "error" in by_set:
            lines.append(f"| {name} | – | error: {by_set['error']} | | |")
            continue
        for attack_set, cell in by_set.items():
            low, fixed, train = (
                cell["at_1pct_fpr"],
                cell["at_default_0.5"],
                cell["at_train_threshold"],
            )
            lines.append(
                f"| {name} | {attack_set} | {_pct(low['tpr'])} | "
                f"{low['threshold']:.3f} ({low['false_positives']}/{low['benign']}) | "
                f"> {cell['train_threshold']:.3f}: {_pct(train['tpr'])} / {_pct(train['fpr'])} | "
                f"{_pct(fixed['tpr'])} / {_pct(fixed['fpr'])} |"
            )
    return lines


def render(record: dict[str, Any]) -> str:
    """Markdown tables of one run."""
    lines = [
        f"# Detection run {record['stamp']}",
        "",
        f"`{record['command']}`; {record['host']['cpus']} CPUs, Python {record['host']['python']}, "
        f"1-min load {record['load_1min_before']:.1f} before, {record['load_1min_after']:.1f} after. "
        f"Versions: {record['versions']}.",
        "",
        *render_pii(record["pii"]),
        *render_injection(record["injection"]),
        "",
        "## Latency per text, warm; cold start in a fresh interpreter",
        "",
        "| scanner | texts (median characters) | calls | CPU ms median / p99 "
        "| wall ms median / p99 | cold start (import + build): wall s / CPU s, peak RSS MB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in record["latency"].items():
        cold = row["cold_start_s"]
        start = f"{cold['wall_s']:.2f} / {cold['cpu_s']:.2f}, {cold['max_rss_mb']:.0f}"
        for set_name, cell in row["sets"].items():
            lines.append(
                f"| {name} | {set_name} ({cell['median_chars']:.0f}) | {cell['calls']} | "
                f"{_ms(cell, 'cpu')} | {_ms(cell, 'wall')} | {start} |"
            )
    return "\n".join(lines) + "\n"
