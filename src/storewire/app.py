"""``create_app(settings)``: the ASGI app serving REST, Socket.IO and the web UI of one node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from storewire import __version__
from storewire.api import admin, health, session
from storewire.api.acting_socket import ActingSocket
from storewire.api.asyncapi import asyncapi_router
from storewire.api.body_limit import BodyLimit
from storewire.api.docs import install_docs
from storewire.api.metrics import metrics_router
from storewire.api.problems import install_problem_handlers
from storewire.api.web_ui import install_web_ui
from storewire.node import Node
from storewire.settings import Settings

__all__ = ["StorewireApp", "create_app"]


class StorewireApp:
    """The ASGI entry point: Socket.IO at ``/socket.io/``, FastAPI for everything else."""

    def __init__(self, node: Node, api: FastAPI) -> None:
        self.node = node
        self.api = api
        self._asgi: ASGIApp = node.gateway.transport.asgi(api)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    def uvicorn_ws(self) -> str | type:
        """The ``ws`` option uvicorn must run with for this app's WebSocket upgrades."""
        return self.node.gateway.transport.uvicorn_ws()


def create_app(settings: Settings | None = None) -> StorewireApp:
    settings = settings or Settings()
    node = Node(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await node.start()
        if settings.demo:
            from storewire.demo import seed_demo

            await seed_demo(node)
        try:
            yield
        finally:
            await node.stop()

    api = FastAPI(
        title="storewire",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served offline by install_docs below
        redoc_url=None,
    )
    api.state.node = node
    api.state.services = node.services
    api.state.authenticate = node.accounts.principal_for_request
    install_problem_handlers(api)
    install_docs(api, title="storewire", openapi_url="/api/v1/openapi.json")
    api.add_middleware(ActingSocket)
    api.add_middleware(BodyLimit, max_bytes=settings.max_request_body)
    if settings.cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            # "*" with credentials would let any site send the session cookie (and pass the CSRF
            # header's preflight): a wildcard allows only uncredentialed requests, as the engine does.
            allow_credentials="*" not in settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    v1 = APIRouter(prefix="/api/v1")
    for module in node.modules:
        if module.router is not None:
            v1.include_router(module.router)
    v1.include_router(admin.router)
    v1.include_router(session.router)
    api.include_router(v1)
    api.include_router(health.router)
    api.include_router(asyncapi_router(node.catalog))
    api.include_router(metrics_router(node))

    install_web_ui(api)
    return StorewireApp(node, api)
