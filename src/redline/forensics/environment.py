"""The runtime a model ran in: Python, every installed distribution, OS, CPU and GPU; and diffs."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.forensics.redact import redact_environ

__all__ = [
    "EnvironmentChange",
    "capture_environment",
    "diff_environments",
    "distributions",
    "unavailable",
]

SMI_TIMEOUT_S = 5.0
_CUDA_LINE = re.compile(r"^cuda\s*(?::\s*[^=]+)?=\s*['\"]?([^'\"\s]+)", re.MULTILINE)


def unavailable(reason: str) -> dict[str, str]:
    """The record of something that could not be captured, with why."""
    return {"status": "unavailable", "reason": reason}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions() -> dict[str, str]:
    """Every installed distribution (normalised name) with its version."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(_normal(str(name)), str(dist.version))
    return dict(sorted(found.items()))


def _torch_cuda() -> dict[str, Any] | None:
    """torch's CUDA build without importing torch (seconds and gigabytes), read from its files."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    out: dict[str, Any] = {"torch": importlib.metadata.version("torch")}
    version_file = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    match = _CUDA_LINE.search(version_file.read_text()) if version_file.is_file() else None
    out["cuda"] = None if match is None or match.group(1) == "None" else match.group(1)
    torch = sys.modules.get("torch")  # already imported by the application: ask it directly
    if torch is not None and torch.cuda.is_available():
        out["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return out


def _nvidia_smi() -> list[dict[str, str]] | None:
    path = shutil.which("nvidia-smi")
    if path is None:
        return None
    query = "--query-gpu=name,driver_version,memory.total"
    try:
        done = subprocess.run(
            [path, query, "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=SMI_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return [{"error": type(exc).__name__}]
    gpus = []
    for line in done.stdout.strip().splitlines():
        name, driver, memory = ([*line.split(","), "", ""])[:3]
        gpus.append({"name": name.strip(), "driver": driver.strip(), "memory": memory.strip()})
    return gpus


def _gpu() -> dict[str, Any]:
    torch, smi = _torch_cuda(), _nvidia_smi()
    if torch is None and smi is None:
        return unavailable("neither torch nor nvidia-smi is installed")
    return {"status": "recorded", "torch": torch, "nvidia_smi": smi}


def capture_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Python, distributions, OS, CPU, GPU and the environment variables (values redacted)."""
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "compiler": platform.python_compiler(),
        },
        "distributions": distributions(),
        "os": {
            "system": platform.system(),
            "release": platform.release(),
            "version": platform.version(),
            "platform": platform.platform(),
        },
        "cpu": {
            "machine": platform.machine(),
            "processor": platform.processor(),
            "count": os.cpu_count(),
        },
        "gpu": _gpu(),
        "variables": redact_environ(environ),
    }


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
    """Compared entries: distributions by name; Python, OS, CPU and GPU fields by path."""
    out = {f"distribution:{k}": v for k, v in (env.get("distributions") or {}).items()}
    for section in ("python", "os", "cpu", "gpu"):
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
