"""One Settings object, read from the environment (prefix ``STOREWIRE_``) once and passed down."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEV_JWT_SECRET", "Settings"]

logger = logging.getLogger(__name__)

DEV_JWT_SECRET = "storewire-dev-secret-change-me-0123456789abcdef"
DEV_STRIPE_SECRET = "whsec_storewire_dev_secret"


class Settings(BaseSettings):
    """Every knob of a storewire node. CLI flags override the environment."""

    model_config = SettingsConfigDict(env_prefix="STOREWIRE_", extra="ignore", frozen=True)

    env: Literal["dev", "prod"] = "dev"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    database_url: str = "sqlite+aiosqlite:///./storewire.db"
    redis_url: str | None = None

    jwt_secret: str = DEV_JWT_SECRET
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_ttl: timedelta = timedelta(hours=12)
    stripe_webhook_secret: str = DEV_STRIPE_SECRET
    allow_guests: bool = False
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    max_connections_per_user: int = Field(5, ge=1)
    max_connections_per_ip: int = Field(100, ge=1)
    max_connections: int = Field(10_000, ge=1)
    client_events_per_second: float = Field(20.0, gt=0)
    client_events_burst: int = Field(40, ge=1)
    max_client_payload: int = Field(64 * 1024, ge=1024)
    max_request_body: int = Field(1024 * 1024, ge=1024)
    max_rooms_per_connection: int = Field(100, ge=1)
    publish_per_second: float = Field(50.0, gt=0)  # POST /publish, per service key
    publish_burst: int = Field(100, ge=1)
    max_buffered_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    ping_interval: float = Field(25.0, gt=0)
    ping_timeout: float = Field(20.0, gt=0)

    retention: timedelta = timedelta(hours=24)
    retention_events: int = Field(1_000_000, ge=1)  # the log keeps at most this many events
    retention_interval: float = Field(60.0, gt=0)  # seconds between pruning passes
    replay_max_events: int = Field(10_000, ge=1)  # a larger backlog answers recovered: false
    replay_page_size: int = Field(500, ge=1)
    shutdown_timeout: float = Field(10.0, gt=0)  # SIGTERM: seconds to close sockets and drain the relay
    relay_poll_interval: float = Field(0.5, gt=0)
    relay_batch_size: int = Field(500, ge=1)
    metrics_token: str | None = None  # when set, GET /metrics wants "Authorization: Bearer <it>"
    demo: bool = False

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="before")
    @classmethod
    def _demo_welcomes_guests(cls, data: object) -> object:
        # A demo's storefronts are for visitors too: guests may connect unless ALLOW_GUESTS says no.
        if isinstance(data, dict) and str(data.get("demo", "")).lower() in {"true", "1", "yes", "on"}:
            data.setdefault("allow_guests", True)
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_prod(self) -> Settings:
        if self.env == "prod":
            if self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
                raise ValueError("STOREWIRE_JWT_SECRET must be set to 32+ random characters in prod")
            if self.stripe_webhook_secret == DEV_STRIPE_SECRET:
                raise ValueError("STOREWIRE_STRIPE_WEBHOOK_SECRET must be set in prod")
            if self.demo:
                raise ValueError("demo data is refused in prod")
        return self

    def warn_unsafe(self) -> None:
        """Log loudly about dev defaults that must not reach production."""
        if self.jwt_secret == DEV_JWT_SECRET:
            logger.warning("using the built-in dev JWT secret: set STOREWIRE_JWT_SECRET outside dev")
        if self.allow_guests:
            logger.warning("guests may connect (STOREWIRE_ALLOW_GUESTS=true)")
