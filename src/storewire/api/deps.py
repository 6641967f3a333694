"""Request dependencies: the node, and the principal behind the Bearer token or session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from storewire.errors import AuthError
from storewire.gateway.handshake import token_from_handshake
from storewire.node import Node
from storewire.realtime.policy import Principal

__all__ = ["CurrentPrincipal", "NodeDep", "SocketId", "get_node"]


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def current_principal(request: Request, node: NodeDep) -> Principal:
    headers = {name.lower(): value for name, value in request.headers.items()}
    token = token_from_handshake(None, headers)
    if token is None:
        raise AuthError("a Bearer token is required", code="auth_required")
    return await node.accounts.principal_for_token(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
SocketId = Annotated[str | None, Header(alias="X-Socket-Id", max_length=64)]
