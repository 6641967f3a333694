"""Wholesale (B2B): invitations by email, wholesale orders at the invitation's terms, deposits.

Every event reaches the seller's and the buyer's ``user:`` rooms once, in one envelope; a bystander
gets nothing (proved by a later event to the bystander itself: delivery is in ``seq`` order).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support import PASSWORD, Api, ServerProcess, User, _user_token, close_all, listen, one_each

pytestmark = pytest.mark.integration


async def invite(api: Api, seller: User, email: str, **terms: Any) -> dict[str, Any]:
    response = await api.http.post(
        "/wholesale/invitations", headers=seller.headers, json={"email": email, **terms}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def accept(api: Api, buyer: User, invitation_id: str, action: str = "accept") -> dict[str, Any]:
    response = await api.http.post(f"/wholesale/invitations/{invitation_id}/{action}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def wholesale_order(api: Api, buyer: User, seller: User, variant_id: str, quantity: int) -> Any:
    return await api.http.post(
        "/wholesale/orders",
        headers=buyer.headers,
        json={"seller_id": seller.id, "items": [{"variant_id": variant_id, "quantity": quantity}]},
    )


async def test_invitation_order_and_deposit_reach_seller_and_buyer_only(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer, bystander = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    product = await api.product(seller, stock=5)
    variant = product["variants"][0]["id"]
    seller_socket = await listen(server.url, seller.token, transports)
    buyer_socket = await listen(server.url, buyer.token, transports)
    bystander_socket = await listen(server.url, bystander.token, transports)
    try:
        sent = await invite(api, seller, buyer.email.upper(), discount_percent=10, message="Trade terms")
        assert sent["email"] == buyer.email and sent["buyer_id"] == buyer.id
        assert (sent["status"], sent["discount_percent"], sent["deposit_percent"]) == ("pending", 10, 30)
        event = await one_each("wholesale:invitation_sent", seller_socket, buyer_socket)
        assert event["data"] == {
            "invitation_id": sent["id"],
            "seller_id": seller.id,
            "buyer_id": buyer.id,
            "status": "pending",
            "discount_percent": 10,
            "deposit_percent": 30,
        }
        assert event["invalidate"] == [["wholesale", "invitations", sent["id"]], ["wholesale", "invitations"]]

        accepted = await accept(api, buyer, sent["id"])
        assert accepted["status"] == "accepted"
        event = await one_each("wholesale:invitation_accepted", seller_socket, buyer_socket)
        assert event["data"]["status"] == "accepted" and event["data"]["buyer_id"] == buyer.id

        # 3 x 12.50 = 37.50, less 10 % = 33.75; a 30 % deposit is 10.125 -> 10.13 (half up).
        placed = await wholesale_order(api, buyer, seller, variant, 3)
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert (order["subtotal_cents"], order["discount_cents"], order["total_cents"]) == (3750, 375, 3375)
        assert (order["deposit_cents"], order["status"]) == (1013, "awaiting_deposit")
        event = await one_each("wholesale:order_placed", seller_socket, buyer_socket)
        assert event["data"] == {
            "order_id": order["id"],
            "seller_id": seller.id,
            "buyer_id": buyer.id,
            "status": "awaiting_deposit",
            "total_cents": 3375,
            "deposit_cents": 1013,
            "currency": "EUR",
        }
        assert event["invalidate"] == [["wholesale", "orders", order["id"]], ["wholesale", "orders"]]

        paid = await api.http.post(f"/wholesale/orders/{order['id']}/deposit", headers=buyer.headers)
        assert paid.status_code == 200, paid.text
        assert paid.json()["status"] == "deposit_paid" and paid.json()["deposit_paid_at"] is not None
        event = await one_each("wholesale:deposit_paid", seller_socket, buyer_socket)
        assert event["data"]["status"] == "deposit_paid"
        again = await api.http.post(f"/wholesale/orders/{order['id']}/deposit", headers=buyer.headers)
        assert again.status_code == 409 and again.json()["code"] == "already_paid"

        # The bystander's own invitation comes after all of the above: it got nothing before it.
        own = await invite(api, seller, bystander.email)
        (fence,) = await bystander_socket.wait_for("wholesale:invitation_sent")
        assert fence["data"]["invitation_id"] == own["id"]
        assert [name for name, _ in bystander_socket.events if name != "notification:created"] == [
            "wholesale:invitation_sent"
        ]
        seen = [e["seq"] for name, e in buyer_socket.events if name.startswith("wholesale:")]
        assert fence["seq"] > max(seen)
        assert [name for name, _ in buyer_socket.events if name != "notification:created"] == [
            "wholesale:invitation_sent",
            "wholesale:invitation_accepted",
            "wholesale:order_placed",
            "wholesale:deposit_paid",
        ]
        # Wholesale orders leave retail stock alone.
        left = (await api.http.get(f"/products/{product['id']}", headers=seller.headers)).json()
        assert left["variants"][0]["stock"] == 5
    finally:
        await close_all(seller_socket, buyer_socket, bystander_socket)


async def test_an_invitee_without_an_account_sees_it_after_registering(
    server: ServerProcess, api: Api
) -> None:
    seller, bystander = await api.register("seller"), await api.register("buyer")
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    bystander_socket = await listen(server.url, bystander.token, ["websocket"])
    try:
        email = f"later-{secrets.token_hex(6)}@example.com"
        sent = await invite(api, seller, email, deposit_percent=50)
        assert sent["buyer_id"] is None
        event = await one_each("wholesale:invitation_sent", seller_socket)
        assert event["data"]["buyer_id"] is None
        assert email not in str(event)  # contact data stays out of events

        created = await api.http.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Later", "role": "buyer"}
        )
        assert created.status_code == 201, created.text
        login = (await api.http.post("/auth/login", json={"email": email, "password": PASSWORD})).json()
        invitee = User(login["user"]["id"], email, "buyer", login["access_token"])
        received = (await api.http.get("/wholesale/invitations", headers=invitee.headers)).json()
        assert [i["id"] for i in received] == [sent["id"]]
        assert (await api.http.get("/wholesale/invitations", headers=bystander.headers)).json() == []
        sent_list = (await api.http.get("/wholesale/invitations", headers=seller.headers)).json()
        assert [i["id"] for i in sent_list] == [sent["id"]]

        invitee_socket = await listen(server.url, invitee.token, ["websocket"])
        try:
            rejected = await accept(api, invitee, sent["id"], "reject")
            assert (rejected["status"], rejected["buyer_id"]) == ("rejected", invitee.id)
            event = await one_each("wholesale:invitation_rejected", seller_socket, invitee_socket)
            assert event["data"]["buyer_id"] == invitee.id
        finally:
            await invitee_socket.close()

        own = await invite(api, seller, bystander.email)
        (fence,) = await bystander_socket.wait_for("wholesale:invitation_sent")
        assert fence["data"]["invitation_id"] == own["id"]
        assert [name for name, _ in bystander_socket.events if name != "notification:created"] == [
            "wholesale:invitation_sent"
        ]
    finally:
        await close_all(seller_socket, bystander_socket)


async def test_invitation_rules(api: Api) -> None:
    seller, other_seller = await api.register("seller"), await api.register("seller")
    buyer, other = await api.register("buyer"), await api.register("buyer")
    for body in (
        {"email": "not-an-email"},
        {"email": buyer.email, "deposit_percent": 101},
        {"email": buyer.email, "discount_percent": -1},
        {"email": buyer.email, "surprise": True},
    ):
        bad = await api.http.post("/wholesale/invitations", headers=seller.headers, json=body)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload", (body, bad.text)
    by_buyer = await api.http.post(
        "/wholesale/invitations", headers=buyer.headers, json={"email": other.email}
    )
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "forbidden"
    a_seller = await api.http.post(
        "/wholesale/invitations", headers=seller.headers, json={"email": other_seller.email}
    )
    assert a_seller.status_code == 422 and a_seller.json()["code"] == "invalid_payload"

    sent = await invite(api, seller, buyer.email)
    twice = await api.http.post("/wholesale/invitations", headers=seller.headers, json={"email": buyer.email})
    assert twice.status_code == 409 and twice.json()["code"] == "already_invited"
    for stranger in (other, seller, other_seller):
        response = await api.http.post(
            f"/wholesale/invitations/{sent['id']}/accept", headers=stranger.headers
        )
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    missing = await api.http.post("/wholesale/invitations/wsi_nope/accept", headers=buyer.headers)
    assert missing.status_code == 404
    await accept(api, buyer, sent["id"])
    for action in ("accept", "reject"):
        late = await api.http.post(f"/wholesale/invitations/{sent['id']}/{action}", headers=buyer.headers)
        assert late.status_code == 409 and late.json()["code"] == "invalid_transition"
    assert (await api.http.get("/wholesale/invitations", headers=other.headers)).json() == []
    assert (await api.http.get("/wholesale/invitations", headers=other_seller.headers)).json() == []


async def test_wholesale_order_rules(server: ServerProcess, api: Api) -> None:
    seller, other_seller = await api.register("seller"), await api.register("seller")
    buyer, pending_buyer, other = (
        await api.register("buyer"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    variant = (await api.product(seller))["variants"][0]["id"]
    foreign_variant = (await api.product(other_seller))["variants"][0]["id"]

    await invite(api, seller, pending_buyer.email)
    for who in (other, pending_buyer):  # no invitation / a pending one: not invited
        refused = await wholesale_order(api, who, seller, variant, 1)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    by_seller = await wholesale_order(api, seller, seller, variant, 1)
    assert by_seller.status_code == 403

    await accept(api, buyer, (await invite(api, seller, buyer.email, discount_percent=100))["id"])
    for items in ([], [{"variant_id": variant, "quantity": 0}], [{"variant_id": variant}]):
        bad = await api.http.post(
            "/wholesale/orders", headers=buyer.headers, json={"seller_id": seller.id, "items": items}
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload", bad.text
    foreign = await wholesale_order(api, buyer, seller, foreign_variant, 1)
    assert foreign.status_code == 422 and foreign.json()["code"] == "invalid_payload"
    unknown = await wholesale_order(api, buyer, seller, "var_nope", 1)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    elsewhere = await wholesale_order(api, buyer, other_seller, foreign_variant, 1)
    assert elsewhere.status_code == 403  # invited by one seller is not invited by another

    placed = await wholesale_order(api, buyer, seller, variant, 2)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["total_cents"], order["deposit_cents"]) == (0, 0)  # a 100 % discount

    admin_token = await _user_token(server, api, "admin")
    staff_token = await _user_token(server, api, "staff", seller_id=seller.id)
    admin = {"Authorization": f"Bearer {admin_token}"}
    staff = {"Authorization": f"Bearer {staff_token}"}
    path = f"/wholesale/orders/{order['id']}"
    for headers in (buyer.headers, seller.headers, staff, admin):
        seen = await api.http.get(path, headers=headers)
        assert seen.status_code == 200 and seen.json()["id"] == order["id"]
        listed = (await api.http.get("/wholesale/orders", headers=headers)).json()
        assert order["id"] in [o["id"] for o in listed]
    for headers in (other.headers, other_seller.headers):
        assert (await api.http.get(path, headers=headers)).status_code == 404
        assert (await api.http.get("/wholesale/orders", headers=headers)).json() == []
        hidden = await api.http.post(f"{path}/deposit", headers=headers)
        assert hidden.status_code == 404
    for headers in (seller.headers, staff):
        not_theirs = await api.http.post(f"{path}/deposit", headers=headers)
        assert not_theirs.status_code == 403 and not_theirs.json()["code"] == "forbidden"
    by_admin = await api.http.post(f"{path}/deposit", headers=admin)
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "deposit_paid"
    by_buyer = await api.http.post(f"{path}/deposit", headers=buyer.headers)
    assert by_buyer.status_code == 409 and by_buyer.json()["code"] == "already_paid"
