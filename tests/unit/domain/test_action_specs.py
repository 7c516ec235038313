"""One spec per action type: apply then revert gives the route back, for every route action."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.domain import GenerationLimits, InputFilter, OutputPatch, Route, RouteState
from redline.domain.action_effects import COLLECTION_FIELDS, DeploymentFacts, EffectError
from redline.domain.action_params import PARAM_RULES
from redline.domain.action_rules import FINAL_ONCE_VERIFIED, REVERSIBLE
from redline.domain.action_specs import ActionParamError
from redline.domain.actions import ACTION_SPECS, CONTAINMENT_TYPES, ActionType
from redline.domain.containment import CLEAN_WINDOW_TYPES
from redline.domain.decision import REVIEW_MODES
from redline.domain.transitions import POSTMORTEM_ACTIONS

T = ActionType
ROUTE_TYPES = [t for t, spec in ACTION_SPECS.items() if spec.effect is not None]

names = st.text("abcdefghij0123456789-.:", min_size=1, max_size=8)
versions = st.one_of(st.none(), names)


def _filters() -> st.SearchStrategy[InputFilter]:
    scalar = st.one_of(st.integers(-5, 5), names)
    simple = st.builds(
        InputFilter,
        field=names,
        op=st.sampled_from(["eq", "ne", "gt", "lt", "contains"]),
        value=scalar,
        action=st.sampled_from(["block", "review", "fallback"]),
    )
    listed = st.builds(
        InputFilter, field=names, op=st.just("in"), value=st.lists(scalar, max_size=3)
    )
    return st.one_of(simple, listed)


patches = st.builds(
    OutputPatch,
    score_offset=st.floats(-1, 1, allow_nan=False),
    class_remap=st.dictionaries(names, names, max_size=3),
)

limits = st.builds(
    GenerationLimits,
    max_tokens=st.one_of(st.none(), st.integers(1, 100_000)),
    temperature=st.floats(0, 2),
)

states = st.builds(
    RouteState,
    mode=st.sampled_from(list(Route)),
    revision=st.integers(0, 10_000),
    model_version=versions,
    model=names,
    fallback_version=versions,
    confidence_threshold=st.one_of(st.none(), st.floats(0, 1)),
    review_mode=st.sampled_from(REVIEW_MODES),
    blocked_sources=st.lists(names, unique=True, max_size=4).map(tuple),
    input_filters=st.lists(_filters(), max_size=3).map(lambda fs: tuple(dict.fromkeys(fs))),
    shadow_version=versions,
    output_patch=st.one_of(st.none(), patches),
    generation_limits=st.one_of(st.none(), limits),
)

facts = st.builds(DeploymentFacts, current_version=versions, previous_version=versions)


@st.composite
def _shadow(draw: st.DrawFn) -> tuple[dict[str, Any], DeploymentFacts]:
    baseline, suspect = draw(st.lists(names, min_size=2, max_size=2, unique=True))
    return {"baseline": baseline, "version": suspect}, draw(facts)


@st.composite
def _rollback(draw: st.DrawFn) -> tuple[dict[str, Any], DeploymentFacts]:
    if draw(st.booleans()):
        return {"version": draw(names)}, draw(facts)
    return {}, DeploymentFacts(draw(versions), draw(names))


def _with_facts(params: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.tuples(params, facts)


fallback: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}), st.fixed_dictionaries({"version": names})
)
threshold = st.fixed_dictionaries(
    {"threshold": st.floats(0, 1)}, optional={"review_mode": st.sampled_from(REVIEW_MODES)}
)
blocks = st.one_of(
    st.fixed_dictionaries({"source": names}),
    st.fixed_dictionaries({"sources": st.lists(names, min_size=1, max_size=3)}),
)

#: Valid (params, deployment facts) for every action type that changes the route by itself.
VALID: dict[ActionType, st.SearchStrategy[tuple[dict[str, Any], DeploymentFacts]]] = {
    T.KILL_SWITCH: _with_facts(fallback),
    T.ROUTE_FALLBACK: _with_facts(fallback),
    T.ROLLBACK: _rollback(),
    T.SHADOW: _shadow(),
    T.THRESHOLD_CHANGE: _with_facts(threshold),
    T.INPUT_FILTER: _with_facts(_filters().map(InputFilter.to_dict)),
    T.BLOCK_SOURCE: _with_facts(blocks),
    T.OUTPUT_PATCH: _with_facts(patches.map(OutputPatch.to_dict)),
    T.LIMIT_GENERATION: _with_facts(
        limits.map(lambda caps: {k: v for k, v in caps.to_dict().items() if v is not None})
    ),
}


def _route_fields(state: RouteState) -> dict[str, Any]:
    return {f.name: getattr(state, f.name) for f in fields(RouteState) if f.name != "revision"}


def test_every_action_type_has_a_spec() -> None:
    assert set(ACTION_SPECS) == set(ActionType)


def test_every_route_action_has_valid_params_to_prove_it_on() -> None:
    assert set(VALID) == set(ROUTE_TYPES)


@pytest.mark.parametrize("action", list(ActionType))
def test_each_spec_is_consistent(action: ActionType) -> None:
    spec = ACTION_SPECS[action]
    assert not spec.contains or spec.effect is not None  # containment is a route effect
    assert spec.effect is None or spec.changes_route
    assert bool(spec.owns) == (spec.effect is not None)
    assert spec.owns <= {f.name for f in fields(RouteState)} - {"revision", "model"}
    assert bool(spec.verification.routes) == spec.changes_route  # verified on what it serves
    assert not spec.form_fields or spec.button is not None
    assert set(spec.params) <= set(spec.form_fields) or spec.button is None
    assert spec.summary
    assert spec.phase in {0, 1, 2}


@settings(max_examples=150, deadline=None)
@pytest.mark.parametrize("action", ROUTE_TYPES)
@given(data=st.data(), state=states)
def test_revert_after_apply_gives_the_route_back(
    action: ActionType, data: st.DataObject, state: RouteState
) -> None:
    spec = ACTION_SPECS[action]
    params, known = data.draw(VALID[action])
    after = spec.apply(state, spec.check_params(action.value, params), known)
    changed = {n for n, v in _route_fields(after).items() if v != getattr(state, n)}
    assert changed <= spec.owns
    assert after.revision == state.revision + 1
    back = spec.revert(state, after, after)
    assert back.revision == after.revision + 1  # a revert is a new revision, never a rewind
    assert _route_fields(back) == _route_fields(state)


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("action", [t for t in ROUTE_TYPES if ACTION_SPECS[t].idempotent])
@given(data=st.data(), state=states)
def test_applying_twice_is_applying_once(
    action: ActionType, data: st.DataObject, state: RouteState
) -> None:
    spec = ACTION_SPECS[action]
    params, known = data.draw(VALID[action])
    once = spec.apply(state, params, known)
    assert _route_fields(spec.apply(once, params, known)) == _route_fields(once)


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("action", ROUTE_TYPES)
@given(data=st.data(), state=states)
def test_from_the_primary_the_action_serves_a_route_its_verification_expects(
    action: ActionType, data: st.DataObject, state: RouteState
) -> None:
    spec = ACTION_SPECS[action]
    params, known = data.draw(VALID[action])
    after = spec.apply(replace(state, mode=Route.PRIMARY), params, known)
    assert after.mode in spec.verification.routes


PAIRS = [(a, b) for a in ROUTE_TYPES for b in ROUTE_TYPES if a is not b]


@settings(max_examples=15, deadline=None)
@pytest.mark.parametrize(("first", "then"), PAIRS)
@given(data=st.data(), state=states)
def test_a_revert_keeps_what_a_later_action_changed_elsewhere(
    first: ActionType, then: ActionType, data: st.DataObject, state: RouteState
) -> None:
    a, b = ACTION_SPECS[first], ACTION_SPECS[then]
    a_params, a_facts = data.draw(VALID[first])
    b_params, b_facts = data.draw(VALID[then])
    after_a = a.apply(state, a_params, a_facts)
    after_b = b.apply(after_a, b_params, b_facts)
    back = a.revert(state, after_a, after_b)
    for name in b.owns - a.owns:
        assert getattr(back, name) == getattr(after_b, name)


@settings(max_examples=150, deadline=None)
@pytest.mark.parametrize("action", [T.BLOCK_SOURCE, T.INPUT_FILTER])
@given(data=st.data(), state=states)
def test_undoing_one_rule_keeps_the_rules_added_after_it(
    action: ActionType, data: st.DataObject, state: RouteState
) -> None:
    spec = ACTION_SPECS[action]
    (name,) = spec.owns & COLLECTION_FIELDS
    first, known = data.draw(VALID[action])
    later, _ = data.draw(VALID[action])
    after = spec.apply(state, first, known)
    current = spec.apply(after, later, known)
    back = spec.revert(state, after, current)
    added_first = set(getattr(after, name)) - set(getattr(state, name))
    added_later = set(getattr(current, name)) - set(getattr(after, name))
    assert set(getattr(back, name)) == set(getattr(current, name)) - added_first
    assert added_later <= set(getattr(back, name))


def test_a_rollback_needs_a_version_or_a_deployment_history() -> None:
    spec = ACTION_SPECS[T.ROLLBACK]
    state = RouteState(model="credit", model_version="v2")
    with pytest.raises(EffectError, match="cannot roll back 'credit'"):
        spec.apply(state, {}, DeploymentFacts("v2", None))
    assert spec.apply(state, {}, DeploymentFacts("v2", "v1")).model_version == "v1"
    assert spec.apply(state, {"version": "v0"}, DeploymentFacts()).model_version == "v0"


def test_a_shadow_watches_the_served_version_against_the_previous_deployment() -> None:
    spec = ACTION_SPECS[T.SHADOW]
    state = RouteState(model="m", model_version="v2")
    after = spec.apply(state, {}, DeploymentFacts("v2", "v1"))
    assert (after.model_version, after.shadow_version) == ("v1", "v2")
    with pytest.raises(EffectError, match="same version 'v1'"):
        spec.apply(after, {}, DeploymentFacts("v2", "v1"))  # why the spec is not idempotent
    with pytest.raises(EffectError, match="needs a baseline"):
        spec.apply(RouteState(model="m"), {}, DeploymentFacts())


@pytest.mark.parametrize(
    ("action", "params", "match"),
    [
        (T.BLOCK_SOURCE, {}, "block_source needs params"),
        (T.INPUT_FILTER, {"field": "x", "op": "nope", "value": 1}, "input_filter needs"),
        (T.OUTPUT_PATCH, {"class_remap": ["not", "a", "mapping"]}, "output_patch needs"),
        (T.THRESHOLD_CHANGE, {}, "threshold_change needs params"),
        (T.LIMIT_GENERATION, {}, "limit_generation needs max_tokens and/or temperature"),
        (T.LIMIT_GENERATION, {"max_tokens": 0}, "max_tokens must be a whole number"),
        (T.LIMIT_GENERATION, {"temperature": 3.5}, "temperature must be between 0 and 2"),
    ],
)
def test_unusable_params_raise_an_effect_error(
    action: ActionType, params: dict[str, Any], match: str
) -> None:
    with pytest.raises(EffectError, match=match):
        ACTION_SPECS[action].apply(RouteState(model="m"), params)


@pytest.mark.parametrize("action", [t for t in ActionType if t not in ROUTE_TYPES])
def test_actions_without_an_effect_do_not_change_the_route_by_themselves(
    action: ActionType,
) -> None:
    with pytest.raises(EffectError, match="does not change the route"):
        ACTION_SPECS[action].apply(RouteState(), {})


def test_param_rules_come_from_the_spec() -> None:
    spec = ACTION_SPECS[T.THRESHOLD_CHANGE]
    assert spec.check_params("threshold_change", {"threshold": "0.5"}) == {"threshold": 0.5}
    with pytest.raises(ActionParamError, match="needs the parameter 'threshold'"):
        spec.check_params("threshold_change", {})


#: Every type's facts written out: contains, reversible, requestable, phase, post-mortem.
FACTS: dict[ActionType, tuple[bool, bool, bool, int, bool]] = {
    T.SNAPSHOT: (False, False, True, 0, False),
    T.KILL_SWITCH: (True, True, True, 1, True),
    T.ROUTE_FALLBACK: (True, True, True, 1, False),
    T.ROLLBACK: (True, True, True, 1, True),
    T.SHADOW: (True, True, True, 1, False),
    T.THRESHOLD_CHANGE: (True, True, True, 1, False),
    T.INPUT_FILTER: (True, True, True, 1, False),
    T.BLOCK_SOURCE: (True, True, True, 1, False),
    T.OUTPUT_PATCH: (True, True, True, 1, False),
    T.LIMIT_GENERATION: (True, True, True, 1, False),
    T.PAGE: (False, False, True, 2, False),
    T.RESTORE: (False, True, False, 1, False),
}


def test_the_derived_tables_read_the_specs() -> None:
    assert set(FACTS) == set(ActionType)
    specs = {t: ACTION_SPECS[t] for t in ActionType}
    assert {
        t: (s.contains, s.reversible, s.requestable, s.phase, s.needs_postmortem)
        for t, s in specs.items()
    } == FACTS
    assert {t for t, f in FACTS.items() if f[0]} == CONTAINMENT_TYPES
    assert {t for t, f in FACTS.items() if f[1]} == REVERSIBLE
    assert {T.KILL_SWITCH, T.ROLLBACK} == POSTMORTEM_ACTIONS
    assert FINAL_ONCE_VERIFIED == CLEAN_WINDOW_TYPES == {T.RESTORE}
    assert {t: set(rules) for t, rules in PARAM_RULES.items()} == {
        T.THRESHOLD_CHANGE: {"threshold"},
        T.OUTPUT_PATCH: {"score_offset"},
        T.LIMIT_GENERATION: {"max_tokens", "temperature"},
    }
