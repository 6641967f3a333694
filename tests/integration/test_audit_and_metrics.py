"""The audit log (``GET /api/v1/admin/audit``) and ``GET /metrics`` of a real server process: what a
refused login, a refused socket, a refused join, a denied request, a payment, an admin's new user and a
service key leave behind, and the counters Prometheus scrapes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import start_server
from tests.support import (
    Api,
    Crew,
    ServerProcess,
    _server_env,
    assert_problem,
    listen,
    make_crew,
    place,
    refusal,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def crew(server: ServerProcess) -> Crew:
    return make_crew(server)


async def audit_entries(api: Api, crew: Crew, **params: Any) -> dict[str, Any]:
    response = await api.http.get(
        "/admin/audit", params=params, headers={"Authorization": f"Bearer {crew.admin_token}"}
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def entry(api: Api, crew: Crew, kind: str, target: str | None = None) -> dict[str, Any]:
    """The newest entry of ``kind`` (and ``target``), waiting for the background writer."""
    for _ in range(100):
        for item in (await audit_entries(api, crew, kind=kind, limit=100))["items"]:
            if item["type"] == kind and (target is None or item["target"] == target):
                return item
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} {target} in the audit log")


async def test_a_failed_login_and_a_denied_request_are_audited(api: Api, crew: Crew) -> None:
    buyer = await api.register("buyer")
    wrong = await api.http.post("/auth/login", json={"email": buyer.email, "password": "not the password"})
    assert_problem(wrong, 401, "auth_invalid")
    failed = await entry(api, crew, "auth.failed", "POST /api/v1/auth/login")
    assert failed["detail"] == {"code": "auth_invalid"} and failed["remote_addr"] == "127.0.0.1"
    assert failed["summary"] == "auth.failed POST /api/v1/auth/login (auth_invalid)"
    # No credentials at all (a signed-out page asking who it is) is not a failure.
    assert_problem(await api.http.get("/me"), 401, "auth_required")
    # A fence: the writer keeps order, so once this later failure is in, an entry for /me would be too.
    fence = await api.http.get("/orders", headers={"Authorization": "Bearer not-a-jwt"})
    assert_problem(fence, 401, "auth_invalid")
    await entry(api, crew, "auth.failed", "GET /api/v1/orders")
    assert not [
        e
        for e in (await audit_entries(api, crew, kind="auth.failed"))["items"]
        if e["target"] == "GET /api/v1/me"
    ]

    # A buyer asking for the audit log is refused, and that refusal is audited with who asked.
    assert_problem(await api.http.get("/admin/audit", headers=buyer.headers), 403, "forbidden")
    denied = await entry(api, crew, "access.denied", "GET /api/v1/admin/audit")
    assert denied["actor_id"] == buyer.id and denied["actor_role"] == "buyer"


async def test_refused_sockets_and_joins_are_audited_and_counted(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    data = await refusal(server.url, ["websocket"], auth={"token": "not-a-jwt"})
    assert data["code"] == "auth_invalid"
    refused = await entry(api, crew, "connect.refused")
    assert refused["detail"] == {"code": "auth_invalid"} and refused["remote_addr"] == "127.0.0.1"

    buyer, other = await api.register("buyer"), await api.register("buyer")
    listener = await listen(server.url, buyer.token, ["websocket"])
    try:
        ack = await listener.join(f"user:{other.id}")
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    finally:
        await listener.close()
    join = await entry(api, crew, "join.refused", f"user:{other.id}")
    assert join["actor_id"] == buyer.id and join["detail"] == {"code": "forbidden"}

    metrics = (await api.http.get(f"{server.url}/metrics")).text
    assert _value(metrics, 'storewire_connections_refused_total{code="auth_invalid"}') >= 1
    assert _value(metrics, 'storewire_joins_total{result="forbidden"}') >= 1
    assert _value(metrics, "storewire_connections_opened_total") >= 1


async def test_a_payment_is_audited_in_its_transaction_with_the_actor(api: Api, crew: Crew) -> None:
    buyer, _, order_id = await place(api, crew)
    paid = await api.http.post(
        f"/dev/payments/{order_id}", json={"outcome": "succeeded"}, headers=buyer.headers
    )
    assert paid.status_code == 200, paid.text
    event = await entry(api, crew, "event:order:payment_succeeded", f"user:{buyer.id}")
    assert event["actor_id"] == buyer.id  # the request's principal (a Stripe delivery has none)
    assert event["detail"]["event_id"].startswith("evt_")
    assert f"order:{order_id}" in event["detail"]["rooms"]


async def test_admin_actions_are_audited(server: ServerProcess, api: Api, crew: Crew) -> None:
    admin = {"Authorization": f"Bearer {crew.admin_token}"}
    body = {
        "email": "kim-audit@example.com",
        "password": "correct horse battery",
        "name": "Kim",
        "role": "admin",
    }
    created = await api.http.post("/admin/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    made = await entry(api, crew, "admin.user_created", "kim-audit@example.com")
    assert made["actor_role"] == "admin" and made["detail"]["role"] == "admin"

    command = [sys.executable, "-m", "storewire", "keys", "create", "--name", "erp-audit"]
    done = await asyncio.to_thread(
        subprocess.run, command, env=_server_env(server), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    key = await entry(api, crew, "admin.key_created", "erp-audit")
    assert key["detail"]["key_id"].startswith("key_")


async def test_a_sensitive_event_from_the_publish_api_names_its_key(
    server: ServerProcess, api: Api, crew: Crew
) -> None:
    command = [sys.executable, "-m", "storewire", "keys", "create", "--name", "erp-publisher"]
    done = await asyncio.to_thread(
        subprocess.run, command, env=_server_env(server), capture_output=True, text=True, timeout=60
    )
    key = done.stdout.strip()
    data = {
        "announcement_id": "ann_erp",
        "audience": "sellers",
        "level": "info",
        "title": "Maintenance",
        "body": "Tonight at ten",
        "created_at": "2026-12-05T00:00:00Z",
    }
    sent = await api.http.post(
        "/publish",
        json={"event": "system:announcement", "data": data},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert sent.status_code == 202, sent.text
    audited = await entry(api, crew, "event:system:announcement", "sellers")
    assert audited["actor_id"] is None  # no user: another backend, named by its key
    assert audited["detail"]["key_id"].startswith("key_") and audited["detail"]["key_id"] in key
    assert audited["detail"]["event_id"] == sent.json()["event_id"]


async def test_the_audit_log_pages_newest_first(api: Api, crew: Crew) -> None:
    for _ in range(3):
        await api.http.post("/auth/login", json={"email": "nobody@example.com", "password": "x"})
    await entry(api, crew, "auth.failed")
    first = await audit_entries(api, crew, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"] == first["items"][-1]["id"]
    second = await audit_entries(api, crew, limit=2, before=first["next_cursor"])
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert_problem(
        await api.http.get(
            "/admin/audit", params={"limit": 0}, headers={"Authorization": f"Bearer {crew.admin_token}"}
        ),
        422,
        "invalid_payload",
    )


async def test_metrics_are_prometheus_text_with_the_nodes_counters(server: ServerProcess, api: Api) -> None:
    seller = await api.register("seller")
    listener = await listen(server.url, seller.token, ["websocket"])
    try:
        await api.product(seller)
        await listener.wait_for("product:created")
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{server.url}/metrics")
    finally:
        await listener.close()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _value(text, "storewire_connections_active") >= 1
    assert _value(text, "storewire_events_fanned_out_total") >= 1
    assert _value(text, "storewire_deliveries_total") >= 1
    assert _value(text, "storewire_relay_published_seq") >= 1
    assert _value(text, "process_cpu_seconds_total") > 0
    assert "# TYPE storewire_resumes_total counter" in text


def _value(text: str, sample: str) -> float:
    """The value of one sample line of a Prometheus text exposition."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in\n{text}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("metrics"), STOREWIRE_METRICS_TOKEN="scrape-me")
    yield proc
    proc.stop()


async def test_a_metrics_token_guards_the_metrics(guarded: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=guarded.url) as http:
        assert_problem(await http.get("/metrics"), 401, "auth_invalid")
        assert_problem(
            await http.get("/metrics", headers={"authorization": "Bearer nope"}), 401, "auth_invalid"
        )
        scraped = await http.get("/metrics", headers={"authorization": "Bearer scrape-me"})
        assert scraped.status_code == 200 and "storewire_connections_active" in scraped.text
