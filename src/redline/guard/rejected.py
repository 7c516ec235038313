"""Where an HttpSink keeps what the service will never take: refused windows, corrupt lines."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["RejectedFile"]

log = logging.getLogger("redline.guard")


class RejectedFile:
    """JSON lines (flushed, fsynced) beside the spool, at most ``max_bytes``; ``count`` of all.

    Each line holds ``rejected_at``, ``status`` (HTTP status or null), ``detail`` and either the
    spooled record (``model``, ``item``: resend it once fixed) or the ``raw`` corrupt line.
    Past ``max_bytes`` a refused record is only logged (with its window id) and counted.
    """

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.count = 0

    def add_refused(self, records: list[dict[str, Any]], response: httpx.Response | None) -> None:
        """Keep spooled records the service refused (or that cannot be sent at all)."""
        status = response.status_code if response is not None else None
        detail = response.text[:2000] if response is not None else "no model or item in the record"
        for record in records:
            item = record.get("item")
            window = item.get("window") if isinstance(item, dict) else None
            window_id = window.get("window_id") if isinstance(window, dict) else None
            log.error(
                "redline service refused window %s of %s (HTTP %s: %s); kept in %s",
                window_id,
                record.get("model"),
                status,
                detail,
                self.path,
            )
            self._add({"status": status, "detail": detail, **record})

    def add_corrupt(self, line_number: int, raw: bytes) -> None:
        """Keep a spool line that is not a JSON record (already logged by the spool)."""
        detail = f"corrupt spool line {line_number}"
        self._add({"status": None, "detail": detail, "raw": raw.decode("utf-8", "replace")})

    def _add(self, record: dict[str, Any]) -> None:
        self.count += 1
        entry = {"rejected_at": datetime.now(UTC).isoformat(), **record}
        line = json.dumps(entry, separators=(",", ":"), default=str).encode() + b"\n"
        try:
            with self.path.open("ab") as out:
                if out.tell() + len(line) > self.max_bytes:
                    log.error("redline %s is full: the refused record above is not kept", self.path)
                    return
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            log.exception("redline could not write %s", self.path)
