"""The API fuzzed against its own OpenAPI spec (schemathesis): what the two fuzzing files share.

Requests are generated from the spec and sent over HTTP to a live server with an admin token;
every answer must be no 5xx and match the spec. Valid requests (``test_api_schema.py``) and
invalid ones (``test_api_schema_invalid.py``) are two files so that two workers share the work.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_support import Api
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from redline.api import create_app
from redline.settings import Settings, StoreSettings
from redline.store import Store

__all__ = ["MAX_EXAMPLES", "OPERATIONS", "cases", "fuzz"]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: The fuzzing budget: examples per (operation, mode, backend), the spec's explicit examples
#: first. About 100 cases on each backend, each on a server of its own; measured on SQLite,
#: 5 examples cost ~36 CPU-s for the 100 cases, 10 cost ~55 (pytest's own process).
MAX_EXAMPLES = 5


def _spec() -> dict[str, object]:
    store = Store.from_url("sqlite://")  # the spec needs no database
    try:
        return create_app(Settings(store=StoreSettings(url="sqlite://")), store=store).openapi()
    finally:
        store.dispose()


SCHEMA = schemathesis.openapi.from_dict(_spec())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def cases(mode: GenerationMode) -> list[object]:
    """The operations to fuzz in ``mode``: invalid requests only where there is an input to
    make invalid."""
    return [
        pytest.param(op, id=f"{op.label}-{mode.value}")
        for op in OPERATIONS
        if mode is GenerationMode.POSITIVE or op.path_parameters or op.query or list(op.body)
    ]


def fuzz(api: Api, operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
    """Send ``MAX_EXAMPLES`` generated requests of ``operation`` and check every answer."""
    headers = {"Authorization": f"Bearer {api.tokens['admin']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def survives(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=api.url, headers=headers, checks=CHECKS, timeout=30)

    survives()
