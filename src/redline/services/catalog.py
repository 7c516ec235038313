"""What the store knows about models: their names, current route, reference and latest window."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain import RouteState
from redline.domain.containment import departures
from redline.domain.health import ReviewSla, model_health
from redline.errors import DataError, RedlineError
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.chains import record_audit
from redline.services.review import oldest_pending_review_in
from redline.services.routes import current_route
from redline.services.view_types import View
from redline.store import (
    Session,
    Store,
    add_reference,
    get_current_deployment,
    get_latest_reference,
    get_latest_window,
    list_incidents,
    list_model_names,
)

__all__ = [
    "ModelSummary",
    "ReferenceNotFoundError",
    "UnknownModelError",
    "get_model",
    "get_reference",
    "list_models",
    "load_reference_of",
    "parse_reference",
    "reference_in",
    "save_reference",
]

#: More open incidents than one model ever has: the summary counts them all.
_ALL = 1_000_000
#: Parsed references by content sha256 (most recently used last), shared by every request.
_PARSED: OrderedDict[str, Reference] = OrderedDict()
_PARSED_MAX = 32
_PARSED_LOCK = threading.Lock()


class UnknownModelError(RedlineError):
    """No window, route, version, reference or incident names this model."""


class ReferenceNotFoundError(RedlineError):
    """The model has no stored reference."""


@dataclass(frozen=True, slots=True)
class ModelSummary(View):
    """One model: the route it obeys, what serves, its reference and its latest window."""

    name: str
    route: RouteState
    production_version: str | None
    reference_hash: str | None
    last_window_start: datetime | None
    last_window_end: datetime | None
    last_window_rows: int | None
    open_incidents: int
    #: Every reason to look at the model (``domain.health``), empty when healthy.
    health: tuple[str, ...] = ()

    computed = ("departures", "degraded", "healthy")

    @property
    def healthy(self) -> bool:
        """On its primary route, no open incident, windows arriving, no review overdue."""
        return not self.health

    @property
    def departures(self) -> tuple[str, ...]:
        """How its route departs from the primary (fallback, review, filters...); empty if none."""
        return departures(self.route)

    @property
    def degraded(self) -> bool:
        """Off its primary route, whatever the open incidents say."""
        return bool(self.departures)


def _summary(session: Session, model: str, now: datetime, sla: ReviewSla) -> ModelSummary:
    deployed = get_current_deployment(session, model=model)
    reference = get_latest_reference(session, model=model)
    window = get_latest_window(session, model=model)
    route = current_route(session, model=model)
    open_incidents = len(list_incidents(session, model=model, open_only=True, limit=_ALL))
    health = model_health(
        departures=departures(route),
        open_incidents=open_incidents,
        last_window=None if window is None else (window.start, window.end),
        now=now,
        oldest_review=oldest_pending_review_in(session, model=model),
        review_sla_s=sla.limit_s(model),
    )
    return ModelSummary(
        name=model,
        route=route,
        production_version=None if deployed is None else deployed.version,
        reference_hash=None if reference is None else reference.content_hash,
        last_window_start=None if window is None else window.start,
        last_window_end=None if window is None else window.end,
        last_window_rows=None if window is None else window.n_rows,
        open_incidents=open_incidents,
        health=health.reasons,
    )


def list_models(
    store: Store, *, now: datetime | None = None, review_sla: ReviewSla | None = None
) -> list[ModelSummary]:
    """Every model the store has seen, by name, with its health at ``now`` (default: now);
    ``review_sla``: the playbook's (default: a day for every model)."""
    at, sla = now or datetime.now(UTC), review_sla or ReviewSla()
    with store.reading() as session:
        return [_summary(session, name, at, sla) for name in list_model_names(session)]


def get_model(
    store: Store, *, model: str, now: datetime | None = None, review_sla: ReviewSla | None = None
) -> ModelSummary:
    """One model's summary; raises UnknownModelError if the store never saw it."""
    with store.reading() as session:
        if model not in list_model_names(session):
            raise UnknownModelError(f"no model {model!r}; GET /api/v1/models lists them")
        return _summary(session, model, now or datetime.now(UTC), review_sla or ReviewSla())


def parse_reference(body: Mapping[str, Any]) -> Reference:
    """A reference from its JSON body, or from a saved file's envelope (its sha256 checked)."""
    inner = body.get("reference") if "format" in body else body
    try:
        if not isinstance(inner, dict):
            raise TypeError("the envelope holds no 'reference' object")
        reference = Reference.from_dict(inner)
        if "sha256" in body and body["sha256"] != reference.content_hash:
            raise ValueError("the body does not match the envelope's sha256")
        # A reference every window can be profiled on, so ingest and metrics can use it.
        WindowProfile.empty(reference).to_dict()
    except Exception as exc:  # any malformed body is the caller's to fix, never a crash
        raise DataError(f"not a redline reference: {exc!r}") from exc
    return reference


def save_reference(
    store: Store, *, model: str, body: Mapping[str, Any], actor: str, now: datetime | None = None
) -> Reference:
    """Store ``body`` as the reference of ``model`` (the same content again is a no-op)."""
    reference = parse_reference(body)
    at = now or datetime.now(UTC)
    digest = reference.content_hash
    with store.session() as session:
        add_reference(session, model=model, content_hash=digest, payload=reference.to_dict())
        details = {"model": model, "content_hash": digest, "columns": len(reference.columns)}
        record_audit(
            session,
            at=at,
            actor=actor,
            action="reference_saved",
            target=f"model:{model}",
            details=details,
        )
    return reference


def reference_in(session: Session, *, model: str) -> Reference | None:
    """The reference stored last for ``model``, or None; parsed once per content hash."""
    row = get_latest_reference(session, model=model)
    if row is None:
        return None
    # Keyed by the stored sha256, so a newly stored reference is a miss: nothing to invalidate.
    with _PARSED_LOCK:
        parsed = _PARSED.get(row.content_hash)
        if parsed is not None:
            _PARSED.move_to_end(row.content_hash)
            return parsed
    parsed = Reference.from_dict(row.payload)
    with _PARSED_LOCK:
        _PARSED[row.content_hash] = parsed
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return parsed


def load_reference_of(store: Store, *, model: str) -> Reference | None:
    """The reference stored last for ``model``, or None."""
    with store.reading() as session:
        return reference_in(session, model=model)


def get_reference(store: Store, *, model: str) -> tuple[str, dict[str, Any]]:
    """(content hash, body) of the reference stored last for ``model``."""
    with store.reading() as session:
        row = get_latest_reference(session, model=model)
        if row is None:
            raise ReferenceNotFoundError(
                f"model {model!r} has no reference; PUT /api/v1/models/{model}/reference stores one"
            )
        return row.content_hash, dict(row.payload)
