"""Sales metrics arithmetic, pure: the UTC day's bounds and per-currency totals and averages.

Money never mixes currencies: a seller selling in EUR and USD gets one entry per currency in each map,
and ``orders_today`` counts the orders of every currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

__all__ = [
    "CurrencyTotal",
    "Day",
    "Metrics",
    "SellerMetrics",
    "as_utc",
    "average_cents",
    "combine",
    "metrics_of",
    "utc_day",
]

CurrencyTotal = tuple[str, int, int]
"""One aggregate row: (currency, number of paid orders, revenue in minor units)."""


class Metrics(BaseModel):
    """One UTC day's paid-order metrics; the maps are keyed by ISO 4217 currency code."""

    date: date
    orders_today: int
    orders_by_currency: dict[str, int]
    revenue_today_cents: dict[str, int]
    average_order_value_cents: dict[str, int]


class SellerMetrics(Metrics):
    """One seller's metrics (also the ``analytics:metrics_updated`` payload)."""

    seller_id: str


Day = tuple[date, datetime, datetime]
"""A UTC calendar day: (day, start inclusive, end exclusive)."""


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive datetime is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_day(now: datetime) -> Day:
    """The UTC calendar day containing ``now`` (naive means UTC)."""
    day = as_utc(now).date()
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return day, start, start + timedelta(days=1)


def average_cents(revenue_cents: int, orders: int) -> int:
    """The mean order value in whole minor units, rounded half up (0 when there are no orders)."""
    if orders <= 0:
        return 0
    # Integer arithmetic: floats lose cents on large totals.
    return (2 * revenue_cents + orders) // (2 * orders)


def combine(rows: Iterable[CurrencyTotal]) -> dict[str, tuple[int, int]]:
    """Sum (orders, revenue) per currency over rows that may repeat a currency (several sellers)."""
    totals: dict[str, tuple[int, int]] = {}
    for currency, orders, revenue in rows:
        seen_orders, seen_revenue = totals.get(currency, (0, 0))
        totals[currency] = (seen_orders + int(orders), seen_revenue + int(revenue))
    return dict(sorted(totals.items()))


def metrics_of(day: date, rows: Iterable[CurrencyTotal]) -> Metrics:
    """The day's metrics from its per-currency aggregate rows."""
    totals = combine(rows)
    return Metrics(
        date=day,
        orders_today=sum(orders for orders, _ in totals.values()),
        orders_by_currency={currency: orders for currency, (orders, _) in totals.items()},
        revenue_today_cents={currency: revenue for currency, (_, revenue) in totals.items()},
        average_order_value_cents={
            currency: average_cents(revenue, orders) for currency, (orders, revenue) in totals.items()
        },
    )
