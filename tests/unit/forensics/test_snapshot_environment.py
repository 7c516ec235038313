"""Environment and version capture: distributions, diffs, git state, DVC files, absent git."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
from pathlib import Path

import pytest

from redline.forensics.environment import capture_environment, diff_environments
from redline.forensics.versions import capture_code, capture_data


def test_the_environment_lists_installed_distributions_with_their_versions() -> None:
    env = capture_environment({"SECRET_TOKEN": "abcdefgh", "TZ": "UTC"})
    assert env["distributions"]["numpy"] == importlib.metadata.version("numpy")
    assert env["python"]["version"].count(".") == 2
    assert env["variables"] == {"SECRET_TOKEN": "[redacted]", "TZ": "UTC"}
    assert env["gpu"]["status"] in {"recorded", "unavailable"}


def test_diffs_name_added_removed_and_changed_entries() -> None:
    before = {"distributions": {"a": "1", "b": "2"}, "python": {"version": "3.11.7"}}
    after = {"distributions": {"b": "3", "c": "1"}, "python": {"version": "3.11.7"}}
    assert [(c.kind, c.name, c.before, c.after) for c in diff_environments(before, after)] == [
        ("removed", "distribution:a", "1", None),
        ("changed", "distribution:b", "2", "3"),
        ("added", "distribution:c", None, "1"),
    ]
    assert diff_environments(before, before) == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_code_capture_records_commit_dirty_flag_and_diff_hash(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print(1)\n")
    _git(tmp_path, "add", "train.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    clean = capture_code(tmp_path)
    assert (clean["status"], clean["dirty"], clean["diff_bytes"]) == ("recorded", False, 0)
    (tmp_path / "train.py").write_text("print(2)\n")
    dirty = capture_code(tmp_path)
    assert dirty["dirty"] is True
    assert dirty["commit"] == clean["commit"]
    assert dirty["diff_sha256"] != clean["diff_sha256"]


def test_without_git_the_reason_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert capture_code(tmp_path)["status"] == "unavailable"
    monkeypatch.setenv("PATH", str(tmp_path))
    assert capture_code(tmp_path) == {
        "status": "unavailable",
        "reason": "git is not installed",
        "path": str(tmp_path),
    }


def test_data_versions_come_from_dvc_files_or_a_declared_string(tmp_path: Path) -> None:
    (tmp_path / "train.csv.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 42\n  path: train.csv\n"
    )
    data = capture_data(tmp_path, declared="2026-11-01")
    assert data["declared"] == "2026-11-01"
    assert data["dvc"] == [
        {
            "file": "train.csv.dvc",
            "outs": [
                {"md5": "0123456789abcdef0123456789abcdef", "size": "42", "path": "train.csv"}
            ],
        }
    ]
    assert capture_data()["status"] == "unavailable"
