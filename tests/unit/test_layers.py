"""The layering rules of DESIGN §1, checked on the source: arrows point down only."""

from __future__ import annotations

import ast
from pathlib import Path

import storewire

SRC = Path(storewire.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> dict[str, set[str]]:
    return {str(path.relative_to(SRC)): _imports(path) for path in SRC.rglob("*.py")}


def test_engine_imports_nothing_else_of_storewire() -> None:
    for name, imports in _modules().items():
        if name.startswith("engine/"):
            leaks = {i for i in imports if i.startswith("storewire") and not i.startswith("storewire.engine")}
            assert not leaks, (name, leaks)
            assert not {i for i in imports if i.split(".")[0] in {"socketio", "engineio"}}, name


def test_only_the_gateway_touches_the_socket_engine() -> None:
    # client/ is the Python client helper: it drives python-socketio's client, not the server engine.
    allowed = ("engine/", "gateway/", "bench_server.py", "client/")
    for name, imports in _modules().items():
        if name.startswith(allowed):
            continue
        touching = {
            i
            for i in imports
            if i.startswith("storewire.engine") or i.split(".")[0] in {"socketio", "engineio"}
        }
        assert not touching, (name, touching)


def test_nothing_imports_the_app_but_entry_points() -> None:
    for name, imports in _modules().items():
        if "storewire.app" in imports:
            assert name in {"cli.py", "__main__.py"}, name


def _layer_imports(prefix: str) -> dict[str, set[str]]:
    return {name: imports for name, imports in _modules().items() if name.startswith(prefix)}


def test_arrows_point_down() -> None:
    # (layer, what it must not import): storage and delivery sit under the domain; api and commerce
    # never reach into the gateway; the domain never reaches the app's assembly or the node.
    rules = [
        ("storage/", ("storewire.commerce", "storewire.delivery", "storewire.gateway", "storewire.api")),
        ("delivery/", ("storewire.commerce", "storewire.gateway", "storewire.api", "storewire.node")),
        ("commerce/", ("storewire.gateway", "storewire.api", "storewire.node", "storewire.app")),
        ("api/", ("storewire.gateway",)),
        ("gateway/", ("storewire.commerce", "storewire.api")),
    ]
    for prefix, forbidden in rules:
        for name, imports in _layer_imports(prefix).items():
            leaks = {i for i in imports if i.startswith(forbidden)}
            assert not leaks, (name, leaks)


def test_client_helper_stands_alone() -> None:
    # storewire.client runs in other people's processes: it may use the catalog (the default one is
    # built from the module registry), never the server's gateway, engine, delivery or storage.
    allowed = ("storewire.realtime", "storewire.errors", "storewire.commerce.registry")
    for name, imports in _layer_imports("client/").items():
        inside = {i for i in imports if i.startswith("storewire.") and not i.startswith("storewire.client")}
        assert all(i.startswith(allowed) for i in inside), (name, inside)


def test_realtime_core_imports_no_io_library() -> None:
    io_libraries = {
        "asyncio", "socket", "sqlalchemy", "fastapi", "starlette", "redis", "httpx", "aiosqlite",
        "asyncpg", "uvicorn", "socketio", "engineio", "prometheus_client", "alembic",
    }  # fmt: skip
    for name, imports in _layer_imports("realtime/").items():
        leaks = {i for i in imports if i.split(".")[0] in io_libraries}
        assert not leaks, (name, leaks)
        inside = {i for i in imports if i.startswith("storewire.") and not i.startswith("storewire.realtime")}
        assert inside <= {"storewire.errors"}, (name, inside)


def test_modules_are_declared_once_each_in_the_registry() -> None:
    from storewire.commerce.registry import MODULES

    names = [module.name for module in MODULES]
    assert len(names) == len(set(names))
    packages = {path.name for path in (SRC / "commerce").iterdir() if (path / "__init__.py").exists()}
    assert packages == set(names), "every package under commerce/ is a module in the registry"
