"""``Server.emit`` to several rooms writes sockets in the order of the rooms (each socket once)."""

from __future__ import annotations

from typing import Any

from storewire.engine import Server
from storewire.engine.sockets import Socket


class _Eio:
    """Stands in for an Engine.IO session: ``emit`` only hands these to the engine's broadcast."""

    def __init__(self, name: str) -> None:
        self.name = name


def _socket(name: str) -> Socket:
    return Socket(name, "/", _Eio(name), None)  # type: ignore[arg-type]


def test_sockets_are_queued_in_room_order_once_each() -> None:
    server = Server()
    ns = server._ns("/")
    crowd = [_socket(f"fan{i}") for i in range(50)]
    buyer, seller = _socket("buyer"), _socket("seller")
    for sock in [*crowd, buyer, seller]:
        ns.sockets[sock.sid] = sock
    for sock in crowd:
        ns.index(sock, "storefront:s1")
    ns.index(seller, "storefront:s1")  # the seller also watches its own storefront
    ns.index(buyer, "user:b1")
    ns.index(seller, "user:s1")
    queued: list[list[Any]] = []

    def broadcast(socks: list[_Eio], frame: bytes, payload: bytes) -> int:
        queued.append([e.name for e in socks])
        return len(socks)

    server.engine.broadcast = broadcast  # type: ignore[method-assign]
    assert server.emit("order:created", {"n": 1}, rooms=["user:b1", "user:s1", "storefront:s1"]) == 52
    (order,) = queued
    assert order[:2] == ["buyer", "seller"]  # the personal rooms first, in the order given
    assert sorted(order[2:]) == sorted(s.sid for s in crowd)  # then the crowd; the seller not again
