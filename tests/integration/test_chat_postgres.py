"""Chat on a real PostgreSQL server: racing opens of one room, racing posts numbered without gaps.

SQLite serialises every writer, so the open-pair index and the room's row lock only show they work
under PostgreSQL's concurrency (DESIGN §6).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.postgres import cluster_and_server_fixtures
from tests.support import Api, ServerProcess, _user_token, close_all, listen

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("postgres")]


postgres, server = cluster_and_server_fixtures("pg-chat")


async def test_racing_opens_give_one_room_and_racing_posts_lose_nothing(
    server: ServerProcess, api: Api
) -> None:
    buyer, seller = await api.register("buyer"), await api.register("seller")
    staff = {"Authorization": f"Bearer {await _user_token(server, api, 'staff', seller_id=seller.id)}"}

    opens = await asyncio.gather(
        *(
            api.http.post("/chat/rooms", headers=buyer.headers, json={"seller_id": seller.id})
            for _ in range(12)
        )
    )
    assert sorted(r.status_code for r in opens) == [200] * 11 + [201], [r.text for r in opens]
    (room_id,) = {r.json()["id"] for r in opens}

    seller_socket = await listen(server.url, seller.token, ["websocket"])
    try:
        assert await seller_socket.join(f"chat:{room_id}") == {"ok": True, "room": f"chat:{room_id}"}
        writers = [buyer.headers, seller.headers, staff]
        posts = await asyncio.gather(
            *(
                api.http.post(
                    f"/chat/rooms/{room_id}/messages", headers=writers[n % 3], json={"body": f"message {n}"}
                )
                for n in range(30)
            )
        )
        assert [r.status_code for r in posts] == [201] * 30, [r.text for r in posts if r.status_code != 201]
        events = await seller_socket.wait_for("chat:message_created", 30)
        assert len(events) == 30 and len({e["id"] for e in events}) == 30

        # Every message is on exactly one page, newest first: the numbering has no gaps or repeats.
        seen: list[str] = []
        cursor: str | None = None
        while True:
            query = f"?limit=7&before={cursor}" if cursor else "?limit=7"
            page = (
                await api.http.get(f"/chat/rooms/{room_id}/messages{query}", headers=buyer.headers)
            ).json()
            seen += [m["id"] for m in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert sorted(seen) == sorted(r.json()["id"] for r in posts) and len(seen) == 30
        # The room's order is the socket's order (the row lock serialises posts).
        assert seen == [e["data"]["message_id"] for e in reversed(events)]

        # Unread counts: each writer has read up to its own last message.
        rooms = (await api.http.get("/chat/rooms", headers=seller.headers)).json()["items"]
        (mine,) = [r for r in rooms if r["id"] == room_id]
        last_own = max(i for i, e in enumerate(reversed(seen)) if e in {p.json()["id"] for p in posts[1::3]})
        assert mine["unread_count"] == 29 - last_own
        assert mine["last_message"]["id"] == seen[0]
    finally:
        await close_all(seller_socket)
