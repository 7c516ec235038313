"""Tables of the store as typed ORM rows, and the column types they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from redline.domain import Level, Signal

__all__ = [
    "SIGNAL_STATUSES",
    "Base",
    "JSONDict",
    "ReferenceRow",
    "SignalRow",
    "UTCDateTime",
    "WindowRow",
    "as_utc",
    "choice_validator",
    "utcnow",
]

# Stable constraint names, so migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONDict = JSON().with_variant(JSONB(), "postgresql")
SIGNAL_STATUSES = ("firing", "resolved")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` converted to UTC; a naive datetime is refused, as its zone is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware time")
    return value.astimezone(UTC)


def _validate_utc(_row: object, _key: str, value: datetime | None) -> datetime | None:
    # Rows hold UTC from the moment an attribute is set, not only once reloaded.
    return None if value is None else as_utc(value)


def choice_validator(
    choices: Mapping[str, Iterable[str]],
) -> Callable[[object, str, str], str]:
    """A ``validates`` hook that refuses values outside ``choices[column]`` and stores plain str."""
    allowed = {
        column: frozenset(str(value) for value in values) for column, values in choices.items()
    }

    def validate(_row: object, key: str, value: str) -> str:
        if value not in allowed[key]:
            raise ValueError(f"{key} {value!r} is not one of {', '.join(sorted(allowed[key]))}")
        return str(value)

    return validate


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware, even on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store aware ones converted to UTC."""
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive; convert what PostgreSQL returns to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every row; its metadata is what migrations track."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ReferenceRow(Base):
    """A fitted reference of one model, stored whole as JSON and identified by its hash."""

    __tablename__ = "references"
    __table_args__ = (UniqueConstraint("model", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    content_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDict)

    _utc = validates("created_at")(_validate_utc)


class WindowRow(Base):
    """One closed window of traffic; the payload is a serialised WindowProfile."""

    __tablename__ = "windows"
    # (model, start) serves every lookup by model, so model needs no index of its own; the
    # partial index holds only the backlog workers claim from (0010), however many are stored.
    __table_args__ = (
        Index("ix_windows_model_start", "model", "start"),
        Index(
            "ix_windows_unevaluated",
            "start",
            "id",
            postgresql_where=text("evaluated_at IS NULL"),
            sqlite_where=text("evaluated_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    n_rows: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The monitors' per-column results as stored with the window (0008; None before).
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)
    #: The few numbers a time series reads off the payload (0011; None before).
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)

    _utc = validates("start", "end", "created_at", "evaluated_at")(_validate_utc)


class SignalRow(Base):
    """One stored :class:`redline.domain.Signal`."""

    __tablename__ = "signals"
    # A model's newest signals, read by the dashboard's model page (0006).
    __table_args__ = (Index("ix_signals_model_created_at", "model", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    window_id: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("windows.id", ondelete="SET NULL"), nullable=True, index=True
    )
    monitor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(200))
    column: Mapped[str | None] = mapped_column(String(500), nullable=True)
    statistic: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(1000), index=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    n_rows: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # "monitor" for redline's own monitors; "alertmanager", "pagerduty", "person", ... otherwise.
    source: Mapped[str] = mapped_column(String(100), default="monitor", server_default="monitor")
    status: Mapped[str] = mapped_column(String(16), default="firing", server_default="firing")

    _utc = validates("window_start", "window_end", "created_at")(_validate_utc)
    _choices = validates("status")(choice_validator({"status": SIGNAL_STATUSES}))

    @classmethod
    def from_signal(
        cls,
        signal: Signal,
        *,
        window_id: str | None,
        source: str = "monitor",
        status: str = "firing",
    ) -> SignalRow:
        """A new row holding ``signal``, which must name its model."""
        if signal.model is None:
            raise ValueError(f"signal {signal.fingerprint!r} names no model")
        return cls(
            model=signal.model,
            window_id=window_id,
            monitor=signal.monitor,
            kind=signal.kind,
            column=signal.column,
            statistic=signal.statistic,
            value=float(signal.value),
            threshold=float(signal.threshold),
            level=Level(signal.level).value,
            fingerprint=signal.fingerprint,
            window_start=signal.window_start,
            window_end=signal.window_end,
            n_rows=signal.n_rows,
            evidence=dict(signal.evidence),
            source=source,
            status=status,
        )

    def to_signal(self) -> Signal:
        """The domain signal this row holds."""
        return Signal(
            monitor=self.monitor,
            kind=self.kind,
            column=self.column,
            statistic=self.statistic,
            value=self.value,
            threshold=self.threshold,
            level=Level(self.level),
            window_start=self.window_start,
            window_end=self.window_end,
            n_rows=self.n_rows,
            model=self.model,
            evidence=dict(self.evidence),
        )
