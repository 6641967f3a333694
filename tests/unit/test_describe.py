"""Describing the catalog: audiences derived by calling each event's audience with placeholders."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from storewire.realtime.catalog import EventSpec
from storewire.realtime.catalog_docs import render_json, render_markdown, render_text
from storewire.realtime.describe import Conditional, EventDoc, describe_event
from storewire.realtime.rooms import ADMIN_ROOM, Room


class Order(BaseModel):
    order_id: str
    buyer_id: str
    seller_id: str
    total_cents: int


class Item(BaseModel):
    sku: str
    tags: list[Annotated[str, Field(pattern="^[a-z]+$")]] = []


class Product(BaseModel):
    product_id: str
    seller_id: str
    status: str
    published: bool = False
    was_published: bool = False
    buyer_id: str | None = None
    kind: Literal["a", "b"] = "a"
    price: Annotated[int, Field(ge=0)] | None = None
    items: list[Item] = []
    main: Item | None = None


def _spec(audience: Any, payload: type[BaseModel] = Product, **kwargs: Any) -> EventDoc:
    return describe_event(EventSpec("test:event", payload, audience, **kwargs))


def _rooms(doc: EventDoc) -> list[tuple[str, str | None]]:
    return [(c.value, c.when) for c in doc.audience]


def test_placeholders_render_as_field_names() -> None:
    doc = _spec(
        lambda e: [Room.user(e.buyer_id), Room.user(e.seller_id), Room.order(e.order_id), ADMIN_ROOM],
        Order,
        invalidate=lambda e: [("orders", e.order_id), ("orders",)],
        description="d",
        inbox=True,
    )
    assert _rooms(doc) == [
        ("user:{buyer_id}", None),
        ("user:{seller_id}", None),
        ("order:{order_id}", None),
        ("admin", None),
    ]
    assert doc.invalidate == (Conditional('["orders", "{order_id}"]'), Conditional('["orders"]'))
    assert (doc.name, doc.description, doc.inbox, doc.sensitive, doc.error) == (
        "test:event",
        "d",
        True,
        False,
        None,
    )
    assert doc.schema["properties"]["total_cents"]["type"] == "integer"


def test_a_bool_branch_is_a_condition() -> None:
    doc = _spec(lambda e: [Room.user(e.seller_id), *([Room.storefront(e.seller_id)] if e.published else [])])
    assert _rooms(doc) == [("user:{seller_id}", None), ("storefront:{seller_id}", "published is true")]


def test_a_compared_constant_is_learned_from_either_side() -> None:
    left = _spec(lambda e: [Room.user(e.seller_id)] + ([] if e.status == "draft" else [Room.user("x")]))
    right = _spec(lambda e: [Room.user(e.seller_id)] + ([] if "draft" == e.status else [Room.user("x")]))  # noqa: SIM300
    assert _rooms(left) == _rooms(right) == [("user:{seller_id}", None), ("user:x", "status is not 'draft'")]
    positive = _spec(lambda e: [Room.user(e.seller_id)] + ([Room.user("x")] if e.status != "open" else []))
    assert _rooms(positive)[1] == ("user:x", "status is not 'open'")


def test_an_optional_field_is_tried_as_none() -> None:
    doc = _spec(lambda e: [Room.user(e.seller_id)] + ([Room.user(e.buyer_id)] if e.buyer_id else []))
    assert _rooms(doc) == [("user:{seller_id}", None), ("user:{buyer_id}", "buyer_id is not null")]


def test_either_of_two_fields() -> None:
    doc = _spec(
        lambda e: (
            [Room.product(e.product_id)]
            + ([Room.storefront(e.seller_id)] if e.status == "published" or e.was_published else [])
        )
    )
    assert _rooms(doc)[1] == ("storefront:{seller_id}", "status is 'published' or was_published is true")


def test_both_of_two_fields() -> None:
    doc = _spec(
        lambda e: (
            [Room.product(e.product_id)]
            + ([Room.storefront(e.seller_id)] if e.published and e.status != "draft" else [])
        )
    )
    assert _rooms(doc)[1] == ("storefront:{seller_id}", "status is not 'draft' and published is true")


def test_literal_values_are_each_tried() -> None:
    doc = _spec(lambda e: [Room.user(e.seller_id)] + ([ADMIN_ROOM] if e.kind == "b" else []))
    assert _rooms(doc)[1] == ("admin", "kind is 'b'")


def test_a_condition_without_a_simple_clause_says_so() -> None:
    doc = _spec(lambda e: [Room.user(e.seller_id)] + ([ADMIN_ROOM] if e.published != e.was_published else []))
    assert _rooms(doc)[1] == ("admin", "depends on the payload")


def test_an_audience_that_cannot_be_called_is_reported() -> None:
    def broken(event: Product) -> list[Room]:
        raise RuntimeError("needs a real payload")

    doc = _spec(broken)
    assert doc.audience == () and doc.error == "RuntimeError: needs a real payload"
    assert "could not be derived" in render_text([("m", [doc])])
    assert "could not be derived" in render_markdown([("m", [doc])])


def test_payload_fields_are_flattened_with_readable_types() -> None:
    fields = {f.name: (f.type, f.required) for f in _spec(lambda e: [ADMIN_ROOM]).fields}
    assert fields["product_id"] == ("str", True)
    assert fields["published"] == ("bool", False)
    assert fields["buyer_id"] == ("str | null", False)
    assert fields["kind"] == ('"a" | "b"', False)
    assert fields["price"] == ("int | null", False)
    assert fields["items"] == ("list[Item]", False)
    assert fields["items[].sku"] == ("str", True)
    assert fields["items[].tags"] == ("list[str]", False)
    assert fields["main.sku"] == ("str", True)


def test_renderers() -> None:
    doc = _spec(
        lambda e: [Room.user(e.seller_id), *([Room.storefront(e.seller_id)] if e.published else [])],
        invalidate=lambda e: [("products", e.product_id)],
        sensitive=True,
    )
    text = render_text([("products", [doc])])
    assert "test:event  [audited]" in text
    assert "user:{seller_id}, storefront:{seller_id} (when published is true)" in text
    assert "buyer_id?: str | null" in text
    [described] = json.loads(render_json([("products", [doc])]))
    assert described["module"] == "products" and described["sensitive"] is True
    assert described["audience"] == [
        {"room": "user:{seller_id}", "when": None},
        {"room": "storefront:{seller_id}", "when": "published is true"},
    ]
    assert described["invalidate"] == [{"key": ["products", "{product_id}"], "when": None}]
    assert described["payload"]["title"] == "Product"
    markdown = render_markdown([("products", [doc])])
    assert "| [`test:event`](#testevent) |" in markdown
    assert "| `buyer_id` | `str \\| null` | no |" in markdown  # pipes escaped inside table cells


def test_every_catalog_event_is_described() -> None:
    from storewire.commerce.registry import build_catalog

    for spec in build_catalog():
        doc = describe_event(spec)
        assert doc.error is None, (spec.name, doc.error)
        # Someone always: an unconditional room, or rooms for each value of what decides (e.g. the
        # announcement's audience: sellers or everyone).
        always = any(c.when is None for c in doc.audience) or len({c.when for c in doc.audience}) > 1
        assert always, f"{spec.name} always reaches someone"
        fields = {"{" + f.name + "}" for f in doc.fields}
        for room in doc.audience:
            _kind, _, ident = room.value.partition(":")
            assert not ident.startswith("{") or ident in fields, (spec.name, room.value)
