"""Errors as RFC 9457 problem JSON with a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException

from storewire.errors import StorewireError
from storewire.observability.audit import AuditLog

__all__ = ["install_problem_handlers", "problem"]

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_HTTP_CODES = {
    400: "bad_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
}


def problem(status: int, code: str, detail: str, instance: str = "", **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://storewire.dev/problems/{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_AUDITED = {401: "auth.failed", 403: "access.denied"}
"""Refused requests that the audit log keeps (DESIGN §6), by status."""


def install_problem_handlers(app: FastAPI) -> None:
    async def storewire_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StorewireError)
        if exc.status in _AUDITED and exc.code != "auth_required":  # no credentials is no failure
            audit: AuditLog = request.app.state.node.audit
            client = request.client.host if request.client else None
            audit.record(
                _AUDITED[exc.status],
                target=f"{request.method} {request.url.path}",
                remote_addr=client,
                code=exc.code,
            )
        return problem(exc.status, exc.code, exc.message, request.url.path, **exc.extra)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
            for error in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:3])
        return problem(422, "invalid_payload", detail or "invalid request", request.url.path, errors=errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail), request.url.path)

    async def data_error(request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value the API let through (a NUL byte, a number out of range):
        # DataError, or SQLSTATE class 22 ("data exception") where the driver reports no finer type.
        assert isinstance(exc, DBAPIError)
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")
        if not isinstance(exc, DataError) and not sqlstate.startswith("22"):
            return await unexpected(request, exc)
        logger.info("database refused a value on %s: %s", request.url.path, type(exc.orig).__name__)
        return problem(422, "invalid_payload", "a value in this request cannot be stored", request.url.path)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "the server failed to handle this request", request.url.path)

    app.add_exception_handler(StorewireError, storewire_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DBAPIError, data_error)
    app.add_exception_handler(Exception, unexpected)
