"""Performance drops: exact one-sided tests against scipy, false alarms on nulls, and power."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from scipy.stats import binom, fisher_exact

from redline.profiles.degradation import performance_drops, pooled_metrics
from redline.profiles.performance import classification_metrics, regression_metrics
from redline.profiles.proportions import critical_count, drop_p_value, wilson_interval

COUNTS = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=150, deadline=None)
@given(COUNTS, COUNTS)
def test_the_p_value_is_fishers_exact_test_one_sided(
    now: tuple[int, int], base: tuple[int, int]
) -> None:
    (k, n), (kb, nb) = now, base
    _, expected = fisher_exact([[k, n - k], [kb, nb - kb]], alternative="less")
    assert drop_p_value(k, n, kb, nb) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 150), COUNTS, st.sampled_from([0.05, 1e-3, 1e-5]))
def test_the_critical_count_is_the_last_significant_count(
    n: int, base: tuple[int, int], alpha: float
) -> None:
    p_values = [drop_p_value(k, n, *base) for k in range(n + 1)]
    significant = [k for k, p in enumerate(p_values) if p <= alpha]
    assert critical_count(n, *base, alpha) == max(significant, default=-1)
    assert significant == list(range(len(significant)))  # monotone: a prefix of the counts


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (73, 1_000), (199, 200)])
def test_wilson_bounds_solve_the_score_equation(k: int, n: int) -> None:
    z = float(ndtri(0.975))
    p_hat = k / n
    for bound in wilson_interval(k, n):
        # Each bound p satisfies n (p_hat - p)^2 = z^2 p (1 - p).
        assert n * (p_hat - bound) ** 2 == pytest.approx(z * z * bound * (1 - bound), abs=1e-9)


def _exact_false_alarm_rate(rate: float, n: int, n_base: int, alpha: float) -> float:
    """P(the rule fires) when window and baseline are independent draws at the same rate."""
    k_base = np.arange(n_base + 1)
    weight = binom.pmf(k_base, n_base, rate)
    keep = weight > 1e-15
    fire = [binom.cdf(critical_count(n, int(kb), n_base, alpha), n, rate) for kb in k_base[keep]]
    return float(np.dot(weight[keep], fire))


@pytest.mark.parametrize(
    ("rate", "n", "n_base"),
    [
        (0.073, 100, 2_000),
        (0.5, 50, 1_000),
        (0.82, 200, 10_000),
        (0.98, 20, 1_000),
        (0.995, 50, 10_000),
        (0.995, 200, 10_000),
    ],
)
def test_no_change_fires_at_most_alpha_whatever_the_rate(rate: float, n: int, n_base: int) -> None:
    alpha = 1e-3 / 3  # a binary model: accuracy and two recalls share 1e-3
    assert _exact_false_alarm_rate(rate, n, n_base, alpha) <= alpha


def _minority_model(seed: int, n: int = 20_000) -> tuple[np.ndarray[Any, Any], ...]:
    """10% minority class caught 7.3% of the time; 1% of the majority flagged."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    caught = rng.random(n) < np.where(y == 1, 0.073, 0.01)
    return y, caught.astype(int)


def test_a_weak_minority_recall_gives_no_false_alarms_on_samples_of_the_reference() -> None:
    y, pred = _minority_model(7)
    base = classification_metrics(y, pred)
    base_recall = base["per_class"]["1"]["recall"]
    assert base_recall == pytest.approx(0.073, abs=0.01)
    rng = np.random.default_rng(8)
    fired = relative_floor = 0
    for _ in range(2_000):
        rows = rng.choice(y.size, 1_000, replace=False)
        now = classification_metrics(y[rows], pred[rows])
        no_floor = performance_drops(base, now, min_recall_drop=0.0, min_accuracy_drop=0.0)
        fired += bool(no_floor)
        relative_floor += now["per_class"]["1"]["recall"] < 0.8 * base_recall
    assert fired <= 2  # at most 1 in 1,000 with no effect floor at all
    assert relative_floor >= 300  # the bare 20% relative floor fired in about one window in five


def _window(n: int, accuracy: float, positives: float = 0.3) -> dict[str, Any]:
    """A binary window of ``n`` rows with errors spread evenly over both classes."""
    y = np.zeros(n, dtype=int)
    y[: round(n * positives)] = 1
    pred = y.copy()
    wrong = np.linspace(0, n - 1, round(n * (1 - accuracy))).round().astype(int)
    pred[wrong] = 1 - pred[wrong]
    return classification_metrics(y, pred)


