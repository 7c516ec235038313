"""Which code and which data: git commit, dirty flag and diff hash; DVC files or a declared version."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from redline.forensics.environment import unavailable

__all__ = ["capture_code", "capture_data"]

GIT_TIMEOUT_S = 20.0
MAX_DVC_FILES = 200


class _GitError(Exception):
    """A git command failed; the message says why, in git's words."""


def _git(root: Path, *args: str) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise _GitError("git is not installed")
    try:
        done = subprocess.run(
            [git, "-C", str(root), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise _GitError(f"git could not run: {type(exc).__name__}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitError(lines[0] if lines else f"git {args[0]} exited {done.returncode}")
    return done.stdout


def capture_code(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The git commit of ``path`` (default: the working directory), dirty flag, diff sha256."""
    root = Path(path) if path is not None else Path.cwd()
    try:
        commit = _git(root, "rev-parse", "HEAD").decode().strip()
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        diff = _git(root, "diff", "HEAD", "--binary")
    except _GitError as exc:
        return {**unavailable(str(exc)), "path": str(root)}
    return {
        "status": "recorded",
        "path": str(root.resolve()),
        "commit": commit,
        "dirty": bool(status.strip()),
        "diff_sha256": hashlib.sha256(diff).hexdigest(),
        "diff_bytes": len(diff),
    }


def _dvc_outputs(root: Path) -> list[dict[str, Any]]:
    """Each ``.dvc`` file under ``root`` with the hashes of the outputs it pins."""
    found: list[dict[str, Any]] = []
    for file in sorted(root.rglob("*.dvc"))[:MAX_DVC_FILES]:
        try:
            body = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            found.append({"file": str(file.relative_to(root)), "error": type(exc).__name__})
            continue
        outs = body.get("outs") if isinstance(body, dict) else None
        pinned = [
            {k: str(v) for k, v in out.items() if k in {"path", "md5", "hash", "size", "nfiles"}}
            for out in outs or []
            if isinstance(out, dict)
        ]
        found.append({"file": str(file.relative_to(root)), "outs": pinned})
    return found


def _folder_commit(root: Path) -> dict[str, Any]:
    try:
        commit = _git(root, "log", "-1", "--format=%H", "--", ".").decode().strip()
        status = _git(root, "status", "--porcelain", "--", ".")
    except _GitError as exc:
        return unavailable(str(exc))
    if not commit:
        return unavailable("the data folder has no commit in git")
    return {"status": "recorded", "commit": commit, "dirty": bool(status.strip())}


def capture_data(
    path: str | os.PathLike[str] | None = None, *, declared: str | None = None
) -> dict[str, Any]:
    """The data version: a declared string, DVC files under ``path`` and the folder's git commit."""
    if path is None and declared is None:
        return unavailable(
            "no data path or declared data version configured "
            "(REDLINE_FORENSICS__DATA_PATH or REDLINE_FORENSICS__DATA_VERSION)"
        )
    out: dict[str, Any] = {"status": "recorded", "declared": declared}
    if path is not None:
        root = Path(path)
        if not root.is_dir():
            out["folder"] = {**unavailable("no such directory"), "path": str(root)}
        else:
            out["folder"] = {"path": str(root.resolve())}
            out["dvc"] = _dvc_outputs(root)
            out["git"] = _folder_commit(root)
    return out
