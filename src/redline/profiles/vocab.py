"""Category vocabularies: the most frequent labels, an "other" bucket, and the unseen mass."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.domain import ColumnKind
from redline.profiles.encoding import arrow_strings, encode_categorical

__all__ = ["fit_vocabulary"]


def fit_vocabulary(
    values: Any, kind: ColumnKind, max_categories: int
) -> tuple[tuple[str, ...], NDArray[np.float64], int, float, float]:
    """Vocabulary, counts (last = other), rows with a value, null share, unseen share.

    The unseen share is the Good-Turing estimate (labels seen once over rows, at least
    1/(n+1)); it is added to "other" so that a category new to production is not, by itself,
    an impossible event under the reference.
    """
    labels: list[str] = ["false", "true"]
    singletons = 0
    if kind != ColumnKind.BOOLEAN:
        order = sorted(_label_counts(values), key=lambda kv: (-kv[1], kv[0]))
        labels = [label for label, _ in order[:max_categories]]
        singletons = sum(1 for _, count in order if count == 1)
    coded = encode_categorical(tuple(labels), values)
    n = int(coded.codes.size)
    total = n + coded.n_null
    tally = np.bincount(coded.codes, minlength=len(labels) + 1).astype(np.float64)
    unseen = max(singletons, 1) / (n + 1.0)
    tally[-1] += unseen * n
    null_share = coded.n_null / total if total else 0.0
    return tuple(labels), tally, n, null_share, unseen


def _label_counts(values: Any) -> list[tuple[str, int]]:
    """Every non-null label with its number of rows."""
    import pandas as pd

    strings = None if isinstance(values, pd.Categorical) else arrow_strings(values)
    if strings is not None:  # then pyarrow is installed
        import pyarrow.compute as pc

        tally = pc.value_counts(strings.drop_null())
        labels, counts = tally.field("values").to_pylist(), tally.field("counts").to_pylist()
        return [(str(k), int(c)) for k, c in zip(labels, counts, strict=True)]
    raw = values if isinstance(values, pd.Categorical) else np.asarray(values, dtype=object)
    seen = pd.Series(encode_categorical((), raw).unseen).value_counts(sort=False)
    return [(str(k), int(c)) for k, c in seen.items()]
