"""Engines, sessions and migrations: how the store connects to its database."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from redline.errors import StoreBusyError, StoreError
from redline.store.json_codec import loads_json

__all__ = [
    "Store",
    "after_commit",
    "alembic_config",
    "create_engine_for",
    "current_revision",
    "downgrade",
    "parse_store_url",
    "session_factory",
    "sqlite_file",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: The execution option saying how a SQLite transaction begins (see ``_begin_sqlite``).
SQLITE_BEGIN = "redline_sqlite_begin"
#: libpq gives up opening a connection after this long (a silent server or network).
PG_CONNECT_TIMEOUT_S = 5
#: libpq settings that bound how long a dead peer can hold a thread: TCP keepalives (a peer
#: that stops acknowledging is dropped after ~25 s idle) and unacknowledged sends (30 s).
PG_TIMEOUTS: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
#: The server cancels a statement after 5 s and a lock wait after 4 s: serving runs short
#: statements. A URL may set its own (``?options=-c statement_timeout=60000``).
PG_STATEMENT_TIMEOUT_MS = 5_000
PG_SERVER_OPTIONS = f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS} -c lock_timeout=4000"
#: The client waits for any answer this much longer than the statement timeout, then drops
#: the connection: what keepalives miss when the path is silent but its TCP still answers.
PG_REPLY_GRACE_S = 1.0
#: How long a thread waits for a pooled connection when all are in use (then StoreBusyError).
POOL_TIMEOUT_S = 10.0
#: SQLSTATEs of a statement the server cancelled on its timeout, or of a lock wait given up.
_PG_TIMED_OUT = frozenset({"57014", "55P03"})
_TIMEOUT_UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_STATEMENT_TIMEOUT = re.compile(r"statement_timeout\s*=\s*(\d+(?:\.\d+)?)\s*([a-z]*)")


SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_URL_EXAMPLES = "sqlite:///redline.db or postgresql+psycopg://user@host/db"


def parse_store_url(url: str) -> URL:
    """``url`` parsed; a one-line :class:`StoreError` for no scheme, an unsupported database,
    or a SQLite file in a directory that does not exist."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        shown = re.sub(r":[^:@/]*@", ":***@", url)  # never echo a password
        raise StoreError(
            f"store URL {shown!r} has no scheme; write it as {_URL_EXAMPLES}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        hint = " (write postgresql://, not postgres://)" if backend == "postgres" else ""
        raise StoreError(
            f"store URL {_safe_url(parsed)!r}: {backend!r} is not supported{hint}; "
            f"redline stores in SQLite or PostgreSQL, e.g. {_URL_EXAMPLES}"
        )
    path = sqlite_file(parsed)
    if path is not None and not path.parent.is_dir():
        raise StoreError(
            f"store URL {url!r}: the directory {str(path.parent)!r} of the SQLite file "
            "does not exist; create it or point the URL elsewhere"
        )
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory or URI databases)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def create_engine_for(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` whose connection failures raise :class:`StoreError`.

    On PostgreSQL every round trip is bounded: connecting by ``connect_timeout``, statements
    by the server's ``statement_timeout`` and by the client ``PG_REPLY_GRACE_S`` later.
    """
    parsed = parse_store_url(url)
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args["check_same_thread"] = False
    elif parsed.get_backend_name() == "postgresql":
        connect_args.update(_pg_connect_args(parsed))
        options["pool_timeout"] = POOL_TIMEOUT_S
    engine = create_engine(
        parsed,
        echo=echo,
        connect_args=connect_args,
        json_deserializer=loads_json,  # json.loads's values, ~3x faster (window payloads)
        **options,
    )
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    elif parsed.get_driver_name() == "psycopg":
        timeout_s = _statement_timeout_s(connect_args.get("options") or parsed.query.get("options"))
        reply_s = None if timeout_s is None else timeout_s + PG_REPLY_GRACE_S
        event.listen(engine, "do_connect", _bounded_connect(reply_s))
    event.listen(engine, "handle_error", _raise_store_error)
    return engine


def _pg_connect_args(url: URL) -> dict[str, Any]:
    """Timeouts the URL does not set itself; server options added to the URL's own."""
    query = url.query
    chosen = {"connect_timeout": PG_CONNECT_TIMEOUT_S, **PG_TIMEOUTS}
    args: dict[str, Any] = {k: v for k, v in chosen.items() if k not in query}
    given = query.get("options", "")
    given = given if isinstance(given, str) else " ".join(given)
    if "statement_timeout" not in given:
        args["options"] = f"{given} {PG_SERVER_OPTIONS}".strip()
    return args


def _statement_timeout_s(options: str | tuple[str, ...] | None) -> float | None:
    """The last ``statement_timeout`` in libpq ``options`` in seconds (None: 0, no limit)."""
    text = options if isinstance(options, str) else " ".join(options or ())
    found = _STATEMENT_TIMEOUT.findall(text)
    if not found:
        return PG_STATEMENT_TIMEOUT_MS / 1000
    value, unit = found[-1]
    seconds = float(value) * _TIMEOUT_UNITS_S.get(unit or "ms", 1e-3)
    return seconds or None


def _bounded_connect(reply_timeout_s: float | None) -> Callable[..., Any]:
    """A ``do_connect`` hook opening connections that wait ``reply_timeout_s`` at most."""
    from redline.store.pg_connection import BoundedConnection

    def connect(_dialect: object, _record: object, cargs: Any, cparams: Any) -> Any:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.reply_timeout_s = reply_timeout_s
        return connection

    return connect


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # sqlite3 (before Python 3.12) starts transactions on its own and not before SAVEPOINT;
    # switching that off and emitting BEGIN ourselves makes savepoints and DDL transactional.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # IMMEDIATE takes the write lock now, waiting up to the busy timeout. A deferred
    # transaction that reads and then writes fails at once with "database is locked" when
    # another connection committed in between (WAL never waits on that upgrade), so every
    # transaction that may write begins IMMEDIATE; Store.reading() begins DEFERRED.
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _raise_store_error(context: ExceptionContext) -> None:
    # Failures to open a connection, and SQLite's lock wait running out; other errors inside
    # a statement keep their own type, and pre-ping failures are expected (the pool reconnects).
    if not isinstance(context.sqlalchemy_exception, OperationalError) or context.is_pre_ping:
        return
    if "database is locked" in str(context.original_exception):
        raise StoreBusyError(
            "the store is busy: another writer held SQLite's lock past the busy timeout; "
            "retry, or use PostgreSQL for many concurrent writers"
        )
    if getattr(context.original_exception, "sqlstate", None) in _PG_TIMED_OUT:
        raise StoreBusyError(
            f"the store is busy: {str(context.original_exception).strip().splitlines()[0]} "
            "(the server's statement or lock timeout); retry"
        )
    where = _safe_url(context.engine.url) if context.engine is not None else "the store"
    if context.is_disconnect:  # the connection broke or went silent in a statement
        first = str(context.original_exception).strip().splitlines()[0]
        raise StoreError(f"lost the connection to the store at {where}: {first}; retry later")
    if context.connection is not None:
        return
    raise StoreError(
        f"cannot connect to the store at {where}: {context.original_exception}. "
        "Check REDLINE_STORE__URL, that the database server is running, "
        "and that the directory of a SQLite file exists."
    )


def _safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session maker bound to ``engine``; rows stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


_AFTER_COMMIT = "redline.after_commit"


def after_commit(session: Session, callback: Callable[[Store], None]) -> None:
    """Run ``callback(store)`` once ``Store.session``'s transaction of ``session`` has committed.

    For work that must follow a change but not delay it (copying evidence bytes); nothing runs
    if the transaction rolls back, or if ``session`` did not come from ``Store.session``.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


class Store:
    """An engine with its session maker: the one handle services need."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Store:
        """A store on a new engine for ``url``."""
        return cls(create_engine_for(url, echo=echo))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed if the block succeeds, rolled back if not.

        On SQLite it holds the write lock from the start: writers queue (up to the busy
        timeout) instead of failing, so a second one in the same thread waits in vain.
        """
        with _pool_wait(), self.sessions.begin() as session:
            yield session
        for callback in session.info.pop(_AFTER_COMMIT, ()):
            callback(self)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it takes no write lock, so it never queues.

        A write in it can fail with "database is locked" on SQLite; use session() to write.
        """
        with _pool_wait(), self.sessions() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({_safe_url(self.engine.url)!r})"


@contextmanager
def _pool_wait() -> Iterator[None]:
    """Every pooled connection in use past the pool timeout: a busy store, not a crash."""
    try:
        yield
    except PoolTimeoutError as exc:
        limit = str(exc.args[0]).split(",")[0] if exc.args else "the pool is exhausted"
        raise StoreBusyError(
            f"the store is busy: no database connection was free in time ({limit}); retry later"
        ) from None


def alembic_config() -> Config:
    """An Alembic configuration that finds the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@contextmanager
def _engine(url_or_engine: str | Engine) -> Iterator[Engine]:
    if isinstance(url_or_engine, Engine):
        yield url_or_engine
        return
    engine = create_engine_for(url_or_engine)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (the newest by default)."""
    _run_alembic(url_or_engine, command.upgrade, revision)


def downgrade(url_or_engine: str | Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (empty by default)."""
    _run_alembic(url_or_engine, command.downgrade, revision)


def _run_alembic(
    url_or_engine: str | Engine, step: Callable[[Config, str], None], revision: str
) -> None:
    config = alembic_config()
    with _engine(url_or_engine) as engine, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A migration may rewrite big tables: the per-statement limit is for serving.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        # env.py uses this connection, so the whole migration is one transaction.
        config.attributes["connection"] = connection
        with _unbounded(connection):
            step(config, revision)


@contextmanager
def _unbounded(connection: Connection) -> Iterator[None]:
    """No client-side reply deadline on ``connection`` for the block (PostgreSQL)."""
    if connection.dialect.driver != "psycopg":
        yield
        return
    from redline.store.pg_connection import unbounded

    with unbounded(connection.connection.dbapi_connection):
        yield


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        connection.execution_options(**{SQLITE_BEGIN: "DEFERRED"})  # a read: never queue
        return MigrationContext.configure(connection).get_current_revision()
