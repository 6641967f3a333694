"""Stripe webhooks against a real server: signed exactly as Stripe signs, applied exactly once.

The server runs with its own webhook secret; every delivery is signed here with Stripe's scheme
(``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``), computed in the test, not with the server's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_server
from tests.postgres import postgres_cluster
from tests.support import Api, Crew, OrderAudience, ServerProcess, assert_problem, make_crew, place, stock_of

pytestmark = pytest.mark.integration

SECRET = "whsec_test_" + secrets.token_hex(16)

OUTCOMES = {
    "succeeded": ("payment_intent.succeeded", "order:payment_succeeded"),
    "failed": ("payment_intent.payment_failed", "order:payment_failed"),
    "canceled": ("payment_intent.canceled", "order:payment_canceled"),
    "refunded": ("charge.refunded", "order:refunded"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's server knows its own webhook secret (overrides the default ``server``)."""
    proc = start_server(tmp_path_factory.mktemp("payments"), STOREWIRE_STRIPE_WEBHOOK_SECRET=SECRET)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


def stripe_event(
    order_id: str | None, kind: str, *, amount: int = 2500, event_id: str | None = None
) -> dict[str, Any]:
    """A Stripe Event JSON as Stripe sends it for an order's payment intent (or charge)."""
    metadata = {"order_id": order_id} if order_id else {}
    if kind == "charge.refunded":
        obj: dict[str, Any] = {
            "id": "ch_" + secrets.token_hex(8),
            "object": "charge",
            "amount": amount,
            "amount_refunded": amount,
            "refunded": True,
            "currency": "eur",
            "payment_intent": "pi_test",
            "metadata": metadata,
        }
    else:
        obj = {
            "id": "pi_" + secrets.token_hex(8),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount if kind == "payment_intent.succeeded" else 0,
            "currency": "eur",
            "metadata": metadata,
        }
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }


