"""The timeline hash chain: canonical payloads, an independent oracle, and tamper detection."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.domain import GENESIS, IncidentStatus, chain_hash, verify_chain
from redline.domain.timeline import canonical_json, chain_hashes

AT = datetime(2026, 11, 26, 22, 5, tzinfo=UTC)
PAYLOADS: list[dict[str, Any]] = [
    {"what": "declared", "who": "policy", "at": AT, "severity": "SEV1"},
    {"what": "snapshot", "who": "system", "at": AT, "manifest": "ab" * 32},
    {"what": "contained", "who": "ana", "at": AT, "status": IncidentStatus.CONTAINED},
    {"what": "note", "who": "ben", "at": AT, "details": {"b": 1, "a": [1, 2.5, None]}},
]


def chain(payloads: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    return list(zip(payloads, chain_hashes(payloads), strict=True))


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_chain_hash_against_an_independent_oracle() -> None:
    expected = hashlib.sha256(
        (GENESIS + '{"at":"2026-11-26T22:05:00+00:00","n":1,"s":"é"}').encode()
    ).hexdigest()
    assert chain_hash(GENESIS, {"s": "é", "n": 1, "at": AT}) == expected


def test_canonical_json_ignores_key_order_and_keeps_enums_as_values() -> None:
    assert canonical_json({"b": 1, "a": {"d": 2, "c": 3}}) == '{"a":{"c":3,"d":2},"b":1}'
    assert canonical_json({"s": IncidentStatus.CLOSED}) == '{"s":"closed"}'
    assert canonical_json({"t": frozenset({"b", "a"})}) == '{"t":["a","b"]}'


@pytest.mark.parametrize(
    ("payload", "error"),
    [({"x": math.nan}, ValueError), ({"x": math.inf}, ValueError), ({"x": object()}, TypeError)],
)
def test_unencodable_payloads_are_refused(payload: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        chain_hash(GENESIS, payload)


@pytest.mark.parametrize("previous", ["", "0" * 63, "G" * 64, "A" * 64])
def test_previous_hash_must_be_64_lowercase_hex(previous: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        chain_hash(previous, {})


def test_intact_chains_verify() -> None:
    assert verify_chain([]) is None
    assert verify_chain(chain(PAYLOADS)) is None


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_tampering_is_found_at_the_tampered_entry(index: int) -> None:
    entries = chain(PAYLOADS)
    payload, stored = entries[index]
    edited = [*entries]
    edited[index] = ({**payload, "who": "mallory"}, stored)
    assert verify_chain(edited) == index
    rehashed = [*entries]
    rehashed[index] = (payload, chain_hash(GENESIS, {"forged": True}))
    assert verify_chain(rehashed) == index
    nan = [*entries]
    nan[index] = ({**payload, "value": math.nan}, stored)
    assert verify_chain(nan) == index


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_deleting_an_entry_breaks_the_link_at_its_place(index: int) -> None:
    entries = chain(PAYLOADS)
    del entries[index]
    assert verify_chain(entries) == (index if index < len(entries) else None)


def test_swapping_two_entries_is_found_at_the_first() -> None:
    entries = chain(PAYLOADS)
    entries[1], entries[2] = entries[2], entries[1]
    assert verify_chain(entries) == 1


def test_a_chain_can_continue_from_a_checkpoint() -> None:
    hashes = chain_hashes(PAYLOADS)
    tail = list(zip(PAYLOADS[2:], hashes[2:], strict=True))
    assert verify_chain(tail, start=hashes[1]) is None
    assert verify_chain(tail) == 0


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(
    payloads=st.lists(st.dictionaries(st.text(), json_values, max_size=4), min_size=1, max_size=8),
    data=st.data(),
)
def test_any_chain_verifies_and_any_edit_is_found(
    payloads: list[dict[str, Any]], data: st.DataObject
) -> None:
    entries = chain(payloads)
    assert verify_chain(entries) is None
    index = data.draw(st.integers(0, len(entries) - 1))
    payload, stored = entries[index]
    entries[index] = ({**payload, "\x00tampered": True}, stored)
    assert verify_chain(entries) == index
