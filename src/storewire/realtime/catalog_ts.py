"""The event catalog as TypeScript types: ``storewire catalog --format typescript`` (events.ts).

``clients/js/src/events.ts`` is ``render_typescript`` of the registry's catalog, committed and checked by
``tests/unit/test_catalog_typescript.py``; regenerate it with ``REGENERATE`` below.

Each payload model becomes an interface rendered from its pydantic JSON schema in serialization mode
(what ``model_dump(mode="json")`` puts on the wire); nested models are hoisted to interfaces of their
own. Every field is required: an event's ``data`` is the whole dumped model, defaults included.
``EventMap`` maps every event name to its payload, ephemeral events (no ``seq``, never replayed)
marked in their doc comment and listed in ``EPHEMERAL_EVENTS``. The envelope and ``sync:recovered``
types (docs/protocol.md sections 4 and 6) are fixed text. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable
from typing import Any

from pydantic.json_schema import models_json_schema

from storewire.realtime.catalog import EventSpec

__all__ = ["REGENERATE", "render_typescript", "ts_type"]

REGENERATE = ".venv/bin/storewire catalog --format typescript > clients/js/src/events.ts"

_REF = "#/$defs/{model}"
_WIDTH = 110  # doc comments are wrapped to this many columns
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

_HEADER = f"""\
// Generated from the event catalog: {REGENERATE}
// Do not edit by hand; tests/unit/test_catalog_typescript.py fails when this file is stale.
/* eslint-disable */

/** A place in the event log: every event of the client's rooms up to `seq` was handled. */
export interface Position {{
  epoch: string;
  seq: number;
}}

/** A logged domain event as it reaches a client (docs/protocol.md, section 4). */
export interface Envelope<T = unknown, K extends string = string> {{
  /** The event's id: the same for every recipient and every redelivery. */
  id: string;
  /** The event name, the same as the Socket.IO event name. */
  type: K;
  /** Names the event log; changes only if the log is lost or reset. */
  epoch: string;
  /** Position in the log: strictly increasing in delivery order within an epoch. */
  seq: number;
  /** When the event was logged: ISO 8601 UTC with milliseconds and `Z`. */
  ts: string;
  data: T;
  /** Hierarchical query keys a client cache should refetch. */
  invalidate: string[][];
}}

/** An ephemeral event (presence, typing, live users): sent as it happens, no position, never replayed. */
export interface EphemeralEnvelope<T = unknown, K extends string = string> {{
  type: K;
  ts: string;
  data: T;
}}

/** Why a resume or a join with `since` did not recover every missed event: refetch over REST. */
export type ResyncReason = "no_position" | "epoch_changed" | "expired" | "too_many" | "invalid" | "overflow";

/** `sync:recovered`: the answer to `auth.resume`, or to a `room:join` with `since` (then `room` is set). */
export interface SyncRecovered {{
  /** `true`: every event after the asked position reached the socket; `false`: refetch over REST. */
  recovered: boolean;
  /** The current position: resume from here next time. */
  epoch: string;
  seq: number;
  /** The room whose `room:join` with `since` this answers. */
  room?: string;
  /** Present when `recovered` is false. */
  reason?: ResyncReason;
}}
"""

_FOOTER = """\
export type EventName = keyof EventMap;

/** Events sent by the gateway as they happen: `{{type, ts, data}}`, no `seq`, never replayed. */
export const EPHEMERAL_EVENTS = [{ephemeral}] as const;

export type EphemeralEventName = (typeof EPHEMERAL_EVENTS)[number];

/** Events of the log: full envelopes with a position. */
export type LoggedEventName = Exclude<EventName, EphemeralEventName>;

/** What a handler of event `K` receives. */
export type EventEnvelope<K extends EventName> = K extends EphemeralEventName
  ? EphemeralEnvelope<EventMap[K], K>
  : Envelope<EventMap[K], K>;

