"""A bounded JSON-lines file of records waiting to be sent, oldest first, that survives restarts.

The file only grows at its end; a ``<name>.head`` file beside it holds the byte offset (and
line number) of the first record not yet acknowledged. The head is moved after the receiver
acknowledged, and back to 0 before the file is compacted, so a crash at any point can make a
record be sent twice (the service stores windows once by id) but never skips one.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.errors import DataError

__all__ = ["Spool", "SpoolBatch"]

log = logging.getLogger("redline.guard")

_READ_CHUNK = 1 << 20


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass
class SpoolBatch:
    """The oldest records in the spool and the bytes they take (to advance past them)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


class Spool:
    """Records as JSON lines in ``path``, at most ``max_bytes`` on disk; one process at a time.

    ``on_corrupt(line_number, raw)`` hears of each line that is not a JSON object; such a line
    is skipped once, the records after it are kept.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int,
        on_corrupt: Callable[[int, bytes], None] | None = None,
    ) -> None:
        if max_bytes <= 0:
            raise DataError(f"the spool's max_bytes must be positive, got {max_bytes}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._head_path = self.path.with_name(self.path.name + ".head")
        self._on_corrupt = on_corrupt
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._open()
        self._offset, self._line = self._read_head()
        self._size = self._file.seek(0, os.SEEK_END)
        if self._offset > self._size:
            log.warning(
                "spool %s: head %d is past the end; sending from the start", path, self._offset
            )
            self._offset, self._line = 0, 0
        self._end_torn_line()
        self.pending = self._count_lines()

    def _open(self) -> io.BufferedRandom:
        handle = self.path.open("ab+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataError(f"the spool {self.path} is in use by another sink") from None
        return handle

    def _read_head(self) -> tuple[int, int]:
        try:
            data = json.loads(self._head_path.read_text())
            return int(data["offset"]), int(data["line"])
        except FileNotFoundError:
            return 0, 0
        except (ValueError, KeyError, TypeError):
            log.warning("spool %s: unreadable head file; sending from the start", self.path)
            return 0, 0

    def _write_head(self, offset: int, line: int) -> None:
        tmp = self._head_path.with_name(self._head_path.name + ".tmp")
        with tmp.open("w") as out:
            out.write(json.dumps({"offset": offset, "line": line}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._head_path)
        _fsync_directory(self.path.parent)
        self._offset, self._line = offset, line

    def _end_torn_line(self) -> None:
        """A line cut short by a crash gets its newline, so it cannot swallow the next record."""
        if self._size == 0:
            return
        self._file.seek(self._size - 1)
        if self._file.read(1) != b"\n":
            self._file.write(b"\n")
            self._sync()
            self._size += 1

    def _count_lines(self) -> int:
        self._file.seek(self._offset)
        count = 0
        while chunk := self._file.read(_READ_CHUNK):
            count += chunk.count(b"\n")
        return count

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    @property
    def size_bytes(self) -> int:
        """Bytes the spool file takes on disk, sent records not yet compacted away included."""
        return self._size

    def append(self, record: dict[str, Any]) -> bool:
        """Write ``record`` durably at the end; False (nothing written) when the spool is full."""
        line = json.dumps(record, separators=(",", ":"), allow_nan=False).encode() + b"\n"
        with self._lock:
            if self._size + len(line) > self.max_bytes and self._offset > 0:
                self._compact()
            if self._size + len(line) > self.max_bytes:
                return False
            self._write_line(line)
            self._size += len(line)
            self.pending += 1
        return True

    def _write_line(self, line: bytes) -> None:
        """Append ``line`` durably, or leave the file as it was and raise (e.g. a full disk).

        Written past the buffer, so a failed write leaves no bytes behind to be flushed later;
        a partly written line is cut off, or the next record would be glued to it and lost.
        """
        descriptor = self._file.fileno()
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        except OSError:
            os.ftruncate(descriptor, self._size)
            raise
        finally:
            self._file.seek(0, os.SEEK_END)  # the buffered reader learns where the file ends

    def peek(self, *, max_records: int, max_bytes: int) -> SpoolBatch:
        """The oldest records (at least one when any is pending), without removing them."""
        batch = SpoolBatch()
        with self._lock:
            self._file.seek(self._offset)
            taken = 0
            while len(batch.records) < max_records:
                raw = self._file.readline()
                if not raw.endswith(b"\n"):
                    break
                record = _parse(raw)
                if record is None:
                    if batch.records:  # handled when it is the oldest line, exactly once
                        break
                    self._skip_corrupt(raw)
                    self._file.seek(self._offset)
                    continue
                if batch.records and taken + len(raw) > max_bytes:
                    break
                batch.records.append(record)
                batch.sizes.append(len(raw))
                taken += len(raw)
        return batch

    def _skip_corrupt(self, raw: bytes) -> None:
        line_number = self._line + 1
        log.error(
            "spool %s: line %d is not a JSON record and is skipped: %r",
            self.path,
            line_number,
            raw[:200],
        )
        if self._on_corrupt is not None:
            self._on_corrupt(line_number, raw)
        self.pending -= 1
        self._write_head(self._offset + len(raw), self._line + 1)

    def advance(self, sizes: list[int]) -> None:
        """Drop the oldest ``len(sizes)`` records (acknowledged by the receiver)."""
        with self._lock:
            self.pending -= len(sizes)
            offset, line = self._offset + sum(sizes), self._line + len(sizes)
            if offset >= self._size:
                self._write_head(0, 0)  # before truncating: a crash in between resends, never skips
                self._file.truncate(0)
                self._sync()
                self._size = 0
            else:
                self._write_head(offset, line)
                if offset > self.max_bytes // 2:
                    self._compact()

    def _compact(self) -> None:
        """Move the pending records to the start of a new file (called with the lock held)."""
        self._file.seek(self._offset)
        rest = self._file.read()
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("wb") as out:
            out.write(rest)
            out.flush()
            os.fsync(out.fileno())
        self._write_head(0, 0)  # a crash before the swap resends the old file's records, no loss
        os.replace(tmp, self.path)
        _fsync_directory(self.path.parent)
        self._file.close()
        self._file = self._open()
        self._size = len(rest)

    def close(self) -> None:
        """Release the file (and the lock on it)."""
        with self._lock:
            self._file.close()


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except ValueError:  # includes bad UTF-8
        return None
    return record if isinstance(record, dict) else None
