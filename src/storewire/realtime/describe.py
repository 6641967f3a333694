"""Describe catalog events for people: audiences as room patterns, invalidate keys, payload fields.

An ``EventSpec``'s audience is a function of the payload, so the patterns are found by calling it, not
by reading a second declaration that could drift. The payload is built with ``model_construct`` from
placeholders: a ``str`` field holds ``"{field_name}"``, so ``Room.user(event.seller_id)`` renders as
``user:{seller_id}``. Audiences that branch on the payload are explored honestly:

- ``bool`` fields are tried both ways, ``Literal``/``Enum`` fields with each value, optional fields
  also as ``None``;
- a ``str`` placeholder records every constant it is compared with (``event.status == "draft"``), and
  the exploration runs again with those constants, until nothing new turns up.

A room every variant yields is unconditional; any other room carries a ``when`` clause derived from the
variants (``status is not 'draft'``, ``published is true``), or ``"depends on the payload"`` when no
simple clause explains it. Branches on other comparisons (``<``, ``in`` a set) are not discovered: they
show up as the placeholder's branch only. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import json
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from storewire.realtime.catalog import EventSpec

__all__ = ["Conditional", "EventDoc", "FieldDoc", "describe_event", "payload_fields"]

_MAX_VARIANTS = 256  # above this, fields are varied one at a time from the first variant
_MAX_ROUNDS = 4
_MAX_DEPTH = 3  # nested models shown and built this deep


@dataclass(frozen=True, slots=True)
class Conditional:
    """One room (or invalidate key) of an event and when it applies (``None``: always)."""

    value: str
    when: str | None = None


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One payload field; nested model fields are dotted (``values.store_name``, ``items[].sku``)."""

    name: str
    type: str
    required: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class EventDoc:
    """Everything a client author needs to know about one event."""

    name: str
    description: str
    audience: tuple[Conditional, ...]
    invalidate: tuple[Conditional, ...]
    fields: tuple[FieldDoc, ...]
    schema: dict[str, Any]
    inbox: bool
    sensitive: bool
    error: str | None = None  # set when the audience could not be derived at all


class _Probe(str):
    """A placeholder string that records the constants it is compared with."""

    seen: set[str]

    def __new__(cls, text: str) -> _Probe:
        probe = super().__new__(cls, text)
        probe.seen = set()
        return probe

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str) and not isinstance(other, _Probe):
            self.seen.add(str(other))
        return str.__eq__(self, other) is True

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


def describe_event(spec: EventSpec[Any]) -> EventDoc:
    """Describe one catalog event (see the module docstring for how its audience is derived)."""
    names = list(spec.payload.model_fields)
    candidates = [
        _candidates(info.annotation, "{" + name + "}", 0) for name, info in spec.payload.model_fields.items()
    ]
    runs: list[tuple[tuple[int, ...], list[str], list[str]]] = []
    errors: list[str] = []
    for round_ in range(1, _MAX_ROUNDS + 1):
        runs, errors = [], []
        for choice in _variants([len(c) for c in candidates]):
            values = {
                name: candidates[i][pick] for i, (name, pick) in enumerate(zip(names, choice, strict=True))
            }
            model = spec.payload.model_construct(**values)
            try:
                rooms = [str(room) for room in spec.audience(model)]
                keys = [_key(key) for key in spec.invalidate(model)]
            except Exception as exc:  # a branch the placeholders cannot satisfy: report, don't crash
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            runs.append((choice, rooms, keys))
        # Learn only while another round can run: every candidate in the result has been tried.
        if round_ == _MAX_ROUNDS or not _learn(candidates):
            break
    varying = [i for i, c in enumerate(candidates) if len(c) > 1]
    labels = [[_show(value) for value in c] for c in candidates]
    return EventDoc(
        name=spec.name,
        description=spec.description,
        audience=_conditionals([(c, r) for c, r, _ in runs], names, labels, varying),
        invalidate=_conditionals([(c, k) for c, _, k in runs], names, labels, varying),
        fields=tuple(payload_fields(spec.payload)),
        schema=spec.payload.model_json_schema(),
        inbox=spec.inbox,
        sensitive=spec.sensitive,
        error=None if runs else (errors[0] if errors else "no payload could be built"),
    )


def payload_fields(model: type[BaseModel], prefix: str = "", depth: int = 0) -> Iterable[FieldDoc]:
    """The model's fields with readable types, nested models flattened with dotted names."""
    for name, info in model.model_fields.items():
        yield FieldDoc(prefix + name, _type_name(info.annotation), info.is_required(), info.description or "")
        if depth >= _MAX_DEPTH:
            continue
        nested, suffix = _nested_model(info.annotation)
        if nested is not None:
            yield from payload_fields(nested, f"{prefix}{name}{suffix}.", depth + 1)


# --- exploring the audience -------------------------------------------------------------------


