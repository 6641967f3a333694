"""The event catalog as an AsyncAPI 3.0 document: ``storewire catalog --asyncapi``, ``/api/v1/asyncapi.json``.

The document describes a storewire *client*: what it receives (every catalog event, on a channel per
room kind) and what it sends (the acknowledged client events of DESIGN §3). So events are ``receive``
operations and ``room:join`` and friends are ``send`` operations with their acks as replies.

- A channel is a room kind; its address is the room's wire name (``order:{orderId}``).
- A message is one event: ``name`` is the Socket.IO event name, ``payload`` the envelope around the
  event's pydantic model (``components/schemas``), with ``type`` fixed to the event's name.
- Which channels carry an event is derived by ``describe.py`` from the event's own audience function,
  never declared twice. Events that take their room from the payload (presence, typing) cannot be
  derived that way: ``ROOM_FIELD_KINDS`` names the kinds the gateway sends them to.

AsyncAPI has no Socket.IO binding, so the server is described as what it is on the wire (Socket.IO v5
over Engine.IO v4, on WebSocket or HTTP long-polling), with the protocol given as ``ws``. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from storewire.realtime.catalog import EventSpec
from storewire.realtime.describe import EventDoc, describe_event
from storewire.realtime.ephemeral import PRESENCE_KINDS, PresenceUser
from storewire.realtime.rooms import ADMIN_ROOM, SELLERS_ROOM, RoomKind

__all__ = ["ASYNCAPI_PATH", "ROOM_FIELD_KINDS", "build_asyncapi", "channel_kinds", "render_asyncapi"]

ASYNCAPI_PATH = "/api/v1/asyncapi.json"

ROOM_FIELD_KINDS: Mapping[str, frozenset[RoomKind]] = {
    "presence:joined": PRESENCE_KINDS,
    "presence:left": PRESENCE_KINDS,
    "chat:typing": frozenset({RoomKind.CHAT}),  # the gateway relays typing in chat rooms only
}
"""Room kinds of the events whose audience is the payload's ``room`` field (not derivable by probing)."""

_REF = "#/components/schemas/{model}"

# Per room kind: the address parameter (None for the singleton rooms) and who is in the room (DESIGN §3).
_CHANNELS: dict[RoomKind, tuple[str | None, str]] = {
    RoomKind.USER: ("userId", "That user only, on all their devices. Joined automatically on connect."),
    RoomKind.ADMIN: (None, "Admins. Joined automatically on connect."),
    RoomKind.SELLERS: (None, "Sellers (announcements). Joined automatically on connect."),
    RoomKind.EVERYONE: (None, "Every connection, guests too (announcements to all). Joined automatically."),
    RoomKind.KITCHEN: (
        "sellerId",
        "A seller's kitchen: the seller and its staff. Automatic for staff; the seller joins with room:join.",
    ),
    RoomKind.ORDER: (
        "orderId",
        "One order: its buyer, its seller, that seller's staff, admins. Joined with room:join.",
    ),
    RoomKind.PRODUCT: (
        "productId",
        "One product: anyone (guests too) while it is published; its owner and admins while it is a draft."
        " Joined with room:join.",
    ),
    RoomKind.STOREFRONT: (
        "sellerId",
        "A seller's storefront: anyone while the store exists; its owner and admins while it is closed."
        " Joined with room:join.",
    ),
    RoomKind.CHAT: (
        "chatRoomId",
        "One chat: its participants, the seller's staff, admins. Joined with room:join.",
    ),
}

_PARAMETERS = {
    "userId": "The user's id (`usr_...`).",
    "sellerId": "The seller's user id.",
    "orderId": "The order's id (`ord_...`).",
    "productId": "The product's id.",
    "chatRoomId": "The chat room's id.",
}

_INFO = """\
Every domain event storewire pushes to its clients, and the events a client sends.

A client connects with socket.io-client 4.x (or any Socket.IO v5 client) to `/socket.io/` with
`auth: {token, resume?: {epoch, seq}}`, is put in its automatic rooms (`user:{self}`, `admin`,
`sellers`, `everyone`, a staff member's `kitchen:{seller}`) and joins others with `room:join`. Each
channel below is a room kind; a socket receives an event when it is in one of the event's rooms, once
even if it is in several.

A sequenced event arrives as the envelope `{id, type, epoch, seq, ts, data, invalidate}`: `seq` is its
position in the durable event log (strictly increasing within one `epoch`; delivery is at least once,
so drop a `seq` already seen) and `invalidate` lists the query keys a client cache should refetch.
A client that resumes from a position first gets every event it missed, then `sync:recovered`.
Ephemeral events (presence, typing, live users) arrive as `{type, ts, data}` and are never replayed.
Generated from the event catalog: audiences come from each event's own audience function."""

