"""The API fuzzed against its own OpenAPI spec (schemathesis): invalid requests get no 5xx and
answers that match the spec (``schema_fuzz``; valid requests: ``test_api_schema.py``).

Each operation with an input to make invalid is a test of its own, on a live server with an
admin token.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_support import Api
from schema_fuzz import cases, fuzz
from schemathesis import GenerationMode


@pytest.mark.slow
@pytest.mark.parametrize("operation", cases(GenerationMode.NEGATIVE))
def test_generated_invalid_requests_get_no_5xx_and_answers_match_the_spec(
    fuzzed: Api, operation: schemathesis.APIOperation
) -> None:
    fuzz(fuzzed, operation, GenerationMode.NEGATIVE)
