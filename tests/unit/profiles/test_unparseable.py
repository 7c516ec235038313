"""Numbers that cannot be parsed (thousands separators, units) count as invalid, not as nulls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import redline
from redline.profiles.reference import Reference
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(5)
    return redline.fit_reference(
        {"amount": rng.normal(5_000.0, 300.0, 3_000), "n": rng.integers(0, 9, 3_000)},
        window_sizes=[100, 1_000],
    )


def _amount(window: WindowProfile) -> NumericState:
    state = window.columns["amount"]
    assert isinstance(state, NumericState)
    return state


def test_thousands_separators_in_a_csv_are_invalid_values(
    reference: Reference, tmp_path: Path
) -> None:
    path = tmp_path / "current.csv"
    path.write_text(
        'amount,n\n"1,234.50",1\n"5,001.00",2\n999.5,3\n,4\n12 kg,5\n', encoding="utf-8"
    )
    state = _amount(WindowProfile.of(reference, path))
    assert (state.n, state.n_invalid, state.n_null) == (1, 3, 1)


def test_a_parquet_string_column_counts_the_same(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "current.parquet"
    pd.DataFrame({"amount": ["1,234.50", None, "17"], "n": [1, 2, 3]}).to_parquet(path)
    state = _amount(WindowProfile.of(reference, path))
    assert (state.n, state.n_invalid, state.n_null) == (1, 1, 1)


def test_rows_given_as_dicts_count_the_same(reference: Reference) -> None:
    rows = [{"amount": "1,234", "n": 1}, {"amount": None, "n": 1}, {"amount": 3.5, "n": 1}]
    state = _amount(WindowProfile.of(reference, rows))
    assert (state.n, state.n_invalid, state.n_null) == (1, 1, 1)


def test_check_reports_unparseable_values_as_a_type_violation(reference: Reference) -> None:
    amounts = [f"{v:,.2f}" for v in np.random.default_rng(6).normal(5_000.0, 300.0, 2_000)]
    report = redline.check(reference, {"amount": amounts, "n": np.ones(2_000)})
    assert [(f.kind, f.column) for f in report.failures] == [("type_violation", "amount")]
    assert report.failures[0].signal.value == 1.0
