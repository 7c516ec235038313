"""The LLM signal kinds: their families, which ones name a source, and how they group."""

from __future__ import annotations

from redline.domain.kinds import (
    GENERATION_KINDS,
    SOURCE_KINDS,
    Family,
    family_of,
    related,
)


def test_attacks_are_security_and_runaway_generation_is_serving() -> None:
    assert family_of("prompt_injection") is Family.SECURITY
    assert family_of("toxic_output") is Family.SECURITY
    assert {family_of(kind) for kind in GENERATION_KINDS} == {Family.SERVING}


def test_an_injection_campaign_names_the_source_a_block_takes() -> None:
    assert {"source_share", "prompt_injection"} == SOURCE_KINDS


def test_security_signals_group_with_each_other_only() -> None:
    assert related("prompt_injection", "toxic_output")
    assert not related("prompt_injection", "feature_drift")
    assert not related("toxic_output", "pii_leak")
    assert related("token_spike", "latency")
