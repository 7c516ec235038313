"""The notify room's public surface and its import boundary."""

from __future__ import annotations

import inspect
import subprocess
import sys

import redline.notify
from redline.notify import channels, delivery, message, redact

MODULES = [channels, delivery, message]


def test_all_lists_every_public_name_of_the_room() -> None:
    exported = set(redline.notify.__all__)
    public = {name for module in MODULES for name in module.__all__}

    assert public == exported
    assert len(redline.notify.__all__) == len(exported)  # no duplicates
    assert all(getattr(redline.notify, name) is not None for name in exported)


def test_every_public_function_and_class_has_a_one_line_docstring() -> None:
    for module in [*MODULES, redact]:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                doc = inspect.getdoc(obj)
                assert doc, f"{module.__name__}.{name} has no docstring"
                assert doc.splitlines()[0].strip(), f"{module.__name__}.{name}"


def test_importing_notify_loads_no_heavy_or_outer_layers() -> None:
    # rich is not checked: httpx itself imports it (for its CLI) when it is installed.
    code = (
        "import sys, redline.notify; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'fastapi', 'typer', 'torch'} or m.startswith(("
        "'redline.store', 'redline.services', 'redline.guard', 'redline.cli')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()

    assert loaded == []
