"""A fitted reference and a stream of windows shared by the monitor tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import numpy as np
import pytest
from numpy.typing import NDArray

import redline
from redline.profiles.reference import Reference
from redline.profiles.tabular import to_columns
from redline.profiles.window import WindowProfile

T0 = datetime(2024, 5, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stream:
    """No-drift rows of a small model (two numeric features, a categorical, a text, a prediction
    and its confidence) and five-minute windows of them on the reference's bins."""

    reference: Reference
    labels: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
    label_shares: ClassVar[tuple[float, ...]] = (0.35, 0.25, 0.17, 0.12, 0.07, 0.04)
    classes: ClassVar[tuple[str, ...]] = ("approve", "review", "reject")
    class_shares: ClassVar[tuple[float, ...]] = (0.7, 0.2, 0.1)
    n_window: ClassVar[int] = 2_000

    words: ClassVar[tuple[str, ...]] = tuple(
        f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti") for b in "abcdefgh"
    )

    @classmethod
    def notes(cls, rng: np.random.Generator, n: int, *, topic: int = 0) -> NDArray[np.object_]:
        """``n`` texts of 6-15 words; Zipf word frequencies, their ranks rotated by ``topic``."""
        weights = 1.0 / np.roll(np.arange(1.0, len(cls.words) + 1.0), topic)
        drawn = rng.choice(np.array(cls.words), size=(n, 15), p=weights / weights.sum())
        lengths = rng.integers(6, 16, size=n)
        return np.array(
            [" ".join(row[:k]) for row, k in zip(drawn.tolist(), lengths.tolist(), strict=True)],
            dtype=object,
        )

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> dict[str, Any]:
        """``n`` rows of the no-drift distribution."""
        return {
            "x": rng.normal(10.0, 2.0, size=n),
            "z": rng.lognormal(1.0, 0.5, size=n),
            "c": rng.choice(np.array(cls.labels, dtype=object), size=n, p=cls.label_shares),
            "note": cls.notes(rng, n),
            "pred": rng.choice(np.array(cls.classes, dtype=object), size=n, p=cls.class_shares),
            "conf": rng.beta(8.0, 2.0, size=n),
        }

    def rows(self, seed: int = 1, n: int | None = None) -> dict[str, Any]:
        """A seeded window's worth of no-drift rows."""
        return self.draw(np.random.default_rng(seed), n or self.n_window)

    def window(
        self,
        rows: dict[str, Any],
        *,
        index: int = 0,
        latency_ms: Any = None,
        sources: Any = None,
    ) -> WindowProfile:
        """The ``index``-th window of the stream, holding ``rows``."""
        start = T0 + timedelta(minutes=5 * index)
        window = WindowProfile.empty(self.reference, start=start, end=start + timedelta(minutes=5))
        return window.fold(
            self.reference,
            to_columns(rows),
            latency_ms=latency_ms,
            sources=sources,
            sample_seed=index,
        )


@pytest.fixture(scope="session")
def stream() -> Stream:
    """The stream, its reference fitted on 20k no-drift rows."""
    reference = redline.fit_reference(
        Stream.draw(np.random.default_rng(20_240_501), 20_000),
        prediction="pred",
        confidence="conf",
        window_sizes=[300, 1_000, 3_000, 10_000],
    )
    return Stream(reference)
