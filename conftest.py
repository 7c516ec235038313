"""Repository-wide pytest hooks."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """conftest.py files are plugins, not modules with doctests: never collect them as tests.

    With --doctest-modules every .py file is collected; collecting two conftest.py files as
    modules would import both under the one name "conftest".
    """
    return True if collection_path.name == "conftest.py" else None
