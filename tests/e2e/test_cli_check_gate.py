"""End-to-end: ``redline check`` as a CI gate for data, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rltest.cli import invoke_redline

N_REF, N_CUR = 5_000, 2_000
SEGMENTS, SHARES = ["retail", "business", "private", "public"], [0.5, 0.3, 0.15, 0.05]


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": rng.normal(5_000.0, 300.0, n).round(2),
            "age": rng.integers(18, 80, n),
            "segment": rng.choice(SEGMENTS, n, p=SHARES),
            "score": rng.normal(0.0, 1.0, n),
        }
    )


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved reference fitted on 5,000 clean rows."""
    root = tmp_path_factory.mktemp("gate")
    _frame(np.random.default_rng(11), N_REF).to_csv(root / "reference.csv", index=False)
    fitted = invoke_redline("reference", "fit", root / "reference.csv", "-o", root / "ref.json")
    assert fitted.returncode == 0, fitted.stderr
    return root / "ref.json"


@pytest.fixture
def clean() -> pd.DataFrame:
    """2,000 current rows from the reference's distribution."""
    return _frame(np.random.default_rng(12), N_CUR)


def _check(
    ref: Path, frame: pd.DataFrame, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "current.csv"
    frame.to_csv(path, index=False)
    return invoke_redline("check", "-r", ref, "-c", path, *args)


def _summary(result: subprocess.CompletedProcess[str]) -> str:
    """The gate's summary line(s), joined again where the 120-column console wrapped them."""
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "integrity " in line and ":" in line)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("Integrity findings"))
    return " ".join(line.strip() for line in lines[start:end])


def test_clean_data_exits_0_without_findings(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    result = _check(ref, clean, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "integrity" not in result.stdout.lower()


def test_broken_data_exits_3_naming_every_failure(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    broken = clean.drop(columns=["age"])
    broken.loc[broken.sample(frac=0.3, random_state=0).index, "score"] = np.nan
    broken["amount"] = [f"{v:,.2f}" for v in broken["amount"]]
    result = _check(ref, broken, tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert _summary(result) == (
        "3 integrity failures: missing column 'age', 100% unparseable in 'amount', "
        "30% nulls in 'score' (reference 0%)."
    )
    assert result.stdout.count("│ FAIL │") == 3


def test_a_renamed_column_fails_and_the_new_name_warns(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    result = _check(ref, clean.rename(columns={"age": "Age"}), tmp_path)
    assert result.returncode == 3
    assert _summary(result) == (
        "1 integrity failure: missing column 'age'. "
        "1 integrity warning: extra column 'Age' (not in the reference)."
    )
    assert "│ warn │ extra column 'Age'" in result.stdout


def test_an_extra_column_warns_and_fails_only_with_strict(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    extra = clean.assign(comment="x")
    relaxed = _check(ref, extra, tmp_path)
    strict = _check(ref, extra, tmp_path, "--strict")
    assert relaxed.returncode == 0, relaxed.stdout
    assert "1 integrity warning: extra column 'comment'" in relaxed.stdout
    assert strict.returncode == 3, strict.stdout
    assert "1 integrity failure: extra column 'comment'" in strict.stdout


def test_zero_rows_fail(ref: Path, clean: pd.DataFrame, tmp_path: Path) -> None:
    result = _check(ref, clean.iloc[:0], tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "1 integrity failure: 0 rows." in result.stdout


def test_the_wrong_data_set_names_its_missing_columns_once(ref: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    other = pd.DataFrame({f"x{i}": rng.normal(size=N_CUR) for i in range(22)})
    result = _check(ref, other, tmp_path, "--format", "json", "--output", str(tmp_path / "r.json"))
    assert result.returncode == 3
    assert result.stdout == ""
    assert "4 integrity failures: 4 missing columns ('amount', 'age', 'segment', 'score')." in (
        result.stderr
    )
    assert "22 extra columns ('x0', 'x1', 'x2', 'x3', 'x4' and 17 more)" in result.stderr
    gate = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["gate"]
    assert gate["failed"] is True
    assert gate["strict"] is False
    assert sum(f["fails"] for f in gate["findings"]) == 4


def test_integrity_wins_over_drift_and_exit_zero_wins_over_both(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    broken = clean.assign(score=clean["score"] + 3.0)
    broken.loc[:600, "age"] = 500
    result = _check(ref, broken, tmp_path)
    assert result.returncode == 3
    assert "Drift in 2 of 4 columns" in result.stdout
    assert "out of range in 'age' (reference 18 to 79)" in _summary(result)
    assert _check(ref, broken, tmp_path, "--exit-zero").returncode == 0


def test_remapped_categories_show_in_the_table_and_the_html(
    ref: Path, clean: pd.DataFrame, tmp_path: Path
) -> None:
    swap = {"retail": "business", "business": "retail", "private": "public", "public": "private"}
    remapped = clean.assign(segment=clean["segment"].map(swap))
    table = _check(ref, remapped, tmp_path)
    page_path = tmp_path / "report.html"
    html = _check(ref, remapped, tmp_path, "-f", "html", "-o", str(page_path))
    assert table.returncode == html.returncode == 3
    assert "remapped categories in 'segment'" in _summary(table)
    assert "│ retail: 50.7% -> 29.9%, business: 28.8% -> 49.4%," in table.stdout
    page = page_path.read_text(encoding="utf-8")
    assert "remapped categories in &#x27;segment&#x27;" in page
    assert "retail: 50.7% -&gt; 29.9%, business: 28.8% -&gt; 49.4%" in page
    assert "remapped categories in 'segment'" in html.stderr
