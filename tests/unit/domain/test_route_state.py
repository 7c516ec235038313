"""RouteState: backwards-compatible construction, round trips, revisions, filters and blocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.domain import GenerationLimits, InputFilter, OutputPatch, Route, RouteState
from redline.domain.route_rules import FILTER_OPS, source_blocked

FULL = RouteState(
    mode=Route.FALLBACK,
    revision=7,
    model_version="v12",
    model="churn",
    fallback_version="rules-3",
    confidence_threshold=0.8,
    review_mode="pending",
    blocked_sources=("10.1.2.0/24", "tenant:acme", "key:abc"),
    input_filters=(
        InputFilter("country", "in", ["XX", "YY"], "block"),
        InputFilter("prompt", "regex", r"ignore (all|previous) instructions", "review"),
        InputFilter("amount", "gt", 10_000, "fallback"),
    ),
    shadow_version="v11",
    output_patch=OutputPatch(score_offset=-0.05, class_remap={"fraud": "review"}),
)


def test_existing_constructions_keep_working() -> None:
    assert RouteState(model_version="v1") == RouteState(Route.PRIMARY, 0, "v1")
    state = RouteState(mode=Route.FALLBACK, revision=1)
    assert (state.mode, state.revision, state.model_version) == (Route.FALLBACK, 1, None)
    assert (state.model, state.review_mode, state.blocked_sources) == ("", "fallback", ())
    assert state.output_patch is None
    assert state.input_filters == ()


@pytest.mark.parametrize("state", [RouteState(), RouteState(model_version="v1"), FULL])
def test_round_trip_through_json(state: RouteState) -> None:
    text = json.dumps(state.to_dict())
    assert RouteState.from_dict(json.loads(text)) == state


def test_from_dict_reads_old_records_and_ignores_unknown_keys() -> None:
    old = RouteState.from_dict({"mode": "fallback", "revision": 3, "model_version": "v2"})
    assert old == RouteState(mode=Route.FALLBACK, revision=3, model_version="v2")
    newer = RouteState.from_dict({**FULL.to_dict(), "canary_share": 0.1})
    assert newer == FULL


def test_with_changes_increments_the_revision_and_leaves_the_original() -> None:
    first = RouteState(model_version="v1", model="churn")
    second = first.with_changes(mode="fallback", fallback_version="rules-1")
    third = second.with_changes(blocked_sources=["10.0.0.0/8"])
    assert (first.revision, second.revision, third.revision) == (0, 1, 2)
    assert first.mode is Route.PRIMARY
    assert (second.mode, second.fallback_version) == (Route.FALLBACK, "rules-1")
    assert third.blocked_sources == ("10.0.0.0/8",)
    assert (third.model, third.model_version) == ("churn", "v1")
    assert first.with_changes() == RouteState(model_version="v1", model="churn", revision=1)


def test_with_changes_will_not_set_the_revision() -> None:
    with pytest.raises(ValueError, match="revision is managed"):
        RouteState().with_changes(revision=10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"review_mode": "later"}, "review_mode"),
        ({"confidence_threshold": float("nan")}, "finite"),
        ({"revision": -1}, "negative"),
        ({"blocked_sources": ("",)}, "non-empty"),
        ({"mode": "sideways"}, "sideways"),
    ],
)
def test_invalid_states_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RouteState(**kwargs)


@pytest.mark.parametrize(
    ("flt", "row", "hit"),
    [
        (InputFilter("tier", "eq", "free"), {"tier": "free"}, True),
        (InputFilter("tier", "ne", "free"), {"tier": "free"}, False),
        (InputFilter("amount", "gt", 100), {"amount": 101}, True),
        (InputFilter("amount", "lt", 100), {"amount": 101}, False),
        (InputFilter("amount", "gt", 100), {"amount": "lots"}, False),  # type clash: no hit
        (InputFilter("country", "in", ["XX", "YY"]), {"country": "YY"}, True),
        (InputFilter("country", "in", ("XX",)), {"country": "ZZ"}, False),
        (InputFilter("tags", "contains", "vip"), {"tags": ["new", "vip"]}, True),
        (InputFilter("text", "contains", "ssn"), {"text": 12}, False),
        (InputFilter("text", "regex", r"\d{3}-\d{2}-\d{4}"), {"text": "id 123-45-6789"}, True),
        (InputFilter("text", "regex", r"^x"), {"text": None}, False),
        (InputFilter("missing", "eq", 1), {"other": 1}, False),
    ],
)
def test_input_filter_operators(flt: InputFilter, row: dict[str, Any], hit: bool) -> None:
    assert flt.matches(row) is hit


def test_every_filter_operator_is_tested_above() -> None:
    assert set(FILTER_OPS) == {"eq", "ne", "gt", "lt", "in", "contains", "regex"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "eq", 1), "field name"),
        (("x", "like", 1), "unknown filter op"),
        (("x", "eq", 1, "drop"), "unknown filter action"),
        (("x", "in", "abc"), "needs a list"),
        (("x", "regex", "(unclosed"), "invalid regex"),
        (("x", "regex", 42), "invalid regex"),
    ],
)
def test_invalid_filters_are_refused(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InputFilter(*args)


def test_output_patch_validation_and_string_labels() -> None:
    assert OutputPatch(class_remap={1: 0}).class_remap == {"1": "0"}  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="finite"):
        OutputPatch(score_offset=float("inf"))


def test_generation_limits_only_lower_what_a_request_asks() -> None:
    caps = GenerationLimits(max_tokens=256, temperature=0.2)
    asked = {"model": "m", "max_tokens": 4096, "temperature": 0.9, "top_p": 0.5}
    assert caps.limit(asked) == {"model": "m", "max_tokens": 256, "temperature": 0.2, "top_p": 0.5}
    assert caps.limit({"max_tokens": 16, "temperature": 0.0}) == {
        "max_tokens": 16,
        "temperature": 0.0,
    }
    assert caps.limit({}) == {
        "max_tokens": 256,
        "temperature": 0.2,
    }  # unset means the upstream's default
    assert GenerationLimits(temperature=0.5).limit({"max_tokens": 9}) == {
        "max_tokens": 9,
        "temperature": 0.5,
    }
    state = RouteState(model="m", generation_limits=caps)
    assert RouteState.from_dict(state.to_dict()) == state
    assert (
        RouteState.from_dict({**state.to_dict(), "generation_limits": None}).generation_limits
        is None
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None, None), "needs max_tokens and/or temperature"),
        ((0, None), "max_tokens must be a whole number"),
        ((True, None), "max_tokens must be a whole number"),
        ((2.5, None), "max_tokens must be a whole number"),
        ((None, -0.1), "temperature must be between"),
        ((None, float("nan")), "temperature must be between"),
        ((None, 2.01), "temperature must be between"),
    ],
)
def test_invalid_generation_limits_are_refused(args: tuple[Any, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenerationLimits(*args)


@pytest.mark.parametrize(
    ("source", "blocked"),
    [
        ("10.1.2.77", True),
        ("10.1.3.1", False),
        ("tenant:acme", True),
        ("tenant:acme2", False),
        ("::1", False),
        ("", False),
        (None, False),
    ],
)
def test_blocked_sources(source: str | None, blocked: bool) -> None:
    assert FULL.blocks(source) is blocked


def test_source_blocked_handles_ipv6_prefixes_and_junk_entries() -> None:
    assert source_blocked("2001:db8::5", ("not-a-network", "2001:db8::/32"))
    assert not source_blocked("10.0.0.1", ("2001:db8::/32",))


@given(
    revision=st.integers(0, 10**6),
    threshold=st.none() | st.floats(0, 1),
    sources=st.lists(st.text(min_size=1, max_size=12), max_size=4),
    review=st.sampled_from(["fallback", "pending"]),
    mode=st.sampled_from(Route),
)
def test_any_state_round_trips(
    revision: int, threshold: float | None, sources: list[str], review: str, mode: Route
) -> None:
    state = RouteState(
        mode=mode,
        revision=revision,
        confidence_threshold=threshold,
        blocked_sources=tuple(sources),
        review_mode=review,  # type: ignore[arg-type]
    )
    again = RouteState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    assert again.with_changes().revision == revision + 1
