"""``GET /metrics``: the node's Prometheus metrics (text exposition format)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from storewire.errors import AuthError
from storewire.node import Node
from storewire.observability.metrics import NodeReadings, build_registry

__all__ = ["metrics_router"]


def metrics_router(node: Node) -> APIRouter:
    """The route serving ``node``'s metrics; scrapes read counters the node keeps anyway."""
    gateway = node.gateway
    registry = build_registry(
        NodeReadings(
            gateway=gateway.stats,
            active_connections=lambda: len(gateway.connections),
            relay_published_seq=lambda: node.relay.published_seq,
            resume_outcomes=gateway.resumer.outcomes,
            audit=node.audit,
        )
    )
    router = APIRouter()

    token = node.settings.metrics_token

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if token is not None and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            raise AuthError(
                "GET /metrics wants the metrics token (STOREWIRE_METRICS_TOKEN)", code="auth_invalid"
            )
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
