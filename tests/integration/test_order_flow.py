"""The order state machine over REST, and each of its events reaching exactly its rooms.

Every event is checked on five real sockets: the buyer (``user:{buyer}``), the seller
(``user:{seller}``), the seller's kitchen staff (``kitchen:{seller}``), an admin that joined only the
order's room (``order:{id}``), and another buyer who must get nothing. A ``Fence`` proves that
"exactly once" and "nothing" are final, without waiting on a clock.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Api, Crew, OrderAudience, ServerProcess, assert_problem, make_crew, place, stock_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(api: Api, path: str, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await api.http.post(path, headers=headers(token), json=body)


async def test_every_forward_step_reaches_exactly_its_rooms(
    server: ServerProcess, api: Api, crew: Crew, transports: list[str]
) -> None:
    buyer, _, order_id = await place(api, crew)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, transports)
    try:
        steps = ["confirmed", "preparing", "ready", "shipped", "delivered"]
        for step in steps:
            body = {"status": step, **({"tracking_number": "TRACK-1"} if step == "shipped" else {})}
            moved = await post(api, f"/orders/{order_id}/status", crew.seller.token, body)
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == step
        events = await audience.expect("order:status_changed", len(steps))
        assert [e["data"]["status"] for e in events] == steps
        assert [e["data"]["previous_status"] for e in events] == ["pending", *steps[:-1]]
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert events[-1]["data"]["tracking_number"] == "TRACK-1"
        (fulfillment,) = await audience.expect("order:fulfillment_updated")
        assert fulfillment["data"]["status"] == "shipped"
        assert fulfillment["data"]["tracking_number"] == "TRACK-1"
        assert fulfillment["data"]["carrier"] is None
    finally:
        await audience.close()


async def test_illegal_moves_get_typed_errors_and_emit_nothing(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, _, order_id = await place(api, crew)
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    path = f"/orders/{order_id}/status"
    try:
        skipped = await post(api, path, crew.staff_token, {"status": "ready"})  # staff; steps may be skipped
        assert skipped.status_code == 200 and skipped.json()["status"] == "ready", skipped.text
        for status in ("confirmed", "preparing", "ready"):  # backwards or standing still
            assert_problem(
                await post(api, path, crew.seller.token, {"status": status}), 409, "invalid_transition"
            )
        assert_problem(await post(api, path, buyer.token, {"status": "shipped"}), 403, "forbidden")
        assert_problem(await post(api, path, crew.admin_token, {"status": "shipped"}), 403, "forbidden")
        outsider = await api.register("buyer")
        assert_problem(await post(api, path, outsider.token, {"status": "shipped"}), 404, "not_found")
        for status in ("lost", "pending", "cancelled", "refunded"):  # not a forward status at all
            assert_problem(
                await post(api, path, crew.seller.token, {"status": status}), 422, "invalid_payload"
            )
        tracked_early = {"status": "shipped", "tracking_number": "T", "eta": "soon"}
        assert_problem(await post(api, path, crew.seller.token, tracked_early), 422, "invalid_payload")
        unknown = await post(api, "/orders/ord_nope/status", crew.seller.token, {"status": "shipped"})
        assert_problem(unknown, 404, "not_found")
        (event,) = await audience.expect("order:status_changed")
        assert event["data"]["previous_status"] == "pending" and event["data"]["status"] == "ready"
        assert audience.of(audience.buyer, "order:fulfillment_updated") == []

        # A tracking number belongs to shipping; a cancelled order moves no more.
        other_buyer, _, other_id = await place(api, crew)
        early = {"status": "confirmed", "tracking_number": "T-0"}
        assert_problem(
            await post(api, f"/orders/{other_id}/status", crew.seller.token, early), 422, "invalid_payload"
        )
        assert (await post(api, f"/orders/{other_id}/cancel", other_buyer.token)).status_code == 200
        dead = await post(api, f"/orders/{other_id}/status", crew.seller.token, {"status": "confirmed"})
        assert_problem(dead, 409, "invalid_transition")
    finally:
        await audience.close()


async def test_the_buyer_cancels_a_pending_order_and_its_stock_comes_back(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    assert await stock_of(api, crew.seller, product) == 3
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        cancelled = await post(api, f"/orders/{order_id}/cancel", buyer.token, {"reason": "changed my mind"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["cancel_reason"] == "changed my mind"
        assert cancelled.json()["payment_status"] == "unpaid"
        assert await stock_of(api, crew.seller, product) == 5
        (event,) = await audience.expect("order:cancelled")
        assert event["data"]["status"] == "cancelled"
        assert event["data"]["previous_status"] == "pending"
        assert event["data"]["reason"] == "changed my mind"
        assert event["data"]["cancelled_by"] == "buyer"
        # The stock events are the products module's, to the seller (not to the buyer's sockets).
        changed = await audience.seller.wait_for_match(
            "product:stock_changed",
            lambda e: e["data"]["variant_id"] == product["variants"][0]["id"] and e["data"]["stock"] == 5,
        )
        assert changed["data"]["previous_stock"] == 3
        again = await post(api, f"/orders/{order_id}/cancel", buyer.token)
        assert_problem(again, 409, "invalid_transition")
        assert await stock_of(api, crew.seller, product) == 5  # given back once
        await audience.expect("order:cancelled")
    finally:
        await audience.close()


async def test_cancel_rules_per_role(api: Api, crew: Crew) -> None:
    # The buyer only while pending.
    buyer, product, order_id = await place(api, crew)
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "confirmed"})
    ).status_code == 200
    assert_problem(await post(api, f"/orders/{order_id}/cancel", buyer.token), 409, "invalid_transition")
    outsider = await api.register("buyer")
    assert_problem(await post(api, f"/orders/{order_id}/cancel", outsider.token), 404, "not_found")
    extra = await post(api, f"/orders/{order_id}/cancel", buyer.token, {"reason": "x", "refund": True})
    assert_problem(extra, 422, "invalid_payload")
    # Staff, the seller and admins before shipping.
    staff = await post(api, f"/orders/{order_id}/cancel", crew.staff_token, {"reason": "out of beans"})
    assert staff.status_code == 200 and staff.json()["status"] == "cancelled", staff.text
    assert await stock_of(api, crew.seller, product) == 5

    for canceller, step in ((crew.seller.token, "ready"), (crew.admin_token, "preparing")):
        _, product, order_id = await place(api, crew)
        assert (
            await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": step})
        ).status_code == 200
        done = await post(api, f"/orders/{order_id}/cancel", canceller)
        assert done.status_code == 200 and done.json()["status"] == "cancelled", done.text
        assert await stock_of(api, crew.seller, product) == 5

    # Nobody from shipped on; the units stay sold.
    buyer, product, order_id = await place(api, crew)
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "shipped"})
    ).status_code == 200
    for token in (crew.seller.token, crew.staff_token, crew.admin_token, buyer.token):
        assert_problem(await post(api, f"/orders/{order_id}/cancel", token), 409, "invalid_transition")
    assert await stock_of(api, crew.seller, product) == 3


async def test_a_paid_order_is_refunded_not_cancelled(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    paid = await post(api, f"/dev/payments/{order_id}", buyer.token, {"outcome": "succeeded"})
    assert paid.status_code == 200 and paid.json()["order"]["payment_status"] == "paid", paid.text
    assert (
        await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "confirmed"})
    ).status_code == 200
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        for token in (buyer.token, crew.seller.token, crew.staff_token, crew.admin_token):
            assert_problem(await post(api, f"/orders/{order_id}/cancel", token), 409, "refund_required")
        # Refunds are the seller's or an admin's, never staff's or the buyer's.
        assert_problem(await post(api, f"/orders/{order_id}/refund", crew.staff_token), 403, "forbidden")
        assert_problem(await post(api, f"/orders/{order_id}/refund", buyer.token), 403, "forbidden")
        refunded = await post(api, f"/orders/{order_id}/refund", crew.seller.token)
        assert refunded.status_code == 200, refunded.text
        assert refunded.json()["status"] == "refunded"
        assert refunded.json()["payment_status"] == "refunded"
        assert await stock_of(api, crew.seller, product) == 5
        (event,) = await audience.expect("order:refunded")
        assert event["data"]["previous_status"] == "confirmed"
        assert event["data"]["stock_returned"] is True
        assert event["data"]["payment_status"] == "refunded"
        assert audience.of(audience.buyer, "order:cancelled") == []
        assert_problem(await post(api, f"/orders/{order_id}/refund", crew.seller.token), 409, "not_paid")
        assert await stock_of(api, crew.seller, product) == 5
    finally:
        await audience.close()


async def test_refund_after_shipping_keeps_the_units_sold(api: Api, crew: Crew) -> None:
    buyer, product, order_id = await place(api, crew, stock=5, quantity=2)
    assert_problem(await post(api, f"/orders/{order_id}/refund", crew.seller.token), 409, "not_paid")
    assert (
        await post(api, f"/dev/payments/{order_id}", buyer.token, {"outcome": "succeeded"})
    ).status_code == 200
    shipped = {"status": "shipped", "tracking_number": "TR-9"}
    assert (await post(api, f"/orders/{order_id}/status", crew.seller.token, shipped)).status_code == 200
    refunded = await post(api, f"/orders/{order_id}/refund", crew.admin_token)
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded", refunded.text
    assert await stock_of(api, crew.seller, product) == 3


async def test_fulfillment_updates_after_shipping(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, _, order_id = await place(api, crew)
    path = f"/orders/{order_id}/fulfillment"
    audience = await OrderAudience.open(server, api, crew, buyer, order_id, ["websocket"])
    try:
        assert_problem(
            await post(api, path, crew.seller.token, {"tracking_number": "T-1"}), 409, "not_shipped"
        )
        assert (
            await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "shipped"})
        ).status_code == 200
        assert_problem(await post(api, path, buyer.token, {"tracking_number": "T-1"}), 403, "forbidden")
        assert_problem(await post(api, path, crew.seller.token, {"carrier": "DHL"}), 422, "invalid_payload")
        assert_problem(
            await post(api, path, crew.seller.token, {"tracking_number": ""}), 422, "invalid_payload"
        )

        first = await post(api, path, crew.staff_token, {"tracking_number": "T-1", "carrier": "DHL"})
        assert first.status_code == 200, first.text
        assert (first.json()["tracking_number"], first.json()["carrier"]) == ("T-1", "DHL")
        same = await post(api, path, crew.seller.token, {"tracking_number": "T-1"})  # carrier kept, no change
        assert same.status_code == 200 and same.json()["carrier"] == "DHL", same.text
        (event,) = await audience.expect("order:fulfillment_updated")
        assert (event["data"]["tracking_number"], event["data"]["carrier"]) == ("T-1", "DHL")

        changed = await post(api, path, crew.seller.token, {"tracking_number": "T-2", "carrier": "UPS"})
        assert changed.status_code == 200, changed.text
        events = await audience.expect("order:fulfillment_updated", 2)
        assert (events[1]["data"]["tracking_number"], events[1]["data"]["carrier"]) == ("T-2", "UPS")
        got = await api.http.get(f"/orders/{order_id}", headers=buyer.headers)
        assert (got.json()["tracking_number"], got.json()["carrier"]) == ("T-2", "UPS")

        # Delivered orders may still have their tracking corrected; the status event carries it.
        delivered = await post(api, f"/orders/{order_id}/status", crew.seller.token, {"status": "delivered"})
        assert delivered.json()["tracking_number"] == "T-2"
        assert (await post(api, path, crew.seller.token, {"tracking_number": "T-3"})).status_code == 200
        await audience.expect("order:fulfillment_updated", 3)
    finally:
        await audience.close()
