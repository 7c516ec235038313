"""The token sketch of text columns: hashing, merging, the JS oracle, serialisation, calibration."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

import redline
from redline.profiles.calibration import calibrate_thresholds
from redline.profiles.reference import Reference, load_reference
from redline.profiles.specs import Role
from redline.profiles.stats import js_distance
from redline.profiles.text_calibration import calibrate_text
from redline.profiles.text_drift import TOKEN_STATISTIC, text_statistics, top_token_moves
from redline.profiles.text_sketch import TextState, fit_text_spec
from redline.profiles.tokens import bucket_of, hash_tokens
from redline.profiles.window import WindowProfile

WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro") for b in "abcdefgh"]
TEXTS = st.lists(
    st.one_of(st.text(max_size=30), st.none(), st.sampled_from(["Ünïcode wörds — ok", "a\x00b"])),
    max_size=12,
)


def _topic_texts(rng: np.random.Generator, n: int, *, shift: int = 0) -> list[str]:
    """Texts that each keep to one of six topics (their words are not independent draws)."""
    weights = 1.0 / np.arange(1.0, 13.0)
    ranks = rng.choice(12, size=(n, 14), p=weights / weights.sum())
    topics = rng.integers(6, size=(n, 1))
    picked = np.array(WORDS)[(ranks + 6 * topics + shift) % len(WORDS)].tolist()
    lengths = rng.integers(5, 15, size=n).tolist()
    return [" ".join(words[:k]) for words, k in zip(picked, lengths, strict=True)]


def _unigrams(text: str) -> list[str]:
    return re.findall(r"[0-9a-z\u0080-\U0010ffff]+", text.lower())


def test_unigram_buckets_match_the_scalar_hash_of_each_word() -> None:
    texts = ["The Quick brown fox, 2024!", "naïve café — déjà vu", "x"]
    batch = hash_tokens(texts, bigrams=True)
    assert batch.buckets.tolist()[: batch.hashes.size] == hash_tokens(texts).buckets.tolist()
    words = [w for t in texts for w in _unigrams(t)]
    assert batch.buckets[: len(words)].tolist() == [bucket_of(w) for w in words]
    pairs = [f"{a} {b}" for t in texts for a, b in itertools.pairwise(_unigrams(t))]
    assert batch.buckets[len(words) :].tolist() == [bucket_of(p) for p in pairs]


def test_buckets_are_pinned_and_stable_across_processes() -> None:
    # A changed hash would silently void every stored reference: these values are the format.
    assert [bucket_of(w) for w in ("the", "cat", "the cat")] == [964, 725, 547]
    code = (
        "from redline.profiles.tokens import hash_tokens;"
        "print(hash_tokens(['Reversed drift: sdrow', 'the cat sat'], bigrams=True).buckets.tolist())"
    )
    runs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        runs.add(out.stdout.strip())
    texts = ["Reversed drift: sdrow", "the cat sat"]
    assert runs == {str(hash_tokens(texts, bigrams=True).buckets.tolist())}


@settings(max_examples=60, deadline=None)
@given(TEXTS, TEXTS, TEXTS)
def test_merge_equals_the_fold_of_the_concatenation_and_is_associative(
    a: list[str | None], b: list[str | None], c: list[str | None]
) -> None:
    spec, _ = fit_text_spec("t", ["some reference text here"] * 3, Role.FEATURE, bigrams=True)

    def folded(*parts: list[str | None]) -> TextState:
        state = TextState.empty(spec)
        for part in parts:
            state.fold(spec, np.array(part, dtype=object))
        return state

    whole = folded(a + b + c)
    left = folded(a).merge(folded(b)).merge(folded(c))
    right = folded(a).merge(folded(b).merge(folded(c)))
    for state in (left, right, folded(a, b, c)):
        assert state.counts.tolist() == whole.counts.tolist()
        assert (state.n, state.n_null) == (whole.n, whole.n_null)
    assert whole.n + whole.n_null == len(a + b + c)


def test_the_primary_statistic_is_scipys_jensen_shannon_distance() -> None:
    rng = np.random.default_rng(3)
    spec, _ = fit_text_spec("t", _topic_texts(rng, 500), Role.FEATURE)
    state = TextState.empty(spec).fold(spec, _topic_texts(rng, 200, shift=5))
    got = text_statistics(spec, state)[TOKEN_STATISTIC]
    p = spec.counts / spec.counts.sum()
    q = state.counts / state.counts.sum()
    assert got == pytest.approx(float(jensenshannon(p, q, base=2)), abs=1e-12)
    assert got > 0.1


def test_top_moves_name_buckets_by_reference_words() -> None:
    rng = np.random.default_rng(4)
    spec, _ = fit_text_spec("t", _topic_texts(rng, 500), Role.FEATURE)
    state = TextState.empty(spec).fold(spec, ["kaa kaa kaa kaa"] * 50)
    moves = top_token_moves(spec, state)
    assert moves[0]["bin"] == f"bucket {bucket_of('kaa')}"
    assert "kaa" in moves[0]["reference_words"]
    assert moves[0]["current"] > moves[0]["reference"]
    assert all(len(words) <= 2 for words in spec.examples.values())


def test_reference_and_window_round_trip_with_token_sketches(tmp_path: object) -> None:
    rng = np.random.default_rng(5)
    data = {"note": np.array(_topic_texts(rng, 800), dtype=object), "x": rng.normal(size=800)}
    ref = redline.fit_reference(data, kinds={"note": "text"}, window_sizes=[100, 300])
    assert set(ref.texts) == {"note.tokens"}
    assert ref.texts["note.tokens"].thresholds[TOKEN_STATISTIC][0] > 0
    path = ref.save(f"{tmp_path}/ref.json")
    back = load_reference(path)
    assert back.content_hash == ref.content_hash
    assert back.texts["note.tokens"].to_dict() == ref.texts["note.tokens"].to_dict()
    window = WindowProfile.of(ref, {"note": data["note"][:150], "x": data["x"][:150]})
    again = WindowProfile.from_dict(json.loads(json.dumps(window.to_dict(), allow_nan=False)))
    assert again.texts["note.tokens"].to_dict() == window.texts["note.tokens"].to_dict()
    merged = window.merge(again)
    assert merged.texts["note.tokens"].n == 300


def test_references_without_text_columns_keep_their_body_and_older_files_load() -> None:
    ref = redline.fit_reference({"x": np.arange(500.0)}, window_sizes=[100])
    body = ref.to_dict()
    assert "texts" not in body
    assert Reference.from_dict(body).texts == {}
    window = WindowProfile.of(ref, {"x": np.arange(10.0)})
    assert "texts" not in window.to_dict()


def test_calibration_on_null_windows_keeps_the_false_alarm_rate_near_its_target() -> None:
    rng = np.random.default_rng(11)
    batch = hash_tokens(_topic_texts(rng, 6_000), 256)
    spec, _ = fit_text_spec("t", [], Role.FEATURE, n_buckets=256)
    counts = np.bincount(batch.buckets, minlength=256).astype(np.float64)
    sizes, target = [100, 400], 0.1
    thresholds = calibrate_text(batch, 256, window_sizes=sizes, quantile=1 - target, seed=1)
    # Drawing tokens, not texts, ignores that a text keeps to its topic: far too low a bar.
    per_text = batch.buckets.size / batch.n_texts
    by_token = [
        calibrate_thresholds(
            js_distance,
            counts,
            n_ref=int(counts.sum()),
            window_sizes=[round(w * per_text)],
            quantile=1 - target,
        )[0]
        for w in sizes
    ]
    for w, threshold, naive in zip(sizes, thresholds, by_token, strict=True):
        distances = []
        for _ in range(200):
            state = TextState(np.zeros(256, dtype=np.int64))
            state.fold(spec, _topic_texts(rng, w))
            p, q = counts / counts.sum(), state.counts / state.counts.sum()
            distances.append(float(jensenshannon(p, q, base=2)))
        assert 0.02 <= np.mean(np.array(distances) > threshold) <= 0.2, w
        assert np.mean(np.array(distances) > naive) > 0.3, w
