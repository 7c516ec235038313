"""Dashboard sessions kept in the store: revocable at logout, shared by every API process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from api_support import Api
from sqlalchemy import text

from redline.api.sessions import SESSION_COOKIE, check_csrf, cookie_options
from redline.services.sessions import csrf_token, end_session, read_session, start_session
from redline.services.tokens import create_token, hash_token, revoke_token
from redline.store import Store

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_a_session_opens_reads_and_ends(store: Store) -> None:
    _, token = create_token(store, name="ana", role="responder")
    cookie = start_session(store, token=token, max_age_s=60, now=NOW)
    assert cookie != start_session(store, token=token, max_age_s=60, now=NOW)
    session = read_session(store, cookie, now=NOW + timedelta(seconds=59))
    assert session is not None
    assert (session.token.name, session.role.value) == ("ana", "responder")
    assert read_session(store, cookie, now=NOW + timedelta(seconds=60)) is None
    assert end_session(store, cookie, now=NOW)
    assert read_session(store, cookie, now=NOW) is None
    assert not end_session(store, cookie, now=NOW)


def test_only_the_cookies_hash_is_stored(store: Store) -> None:
    _, token = create_token(store, name="ana", role="viewer")
    cookie = start_session(store, token=token, max_age_s=60)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT secret_hash FROM dashboard_sessions")).scalar()
    assert stored == hash_token(cookie) != cookie


def test_forged_overlong_and_revoked_token_sessions_are_refused(store: Store) -> None:
    _, token = create_token(store, name="ana", role="admin")
    cookie = start_session(store, token=token, max_age_s=60)
    assert read_session(store, cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert read_session(store, "x" * 10_000) is None
    assert read_session(store, None) is None
    revoke_token(store, token_id=token.id, actor="person:admin")
    assert read_session(store, cookie) is None


def test_the_csrf_token_belongs_to_its_session() -> None:
    mine, theirs = "cookie-of-mine", "cookie-of-theirs"
    token = csrf_token(mine)
    assert check_csrf(mine, token)
    assert not check_csrf(theirs, token)
    assert not check_csrf(mine, None)
    assert not check_csrf(mine, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert cookie_options(max_age_s=60, secure=True)["samesite"] == "strict"


def _log_in(api: Api) -> tuple[str, str]:
    """Log in on ``api`` as its responder: the session cookie and the page's CSRF token."""
    with httpx.Client(base_url=api.url, timeout=30) as client:
        answer = client.post("/login", data={"token": api.tokens["responder"]})
        assert answer.status_code == 303, answer.text
        cookie = client.cookies[SESSION_COOKIE]
    return cookie, csrf_token(cookie)


def _status(api: Api, cookie: str) -> int:
    with httpx.Client(base_url=api.url, timeout=30, cookies={SESSION_COOKIE: cookie}) as client:
        return client.get("/", headers={"Accept": "application/json"}).status_code


def test_logout_ends_the_session_in_every_api_process(api_with: Callable[..., Api]) -> None:
    first, second = api_with(), api_with()
    cookie, csrf = _log_in(first)
    assert (_status(first, cookie), _status(second, cookie)) == (200, 200)
    with httpx.Client(base_url=second.url, timeout=30, cookies={SESSION_COOKIE: cookie}) as client:
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert (_status(first, cookie), _status(second, cookie)) == (401, 401)
