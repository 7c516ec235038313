"""psycopg connections that wait for PostgreSQL's answer no longer than a client-side deadline.

The server cancels a statement after ``statement_timeout``, and the kernel drops a peer that
stops acknowledging (keepalives, ``tcp_user_timeout``). Neither fires when the path to the
server goes silent behind something whose TCP still answers (a proxy, a pooler, a load
balancer): a statement sent then waits forever. :class:`BoundedConnection` bounds every round
trip (statements, commits, rollbacks) on the client: past ``reply_timeout_s`` it closes the
connection and raises :class:`psycopg.OperationalError`, which SQLAlchemy sees as a disconnect.
Imported only for PostgreSQL stores (psycopg is the ``postgres`` extra).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.abc import RV, PQGen

__all__ = ["BoundedConnection", "unbounded"]

#: How often a waiting round trip looks at its deadline (psycopg's own interrupt check).
_CHECK_S = 0.1


class _ReplyTimeoutError(Exception):
    """The deadline of a round trip passed with no answer."""


def _bounded(gen: PQGen[RV], deadline: float) -> PQGen[RV]:
    """``gen``, giving up once ``deadline`` passes while it waits for the socket.

    psycopg's wait functions send "not ready" into the generator every ``interval`` seconds
    when the socket stays silent; that is where the deadline is checked.
    """
    try:
        wait = next(gen)
        while True:
            ready = yield wait
            if not ready and time.monotonic() >= deadline:
                raise _ReplyTimeoutError
            wait = gen.send(ready)
    except StopIteration as done:
        result: RV = done.value
        return result


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose round trips give up after ``reply_timeout_s`` (None: never)."""

    reply_timeout_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = _CHECK_S, timeout: float | None = None) -> RV:
        """Consume ``gen``; past the deadline close the connection and raise OperationalError."""
        if self.reply_timeout_s is None or timeout is not None:
            if timeout is None:
                return super().wait(gen, interval)
            return super().wait(gen, interval, timeout)
        bounded = _bounded(gen, time.monotonic() + self.reply_timeout_s)
        try:
            return super().wait(bounded, min(interval or _CHECK_S, _CHECK_S))
        except _ReplyTimeoutError:
            # The answer may still come: the connection's state is unknown, so it is dropped.
            self.close()
            raise psycopg.OperationalError(
                f"no answer from the database within {self.reply_timeout_s:g} s (client-side "
                "deadline: the server or the network to it is silent); the connection was closed"
            ) from None


@contextmanager
def unbounded(dbapi_connection: object) -> Iterator[None]:
    """Lift the deadline of ``dbapi_connection`` for the block (migrations may run long)."""
    if not isinstance(dbapi_connection, BoundedConnection):
        yield
        return
    saved = dbapi_connection.reply_timeout_s
    dbapi_connection.reply_timeout_s = None
    try:
        yield
    finally:
        dbapi_connection.reply_timeout_s = saved
