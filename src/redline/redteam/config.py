"""From command-line words to a run: the target spec, the probe set, and the limits."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from redline.errors import DataError
from redline.redteam.probes import Probe, builtin_probes, load_probes, merge_probes, select_families
from redline.redteam.targets import CallableTarget, HttpTarget, OpenAITarget, Target

if TYPE_CHECKING:
    from redline.services.store_access import Store

__all__ = [
    "TargetSpec",
    "build_target",
    "choose_probes",
    "merge_limits",
    "parse_limit",
    "playbook_redteam",
]

_PYTHON = "python:"
_REGISTRY = "registry:"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """What ``--target`` and its options name: openai, http, python:… or registry:MODEL:VERSION."""

    kind: str
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    answer_field: str = "text"
    timeout_s: float = 30.0
    trust: bool = False


def build_target(spec: TargetSpec, *, store: Store | None = None) -> Target:
    """The target the spec names; a missing option or an untrusted module is a clear error."""
    if spec.kind.startswith(_REGISTRY):
        return _registered_target(spec.kind.removeprefix(_REGISTRY), store, trust=spec.trust)
    if spec.kind == "openai":
        if not spec.base_url or not spec.model:
            raise DataError("--target openai needs --base-url URL and --model NAME")
        key = os.environ.get(spec.api_key_env)
        return OpenAITarget(
            base_url=spec.base_url, model=spec.model, api_key=key, timeout_s=spec.timeout_s
        )
    if spec.kind == "http":
        if not spec.base_url:
            raise DataError("--target http needs --base-url URL (the endpoint to POST to)")
        return HttpTarget(spec.base_url, answer_field=spec.answer_field, timeout_s=spec.timeout_s)
    if spec.kind.startswith(_PYTHON):
        return _python_target(spec.kind.removeprefix(_PYTHON), trust=spec.trust)
    raise DataError(
        f"unknown target {spec.kind!r}: use openai, http, python:module:function "
        "or registry:MODEL:VERSION"
    )


def _python_target(reference: str, *, trust: bool) -> Target:
    from redline.services.artifacts import describe_artifact, is_reference, load_artifact

    if not is_reference(reference):
        raise DataError(f"{reference!r} is not a module:function reference")
    if not trust:
        raise DataError(
            f"--target python:{reference} imports that module, which runs its code; "
            "add --trust-artifacts only for modules you wrote"
        )
    _, digest = describe_artifact(reference)
    predictor = load_artifact(reference, sha256=digest, trust=True)
    return CallableTarget(predictor, name=f"python:{reference}")


def _registered_target(name: str, store: Store | None, *, trust: bool) -> Target:
    from redline.services.registry import load_version

    model, sep, version = name.partition(":")
    if not sep or not model or not version:
        raise DataError(f"--target registry:{name}: write registry:MODEL:VERSION")
    if store is None:
        raise DataError(
            "--target registry:MODEL:VERSION needs the store the model is registered in"
        )
    # The registry checks the artifact's sha256 and refuses module references without trust.
    predictor = load_version(store, model=model, version=version, trust=trust)
    return CallableTarget(predictor, name=f"registry:{model}:{version}")


def choose_probes(
    files: Sequence[str | Path], families: Sequence[str], *, builtin: bool = True
) -> list[Probe]:
    """redline's corpus (unless ``builtin`` is off) plus the users' files, narrowed to families."""
    groups = [builtin_probes()] if builtin else []
    groups += [load_probes(path) for path in files]
    probes = select_families(merge_probes(*groups), families)
    if not probes:
        raise DataError("no probes to run: give --probes FILE or keep the built-in corpus")
    return probes


def parse_limit(text: str) -> tuple[str, float]:
    """``family=0.05`` (or ``*=0``) as (family, highest allowed success rate)."""
    family, sep, value = text.partition("=")
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not sep or not family.strip() or not 0 <= rate <= 1:
        raise DataError(
            f"--limit {text!r}: write family=RATE with RATE in [0, 1], e.g. jailbreak=0.05"
        )
    return family.strip(), rate


def merge_limits(playbook: Mapping[str, float], flags: Sequence[str]) -> dict[str, float]:
    """The playbook's limits, overridden family by family by ``--limit`` flags."""
    return {**playbook, **dict(parse_limit(flag) for flag in flags)}


def playbook_redteam(path: str | Path) -> tuple[dict[str, float], list[Path]]:
    """The playbook's ``redteam:`` limits and probe files (relative to the playbook's folder)."""
    from redline.playbook import load_playbook

    section = load_playbook(path).redteam
    if section is None:
        return {}, []
    folder = Path(path).parent
    return dict(section.limits), [p if p.is_absolute() else folder / p for p in section.probes]