_SERVER = """\
Socket.IO protocol v5 over Engine.IO v4 at path `/socket.io/`, on WebSocket or HTTP long-polling (the
client may start polling and upgrade). AsyncAPI has no Socket.IO binding: the protocol is given as `ws`,
and each message is a Socket.IO event whose name is the message's `name` and whose single argument is
its payload. Client events are acknowledged through Socket.IO's ack callback (the operation's reply).
A refused connection gets `connect_error` with `data: {code, message}` (`auth_required`,
`auth_invalid`, `auth_expired`, `too_many_connections`, `server_busy`, `rate_limited`). Guests (no
token) connect only when the node allows them, and may join public rooms only."""

# The client events of DESIGN §3: (event, summary, request schema, ack-on-success schema).
_ROOM_REQUEST = {
    "type": "object",
    "required": ["room"],
    "properties": {"room": {"$ref": "#/components/schemas/RoomName"}},
}
_OK = {"type": "boolean", "const": True}
_POSITION = {
    "type": "object",
    "description": "A place in the event log: the client has handled every event of its rooms up to seq.",
    "required": ["epoch", "seq"],
    "properties": {"epoch": {"type": "string"}, "seq": {"type": "integer", "minimum": 0}},
}
_JOIN_REQUEST = {
    "type": "object",
    "required": ["room"],
    "properties": {
        "room": {"$ref": "#/components/schemas/RoomName"},
        "since": {**_POSITION, "description": "Replay this room's events after this position first."},
    },
}
_SYNC_RECOVERED = {
    "type": "object",
    "required": ["recovered", "epoch", "seq"],
    "properties": {
        "recovered": {"type": "boolean", "description": "false: events were missed; refetch over REST."},
        "epoch": {"type": "string"},
        "seq": {"type": "integer", "description": "The position to resume from next time."},
        "reason": {
            "type": "string",
            "enum": [
                "no_position",
                "epoch_changed",
                "expired",
                "too_many",
                "invalid",
                "overflow",
                "unavailable",
            ],
        },
        "room": {"type": "string", "description": "Present when answering a room:join with since."},
    },
}


def _ok(**properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ok", *properties],
        "properties": {"ok": _OK, **properties},
    }


