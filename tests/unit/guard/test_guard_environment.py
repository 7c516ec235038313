"""The Guard's environment fingerprint: captured once per process, hashed canonically, git."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from redline.guard.environment import (
    FingerprintCache,
    capture_fingerprint,
    fingerprint_sha256,
    git_commit,
)


def test_the_fingerprint_names_python_distributions_os_cpu_gpu_and_git() -> None:
    found = capture_fingerprint()
    assert {"python", "distributions", "os", "cpu", "host", "gpu", "git"} <= set(found)
    assert "pytest" in found["distributions"]
    assert "variables" not in found  # a Guard reports no environment variables
    assert fingerprint_sha256(found) == fingerprint_sha256(dict(reversed(found.items())))
    changed = {**found, "distributions": {**found["distributions"], "pytest": "0"}}
    assert fingerprint_sha256(changed) != fingerprint_sha256(found)


def test_the_cache_captures_once_however_many_threads_ask() -> None:
    calls: list[int] = []
    release = threading.Event()

    def capture() -> dict[str, Any]:
        release.wait(10)
        calls.append(1)
        return {"python": {"version": "3.11"}}

    cache = FingerprintCache(capture)
    cache.start()
    assert cache.known() is None  # still capturing: never blocks
    release.set()
    results = []
    readers = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(10)
    assert calls == [1]
    assert all(r is results[0] for r in results)
    assert cache.known() is results[0]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_names_the_commit_checked_out_or_why_not(tmp_path: Path) -> None:
    assert git_commit(tmp_path)["status"] == "unavailable"
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    assert git_commit(tmp_path)["commit"] == head.stdout.strip()
