"""``load_checked_json`` parses clean bodies with pydantic-core's parser: the values are those
``json.loads`` gives (the oracle), numbers that overflow to infinity are still refused whatever
their shape, and strings that only look like big exponents do not cost the slow path."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.api import schemas
from redline.api.schemas import WindowBatchCreate, load_checked_json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**100), max_value=2**100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types, floats by repr (so -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, compact=st.booleans())
def test_values_are_those_json_loads_gives(value: Any, compact: bool) -> None:
    separators = (",", ":") if compact else (", ", ": ")
    raw = json.dumps({"v": value}, separators=separators, ensure_ascii=False).encode()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # lone surrogates: not UTF-8, refused before parsing
    assert _same(load_checked_json(raw), json.loads(raw))


def _body_with(value_text: str) -> str:
    """A window batch body whose one window holds ``value_text`` as written, at ``x``."""
    return '{"windows": [{"window": {"x": ' + value_text + "}}]}"


LITERALS = st.builds(
    lambda sign, digits, fraction, exponent: f"{sign}{digits}{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,320}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,30}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"[eE][+-]?[0-9]{1,6}", fullmatch=True)),
)


@settings(max_examples=400, deadline=None)
@given(literal=LITERALS, wrapper=st.sampled_from(["%s", "[%s]", "[%s, 1]", " %s\n"]))
def test_a_number_that_overflows_is_refused_whatever_its_shape(literal: str, wrapper: str) -> None:
    text = _body_with(wrapper % literal)
    data = load_checked_json(text.encode())
    expected = json.loads(text)
    assert _same(data, expected)
    value = expected["windows"][0]["window"]["x"]
    first = value[0] if isinstance(value, list) else value
    if isinstance(first, float) and math.isinf(first):  # an int literal stays an exact int
        with pytest.raises(ValueError, match="finite"):
            WindowBatchCreate.model_validate(data)
    else:
        WindowBatchCreate.model_validate(data)


@pytest.mark.parametrize(
    "literal", ["1e309", "1E+400", "-2e0400", "9" * 309 + ".0", "1" * 250 + "e99", "1.5e400"]
)
def test_overflowing_literals_before_any_delimiter_are_refused(literal: str) -> None:
    for place in (f"{literal}", f"[{literal}]", f"{literal} ", f"{literal}\t", f"{literal}\r\n"):
        data = load_checked_json(_body_with(place).encode())
        with pytest.raises(ValueError, match="finite"):
            WindowBatchCreate.model_validate(data)


def test_strings_that_look_like_big_exponents_keep_the_fast_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow: list[bytes] = []
    walked = schemas._load_walked_json
    monkeypatch.setattr(schemas, "_load_walked_json", lambda raw: slow.append(raw) or walked(raw))
    hashes = {"reference_hash": "5e100fe123", "id": "e0000", "v": "1e100x", "n": 1e-99}
    load_checked_json(json.dumps({"windows": [{"window": hashes}]}).encode())
    assert slow == []
    load_checked_json(b'{"windows": [{"window": {"n": 1e+999}}]}')
    load_checked_json(b'\xef\xbb\xbf{"windows": []}')  # a BOM: what the fast parser refuses
    assert len(slow) == 2