def build_asyncapi(catalog: Iterable[EventSpec[Any]], *, version: str) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of ``catalog`` (see the module docstring)."""
    specs = list(catalog)
    docs = [describe_event(spec) for spec in specs]
    refs, schemas = _payload_schemas([spec.payload for spec in specs] + [PresenceUser])
    schemas.update(_envelope_schemas())

    messages: dict[str, Any] = {}
    carried: dict[RoomKind, list[str]] = {kind: [] for kind in _CHANNELS}
    for spec, doc in zip(specs, docs, strict=True):
        key = _message_id(spec.name)
        messages[key] = _event_message(spec, doc, refs[spec.payload])
        for kind in channel_kinds(doc):
            carried[kind].append(key)

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for kind, (parameter, who) in _CHANNELS.items():
        channel: dict[str, Any] = {
            "address": _address(kind),
            "title": f"{kind.value} rooms" if parameter else f"the {kind.value} room",
            "description": who,
            "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in carried[kind]},
        }
        if parameter:
            channel["parameters"] = {parameter: {"description": _PARAMETERS[parameter]}}
        channels[kind.value] = channel
        if carried[kind]:  # an operation without messages would mean "every message of the channel"
            operations[f"receive.{kind.value}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{kind.value}"},
                "summary": f"Events delivered to {_address(kind)}.",
                "messages": [{"$ref": f"#/channels/{kind.value}/messages/{key}"} for key in carried[kind]],
            }

    client_messages, client_operations = _client_events(refs[PresenceUser])
    messages.update(client_messages)
    channels["socket"] = {
        "address": None,  # not a room: the client's own connection, handled by the node it is on
        "title": "the client's connection",
        "description": "Events a client sends to the node it is connected to, and their acks.",
        "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in client_messages},
    }
    operations.update(client_operations)

    return {
        "asyncapi": "3.0.0",
        "info": {"title": "storewire events", "version": version, "description": _INFO},
        "defaultContentType": "application/json",
        "servers": {
            "storewire": {
                "host": "{host}",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "title": "a storewire node",
                "description": _SERVER,
                "variables": {"host": {"default": "localhost:8000", "description": "The node's host:port."}},
                "security": [
                    {"$ref": "#/components/securitySchemes/token"},
                    {"$ref": "#/components/securitySchemes/session"},
                ],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token (`POST /api/v1/auth/login`), sent as the handshake's"
                    " `auth: {token}` or as `Authorization: Bearer <token>`.",
                },
                "session": {
                    "type": "httpApiKey",
                    "in": "cookie",
                    "name": "storewire_session",
                    "description": "The web UI's HttpOnly session cookie.",
                },
            },
        },
    }


def render_asyncapi(catalog: Iterable[EventSpec[Any]], *, version: str) -> str:
    """``build_asyncapi`` as JSON text: the CLI prints it and the server serves it byte for byte."""
    return json.dumps(build_asyncapi(catalog, version=version), indent=2) + "\n"


def channel_kinds(doc: EventDoc) -> list[RoomKind]:
    """The room kinds an event can reach, from its described audience (or ``ROOM_FIELD_KINDS``)."""
    if doc.name in ROOM_FIELD_KINDS:
        return sorted(ROOM_FIELD_KINDS[doc.name], key=list(RoomKind).index)
    kinds = [RoomKind(room.value.partition(":")[0]) for room in doc.audience]
    return list(dict.fromkeys(kinds))


# --- pieces -----------------------------------------------------------------------------------


def _message_id(event: str) -> str:
    # Component keys allow [A-Za-z0-9._-] only; event names are ``module:action``.
    return event.replace(":", ".")


def _address(kind: RoomKind) -> str:
    parameter = _CHANNELS[kind][0]
    return kind.value if parameter is None else f"{kind.value}:{{{parameter}}}"


def _payload_schemas(models: list[type[BaseModel]]) -> tuple[dict[type[BaseModel], Any], dict[str, Any]]:
    """JSON schemas of the models as they go on the wire, nested models hoisted into one namespace."""
    unique = list(dict.fromkeys(models))
    keyed, top = models_json_schema([(model, "serialization") for model in unique], ref_template=_REF)
    refs = {model: keyed[(model, "serialization")] for model in unique}
    return refs, dict(top.get("$defs", {}))


def _envelope_schemas() -> dict[str, Any]:
    return {
        "EventId": {
            "type": "string",
            "pattern": "^evt_[0-9A-Z]{26}$",
            "description": "The event's id: the same for every recipient, and on a replay.",
        },
        "Epoch": {
            "type": "string",
            "description": "Names the event log; changes only if the log is lost or reset.",
        },
        "Seq": {
            "type": "integer",
            "minimum": 1,
            "description": "Position in the event log, increasing in delivery order within an epoch.",
        },
        "Timestamp": {
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
            "description": "ISO 8601 UTC with milliseconds and `Z`.",
        },
        "InvalidateKeys": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
            "description": "Hierarchical query keys a client cache should refetch, narrowest first.",
        },
        "RoomName": {
            "type": "string",
            "maxLength": 80,
            "pattern": _room_pattern(),
            "description": "A room's wire name: `{kind}:{id}`, or `admin` / `sellers`.",
        },
        "AckError": {
            "type": "object",
            "required": ["ok", "error"],
            "properties": {
                "ok": {"type": "boolean", "const": False},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "Stable: `forbidden`, `not_found`, `invalid_room`,"
                            " `too_many_rooms`, `invalid_payload`, `rate_limited`, ...",
                        },
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def _room_pattern() -> str:
    singletons = [ADMIN_ROOM.kind.value, SELLERS_ROOM.kind.value]
    kinds = [kind.value for kind in RoomKind if kind.value not in singletons]
    return f"^({'|'.join(singletons)}|({'|'.join(kinds)}):[A-Za-z0-9_-]{{1,64}})$"


def _event_message(spec: EventSpec[Any], doc: EventDoc, data: dict[str, Any]) -> dict[str, Any]:
    # The envelope of envelope.py in its wire order; ephemeral events have no log position to carry.
    fields: dict[str, Any] = {
        "id": {"$ref": "#/components/schemas/EventId"},
        "type": {"type": "string", "const": spec.name},
        "epoch": {"$ref": "#/components/schemas/Epoch"},
        "seq": {"$ref": "#/components/schemas/Seq"},
        "ts": {"$ref": "#/components/schemas/Timestamp"},
        "data": data,
        "invalidate": {"$ref": "#/components/schemas/InvalidateKeys"},
    }
    if spec.ephemeral:
        fields = {name: fields[name] for name in ("type", "ts", "data")}
    module, _, action = spec.name.partition(":")
    return {
        "name": spec.name,
        "title": f"{module} {action.replace('_', ' ')}".capitalize(),
        "summary": spec.description,
        "description": _audience_text(doc),
        "payload": {
            "type": "object",
            "required": list(fields),
            "properties": fields,
            "additionalProperties": False,
        },
        "x-storewire": {
            "rooms": [{"room": room.value, "when": room.when} for room in doc.audience],
            "room-kinds": [kind.value for kind in channel_kinds(doc)],
            "invalidate": [{"key": json.loads(key.value), "when": key.when} for key in doc.invalidate],
            "ephemeral": spec.ephemeral,
            "inbox": spec.inbox,
            "audited": spec.sensitive,
        },
    }


def _audience_text(doc: EventDoc) -> str:
    if doc.name in ROOM_FIELD_KINDS:
        kinds = ", ".join(f"`{_address(kind)}`" for kind in channel_kinds(doc))
        rooms = f"The room named in `data.room` (one of {kinds})."
    else:
        rooms = "Rooms: " + ", ".join(
            f"`{room.value}`" + (f" when {room.when}" if room.when else "") for room in doc.audience
        )
        rooms += (
            ". Room patterns name payload fields: `user:{seller_id}` is the user room of `data.seller_id`."
        )
    notes = [
        note
        for note, on in (
            ("Also stored in each recipient user's notification inbox.", doc.inbox),
            ("Audited when published.", doc.sensitive),
        )
        if on
    ]
    return " ".join([rooms, *notes])


def _client_events(presence_user: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Messages and ``send`` operations (ack as reply) for the client events of DESIGN §3."""
    events: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (
            "room:join",
            "Join a room the join policy allows; with `since`, replay its events after that position.",
            _JOIN_REQUEST,
            _ok(room={"type": "string"}),
        ),
        (
            "room:leave",
            "Leave a joined room (automatic rooms cannot be left: `forbidden`).",
            _ROOM_REQUEST,
            _ok(),
        ),
        (
            "presence:list",
            "Who is in a room with presence (members of the room only).",
            _ROOM_REQUEST,
            _ok(room={"type": "string"}, users={"type": "array", "items": presence_user}),
        ),
        (
            "chat:typing",
            "Tell a chat room's other members this user is typing (relayed as `chat:typing`).",
            _ROOM_REQUEST,
            _ok(),
        ),
        (
            "page:navigate",
            "Report the page this user is on (feeds the admins' `admin:live_users`).",
            {
                "type": "object",
                "required": ["path"],
                "properties": {"path": {"type": "string", "pattern": "^/", "maxLength": 300}},
            },
            _ok(),
        ),
    ]
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for name, summary, request, ack in events:
        key = _message_id(name)
        messages[f"{key}.request"] = {
            "name": name,
            "title": f"{name} (client)",
            "summary": summary,
            "payload": request,
        }
        messages[f"{key}.ack"] = {
            "name": f"{name} ack",
            "title": f"{name} acknowledgement",
            "summary": f"The ack callback's argument for {name}.",
            "payload": {"oneOf": [ack, {"$ref": "#/components/schemas/AckError"}]},
        }
        operations[f"send.{key}"] = {
            "action": "send",
            "channel": {"$ref": "#/channels/socket"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/socket/messages/{key}.request"}],
            "reply": {
                "channel": {"$ref": "#/channels/socket"},
                "messages": [{"$ref": f"#/channels/socket/messages/{key}.ack"}],
            },
        }
    messages["syncRecovered"] = {
        "name": "sync:recovered",
        "title": "sync:recovered",
        "summary": "A resume (auth.resume or room:join with since) is complete: the socket is live.",
        "payload": _SYNC_RECOVERED,
    }
    operations["receive.syncRecovered"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/socket"},
        "summary": "After a replay, or at once when the position cannot be resumed (`recovered: false`).",
        "messages": [{"$ref": "#/channels/socket/messages/syncRecovered"}],
    }
    return messages, operations
