"""A RouteState compiled for the request path: callables resolved, networks parsed once."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redline.domain import Route, RouteState
from redline.domain.route_rules import FILTER_OPS, InputFilter, OutputPatch

__all__ = ["RoutePlan", "VersionMissingError", "compile_plan", "patch_output"]

Predict = Callable[[Any], Any]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


#: Sources whose block verdict a plan remembers before it starts over.
_MAX_REMEMBERED = 65_536


class VersionMissingError(LookupError):
    """A RouteState names a model version this Guard cannot serve."""


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """Everything the request path needs from the RouteState, ready to use."""

    state: RouteState
    primary: Predict
    fallback: Predict | None
    shadow: Predict | None
    blocked_exact: frozenset[str]
    blocked_networks: tuple[_Network, ...]
    filters: tuple[InputFilter, ...]
    patch: OutputPatch | None
    _checks: tuple[tuple[str, Callable[[Any, Any], bool], Any, str], ...] = ()
    _verdicts: dict[str, bool] = field(default_factory=dict)

    @property
    def serves_fallback(self) -> bool:
        """The kill switch is on: every request goes to the fallback (or is refused)."""
        return self.state.mode == Route.FALLBACK

    def blocks(self, source: str) -> bool:
        """Whether a request from ``source`` is refused (answers are remembered per source)."""
        if source in self.blocked_exact:
            return True
        if not self.blocked_networks:
            return False
        verdict = self._verdicts.get(source)
        if verdict is None:
            verdict = self._in_networks(source)
            if len(self._verdicts) >= _MAX_REMEMBERED:
                self._verdicts.clear()
            self._verdicts[source] = verdict
        return verdict

    def _in_networks(self, source: str) -> bool:
        try:
            address = ipaddress.ip_address(source.split("/")[0])
        except ValueError:
            return False
        return any(address in net for net in self.blocked_networks)

    def filter_action(self, row: Any) -> str | None:
        """The action of the first input filter the row matches (type clashes do not match)."""
        if not isinstance(row, Mapping):
            return None
        for name, op, value, action in self._checks:
            if name in row:
                try:
                    if op(row[name], value):
                        return action
                except TypeError:
                    continue
        return None


def _networks(entries: tuple[str, ...]) -> tuple[frozenset[str], tuple[_Network, ...]]:
    exact, networks = set(), []
    for entry in entries:
        exact.add(entry)
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return frozenset(exact), tuple(networks)


def compile_plan(
    state: RouteState,
    *,
    versions: Mapping[str, Predict],
    default_primary: Predict,
    default_fallback: Predict | None,
) -> RoutePlan:
    """Resolve the versions a state names; raise VersionMissingError if one is not loaded."""

    def resolve(version: str | None, default: Predict | None) -> Predict | None:
        if version is None:
            return default
        if version not in versions:
            raise VersionMissingError(f"model version {version!r} is not loaded in this Guard")
        return versions[version]

    primary = resolve(state.model_version, default_primary)
    assert primary is not None
    exact, networks = _networks(state.blocked_sources)
    return RoutePlan(
        state=state,
        primary=primary,
        fallback=resolve(state.fallback_version, default_fallback),
        shadow=resolve(state.shadow_version, None),
        blocked_exact=exact,
        blocked_networks=networks,
        filters=state.input_filters,
        patch=state.output_patch,
        _checks=tuple((f.field, FILTER_OPS[f.op], f.value, f.action) for f in state.input_filters),
    )


def patch_output(value: Any, patch: OutputPatch) -> Any:
    """Apply an output patch: shift a numeric score, or rename a class label."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value + patch.score_offset if patch.score_offset else value
    if patch.class_remap and str(value) in patch.class_remap:
        return patch.class_remap[str(value)]
    return value
