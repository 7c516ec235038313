"""Opening a store only if its database exists at the latest schema: for commands that read."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from redline.errors import StoreError
from redline.store.engine import (
    Store,
    alembic_config,
    current_revision,
    parse_store_url,
    sqlite_file,
)

__all__ = ["head_revision", "open_existing"]

_UPGRADE = "create or migrate it with 'redline db upgrade'"


def head_revision() -> str | None:
    """The newest migration this redline knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def open_existing(url: str, *, at_head: bool = True) -> Store:
    """A store on ``url`` whose database already exists (``at_head``: at the newest schema).

    Never creates a SQLite file, a table or a migration: a missing database, or with
    ``at_head`` one never migrated or at another revision, raises a one-line StoreError.
    """
    parsed = parse_store_url(url)
    shown = parsed.render_as_string(hide_password=True)
    path = sqlite_file(parsed)
    if path is not None and not path.is_file():
        raise StoreError(f"no store at {shown}: the file {str(path)!r} does not exist; {_UPGRADE}")
    store = Store.from_url(url)
    if not at_head:
        return store
    try:
        try:
            revision = current_revision(store.engine)
        except DBAPIError as exc:
            raise StoreError(f"cannot read the store at {shown}: {exc.orig}") from None
        head = head_revision()
        if revision is None:
            raise StoreError(f"the database at {shown} holds no redline store; {_UPGRADE}")
        if revision != head:
            raise StoreError(
                f"the store at {shown} is at migration {revision}, this redline reads {head}; "
                f"{_UPGRADE}"
            )
    except BaseException:
        store.dispose()
        raise
    return store
