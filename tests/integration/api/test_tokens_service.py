"""The token service: only hashes are stored, roles rank, revoked tokens stop working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from redline.services.tokens import (
    Role,
    TokenError,
    TokenNotFoundError,
    authenticate,
    create_token,
    get_token,
    hash_token,
    list_tokens,
    revoke_token,
)
from redline.store import TOKEN_ROLES, Store


def test_only_the_hash_is_stored_and_the_token_authenticates(store: Store) -> None:
    plaintext, record = create_token(store, name="guard", role="responder")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert stored == hash_token(plaintext) != plaintext
    found = authenticate(store, plaintext)
    assert found is not None
    assert (found.id, found.role) == (record.id, Role.RESPONDER)
    assert found.last_used_at is not None


def test_last_used_is_refreshed_at_most_once_a_minute(store: Store) -> None:
    plaintext, record = create_token(store, name="guard", role="viewer")
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    authenticate(store, plaintext, now=t0)
    authenticate(store, plaintext, now=t0 + timedelta(seconds=30))
    assert get_token(store, token_id=record.id).last_used_at == t0
    authenticate(store, plaintext, now=t0 + timedelta(seconds=61))
    assert get_token(store, token_id=record.id).last_used_at == t0 + timedelta(seconds=61)


def test_revoked_unknown_and_malformed_tokens_do_not_authenticate(store: Store) -> None:
    plaintext, record = create_token(store, name="old", role="admin")
    revoked = revoke_token(store, token_id=record.id, actor="person:ops")
    again = revoke_token(store, token_id=record.id, actor="person:ops")
    assert revoked.revoked_at is not None
    assert again.revoked_at == revoked.revoked_at
    for candidate in (plaintext, "rl_unknown", "no-prefix", ""):
        assert authenticate(store, candidate) is None
    with pytest.raises(TokenNotFoundError):
        revoke_token(store, token_id=999, actor="person:ops")
    assert [t.active for t in list_tokens(store)] == [False]


def test_roles_rank_and_match_the_store(store: Store) -> None:
    assert tuple(r.value for r in Role) == TOKEN_ROLES
    assert Role.ADMIN.allows(Role.RESPONDER)
    assert Role.RESPONDER.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.RESPONDER)
    with pytest.raises(TokenError, match="unknown role"):
        create_token(store, name="x", role="root")
    with pytest.raises(TokenError, match="needs a name"):
        create_token(store, name="  ", role="viewer")


def test_token_changes_are_in_the_audit_log(store: Store) -> None:
    plaintext, record = create_token(store, name="ci", role="viewer", actor="person:ops")
    revoke_token(store, token_id=record.id, actor="person:ops")
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT action, details FROM audit_log ORDER BY seq")).all()
    assert [r[0] for r in rows] == ["token_created", "token_revoked"]
    assert plaintext not in str(rows)
