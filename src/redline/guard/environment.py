"""The fingerprint of the process a model runs in: Python, distributions, OS, CPU, GPU, git.

Captured once per process (``LOCAL_FINGERPRINT``), off any request path. Every Guard reports it
the same way (:func:`environment_report`: with the process's variable names, values redacted),
whether its sink sends it to the service or its local control plane stores it; snapshots record
it as the environment the model ran in.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from redline.domain.timeline import canonical_json

__all__ = [
    "LOCAL_FINGERPRINT",
    "REDACTED",
    "SAFE_ENV",
    "FingerprintCache",
    "capture_fingerprint",
    "distributions",
    "environment_report",
    "fingerprint_sha256",
    "git_commit",
    "gpu",
    "redact_environ",
    "unavailable",
]

SMI_TIMEOUT_S = 5.0
GIT_TIMEOUT_S = 5.0
_CUDA_LINE = re.compile(r"^cuda\s*(?::\s*[^=]+)?=\s*['\"]?([^'\"\s]+)", re.MULTILINE)

REDACTED = "[redacted]"
#: Environment variables whose values matter for reproducing a run and hold no secret.
SAFE_ENV = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "LANG",
        "LC_ALL",
        "MKL_NUM_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "OLDPWD",  # "pwd" here is the working directory, not a password
        "PWD",
        "PYTHONHASHSEED",
        "TZ",
    }
)
#: A kept value is plain (no URL, no ``$`` reference, no quotes): anything else is redacted.
_PLAIN_VALUE = re.compile(r"^[\w.,:/+=@ -]{0,1000}$")
#: What a report lists at most: the service keeps names of 1-200 printable characters.
MAX_VARIABLES = 2_000
_NAME = re.compile(r"^[^\x00-\x1f]{1,200}$")


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


def gpu() -> dict[str, Any]:
    """torch's CUDA build and nvidia-smi's GPUs and driver, or "unavailable" with why."""
    torch, smi = _torch_cuda(), _nvidia_smi()
    if torch is None and smi is None:
        return unavailable("neither torch nor nvidia-smi is installed")
    return {"status": "recorded", "torch": torch, "nvidia_smi": smi}


def git_commit(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The git commit checked out in ``path`` (default: the working directory), if any."""
    root = Path(path) if path is not None else Path.cwd()
    git = shutil.which("git")
    if git is None:
        return unavailable("git is not installed")
    try:
        done = subprocess.run(
            [git, "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return unavailable(f"git could not run: {type(exc).__name__}")
    if done.returncode != 0:
        return unavailable("the working directory is not in a git repository")
    return {"status": "recorded", "path": str(root.resolve()), "commit": done.stdout.strip()}


def capture_fingerprint(cwd: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Python, distributions, OS, CPU, GPU (CUDA, driver) and the git commit of ``cwd``."""
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
        "host": {"name": platform.node()},
        "gpu": gpu(),
        "git": git_commit(cwd),
    }


def redact_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """Every variable's name; values only for the few that matter to reproduce a run.

    >>> redact_environ({"API_TOKEN": "s3cret", "TZ": "UTC"})
    {'API_TOKEN': '[redacted]', 'TZ': 'UTC'}
    """
    return {
        name: value if name in SAFE_ENV and _keep(value) else REDACTED
        for name, value in sorted(environ.items())
    }


def _keep(value: str) -> bool:
    return "://" not in value and _PLAIN_VALUE.match(value) is not None


def environment_report(
    fingerprint: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What a Guard reports of its process, embedded or remote: the fingerprint and the
    variable names of ``environ`` (default ``os.environ``), values redacted."""
    variables = redact_environ(os.environ if environ is None else environ)
    listed = [name for name in variables if _NAME.match(name)][:MAX_VARIABLES]
    return {**fingerprint, "variables": {name: variables[name] for name in listed}}


def fingerprint_sha256(fingerprint: dict[str, Any]) -> str:
    """The sha256 of the fingerprint's canonical JSON: equal environments, equal hashes."""
    return hashlib.sha256(canonical_json(fingerprint).encode("utf-8")).hexdigest()


class FingerprintCache:
    """One process's fingerprint, captured at most once (on a background thread if started)."""

    def __init__(self, capture: Callable[[], dict[str, Any]] = capture_fingerprint) -> None:
        self._capture = capture
        self._lock = threading.Lock()
        self._value: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    def known(self) -> dict[str, Any] | None:
        """The fingerprint if it was captured already; never blocks on capturing it."""
        return self._value

    def start(self) -> None:
        """Capture on a daemon thread, so a later ``get`` or ``known`` finds it ready."""
        with self._lock:
            if self._value is not None or self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self.get, name="redline-fingerprint", daemon=True
            )
            self._thread.start()

    def get(self) -> dict[str, Any]:
        """The fingerprint, capturing it now if no one has (the first caller waits)."""
        with self._lock:
            if self._value is None:
                self._value = self._capture()
            return self._value

    def reset(self) -> None:
        """Forget the captured fingerprint (the git commit depends on the working directory
        at capture): the next ``get`` captures again."""
        with self._lock:
            self._value, self._thread = None, None


#: This process's fingerprint: what a Guard sends and a snapshot falls back to.
LOCAL_FINGERPRINT = FingerprintCache()
