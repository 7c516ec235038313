"""The contract every registered monitor obeys: settings, clone, reset, pickle, determinism,
and signals that carry their evidence."""

from __future__ import annotations

import inspect
import json
import math
import pickle
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.registry import REGISTRY, create_monitor
from redline.profiles.window import WindowProfile

if TYPE_CHECKING:
    from conftest import Stream

#: Non-default settings per monitor; a monitor missing here is tested with its defaults.
SETTINGS: dict[str, dict[str, Any]] = {
    "numeric_drift": {
        "floor": 0.15,
        "persistence": 3,
        "min_rows": 200,
        "columns": ["x"],
        "max_pooled": 5,
    },
    "categorical_drift": {"floor": 0.12, "persistence": 1, "min_rows": 250, "columns": ["c"]},
    "text_drift": {"floor": 0.2, "persistence": 1, "min_rows": 150, "columns": ["note"]},
    "prediction_drift": {"floor": 0.08, "persistence": 2, "min_rows": 300, "columns": None},
    "confidence_drop": {"min_drop_sd": 0.3, "alpha": 0.01, "min_rows": 80},
    "latency": {
        "slo_p95_ms": 300.0,
        "slo_p99_ms": None,
        "factor": 1.5,
        "warmup_windows": 2,
        "min_rows": 40,
    },
    "integrity": {
        "max_null_jump": 0.04,
        "max_out_of_range": 0.06,
        "max_unseen_jump": 0.03,
        "max_invalid_share": 0.02,
        "min_rows": 60,
    },
    "source_share": {"min_share": 0.25, "factor": 2.5, "min_rows": 60, "smoothing": 0.3},
}

MONITORS = sorted(REGISTRY)


def _settings(name: str) -> dict[str, Any]:
    return dict(SETTINGS.get(name, {}))


def _defaults(cls: type[Monitor]) -> dict[str, Any]:
    params = list(inspect.signature(cls.__init__).parameters.values())[2:]
    return {p.name: p.default for p in params}


