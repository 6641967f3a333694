"""docs/ stays true: events.md is the catalog generator's output, and the docs link where they say."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from storewire.cli import app
from storewire.realtime.catalog_docs import REGENERATE

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _catalog(*args: str) -> str:
    result = CliRunner().invoke(app, ["catalog", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_events_md_is_generated_from_the_catalog() -> None:
    committed = (DOCS / "events.md").read_text("utf-8")
    assert committed == _catalog("--format", "markdown"), (
        f"docs/events.md is stale (the event catalog changed). Regenerate it: {REGENERATE}"
    )


def test_every_catalog_event_is_in_the_json_and_text_listings() -> None:
    from storewire.commerce.registry import build_catalog

    names = [spec.name for spec in build_catalog()]
    described = json.loads(_catalog("--format", "json"))
    assert sorted(event["name"] for event in described) == sorted(names)
    for event in described:
        assert {"name", "description", "audience", "payload", "inbox", "sensitive", "invalidate"} <= set(
            event
        )
        assert event["audience"], event["name"]
    text = _catalog()
    for name in names:
        assert re.search(rf"^{re.escape(name)}\b", text, re.MULTILINE), name


def test_doc_links_resolve() -> None:
    for page in ["README.md", "protocol.md", "events.md"]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", (DOCS / page).read_text("utf-8")):
            assert (DOCS / target).is_file(), (page, target)
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "docs/protocol.md" in readme and "docs/events.md" in readme
