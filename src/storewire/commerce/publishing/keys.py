"""Service key format ``swk_<id>_<secret>`` and its hash.

The secret is 32 random bytes (64 hex characters), so a plain SHA-256 of it is enough to store: a
slow password hash (argon2) protects low-entropy secrets against guessing, which a 256-bit random
secret already defeats, and would cost tens of milliseconds on every publish. Comparison is
constant-time. The id part lets the server find the key's row without scanning hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from storewire.realtime.ids import new_id

__all__ = ["PREFIX", "KeyParts", "hash_secret", "new_key", "parse_key", "secret_matches"]

PREFIX = "swk_"
_ID = re.compile(r"key_[0-9A-HJKMNP-TV-Z]{26}")
_SECRET = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class KeyParts:
    """A service key split into the row id it names and the secret that proves it."""

    id: str
    secret: str

    @property
    def token(self) -> str:
        return f"{PREFIX}{self.id}_{self.secret}"


def new_key() -> KeyParts:
    """A new key id and secret (the token is shown once; only ``hash_secret(secret)`` is stored)."""
    return KeyParts(new_id("key"), secrets.token_hex(32))


def parse_key(token: str) -> KeyParts | None:
    """The parts of a well-formed service key, or None (a JWT or anything else is not one)."""
    if not token.startswith(PREFIX):
        return None
    key_id, _, secret = token[len(PREFIX) :].rpartition("_")
    if not (_ID.fullmatch(key_id) and _SECRET.fullmatch(secret)):
        return None
    return KeyParts(key_id, secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(secret)).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
