"""Where a client's bearer token comes from, for sockets and REST alike.

``auth.token`` (Socket.IO handshakes), then ``Authorization: Bearer``, then the web UI's HttpOnly
``storewire_session`` cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import cookie_parser

__all__ = ["SESSION_COOKIE", "bearer_token"]

SESSION_COOKIE = "storewire_session"


def bearer_token(auth: Any, headers: Mapping[str, str]) -> str | None:
    """The bearer token a client presented, in order of precedence, or None for a guest."""
    if isinstance(auth, dict):
        token = auth.get("token")
        if isinstance(token, str) and token:
            return token
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    cookie_header = headers.get("cookie")
    if cookie_header:
        # Browsers' lenient parsing: another cookie's odd value must not hide the session cookie.
        return cookie_parser(cookie_header).get(SESSION_COOKIE) or None
    return None
