"""Chat (support): a buyer's room with a seller, its messages over REST and sockets, unread counts.

``chat:message_created`` reaches whoever joined ``chat:{id}`` (participants, the seller's staff,
admins); ``chat:room_updated`` reaches each participant's own ``user:`` room with its own unread count.
Proofs that a socket got nothing use the fence (delivery is in ``seq`` order), never timing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import (
    Api,
    Audience,
    Crew,
    ServerProcess,
    User,
    assert_envelope,
    assert_problem,
    close_all,
    listen,
    make_crew,
    open_audience,
)

pytestmark = pytest.mark.integration

MESSAGE_FIELDS = {"room_id", "message_id", "sender_id", "sender_name", "body", "truncated", "created_at"}


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def open_room(api: Api, buyer: User, seller_id: str, expect: int = 201, **extra: Any) -> dict[str, Any]:
    response = await api.http.post(
        "/chat/rooms", headers=buyer.headers, json={"seller_id": seller_id, **extra}
    )
    assert response.status_code == expect, response.text
    room: dict[str, Any] = response.json()
    return room


async def post(api: Api, headers: dict[str, str], room_id: str, body: str) -> dict[str, Any]:
    response = await api.http.post(f"/chat/rooms/{room_id}/messages", headers=headers, json={"body": body})
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def updates(audience: Audience, who: str) -> list[dict[str, Any]]:
    """The ``chat:room_updated`` data one socket got, in order; each a full envelope for its own user."""
    events = audience[who].of("chat:room_updated")
    for event in events:
        assert_envelope(event, "chat:room_updated")
        assert event["invalidate"] == [["chat", "rooms"]]
    return [event["data"] for event in events]


def update(room_id: str, user_id: str, last_message_id: str | None, unread: int) -> dict[str, Any]:
    return {
        "room_id": room_id,
        "user_id": user_id,
        "last_message_id": last_message_id,
        "unread_count": unread,
    }


async def test_messages_reach_the_room_once_and_room_updated_each_participant(
    server: ServerProcess, api: Api, crew: Crew, transports: list[str]
) -> None:
    buyer, outsider = await api.register("buyer"), await api.register("buyer")
    seller = crew.seller
    tokens = {
        "buyer": buyer.token,
        "seller": seller.token,
        "staff": crew.staff_token,
        "admin": crew.admin_token,
        "outsider": outsider.token,
    }
    audience = await open_audience(server.url, api, tokens, transports)
    try:
        # Opening the room tells both participants' sidebars; a second POST is the same room, no event.
        room = await open_room(api, buyer, seller.id, subject="Where is my parcel?")
        room_id = room["id"]
        assert room["participant_ids"] == sorted([buyer.id, seller.id])
        assert (room["subject"], room["last_message"], room["unread_count"]) == (
            "Where is my parcel?",
            None,
            0,
        )
        again = await open_room(api, buyer, seller.id, expect=200, subject="another subject")
        assert again["id"] == room_id and again["subject"] == "Where is my parcel?"

        chat = f"chat:{room_id}"
        for who in ("buyer", "seller", "staff", "admin"):
            assert await audience[who].join(chat) == {"ok": True, "room": chat}, who
        refused = await audience["outsider"].join(chat)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
        missing = await audience["outsider"].join("chat:chr_nope")
        assert missing["ok"] is False and missing["error"]["code"] == "not_found", missing

        await audience.settle()
        assert updates(audience, "buyer") == [update(room_id, buyer.id, None, 0)]
        assert updates(audience, "seller") == [update(room_id, seller.id, None, 0)]

        # The buyer writes: the room hears it once each; the seller has 1 unread, the buyer none.
        first = await post(api, buyer.headers, room_id, "Hello, order 42 has not arrived.")
        assert (first["sender_id"], first["sender_name"]) == (buyer.id, "buyer user")
        await audience.settle()
        (event,) = audience.assert_reached(
            "chat:message_created", {"buyer", "seller", "staff", "admin"}, message_id=first["id"]
        )
        assert set(event["data"]) == MESSAGE_FIELDS
        assert event["data"] == {
            "room_id": room_id,
            "message_id": first["id"],
            "sender_id": buyer.id,
            "sender_name": "buyer user",
            "body": "Hello, order 42 has not arrived.",
            "truncated": False,
            "created_at": event["data"]["created_at"],
        }
        assert event["invalidate"] == [["chat", room_id, "messages"]]
        assert updates(audience, "buyer")[1:] == [update(room_id, buyer.id, first["id"], 0)]
        assert updates(audience, "seller")[1:] == [update(room_id, seller.id, first["id"], 1)]
        assert updates(audience, "staff") == [] and updates(audience, "admin") == []

        # Staff answers and becomes a participant: now it hears room_updated too.
        staff_reply = await post(api, bearer(crew.staff_token), room_id, "Let me check that for you.")
        await audience.settle()
        audience.assert_reached(
            "chat:message_created", {"buyer", "seller", "staff", "admin"}, message_id=staff_reply["id"]
        )
        assert updates(audience, "buyer")[2:] == [update(room_id, buyer.id, staff_reply["id"], 1)]
        assert updates(audience, "seller")[2:] == [update(room_id, seller.id, staff_reply["id"], 2)]
        staff_updates = updates(audience, "staff")
        assert len(staff_updates) == 1 and staff_updates[0]["unread_count"] == 0
        staff_id = staff_updates[0]["user_id"]
        assert staff_updates[0] == update(room_id, staff_id, staff_reply["id"], 0)

        # The seller reads: only the seller's own room_updated, unread 0.
        read = await api.http.post(f"/chat/rooms/{room_id}/read", headers=seller.headers)
        assert read.status_code == 200, read.text
        assert read.json()["unread_count"] == 0
        assert read.json()["participant_ids"] == sorted([buyer.id, seller.id, staff_id])

        # A long message: the event carries 1000 characters and says so; REST has all of it.
        long_body = "x" * 3990 + "the end."
        long = await post(api, buyer.headers, room_id, long_body)
        await audience.settle()
        assert updates(audience, "seller")[3:] == [
            update(room_id, seller.id, staff_reply["id"], 0),
            update(room_id, seller.id, long["id"], 1),
        ]
        assert updates(audience, "buyer")[3:] == [update(room_id, buyer.id, long["id"], 0)]
        assert updates(audience, "staff")[1:] == [update(room_id, staff_id, long["id"], 1)]
        (event,) = audience.assert_reached(
            "chat:message_created", {"buyer", "seller", "staff", "admin"}, message_id=long["id"]
        )
        assert event["data"]["truncated"] is True and event["data"]["body"] == long_body[:1000]
        page = await api.http.get(f"/chat/rooms/{room_id}/messages?limit=1", headers=seller.headers)
        assert page.json()["items"][0]["body"] == long_body

        # The admin and the outsider never were participants; the outsider got nothing at all.
        assert updates(audience, "admin") == []
        assert [name for name, _ in audience["outsider"].events if name != "product:created"] == []
    finally:
        await audience.close()


async def test_messages_are_paged_newest_first(api: Api, crew: Crew) -> None:
    buyer = await api.register("buyer")
    room = await open_room(api, buyer, crew.seller.id)
    path = f"/chat/rooms/{room['id']}/messages"
    sent = [await post(api, buyer.headers, room["id"], f"message {n}") for n in range(7)]

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?limit=3&before={cursor}" if cursor else "?limit=3"
        response = await api.http.get(path + query, headers=crew.seller.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [m["id"] for m in seen] == [m["id"] for m in reversed(sent)]
    assert [m["body"] for m in seen[:2]] == ["message 6", "message 5"]
    assert set(seen[0]) == {"id", "room_id", "sender_id", "sender_name", "body", "created_at"}

    everything = (await api.http.get(path, headers=buyer.headers)).json()
    assert len(everything["items"]) == 7 and everything["next_cursor"] is None
    for bad in ("?before=abc", "?before=0", f"?before={'9' * 30}", "?limit=0", "?limit=101"):
        assert_problem(await api.http.get(path + bad, headers=buyer.headers), 422, "invalid_payload")


async def test_room_list_has_last_message_and_unread_counts_per_caller(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    buyer, other_seller = await api.register("buyer"), await api.register("seller")
    sellers = [crew.seller, other_seller, await api.register("seller")]
    rooms = [await open_room(api, buyer, seller.id) for seller in sellers]
    # Activity orders the list: the first room gets the latest message, so it comes first.
    await post(api, buyer.headers, rooms[0]["id"], "a" * 300)
    for n in range(2):
        await post(api, crew.seller.headers, rooms[0]["id"], f"seller says {n}")

    listed: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = (await api.http.get("/chat/rooms" + query, headers=buyer.headers)).json()
        listed += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["id"] for r in listed] == [rooms[0]["id"], rooms[2]["id"], rooms[1]["id"]]
    top = listed[0]
    assert top["unread_count"] == 2
    last = top["last_message"]
    assert (last["excerpt"], last["sender_id"], last["sender_name"]) == (
        "seller says 1",
        crew.seller.id,
        "seller user",
    )

    # The seller wrote last, so it has read everything; REST has the first message whole.
    mine = (await api.http.get("/chat/rooms?limit=100", headers=crew.seller.headers)).json()["items"]
    assert next(r for r in mine if r["id"] == rooms[0]["id"])["unread_count"] == 0
    assert {r["seller_id"] for r in mine} == {crew.seller.id}
    assert {r["seller_name"] for r in mine} == {"seller user"}  # names, so nobody reads ids
    assert next(r for r in mine if r["id"] == rooms[0]["id"])["buyer_name"] == "buyer user"
    first_page = await api.http.get(f"/chat/rooms/{rooms[0]['id']}/messages", headers=buyer.headers)
    oldest = first_page.json()["items"][-1]
    assert len(oldest["body"]) == 300

    # Staff sees its seller's rooms (all unread: it has read nothing), and reading clears its count.
    staff = bearer(crew.staff_token)
    staff_rooms = (await api.http.get("/chat/rooms?limit=100", headers=staff)).json()["items"]
    assert rooms[0]["id"] in {r["id"] for r in staff_rooms}
    assert {r["seller_id"] for r in staff_rooms} == {crew.seller.id}
    assert next(r for r in staff_rooms if r["id"] == rooms[0]["id"])["unread_count"] == 3
    read = await api.http.post(f"/chat/rooms/{rooms[0]['id']}/read", headers=staff)
    assert read.status_code == 200 and read.json()["unread_count"] == 0
    # Reading does not make staff a participant; posting does (an admin too).
    assert read.json()["participant_ids"] == sorted([buyer.id, crew.seller.id])
    admin = bearer(crew.admin_token)
    await post(api, admin, rooms[1]["id"], "Admin here.")
    seen_by_admin = (await api.http.get(f"/chat/rooms/{rooms[1]['id']}", headers=admin)).json()
    assert len(seen_by_admin["participant_ids"]) == 3
    # The other seller's list has its own room only.
    theirs = (await api.http.get("/chat/rooms", headers=other_seller.headers)).json()["items"]
    assert [r["id"] for r in theirs] == [rooms[1]["id"]]
    for cursor in ("nonsense", f"{'9' * 30}.chr_x", "12."):
        bad = await api.http.get(f"/chat/rooms?cursor={cursor}", headers=buyer.headers)
        assert_problem(bad, 422, "invalid_payload")


async def test_who_may_open_see_and_write(server: ServerProcess, api: Api, crew: Crew) -> None:
    buyer, outsider, other_seller = (
        await api.register("buyer"),
        await api.register("buyer"),
        await api.register("seller"),
    )
    # Only buyers open rooms, and only with a seller.
    for headers in (crew.seller.headers, bearer(crew.staff_token), bearer(crew.admin_token)):
        denied = await api.http.post("/chat/rooms", headers=headers, json={"seller_id": other_seller.id})
        assert_problem(denied, 403, "forbidden")
    for body in (
        {"seller_id": outsider.id},
        {"seller_id": "usr_nobody"},
        {"seller_id": crew.seller.id, "extra": 1},
        {},
        {"seller_id": crew.seller.id, "subject": ""},
    ):
        assert_problem(
            await api.http.post("/chat/rooms", headers=buyer.headers, json=body), 422, "invalid_payload"
        )
    assert_problem(
        await api.http.post("/chat/rooms", json={"seller_id": crew.seller.id}), 401, "auth_required"
    )

    room = await open_room(api, buyer, crew.seller.id)
    base = f"/chat/rooms/{room['id']}"
    for body in ({"body": ""}, {"body": "   "}, {"body": "y" * 4001}, {"body": "hi", "x": 1}, {}):
        assert_problem(
            await api.http.post(f"{base}/messages", headers=buyer.headers, json=body), 422, "invalid_payload"
        )
    assert (await post(api, buyer.headers, room["id"], "y" * 4000))["body"] == "y" * 4000
    (listed,) = (await api.http.get("/chat/rooms", headers=buyer.headers)).json()["items"]
    assert listed["last_message"]["excerpt"] == "y" * 140  # a sidebar's excerpt, not the whole body

    # Strangers (another buyer, another seller) and unknown rooms: 404, nothing written.
    for headers in (outsider.headers, other_seller.headers):
        assert_problem(await api.http.get(base, headers=headers), 404, "not_found")
        assert_problem(await api.http.get(f"{base}/messages", headers=headers), 404, "not_found")
        sent = await api.http.post(f"{base}/messages", headers=headers, json={"body": "let me in"})
        assert_problem(sent, 404, "not_found")
        assert_problem(await api.http.post(f"{base}/read", headers=headers), 404, "not_found")
        assert (await api.http.get("/chat/rooms", headers=headers)).json()["items"] == []
    assert_problem(
        await api.http.get("/chat/rooms/chr_nope/messages", headers=buyer.headers), 404, "not_found"
    )
    messages = (await api.http.get(f"{base}/messages", headers=buyer.headers)).json()["items"]
    assert len(messages) == 1


async def test_a_message_to_an_absent_participant_waits_in_its_inbox(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    opened = await api.http.post("/chat/rooms", headers=buyer.headers, json={"seller_id": seller.id})
    room_id = opened.json()["id"]
    seller_socket = await listen(server.url, seller.token, ["websocket"])
    buyer_socket = None
    try:
        # The buyer has no socket: the seller's answer lands in the buyer's inbox.
        sent = await api.http.post(
            f"/chat/rooms/{room_id}/messages",
            headers=seller.headers,
            json={"body": "Your beans shipped today."},
        )
        assert sent.status_code == 201, sent.text
        inbox = (await api.http.get("/notifications", headers=buyer.headers)).json()
        assert inbox["unread_count"] == 1
        (note,) = inbox["items"]
        assert note["type"] == "chat:message_created" and note["summary"].endswith(
            "Your beans shipped today."
        )
        # Connected, the buyer gets the message live and no notification; the sender never gets one.
        buyer_socket = await listen(server.url, buyer.token, ["websocket"])
        assert (await buyer_socket.join(f"chat:{room_id}"))["ok"]
        again = await api.http.post(
            f"/chat/rooms/{room_id}/messages", headers=seller.headers, json={"body": "Tracking: TRK-9"}
        )
        assert again.status_code == 201
        await buyer_socket.wait_for_match(
            "chat:message_created", lambda e: e["data"]["body"] == "Tracking: TRK-9"
        )
        assert (await api.http.get("/notifications", headers=buyer.headers)).json()["unread_count"] == 1
        assert (await api.http.get("/notifications", headers=seller.headers)).json()["unread_count"] == 0
    finally:
        await close_all(seller_socket, *([buyer_socket] if buyer_socket else []))
