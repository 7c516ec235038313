"""Flagged rows: bounded, exact under merge, and naming what broke."""

from __future__ import annotations

import numpy as np
import pytest

import redline
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(11)
    return redline.fit_reference(
        {"x": rng.uniform(0, 1, 5_000), "c": rng.choice(["a", "b", "c"], 5_000)},
        window_sizes=[100, 1_000],
    )


def test_rows_that_break_expectations_are_kept_with_their_reasons(reference: Reference) -> None:
    data = {
        "x": np.array([0.5, 7.0, np.inf, np.nan, 0.2]),
        "c": np.array(["a", "zzz", "b", None, "a"], dtype=object),
    }
    window = WindowProfile.of(reference, data)
    flagged = {(row["x"], row["c"]): row["_flags"] for row in window.flagged.rows()}
    assert flagged == {(7.0, "zzz"): ["x", "c"], ("inf", "b"): ["x"]}


def test_strings_in_a_numeric_column_are_flagged(reference: Reference) -> None:
    data = {"x": np.array([0.5, "seven", None], dtype=object), "c": ["a", "b", "c"]}
    rows = WindowProfile.of(reference, data).flagged.rows()
    assert [(r["x"], r["_flags"]) for r in rows] == [("seven", ["x"])]


def test_clean_rows_flag_nothing(reference: Reference) -> None:
    rng = np.random.default_rng(12)
    data = {"x": rng.uniform(0.01, 0.99, 2_000), "c": rng.choice(["a", "b"], 2_000)}
    assert WindowProfile.of(reference, data).flagged.rows() == []


def test_flagged_rows_are_bounded_and_merge_like_one_window(reference: Reference) -> None:
    x = np.full(1_000, 5.0)
    x[::2] = 0.5
    c = np.array(["a"] * 1_000, dtype=object)
    first = WindowProfile.empty(reference).fold(
        reference, {"x": x[:500], "c": c[:500]}, sample_seed=1
    )
    second = WindowProfile.empty(reference).fold(
        reference, {"x": x[500:], "c": c[500:]}, sample_seed=2
    )
    merged = first.merge(second)
    assert len(merged.flagged.rows()) == merged.flagged.capacity
    expected = sorted(first.flagged.items + second.flagged.items, key=lambda item: item[0])
    assert merged.flagged.items == expected[: merged.flagged.capacity]
    restored = WindowProfile.from_dict(merged.to_dict())
    assert restored.flagged.items == merged.flagged.items
