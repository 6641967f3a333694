"""@storewire/client's own tests: ``node --test`` on the build (dedupe, position, pending ``since``,
epochs, statuses, TanStack invalidation with a real QueryClient) and ``tsc`` on its type tests."""

from __future__ import annotations

import subprocess

import pytest

from tests.js_helper import CLIENT_DIR, NODE, require_build

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="Node.js (`node`) is not installed; the JS client tests need it"),
]


def _run(*args: str) -> None:
    assert NODE is not None
    done = subprocess.run([NODE, *args], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, f"`node {' '.join(args)}` in clients/js:\n{done.stdout}\n{done.stderr}"


def test_node_unit_tests_pass() -> None:
    require_build()
    tests = sorted(str(path.relative_to(CLIENT_DIR)) for path in (CLIENT_DIR / "test").glob("*.test.mjs"))
    assert tests, "no clients/js/test/*.test.mjs"
    _run("--test", *tests)


def test_types_hold() -> None:
    require_build()
    _run("node_modules/typescript/bin/tsc", "-p", "test/tsconfig.json")
