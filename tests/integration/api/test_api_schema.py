"""The API fuzzed against its own OpenAPI spec (schemathesis): valid requests get no 5xx and
answers that match the spec (``schema_fuzz``; invalid requests: ``test_api_schema_invalid.py``).

Each operation is a test of its own, on a live server with an admin token.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_support import Api
from schema_fuzz import OPERATIONS, cases, fuzz
from schemathesis import GenerationMode


def test_every_route_is_in_the_spec() -> None:
    assert len(OPERATIONS) >= 28


@pytest.mark.slow
@pytest.mark.parametrize("operation", cases(GenerationMode.POSITIVE))
def test_generated_requests_get_no_5xx_and_answers_match_the_spec(
    fuzzed: Api, operation: schemathesis.APIOperation
) -> None:
    fuzz(fuzzed, operation, GenerationMode.POSITIVE)
