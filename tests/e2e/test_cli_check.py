"""End-to-end: ``redline check`` and ``redline reference``. The installed console script runs in a
child process for the version, an exit code and a one-line error (the entry point itself); the
other tests run the same Typer app in-process, which skips an interpreter start per call."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import redline
from redline.profiles.specs import Role
from rltest.cli import invoke_redline, run_redline

REQUIRED_KEYS = {"name", "kind", "role", "statistic", "value", "threshold", "drifted"}
REQUIRED_KEYS |= {"calibrated_threshold", "floor", "n_rows", "statistics", "top_moves", "note"}


def _frame(rng: np.random.Generator, n: int, shift_sd: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shifted": rng.normal(shift_sd, 1.0, n),
            "stable": rng.normal(10.0, 2.0, n),
            "segment": rng.choice(["north", "south", "east"], n),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 5,000-row reference CSV, its saved reference, and 2,000-row current files."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(7)
    paths = {
        "ref_csv": root / "reference.csv",
        "drifted": root / "current.parquet",
        "same": root / "same.csv",
        "ref_json": root / "reference.json",
    }
    _frame(rng, 5_000, 0.0).to_csv(paths["ref_csv"], index=False)
    _frame(rng, 2_000, 1.0).to_parquet(paths["drifted"])
    _frame(rng, 2_000, 0.0).to_csv(paths["same"], index=False)
    fitted = invoke_redline("reference", "fit", paths["ref_csv"], "--output", paths["ref_json"])
    assert fitted.returncode == 0, fitted.stderr
    return paths


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message.startswith("Error: ")
    assert "\n" not in message
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in message


def test_version_prints_the_package_version() -> None:
    result = run_redline("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"redline {redline.__version__}"


def test_table_names_the_drifted_column_and_exits_1(files: dict[str, Path]) -> None:
    result = run_redline("check", "--reference", files["ref_csv"], "--current", files["drifted"])
    assert result.returncode == 1, result.stderr
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("│")}
    assert "DRIFT" in rows["shifted"]
    assert "DRIFT" not in rows["stable"]
    assert "Drift in 1 of 3 columns over 2,000 current rows: shifted." in result.stdout


def test_json_is_exactly_the_report_dict(files: dict[str, Path]) -> None:
    result = invoke_redline("check", "-r", files["ref_json"], "-c", files["drifted"], "-f", "json")
    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    assert body["drifted_columns"] == ["shifted"]
    assert [c["name"] for c in body["columns"]] == ["shifted", "stable", "segment"]
    for column in body["columns"]:
        assert column.keys() >= REQUIRED_KEYS
        assert ("histogram" in column) == column["drifted"]
    assert body == redline.check(files["ref_json"], files["drifted"]).to_dict()


def test_json_to_output_file_keeps_stdout_empty(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke_redline(
        "check", "-r", files["ref_json"], "-c", files["drifted"], "-f", "json", "-o", out
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["drifted_columns"] == ["shifted"]
    assert str(out) in result.stderr


def test_html_is_one_self_contained_file(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke_redline(
        "check", "-r", files["ref_json"], "-c", files["drifted"], "--format", "html", "-o", out
    )
    assert result.returncode == 1, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1
    assert "shifted" in page
    assert "http" not in page
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()


def test_no_drift_exits_0(files: dict[str, Path]) -> None:
    result = invoke_redline("check", "-r", files["ref_json"], "-c", files["same"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No drift in 3 columns" in result.stdout


def test_exit_zero_reports_drift_but_exits_0(files: dict[str, Path]) -> None:
    result = invoke_redline("check", "-r", files["ref_json"], "-c", files["drifted"], "--exit-zero")
    assert result.returncode == 0
    assert "Drift in 1 of 3 columns" in result.stdout


def test_missing_current_file_is_a_one_line_error(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = run_redline("check", "-r", files["ref_json"], "-c", missing)
    _assert_one_line_error(result, str(missing), "no such file")


def test_missing_reference_file_is_a_one_line_error(files: dict[str, Path], tmp_path: Path) -> None:
    result = invoke_redline("check", "-r", tmp_path / "gone.json", "-c", files["same"])
    _assert_one_line_error(result, "gone.json", "no such reference file")


def test_non_utf8_csv_is_a_one_line_error(files: dict[str, Path], tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("shifted,stable,segment\n0.1,9.5,café\n".encode("latin-1"))
    result = invoke_redline("check", "-r", files["ref_json"], "-c", latin1)
    _assert_one_line_error(result, str(latin1), "UTF-8")


def test_corrupted_reference_is_a_one_line_error(files: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(files["ref_json"].read_bytes())
    at = data.index(b'"n_rows":') + len(b'"n_rows":')
    data[at] = ord("7") if data[at] != ord("7") else ord("8")
    corrupted = tmp_path / "corrupted.json"
    corrupted.write_bytes(bytes(data))
    result = invoke_redline("check", "-r", corrupted, "-c", files["same"])
    _assert_one_line_error(result, str(corrupted), "corrupted")


def test_bad_option_value_is_a_one_line_error(files: dict[str, Path]) -> None:
    result = invoke_redline("check", "-r", files["ref_json"], "-c", files["same"], "-f", "pdf")
    _assert_one_line_error(result, "--format", "redline check --help")


def test_missing_option_is_a_one_line_error(files: dict[str, Path]) -> None:
    _assert_one_line_error(invoke_redline("check", "-r", files["ref_json"]), "--current")


def test_unwritable_output_is_a_one_line_error(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "report.html"
    result = invoke_redline(
        "check", "-r", files["ref_json"], "-c", files["same"], "-f", "html", "-o", out
    )
    _assert_one_line_error(result, str(out))


def test_reference_fit_with_roles_then_show(files: dict[str, Path], tmp_path: Path) -> None:
    saved = tmp_path / "roles.json"
    fitted = invoke_redline(
        "reference", "fit", files["ref_csv"], "-o", saved, "--target", "segment"
    )
    assert fitted.returncode == 0, fitted.stderr
    assert redline.load_reference(saved).column_named(Role.TARGET) == "segment"
    shown = invoke_redline("reference", "show", saved)
    assert shown.returncode == 0, shown.stderr
    assert "5,000 rows" in shown.stdout
    rows = {line.split()[1]: line for line in shown.stdout.splitlines() if line.startswith("│")}
    assert "target" in rows["segment"]
    assert "feature" in rows["shifted"]


def test_reference_fit_refuses_a_non_json_output(files: dict[str, Path], tmp_path: Path) -> None:
    result = invoke_redline("reference", "fit", files["ref_csv"], "-o", tmp_path / "ref.csv")
    _assert_one_line_error(result, ".json")
    assert not (tmp_path / "ref.csv").exists()


@pytest.mark.parametrize(
    "args",
    [("--version",), ("check", "-r", "gone.json", "-c", "gone.csv"), ("no-such-command",)],
    ids=["version", "one-line-error", "usage-error"],
)
def test_in_process_runs_match_the_console_script(args: tuple[str, ...]) -> None:
    # The other CLI tests run in-process; this keeps that runner honest about what a user sees.
    script, in_process = run_redline(*args), invoke_redline(*args)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        script.returncode,
        script.stdout,
        script.stderr,
    )
