"""Window ingest bodies: gzip'd JSON is taken like plain JSON; hostile bodies get a clear 4xx
and change nothing; a clean body is checked once, on its text."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from api_support import MODEL, TEST_MAX_BODY_BYTES, Api, fit_reference, window_payload

from redline.api import schemas
from redline.api.limits import RefusedBodyError, inflate
from redline.api.schemas import WindowBatchCreate, load_checked_json
from redline.guard.sinks import ClosedWindow
from redline.guard.wire import batch_body, window_item
from redline.profiles.window import WindowProfile
from redline.services.ingest import list_window_profiles

URL = f"/api/v1/models/{MODEL}/windows"
JSON = {"Content-Type": "application/json"}
GZIP = {**JSON, "Content-Encoding": "gzip"}


def _body(*indexes: int) -> bytes:
    reference = fit_reference()
    items = [{"window": window_payload(reference, index=i)} for i in indexes]
    return json.dumps({"windows": items}).encode()


def _stored(api: Api) -> list[str]:
    return [w.window_id for w in list_window_profiles(api.store, model=MODEL)]


def test_a_gzip_body_is_stored_like_the_same_json(api: Api) -> None:
    with api.client("responder") as client:
        zipped = client.post(URL, content=gzip.compress(_body(0, 1)), headers=GZIP)
        plain = client.post(URL, content=_body(2), headers=JSON)
        again = client.post(
            URL, content=gzip.compress(_body(2)), headers={**GZIP, "Content-Encoding": "x-gzip"}
        )
    assert zipped.status_code == 201, zipped.text
    assert zipped.json()["created"] == 2
    assert plain.status_code == 201
    assert again.status_code == 200  # the same window through gzip: already stored
    assert _stored(api) == ["w-0", "w-1", "w-2"]


def _bomb() -> bytes:
    """Far past the limit once inflated, a few KiB on the wire."""
    return gzip.compress(b'{"windows": [{"window": {"pad": "' + b"0" * (40 * TEST_MAX_BODY_BYTES))


HOSTILE: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    "truncated": (gzip.compress(_body(0))[:-20], GZIP, 400, "truncated"),
    "not gzip": (_body(0), GZIP, 400, "not valid gzip"),
    "bytes after the end": (gzip.compress(_body(0)) + b"junk", GZIP, 400, "after its end"),
    "two members": (gzip.compress(_body(0)) * 2, GZIP, 400, "one gzip member"),
    "zip bomb": (_bomb(), GZIP, 413, "inflates past"),
    "unknown encoding": (_body(0), {**JSON, "Content-Encoding": "br"}, 415, "use gzip"),
    "wrong media type": (_body(0), {"Content-Type": "text/plain"}, 415, "application/json"),
    "form media type": (
        _body(0),
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        "application/json",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_body_gets_a_clear_4xx_and_changes_nothing(api: Api, case: str) -> None:
    body, headers, status, words = HOSTILE[case]
    with api.client("responder") as client:
        answer = client.post(URL, content=body, headers=headers)
        still_up = client.post(URL, content=gzip.compress(_body(7)), headers=GZIP)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert still_up.status_code == 201
    assert _stored(api) == ["w-7"]


def test_inflating_stops_at_the_limit() -> None:
    assert inflate(gzip.compress(b"\0" * 1024), max_bytes=1024) == b"\0" * 1024
    bomb = gzip.compress(b"\0" * 50_000_000)  # 49 KiB holding 50 MB
    for limit in (1023, 1024 * 1024):
        with pytest.raises(RefusedBodyError) as refused:
            inflate(bomb, max_bytes=limit)
        assert refused.value.status == 413


@pytest.mark.parametrize(
    "text",
    [
        '{"windows": [{"window": {"id": "a\\u0000b"}}]}',
        '{"windows": [{"window": {"id": "\\ud800"}}]}',
        '{"windows": [{"window": {"x": NaN}}]}',
        '{"windows": [{"window": {"x": -Infinity}}]}',
        '{"windows": [{"window": {"x": 1e400}}]}',
        '{"windows": [{"window": {"x": 1E+999, "y": 1}}]}',
    ],
)
def test_bodies_the_store_cannot_keep_are_still_walked_and_refused(text: str) -> None:
    data = load_checked_json(text.encode())
    with pytest.raises(ValueError, match=r"NUL|finite"):
        WindowBatchCreate.model_validate(data)


def test_a_clean_body_is_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[Any] = []
    check = schemas.check_json
    monkeypatch.setattr(schemas, "check_json", lambda data: walked.append(data) or check(data))
    clean = load_checked_json(_body(0, 1))
    WindowBatchCreate.model_validate(clean)
    assert walked == []  # checked on its text while parsed: no second walk
    copy = json.loads(_body(0, 1))  # parsed elsewhere: walked as before
    WindowBatchCreate.model_validate(copy)
    assert walked == [copy]


def test_a_number_overflowing_to_infinity_is_refused_by_the_api(api: Api) -> None:
    window = json.dumps(window_payload(fit_reference()))
    body = '{"windows": [{"window": %s, "served": [{"request_id": "r", "value": 1e999, "route": "primary"}]}]}'
    with api.client("responder") as client:
        answer = client.post(URL, content=(body % window).encode(), headers=GZIP | JSON)
        zipped = client.post(URL, content=gzip.compress((body % window).encode()), headers=GZIP)
    assert answer.status_code == 400  # sent as gzip but not gzip'd
    assert zipped.status_code == 422
    assert "finite" in zipped.text
    assert _stored(api) == []


@pytest.mark.parametrize("compress", [True, False])
def test_the_guards_batch_body_is_taken(api: Api, compress: bool) -> None:
    reference = fit_reference()
    closed = [
        ClosedWindow(MODEL, WindowProfile.from_dict(window_payload(reference, index=i)))
        for i in (3, 4)
    ]
    body, headers = batch_body([window_item(c) for c in closed], compress=compress)
    with api.client("responder") as client:
        answer = client.post(URL, content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert ("Content-Encoding" in headers) is compress
    if compress:
        assert len(body) < 0.6 * len(_body(3, 4))
    assert _stored(api) == ["w-3", "w-4"]
