"""``redline worker``: respond to windows, run canaries, advance incidents, watch SLAs, page."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from redline.cli.allocator import cap_malloc_arenas
from redline.cli.console import EXIT_ERROR, stderr_console
from redline.cli.options import JsonOption, StoreOption, opened_store, print_json

if TYPE_CHECKING:
    from redline.worker import Worker

__all__ = ["worker_command"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def worker_command(
    store: StoreOption = None,
    playbook: Annotated[
        Path | None,
        typer.Option(
            "--playbook",
            help="Respond with this playbook's severity rules, actions and channels "
            "(default: redline's built-in policy, no channels).",
            show_default=False,
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between ticks.")
    ] = 1.0,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1000, help="Windows claimed per transaction.")
    ] = 50,
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Respond to every stored window, do the other jobs once, and exit."
        ),
    ] = False,
    trust_artifacts: Annotated[
        bool,
        typer.Option(
            "--trust-artifacts",
            help="Load pickle/joblib model artifacts for the playbook's canaries; loading them "
            "runs code inside them, so pass it only for artifacts you built.",
        ),
    ] = False,
    json_output: JsonOption = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Respond to stored windows and run the playbook's canaries; run beside `redline serve`."""
    if json_output and not once:
        raise typer.BadParameter("--json prints the summary of one tick: add --once")
    _configure_logging(log_level)
    if not once:
        cap_malloc_arenas()  # before the worker starts its threads
    # Imported here so that `redline --help` does not load SQLAlchemy and the monitors.
    from redline.playbook import load_playbook
    from redline.services.canary_routes import canaries_from_playbook
    from redline.services.canary_runs import ServiceCanaries
    from redline.services.response import ResponsePlan
    from redline.worker import Worker

    loaded = load_playbook(playbook) if playbook else None
    plan = ResponsePlan.from_playbook(loaded) if loaded else ResponsePlan()
    models = canaries_from_playbook(loaded) if loaded else []
    with opened_store(store) as opened:
        canaries = (
            ServiceCanaries(opened, models=models, plan=plan, trust=trust_artifacts)
            if models
            else None
        )
        worker = Worker(opened, plan=plan, canaries=canaries, interval_s=interval, batch=batch)
        if once:
            _run_once(worker, json_output=json_output)
        else:
            _run_until_stopped(worker)


def _configure_logging(log_level: str) -> None:
    level = logging.getLevelName(log_level.upper())
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="'--log-level'")
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)  # libraries: problems only
    logging.getLogger("redline").setLevel(level)


def _run_once(worker: Worker, *, json_output: bool) -> None:
    summary = worker.tick(max_batches=None)
    if json_output:
        print_json(summary.to_dict())
    else:
        escalated = len(summary.escalated) + len(summary.escalated_uncontained)
        typer.echo(
            f"responded to {summary.windows} windows, ran {len(summary.canaries_run)} canaries "
            f"({len(summary.canaries_failed)} failed), advanced {len(summary.advanced)} "
            f"incidents, escalated {escalated}, "
            f"sent {summary.notifications_sent} notifications"
        )
    if summary.errors:  # each is in the log above; the store is the user's to bring back
        raise typer.Exit(EXIT_ERROR)


def _run_until_stopped(worker: Worker) -> None:
    from redline.worker import stop_on_signals

    stop = threading.Event()
    restore = stop_on_signals(stop)
    stderr_console().print("Worker running; Ctrl-C or SIGTERM stops it after the current tick.")
    try:
        worker.run(stop)
    finally:
        restore()
