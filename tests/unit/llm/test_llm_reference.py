"""fit_llm_reference: the metric columns of known-good calls, usage read like the upstream's."""

from __future__ import annotations

import numpy as np
import pytest

from redline.domain import ColumnKind
from redline.errors import DataError
from redline.llm import fit_llm_reference
from redline.llm.columns import metrics_of
from redline.llm.reference import record_of
from rltest.llm import FakeScanners


class Usage:
    """An SDK-style usage object (attributes, not keys)."""

    def __init__(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


def test_usage_objects_and_model_names_are_read() -> None:
    record = record_of({"prompt": "p", "answer": "a", "usage": Usage(7, 3), "model": "m"})
    assert (record["prompt_tokens"], record["completion_tokens"], record["llm_model"]) == (
        7,
        3,
        "m",
    )
    row = metrics_of(record, prices={"m": (1.0, 2.0)})
    assert row["cost_usd"] == pytest.approx((7 * 1.0 + 3 * 2.0) / 1000)


def test_without_usage_tokens_are_estimated_and_absent_answers_leave_gaps() -> None:
    row = metrics_of({"prompt": "x" * 40, "answer": None})
    assert row["prompt_tokens"] == 10.0
    assert np.isnan(row["completion_tokens"])
    assert np.isnan(row["output_entropy"])
    assert row["finish_reason"] is None


def test_the_reference_profiles_the_filled_columns_with_their_kinds() -> None:
    rng = np.random.default_rng(4)
    calls = [
        {
            "prompt": "hello",
            "answer": str(rng.choice(["Sure thing.", "I'm sorry, I can't help with that."])),
            "usage": {"prompt_tokens": int(rng.integers(5, 50)), "completion_tokens": 9},
            "finish_reason": str(rng.choice(["stop", "length"], p=[0.9, 0.1])),
            "scores": {"output_pii_score": float(rng.random() < 0.05)},
        }
        for _ in range(300)
    ]
    reference = fit_llm_reference(calls, window_sizes=[50], language=False)
    assert reference.columns["finish_reason"].kind is ColumnKind.CATEGORICAL
    assert reference.columns["refusal"].kind is ColumnKind.NUMERIC
    assert "output_pii_score" in reference.columns
    assert "ttft_ms" not in reference.columns  # never filled: nothing was streamed
    assert "cost_usd" not in reference.columns  # no prices
    with pytest.raises(DataError, match="at least 2"):
        fit_llm_reference(calls[:1])


def test_scanners_score_reference_calls_as_the_guard_would() -> None:
    calls = [
        {"prompt": "hi", "answer": "mail me at a@b.io" if i % 10 == 0 else "hello"}
        for i in range(200)
    ]
    record = record_of(calls[0], FakeScanners())
    assert record["scores"] == {
        "prompt_pii_score": 0.0,
        "prompt_injection_score": 0.0,
        "output_pii_score": 1.0,
        "output_injection_score": 0.0,
    }
    reference = fit_llm_reference(calls, scanners=FakeScanners(), window_sizes=[50])
    assert {"prompt_injection_score", "output_pii_score"} <= set(reference.columns)
