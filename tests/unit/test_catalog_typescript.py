"""clients/js/src/events.ts is the catalog's TypeScript, and the generator renders schemas faithfully."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from typer.testing import CliRunner

from storewire.cli import app
from storewire.commerce.registry import build_catalog
from storewire.realtime.catalog import EventSpec
from storewire.realtime.catalog_ts import REGENERATE, render_typescript, ts_type
from storewire.realtime.rooms import ADMIN_ROOM

EVENTS_TS = Path(__file__).resolve().parents[2] / "clients" / "js" / "src" / "events.ts"


def test_events_ts_is_generated_from_the_catalog() -> None:
    result = CliRunner().invoke(app, ["catalog", "--format", "typescript"])
    assert result.exit_code == 0, result.output
    assert EVENTS_TS.read_text("utf-8") == result.stdout, (
        f"clients/js/src/events.ts is stale (the event catalog changed). Regenerate it: {REGENERATE}"
    )


def test_every_event_is_in_the_event_map_and_ephemeral_ones_are_listed() -> None:
    text = render_typescript(build_catalog())
    body = text.split("export interface EventMap {", 1)[1].split("\n}\n", 1)[0]
    for spec in build_catalog():
        assert f'  "{spec.name}": {spec.payload.__name__};' in body, spec.name
    ephemeral = [f'"{spec.name}"' for spec in build_catalog() if spec.ephemeral]
    assert f"export const EPHEMERAL_EVENTS = [{', '.join(ephemeral)}] as const;" in text


class Line(BaseModel):
    """One line: ``sku`` and how many."""

    sku: str
    quantity: Annotated[int, Field(ge=1, description="How many units.")]


class Sample(BaseModel):
    id: str
    kind: Literal["a", "b"]
    flag: bool = False
    note: str | None = None
    lines: list[Line] = []
    main: Line | None = None
    totals: dict[str, int] = {}
    pair: tuple[str, int] = ("x", 1)
    maybe: list[int | None] = []
    amount: float = 0.0


def _sample_spec(name: str = "sample:happened", ephemeral: bool = False) -> EventSpec[Any]:
    return EventSpec(
        name, Sample, lambda _e: [ADMIN_ROOM], description="Something */ happened.", ephemeral=ephemeral
    )


def test_schemas_become_typescript_types() -> None:
    text = render_typescript([_sample_spec(), _sample_spec("sample:live", ephemeral=True)])
    sample = text.split("export interface Sample {", 1)[1].split("\n}\n", 1)[0]
    assert [line.strip() for line in sample.strip().splitlines()] == [
        "id: string;",
        'kind: "a" | "b";',
        "flag: boolean;",
        "note: string | null;",
        "lines: Line[];",
        "main: Line | null;",
        "totals: Record<string, number>;",
        "pair: [string, number];",
        "maybe: (number | null)[];",
        "amount: number;",
    ]
    assert "/** One line: `sku` and how many. */\nexport interface Line {" in text
    assert "  /** How many units. */\n  quantity: number;" in text
    assert '  /** Something *\\/ happened. */\n  "sample:happened": Sample;' in text
    assert '"sample:live": Sample;' in text.split("Ephemeral: ", 1)[1]
    assert 'export const EPHEMERAL_EVENTS = ["sample:live"] as const;' in text


def test_unknown_schemas_are_unknown_not_any() -> None:
    assert ts_type({}) == "unknown"
    assert ts_type({"type": "object"}) == "Record<string, unknown>"
    assert ts_type({"type": "array"}) == "unknown[]"
    assert ts_type({"type": ["string", "null"]}) == "string | null"
    assert ts_type({"const": 3}) == "3"
    assert ts_type({"allOf": [{"$ref": "#/$defs/Line"}]}) == "Line"
