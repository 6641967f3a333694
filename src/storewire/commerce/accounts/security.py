"""Password hashing (argon2id) and access tokens (PyJWT, HS256 with ``exp`` required)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from storewire.errors import AuthError
from storewire.realtime.policy import Role

__all__ = ["PasswordHasher", "TokenClaims", "TokenService"]

_ISSUER = "storewire"


class PasswordHasher:
    """argon2id hashes; the CPU-heavy work runs in a thread so the event loop stays free."""

    def __init__(self) -> None:
        self._argon2 = _Argon2()
        self._dummy = self._argon2.hash("storewire-dummy-password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash (unknown user) still spend the same time, then say no."""
        try:
            return await asyncio.to_thread(self._argon2.verify, password_hash or self._dummy, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    role: Role
    expires_at: datetime


class TokenService:
    """Mints and verifies access tokens. Only the configured algorithm is ever accepted."""

    def __init__(self, secret: str, ttl: timedelta, algorithm: str = "HS256") -> None:
        self._secret = secret
        self._ttl = ttl
        self._algorithm = algorithm

    def mint(self, user_id: str, role: Role | str, *, ttl: timedelta | None = None) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user_id,
            "role": str(role),
            "iat": int(now.timestamp()),
            "exp": int((now + (ttl if ttl is not None else self._ttl)).timestamp()),
            "iss": _ISSUER,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def verify(self, token: str) -> TokenClaims:
        """Decode and check a token; raise ``AuthError`` with ``auth_expired`` or ``auth_invalid``."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                issuer=_ISSUER,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired", code="auth_expired") from None
        except jwt.PyJWTError:
            raise AuthError("the token is not valid", code="auth_invalid") from None
        try:
            role = Role(str(claims.get("role")))
            return TokenClaims(str(claims["sub"]), role, datetime.fromtimestamp(claims["exp"], UTC))
        except (ValueError, TypeError):
            raise AuthError("the token's claims are not valid", code="auth_invalid") from None
