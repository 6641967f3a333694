"""Analytics arithmetic: the UTC day, per-currency totals, and averages in whole minor units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from storewire.commerce.analytics.events import ANALYTICS_EVENTS, SaleCompleted
from storewire.commerce.analytics.metrics import SellerMetrics, average_cents, combine, metrics_of, utc_day
from storewire.realtime.catalog import Catalog


def test_utc_day_bounds_for_aware_naive_and_offset_times() -> None:
    day, start, end = utc_day(datetime(2026, 12, 5, 23, 59, 59, 999999, tzinfo=UTC))
    assert day == date(2026, 12, 5)
    assert start == datetime(2026, 12, 5, tzinfo=UTC) and end == datetime(2026, 12, 6, tzinfo=UTC)
    assert utc_day(datetime(2026, 12, 5, 0, 0))[0] == date(2026, 12, 5)  # naive is UTC
    # 01:30 at UTC+2 is still the previous UTC day.
    plus_two = timezone(timedelta(hours=2))
    assert utc_day(datetime(2026, 12, 6, 1, 30, tzinfo=plus_two))[0] == date(2026, 12, 5)


def test_average_rounds_half_up_in_integers() -> None:
    assert average_cents(0, 0) == 0
    assert average_cents(1000, 3) == 333  # 333.33
    assert average_cents(2000, 3) == 667  # 666.67
    assert average_cents(5, 2) == 3  # 2.5 rounds up
    assert average_cents(2500, 2) == 1250
    big = 9_007_199_254_740_993  # beyond float precision
    assert average_cents(big, 1) == big


def test_metrics_keep_currencies_apart() -> None:
    rows = [("EUR", 2, 2500), ("USD", 1, 999), ("EUR", 1, 1000)]  # EUR twice: two sellers
    assert combine(rows) == {"EUR": (3, 3500), "USD": (1, 999)}
    metrics = metrics_of(date(2026, 12, 5), rows)
    assert metrics.model_dump(mode="json") == {
        "date": "2026-12-05",
        "orders_today": 4,
        "orders_by_currency": {"EUR": 3, "USD": 1},
        "revenue_today_cents": {"EUR": 3500, "USD": 999},
        "average_order_value_cents": {"EUR": 1167, "USD": 999},
    }


def test_no_sales_is_all_zero_and_empty_maps() -> None:
    metrics = metrics_of(date(2026, 12, 5), [])
    assert metrics.orders_today == 0
    assert metrics.revenue_today_cents == {} == metrics.average_order_value_cents


def test_catalog_audiences() -> None:
    catalog = Catalog(ANALYTICS_EVENTS)
    sale = catalog.get("analytics:sale_completed").prepare(
        SaleCompleted(order_id="ord_1", seller_id="usr_s", total_cents=1250, currency="EUR")
    )
    assert sale.rooms == ("user:usr_s",) and sale.invalidate == ()
    metrics = SellerMetrics(
        seller_id="usr_s", **metrics_of(date(2026, 12, 5), [("EUR", 1, 1250)]).model_dump()
    )
    prepared = catalog.get("analytics:metrics_updated").prepare(metrics)
    assert prepared.rooms == ("user:usr_s", "admin")
    assert prepared.invalidate == (("analytics", "summary"),)
    assert prepared.data["date"] == "2026-12-05"
