"""Where a connecting client's token comes from: ``auth.token``, ``Authorization``, or the cookie."""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

__all__ = ["SESSION_COOKIE", "token_from_handshake"]

SESSION_COOKIE = "storewire_session"


def token_from_handshake(auth: Any, headers: Mapping[str, str]) -> str | None:
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
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except CookieError:
            return None
        morsel = cookies.get(SESSION_COOKIE)
        if morsel is not None and morsel.value:
            return morsel.value
    return None
