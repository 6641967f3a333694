"""The storewire command, run as an operator would, against a live server's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support import PASSWORD, ServerProcess

pytestmark = pytest.mark.integration


def _storewire(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STOREWIRE_DATABASE_URL": server.database_url,
        "STOREWIRE_JWT_SECRET": server.jwt_secret,
    }
    return subprocess.run(
        [sys.executable, "-m", "storewire", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_users_create_and_token(server: ServerProcess) -> None:
    seller = _storewire(
        server,
        "users",
        "create",
        "--email",
        "cli-seller@example.com",
        "--password",
        PASSWORD,
        "--role",
        "seller",
    )
    assert seller.returncode == 0, seller.stderr
    seller_id = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"email": "cli-seller@example.com", "password": PASSWORD}
    ).json()["user"]["id"]
    staff = _storewire(
        server,
        "users",
        "create",
        "--email",
        "cli-staff@example.com",
        "--password",
        PASSWORD,
        "--role",
        "staff",
        "--seller-id",
        seller_id,
    )
    assert staff.returncode == 0, staff.stderr

    minted = _storewire(server, "token", "--user", "cli-staff@example.com")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    claims = jwt.decode(token, server.jwt_secret, algorithms=["HS256"], issuer="storewire")
    assert claims["role"] == "staff"
    me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["seller_id"] == seller_id

    orphan = _storewire(
        server, "users", "create", "--email", "x@example.com", "--password", PASSWORD, "--role", "staff"
    )
    assert orphan.returncode == 1 and "invalid_payload" in orphan.stderr
    bad_role = _storewire(
        server, "users", "create", "--email", "y@example.com", "--password", PASSWORD, "--role", "wizard"
    )
    assert bad_role.returncode == 2
    unknown = _storewire(server, "token", "--user", "nobody@example.com")
    assert unknown.returncode == 1 and "not_found" in unknown.stderr


def test_db_upgrade_and_catalog(tmp_path: Path) -> None:
    env = {**os.environ, "STOREWIRE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"}
    upgraded = subprocess.run(
        [sys.executable, "-m", "storewire", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "fresh.db").exists()
    listed = subprocess.run(
        [sys.executable, "-m", "storewire", "catalog"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0
    assert "order:created" in listed.stdout and "order:status_changed" in listed.stdout


def test_openapi_and_health(server: ServerProcess) -> None:
    spec = httpx.get(f"{server.url}/api/v1/openapi.json").json()
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/products",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}/status",
    ]:
        assert path in spec["paths"], path
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready == {"status": "ok", "checks": {"relay": True, "database": True}}
    home = httpx.get(f"{server.url}/").text  # the web UI's page, or the note that it is not built
    assert '<div id="app">' in home or "storewire is running" in home
