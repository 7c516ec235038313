"""Attribution names the injected feature in a drift and the injected source in an attack."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from synthetic import ATTACKER, reference, window

from redline.forensics.attribution import (
    baseline_of,
    column_counts,
    feature_shares,
    noise_floor,
)
from redline.forensics.isolation import remove_excess, segments_isolation, sources_isolation


@pytest.fixture(scope="module")
def ref():  # type: ignore[no-untyped-def]
    return reference()


def test_js_distance_and_shares_match_scipy(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    w = window(ref, rng, 0, shifts={"x3": 1.0})
    base = baseline_of(ref, [])
    shares = feature_shares(base, column_counts(w))
    for item in shares:
        p, q = base.counts[item.feature], w.columns[item.feature].counts.astype(float)
        assert item.js_distance == pytest.approx(jensenshannon(p, q, base=2), abs=1e-9)
        assert item.excess == pytest.approx(max(item.js_distance - item.noise_floor, 0.0))
    assert sum(s.share for s in shares) == pytest.approx(1.0)


def test_noise_floor_bounds_no_drift_windows(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2)
    base = baseline_of(ref, [])
    flagged = [
        item.excess > 0
        for i in range(100)
        for item in feature_shares(base, column_counts(window(ref, rng, i)))
    ]
    assert np.mean(flagged) < 0.05
    assert noise_floor(11, 1_000, math.inf) == pytest.approx(
        1.5 * math.sqrt(10 / (8 * math.log(2)) / 1_000)
    )


@pytest.mark.parametrize(("feature", "seed"), [("x3", 3), ("x1", 4), ("region", 5)])
def test_names_the_injected_feature(ref, feature: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    if feature == "region":
        w = window(ref, rng, 0, attack=0)
        w.columns["region"].counts[:] = 0
        w.columns["region"].counts[1] = 1_000  # every row from one region
    else:
        w = window(ref, rng, 0, shifts={feature: 0.8})
    top = feature_shares(baseline_of(ref, []), column_counts(w))[0]
    assert top.feature == feature
    assert top.share > 0.8


def test_names_the_injected_source_in_an_attack(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(6)
    earlier = [window(ref, rng, i) for i in range(4)]
    attacked = window(ref, rng, 4, attack=300)
    base = baseline_of(ref, [])
    ranked = sources_isolation(base, attacked, column_counts(attacked), earlier)
    assert ranked[0].name == ATTACKER
    assert ranked[0].shrinkage > 0.8
    assert ranked[0].usual_share == 0.0
    assert all(r.shrinkage < 0.2 for r in ranked[1:])
    segments = segments_isolation(base, ref, column_counts(attacked))
    assert segments[0].name == "region=west"


def test_a_covariate_drift_is_not_pinned_on_any_source(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(8)
    earlier = [window(ref, rng, i) for i in range(4)]
    drifted = window(ref, rng, 4, shifts={"x1": 1.0, "x2": 1.0})
    ranked = sources_isolation(baseline_of(ref, []), drifted, column_counts(drifted), earlier)
    assert max(r.shrinkage for r in ranked) < 0.3


def test_remove_excess_takes_rows_from_the_bins_that_grew() -> None:
    reference_counts = np.array([25.0, 25.0, 25.0, 25.0])
    current = np.array([25.0, 25.0, 25.0, 75.0])
    out = remove_excess(reference_counts, current, 50.0)
    np.testing.assert_allclose(out, [25.0, 25.0, 25.0, 25.0])
    assert remove_excess(reference_counts, current, 0.0) is current
    assert remove_excess(reference_counts, current, 1e9).sum() == pytest.approx(0.0)
