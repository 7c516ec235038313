"""``redline demo``: a real model on real flights, broken five ways, and redline's response."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from redline.cli.console import stderr_console, stdout_console
from redline.cli.extras import require_extra
from redline.cli.serve import BackgroundDashboard, start_dashboard

if TYPE_CHECKING:
    from redline.demo import DemoOutcome, ScenarioOutcome, WindowNote

__all__ = ["demo_command"]

_SEVERITY_STYLE = {"SEV1": "bold red", "SEV2": "red", "SEV3": "yellow"}
_STATUS_STYLE = {"verified": "green", "applied": "yellow", "failed": "red", "reverted": "dim"}


def _actions(outcome: ScenarioOutcome) -> str:
    if not outcome.actions:
        return "[dim]none[/]"
    return ", ".join(
        f"{a.type} [{_STATUS_STYLE.get(a.status, '')}]{a.status}[/]" for a in outcome.actions
    )


def summary_table(outcome: DemoOutcome) -> Table:
    """One row per scenario: what was injected, the incident, and how far containment got."""
    table = Table(title="redline demo", title_justify="left")
    for column in ("scenario", "incident", "severity", "detected after", "actions", "status"):
        table.add_column(column)
    for s in outcome.scenarios:
        severity = s.severity or "-"
        after = "-" if s.detected_after_windows is None else f"{s.detected_after_windows} window(s)"
        status = s.status if s.detected else f"[bold red]{s.status}[/]"
        table.add_row(
            s.name,
            s.incident or "-",
            f"[{_SEVERITY_STYLE.get(severity, '')}]{severity}[/]",
            after,
            _actions(s),
            status,
        )
    return table


class _Bars:
    """One progress bar per scenario, advanced as its windows close."""

    def __init__(self, console: Console, names: list[str], total: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {
            name: self.progress.add_task(name, total=total, note="") for name in names
        }

    def window(self, note: WindowNote) -> None:
        phase = "injected" if note.injected else "warm-up"
        text = f"{phase}; incident {note.incident}" if note.incident else phase
        self.progress.update(self.tasks[note.scenario], completed=note.window, note=text)

    def done(self, outcome: ScenarioOutcome) -> None:
        task = self.tasks[outcome.name]
        found = f"{outcome.incident} {outcome.severity} {outcome.status}"
        note = found if outcome.detected else "[bold red]not detected[/]"
        total = self.progress.tasks[task].total
        self.progress.update(task, completed=total, note=note)


def _serve_until_interrupted(console: Console, dashboard: BackgroundDashboard) -> None:
    console.print(f"dashboard: {dashboard.url}  (Ctrl-C to stop)")
    try:
        while dashboard.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        dashboard.stop()


def demo_command(
    headless: Annotated[
        bool, typer.Option("--headless", help="Run to completion and exit; no dashboard.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON object on stdout.")
    ] = False,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="SQLAlchemy URL of an empty store (default: a new SQLite file in a temp folder).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling, training and traffic.")] = 7,
    speed: Annotated[
        float,
        typer.Option(
            help="Simulated seconds per real second (60: one window a second); 0: flat out.",
            min=0.0,
        ),
    ] = 0.0,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", help="Run only this scenario (repeat for more)."),
    ] = None,
) -> None:
    """Train a real model on real flights, break it five ways, and watch redline respond."""
    require_extra("demo", needed_for="redline demo")
    if not headless:
        require_extra("server", needed_for="redline demo's dashboard (or run it --headless)")
    from redline.demo import check_scenarios, prepare, run_demo
    from redline.demo.runner import MAX_INJECTED, WARMUP

    names = check_scenarios(scenario or [])
    started = time.perf_counter()
    quiet = json_output
    console = stderr_console() if quiet else stdout_console()
    with console.status("setting up", spinner="dots") as status:
        world = prepare(store_url=store, seed=seed, step=lambda text: status.update(text))
    setup_s = time.perf_counter() - started
    if not quiet:
        console.print(f"store: {world.url}\nworking folder: {world.workdir}")
    dashboard = None if headless else start_dashboard(world.store, world.url)
    if dashboard is not None:
        console.print(f"dashboard: {dashboard.url}")
        console.print(f"one-time admin token (revoked when the demo stops): {dashboard.token}")
    try:
        bars = _Bars(console, names, WARMUP + MAX_INJECTED)
        if quiet:
            outcome = run_demo(world, names, on_window=lambda n: None, speed=speed, setup_s=setup_s)
        else:
            with bars.progress:
                outcome = run_demo(
                    world,
                    names,
                    on_window=bars.window,
                    on_scenario=bars.done,
                    speed=speed,
                    setup_s=setup_s,
                )
        if json_output:
            sys.stdout.write(json.dumps(outcome.to_dict()) + "\n")
            sys.stdout.flush()
        else:
            console.print(summary_table(outcome))
            console.print(f"{outcome.seconds:.1f} s (setup {setup_s:.1f} s)")
        if dashboard is not None:
            _serve_until_interrupted(stderr_console() if quiet else console, dashboard)
    finally:
        world.store.dispose()
    raise typer.Exit(0 if outcome.all_detected else 1)
