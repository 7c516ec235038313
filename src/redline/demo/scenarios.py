"""The five scenarios: what each injects into held-out real traffic, and what should follow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = [
    "ATTACK_SOURCE",
    "NORMAL_SOURCES",
    "SCENARIOS",
    "Request",
    "Scenario",
    "Traffic",
    "attack_window",
    "normal_window",
    "probe_row",
    "shift_categories",
]

#: The partner networks normal traffic comes from, a tenth each.
NORMAL_SOURCES = tuple(f"10.{i}.0.0/16" for i in range(1, 11))
#: The range (TEST-NET-3) the attack comes from; requests carry their /24 as their source.
ATTACK_SOURCE = "203.0.113.0/24"

Rng = np.random.Generator
Pool = Sequence[tuple[dict[str, Any], int]]


@dataclass(frozen=True, slots=True)
class Request:
    """One request: the model's inputs, where it came from, and the truth learnt later."""

    row: dict[str, Any]
    source: str
    label: int


@dataclass(frozen=True)
class Traffic:
    """Pools of real flights (inputs, label) to draw windows from; the pipeline's vocabularies."""

    spring: Pool
    summer: Pool
    vocab: dict[str, list[str]] = field(default_factory=dict)


def normal_window(rng: Rng, pool: Pool, n: int) -> list[Request]:
    """``n`` distinct flights drawn from ``pool``, each from one of the partner networks."""
    picks = rng.choice(len(pool), size=n, replace=False)
    sources = rng.choice(len(NORMAL_SOURCES), size=n)
    return [
        Request(dict(pool[i][0]), NORMAL_SOURCES[s], pool[i][1])
        for i, s in zip(picks.tolist(), sources.tolist(), strict=True)
    ]


def shift_categories(
    requests: Sequence[Request], column: str, vocab: Sequence[str]
) -> list[Request]:
    """An off-by-one category index: each value arrives as the next one of ``vocab``."""
    following = {v: vocab[(i + 1) % len(vocab)] for i, v in enumerate(vocab)}
    return [
        replace(r, row={**r.row, column: following.get(r.row[column], r.row[column])})
        for r in requests
    ]


def probe_row(rng: Rng, row: dict[str, Any]) -> dict[str, Any]:
    """A real flight bent far outside anything seen: an attacker mapping the decision boundary."""
    return {
        **row,
        "hour": int(rng.choice([0, 1, 2, 3, 4])),
        "distance": float(rng.uniform(6_000.0, 12_000.0)),
        "temp": float(rng.uniform(-40.0, -20.0)),
        "visib": 0.0,
        "precip": float(rng.uniform(2.0, 5.0)),
    }


def attack_window(rng: Rng, pool: Pool, n_normal: int, n_attack: int) -> list[Request]:
    """Normal traffic with a burst of probes from :data:`ATTACK_SOURCE`, interleaved."""
    normal = normal_window(rng, pool, n_normal)
    bait = normal_window(rng, pool, n_attack)
    probes = [Request(probe_row(rng, r.row), ATTACK_SOURCE, r.label) for r in bait]
    mixed = normal + probes
    return [mixed[i] for i in rng.permutation(len(mixed)).tolist()]


def _summer(rng: Rng, traffic: Traffic, n: int) -> list[Request]:
    return normal_window(rng, traffic.summer, n)


def _carrier_shift(rng: Rng, traffic: Traffic, n: int) -> list[Request]:
    window = normal_window(rng, traffic.spring, n)
    return shift_categories(window, "carrier", traffic.vocab["carrier"])


def _attack(rng: Rng, traffic: Traffic, n: int) -> list[Request]:
    return attack_window(rng, traffic.spring, n, n)


@dataclass(frozen=True)
class Scenario:
    """A named failure: what it does to traffic (or to the model), and the expected response.

    ``cause`` is the likely cause a triage report should name; ``rows`` is the traffic of one
    window (the attack adds as many again).
    """

    name: str
    injects: str
    expected: str
    severity: str
    containment: tuple[str, ...]
    cause: str
    inject_traffic: Callable[[Rng, Traffic, int], list[Request]] | None = None
    labels: bool = False
    min_windows: int = 2
    rows: int = 400

    @property
    def model(self) -> str:
        """The model name this scenario's Guard serves under."""
        return "flights-" + self.name.replace("_", "-")

    def window(self, rng: Rng, traffic: Traffic, *, injected: bool) -> list[Request]:
        """One window of requests: normal spring traffic, or what the injection makes of it."""
        if injected and self.inject_traffic is not None:
            return self.inject_traffic(rng, traffic, self.rows)
        return normal_window(rng, traffic.spring, self.rows)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "covariate_drift",
            "July flights: summer heat and thunderstorms the model never saw; labels a window late",
            "realized performance drops -> SEV2 -> fallback, verified",
            "SEV2",
            ("route_fallback",),
            "covariate_drift",
            _summer,
            labels=True,
            min_windows=3,
            rows=1_000,  # ~200 late flights a window: recall is judged on enough labels
        ),
        Scenario(
            "pipeline_bug",
            "an off-by-one carrier index upstream: every flight arrives with the next carrier",
            "mapping-error signature -> SEV2 -> fallback, verified",
            "SEV2",
            ("route_fallback",),
            "pipeline_bug",
            _carrier_shift,
            rows=3_000,  # the busiest model: a mapping error shows once rare carriers are seen
        ),
        Scenario(
            "source_attack",
            f"{ATTACK_SOURCE} doubles the traffic with out-of-distribution probes",
            "source share + drift -> SEV2 -> that range blocked, verified",
            "SEV2",
            ("block_source",),
            "adversarial_or_ood_traffic",
            _attack,
        ),
        Scenario(
            "latency_spike",
            "a tenth of predictions wait 50 ms on a slow disk",
            "latency SLO breach -> SEV3, watched, no containment",
            "SEV3",
            (),
            "infrastructure",
        ),
        Scenario(
            "bad_version",
            "v2 (trained on shuffled labels) is deployed",
            "canaries fail -> SEV1 -> rollback to v1, verified",
            "SEV1",
            ("rollback",),
            "bad_release",
        ),
    )
}
