"""The one error tree of storewire.

Every error has a stable ``code`` (the contract clients switch on) and an HTTP status. The edges
translate them: ``api/problems.py`` to RFC 9457 problem JSON, ``gateway/`` to Socket.IO
``connect_error`` data and ack payloads ``{ok: false, error: {code, message}}``.

    StorewireError
    ├── InvalidPayload        422 invalid_payload
    ├── AuthError             401 auth_required / auth_invalid / auth_expired
    ├── Forbidden             403 forbidden
    ├── NotFound              404 not_found
    ├── Conflict              409 conflict, email_taken, insufficient_stock, invalid_transition,
    │                             idempotency_conflict
    └── LimitError            429 rate_limited, too_many_connections, too_many_rooms; 503 server_busy
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "Conflict",
    "Forbidden",
    "InvalidPayload",
    "LimitError",
    "NotFound",
    "StorewireError",
]


class StorewireError(Exception):
    """Base of every error storewire reports to a client."""

    default_code: ClassVar[str] = "internal_error"
    default_status: ClassVar[int] = 500

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status or self.default_status
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The ``{code, message}`` shape used on the socket."""
        return {"code": self.code, "message": self.message, **self.extra}


class InvalidPayload(StorewireError):
    default_code = "invalid_payload"
    default_status = 422


class AuthError(StorewireError):
    default_code = "auth_invalid"
    default_status = 401


class Forbidden(StorewireError):
    default_code = "forbidden"
    default_status = 403


class NotFound(StorewireError):
    default_code = "not_found"
    default_status = 404


class Conflict(StorewireError):
    default_code = "conflict"
    default_status = 409


class LimitError(StorewireError):
    default_code = "rate_limited"
    default_status = 429
