"""The title and one-line summary a notification shows, derived from its event's name and payload.

Payloads carry ids and display metadata only, so the text does too: what happened, to what, and the
status, amount or stock that matters. Events without a title here get one from their name.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe", "money"]

SUMMARY_LIMIT = 500

TITLES = {
    "order:created": "New order",
    "order:status_changed": "Order status changed",
    "order:fulfillment_updated": "Shipment updated",
    "order:payment_succeeded": "Payment received",
    "order:payment_failed": "Payment failed",
    "order:payment_canceled": "Payment canceled",
    "order:refunded": "Order refunded",
    "order:cancelled": "Order cancelled",
    "product:low_stock": "Low stock",
    "stock:out": "Sold out",
    "wholesale:invitation_sent": "Wholesale invitation",
    "wholesale:invitation_accepted": "Wholesale invitation accepted",
    "wholesale:invitation_rejected": "Wholesale invitation rejected",
    "wholesale:order_placed": "Wholesale order placed",
    "wholesale:deposit_paid": "Wholesale deposit paid",
    "quotation:sent": "Quotation received",
    "quotation:accepted": "Quotation accepted",
    "quotation:rejected": "Quotation rejected",
    "quotation:paid": "Quotation paid",
    "chat:message_created": "New message",
}

# Currencies without minor units (Stripe's list): their amounts are whole units already.
_ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)

# The subject of an event, by the first id its payload carries (wholesale orders say so by type).
_SUBJECTS = (
    ("quotation_id", "quotation"),
    ("invitation_id", "invitation"),
    ("order_id", "order"),
    ("variant_id", "variant"),
)


def money(cents: int, currency: str) -> str:
    """``2400, "EUR"`` -> ``"24.00 EUR"`` (integer minor units; zero-decimal currencies as they are)."""
    if currency.upper() in _ZERO_DECIMAL:
        return f"{cents} {currency}"
    sign = "-" if cents < 0 else ""
    units, minor = divmod(abs(cents), 100)
    return f"{sign}{units}.{minor:02d} {currency}"


def _title(event_type: str) -> str:
    if event_type in TITLES:
        return TITLES[event_type]
    module, _, action = event_type.partition(":")
    return f"{module.capitalize()}: {action.replace('_', ' ')}"


def _subject(event_type: str, data: dict[str, Any]) -> str | None:
    if isinstance(data.get("title"), str):
        return f"“{data['title']}”"
    for key, noun in _SUBJECTS:
        if isinstance(data.get(key), str):
            if noun == "order" and event_type.startswith("wholesale:"):
                noun = "wholesale order"
            return f"{noun} {data[key]}"
    return None


def _details(data: dict[str, Any]) -> list[str]:
    details = []
    if isinstance(data.get("status"), str):
        details.append(data["status"])
    if isinstance(data.get("total_cents"), int) and isinstance(data.get("currency"), str):
        details.append(money(data["total_cents"], data["currency"]))
    if isinstance(data.get("stock"), int):
        details.append(f"{data['stock']} left")
    if isinstance(data.get("tracking_number"), str):
        details.append(f"tracking {data['tracking_number']}")
    return details


def describe(event_type: str, data: dict[str, Any]) -> tuple[str, str]:
    """The ``(title, summary)`` of a notification of event ``event_type`` with payload ``data``."""
    title = _title(event_type)
    subject = _subject(event_type, data)
    summary = title if subject is None else f"{title}: {subject}"
    details = _details(data)
    if details:
        summary += f" ({', '.join(details)})"
    return title, summary[:SUMMARY_LIMIT]