/** Any event of the catalog, discriminated by `type`. */
export type AnyEnvelope = {{ [K in EventName]: EventEnvelope<K> }}[EventName];
"""


def render_typescript(catalog: Iterable[EventSpec[Any]]) -> str:
    """``clients/js/src/events.ts`` for ``catalog`` (see the module docstring)."""
    specs = list(catalog)
    models = list(dict.fromkeys(spec.payload for spec in specs))
    keyed, top = models_json_schema([(model, "serialization") for model in models], ref_template=_REF)
    definitions: dict[str, Any] = top.get("$defs", {})
    names = {model: _ref_name(keyed[(model, "serialization")]) for model in models}

    out = [_HEADER]
    for name in sorted(definitions):
        out.append(_declaration(name, definitions[name]))
    out.append("/** Every event's payload (`data`), by event name. */")
    out.append("export interface EventMap {")
    for spec in specs:
        doc = _doc(_event_doc(spec), "  ")
        if doc:
            out.append(doc)
        out.append(f"  {json.dumps(spec.name)}: {names[spec.payload]};")
    out.append("}\n")
    ephemeral = ", ".join(json.dumps(spec.name) for spec in specs if spec.ephemeral)
    out.append(_FOOTER.format(ephemeral=ephemeral))
    return "\n".join(out)


def ts_type(schema: dict[str, Any]) -> str:
    """The TypeScript type of one JSON schema (as pydantic writes them); ``unknown`` when unsure."""
    if "$ref" in schema:
        return _ref_name(schema)
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return _union(json.dumps(value) for value in schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return _union(ts_type(part) for part in schema[combinator])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return ts_type(schema["allOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union(ts_type({**schema, "type": one}) for one in kind)
    if kind == "string":
        return "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        return _array(schema)
    if kind == "object":
        return _object(schema)
    return "unknown"


# --- pieces -----------------------------------------------------------------------------------


def _declaration(name: str, schema: dict[str, Any]) -> str:
    doc = _doc(schema.get("description", ""), "")
    if schema.get("type") == "object" and "properties" in schema:
        body = _members(schema["properties"], "  ")
        head = f"export interface {name} {{"
        return "\n".join(part for part in (doc, head, *body, "}\n") if part)
    return "\n".join(part for part in (doc, f"export type {name} = {ts_type(schema)};\n") if part)


def _members(properties: dict[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for field, schema in properties.items():
        doc = _doc(schema.get("description", ""), indent)
        if doc:
            lines.append(doc)
        lines.append(f"{indent}{_key(field)}: {ts_type(schema)};")
    return lines


def _array(schema: dict[str, Any]) -> str:
    if "prefixItems" in schema:
        return "[" + ", ".join(ts_type(item) for item in schema["prefixItems"]) + "]"
    item = ts_type(schema["items"]) if isinstance(schema.get("items"), dict) else "unknown"
    return f"({item})[]" if " " in item else f"{item}[]"


def _object(schema: dict[str, Any]) -> str:
    if schema.get("properties"):
        members = [f"{_key(field)}: {ts_type(value)}" for field, value in schema["properties"].items()]
        return "{ " + "; ".join(members) + " }"
    extra = schema.get("additionalProperties")
    value = ts_type(extra) if isinstance(extra, dict) else "unknown"
    return f"Record<string, {value}>"


def _union(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(parts))
    return " | ".join(unique) if unique else "never"


def _ref_name(schema: dict[str, Any]) -> str:
    name = str(schema["$ref"]).rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_$]", "_", name)


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def _event_doc(spec: EventSpec[Any]) -> str:
    parts = [
        "Ephemeral: `{type, ts, data}`, no `seq`, never replayed." if spec.ephemeral else "",
        spec.description,
        "Inbox: also stored as a notification for each recipient user." if spec.inbox else "",
    ]
    return " ".join(part for part in parts if part)


def _doc(text: str, indent: str) -> str:
    """A JSDoc comment (``""`` for no text); Python's ``double backticks`` become Markdown code."""
    text = text.replace("``", "`").replace("*/", "*\\/").strip()
    if not text:
        return ""
    width = _WIDTH - len(indent) - 3
    lines = [wrapped for line in text.splitlines() for wrapped in textwrap.wrap(line, width) or [""]]
    if len(lines) == 1 and len(lines[0]) <= width - 4:
        return f"{indent}/** {lines[0]} */"
    body = [f"{indent} *{' ' + line if line else ''}" for line in lines]
    return "\n".join([f"{indent}/**", *body, f"{indent} */"])
