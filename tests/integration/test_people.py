"""People in real time: presence per user (not per tab), the seller's online status, live users, fuzzed
client events (DESIGN §3-§4, issue 13)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api, Fence, Listener, ServerProcess, _user_token, close_all, listen

pytestmark = pytest.mark.integration

EPHEMERAL = {"type", "ts", "data"}


def _presence(listener: Listener, name: str, room: str) -> list[dict[str, Any]]:
    return [e for e in listener.of(name) if e["data"]["room"] == room]


async def test_presence_counts_users_not_tabs(server: ServerProcess, api: Api) -> None:
    seller, buyer, watcher = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    room = f"storefront:{seller.id}"
    fence = await Fence.create(api)
    watching = await listen(server.url, watcher.token, ["websocket"])
    tabs: list[Listener] = []
    try:
        await fence.join(watching)
        assert (await watching.join(room))["ok"]
        for _ in range(2):  # two tabs of one buyer
            tab = await listen(server.url, buyer.token, ["websocket"])
            tabs.append(tab)
            assert (await tab.join(room))["ok"]
        await fence.wait(watching)
        (joined,) = _presence(watching, "presence:joined", room)
        assert set(joined) == EPHEMERAL and joined["type"] == "presence:joined"
        assert joined["data"] == {
            "room": room,
            "user": {"id": buyer.id, "name": "buyer user", "role": "buyer"},
        }

        listed = await watching.client.call("presence:list", {"room": room}, timeout=10)
        assert listed["ok"] and {u["id"] for u in listed["users"]} == {watcher.id, buyer.id}

        await tabs[0].close()  # one of two tabs: still there
        await fence.wait(watching)
        assert _presence(watching, "presence:left", room) == []
        await tabs[1].join(room)  # already in: no second join either
        await tabs[1].close()
        await watching.wait_for_match("presence:left", lambda e: e["data"]["room"] == room)
        await fence.wait(watching)
        assert len(_presence(watching, "presence:left", room)) == 1
        assert len(_presence(watching, "presence:joined", room)) == 1
        listed = await watching.client.call("presence:list", {"room": room}, timeout=10)
        assert [u["id"] for u in listed["users"]] == [watcher.id]
    finally:
        await close_all(watching, *tabs)


async def test_a_sellers_online_status_shows_in_its_storefront(server: ServerProcess, api: Api) -> None:
    seller, fan, stranger = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    room = f"storefront:{seller.id}"
    fan_socket = await listen(server.url, fan.token, ["websocket"])
    stranger_socket = await listen(server.url, stranger.token, ["websocket"])
    try:
        assert (await fan_socket.join(room))["ok"]
        seller_socket = await listen(server.url, seller.token, ["websocket"])
        joined = await fan_socket.wait_for_match(
            "presence:joined", lambda e: e["data"]["user"]["id"] == seller.id
        )
        assert joined["data"]["room"] == room and joined["data"]["user"]["role"] == "seller"
        listed = await fan_socket.client.call("presence:list", {"room": room}, timeout=10)
        assert seller.id in {u["id"] for u in listed["users"]}
        outside = await stranger_socket.client.call("presence:list", {"room": room}, timeout=10)
        assert outside == {
            "ok": False,
            "error": {"code": "forbidden", "message": f"join {room} to see who is in it"},
        }
        await seller_socket.close()
        left = await fan_socket.wait_for_match(
            "presence:left", lambda e: e["data"]["user"]["id"] == seller.id
        )
        assert left["data"]["room"] == room
        assert stranger_socket.of("presence:joined") == [] and stranger_socket.of("presence:left") == []
    finally:
        await close_all(fan_socket, stranger_socket)


async def test_live_users_reach_admins_only(server: ServerProcess, api: Api) -> None:
    buyer, seller = await api.register("buyer"), await api.register("seller")
    admin_token = await _user_token(server, api, "admin")
    admin = await listen(server.url, admin_token, ["websocket"])
    shopper = await listen(server.url, buyer.token, ["polling"])
    other = await listen(server.url, seller.token, ["websocket"])
    try:
        ack = await shopper.client.call("page:navigate", {"path": "/products/beans"}, timeout=10)
        assert ack == {"ok": True}

        def shows_page(e: dict[str, Any]) -> bool:
            return any(u["id"] == buyer.id and "/products/beans" in u["pages"] for u in e["data"]["users"])

        update = await admin.wait_for_match("admin:live_users", shows_page)
        assert set(update) == EPHEMERAL and update["data"]["count"] >= 3
        live = await api.http.get("/admin/live-users", headers={"Authorization": f"Bearer {admin_token}"})
        assert live.status_code == 200
        (mine,) = [u for u in live.json()["users"] if u["id"] == buyer.id]
        assert mine["pages"] == ["/products/beans"] and mine["connections"] == 1
        conns = await api.http.get("/admin/connections", headers={"Authorization": f"Bearer {admin_token}"})
        assert conns.status_code == 200 and conns.json()["signed_in"] >= 3
        for path in ("/admin/live-users", "/admin/connections"):
            refused = await api.http.get(path, headers=buyer.headers)
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        bad = await shopper.client.call("page:navigate", {"path": "no-slash"}, timeout=10)
        assert bad["ok"] is False and bad["error"]["code"] == "invalid_payload"
        assert shopper.of("admin:live_users") == [] and other.of("admin:live_users") == []
    finally:
        await close_all(admin, shopper, other)


async def test_typing_only_in_chat_rooms_one_is_in(server: ServerProcess, api: Api) -> None:
    buyer, seller = await api.register("buyer"), await api.register("seller")
    socket = await listen(server.url, buyer.token, ["websocket"])
    try:
        assert (await socket.join(f"storefront:{seller.id}"))["ok"]
        for room in (f"storefront:{seller.id}", "chat:nosuchroom"):
            ack = await socket.client.call("chat:typing", {"room": room}, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
    finally:
        await socket.close()


# -- fuzzing: client payloads never break a handler ------------------------------------------------

ALLOWED = {"invalid_payload", "invalid_room", "forbidden", "not_found", "rate_limited", "too_many_rooms"}
# JSON only: a packet with Infinity or NaN is not Socket.IO, and the engine closes such a client.
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON = st.recursive(
    SCALARS | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ROOMISH = st.one_of(
    st.text(max_size=90),
    st.sampled_from(
        ["user:", "admin", "sellers:x", "chat:", "order:ord_1", "storefront:usr_1", "kitchen:a b"]
    ),
)
PAYLOADS = st.one_of(
    JSON,
    st.fixed_dictionaries({"room": ROOMISH}),
    st.fixed_dictionaries({"path": st.one_of(st.text(max_size=400), st.integers())}),
)


class _LoopThread:
    """An event loop in a thread, so hypothesis (synchronous) can drive an async socket client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def fuzz_client(server: ServerProcess) -> Iterator[tuple[_LoopThread, Listener]]:
    runner = _LoopThread()

    async def connect() -> tuple[Api, Listener]:
        api = Api(server.url)
        buyer = await api.register("buyer")
        return api, await listen(server.url, buyer.token, ["websocket"])

    api, listener = runner.run(connect())
    try:
        yield runner, listener
    finally:
        runner.run(close_all(listener))
        runner.run(api.close())
        runner.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.sampled_from(["chat:typing", "presence:list", "page:navigate", "room:join"]), payload=PAYLOADS
)
def test_fuzzed_client_payloads_always_get_a_typed_ack(
    fuzz_client: tuple[_LoopThread, Listener], event: str, payload: Any
) -> None:
    runner, listener = fuzz_client
    ack = runner.run(listener.client.call(event, payload, timeout=10))
    assert isinstance(ack, dict), ack
    if not ack["ok"]:
        assert ack["error"]["code"] in ALLOWED, (event, payload, ack)
        assert isinstance(ack["error"]["message"], str)
    assert listener.client.connected


