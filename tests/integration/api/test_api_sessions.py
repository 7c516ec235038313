"""Signed session cookies and CSRF tokens the dashboard will use."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import itsdangerous.timed
import pytest

from redline.api.sessions import SessionSigner, session_signer
from redline.services.tokens import ApiToken, Role
from redline.settings import ApiSettings, Settings

SECRET = "a-test-secret-of-enough-length"
TOKEN = ApiToken(7, "alice", Role.RESPONDER, datetime(2026, 1, 1, tzinfo=UTC), None, None)


def test_a_cookie_round_trips_and_each_login_gets_a_new_nonce() -> None:
    signer = SessionSigner(SECRET, max_age_s=60)
    first, second = signer.read(signer.issue(TOKEN)), signer.read(signer.issue(TOKEN))
    assert first is not None
    assert second is not None
    assert (first.token_id, first.role) == (7, Role.RESPONDER)
    assert first.nonce != second.nonce


@pytest.mark.parametrize("cookie", [None, "", "garbage", "eyJ0Ijo3fQ.forged.sig"])
def test_missing_or_forged_cookies_read_as_no_session(cookie: str | None) -> None:
    assert SessionSigner(SECRET, max_age_s=60).read(cookie) is None


def test_a_cookie_signed_with_another_secret_is_refused() -> None:
    other = SessionSigner("another-secret-of-enough-length", max_age_s=60)
    assert SessionSigner(SECRET, max_age_s=60).read(other.issue(TOKEN)) is None


def test_a_cookie_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = SessionSigner(SECRET, max_age_s=60)
    cookie = signer.issue(TOKEN)
    later = SimpleNamespace(time=lambda: datetime.now(UTC).timestamp() + 120)
    monkeypatch.setattr(itsdangerous.timed, "time", later)
    assert signer.read(cookie) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    signer = SessionSigner(SECRET, max_age_s=60)
    mine = signer.read(signer.issue(TOKEN))
    theirs = signer.read(signer.issue(TOKEN))
    assert mine is not None
    assert theirs is not None
    token = signer.csrf_token(mine)
    assert signer.check_csrf(mine, token)
    assert not signer.check_csrf(theirs, token)
    assert not signer.check_csrf(mine, None)
    assert not signer.check_csrf(mine, token[:-1] + ("0" if token[-1] != "0" else "1"))


def test_the_signer_uses_the_configured_secret_or_a_random_one() -> None:
    configured = Settings(api=ApiSettings(session_secret=SECRET))  # type: ignore[arg-type]
    cookie = SessionSigner(SECRET, max_age_s=60).issue(TOKEN)
    assert session_signer(configured).read(cookie) is not None
    assert session_signer(Settings()).read(cookie) is None
    assert session_signer(configured).cookie_options(secure=True)["samesite"] == "strict"
    with pytest.raises(ValueError, match="16 characters"):
        SessionSigner("short", max_age_s=60)
