"""What the service needs to run a model's canaries: its playbook entry, its route's versions."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from redline.domain import Route, RouteState
from redline.errors import RedlineError
from redline.guard.canaries import Canary, CanaryResult, run_canary
from redline.guard.plan import RoutePlan, compile_plan
from redline.guard.serve import REFUSE, Router
from redline.playbook import ModelConfig, Playbook
from redline.services.artifacts import Predictor
from redline.services.registry import load_version
from redline.store import Session, Store, get_current_deployment, get_model_version

__all__ = [
    "ModelCanaries",
    "RouteUnavailableError",
    "ServedVersions",
    "VersionCache",
    "canaries_from_playbook",
    "canaries_of",
    "run_route_canaries",
    "served_versions",
]


@dataclass(frozen=True)
class ModelCanaries:
    """A model's canaries and the registered versions its playbook entry names."""

    model: str
    canaries: tuple[Canary, ...]
    primary: str | None = None
    fallback: str | None = None


def _version_of(model: str, target: str | None) -> str | None:
    """The version of a ``model:version`` target of this model (other targets: None)."""
    name, _, version = (target or "").rpartition(":")
    return version if name == model and version else None


def canaries_of(config: ModelConfig) -> tuple[Canary, ...]:
    """The golden inputs a playbook model entry declares, as Guards and workers run them."""
    return tuple(
        Canary(c.name, c.input, c.expected, c.tolerance or None, float(c.every_s))
        for c in config.canaries
    )


def canaries_from_playbook(playbook: Playbook) -> list[ModelCanaries]:
    """The canaries of every model of ``playbook`` that has some."""
    return [
        ModelCanaries(
            model,
            canaries_of(config),
            _version_of(model, config.primary),
            _version_of(model, config.fallback),
        )
        for model, config in sorted(playbook.models.items())
        if config.canaries
    ]


class RouteUnavailableError(RedlineError):
    """The route serves a version this process cannot load from the registry."""


@dataclass(frozen=True)
class ServedVersions:
    """A RouteState and the registered versions it serves (the primary: named or deployed)."""

    model: str
    state: RouteState
    primary: str | None
    fallback: str | None


def _registered(session: Session, model: str, version: str | None) -> str | None:
    if version is None or get_model_version(session, model=model, version=version) is None:
        return None
    return version


def served_versions(
    session: Session,
    *,
    model: str,
    state: RouteState,
    primary: str | None = None,
    fallback: str | None = None,
) -> ServedVersions:
    """The versions ``state`` serves; ``primary``/``fallback`` (the playbook's) fill gaps."""
    chosen = state.model_version
    if chosen is None:
        deployed = get_current_deployment(session, model=model)
        chosen = deployed.version if deployed is not None else _registered(session, model, primary)
    backup = state.fallback_version or _registered(session, model, fallback)
    return ServedVersions(model, state, chosen, backup)


class VersionCache:
    """Registered versions loaded once per process; each load checks the artifact's sha256.

    Registered versions never change (a new artifact is a new version), so a loaded one stays.
    """

    def __init__(self, store: Store, *, trust: bool = False) -> None:
        self.store = store
        self.trust = trust
        self._loaded: dict[tuple[str, str], Predictor] = {}

    def load(self, model: str, version: str) -> Predictor:
        """The predictor of ``model`` ``version``; RouteUnavailableError when it cannot load."""
        key = (model, version)
        if key not in self._loaded:
            try:
                self._loaded[key] = load_version(
                    self.store, model=model, version=version, trust=self.trust
                )
            except RedlineError as exc:
                raise RouteUnavailableError(f"version {version!r} cannot be loaded: {exc}") from exc
        return self._loaded[key]

    def plan(self, served: ServedVersions) -> RoutePlan:
        """The route as a Guard would compile it (shadows left out: they never answer)."""
        if served.primary is None:
            raise RouteUnavailableError(
                "the route names no version and none is deployed or registered"
            )
        if served.state.mode == Route.FALLBACK and served.fallback is None:
            raise RouteUnavailableError("the route serves a fallback that is not in the registry")
        primary = self.load(served.model, served.primary)
        backup = None if served.fallback is None else self.load(served.model, served.fallback)
        versions = {served.primary: primary}
        if served.fallback is not None and backup is not None:
            versions[served.fallback] = backup
        # The version actually serving goes into the state, so results and evidence name it.
        state = replace(served.state, model_version=served.primary, shadow_version=None)
        return compile_plan(
            state, versions=versions, default_primary=primary, default_fallback=backup
        )


def run_route_canaries(
    canaries: Sequence[Canary], plan: RoutePlan, *, now: datetime
) -> list[CanaryResult]:
    """Serve each canary through ``plan``, as a Guard's canaries are, recording no traffic."""
    # Rows held for review go to a queue nobody reads: canaries never reach people.
    router = Router(
        safe_response=REFUSE, confidence=None, on_error="fallback", review_queue=deque(maxlen=16)
    )
    return [run_canary(canary, router, plan, lambda: now) for canary in canaries]
