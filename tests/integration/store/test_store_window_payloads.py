"""``add_windows`` encodes payloads itself (JSON text bound to the column): what it stores reads
back as ``json.dumps`` would have stored it, SQL reads JSON inside it, and a value the fast
encoder refuses falls back to ``json.dumps``."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from redline.store import WindowRow, add_windows, get_window
from redline.store.json_codec import dumps_json, loads_json

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

PAYLOAD: dict[str, Any] = {
    "window_id": "w",
    "n_rows": 1000,
    "columns": {"é": {"counts": [1, 2, 3], "total": -0.1, "min": 1.25e-7, "max": 3.5}},
    "sample": {"items": [[0.5, {"city": "Zürich ✓", "id": 2**70, "none": None}]]},
    "flags": [True, False],
    "nested": {"empty": {}, "list": []},
}


def _fields(window_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "window_id": window_id,
        "model": "m",
        "start": T0,
        "end": T0,
        "n_rows": 1,
        "payload": payload,
        "results": None,
        "summary": {"version": 1, "values": {"rows": 1.0}, "counts": {}},
    }


def test_a_payload_reads_back_as_stored(session: Session) -> None:
    assert add_windows(session, windows=[_fields("w", PAYLOAD), _fields("v", {"a": 1})]) == {
        "w",
        "v",
    }
    session.expire_all()
    row = get_window(session, window_id="w")
    assert row is not None
    assert row.payload == PAYLOAD
    assert row.results is None  # a JSON column bound as before: SQL NULL, not JSON null
    assert row.summary == {"version": 1, "values": {"rows": 1.0}, "counts": {}}
    assert session.scalar(select(WindowRow.payload["n_rows"].as_integer())) == 1000


def test_the_fast_encoding_is_json_dumps_text() -> None:
    assert json.loads(dumps_json(PAYLOAD)) == json.loads(json.dumps(PAYLOAD))
    nan = json.loads(dumps_json({"x": math.nan}))["x"]  # NaN stays NaN, as json.dumps writes it
    assert math.isnan(nan)


def test_what_the_fast_encoder_refuses_falls_back(session: Session) -> None:
    if session.connection().dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses lone surrogates in JSONB whichever encoder wrote them")
    odd = {"text": "\ud800"}
    assert dumps_json(odd) == json.dumps(odd)
    add_windows(session, windows=[_fields("odd", odd)])
    session.expire_all()
    row = get_window(session, window_id="odd")
    assert row is not None
    assert row.payload == odd


def test_stored_json_is_read_as_json_loads_reads_it() -> None:
    text = '{"big": 123456789012345678901234567890, "nan": NaN, "inf": -Infinity, "x": 0.1}'
    value, oracle = loads_json(text), json.loads(text)
    assert value["big"] == oracle["big"]
    assert isinstance(value["big"], int)
    assert math.isnan(value["nan"])
    assert value["inf"] == oracle["inf"] == -math.inf
    assert repr(value["x"]) == repr(oracle["x"])
    assert loads_json('"\\ud800"') == "\ud800"  # refused by pydantic-core, read by json
