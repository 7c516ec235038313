"""``redline gateway``: an OpenAI-compatible proxy serving each chat model through its LLM Guard."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from redline.cli.allocator import cap_malloc_arenas
from redline.cli.console import stderr_console
from redline.cli.extras import require_extra

__all__ = ["gateway_command"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal that stopped it once it is done: stop as Ctrl-C does, so
    # the guards' open windows are flushed before the process ends.
    raise KeyboardInterrupt


def gateway_command(
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            help="The gateway's YAML file: upstreams, models, keys (see docs/gateway.md).",
            show_default=False,
        ),
    ],
    host: Annotated[
        str | None,
        typer.Option("--host", help="Interface to bind (default: the file's, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="TCP port; 0 picks a free one."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="SQLAlchemy URL of the store windows go to (default: the file's)."
        ),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option("--server", help="Send windows to this `redline serve` instead."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="REDLINE_TOKEN",
            help="A responder token for --server (default: $REDLINE_TOKEN).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn's log level (debug, info, warning).")
    ] = "warning",
) -> None:
    """Serve /v1/chat/completions (and completions, embeddings, models) through redline."""
    require_extra("server", needed_for="redline gateway")
    cap_malloc_arenas()  # before uvicorn and the guards start their threads
    from redline.api.server import ApiServer
    from redline.gateway import Gateway, create_gateway_app, load_gateway_config

    loaded = load_gateway_config(config)
    update: dict[str, Any] = {}
    if server is not None:
        update.update(server=server, token=token, store=None)
    elif store is not None:
        update.update(store=store, server=None, token=None)
    if server is not None and token is None:
        raise typer.BadParameter(
            "--server needs --token (or REDLINE_TOKEN)", param_hint="'--token'"
        )
    loaded = loaded.model_copy(update=update)
    with Gateway(loaded) as gateway:
        api = ApiServer(
            create_gateway_app(gateway),
            host=host or loaded.host,
            port=loaded.port if port is None else port,
            log_level=log_level,
        )
        typer.echo(
            f"redline gateway on {api.url}/v1 — point an OpenAI client at it: "
            f"OpenAI(base_url='{api.url}/v1', api_key=...); models: {', '.join(gateway.models())}"
        )
        stderr_console().print("Press Ctrl-C to stop.")
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            api.run()
        except KeyboardInterrupt:
            pass  # Ctrl-C or SIGTERM: a normal way to stop a server
        finally:
            signal.signal(signal.SIGTERM, previous)
            stderr_console().print("Flushing the open windows...")
