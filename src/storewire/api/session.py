"""The web UI's session: ``POST/DELETE /auth/session`` (the HttpOnly ``storewire_session`` cookie,
DESIGN §2) and ``GET /demo`` (the demo accounts, for the sign-in page in demo mode).

The cookie holds the same access token ``/auth/login`` returns, so it never sits in storage that
JavaScript can read. Cookie-authenticated writes must carry ``X-Storewire-CSRF`` (see
``commerce/web.py``): a cross-site form cannot set that header, and a cross-site ``fetch`` that sets it
needs a CORS preflight the server does not grant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from storewire.commerce.accounts.routes import Credentials
from storewire.commerce.accounts.service import AccountService, UserOut
from storewire.commerce.web import service
from storewire.credentials import SESSION_COOKIE
from storewire.demo_data import DEMO_PASSWORD, USERS
from storewire.errors import NotFound
from storewire.settings import Settings

__all__ = ["router"]

router = APIRouter(tags=["session"])

Accounts = Annotated[AccountService, service(AccountService)]


class SessionOut(BaseModel):
    user: UserOut


class DemoAccount(BaseModel):
    email: str
    role: str
    name: str
    works_for: str | None = None  # staff: the email of the seller they work for


class DemoInfo(BaseModel):
    password: str
    accounts: list[DemoAccount]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.node.settings
    return settings


@router.post("/auth/session")
async def sign_in(body: Credentials, request: Request, response: Response, accounts: Accounts) -> SessionOut:
    """Sign in for the web UI: the access token goes into the HttpOnly ``storewire_session`` cookie."""
    token, user = await accounts.login(body.email, body.password)
    settings = _settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.jwt_ttl.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings.env == "prod",
    )
    return SessionOut(user=user)


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(response: Response) -> None:
    """Sign out of the web UI: the cookie is cleared (the token itself lives until it expires)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


@router.get("/demo")
async def demo_accounts(request: Request) -> DemoInfo:
    """The demo accounts and their password, only on a server started with ``--demo`` (404 otherwise)."""
    if not _settings(request).demo:
        raise NotFound("not a demo server")
    emails = {u.key: u.email for u in USERS}
    accounts = [
        DemoAccount(email=u.email, role=u.role, name=u.name, works_for=emails.get(u.works_for or ""))
        for u in USERS
    ]
    return DemoInfo(password=DEMO_PASSWORD, accounts=accounts)
