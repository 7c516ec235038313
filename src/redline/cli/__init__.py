"""The ``redline`` command line: a Typer app with one module per command group."""

from __future__ import annotations

__all__: list[str] = []