async def test_typing_then_a_message_reach_the_room_and_nobody_outside(
    server: ServerProcess, api: Api
) -> None:
    seller, buyer, outsider = (
        await api.register("seller"),
        await api.register("buyer"),
        await api.register("buyer"),
    )
    staff_token = await _user_token(server, api, "staff", seller_id=seller.id)
    opened = await api.http.post("/chat/rooms", headers=buyer.headers, json={"seller_id": seller.id})
    assert opened.status_code == 201, opened.text
    room = f"chat:{opened.json()['id']}"
    typist = await listen(server.url, buyer.token, ["websocket"])
    seller_socket = await listen(server.url, seller.token, ["polling"])
    staff_socket = await listen(server.url, staff_token, ["websocket"])
    outside = await listen(server.url, outsider.token, ["websocket"])
    try:
        for member in (typist, seller_socket, staff_socket):
            assert (await member.join(room))["ok"]
        refused = await outside.join(room)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"

        assert await typist.client.call("chat:typing", {"room": room}, timeout=10) == {"ok": True}
        too_fast = await typist.client.call("chat:typing", {"room": room}, timeout=10)
        assert too_fast["ok"] is False and too_fast["error"]["code"] == "rate_limited"
        sent = await api.http.post(
            f"/chat/rooms/{opened.json()['id']}/messages", headers=buyer.headers, json={"body": "Hello?"}
        )
        assert sent.status_code == 201, sent.text
        for member in (seller_socket, staff_socket):
            await member.wait_for("chat:message_created")
            names = [name for name, _ in member.events if name in {"chat:typing", "chat:message_created"}]
            assert names == ["chat:typing", "chat:message_created"], names  # typing first, once
            (typing,) = member.of("chat:typing")
            assert set(typing) == EPHEMERAL
            assert typing["data"] == {
                "room": room,
                "user": {"id": buyer.id, "name": "buyer user", "role": "buyer"},
            }
        await typist.wait_for("chat:message_created")
        assert typist.of("chat:typing") == []  # not echoed to the typist
        assert outside.of("chat:typing") == [] and outside.of("chat:message_created") == []
    finally:
        await close_all(typist, seller_socket, staff_socket, outside)
