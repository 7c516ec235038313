"""One mapping from redline's errors to HTTP answers: ``{"detail": message}``, never a 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from redline.api.schemas_read import ErrorRead
from redline.domain import TransitionError
from redline.errors import RedlineError, StoreBusyError, StoreError
from redline.services.acknowledge import AcknowledgeError
from redline.services.catalog import ReferenceNotFoundError, UnknownModelError
from redline.services.incidents import IncidentNotFoundError
from redline.services.records import (
    ActionKeyConflictError,
    ActionNotFoundError,
    VersionConflictError,
)
from redline.services.restore import RestoreError
from redline.services.store_access import StaleChainError, StaleRevisionError
from redline.services.tokens import TokenNotFoundError

__all__ = ["ERROR_RESPONSES", "RETRY_AFTER_S", "STATUS_OF", "install_error_handlers", "status_of"]

log = logging.getLogger("redline.api")

#: HTTP status per error class; the most specific class in an error's MRO wins.
STATUS_OF: dict[type[BaseException], int] = {
    RedlineError: 400,
    StoreError: 503,  # the store cannot be reached: retry later
    StaleRevisionError: 409,
    StaleChainError: 409,
    TransitionError: 409,
    RestoreError: 409,
    AcknowledgeError: 409,
    IncidentNotFoundError: 404,
    UnknownModelError: 404,
    ReferenceNotFoundError: 404,
    TokenNotFoundError: 404,
    ActionNotFoundError: 404,
    ActionKeyConflictError: 409,
    VersionConflictError: 409,
}

#: ``Retry-After`` seconds on a 503: a busy SQLite lock frees quickly, an absent store less so.
RETRY_AFTER_S: dict[type[BaseException], int] = {StoreBusyError: 1, StoreError: 5}

#: The error answers every route documents (FastAPI documents 422 itself).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorRead, "description": text}
    for code, text in {
        400: "Refused: the message says what to fix.",
        401: "No API token, or an unknown or revoked one.",
        403: "The token's role does not allow this.",
        404: "No such incident, model, action, token or item.",
        409: "Conflicts with the current state (transition, revision).",
        413: "The request body is too large.",
        503: "The store cannot be reached; retry later.",
    }.items()
}


def status_of(exc: BaseException) -> int:
    """The HTTP status for a redline error."""
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


async def _redline_error(request: Request, exc: Exception) -> JSONResponse:
    code = status_of(exc)
    headers = {}
    if code >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        retry = next((RETRY_AFTER_S[c] for c in type(exc).__mro__ if c in RETRY_AFTER_S), None)
        headers = {} if retry is None else {"Retry-After": str(retry)}
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    # Without the offending input: it may hold NaN or bytes that JSON cannot carry back.
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error; the server log has the details"}, 500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RedlineError, _redline_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
