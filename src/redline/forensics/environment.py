"""The runtime a model ran in (the Guard's fingerprint plus redacted variables), and diffs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redline.guard.environment import (
    LOCAL_FINGERPRINT,
    capture_fingerprint,
    distributions,
    environment_report,
    unavailable,
)

__all__ = [
    "EnvironmentChange",
    "capture_environment",
    "diff_environments",
    "distributions",
    "local_environment",
    "unavailable",
]

#: The sections two environments are compared on, field by field.
_COMPARED = ("python", "os", "cpu", "gpu", "git")


def capture_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Python, distributions, OS, CPU, GPU, git and the environment variables (values redacted)."""
    return environment_report(capture_fingerprint(), environ)


def local_environment(
    environ: Mapping[str, str] = os.environ, *, wait: bool = True
) -> dict[str, Any] | None:
    """This process's environment from its once-captured fingerprint; None if not yet known and
    ``wait`` is false (then capturing it starts in the background)."""
    fingerprint = LOCAL_FINGERPRINT.get() if wait else LOCAL_FINGERPRINT.known()
    if fingerprint is None:
        LOCAL_FINGERPRINT.start()
        return None
    return environment_report(fingerprint, environ)


@dataclass(frozen=True)
class EnvironmentChange:
    """One difference between two environments: added, removed or changed."""

    kind: str
    name: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "name": self.name, "before": self.before, "after": self.after}


def _flat(env: Mapping[str, Any]) -> dict[str, Any]:
    """Compared entries: distributions by name; Python, OS, CPU, GPU and git fields by path."""
    out = {f"distribution:{k}": v for k, v in (env.get("distributions") or {}).items()}
    for section in _COMPARED:
        for key, value in (env.get(section) or {}).items():
            out[f"{section}.{key}"] = value
    return out


def diff_environments(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[EnvironmentChange]:
    """Every difference from ``before`` (the snapshot) to ``after`` (now), sorted by name."""
    old, new = _flat(before), _flat(after)
    changes = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changes.append(EnvironmentChange("removed", name, old[name], None))
        elif name not in old:
            changes.append(EnvironmentChange("added", name, None, new[name]))
        elif old[name] != new[name]:
            changes.append(EnvironmentChange("changed", name, old[name], new[name]))
    return changes
