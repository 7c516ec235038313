"""Use cases: each owns its transaction (one commit per use case)."""

from __future__ import annotations

from redline.services.embedded import Guard
from redline.services.ingest import StoreSink, list_window_profiles, record_window

__all__ = ["Guard", "StoreSink", "list_window_profiles", "record_window"]
