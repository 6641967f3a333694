"""``POST /publish``: the publish API for other backends, authenticated by a service key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from storewire.commerce.publishing.service import PublishBody, Published, PublishingService, ServiceKey
from storewire.commerce.web import service
from storewire.credentials import bearer_token

__all__ = ["router"]

router = APIRouter(tags=["publish"])

Publishing = Annotated[PublishingService, service(PublishingService)]


async def service_key(request: Request, publishing: Publishing) -> ServiceKey:
    """The service key of the request: ``Authorization: Bearer swk_...``, or ``X-Api-Key: swk_...``."""
    token = request.headers.get("x-api-key") or bearer_token(
        None, {"authorization": request.headers.get("authorization", "")}
    )
    return await publishing.authenticate(token)


CurrentKey = Annotated[ServiceKey, Depends(service_key)]


@router.post(
    "/publish",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"model": Published, "description": "A repeat of an idempotency_key: the first answer"}},
)
async def publish(
    body: PublishBody, key: CurrentKey, publishing: Publishing, response: Response
) -> Published:
    """Publish a catalog event from another backend (service key only: a user's token gets 401).

    The event takes the same path as the modules' own: ``data`` is validated against the event's
    payload model (a field it does not declare is refused too: 422 ``invalid_payload``; an unknown
    or ephemeral event is 422 ``unknown_event``), its outbox row commits in one transaction, and the
    relay sequences, logs and delivers it. 202 with the event's id: ``seq`` is assigned on delivery.

    **Rooms.** The catalog decides who may hear an event, here as everywhere. Without ``rooms`` (or
    with ``audience: "catalog"``) the event goes to the catalog's rooms for this payload. ``rooms``
    may only narrow that audience: each must be a valid room name (422 ``invalid_room``) and one of
    the catalog's rooms for this payload (422 ``room_outside_audience``); the event then goes to
    those rooms only. Explicit rooms never widen the audience, so a service key cannot send an
    order's details to a room the order's people are not in.

    **Idempotency.** A repeat of an ``idempotency_key`` by the same key with the same request
    answers 200 with the first answer (header ``Idempotent-Replayed: true``) and emits nothing; the
    same ``idempotency_key`` with a different request is 409 ``idempotency_conflict``.

    **Limits.** The request body limit, ``data`` at most ``STOREWIRE_MAX_CLIENT_PAYLOAD`` bytes as
    JSON (413 ``payload_too_large``), and ``STOREWIRE_PUBLISH_PER_SECOND`` publishes a second per
    key with bursts of ``STOREWIRE_PUBLISH_BURST`` (429 ``rate_limited`` with ``retry_after``).
    """
    published, replayed = await publishing.publish(key, body)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return published