def signature(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


async def deliver(
    http: httpx.AsyncClient, event: dict[str, Any] | bytes, signed: str | None = "", **sign: Any
) -> httpx.Response:
    """POST a Stripe delivery; ``signed`` overrides the header (None: no header at all)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = signature(body, **sign) if signed == "" else signed
    headers = {"Content-Type": "application/json", **({"Stripe-Signature": header} if header else {})}
    return await http.post("/webhooks/stripe", content=body, headers=headers)


async def deliver_twenty_at_once(http: httpx.AsyncClient, order_id: str) -> None:
    """Twenty concurrent deliveries of one failed-payment event: one applies it, the others are duplicates."""
    body = json.dumps(stripe_event(order_id, "payment_intent.payment_failed")).encode()
    header = signature(body)
    answers = await asyncio.gather(*(deliver(http, body, signed=header) for _ in range(20)))
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    results = sorted(a.json()["result"] for a in answers)
    assert results == ["applied"] + ["duplicate"] * 19, results


async def order_of(api: Api, crew: Crew, order_id: str) -> dict[str, Any]:
    response = await api.http.get(f"/orders/{order_id}", headers=crew.seller.headers)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


@pytest.mark.parametrize("outcome", list(OUTCOMES))
async def test_each_outcome_reaches_exactly_its_rooms(
    server: ServerProcess, api: Api, crew: Crew, outcome: str
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    if outcome == "refunded":
        paid = await deliver(api.http, stripe_event(order_id, "payment_intent.succeeded"))
        assert paid.status_code == 200 and paid.json()["result"] == "applied", paid.text
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        kind, name = OUTCOMES[outcome]
        event = stripe_event(order_id, kind)
        answer = await deliver(api.http, event)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "received": True,
            "event_id": event["id"],
            "type": kind,
            "result": "applied",
            "reason": None,
        }
        (envelope,) = await audience.expect(name)
        data = envelope["data"]
        expected = {
            "succeeded": ("pending", "paid", 3),
            "failed": ("cancelled", "failed", 5),
            "canceled": ("cancelled", "canceled", 5),
            "refunded": ("refunded", "refunded", 5),
        }[outcome]
        assert (data["status"], data["payment_status"]) == expected[:2]
        assert (data["buyer_id"], data["seller_id"], data["total_cents"]) == (buyer.id, crew.seller.id, 2500)
        order = await order_of(api, crew, order_id)
        assert (order["status"], order["payment_status"]) == expected[:2]
        assert await stock_of(api, crew.seller, product) == expected[2]
        # One change, one event: a failed payment is not also an order:cancelled.
        assert audience.of(audience.buyer, "order:cancelled") == []
    finally:
        await audience.close()


async def test_bad_signatures_are_400_and_change_nothing(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        event = stripe_event(order_id, "payment_intent.succeeded")
        body = json.dumps(event).encode()
        stale = int(time.time()) - 301 - 60
        tampered = json.dumps({**event, "type": "payment_intent.canceled"}).encode()
        attempts = [
            await deliver(api.http, body, signed=None),  # no header
            await deliver(api.http, body, secret="whsec_wrong"),
            await deliver(api.http, body, signed="garbage"),
            await deliver(api.http, body, signed=f"t={int(time.time())}"),  # no v1
            await deliver(api.http, body, signed=signature(body).replace("v1=", "v0=")),
            await deliver(api.http, tampered, signed=signature(body)),  # body changed after signing
            await deliver(api.http, body, timestamp=stale),  # correctly signed, older than 5 minutes
            await deliver(api.http, b"\xff\xfe not utf-8"),
        ]
        for response in attempts:
            assert_problem(response, 400, "invalid_signature")
        order = await order_of(api, crew, order_id)
        assert (order["status"], order["payment_status"]) == ("pending", "unpaid")
        assert await stock_of(api, crew.seller, product) == 3
        await audience.settle()
        for listener in audience.members:
            assert audience.of(listener, "order:payment_succeeded") == []
            assert audience.of(listener, "order:payment_canceled") == []
        audience.assert_outsider_clean()

        # Nothing was recorded either: the same event, correctly signed, now applies.
        applied = await deliver(api.http, body)
        assert applied.status_code == 200 and applied.json()["result"] == "applied", applied.text
        await audience.expect("order:payment_succeeded")

        # Signed but not a Stripe event: a typed 422, still nothing changed.
        assert_problem(await deliver(api.http, b"{not json"), 422, "invalid_payload")
        assert_problem(await deliver(api.http, b'{"id": "evt_x", "type": "x"}'), 422, "invalid_payload")
    finally:
        await audience.close()


async def test_ignored_events_are_200_and_change_nothing(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew)
    cancelled = await api.http.post(f"/orders/{order_id}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        cases = [
            (stripe_event(order_id, "customer.created"), "unhandled_type"),
            (stripe_event(order_id, "payment_intent.succeeded"), "not_applicable"),  # a cancelled order
            (stripe_event(order_id, "charge.refunded"), "not_applicable"),  # never paid
            (stripe_event("ord_unknown", "payment_intent.succeeded"), "unknown_order"),
            (stripe_event(None, "payment_intent.succeeded"), "no_order"),
        ]
        for event, reason in cases:
            answer = await deliver(api.http, event)
            assert answer.status_code == 200, answer.text
            assert (answer.json()["result"], answer.json()["reason"]) == ("ignored", reason)
        order = await order_of(api, crew, order_id)
        assert (order["status"], order["payment_status"]) == ("cancelled", "unpaid")
        assert await stock_of(api, crew.seller, product) == 5

        # A payment of another amount does not pay the order; a partial refund does not refund it.
        _, _, live_id = await place(api, crew)
        short = await deliver(api.http, stripe_event(live_id, "payment_intent.succeeded", amount=100))
        assert short.json()["reason"] == "amount_mismatch"
        assert (await order_of(api, crew, live_id))["payment_status"] == "unpaid"
        assert (await deliver(api.http, stripe_event(live_id, "payment_intent.succeeded"))).json()[
            "result"
        ] == "applied"
        partial = stripe_event(live_id, "charge.refunded")
        partial["data"]["object"].update(refunded=False, amount_refunded=100)
        assert (await deliver(api.http, partial)).json()["reason"] == "partial_refund"
        assert (await order_of(api, crew, live_id))["payment_status"] == "paid"

        await audience.settle()
        for listener in audience.members:
            assert [
                e for e, d in listener.events if e.startswith("order:") and d["data"]["order_id"] == order_id
            ] == []
        audience.assert_outsider_clean()
    finally:
        await audience.close()


async def test_a_redelivered_event_changes_nothing_and_emits_nothing(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        body = json.dumps(stripe_event(order_id, "payment_intent.payment_failed")).encode()
        first = await deliver(api.http, body)
        assert first.status_code == 200 and first.json()["result"] == "applied", first.text
        # Stripe re-signs a retry with a new timestamp; it is the same event id.
        again = await deliver(api.http, body, timestamp=int(time.time()) - 30)
        assert again.status_code == 200 and again.json()["result"] == "duplicate", again.text
        await audience.expect("order:payment_failed")
        assert await stock_of(api, crew.seller, product) == 5  # given back once, not twice
    finally:
        await audience.close()


async def test_twenty_concurrent_identical_deliveries_apply_once(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        await deliver_twenty_at_once(api.http, order_id)
        await audience.expect("order:payment_failed")
        assert await stock_of(api, crew.seller, product) == 5  # 3 + 2, exactly once
    finally:
        await audience.close()


async def test_twenty_concurrent_identical_deliveries_on_postgresql(tmp_path: Path) -> None:
    with postgres_cluster() as cluster:
        pg_server = start_server(
            tmp_path, STOREWIRE_DATABASE_URL=cluster.url, STOREWIRE_STRIPE_WEBHOOK_SECRET=SECRET
        )
        api = Api(pg_server.url)
        try:
            crew = Crew(await api.register("seller"), "", "")
            for _ in range(3):
                _, product, order_id = await place(api, crew, stock=5, quantity=2)
                await deliver_twenty_at_once(api.http, order_id)
                assert await stock_of(api, crew.seller, product) == 5
                order = await order_of(api, crew, order_id)
                assert (order["status"], order["payment_status"]) == ("cancelled", "failed")
        finally:
            await api.close()
            pg_server.stop()


async def test_dev_payments_sends_a_signed_webhook_to_itself(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    path = f"/dev/payments/{order_id}"
    try:
        outsider = await api.register("buyer")
        refused = await api.http.post(path, headers=outsider.headers, json={"outcome": "succeeded"})
        assert_problem(refused, 404, "not_found")
        anonymous = await api.http.post(path, json={"outcome": "succeeded"})
        assert_problem(anonymous, 401, "auth_required")
        for body in ({"outcome": "paid"}, {"outcome": "succeeded", "amount": 1}, {}):
            assert_problem(
                await api.http.post(path, headers=buyer.headers, json=body), 422, "invalid_payload"
            )

        paid = await api.http.post(path, headers=buyer.headers, json={"outcome": "succeeded"})
        assert paid.status_code == 200, paid.text
        assert paid.json()["result"] == "applied" and paid.json()["type"] == "payment_intent.succeeded"
        assert paid.json()["order"]["payment_status"] == "paid"
        (event,) = await audience.expect("order:payment_succeeded")
        assert event["data"]["payment_status"] == "paid"

        refunded = await api.http.post(path, headers=crew.seller.headers, json={"outcome": "refunded"})
        assert refunded.status_code == 200 and refunded.json()["result"] == "applied", refunded.text
        assert refunded.json()["order"]["status"] == "refunded"
        await audience.expect("order:refunded")
        assert await stock_of(api, crew.seller, product) == 5
    finally:
        await audience.close()


async def test_dev_payments_is_404_in_prod_and_webhooks_still_work(tmp_path: Path) -> None:
    prod = start_server(
        tmp_path,
        STOREWIRE_ENV="prod",
        STOREWIRE_JWT_SECRET="prod-" + secrets.token_hex(24),
        STOREWIRE_STRIPE_WEBHOOK_SECRET=SECRET,
    )
    api = Api(prod.url)
    try:
        buyer = await api.register("buyer")
        for headers in (buyer.headers, {}):
            gone = await api.http.post("/dev/payments/ord_x", headers=headers, json={"outcome": "succeeded"})
            assert_problem(gone, 404, "not_found")
        unhandled = await deliver(api.http, stripe_event(None, "customer.created"))
        assert unhandled.status_code == 200 and unhandled.json()["result"] == "ignored", unhandled.text
        assert_problem(
            await deliver(api.http, stripe_event(None, "customer.created"), secret="whsec_x"),
            400,
            "invalid_signature",
        )
    finally:
        await api.close()
        prod.stop()
