"""``redline serve``: the REST API (and /metrics) with uvicorn; ``--local-demo`` for one machine."""

from __future__ import annotations

import gc
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from redline.cli.allocator import cap_malloc_arenas
from redline.cli.console import stderr_console
from redline.cli.extras import require_extra
from redline.cli.options import StoreOption, store_url

if TYPE_CHECKING:
    from redline.api.server import ApiServer
    from redline.services.response import ResponsePlan
    from redline.services.store_access import Store

__all__ = ["LOCAL_DEMO_HOST", "BackgroundDashboard", "serve_command", "start_dashboard"]

LOCAL_DEMO_HOST = "127.0.0.1"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal that stopped it once it is done; stop like Ctrl-C does,
    # so the one-time demo token is revoked before the process ends.
    raise KeyboardInterrupt


@dataclass
class BackgroundDashboard:
    """The API and dashboard served from a thread, with a one-time admin token."""

    server: ApiServer
    token: str
    token_id: int
    store: Store

    @property
    def url(self) -> str:
        """Where the dashboard is."""
        return self.server.url

    def alive(self) -> bool:
        """Whether the server thread still runs."""
        return self.server.running

    def stop(self) -> None:
        """Stop serving and revoke the token."""
        from redline.services.tokens import revoke_token

        self.server.stop()
        revoke_token(self.store, token_id=self.token_id, actor="system:demo")


def start_dashboard(store: Store, url: str) -> BackgroundDashboard:
    """Serve the API and dashboard for ``store`` on a free 127.0.0.1 port, from a thread."""
    from redline.api.app import create_app
    from redline.api.server import ApiServer
    from redline.services.tokens import Role, create_token
    from redline.settings import StoreSettings, get_settings

    settings = get_settings()
    settings = settings.model_copy(update={"store": StoreSettings(url=url)})
    server = ApiServer(
        create_app(settings, store=store), host=LOCAL_DEMO_HOST, port=0, log_level="warning"
    )
    plaintext, token = create_token(
        store, name="redline demo", role=Role.ADMIN, actor="system:demo"
    )
    return BackgroundDashboard(server.start(), plaintext, token.id, store)


def _plan_of(path: str | None) -> ResponsePlan:
    """The response plan of the playbook at ``path``; its first problem as one line if invalid."""
    from redline.playbook import PlaybookError
    from redline.services.response import load_response_plan

    try:
        return load_response_plan(path)
    except PlaybookError as exc:
        more = len(exc.problems) - 1
        also = f" (and {more} more: 'redline playbook validate {path}')" if more > 0 else ""
        first = str(exc.problems[0]) if exc.problems else str(exc)
        raise typer.BadParameter(
            f"{first}{also}", param_hint="'--playbook' / REDLINE_API__PLAYBOOK"
        ) from None


def serve_command(
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Interface to bind (default: REDLINE_API__HOST, 127.0.0.1).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="TCP port; 0 picks a free one (default: REDLINE_API__PORT, 8765).",
            show_default=False,
        ),
    ] = None,
    local_demo: Annotated[
        bool,
        typer.Option(
            "--local-demo",
            help="Bind 127.0.0.1 only and print a one-time admin token, revoked on exit.",
        ),
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn's log level (debug, info, warning).")
    ] = "info",
    store: StoreOption = None,
    playbook: Annotated[
        Path | None,
        typer.Option(
            "--playbook",
            help="Respond to windows, labels and alerts with this playbook's rules, actions "
            "and channels (default: REDLINE_API__PLAYBOOK, else the built-in policy).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the REST API under /api/v1, /healthz and /metrics until Ctrl-C."""
    require_extra("server", needed_for="redline serve")
    cap_malloc_arenas()  # before uvicorn starts its threads
    from redline.api.app import create_app
    from redline.api.server import ApiServer
    from redline.services import open_store
    from redline.services.tokens import Role, create_token, revoke_token
    from redline.settings import StoreSettings, get_settings

    settings = get_settings()
    chosen_playbook = str(playbook) if playbook is not None else settings.api.playbook
    plan = _plan_of(chosen_playbook)  # a bad playbook stops here, before anything opens
    demo = local_demo or settings.api.local_demo
    chosen_host = host or settings.api.host
    if demo and chosen_host != LOCAL_DEMO_HOST:
        raise typer.BadParameter(
            f"--local-demo binds {LOCAL_DEMO_HOST} only, not {chosen_host!r}; "
            "drop --host, or create tokens with 'redline tokens create' to serve other hosts",
            param_hint="'--host'",
        )
    chosen_port = settings.api.port if port is None else port
    api = settings.api.model_copy(
        update={
            "host": chosen_host,
            "port": chosen_port,
            "local_demo": demo,
            "playbook": chosen_playbook,
        }
    )
    settings = settings.model_copy(
        update={"api": api, "store": StoreSettings(url=store_url(store), echo=settings.store.echo)}
    )
    opened = open_store(settings.store.url)
    try:
        server = ApiServer(
            create_app(settings, store=opened, plan=plan),
            host=chosen_host,
            port=chosen_port,
            log_level=log_level,
        )
        demo_token = None
        if demo:
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            plaintext, demo_token = create_token(
                opened, name=f"local-demo {stamp}", role=Role.ADMIN, actor="system:serve"
            )
            typer.echo(f"admin token (shown once, revoked when this server stops): {plaintext}")
        typer.echo(
            f"redline dashboard on {server.url}/ (log in with an API token); "
            f"REST API on {server.url}/api/v1 (reference: {server.url}/api/v1/docs)"
        )
        stderr_console().print("Press Ctrl-C to stop.")
        previous = signal.signal(signal.SIGTERM, _interrupt)
        # What is loaded by now lives as long as the process: kept out of the collector's
        # full passes, which otherwise rescan it as ingest allocates (~0.3 ms per window).
        gc.freeze()
        try:
            server.run()
        except KeyboardInterrupt:
            pass  # Ctrl-C or SIGTERM: a normal way to stop a server
        finally:
            signal.signal(signal.SIGTERM, previous)
            if demo_token is not None:
                revoke_token(opened, token_id=demo_token.id, actor="system:serve")
    finally:
        opened.dispose()
