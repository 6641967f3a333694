"""Tokens and where a handshake's token comes from."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from storewire.commerce.accounts.security import PasswordHasher, TokenService
from storewire.credentials import bearer_token
from storewire.errors import AuthError
from storewire.realtime.policy import Role
from storewire.settings import Settings

SECRET = "unit-secret-" + "0123456789abcdef" * 4


def test_token_round_trip() -> None:
    tokens = TokenService(SECRET, timedelta(minutes=5))
    claims = tokens.verify(tokens.mint("usr_1", Role.SELLER))
    assert (claims.user_id, claims.role) == ("usr_1", Role.SELLER)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (
            jwt.encode({"sub": "u", "role": "buyer", "iat": 1, "exp": 2, "iss": "storewire"}, SECRET),
            "auth_expired",
        ),
        (
            jwt.encode({"sub": "u", "role": "buyer", "iat": 1, "exp": 2**40, "iss": "storewire"}, "x" * 32),
            "auth_invalid",
        ),
        (
            jwt.encode(
                {"sub": "u", "role": "buyer", "iat": 1, "exp": 2**40, "iss": "storewire"},
                "",
                algorithm="none",
            ),
            "auth_invalid",
        ),
        (jwt.encode({"sub": "u", "role": "buyer", "iat": 1, "iss": "storewire"}, SECRET), "auth_invalid"),
        (
            jwt.encode({"sub": "u", "role": "king", "iat": 1, "exp": 2**40, "iss": "storewire"}, SECRET),
            "auth_invalid",
        ),
        (
            jwt.encode({"sub": "u", "role": "buyer", "iat": 1, "exp": 2**40, "iss": "other"}, SECRET),
            "auth_invalid",
        ),
        (
            jwt.encode(
                {"sub": "u", "role": "buyer", "iat": 1, "exp": 2**40, "iss": "storewire"},
                SECRET,
                algorithm="HS512",
            ),
            "auth_invalid",
        ),
        ("not.a.token", "auth_invalid"),
    ],
)
def test_bad_tokens(token: str, code: str) -> None:
    with pytest.raises(AuthError) as caught:
        TokenService(SECRET, timedelta(minutes=5)).verify(token)
    assert caught.value.code == code


def test_expired_by_ttl() -> None:
    tokens = TokenService(SECRET, timedelta(seconds=-1))
    with pytest.raises(AuthError) as caught:
        tokens.verify(tokens.mint("u", "buyer"))
    assert caught.value.code == "auth_expired"
    assert time.time() > 0


def test_token_sources_in_order() -> None:
    headers = {"authorization": "Bearer from-header", "cookie": "a=1; storewire_session=from-cookie"}
    assert bearer_token({"token": "from-auth"}, headers) == "from-auth"
    assert bearer_token({}, headers) == "from-header"
    assert bearer_token(None, {"cookie": headers["cookie"]}) == "from-cookie"
    assert bearer_token({"token": 5}, {"authorization": "Basic abc"}) is None
    assert bearer_token(None, {"cookie": '"broken'}) is None
    # Another cookie's JSON value or space must not hide the session cookie.
    for jar in [
        'prefs={"theme":"dark"}; storewire_session=tok',
        "a=b c; storewire_session=tok",
        'n="unterminated; storewire_session=tok',
    ]:
        assert bearer_token(None, {"cookie": jar}) == "tok", jar


async def test_password_hashing() -> None:
    hasher = PasswordHasher()
    hashed = await hasher.hash("s3cret-pass")
    assert await hasher.verify(hashed, "s3cret-pass")
    assert not await hasher.verify(hashed, "wrong")
    assert not await hasher.verify(None, "s3cret-pass")
    assert not await hasher.verify("not-a-hash", "x")


def test_prod_refuses_dev_secrets() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="prod")
    ok = Settings(env="prod", jwt_secret="p" * 40, stripe_webhook_secret="whsec_real")
    assert ok.env == "prod"
    assert Settings(cors_origins="http://a.test, http://b.test").cors_origins == [
        "http://a.test",
        "http://b.test",
    ]  # type: ignore[arg-type]
