"""Quotations (trade): drafted by a seller, invisible to the buyer until sent, then decided and paid.

The seller hears every event; the buyer only from ``quotation:sent`` on. Proofs that a socket got
nothing use a later event to that socket (delivery is in ``seq`` order), never timing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support import Api, ServerProcess, User, _user_token, close_all, listen, one_each

pytestmark = pytest.mark.integration

ITEMS = [
    {"description": "Espresso machine, commercial", "quantity": 2, "unit_price_cents": 150_000},
    {"description": "Installation", "quantity": 1, "unit_price_cents": 25_050},
]


async def draft(api: Api, seller: User, buyer: User, **extra: Any) -> dict[str, Any]:
    body = {"buyer_id": buyer.id, "title": "Café fit-out", "items": ITEMS, "currency": "EUR", **extra}
    response = await api.http.post("/quotations", headers=seller.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def move(api: Api, user: User, quotation_id: str, action: str) -> dict[str, Any]:
    response = await api.http.post(f"/quotations/{quotation_id}/{action}", headers=user.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def payload(quotation: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "quotation_id": quotation["id"],
        "seller_id": quotation["seller_id"],
        "buyer_id": quotation["buyer_id"],
        "status": status,
        "total_cents": quotation["total_cents"],
        "currency": quotation["currency"],
        "title": quotation["title"],
    }


async def test_drafts_reach_the_seller_only_and_later_steps_both_parties(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    seller, buyer, bystander = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    seller_socket = await listen(server.url, seller.token, transports)
    buyer_socket = await listen(server.url, buyer.token, transports)
    bystander_socket = await listen(server.url, bystander.token, transports)
    try:
        quotation = await draft(api, seller, buyer, notes="Delivery in March")
        assert (quotation["status"], quotation["total_cents"]) == ("draft", 325_050)
        event = await one_each("quotation:created", seller_socket)
        assert event["data"] == payload(quotation, "draft")
        assert event["invalidate"] == [["quotations", quotation["id"]], ["quotations"]]

        # While it is a draft the buyer cannot see it at all.
        hidden = await api.http.get(f"/quotations/{quotation['id']}", headers=buyer.headers)
        assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
        assert (await api.http.get("/quotations", headers=buyer.headers)).json() == []

        changed = await api.http.patch(
            f"/quotations/{quotation['id']}",
            headers=seller.headers,
            json={"title": "Café fit-out, phase 1", "items": ITEMS[:1]},
        )
        assert changed.status_code == 200, changed.text
        quotation = changed.json()
        assert quotation["total_cents"] == 300_000 and len(quotation["items"]) == 1
        event = await one_each("quotation:updated", seller_socket)
        assert event["data"] == payload(quotation, "draft")

        await move(api, seller, quotation["id"], "send")
        event = await one_each("quotation:sent", seller_socket, buyer_socket)
        assert event["data"] == payload(quotation, "sent")
        # quotation:sent is the buyer's first event: created and updated (earlier seqs) never came.
        assert [name for name, _ in buyer_socket.events if name != "notification:created"] == [
            "quotation:sent"
        ]
        assert event["seq"] > seller_socket.of("quotation:updated")[0]["seq"]
        seen = (await api.http.get(f"/quotations/{quotation['id']}", headers=buyer.headers)).json()
        assert seen["status"] == "sent" and seen["notes"] == "Delivery in March"
        assert [q["id"] for q in (await api.http.get("/quotations", headers=buyer.headers)).json()] == [
            quotation["id"]
        ]

        await move(api, buyer, quotation["id"], "accept")
        event = await one_each("quotation:accepted", seller_socket, buyer_socket)
        assert event["data"] == payload(quotation, "accepted")
        paid = await move(api, buyer, quotation["id"], "pay")
        assert paid["status"] == "paid"
        event = await one_each("quotation:paid", seller_socket, buyer_socket)
        assert event["data"] == payload(quotation, "paid")

        other = await draft(api, seller, buyer, title="Phase 2")
        await move(api, seller, other["id"], "send")
        await buyer_socket.wait_for("quotation:sent", 2)
        await move(api, buyer, other["id"], "reject")
        event = await one_each("quotation:rejected", seller_socket, buyer_socket)
        assert event["data"] == payload(other, "rejected")

        # The bystander's own quotation comes after everything above: it got nothing before it.
        own = await draft(api, seller, bystander)
        await move(api, seller, own["id"], "send")
        (fence,) = await bystander_socket.wait_for("quotation:sent")
        assert fence["data"]["quotation_id"] == own["id"]
        assert [name for name, _ in bystander_socket.events if name != "notification:created"] == [
            "quotation:sent"
        ]
        assert [name for name, _ in buyer_socket.events if name != "notification:created"] == [
            "quotation:sent",
            "quotation:accepted",
            "quotation:paid",
            "quotation:sent",
            "quotation:rejected",
        ]
    finally:
        await close_all(seller_socket, buyer_socket, bystander_socket)


async def test_illegal_moves_are_409_and_strangers_403_or_404(server: ServerProcess, api: Api) -> None:
    seller, other_seller = await api.register("seller"), await api.register("seller")
    buyer, other = await api.register("buyer"), await api.register("buyer")
    quotation = await draft(api, seller, buyer)
    path = f"/quotations/{quotation['id']}"

    # A draft is the seller's alone: its buyer cannot see, accept or pay it.
    for action in ("accept", "reject", "pay", "send"):
        response = await api.http.post(f"{path}/{action}", headers=buyer.headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found", action
    patched = await api.http.patch(path, headers=buyer.headers, json={"title": "mine"})
    assert patched.status_code == 404
    for headers in (other.headers, other_seller.headers):
        assert (await api.http.get(path, headers=headers)).status_code == 404
        assert (await api.http.patch(path, headers=headers, json={"title": "x"})).status_code == 404
        assert (await api.http.post(f"{path}/send", headers=headers)).status_code == 404
    for action in ("accept", "pay"):  # the seller may see it, but these moves are the buyer's
        response = await api.http.post(f"{path}/{action}", headers=seller.headers)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"

    admin = {"Authorization": f"Bearer {await _user_token(server, api, 'admin')}"}
    staff = {"Authorization": f"Bearer {await _user_token(server, api, 'staff', seller_id=seller.id)}"}
    for headers in (admin, staff):
        assert (await api.http.get(path, headers=headers)).status_code == 200
        listed = (await api.http.get("/quotations", headers=headers)).json()
        assert quotation["id"] in [q["id"] for q in listed]
        assert (await api.http.post(f"{path}/send", headers=headers)).status_code == 403
    assert (await api.http.get("/quotations", headers=other_seller.headers)).json() == []

    await move(api, seller, quotation["id"], "send")
    again = await api.http.post(f"{path}/send", headers=seller.headers)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    edit = await api.http.patch(path, headers=seller.headers, json={"title": "too late"})
    assert edit.status_code == 409 and edit.json()["code"] == "invalid_transition"
    early = await api.http.post(f"{path}/pay", headers=buyer.headers)
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    by_buyer = await api.http.post(f"{path}/send", headers=buyer.headers)
    assert by_buyer.status_code == 403
    stranger = await api.http.post(f"{path}/accept", headers=other.headers)
    assert stranger.status_code == 404

    await move(api, buyer, quotation["id"], "accept")
    for action in ("accept", "reject", "send"):
        who = seller if action == "send" else buyer
        late = await api.http.post(f"{path}/{action}", headers=who.headers)
        assert late.status_code == 409 and late.json()["code"] == "invalid_transition", action
    await move(api, buyer, quotation["id"], "pay")
    twice = await api.http.post(f"{path}/pay", headers=buyer.headers)
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_transition"
    unknown = await api.http.post(f"{path}/approve", headers=buyer.headers)
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_payload"
    missing = await api.http.get("/quotations/quo_nope", headers=seller.headers)
    assert missing.status_code == 404


async def test_bad_payloads_are_422(api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    good = {"buyer_id": buyer.id, "title": "Fit-out", "items": ITEMS, "currency": "EUR"}
    yesterday = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    changes: list[dict[str, Any]] = [
        {"items": []},
        {"items": [{"description": "x", "quantity": 1, "unit_price_cents": -1}]},
        {"items": [{"description": "x", "quantity": 0, "unit_price_cents": 1}]},
        {"currency": "euro"},
        {"title": ""},
        {"surprise": True},
        {"valid_until": yesterday},
        {"valid_until": "not a date"},
        {"buyer_id": seller.id},  # not a buyer
        {"buyer_id": "usr_nope"},
    ]
    for change in changes:
        bad = await api.http.post("/quotations", headers=seller.headers, json={**good, **change})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload", (change, bad.text)
    by_buyer = await api.http.post("/quotations", headers=buyer.headers, json=good)
    assert by_buyer.status_code == 403 and by_buyer.json()["code"] == "forbidden"

    until = (date.today() + timedelta(days=30)).isoformat()
    quotation = await draft(api, seller, buyer, valid_until=until)
    assert quotation["valid_until"] == until
    path = f"/quotations/{quotation['id']}"
    for body in ({}, {"title": None}, {"items": None}, {"status": "sent"}, {"valid_until": yesterday}):
        bad = await api.http.patch(path, headers=seller.headers, json=body)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload", (body, bad.text)
    cleared = await api.http.patch(path, headers=seller.headers, json={"valid_until": None, "notes": "ok"})
    assert cleared.status_code == 200 and cleared.json()["valid_until"] is None
    assert cleared.json()["notes"] == "ok"
