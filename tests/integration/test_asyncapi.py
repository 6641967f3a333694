"""The AsyncAPI document: the CLI prints what the server serves, and the AsyncAPI parser accepts it.

The validator is ``@asyncapi/parser`` (the AsyncAPI initiative's parser: the spec's JSON schemas and its
Spectral ruleset), run by ``tests/js/asyncapi.mjs``. Its own model of the document (messages, and
which channels each operation uses) is what the checks below read, so they test what tools will see.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from storewire.commerce.registry import build_catalog
from storewire.realtime.asyncapi import ASYNCAPI_PATH, ROOM_FIELD_KINDS
from storewire.realtime.describe import describe_event
from tests.js_driver import JS_DIR, NODE
from tests.support import ServerProcess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(NODE is None, reason="Node.js (`node`) is not installed; the validator needs it"),
]

VALIDATOR = JS_DIR / "asyncapi.mjs"


def validate(document: str) -> dict[str, Any]:
    """Run @asyncapi/parser on ``document``; its report (see tests/js/asyncapi.mjs)."""
    if not (JS_DIR / "node_modules" / "@asyncapi" / "parser" / "package.json").is_file():
        pytest.fail(f"@asyncapi/parser is not installed in {JS_DIR}: run `make node-deps`")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(VALIDATOR)], input=document, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in report["diagnostics"] if d["severity"] == "error"]


@pytest.fixture(scope="module")
def served(server: ServerProcess) -> str:
    response = httpx.get(f"{server.url}{ASYNCAPI_PATH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.text


@pytest.fixture(scope="module")
def report(served: str) -> dict[str, Any]:
    return validate(served)


def test_cli_prints_the_served_document(served: str) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "storewire", "catalog", "--asyncapi"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == served
    document = json.loads(printed.stdout)
    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["storewire"]["pathname"] == "/socket.io/"


def test_the_parser_accepts_the_document(report: dict[str, Any]) -> None:
    assert report["parsed"], report["diagnostics"]
    assert errors(report) == []  # warnings and hints are allowed


def test_every_catalog_event_is_a_message(report: dict[str, Any]) -> None:
    names = {message["name"] for message in report["messages"]}
    missing = [spec.name for spec in build_catalog() if spec.name not in names]
    assert missing == []


def test_each_event_is_received_on_the_channels_of_its_rooms(report: dict[str, Any]) -> None:
    received: dict[str, set[str]] = {}
    for operation in report["operations"]:
        if operation["action"] != "receive":
            continue
        (address,) = operation["channels"]
        if address is None:  # the socket's own channel (sync:recovered), not a room
            assert operation["messages"] == ["sync:recovered"], operation
            continue
        for name in operation["messages"]:
            received.setdefault(name, set()).add(address.partition(":")[0])
    for spec in build_catalog():
        doc = describe_event(spec)
        if spec.name in ROOM_FIELD_KINDS:  # its room is a payload field: the gateway's kinds
            expected = {kind.value for kind in ROOM_FIELD_KINDS[spec.name]}
        else:
            assert doc.error is None, (spec.name, doc.error)
            expected = {room.value.partition(":")[0] for room in doc.audience}
        assert received.get(spec.name) == expected, spec.name


def test_client_events_are_send_operations_with_their_acks(report: dict[str, Any]) -> None:
    sends = {op["messages"][0]: op["replies"] for op in report["operations"] if op["action"] == "send"}
    for event in ("room:join", "room:leave", "presence:list", "chat:typing", "page:navigate"):
        assert sends.get(event) == [f"{event} ack"], event


def test_the_validator_refuses_a_broken_document(served: str) -> None:
    # Without this, a validator that accepted anything would pass every test above.
    document = json.loads(served)
    document["channels"]["order"]["parameters"] = {}  # orderId is no longer described
    document["components"]["schemas"]["Seq"]["minimum"] = "one"
    broken = validate(json.dumps(document))
    codes = {d["code"] for d in errors(broken)}
    assert "asyncapi3-channel-parameters" in codes
    assert any(d["path"] == "components/schemas/Seq/minimum" for d in errors(broken)), codes