def test_an_accuracy_collapse_at_200_labels_is_flagged() -> None:
    base = _window(5_000, 0.82)
    drops = performance_drops(base, _window(200, 0.5))
    assert {(d.statistic, d.column) for d in drops} >= {("accuracy", None)}
    accuracy = next(d for d in drops if d.statistic == "accuracy")
    assert (accuracy.baseline, accuracy.current, accuracy.n) == (0.82, 0.5, 200)
    assert accuracy.p_value < 1e-3 / 3
    assert accuracy.interval[0] < 0.5 < accuracy.interval[1]
    assert performance_drops(base, _window(200, 0.80)) == []


def test_a_drop_fires_exactly_below_the_threshold_it_reports() -> None:
    base = _window(2_000, 0.9)
    (drop,) = [d for d in performance_drops(base, _window(300, 0.6)) if d.column is None]
    k_star = round(drop.threshold * 300 - 1)  # the threshold is (critical count + 1) / n
    assert critical_count(300, 1_800, 2_000, 1e-3 / 3) == k_star
    for k, fires in ((k_star, True), (k_star + 1, False)):
        got = performance_drops(base, _window(300, k / 300), min_accuracy_drop=0.0)
        assert any(d.column is None for d in got) is fires


def test_a_significant_drop_below_the_floor_does_not_fire() -> None:
    base, now = _window(200_000, 0.95), _window(100_000, 0.93)
    assert performance_drops(base, now) == []
    (drop,) = [d for d in performance_drops(base, now, min_accuracy_drop=0.0) if d.column is None]
    assert drop.threshold > 0.93
    assert performance_drops(base, now, min_accuracy_drop=0.0, alpha=1e-300) == []


def test_a_small_baseline_widens_what_counts_as_chance() -> None:
    now = _window(200, 0.65)  # p = 1e-6 against 5,000 baseline rows, 0.045 against 40
    assert [d.statistic for d in performance_drops(_window(5_000, 0.8), now)][:1] == ["accuracy"]
    assert not [d for d in performance_drops(_window(40, 0.8), now) if d.column is None]


def _errors(rng: np.random.Generator, n: int, scale: float = 1.0) -> dict[str, Any]:
    truth = rng.normal(50, 10, n)
    return regression_metrics(truth, truth + scale * rng.standard_t(3, n))


def test_a_mean_absolute_error_rise_is_judged_by_a_welch_bound_and_a_floor() -> None:
    rng = np.random.default_rng(21)
    truth = rng.normal(50, 10, 5_000)
    base_errors = rng.standard_t(3, truth.size)
    base = regression_metrics(truth, truth + base_errors)
    now_errors = 2 * rng.standard_t(3, 200)
    (rise,) = performance_drops(base, regression_metrics(truth[:200], truth[:200] + now_errors))
    a, b = np.abs(now_errors), np.abs(base_errors)
    welch = b.mean() + float(ndtri(1 - 1e-3)) * np.sqrt(a.var() / a.size + b.var() / b.size)
    assert (rise.statistic, rise.column, rise.n, rise.n_baseline) == ("mae", None, 200, 5_000)
    assert rise.current == pytest.approx(a.mean())
    assert rise.threshold == pytest.approx(max(welch, 1.2 * b.mean()))
    assert rise.p_value < 1e-3
    assert performance_drops(base, _errors(rng, 200, scale=1.1)) == []  # under the 20% floor


def test_regression_windows_without_change_rarely_fire() -> None:
    rng = np.random.default_rng(22)
    base = _errors(rng, 5_000)
    fired = sum(
        bool(performance_drops(base, _errors(rng, 50), min_mae_increase=0.0)) for _ in range(3_000)
    )
    assert fired <= 3  # alpha = 1e-3 with no floor, heavy-tailed (t3) errors


def test_mixed_tasks_and_bad_settings() -> None:
    base = _window(100, 0.9)
    assert performance_drops(base, regression_metrics([1.0], [9.0])) == []
    with pytest.raises(ValueError, match="alpha"):
        performance_drops(base, base, alpha=0.0)
    with pytest.raises(ValueError, match="min_recall_drop"):
        performance_drops(base, base, min_recall_drop=1.0)
    with pytest.raises(ValueError, match="min_mae_increase"):
        performance_drops(base, base, min_mae_increase=-0.1)
    with pytest.raises(ValueError, match="0 <= successes"):
        drop_p_value(5, 4, 1, 2)


# Confirmation: a drop is an alarm when overwhelming at once, or standing again in the evidence
# of this window pooled with the one before; otherwise a warning.


def _binary(rng: np.random.Generator, n: int, accuracy: float) -> tuple[Any, Any]:
    y = (rng.random(n) < 0.3).astype(int)
    pred = np.where(rng.random(n) < accuracy, y, 1 - y)
    return y, pred


