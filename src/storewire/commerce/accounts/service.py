"""Accounts service: registration, login, users by id, and the principal behind a token."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storewire.commerce.accounts.security import PasswordHasher, TokenService
from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.module import ModuleContext
from storewire.errors import AuthError, Conflict, InvalidPayload, NotFound
from storewire.realtime.ids import new_id
from storewire.realtime.policy import Principal, Role
from storewire.storage.database import Database

__all__ = ["PRINCIPAL_TTL", "AccountService", "NewUser", "UserOut"]

PRINCIPAL_TTL = 2.0
"""Seconds a token's user, once read, is reused for that user's REST requests."""
PRINCIPAL_CACHE_SIZE = 10_000


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=120)
    role: Literal["buyer", "seller", "staff", "admin"] = "buyer"
    seller_id: str | None = None


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    seller_id: str | None = None

    @classmethod
    def of(cls, row: UserRow) -> UserOut:
        # ``seller_id`` names the store a user acts for: a staff member's seller, a seller itself.
        seller_id = row.id if row.role == Role.SELLER else row.seller_id
        return cls(id=row.id, email=row.email, name=row.name, role=Role(row.role), seller_id=seller_id)


def principal_of(row: UserRow) -> Principal:
    return Principal(user_id=row.id, role=Role(row.role), name=row.name, seller_id=row.seller_id)


class AccountService:
    def __init__(self, db: Database, hasher: PasswordHasher, tokens: TokenService) -> None:
        self._db = db
        self._hasher = hasher
        self.tokens = tokens
        self._principals: dict[str, tuple[float, Principal]] = {}  # user id -> (expires, principal)

    @classmethod
    def build(cls, context: ModuleContext) -> AccountService:
        settings = context.settings
        tokens = TokenService(settings.jwt_secret, settings.jwt_ttl, settings.jwt_algorithm)
        return cls(context.db, PasswordHasher(), tokens)

    async def create_user(self, new: NewUser) -> UserOut:
        """Create any kind of user (the CLI and admins); staff must name an existing seller."""
        password_hash = await self._hasher.hash(new.password)
        async with self._db.transaction() as session:
            if new.role == "staff":
                seller = await session.get(UserRow, new.seller_id) if new.seller_id else None
                if seller is None or seller.role != Role.SELLER:
                    raise InvalidPayload("staff need --seller-id of an existing seller")
            elif new.seller_id is not None:
                raise InvalidPayload("only staff have a seller_id")
            row = UserRow(
                id=new_id("usr"),
                email=new.email.lower(),
                name=new.name,
                role=new.role,
                seller_id=new.seller_id,
                password_hash=password_hash,
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict("that email is already registered", code="email_taken") from None
            return UserOut.of(row)

    async def login(self, email: str, password: str) -> tuple[str, UserOut]:
        async with self._db.reading() as session:
            row = await session.scalar(select(UserRow).where(UserRow.email == email.lower()))
        if not await self._hasher.verify(row.password_hash if row else None, password) or row is None:
            raise AuthError("email or password is wrong", code="auth_invalid")
        return self.tokens.mint(row.id, row.role), UserOut.of(row)

    async def get(self, user_id: str) -> UserOut:
        async with self._db.reading() as session:
            row = await session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return UserOut.of(row)

    async def get_by_email(self, email: str) -> UserOut:
        async with self._db.reading() as session:
            row = await session.scalar(select(UserRow).where(UserRow.email == email.lower()))
        if row is None:
            raise NotFound(f"no user with email {email}")
        return UserOut.of(row)

    async def principal_for_token(self, token: str) -> Principal:
        """Verify a token and load its user: a token of a deleted user is not valid.

        For socket connections: a connection lives long, so it is checked against the database
        when it opens (and, being rare next to requests, that read costs little).
        """
        claims = self.tokens.verify(token)
        async with self._db.reading() as session:
            row = await session.get(UserRow, claims.user_id)
        if row is None:
            self._principals.pop(claims.user_id, None)
            raise AuthError("the token's user does not exist", code="auth_invalid")
        principal = principal_of(row)
        if len(self._principals) >= PRINCIPAL_CACHE_SIZE:
            self._principals.clear()  # bounded memory; the next requests simply read again
        self._principals[claims.user_id] = (time.monotonic() + PRINCIPAL_TTL, principal)
        return principal

    async def principal_for_request(self, token: str) -> Principal:
        """``principal_for_token`` for REST requests: the user is read at most every ``PRINCIPAL_TTL``.

        The token is verified every time. A database read per request was a good part of a
        mutation's latency; the price is that a deleted user's token keeps working for REST for up
        to ``PRINCIPAL_TTL`` seconds (new connections are refused at once).
        """
        claims = self.tokens.verify(token)
        cached = self._principals.get(claims.user_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        return await self.principal_for_token(token)
