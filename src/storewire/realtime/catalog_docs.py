"""Render described events (``describe.py``) as text, JSON or Markdown: ``storewire catalog`` and docs/.

``docs/events.md`` is ``render_markdown`` of the registry's modules, committed and checked by
``tests/unit/test_docs.py``; regenerate it with ``REGENERATE`` below. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storewire.realtime.describe import Conditional, EventDoc, FieldDoc

__all__ = ["REGENERATE", "Section", "render_json", "render_markdown", "render_text"]

REGENERATE = ".venv/bin/storewire catalog --format markdown > docs/events.md"

Section = tuple[str, Sequence[EventDoc]]
"""One module's name and its events, in catalog order."""


def render_text(sections: Sequence[Section]) -> str:
    """A terminal listing: per event its flags, description, audience, invalidate keys and fields."""
    lines: list[str] = []
    for _module, events in sections:
        for event in events:
            flags = [flag for flag, on in (("inbox", event.inbox), ("audited", event.sensitive)) if on]
            lines.append(event.name + (f"  [{', '.join(flags)}]" if flags else ""))
            if event.description:
                lines.append(f"  {event.description}")
            lines.append(f"  audience:   {_audience_text(event)}")
            if event.invalidate:
                lines.append(f"  invalidate: {', '.join(_conditional(c) for c in event.invalidate)}")
            top = [f for f in event.fields if "." not in f.name]
            lines.append(f"  payload:    {', '.join(_field_text(f) for f in top)}")
            lines.append("")
    return "\n".join(lines)


def render_json(sections: Sequence[Section]) -> str:
    """Every event as a JSON object: audience and invalidate keys with conditions, payload JSON schema."""
    out: list[dict[str, Any]] = []
    for module, events in sections:
        for event in events:
            out.append(
                {
                    "name": event.name,
                    "module": module,
                    "description": event.description,
                    "audience": [{"room": c.value, "when": c.when} for c in event.audience],
                    "audience_error": event.error,
                    "invalidate": [{"key": json.loads(c.value), "when": c.when} for c in event.invalidate],
                    "inbox": event.inbox,
                    "sensitive": event.sensitive,
                    "fields": [
                        {"name": f.name, "type": f.type, "required": f.required, "description": f.description}
                        for f in event.fields
                    ],
                    "payload": event.schema,
                }
            )
    return json.dumps(out, indent=2) + "\n"


_INTRO = f"""\
<!-- Generated from the event catalog: {REGENERATE}
     Do not edit by hand; tests/unit/test_docs.py fails when this file is stale. -->

# Event catalog

Every event reaches a client as a Socket.IO event of the same name whose one argument is the envelope
`{{id, type, epoch, seq, ts, data, invalidate}}` (see [protocol.md](protocol.md)). `data` is the payload
described below; `invalidate` lists the query keys below, with the payload's values filled in.

Audiences are derived from the catalog's own code (each event's audience function, called with
placeholder payloads), never written by hand. A room pattern names payload fields: `user:{{seller_id}}` is
the `user:` room of the payload's `seller_id`. A room with a condition receives the event only when the
condition on the payload holds. A socket in several of an event's rooms receives it once.

- **inbox**: also stored as a notification for each `user:` recipient (`GET /api/v1/notifications`).
- **audited**: recorded in the audit log when published.
"""


def render_markdown(sections: Sequence[Section]) -> str:
    """``docs/events.md``: an index, then each module's events with audience, keys and payload table."""
    out = [_INTRO, "## Index", "", "| event | audience |", "| --- | --- |"]
    for _module, events in sections:
        for event in events:
            anchor = "".join(ch for ch in event.name if ch.isalnum() or ch in "-_").lower()
            out.append(f"| [`{event.name}`](#{anchor}) | {_cell(_audience_md(event))} |")
    for module, events in sections:
        if not events:
            continue
        out += ["", f"## {module}"]
        for event in events:
            out += ["", f"### `{event.name}`", ""]
            if event.description:
                out += [event.description, ""]
            out.append(f"- **audience**: {_audience_md(event)}")
            keys = ", ".join(_conditional_md(c) for c in event.invalidate) or "none"
            out.append(f"- **invalidate**: {keys}")
            out.append(f"- **inbox**: {_yes(event.inbox)}; **audited**: {_yes(event.sensitive)}")
            out += ["", *_fields_table(event.fields)]
    return "\n".join(out) + "\n"


def _fields_table(fields: Sequence[FieldDoc]) -> list[str]:
    if not fields:
        return ["The payload has no fields."]
    described = any(f.description for f in fields)
    head = "| field | type | required |" + (" description |" if described else "")
    rule = "| --- | --- | --- |" + (" --- |" if described else "")
    rows = [head, rule]
    for f in fields:
        row = f"| `{f.name}` | `{_cell(f.type)}` | {_yes(f.required)} |"
        rows.append(row + (f" {_cell(f.description)} |" if described else ""))
    return rows


def _audience_text(event: EventDoc) -> str:
    if event.error is not None:
        return f"(could not be derived: {event.error})"
    return ", ".join(_conditional(c) for c in event.audience)


def _audience_md(event: EventDoc) -> str:
    if event.error is not None:
        return f"could not be derived ({event.error})"
    return ", ".join(_conditional_md(c) for c in event.audience)


def _conditional(item: Conditional) -> str:
    return item.value if item.when is None else f"{item.value} (when {item.when})"


def _conditional_md(item: Conditional) -> str:
    return f"`{item.value}`" if item.when is None else f"`{item.value}` when {item.when}"


def _field_text(field: FieldDoc) -> str:
    return f"{field.name}{'' if field.required else '?'}: {field.type}"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _cell(text: str) -> str:
    # A pipe ends a table cell even inside a code span (GitHub Flavored Markdown).
    return text.replace("|", "\\|").replace("\n", " ")
