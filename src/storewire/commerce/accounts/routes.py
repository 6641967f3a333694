"""``/auth/register``, ``/auth/login``, ``/me`` and ``/admin/users``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from storewire.api.deps import CurrentPrincipal, NodeDep
from storewire.commerce.accounts.service import NewUser, UserOut
from storewire.errors import Forbidden
from storewire.realtime.policy import Role

__all__ = ["router"]

router = APIRouter(tags=["accounts"])


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
async def register(body: Registration, node: NodeDep) -> UserOut:
    """Create a buyer or seller account. A seller's storefront exists from now on."""
    return await node.accounts.create_user(NewUser(**body.model_dump()))


@router.post("/auth/login")
async def login(body: Credentials, node: NodeDep) -> LoginResult:
    token, user = await node.accounts.login(body.email, body.password)
    return LoginResult(access_token=token, user=user)


@router.get("/me")
async def me(principal: CurrentPrincipal, node: NodeDep) -> UserOut:
    assert principal.user_id is not None
    return await node.accounts.get(principal.user_id)


@router.post("/admin/users", status_code=status.HTTP_201_CREATED)
async def create_user(body: NewUser, principal: CurrentPrincipal, node: NodeDep) -> UserOut:
    """Admins create any kind of user, staff and admins included."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("only admins create users here")
    return await node.accounts.create_user(body)
