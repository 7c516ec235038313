"""The REST API: ``create_app(settings)`` builds the FastAPI app served by ``redline serve``."""

from __future__ import annotations

from redline.api.app import create_app, factory

__all__ = ["create_app", "factory"]
