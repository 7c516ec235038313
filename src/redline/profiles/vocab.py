"""Category vocabularies: the most frequent labels, an "other" bucket, and the unseen mass."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.domain import ColumnKind
from redline.profiles.encoding import encode_categorical

__all__ = ["fit_vocabulary"]


def fit_vocabulary(
    values: Any, kind: ColumnKind, max_categories: int
) -> tuple[tuple[str, ...], NDArray[np.float64], int, float, float]:
    """Vocabulary, counts (last = other), rows with a value, null share, unseen share.

    The unseen share is the Good-Turing estimate (labels seen once over rows, at least
    1/(n+1)); it is added to "other" so that a category new to production is not, by itself,
    an impossible event under the reference.
    """
    import pandas as pd

    if kind == ColumnKind.BOOLEAN:
        labels: list[str] = ["false", "true"]
    else:
        raw = values if isinstance(values, pd.Categorical) else np.asarray(values, dtype=object)
        coded = encode_categorical((), raw)
        series = pd.Series(coded.unseen)
        counts = series.value_counts(sort=False)
        order = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
        labels = [str(k) for k, _ in order[:max_categories]]
    coded = encode_categorical(tuple(labels), values)
    n = int(coded.codes.size)
    total = n + coded.n_null
    tally = np.bincount(coded.codes, minlength=len(labels) + 1).astype(np.float64)
    if kind == ColumnKind.BOOLEAN:
        singletons = 0
    else:
        singletons = int(np.count_nonzero(tally[:-1] == 1))
    unseen = max(singletons, 1) / (n + 1.0)
    tally[-1] += unseen * n
    null_share = coded.n_null / total if total else 0.0
    return tuple(labels), tally, n, null_share, unseen
