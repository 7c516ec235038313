"""The arena cap of long-running commands: set on glibc, left to MALLOC_ARENA_MAX when given."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redline.cli.allocator import cap_malloc_arenas

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Eight threads each allocate blocks past pymalloc's limit while holding the others back, so
# each would get an arena of its own; glibc's malloc_info then lists one <heap> per arena.
_COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, sys, threading
    from redline.cli.allocator import cap_malloc_arenas
    if sys.argv[1] == "cap":
        assert cap_malloc_arenas(2)
    barrier = threading.Barrier(8)
    def work():
        kept = [bytearray(4096) for _ in range(64)]
        barrier.wait()
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    out = libc.fopen(sys.argv[2].encode(), b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
    """
)


def _arenas(tmp_path: Path, mode: str) -> int:
    report = tmp_path / f"{mode}.xml"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    subprocess.run(
        [sys.executable, "-c", _COUNT_ARENAS, mode, str(report)], check=True, env=env, timeout=60
    )
    return report.read_text().count("<heap nr=")


@pytest.mark.skipif(not GLIBC, reason="the arena cap is glibc's")
def test_the_cap_keeps_threads_to_two_arenas(tmp_path: Path) -> None:
    assert _arenas(tmp_path, "free") > 2  # without it, threads get arenas of their own
    assert _arenas(tmp_path, "cap") <= 2


def test_malloc_arena_max_in_the_environment_wins() -> None:
    assert cap_malloc_arenas(2, environ={"MALLOC_ARENA_MAX": "4"}) is False


def test_an_arena_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cap_malloc_arenas(0, environ={})
