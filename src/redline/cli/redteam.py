"""``redline redteam run|report``: attack a model with probes, report per family, gate on limits."""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import EXIT_DRIFT, command_group, stderr_console, stdout_console
from redline.cli.options import (
    ActorOption,
    JsonOption,
    StoreOption,
    actor_name,
    opened_store,
    print_json,
)
from redline.errors import DataError

if TYPE_CHECKING:
    from redline.redteam import Attempt, GateOn, Probe, RunSettings, RunSummary
    from redline.redteam.config import TargetSpec

__all__ = ["app", "report_command", "run_command"]

app = command_group("Red-team a model: probes, per-family success rates, a gate for CI.")

EXIT_EXCEEDED = EXIT_DRIFT  # 1: a family's success rate is over its limit

LimitOption = Annotated[
    list[str] | None,
    typer.Option("--limit", help="FAMILY=RATE (or *=RATE): highest allowed success rate."),
]
PlaybookOption = Annotated[
    Path | None,
    typer.Option("--playbook", help="Read limits and probes from its redteam: section."),
]
GateOnOption = Annotated[
    str, typer.Option("--gate-on", help="Compare limits with the 'rate' or the CI's 'lower' bound.")
]
HtmlOption = Annotated[
    Path | None, typer.Option("--html", help="Write a self-contained HTML report.")
]


def _pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1%}"


def _table(summary: RunSummary) -> Table:
    table = Table("family", "judged", "succeeded", "rate", "95% CI", "limit", "errors", "verdict",
                  title="redline redteam")  # fmt: skip
    for f in summary.families:
        verdict, style = "not gated", ""
        if f.limit is not None:
            verdict, style = "within", "green"
        if f.exceeded or f.undecided:
            verdict, style = ("over limit" if f.exceeded else "undecided"), "bold red"
        table.add_row(
            f.family, str(f.attempts), str(f.successes), _pct(f.rate),
            f"{_pct(f.ci_low)} – {_pct(f.ci_high)}", _pct(f.limit), str(f.errors + f.skipped),
            Text(verdict, style=style),
        )  # fmt: skip
    return table


def _gate_on(text: str) -> GateOn:
    from redline.redteam import GateOn

    if text not in tuple(GateOn):
        raise DataError(f"--gate-on must be 'rate' or 'lower', not {text!r}")
    return GateOn(text)


def _model_version(record_as: str) -> tuple[str, str]:
    model, sep, version = record_as.partition(":")
    if not sep or not model or not version:
        raise DataError(f"--record-as {record_as!r}: write MODEL:VERSION, e.g. chat:v3")
    return model, version


def _finish(
    attempts: list[Attempt],
    limits: dict[str, float],
    gate_on: str,
    html: Path | None,
    as_json: bool,
) -> RunSummary:
    from redline.redteam import summarize
    from redline.redteam.html import render_html

    summary = summarize(attempts, limits, gate_on=_gate_on(gate_on))
    if html is not None:
        html.write_text(render_html(summary, attempts), encoding="utf-8")
        stderr_console().print(Text(f"wrote {html}", style="dim"))
    if as_json:
        print_json(summary.to_dict())
    else:
        stdout_console().print(_table(summary))
    undecided = [f.family for f in summary.families if f.undecided]
    if undecided:
        raise DataError(f"no attempt of {', '.join(undecided)} was answered: the gate cannot pass")
    return summary


def _gate(summary: RunSummary) -> None:
    if not summary.passed:
        over = ", ".join(f.family for f in summary.families if f.exceeded)
        stderr_console().print(Text(f"over the limit: {over}", style="bold red"))
        raise typer.Exit(EXIT_EXCEEDED)


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _record(summary: RunSummary, attempts: list[Attempt], record_as: str, store: str | None,
            actor: str | None) -> None:  # fmt: skip
    from redline.redteam.registry import record_run

    model, version = _model_version(record_as)
    with opened_store(store) as opened:
        record_run(opened, model=model, version=version, summary=summary,
                   run_ids=sorted({a.run_id for a in attempts}),
                   target=attempts[0].target, actor=actor_name(actor))  # fmt: skip
    stderr_console().print(Text(f"recorded the run against {model}:{version}", style="dim"))


