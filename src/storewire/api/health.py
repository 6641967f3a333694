"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, Any] | JSONResponse:
    """The node can serve: the database answers and the relay runs."""
    node = request.app.state.node
    checks: dict[str, bool] = {"relay": node.relay.running}
    try:
        async with node.db.reading() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    body = {"status": "ok" if all(checks.values()) else "unavailable", "checks": checks}
    return body if all(checks.values()) else JSONResponse(body, status_code=503)
