"""The spool on a disk that fills up mid-line: the failed append leaves nothing behind, so the
next record, once there is room, is read back whole (not glued to a torn line and skipped)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_env import fill

from redline.guard.spool import Spool


def test_an_append_that_fills_the_disk_leaves_no_torn_line(small_disk: Path) -> None:
    corrupt: list[int] = []
    spool = Spool(
        small_disk / "windows.spool",
        max_bytes=1 << 20,
        on_corrupt=lambda line, raw: corrupt.append(line),
    )
    try:
        assert spool.append({"n": 0, "pad": "a" * 1_000})
        ballast = fill(small_disk, leave_bytes=2_000)
        with pytest.raises(
            OSError, match="No space left"
        ):  # 100 kB cannot fit: part of it was written
            spool.append({"n": 1, "pad": "b" * 100_000})
        assert spool.pending == 1
        ballast.unlink()
        assert spool.append({"n": 2})
        batch = spool.peek(max_records=10, max_bytes=1 << 20)
        assert [record["n"] for record in batch.records] == [0, 2]
        assert corrupt == []
        assert spool.size_bytes == (small_disk / "windows.spool").stat().st_size
    finally:
        spool.close()
