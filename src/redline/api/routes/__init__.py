"""One router per resource, all mounted under ``/api/v1`` except health and metrics."""

from __future__ import annotations

from fastapi import APIRouter

from redline.api.routes import (
    actions,
    audit,
    environments,
    forensics,
    health,
    incidents,
    metrics,
    models,
    notifications,
    postmortems,
    receivers,
    registry,
    reviews,
    route_state,
    series,
    signals,
    snapshots,
    snoozes,
    tokens,
    windows,
)

__all__ = ["API_PREFIX", "ROOT_ROUTERS", "VERSIONED_ROUTERS"]

API_PREFIX = "/api/v1"
VERSIONED_ROUTERS: tuple[APIRouter, ...] = (
    models.router,
    series.router,
    registry.router,
    windows.router,
    environments.router,
    route_state.router,
    signals.router,
    incidents.router,
    forensics.router,
    snapshots.router,
    actions.router,
    reviews.router,
    receivers.router,
    snoozes.router,
    notifications.router,
    audit.router,
    postmortems.router,
    tokens.router,
)
ROOT_ROUTERS: tuple[APIRouter, ...] = (health.router, metrics.router)