def _strip(annotation: Any) -> Any:
    """``Annotated[X, ...]`` is X here: constraints do not change what a field holds."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _candidates(annotation: Any, label: str, depth: int) -> list[Any]:
    """The values a field is tried with; the first is the one every other field's variants use."""
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return list(get_args(annotation))
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(annotation):
            if arg is not type(None):
                out.extend(_candidates(arg, label, depth))
        return _unique([*out, None])
    if annotation is bool:
        return [False, True]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)
    if isinstance(annotation, type) and issubclass(annotation, str):
        return [_Probe(label)]
    if annotation is int:
        return [0]
    if annotation is float:
        return [0.0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and depth < _MAX_DEPTH:
        # Nested models are built, not varied: their fields get their first candidate.
        inner = {
            name: _candidates(info.annotation, label[:-1] + "." + name + "}", depth + 1)[0]
            for name, info in annotation.model_fields.items()
        }
        return [annotation.model_construct(**inner)]
    if origin in (list, tuple, set, frozenset, dict):
        return [origin()]
    return [None]


def _unique(values: list[Any]) -> list[Any]:
    seen: set[tuple[type, str]] = set()
    out = []
    for value in values:
        key = (type(value), repr(value))
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _variants(sizes: Sequence[int]) -> Iterable[tuple[int, ...]]:
    total = 1
    for size in sizes:
        total *= size
    if total <= _MAX_VARIANTS:
        yield from itertools.product(*(range(size) for size in sizes))
        return
    base = (0,) * len(sizes)
    yield base
    for i, size in enumerate(sizes):
        for pick in range(1, size):
            yield (*base[:i], pick, *base[i + 1 :])


def _learn(candidates: list[list[Any]]) -> bool:
    """Add the constants each placeholder was compared with as new candidates; True if any were new."""
    grew = False
    for values in candidates:
        probes = [value for value in values if isinstance(value, _Probe)]
        known = {str.__str__(value) for value in values if isinstance(value, str)}
        for probe in probes:
            for constant in sorted(probe.seen - known):
                values.append(constant)
                known.add(constant)
                grew = True
    return grew


def _key(key: Iterable[Any]) -> str:
    return json.dumps([str.__str__(part) if isinstance(part, str) else part for part in key])


# --- when does an item apply ------------------------------------------------------------------


def _conditionals(
    runs: list[tuple[tuple[int, ...], list[str]]],
    names: list[str],
    labels: list[list[str]],
    varying: list[int],
) -> tuple[Conditional, ...]:
    order: list[str] = []
    for _choice, items in runs:
        order.extend(item for item in items if item not in order)
    out = []
    for item in order:
        present = {choice for choice, items in runs if item in items}
        when = None if len(present) == len(runs) else _when(runs, present, names, labels, varying)
        out.append(Conditional(item, when))
    return tuple(out)


def _when(
    runs: list[tuple[tuple[int, ...], list[str]]],
    present: set[tuple[int, ...]],
    names: list[str],
    labels: list[list[str]],
    varying: list[int],
) -> str:
    choices = [choice for choice, _ in runs]

    def matching(allowed: dict[int, set[int]], *, every: bool) -> set[tuple[int, ...]]:
        """The variants whose fields are in ``allowed`` (all of them if ``every``, else any)."""
        test = all if every else any
        return {c for c in choices if test(c[f] in values for f, values in allowed.items())}

    # Per field: the values under which the item is always there, and those under which it can be.
    always = {
        f: {v for v in range(len(labels[f])) if matching({f: {v}}, every=True) <= present} for f in varying
    }
    sometimes = {f: {choice[f] for choice in present} for f in varying}
    for f in varying:  # one field decides
        if always[f] and matching({f: always[f]}, every=True) == present:
            return _clause(names[f], always[f], labels[f])
    decisive = {f: always[f] for f in varying if always[f]}
    if decisive and matching(decisive, every=False) == present:
        return " or ".join(_clause(names[f], values, labels[f]) for f, values in decisive.items())
    narrowing = {f: sometimes[f] for f in varying if len(sometimes[f]) < len(labels[f])}
    if narrowing and matching(narrowing, every=True) == present:
        return " and ".join(_clause(names[f], values, labels[f]) for f, values in narrowing.items())
    return "depends on the payload"


def _clause(name: str, included: set[int], labels: list[str]) -> str:
    # A placeholder stands for "any other value": say what is excluded instead.
    if any(labels[i].startswith("{") for i in included):
        excluded = [labels[i] for i in range(len(labels)) if i not in included]
        return f"{name} is not " + " or ".join(excluded)
    return f"{name} is " + " or ".join(labels[i] for i in sorted(included))


def _show(value: Any) -> str:
    if isinstance(value, _Probe):
        return str.__str__(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    return repr(value) if isinstance(value, str) else str(value)


# --- readable types ---------------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return " | ".join(_literal(arg) for arg in args)
    if origin in (Union, types.UnionType):
        return " | ".join("null" if arg is type(None) else _type_name(arg) for arg in args)
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(_type_name(arg) for arg in args)}]" if args else base
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(_literal(member.value) for member in annotation)
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)


def _literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds (directly, optionally, or as list items) and the name suffix for it."""
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    origin = get_origin(annotation)
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if origin in (Union, types.UnionType) and len(args) == 1:
        return _nested_model(args[0])
    if origin in (list, tuple, set, frozenset) and args:
        model, suffix = _nested_model(args[0])
        return model, "[]" + suffix
    return None, ""
