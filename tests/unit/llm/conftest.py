"""Shared reference for LLM guard unit tests."""

from __future__ import annotations

import pytest

from redline.llm import fit_llm_reference
from redline.profiles.reference import Reference
from rltest.llm import reference_calls


@pytest.fixture(scope="session")
def llm_reference() -> Reference:
    return fit_llm_reference(reference_calls(), prices={"tiny": (0.5, 1.5)}, window_sizes=[50])
