"""The ``storewire`` command: serve, demo, users, token, keys, catalog, db."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
import uvicorn
from pydantic import ValidationError

from storewire.errors import StorewireError
from storewire.observability.logging import configure_logging
from storewire.settings import Settings

if TYPE_CHECKING:
    from storewire.node import Node

__all__ = ["main"]

app = typer.Typer(help="storewire: the real-time layer for commerce web apps.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")

T = TypeVar("T")


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        typer.echo(f"invalid settings: {exc}", err=True)
        raise typer.Exit(2) from None


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(make())
    except StorewireError as exc:
        typer.echo(f"error ({exc.code}): {exc.message}", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (more than 1 needs Redis).")] = 1,
    demo: Annotated[bool | None, typer.Option("--demo/--no-demo", help="Seed demo data.")] = None,
) -> None:
    """Serve REST, Socket.IO and the web UI."""
    settings = _settings(host=host, port=port, demo=demo)
    configure_logging(settings.log_level, settings.log_format)
    settings.warn_unsafe()
    if workers > 1:
        typer.echo("--workers > 1 needs the Redis broker (STOREWIRE_REDIS_URL), not available yet", err=True)
        raise typer.Exit(2)
    from storewire.app import create_app

    asgi = create_app(settings)
    config = uvicorn.Config(
        asgi,
        host=settings.host,
        port=settings.port,
        ws=asgi.uvicorn_ws(),
        lifespan="on",
        log_config=None,
        access_log=False,
        backlog=2048,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout / 2)),
    )
    server = uvicorn.Server(config)
    if settings.demo:
        typer.echo(
            f"storewire demo on http://{settings.host}:{settings.port}/ (its home page says what to click)",
            err=True,
        )
    server.run()
    if not server.started:
        sys.exit(1)


@app.command()
def demo(
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Generate live traffic against a running demo server.")
    ] = False,
    url: Annotated[str, typer.Option(help="--simulate: the server's base URL.")] = "http://127.0.0.1:8000",
    rate: Annotated[float, typer.Option(min=0.1, max=1000, help="--simulate: actions per second.")] = 2,
    duration: Annotated[
        float | None, typer.Option(min=0.1, help="--simulate: seconds to run (default: until Ctrl-C).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="--simulate: random seed, for a repeatable run.")] = None,
) -> None:
    """Seed demo stores, products, carts and orders into the database; running it again adds nothing.

    Prints the demo accounts (password ``storewire-demo``) and what the demo holds. The events of the
    seeding wait in the outbox; a server started on this database relays them.

    With ``--simulate`` it seeds nothing: it keeps generating orders, payments, status changes,
    restocks, chats and page navigation as the demo accounts against the server at ``--url`` (started
    with ``--demo``), with a progress line on stderr, until Ctrl-C or ``--duration``; then it prints
    the summary on stdout. Exit 2 when the server cannot be reached or has no demo accounts.
    """
    if simulate:
        _simulate(url, rate, duration, seed)
        return
    settings = _settings()
    if settings.env == "prod":
        typer.echo("demo data is refused in prod (STOREWIRE_ENV=prod)", err=True)
        raise typer.Exit(2)

    async def seed_all() -> None:
        from storewire.demo import seed_demo

        node = await _open_node()
        try:
            await seed_demo(node)
        finally:
            await node.db.dispose()

    _run(seed_all)


def _simulate(url: str, rate: float, duration: float | None, seed: int | None) -> None:
    from storewire.simulate import SimulationError, Tally, simulate

    tally = Tally()
    try:
        asyncio.run(simulate(url, tally, rate=rate, duration=duration, seed=seed))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how an open-ended simulation ends: the summary follows
    except SimulationError as exc:
        typer.echo(f"demo --simulate: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"simulated {tally.line()}")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="buyer, seller, staff or admin")],
    name: Annotated[str | None, typer.Option()] = None,
    seller_id: Annotated[str | None, typer.Option(help="The seller a staff member works for.")] = None,
) -> None:
    """Create a user of any role."""
    from storewire.commerce.accounts.service import NewUser

    try:
        new = NewUser.model_validate(
            {
                "email": email,
                "password": password,
                "role": role,
                "name": name or email.split("@")[0],
                "seller_id": seller_id,
            }
        )
    except ValidationError as exc:
        typer.echo(f"invalid user: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None

    async def create() -> str:
        node = await _open_node()
        try:
            user = await node.accounts.create_user(new)
            return user.model_dump_json()
        finally:
            await node.db.dispose()

    typer.echo(_run(create))


@app.command()
def token(
    user: Annotated[str, typer.Option(help="The user's email.")],
    ttl_minutes: Annotated[int | None, typer.Option(help="Lifetime; default from settings.")] = None,
) -> None:
    """Mint an access token for a user (for testing and scripts)."""

    async def mint() -> str:
        node = await _open_node()
        try:
            found = await node.accounts.get_by_email(user)
            ttl = timedelta(minutes=ttl_minutes) if ttl_minutes is not None else None
            return node.accounts.tokens.mint(found.id, found.role, ttl=ttl)
        finally:
            await node.db.dispose()

    typer.echo(_run(mint))


@app.command()
def catalog(
    fmt: Annotated[
        Literal["text", "json", "markdown", "typescript"],
        typer.Option(
            "--format",
            help="text to read, json for tools, markdown for docs/events.md,"
            " typescript for clients/js/src/events.ts.",
        ),
    ] = "text",
    asyncapi: Annotated[
        bool, typer.Option("--asyncapi", help="Print the AsyncAPI 3 document instead (as served).")
    ] = False,
) -> None:
    """List the event catalog: names, audiences (room patterns), invalidate keys and payload fields."""
    if asyncapi:
        from storewire import __version__
        from storewire.commerce.registry import build_catalog
        from storewire.realtime.asyncapi import render_asyncapi

        # The node's own catalog (ephemeral events included): the same document /api/v1/asyncapi.json serves.
        typer.echo(render_asyncapi(build_catalog(), version=__version__), nl=False)
        return
    if fmt == "typescript":
        from storewire.commerce.registry import build_catalog
        from storewire.realtime.catalog_ts import render_typescript

        typer.echo(render_typescript(build_catalog()), nl=False)
        return
    from storewire.commerce.registry import MODULES
    from storewire.realtime.catalog_docs import render_json, render_markdown, render_text
    from storewire.realtime.describe import describe_event
    from storewire.realtime.ephemeral import EPHEMERAL_EVENTS

    sections = [
        (
            "people (ephemeral: sent by the gateway, never logged)",
            [describe_event(spec) for spec in EPHEMERAL_EVENTS],
        )
    ]
    sections += [(module.name, [describe_event(spec) for spec in module.events]) for module in MODULES]
    render = {"text": render_text, "json": render_json, "markdown": render_markdown}[fmt]
    typer.echo(render([section for section in sections if section[1]]), nl=False)


keys_app = typer.Typer(
    help="Manage service keys for the publish API (POST /api/v1/publish).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(name: Annotated[str, typer.Option(help="Who uses it, e.g. the billing backend.")]) -> None:
    """Issue a service key. Prints the key once on stdout (only its hash is stored); details on stderr."""
    from storewire.commerce.publishing.service import PublishingService

    async def create() -> tuple[str, str]:
        node = await _open_node()
        try:
            new = await node.services.get(PublishingService).create_key(name)
            return new.key, new.id
        finally:
            await node.db.dispose()

    key, key_id = _run(create)
    typer.echo(f"service key {key_id} ({name}): store it now, it is not shown again", err=True)
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List service keys (never their secrets), one JSON object a line."""
    from storewire.commerce.publishing.service import PublishingService

    async def listed() -> list[str]:
        node = await _open_node()
        try:
            return [key.model_dump_json() for key in await node.services.get(PublishingService).list_keys()]
        finally:
            await node.db.dispose()

    for line in _run(listed):
        typer.echo(line)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Option("--id", help="The key's id (key_...).")]) -> None:
    """Revoke a service key: it is refused from the next request on."""
    from storewire.commerce.publishing.service import PublishingService

    async def revoke() -> str:
        node = await _open_node()
        try:
            return (await node.services.get(PublishingService).revoke_key(key_id)).model_dump_json()
        finally:
            await node.db.dispose()

    typer.echo(_run(revoke))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""

    async def upgrade() -> None:
        node = await _open_node()
        await node.db.dispose()

    _run(upgrade)
    typer.echo("database is up to date")


async def _open_node() -> Node:
    from storewire.node import Node

    node = Node(_settings())
    await node.db.upgrade()
    return node


def main() -> None:
    app()
