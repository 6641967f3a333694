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
    allowed = ("engine/", "gateway/", "bench_server.py")
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
