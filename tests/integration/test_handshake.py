"""Handshake auth: who may connect, and the connect_error data of everyone who may not."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest
import socketio

from tests.support import Api, ServerProcess, close_all, listen, refusal

pytestmark = pytest.mark.integration


def _token(
    secret: str, user_id: str, role: str = "buyer", *, exp_offset: int = 3600, **claims: object
) -> str:
    now = int(time.time())
    payload = {
        "sub": user_id,
        "role": role,
        "iat": now,
        "exp": now + exp_offset,
        "iss": "storewire",
        **claims,
    }
    return jwt.encode(payload, secret, algorithm="HS256")


async def test_no_token_is_refused_with_auth_required(server: ServerProcess, transports: list[str]) -> None:
    data = await refusal(server.url, transports)
    assert data == {"code": "auth_required", "message": "a token is required to connect"}


async def test_forged_expired_and_alg_none_tokens_are_refused(
    server: ServerProcess, api: Api, transports: list[str]
) -> None:
    buyer = await api.register("buyer")
    forged = _token("not-the-server-secret-0123456789abcdef", buyer.id)
    expired = _token(server.jwt_secret, buyer.id, exp_offset=-60)
    unsigned = jwt.encode(
        {
            "sub": buyer.id,
            "role": "buyer",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "iss": "storewire",
        },
        key="",
        algorithm="none",
    )
    for token, code in [
        (forged, "auth_invalid"),
        (expired, "auth_expired"),
        (unsigned, "auth_invalid"),
        ("garbage", "auth_invalid"),
    ]:
        data = await refusal(server.url, transports, auth={"token": token})
        assert set(data) == {"code", "message"}, data
        assert data["code"] == code, (token, data)


async def test_token_of_an_unknown_user_is_refused(server: ServerProcess) -> None:
    data = await refusal(server.url, ["websocket"], auth={"token": _token(server.jwt_secret, "usr_nobody")})
    assert data["code"] == "auth_invalid"


async def test_authorization_header_and_session_cookie_are_accepted(server: ServerProcess, api: Api) -> None:
    buyer = await api.register("buyer")
    by_header = await listen(
        server.url, None, ["polling"], headers={"Authorization": f"Bearer {buyer.token}"}
    )
    by_cookie = await listen(
        server.url, None, ["polling"], headers={"Cookie": f"storewire_session={buyer.token}"}
    )
    try:
        assert by_header.client.connected and by_cookie.client.connected
        assert (await by_header.join(f"user:{buyer.id}"))["ok"] is True
    finally:
        await close_all(by_header, by_cookie)


async def test_per_user_connection_limit(server: ServerProcess, api: Api) -> None:
    buyer = await api.register("buyer")
    sockets = [await listen(server.url, buyer.token, ["websocket"]) for _ in range(5)]
    try:
        data = await refusal(server.url, ["websocket"], auth={"token": buyer.token})
        assert data["code"] == "too_many_connections"
    finally:
        await close_all(*sockets)


async def test_clients_that_leave_during_the_handshake_free_their_places(
    server: ServerProcess, api: Api
) -> None:
    """CONNECT then close at once, while the server is still checking the token: nothing stays counted."""
    buyer = await api.register("buyer")
    async with httpx.AsyncClient(base_url=f"{server.url}/socket.io/") as http:
        for _ in range(8):
            opened = await http.get("", params={"EIO": "4", "transport": "polling"})
            sid = json.loads(opened.text[1:])["sid"]
            body = "40" + json.dumps({"token": buyer.token}) + "\x1e1"
            posted = await http.post(
                "", params={"EIO": "4", "transport": "polling", "sid": sid}, content=body
            )
            assert posted.status_code == 200
    for _ in range(50):  # the server finishes each abandoned handshake on its own schedule
        try:
            sockets = [await listen(server.url, buyer.token, ["websocket"]) for _ in range(5)]
        except socketio.exceptions.ConnectionError:
            await asyncio.sleep(0.1)
            continue
        await close_all(*sockets)
        return
    raise AssertionError("abandoned handshakes still count against the per-user limit")
