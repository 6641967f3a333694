"""``system:announcement``: admins reach every seller, or every connection (guests too)."""

from __future__ import annotations

import pytest

from tests.support import Api, ServerProcess, _user_token, close_all, listen

pytestmark = pytest.mark.integration

ENVELOPE = {"id", "type", "epoch", "seq", "ts", "data", "invalidate"}


async def test_announcements_reach_sellers_or_everyone(server: ServerProcess, api: Api) -> None:
    seller, buyer = await api.register("seller"), await api.register("buyer")
    admin_token = await _user_token(server, api, "admin")
    admin = {"Authorization": f"Bearer {admin_token}"}
    sockets = {
        "seller": await listen(server.url, seller.token, ["websocket"]),
        "buyer": await listen(server.url, buyer.token, ["polling"]),
        "admin": await listen(server.url, admin_token, ["websocket"]),
    }
    try:
        to_sellers = await api.http.post(
            "/admin/announcements",
            headers=admin,
            json={"title": "Payouts", "body": "Payouts run on Friday.", "audience": "sellers"},
        )
        assert to_sellers.status_code == 201, to_sellers.text
        to_all = await api.http.post(
            "/admin/announcements",
            headers=admin,
            json={"title": "Maintenance", "body": "Tonight 02:00 UTC.", "level": "warning"},
        )
        assert to_all.status_code == 201, to_all.text
        first, second = to_sellers.json()["announcement_id"], to_all.json()["announcement_id"]

        for name, expected in (("seller", [first, second]), ("buyer", [second]), ("admin", [second])):
            events = await sockets[name].wait_for_match(
                "system:announcement", lambda e: e["data"]["announcement_id"] == second
            )
            assert set(events) == ENVELOPE
            got = [e["data"]["announcement_id"] for e in sockets[name].of("system:announcement")]
            assert got == expected, (name, got)
        (maintenance,) = sockets["buyer"].of("system:announcement")
        assert maintenance["data"]["audience"] == "everyone" and maintenance["data"]["level"] == "warning"
        assert maintenance["invalidate"] == [["announcements"]]

        # Offline readers find what concerns them; guests the ones to everyone.
        for headers, ids, sees_sellers in (
            (seller.headers, [second, first], True),
            (buyer.headers, [second], False),
            ({}, [second], False),
        ):
            listed = [
                a["announcement_id"] for a in (await api.http.get("/announcements", headers=headers)).json()
            ]
            assert listed[: len(ids)] == ids
            assert (first in listed) == sees_sellers

        refused = await api.http.post(
            "/admin/announcements", headers=seller.headers, json={"title": "x", "body": "y"}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        bad = await api.http.post(
            "/admin/announcements", headers=admin, json={"title": "x", "body": "y", "audience": "buyers"}
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_payload"
        leave = await sockets["buyer"].client.call("room:leave", {"room": "everyone"}, timeout=10)
        assert leave["ok"] is False and leave["error"]["code"] == "forbidden"
    finally:
        await close_all(*sockets.values())


async def test_guests_hear_announcements_to_everyone(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import start_server

    server = start_server(tmp_path_factory.mktemp("guests"), STOREWIRE_ALLOW_GUESTS="true")
    api = Api(server.url)
    guest = await listen(server.url, None, ["websocket"])
    try:
        admin_token = await _user_token(server, api, "admin")
        sent = await api.http.post(
            "/admin/announcements",
            headers={"Authorization": f"Bearer {admin_token}"},
            json={"title": "Hello", "body": "Welcome, visitors."},
        )
        assert sent.status_code == 201
        event = await guest.wait_for_match(
            "system:announcement", lambda e: e["data"]["announcement_id"] == sent.json()["announcement_id"]
        )
        assert event["data"]["title"] == "Hello"
    finally:
        await guest.close()
        await api.close()
        server.stop()