def test_pooled_metrics_are_the_metrics_of_both_windows_together() -> None:
    rng = np.random.default_rng(31)
    (ya, pa), (yb, pb) = _binary(rng, 120, 0.8), _binary(rng, 300, 0.6)
    pooled = pooled_metrics(classification_metrics(ya, pa), classification_metrics(yb, pb))
    both = classification_metrics(np.concatenate([ya, yb]), np.concatenate([pa, pb]))
    assert (pooled["task"], pooled["n"]) == ("classification", 420)
    assert pooled["accuracy"] == pytest.approx(both["accuracy"])
    for name, stats in both["per_class"].items():
        assert pooled["per_class"][name]["support"] == stats["support"]
        assert pooled["per_class"][name]["recall"] == pytest.approx(stats["recall"])
    ta, tb = rng.normal(size=80), rng.normal(size=200)
    ea, eb = ta + rng.standard_t(3, 80), tb + 2 * rng.standard_t(3, 200)
    joined = pooled_metrics(regression_metrics(ta, ea), regression_metrics(tb, eb))
    oracle = regression_metrics(np.concatenate([ta, tb]), np.concatenate([ea, eb]))
    assert joined["n"] == 280
    assert joined["mae"] == pytest.approx(oracle["mae"])
    assert joined["rmse"] == pytest.approx(oracle["rmse"])


def _exact_alarm_rate(rate: float, n: int, n_base: int, alpha: float, at_once: float) -> float:
    """P(an alarm) on one metric when two windows and the baseline share the same rate.

    An alarm: the window alone is significant at ``alpha`` and either significant at
    ``at_once`` or, pooled with the window before, significant at ``alpha`` again.
    """
    k_base = np.arange(n_base + 1)
    weight = binom.pmf(k_base, n_base, rate)
    keep = weight > 1e-15
    total = 0.0
    for kb, w in zip(k_base[keep], weight[keep], strict=True):
        alone = critical_count(n, int(kb), n_base, alpha)
        once = critical_count(n, int(kb), n_base, at_once)
        pooled = critical_count(2 * n, int(kb), n_base, alpha)
        k_now = np.arange(alone + 1)
        before = np.where(k_now <= once, 1.0, binom.cdf(pooled - k_now, n, rate))
        total += w * float(np.dot(binom.pmf(k_now, n, rate), before))
    return total


@pytest.mark.parametrize(
    ("rate", "n", "n_base"),
    [(0.073, 100, 2_000), (0.5, 50, 1_000), (0.82, 200, 10_000), (0.4, 250, 7_000)],
)
def test_a_confirmed_drop_on_no_change_is_a_fraction_of_alpha(
    rate: float, n: int, n_base: int
) -> None:
    alpha = 1e-3 / 3
    alarm = _exact_alarm_rate(rate, n, n_base, alpha, 1e-6 / 3)
    assert alarm <= 0.15 * alpha  # a warning's budget is alpha; an alarm's is under a seventh


def test_a_moderate_drop_is_a_warning_until_the_window_before_shows_it_too() -> None:
    base = _window(5_000, 0.82)
    (alone,) = [d for d in performance_drops(base, _window(250, 0.72)) if d.column is None]
    assert 1e-6 < alone.p_value < 1e-3
    assert not alone.confirmed
    clean_before = performance_drops(base, _window(250, 0.72), previous=_window(250, 0.82))
    assert not any(d.confirmed for d in clean_before)
    (pooled,) = [
        d
        for d in performance_drops(base, _window(250, 0.72), previous=_window(250, 0.73))
        if d.column is None
    ]
    assert pooled.confirmed
    hits = round(0.72 * 250) + round(_window(250, 0.73)["accuracy"] * 250)
    assert (pooled.pooled_n, pooled.pooled_current) == (500, pytest.approx(hits / 500))
    assert pooled.pooled_p_value == pytest.approx(drop_p_value(hits, 500, 4_100, 5_000))
    # A bad window before does not make a good window an alarm: the window itself must drop.
    assert performance_drops(base, _window(250, 0.81), previous=_window(250, 0.5)) == []


def test_an_overwhelming_drop_is_an_alarm_at_once() -> None:
    base = _window(5_000, 0.82)
    (drop,) = [d for d in performance_drops(base, _window(200, 0.5)) if d.column is None]
    assert drop.confirmed
    assert drop.p_value < 1e-6 / 3


def test_a_regression_rise_is_confirmed_over_two_windows() -> None:
    rng = np.random.default_rng(23)
    base = _errors(rng, 5_000)
    truth = rng.normal(50, 10, 400)
    now_errors = 1.5 * rng.standard_t(3, 400)
    first = regression_metrics(truth[:200], truth[:200] + now_errors[:200])
    second = regression_metrics(truth[200:], truth[200:] + now_errors[200:])
    (alone,) = performance_drops(base, second)
    (pooled,) = performance_drops(base, second, previous=first)
    assert alone.p_value > 1e-6
    assert not alone.confirmed
    assert pooled.confirmed
    assert pooled.pooled_n == 400