def _check_registered(record_as: str, store: str | None) -> None:
    from redline.redteam.registry import require_version

    model, version = _model_version(record_as)
    with opened_store(store, read_only=True) as opened:
        require_version(opened, model=model, version=version)


def _attempts(
    probes: list[Probe], spec: TargetSpec, settings: RunSettings, out: Path | None,
    store: str | None,
) -> list[Attempt]:  # fmt: skip
    from redline.redteam import JsonlSink, run_probes
    from redline.redteam.config import build_target

    with ExitStack() as stack:
        # A registry target is loaded from the store (read only; the run is recorded apart).
        opened = None
        if spec.kind.startswith("registry:"):
            opened = stack.enter_context(opened_store(store, read_only=True))
        sink = stack.enter_context(JsonlSink(out)) if out is not None else None
        target = build_target(spec, store=opened)
        return run_probes(probes, target, settings=settings, sink=sink)


@app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", help="openai, http, python:module:function or registry:MODEL:VERSION.")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="API base URL (openai) or endpoint (http).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name (openai).")] = None,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="Environment variable with the API key.")] = "OPENAI_API_KEY",
    answer_field: Annotated[str, typer.Option("--answer-field", help="JSON field of the answer (http).")] = "text",
    system_prompt: Annotated[Path | None, typer.Option("--system-prompt", help="System prompt file (default: redline's bank assistant).")] = None,
    families: Annotated[list[str] | None, typer.Option("--families", help="Only these families (repeat or comma-separate).")] = None,
    probes: Annotated[list[Path] | None, typer.Option("--probes", help="More probes, JSONL or YAML (repeatable).")] = None,
    builtin: Annotated[bool, typer.Option("--builtin/--no-builtin", help="Include redline's own corpus.")] = True,
    limit: LimitOption = None,
    playbook: PlaybookOption = None,
    gate_on: GateOnOption = "rate",
    out: Annotated[Path | None, typer.Option("--out", help="Append every attempt to this JSONL as it ends.")] = None,
    html: HtmlOption = None,
    as_json: JsonOption = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    max_queries: Annotated[int | None, typer.Option("--max-queries", min=1, help="Query budget (calls, retries included).")] = None,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Retries on 429, 5xx and timeouts.")] = 2,
    timeout_s: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per request.")] = 30.0,
    trust_artifacts: Annotated[bool, typer.Option("--trust-artifacts", help="Allow python:module:function (imports and runs it).")] = False,
    record_as: Annotated[str | None, typer.Option("--record-as", help="MODEL:VERSION to store the run against.")] = None,
    store: StoreOption = None,
    actor: ActorOption = None,
) -> None:  # fmt: skip
    """Run probes against a target; exit 1 when a family's success rate exceeds its limit."""
    from redline.redteam import RunSettings
    from redline.redteam.config import TargetSpec, choose_probes, merge_limits, playbook_redteam

    _gate_on(gate_on)  # bad words fail before any query is sent
    if record_as is not None:
        _check_registered(record_as, store)
    book_limits, book_probes = playbook_redteam(playbook) if playbook else ({}, [])
    limits = merge_limits(book_limits, limit or [])
    chosen = choose_probes([*book_probes, *(probes or [])], _split(families), builtin=builtin)
    spec = TargetSpec(
        target, base_url, model, api_key_env, answer_field, timeout_s, trust_artifacts
    )
    prompt = system_prompt.read_text(encoding="utf-8") if system_prompt else None
    settings = RunSettings(concurrency, max_queries, retries, system_prompt=prompt)
    attempts = _attempts(chosen, spec, settings, out, store)
    summary = _finish(attempts, limits, gate_on, html, as_json)
    if record_as is not None:
        _record(summary, attempts, record_as, store, actor)
    _gate(summary)


@app.command("report")
def report_command(
    results: Annotated[Path, typer.Argument(help="Results JSONL written by 'redteam run --out'.")],
    limit: LimitOption = None,
    playbook: PlaybookOption = None,
    gate_on: GateOnOption = "rate",
    html: HtmlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Summarise a results file again; exit 1 when a family's success rate exceeds its limit."""
    from redline.redteam import read_attempts
    from redline.redteam.config import merge_limits, playbook_redteam

    book_limits = playbook_redteam(playbook)[0] if playbook else {}
    attempts = read_attempts(results)
    _gate(_finish(attempts, merge_limits(book_limits, limit or []), gate_on, html, as_json))