@pytest.fixture(scope="module")
def windows(stream: Stream) -> tuple[WindowProfile, ...]:
    """Four quiet windows, two with every kind of trouble at once, then a quiet one."""
    out = []
    for i in range(7):
        rng = np.random.default_rng(100 + i)
        rows = stream.rows(100 + i)
        latency = rng.lognormal(np.log(50), 0.3, stream.n_window)
        sources = list(rng.choice([f"10.0.{k}.0/24" for k in range(20)], stream.n_window))
        if i in (4, 5):
            rows["x"] = rows["x"] + 2.0
            rows["z"][::5] = np.nan
            labels = np.array([*stream.labels, "brand-new"], dtype=object)
            rows["c"] = rng.choice(labels, stream.n_window)
            rows["pred"] = rng.choice(np.array(stream.classes, dtype=object), stream.n_window)
            rows["conf"] = rows["conf"] - 0.1
            rows["note"] = stream.notes(rng, stream.n_window, topic=20)
            latency = latency * 8
            sources[: stream.n_window // 2] = ["203.0.113.0/24"] * (stream.n_window // 2)
        out.append(stream.window(rows, index=i, latency_ms=latency, sources=sources))
    return tuple(out)


def _canon(signals: tuple[Signal, ...] | list[Signal]) -> str:
    return json.dumps([s.to_dict() for s in signals], sort_keys=True, default=repr)


def _outputs(monitor: Monitor, windows: tuple[WindowProfile, ...]) -> list[str]:
    return [_canon(monitor.update(w).signals) for w in windows]


def _make(name: str, stream: Stream) -> Monitor:
    return REGISTRY[name](stream.reference, **_settings(name))


def test_registry_names_match_the_classes() -> None:
    assert MONITORS, "no monitors registered"
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert issubclass(cls, Monitor)


def test_create_monitor_refuses_unknown_names(stream: Stream) -> None:
    with pytest.raises(ValueError, match=r"known monitors: .*numeric_drift"):
        create_monitor("no_such_monitor", stream.reference)


@pytest.mark.parametrize("name", MONITORS)
def test_params_equal_the_constructor_arguments(name: str, stream: Stream) -> None:
    cls = REGISTRY[name]
    defaults = _defaults(cls)
    assert all(v is not inspect.Parameter.empty for v in defaults.values()), (
        "every setting needs a default"
    )
    assert cls(stream.reference).params() == defaults
    chosen = _settings(name)
    assert set(chosen) <= set(defaults), "SETTINGS names an argument the monitor does not take"
    assert _make(name, stream).params() == defaults | chosen
    assert create_monitor(name, stream.reference, **chosen).params() == defaults | chosen
    assert repr(_make(name, stream)).startswith(f"{cls.__name__}(")


@pytest.mark.parametrize("name", MONITORS)
def test_clone_has_equal_params_and_independent_state(
    name: str, stream: Stream, windows: tuple[WindowProfile, ...]
) -> None:
    original = _make(name, stream)
    head = _outputs(original, windows[:5])
    copy = original.clone()
    assert type(copy) is type(original)
    assert copy.params() == original.params()
    assert copy.reference is original.reference
    assert copy.signals == ()
    # The clone starts fresh ...
    assert _outputs(copy, windows) == _outputs(_make(name, stream), windows)
    # ... and running it changed nothing in the original.
    assert _canon(original.signals) == head[-1]
    uninterrupted = _make(name, stream)
    assert _outputs(uninterrupted, windows) == head + _outputs(original, windows[5:])
    for key, value in vars(copy).items():
        if key not in copy.params() and isinstance(value, dict | list | set):
            assert value is not vars(original)[key], f"{key} is shared with the original"


@pytest.mark.parametrize("name", MONITORS)
def test_reset_forgets_every_window(
    name: str, stream: Stream, windows: tuple[WindowProfile, ...]
) -> None:
    monitor = _make(name, stream)
    first = _outputs(monitor, windows)
    assert monitor.reset() is monitor
    assert monitor.signals == ()
    assert _outputs(monitor, windows) == first == _outputs(_make(name, stream), windows)


@pytest.mark.parametrize("name", MONITORS)
def test_pickle_round_trip_keeps_settings_and_state(
    name: str, stream: Stream, windows: tuple[WindowProfile, ...]
) -> None:
    monitor = _make(name, stream)
    _outputs(monitor, windows[:5])
    restored = pickle.loads(pickle.dumps(monitor))
    assert type(restored) is type(monitor)
    assert restored.params() == monitor.params()
    assert restored.reference.content_hash == monitor.reference.content_hash
    assert _canon(restored.signals) == _canon(monitor.signals)
    assert _outputs(restored, windows[5:]) == _outputs(monitor, windows[5:])


@pytest.mark.parametrize("name", MONITORS)
def test_output_is_deterministic(
    name: str, stream: Stream, windows: tuple[WindowProfile, ...]
) -> None:
    # Windows rebuilt from the same rows get new ids; the verdicts must not change.
    rebuilt = tuple(WindowProfile.from_dict(w.to_dict() | {"window_id": "x"}) for w in windows)
    a = _outputs(_make(name, stream), windows)
    assert a == _outputs(_make(name, stream), windows)
    assert a == _outputs(_make(name, stream), rebuilt)


@pytest.mark.parametrize("name", MONITORS)
def test_signals_carry_statistic_value_threshold_window_and_evidence(
    name: str, stream: Stream, windows: tuple[WindowProfile, ...]
) -> None:
    monitor = _make(name, stream)
    raised = 0
    for window in windows:
        assert monitor.update(window) is monitor
        assert isinstance(monitor.signals, tuple)
        for s in monitor.signals:
            raised += 1
            assert s.monitor == name
            assert s.kind
            assert s.statistic
            assert math.isfinite(s.value)
            assert math.isfinite(s.threshold)
            assert s.value > s.threshold
            assert s.level in set(Level)
            assert (s.window_start, s.window_end) == (window.start, window.end)
            assert s.n_rows > 0
            assert s.evidence, f"{s.kind} signal has no evidence"
            assert s.model is None
            text = json.dumps(s.to_dict(), allow_nan=False)
            back = Signal.from_dict(json.loads(text))
            assert json.dumps(back.to_dict(), allow_nan=False) == text
        if window is windows[0]:
            assert monitor.signals == (), "a quiet first window raised signals"
    assert raised, f"{name} raised nothing on a stream with every kind of trouble"
