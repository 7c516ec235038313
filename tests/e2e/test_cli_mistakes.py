"""End-to-end: easy mistakes (store URLs, read-only commands, action parameters) give one line.

One mistake goes through the installed console script in a child process; the rest run the same
Typer app in-process."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from rltest.cli import invoke_redline, run_redline

READ_ONLY = [
    ("incidents", "list"),
    ("incidents", "show", "RL-2026-0001"),
    ("models", "list"),
    ("audit", "verify"),
    ("routes", "show", "credit"),
    ("actions", "list"),
    ("snapshot", "list"),
    ("db", "current"),
]


def _one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message.startswith("Error: "), message
    assert "\n" not in message
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in message
    return message


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("redline.db", ("store URL 'redline.db' has no scheme", "sqlite:///redline.db")),
        ("mysql://u:s3cret@db/x", ("'mysql' is not supported", "SQLite or PostgreSQL")),
        ("postgres://u@db/x", ("write postgresql://, not postgres://",)),
    ],
)
def test_a_bad_store_url_is_one_line(url: str, fragments: tuple[str, ...]) -> None:
    message = _one_line_error(invoke_redline("incidents", "list", "--store", url), *fragments)
    assert "s3cret" not in message


def test_a_sqlite_file_in_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'redline.db'}"
    result = run_redline("db", "upgrade", "--store", url)
    _one_line_error(result, f"the directory '{tmp_path / 'nowhere'}' of the SQLite file")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_read_only_commands_never_create_a_store(command: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "redline.db"
    result = invoke_redline(*command, "--store", f"sqlite:///{path}")
    _one_line_error(result, f"the file '{path}' does not exist", "redline db upgrade")
    assert list(tmp_path.iterdir()) == []


def test_read_only_commands_never_migrate_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    listed = invoke_redline("incidents", "list", "--store", url)
    _one_line_error(listed, "holds no redline store", "redline db upgrade")
    current = invoke_redline("db", "current", "--store", url)
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == f"{url}: not migrated (run `redline db upgrade`)"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1.7", "threshold must be between 0 and 1 (a minimum confidence), got 1.7"),
        ("-0.1", "threshold must be between 0 and 1 (a minimum confidence), got -0.1"),
        ("high", "threshold must be a number, got 'high'"),
        ("nan", "threshold must be a finite number, got nan"),
    ],
)
def test_a_bad_confidence_threshold_is_one_line_and_records_nothing(
    value: str, fragment: str, tmp_path: Path
) -> None:
    path = tmp_path / "redline.db"
    result = invoke_redline(
        "actions", "apply", "credit", "threshold_change", "-p", f"threshold={value}",
        "--actor", "alice", "--store", f"sqlite:///{path}",
    )  # fmt: skip
    _one_line_error(result, f"threshold_change: {fragment}")
    assert not path.exists()


def test_a_threshold_change_without_a_threshold_is_one_line(tmp_path: Path) -> None:
    result = invoke_redline(
        "actions",
        "apply",
        "credit",
        "threshold_change",
        "--store",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    _one_line_error(result, "threshold_change needs the parameter 'threshold'")
