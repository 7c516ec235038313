"""Attempts: one probe against one target, with its verdict and evidence; JSONL in and out."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Self

from redline.errors import DataError

__all__ = ["Attempt", "AttemptStatus", "JsonlSink", "read_attempts"]

#: ok: answered and judged; error: the target failed (after retries); skipped: no budget left.
AttemptStatus = Literal["ok", "error", "skipped"]
_STATUSES = ("ok", "error", "skipped")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One probe's run: success is None unless the status is ok; the transcript is what was said."""

    run_id: str
    target: str
    probe_id: str
    family: str
    detector: str
    expected: str
    status: AttemptStatus
    success: bool | None
    evidence: str
    answer: str = ""
    transcript: list[dict[str, str]] = field(default_factory=list)
    calls: int = 0
    latency_ms: float = 0.0
    at: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Self:
        """Read an attempt back from its JSON object; missing or bad fields are `DataError`."""
        try:
            attempt = cls(**row)
        except TypeError as exc:
            raise DataError(f"not an attempt record: {exc}") from exc
        if attempt.status not in _STATUSES:
            raise DataError(f"unknown attempt status {attempt.status!r}")
        if (attempt.status == "ok") != isinstance(attempt.success, bool):
            raise DataError("'success' must be true or false exactly when the status is ok")
        return attempt


class JsonlSink:
    """Appends each attempt as one JSON line, flushed at once, so a crash loses nothing written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, attempt: Attempt) -> None:
        """Write one attempt (thread-safe)."""
        line = json.dumps(attempt.to_dict(), ensure_ascii=False) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_attempts(path: str | Path) -> list[Attempt]:
    """Attempts from a results JSONL file; a torn last line (a crash mid-write) is skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such results file") from exc
    attempts = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break
            raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: expected a JSON object")
        try:
            attempts.append(Attempt.from_dict(row))
        except DataError as exc:
            raise DataError(f"{path}:{number}: {exc}") from exc
    if not attempts:
        raise DataError(f"{path}: no attempts in the file")
    return attempts
