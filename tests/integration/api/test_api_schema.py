"""The API fuzzed against its own OpenAPI spec (schemathesis): no 5xx, answers match the spec.

Each operation is a test of its own; requests are generated from the spec (valid ones, then
invalid ones) and sent over HTTP to a live server with an admin token.
"""

from __future__ import annotations

from collections.abc import Callable

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

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _spec() -> dict[str, object]:
    store = Store.from_url("sqlite://")  # the spec needs no database
    try:
        return create_app(Settings(store=StoreSettings(url="sqlite://")), store=store).openapi()
    finally:
        store.dispose()


SCHEMA = schemathesis.openapi.from_dict(_spec())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
#: (operation, mode): invalid requests only where there is an input to make invalid.
CASES = [
    pytest.param(op, mode, id=f"{op.label}-{mode.value}")
    for op in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or op.path_parameters or op.query or list(op.body)
]


@pytest.fixture
def fuzzed(api_with: Callable[..., Api]) -> Api:
    """A server whose route long-polls give up at once, so generated waits stay short."""
    return api_with(route_wait_max_s=0.05)


def test_every_route_is_in_the_spec() -> None:
    assert len(OPERATIONS) >= 28


@pytest.mark.slow
@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_generated_requests_get_no_5xx_and_answers_match_the_spec(
    fuzzed: Api, operation: schemathesis.APIOperation, mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {fuzzed.tokens['admin']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def survives(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=fuzzed.url, headers=headers, checks=CHECKS, timeout=30)

    survives()
