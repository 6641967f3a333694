"""Request dependencies for module routes: the principal behind a request, and a module's service.

They read what the app put on ``app.state`` (the node's ``Services`` and its authenticator), so routes
never import the node or the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from storewire.commerce.module import Services
from storewire.credentials import SESSION_COOKIE, bearer_token
from storewire.errors import AuthError, Forbidden
from storewire.observability.audit import acting_principal
from storewire.realtime.policy import Principal

__all__ = ["Authenticate", "CurrentPrincipal", "OptionalPrincipal", "service"]

T = TypeVar("T")

Authenticate = Callable[[str], Awaitable[Principal]]
"""Turns a bearer token into its principal, or raises ``AuthError``."""


def _token(request: Request) -> str | None:
    return bearer_token(None, {name.lower(): value for name, value in request.headers.items()})


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-storewire-csrf"
"""Cookie-authenticated writes carry this header: a cross-site form cannot set it, and a cross-site
``fetch`` that sets it needs a CORS preflight that only the configured origins pass."""


def _check_csrf(request: Request) -> None:
    if request.method in _SAFE_METHODS:
        return
    if CSRF_HEADER not in request.headers:
        raise Forbidden(
            f"a request signed in by the session cookie must send the {CSRF_HEADER} header",
            code="csrf_required",
        )


async def current_principal(request: Request) -> Principal:
    token = _token(request)
    if token is None:
        raise AuthError("a Bearer token is required", code="auth_required")
    if SESSION_COOKIE in request.cookies and token == request.cookies[SESSION_COOKIE]:
        _check_csrf(request)
    authenticate: Authenticate = request.app.state.authenticate
    principal = await authenticate(token)
    acting_principal.set(principal)  # the actor of what this request audits
    return principal


async def optional_principal(request: Request) -> Principal:
    """The signed-in principal, or a guest when no token was sent (a bad token is still refused)."""
    if _token(request) is None:
        return Principal.guest()
    return await current_principal(request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal, Depends(optional_principal)]


def service(kind: type[T]) -> Any:
    """``Annotated[OrderService, service(OrderService)]``: the node's service of that type."""

    def provide(request: Request) -> T:
        services: Services = request.app.state.services
        return services.get(kind)

    return Depends(provide)
