"""``HttpSink``: a Guard's closed windows to the redline service, through a durable local spool."""

from __future__ import annotations

import json
import logging
import os
import platform
import threading
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from redline.errors import DataError
from redline.guard.environment import LOCAL_FINGERPRINT, FingerprintCache, environment_report
from redline.guard.outage import Outage
from redline.guard.rejected import RejectedFile
from redline.guard.sinks import ClosedWindow
from redline.guard.spool import Spool
from redline.guard.wire import JSON_HEADERS, batch_body, window_item

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpSink"]

log = logging.getLogger("redline.guard")

#: Answers that may succeed later: the request timed out, too many requests, the server failed.
_RETRY_STATUSES = frozenset({408, 425, 429})
#: The token is wrong or lacks the role: no window will get through until someone fixes it.
_AUTH_STATUSES = frozenset({401, 403})
#: How a service from before gzip'd bodies answers one: sent again as plain JSON, from then on.
_NO_GZIP_STATUSES = frozenset({400, 415})


class _Outcome(Enum):
    DONE = "done"
    RETRY = "retry"
    HALT = "halt"


class HttpSink:
    """Sends each closed window to ``POST {base_url}/api/v1/models/{model}/windows``.

    ``write`` appends the window to the spool file (fsynced) and returns; a thread of its own
    sends the spool oldest first, up to ``batch_size`` windows of one model per request, and
    drops what the service acknowledged. Unreachable service, 408/425/429 and 5xx: retried with
    backoff from ``retry_min_s`` to ``retry_max_s``. A spool that would pass
    ``max_spool_bytes`` refuses the new window (counted in ``refused``, logged with its id).
    Other 4xx: a batch is retried one window at a time, and a window refused alone goes to
    ``<spool>.rejected`` (counted in ``rejected``). 401/403: sending stops and the windows stay
    in the spool for a sink started with a valid token. ``close()`` sends for at most
    ``close_timeout_s`` (9 s: a Guard flushing its last window first still closes within
    10 s) and returns by then, a request in flight included; what is left stays in the
    spool for the next sink on the same path.

    Batches go gzip'd (``compress=True``, ~2.5x fewer bytes); a service that answers a gzip'd
    batch with 400 or 415 (one from before gzip'd bodies) gets it again as plain JSON, and
    every later batch too (logged once).

    Before a model's first windows it sends the process's environment fingerprint (captured
    once, on a background thread) with its variable names, values redacted, to
    ``PUT .../models/{model}/environment`` as ``instance`` (default host:pid);
    ``send_environment=False`` leaves it out. A service that refuses it
    (other than 401/403, or 404 before the model's first window) is logged and not asked again.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        spool_path: str | os.PathLike[str],
        max_spool_bytes: int = 64 * 1024 * 1024,
        batch_size: int = 20,
        max_batch_bytes: int = 4 * 1024 * 1024,
        timeout_s: float = 10.0,
        retry_min_s: float = 0.2,
        retry_max_s: float = 30.0,
        close_timeout_s: float = 9.0,
        transport: httpx.BaseTransport | None = None,
        send_environment: bool = True,
        instance: str | None = None,
        fingerprint: FingerprintCache = LOCAL_FINGERPRINT,
        compress: bool = True,
    ) -> None:
        if batch_size < 1 or max_batch_bytes < 1:
            raise DataError("batch_size and max_batch_bytes must be at least 1")
        self._outage = Outage(min_s=retry_min_s, max_s=retry_max_s)
        self.batch_size, self.max_batch_bytes = batch_size, max_batch_bytes
        self.timeout_s, self.close_timeout_s = timeout_s, close_timeout_s
        self.compress = compress
        self.sent = self.spooled = self.refused = 0
        self.halted: str | None = None
        path = Path(spool_path)
        self._rejected = RejectedFile(
            path.with_name(path.name + ".rejected"), max_bytes=max_spool_bytes
        )
        self._spool = Spool(path, max_bytes=max_spool_bytes, on_corrupt=self._rejected.add_corrupt)
        import httpx  # when a sink is made, not when the Guard is imported

        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", **JSON_HEADERS},
            timeout=timeout_s,
            transport=transport,
        )
        self.instance = instance or f"{platform.node()}:{os.getpid()}"
        self._fingerprint = fingerprint if send_environment else None
        self._environment_done: set[str] = set()
        if self._fingerprint is not None:
            self._fingerprint.start()  # off the request path: ready before the first send
        self._wake = threading.Event()
        self._closing_at: float | None = None
        self._retry_in_s = 0.0
        self._thread = threading.Thread(target=self._run, name="redline-http-sink", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Windows in the spool not yet acknowledged by the service."""
        return self._spool.pending

    @property
    def rejected(self) -> int:
        """Windows the service refused for good and corrupt spool lines, kept in ``rejected_path``."""
        return self._rejected.count

    @property
    def rejected_path(self) -> Path:
        """The file of refused windows and corrupt spool lines (JSON lines)."""
        return self._rejected.path

    @property
    def spool_bytes(self) -> int:
        """Bytes the spool file takes on disk."""
        return self._spool.size_bytes

    def write(self, closed: ClosedWindow) -> None:
        """Spool ``closed`` durably for sending; a full spool or a disk error refuses it (logged)."""
        window_id = closed.window.window_id
        try:
            kept = self._spool.append({"model": closed.model, "item": window_item(closed)})
        except Exception:
            kept = False
            log.exception("redline could not spool window %s of %s", window_id, closed.model)
        if not kept:
            self.refused += 1
            log.error(
                "redline spool %s is full (%d of %d bytes): window %s of %s refused (%d so far)",
                self._spool.path,
                self._spool.size_bytes,
                self._spool.max_bytes,
                window_id,
                closed.model,
                self.refused,
            )
            return
        self.spooled += 1
        self._wake.set()

    def close(self, timeout_s: float | None = None) -> None:
        """Send what can be sent within ``close_timeout_s`` (or ``timeout_s``, if shorter) and
        return by then; the rest stays in the spool.

        A send still in flight at the deadline is left to finish on the sink's (daemon)
        thread, which then releases the spool: a window the service acknowledges is dropped
        from it, any other stays for the next sink.
        """
        budget_s = (
            self.close_timeout_s if timeout_s is None else min(timeout_s, self.close_timeout_s)
        )
        self._closing_at = time.monotonic() + max(0.0, budget_s)
        self._wake.set()
        self._thread.join(max(0.0, self._closing_at - time.monotonic()))
        if self._thread.is_alive():
            log.warning(
                "redline stopped waiting for the service after %.1f s; %d window(s) stay in %s",
                budget_s,
                self.pending,
                self._spool.path,
            )
        elif self.pending:
            log.warning(
                "redline left %d window(s) in %s for the next sink", self.pending, self._spool.path
            )

    def __enter__(self) -> HttpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the sending thread ------------------------------------------------------------

    def _remaining_s(self) -> float | None:
        return None if self._closing_at is None else self._closing_at - time.monotonic()

    def _run(self) -> None:
        try:
            self._send_until_closed()
        finally:
            self._client.close()
            self._spool.close()

    def _send_until_closed(self) -> None:
        while True:
            remaining = self._remaining_s()
            if remaining is not None and (remaining <= 0 or not self.pending or self.halted):
                return
            if self.halted or not self.pending:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                outcome = self._send_oldest()
            except Exception:  # a bug here must not end sending for good
                log.exception("redline could not send windows")
                outcome = self._retry("an error in the sink")
            if outcome is not _Outcome.RETRY:
                continue
            remaining = self._remaining_s()
            wait_s = self._retry_in_s
            self._wake.wait(wait_s if remaining is None else max(0.0, min(wait_s, remaining)))
            self._wake.clear()

    def _send_oldest(self) -> _Outcome:
        batch = self._spool.peek(max_records=self.batch_size, max_bytes=self.max_batch_bytes)
        if not batch.records:
            return _Outcome.DONE
        model = batch.records[0].get("model")
        same = 0
        while same < len(batch.records) and batch.records[same].get("model") == model:
            same += 1
        records, sizes = batch.records[:same], batch.sizes[:same]
        if not isinstance(model, str) or not model or any("item" not in r for r in records):
            self._rejected.add_refused(records[:1], None)
            self._spool.advance(sizes[:1])
            return _Outcome.DONE
        outcome = self._send_environment(model)
        if outcome is not _Outcome.DONE:
            return outcome
        outcome, response = self._post(model, records)
        if outcome is not _Outcome.DONE or response is None:
            return outcome
        if response.is_success:
            self._spool.advance(sizes)
            self.sent += len(records)
            self._send_environment(model)  # a model the service first met in these windows
            return _Outcome.DONE
        if len(records) > 1:  # one bad window refuses its whole batch: find it alone
            for record, size in zip(records, sizes, strict=True):
                single = self._send_one(model, record, size)
                if single is not _Outcome.DONE:
                    return single
            return _Outcome.DONE
        self._rejected.add_refused(records, response)
        self._spool.advance(sizes)
        return _Outcome.DONE

    def _send_one(self, model: str, record: dict[str, Any], size: int) -> _Outcome:
        outcome, response = self._post(model, [record])
        if outcome is not _Outcome.DONE or response is None:
            return outcome
        if response.is_success:
            self.sent += 1
        else:
            self._rejected.add_refused([record], response)
        self._spool.advance([size])
        return _Outcome.DONE

    def _send_environment(self, model: str) -> _Outcome:
        """PUT the fingerprint once per model; DONE unless the service must be retried or halts."""
        if self._fingerprint is None or model in self._environment_done:
            return _Outcome.DONE
        report = environment_report(self._fingerprint.get())  # as an embedded Guard's
        body = {"instance": self.instance, "fingerprint": report}
        path = f"/api/v1/models/{quote(model, safe='')}/environment"
        content = json.dumps(body, separators=(",", ":")).encode()
        outcome, response = self._request("PUT", path, content, JSON_HEADERS)
        if outcome is not _Outcome.DONE or response is None:
            return outcome
        if response.status_code == 404:  # the model is new to the service: after its windows
            return _Outcome.DONE
        self._environment_done.add(model)
        if not response.is_success:
            log.error(
                "redline could not report the environment of %s (HTTP %d: %s); windows go on",
                model,
                response.status_code,
                response.text[:500],
            )
        return _Outcome.DONE

    def _post(
        self, model: str, records: list[dict[str, Any]]
    ) -> tuple[_Outcome, httpx.Response | None]:
        """POST the records (gzip'd unless the service refused that); DONE with the response
        unless it calls for a retry or a halt."""
        path = f"/api/v1/models/{quote(model, safe='')}/windows"
        items = [r["item"] for r in records]
        compressed = self.compress
        outcome, response = self._request("POST", path, *batch_body(items, compress=compressed))
        if compressed and response is not None and response.status_code in _NO_GZIP_STATUSES:
            self.compress = False
            log.warning(
                "redline service at %s refused a gzip'd batch (HTTP %d: %s); sending plain "
                "JSON from now on",
                self._client.base_url,
                response.status_code,
                response.text[:200],
            )
            return self._request("POST", path, *batch_body(items, compress=False))
        return outcome, response

    def _request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[_Outcome, httpx.Response | None]:
        """Send one request; DONE with the response unless it calls for a retry or a halt."""
        import httpx

        remaining = self._remaining_s()
        timeout = self.timeout_s if remaining is None else max(0.1, min(self.timeout_s, remaining))
        try:
            response = self._client.request(
                method, path, content=body, headers=headers, timeout=timeout
            )
        except httpx.HTTPError as exc:
            return self._retry(repr(exc)), None
        code = response.status_code
        if code in _RETRY_STATUSES or code >= 500:
            return self._retry(f"HTTP {code}"), None
        self._outage.recovered(
            "redline service reachable again (%d pending) after %.1f s", self.pending
        )
        if code in _AUTH_STATUSES:
            self.halted = f"HTTP {code}: {response.text[:500]}"
            log.error(
                "redline stopped sending windows: the service refused the token (%s); %d window(s) "
                "stay in %s for a sink started with a valid responder token",
                self.halted,
                self.pending,
                self._spool.path,
            )
            return _Outcome.HALT, None
        return _Outcome.DONE, response

    def _retry(self, why: str) -> _Outcome:
        self._retry_in_s = self._outage.failed(
            "redline cannot send windows (%s); spooling them, retrying with backoff", why
        )
        return _Outcome.RETRY
