"""``/admin/live-users`` and ``/admin/connections`` (who is online, from this node's gateway) and
``/admin/audit`` (the audit log)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from storewire.commerce.web import CurrentPrincipal
from storewire.errors import Forbidden
from storewire.observability.audit import AuditLog, AuditPage
from storewire.realtime.ephemeral import LiveUsers
from storewire.realtime.policy import Principal, Role

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])


def _admin_only(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("only admins see this")


@router.get("/live-users")
async def live_users(
    request: Request, principal: CurrentPrincipal, limit: int = Query(500, ge=1, le=5000)
) -> LiveUsers:
    """Signed-in users with their connection count and the pages they are on (``page:navigate``)."""
    _admin_only(principal)
    snapshot: LiveUsers = request.app.state.node.gateway.people.live_users.snapshot(limit)
    return snapshot


@router.get("/connections")
async def connections(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Every signed-in socket of this node, and the node's totals."""
    _admin_only(principal)
    gateway = request.app.state.node.gateway
    seats: list[dict[str, Any]] = gateway.people.live_users.connections()
    return {"total": len(gateway.connections), "signed_in": len(seats), "connections": seats}


@router.get("/audit")
async def audit(
    request: Request,
    principal: CurrentPrincipal,
    limit: int = Query(50, ge=1, le=500),
    kind: str | None = Query(None, max_length=80, description="only entries whose type starts with this"),
    before: str | None = Query(None, max_length=40, description="a next_cursor: entries older than it"),
) -> AuditPage:
    """The audit log, newest first: auth failures, refused connections and joins, denied requests,
    sensitive events (payments, refunds, payment settings, announcements) and admin actions."""
    _admin_only(principal)
    log: AuditLog = request.app.state.node.audit
    return await log.recent(limit=limit, kind=kind, before=before)
