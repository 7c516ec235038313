"""The public surface: a light ``import redline``, and every exported name resolves."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import redline

HEAVY = ("sqlalchemy", "alembic", "fastapi", "typer", "rich", "torch")

#: Modules that only run inside another tool (Alembic's migration environment).
NOT_IMPORTABLE_ALONE = ("redline.store.migrations",)


def _imported_after(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_import_redline_is_light() -> None:
    assert _imported_after("import redline") == []


def test_fitting_and_checking_stay_light() -> None:
    code = (
        "import numpy as np, redline\n"
        "ref = redline.fit_reference({'x': np.arange(500.0), 'c': ['a', 'b'] * 250},"
        " window_sizes=[100])\n"
        "redline.check(ref, {'x': np.arange(300.0), 'c': ['a'] * 300})\n"
        "redline.WindowProfile.of(ref, {'x': [1.0]})\n"
        "import redline.monitors.registry\n"
    )
    assert _imported_after(code) == []


@pytest.mark.parametrize("name", redline.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(redline, name)
    assert value is not None
    if name != "__version__":
        assert getattr(value, "__name__", name) == name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        redline.no_such_name  # noqa: B018


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    assert redline.__version__ == version("redline")


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(redline.__path__, prefix="redline."):
        if not info.name.startswith(NOT_IMPORTABLE_ALONE):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", _modules())
def test_every_module_all_names_exist(module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("redline"):
            pytest.skip(f"optional dependency {exc.name} is not installed")
        raise
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert len(set(exported)) == len(exported), "duplicate names in __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == []


#: Entry points: their functions are handlers registered on a router or a Typer app.
ENTRY_POINTS = ("redline.api", "redline.cli", "redline.demo")


@pytest.mark.parametrize("module_name", [m for m in _modules() if not m.startswith(ENTRY_POINTS)])
def test_every_library_module_lists_its_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__") and not hasattr(module, "__all__"):
        return  # a namespace-only package
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == module_name
    }
    assert public <= set(module.__all__), (
        f"public but not in __all__: {public - set(module.__all__)}"
    )


#: Store modules whose helpers are the room's own building blocks, not its public surface
#: (``pg_connection`` imports psycopg, an optional extra: the engine loads it for PostgreSQL;
#: ``json_codec`` is how the engine and the window queries encode JSON columns).
STORE_INTERNALS = (
    "redline.store.engine",
    "redline.store.tables",
    "redline.store.pg_connection",
    "redline.store.json_codec",
)


@pytest.mark.parametrize(
    "module_name",
    [m for m in _modules() if m.startswith("redline.store.") and m not in STORE_INTERNALS],
)
def test_the_store_package_exports_every_store_module_name(module_name: str) -> None:
    import redline.store

    module = importlib.import_module(module_name)
    assert all(getattr(redline.store, n) is getattr(module, n) for n in module.__all__)
