"""``/auth/register``, ``/auth/login``, ``/me`` and ``/admin/users``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from storewire.commerce.accounts.service import AccountService, NewUser, UserOut
from storewire.commerce.web import CurrentPrincipal, service
from storewire.errors import Forbidden
from storewire.observability.audit import AuditLog
from storewire.realtime.policy import Role

__all__ = ["router"]

router = APIRouter(tags=["accounts"])

Accounts = Annotated[AccountService, service(AccountService)]
Audit = Annotated[AuditLog, service(AuditLog)]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["buyer", "seller"] = "buyer"


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class LoginResult(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserOut


@router.post("/auth/register", status_code=status.HTTP_201_CREATED)
async def register(body: Registration, accounts: Accounts) -> UserOut:
    """Create a buyer or seller account. A seller's storefront exists from now on."""
    return await accounts.create_user(NewUser(**body.model_dump()))


@router.post("/auth/login")
async def login(body: Credentials, accounts: Accounts) -> LoginResult:
    token, user = await accounts.login(body.email, body.password)
    return LoginResult(access_token=token, user=user)


@router.get("/me")
async def me(principal: CurrentPrincipal, accounts: Accounts) -> UserOut:
    assert principal.user_id is not None
    return await accounts.get(principal.user_id)


@router.post("/admin/users", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: NewUser, principal: CurrentPrincipal, accounts: Accounts, audit: Audit
) -> UserOut:
    """Admins create any kind of user, staff and admins included."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("only admins create users here")
    user = await accounts.create_user(body)
    audit.record(
        "admin.user_created", principal=principal, target=user.email, user_id=user.id, role=user.role.value
    )
    return user
