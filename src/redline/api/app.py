"""The FastAPI application: ``create_app(settings, store=...)``; ``factory`` for uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from redline import __version__
from redline.api import dashboard
from redline.api.context import ApiContext
from redline.api.errors import install_error_handlers
from redline.api.limits import RequestLimits
from redline.api.routes import API_PREFIX, ROOT_ROUTERS, VERSIONED_ROUTERS
from redline.api.shutdown import AnswerCancelled
from redline.services.metrics import StoreCollector
from redline.services.response import ResponsePlan, load_response_plan
from redline.services.store_access import Store, open_store
from redline.services.tokens import TokenTouches
from redline.settings import Settings, get_settings

__all__ = ["create_app", "factory"]

#: How long a stopping app waits for the queued token uses to be written.
TOUCHES_CLOSE_S = 1.0

DESCRIPTION = (
    "Incident response for ML models: ingest windows from remote Guards, follow signals and "
    "incidents, contain them (actions change the RouteState Guards obey), work the review "
    "queue. Every endpoint but `/healthz` needs `Authorization: Bearer <token>`; roles are "
    "viewer (read), responder (act on incidents), admin (tokens, references, registry)."
)


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    plan: ResponsePlan | None = None,
) -> FastAPI:
    """A new app on ``store`` (or on ``settings.store.url``, migrated, closed on shutdown).

    Windows, their labels and alert receivers are responded to with ``plan``, else with the
    playbook of ``settings.api.playbook`` (PlaybookError before anything opens), else with
    the built-in policy.
    """
    chosen = settings if settings is not None else get_settings()
    response = plan if plan is not None else load_response_plan(chosen.api.playbook)
    owned = store is None
    opened = open_store(chosen.store.url) if store is None else store
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(opened, review_sla=response.review_sla))
    context = ApiContext(settings=chosen, store=opened, metrics=registry, plan=response)
    context.touches = TokenTouches(opened)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context.routes.bind(asyncio.get_running_loop())
        try:
            yield
        finally:
            if context.touches is not None:  # best effort: a silent store must not hold a stop
                context.touches.close(timeout_s=TOUCHES_CLOSE_S)
            if owned:
                opened.dispose()

    app = FastAPI(
        title="redline",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.redline = context
    install_error_handlers(app)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    for router in VERSIONED_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.router.routes.append(dashboard.mount())  # last: every API path matches first
    app.add_middleware(RequestLimits, max_body_bytes=chosen.api.max_body_bytes)
    app.add_middleware(AnswerCancelled)  # outermost: a request cut by a shutdown gets a 503
    return app


def factory() -> FastAPI:
    """The app for ``uvicorn --factory redline.api.app:factory`` (settings from the environment)."""
    return create_app()
