"""The cart:updated summary stays small however big the cart is (pure)."""

from __future__ import annotations

import orjson

from storewire.commerce.cart.events import MAX_LISTED_ITEMS, CartLine, CartUpdated, summarize
from storewire.realtime.ids import new_id


def line(currency: str = "EUR", quantity: int = 10_000) -> CartLine:
    return CartLine(
        variant_id=new_id("var"),
        product_id=new_id("prd"),
        quantity=quantity,
        unit_price_cents=10_000_000_000,
        currency=currency,
    )


def test_a_full_cart_of_many_currencies_is_summarized_under_1_kb() -> None:
    lines = [line(currency="C" + chr(65 + index % 26) * 2) for index in range(100)]
    event = CartUpdated(
        owner_id=new_id("usr"),
        action="added",
        variant_id=lines[57].variant_id,
        cart=summarize(lines, first=lines[57].variant_id),
    )
    size = len(orjson.dumps(event.model_dump(mode="json")))
    assert size < 1024, size
    assert event.cart.item_count == 100 and event.cart.truncated is True
    assert len(event.cart.items) == MAX_LISTED_ITEMS
    assert event.cart.items[0].variant_id == lines[57].variant_id  # the acted-on line comes first


def test_totals_are_per_currency_and_nothing_is_truncated_in_a_small_cart() -> None:
    lines = [line("EUR", 2), line("USD", 1), line("EUR", 1)]
    summary = summarize(lines)
    assert [(t.currency, t.total_cents) for t in summary.totals] == [
        ("EUR", 30_000_000_000),
        ("USD", 10_000_000_000),
    ]
    assert summary.truncated is False and [i.variant_id for i in summary.items] == [
        x.variant_id for x in lines
    ]
