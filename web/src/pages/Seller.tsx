// `/seller`: the seller's dashboard. Everything arrives in the seller's own `user:` room: new orders
// (toast, badge, row), stock alerts, metrics (`analytics:metrics_updated` invalidates the summary),
// settings, invitations and quotations.

import { useEffect, useState } from "preact/hooks";

import { api, post } from "../api";
import { nextStatus } from "../flow";
import { useEvent } from "../live";
import { Link } from "../router";
import { sellerIdOf, user } from "../session";
import { setQueryData, useObservable, useQuery } from "../store";
import type { Query } from "../store";
import type { Order, Product, Summary } from "../types";
import { ErrorBox, Loaded, money, moneyMap, Pill, SignInPrompt, Sparkline, Title, toast } from "../ui";
import type { Point } from "../ui";
import { SettingsPanel } from "./SettingsForm";
import { Invitations, Quotations } from "./Trade";

// -- metrics -----------------------------------------------------------------------------------------

interface Series {
  date: string;
  currency: string;
  points: Point[];
}

/** The currency the chart follows: the one with the most revenue today. */
function mainCurrency(summary: Summary): string {
  const entries = Object.entries(summary.revenue_today_cents);
  entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries[0]?.[0] ?? "";
}

function Metrics({ sellerId }: { sellerId: string }) {
  const summary = useQuery<Summary>(["analytics", "summary"], () => api("/analytics/summary"));
  const storageKey = `storewire.metrics.${sellerId}`;
  const [series, setSeries] = useState<Series | null>(() => {
    try {
      return JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Series | null;
    } catch {
      return null;
    }
  });
  // Each answer of the server is one observed point: the chart moves when a sale changes the totals.
  useEffect(() => {
    const data = summary.data;
    if (!data) return;
    const currency = mainCurrency(data);
    const value = currency ? (data.revenue_today_cents[currency] ?? 0) : 0;
    setSeries((now) => {
      const same = now && now.date === data.date && (now.currency === currency || !now.currency);
      const points = same ? now.points : [];
      if (points.length && points[points.length - 1]!.v === value) return same ? { ...now, currency: currency || now.currency } : now;
      const next = { date: data.date, currency: currency || (same ? now.currency : ""), points: [...points, { t: Date.now(), v: value }].slice(-120) };
      sessionStorage.setItem(storageKey, JSON.stringify(next));
      return next;
    });
  }, [summary.data]);
  useEvent("analytics:sale_completed", (e) => {
    toast(`Paid: order ${e.data.order_id.slice(-6)} · ${money(e.data.total_cents, e.data.currency)}`, { kind: "success", testid: "sale-toast", href: `/orders/${e.data.order_id}` });
  });
  const data = summary.data;
  return (
    <section class="card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Today{data ? ` (${data.date}, UTC)` : ""}</h2>
      <ErrorBox error={summary.error} />
      <div class="metrics" aria-live="polite">
        <div class="metric">
          <span class="label">Orders paid</span>
          <span class="value" data-testid="metric-orders-today">
            {data ? data.orders_today : "…"}
          </span>
        </div>
        <div class="metric">
          <span class="label">Revenue</span>
          <span class="value" data-testid="metric-revenue">
            {data ? moneyMap(data.revenue_today_cents) : "…"}
          </span>
        </div>
        <div class="metric">
          <span class="label">Average order</span>
          <span class="value" data-testid="metric-aov">
            {data ? moneyMap(data.average_order_value_cents) : "…"}
          </span>
        </div>
      </div>
      {series && series.points.length > 0 && (
        <figure class="chart">
          <Sparkline points={series.points} testid="metrics-chart" label={`Revenue today${series.currency ? ` in ${series.currency}` : ""}, as observed since this page opened: ${series.points.map((p) => (p.v / 100).toFixed(2)).join(", ")}`} />
          <figcaption class="muted small">Revenue{series.currency ? ` (${series.currency})` : ""} as sales come in since you opened this page</figcaption>
        </figure>
      )}
    </section>
  );
}

// -- orders ------------------------------------------------------------------------------------------

function OrderRow({ order, fresh }: { order: Order; fresh: boolean }) {
  const [error, setError] = useState<unknown>(null);
  const [tracking, setTracking] = useState("");
  const next = nextStatus(order.status);
  const advance = async () => {
    setError(null);
    try {
      const body = next === "shipped" && tracking.trim() ? { status: next, tracking_number: tracking.trim() } : { status: next };
      await post(`/orders/${order.id}/status`, body);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <li class={fresh ? "order-row fresh" : "order-row"} data-testid={`order-row-${order.id}`}>
      <div class="row spread">
        <Link href={`/orders/${order.id}`}>Order {order.id.slice(-6)}</Link>
        <span>{money(order.total_cents, order.currency)}</span>
        <Pill value={order.status} testid={`order-status-${order.id}`} />
        <Pill value={order.payment_status} testid={`order-payment-${order.id}`} />
      </div>
      <div class="muted small">{order.items.map((i) => `${i.quantity}× ${i.name}`).join(", ")}</div>
      {next && order.status !== "cancelled" && (
        <div class="row">
          {next === "shipped" && (
            <input aria-label={`Tracking number for order ${order.id.slice(-6)}`} placeholder="Tracking number" value={tracking} onInput={(e) => setTracking((e.currentTarget as HTMLInputElement).value)} data-testid={`tracking-${order.id}`} />
          )}
          <button type="button" class="small" data-testid={`advance-${order.id}`} onClick={advance}>
            Mark {next}
          </button>
        </div>
      )}
      <ErrorBox error={error} />
    </li>
  );
}

function Orders({ sellerId, orders }: { sellerId: string; orders: Query<Order[]> }) {
  const [fresh, setFresh] = useState<string[]>([]);
  useEvent("order:created", (e) => {
    if (e.data.seller_id !== sellerId) return;
    setFresh((now) => (now.includes(e.data.order_id) ? now : [e.data.order_id, ...now]));
    toast(`New order ${e.data.order_id.slice(-6)} · ${money(e.data.total_cents, e.data.currency)}`, { kind: "success", testid: "new-order-toast", href: `/orders/${e.data.order_id}` });
  });
  return (
    <section class="card" id="orders" aria-labelledby="orders-title">
      <div class="row spread">
        <h2 id="orders-title">Orders</h2>
        <button
          type="button"
          class={fresh.length ? "badge hot" : "badge"}
          data-testid="new-orders-badge"
          aria-label={`${fresh.length} new orders; mark them seen`}
          onClick={() => setFresh([])}
        >
          {fresh.length}
        </button>
      </div>
      <Loaded query={orders}>
        {(list) => (
          <ul class="plain order-rows" data-testid="orders-list" aria-live="polite">
            {list.length === 0 && <li class="muted">No orders yet.</li>}
            {list.slice(0, 50).map((o) => (
              <OrderRow key={o.id} order={o} fresh={fresh.includes(o.id)} />
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

// -- stock -------------------------------------------------------------------------------------------

interface Alert {
  key: string;
  variantId: string;
  text: string;
  kind: "warning" | "error" | "success";
}

function Stock({ sellerId }: { sellerId: string }) {
  const key = ["storefronts", sellerId, "products"];
  const products = useQuery<Product[]>(key, () => api(`/storefronts/${sellerId}/products`), (list) => list.map((p) => ["products", p.id]));
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState<unknown>(null);
  const name = (productId: string, variantId: string) => {
    const product = products.data?.find((p) => p.id === productId);
    const variant = product?.variants.find((v) => v.id === variantId);
    return product ? `${product.name}${variant ? ` (${variant.name})` : ""}` : "A product";
  };
  const alert = (a: Alert) => {
    setAlerts((now) => [a, ...now.filter((x) => x.variantId !== a.variantId)].slice(0, 10));
    toast(a.text, { kind: a.kind, testid: "low-stock-toast" });
  };
  useEvent("product:low_stock", (e) => {
    if (e.data.seller_id !== sellerId) return;
    alert({ key: e.id, variantId: e.data.variant_id, kind: "warning", text: `Low stock: ${name(e.data.product_id, e.data.variant_id)} has ${e.data.stock} left (threshold ${e.data.threshold})` });
  });
  useEvent("stock:out", (e) => {
    if (e.data.seller_id !== sellerId) return;
    alert({ key: e.id, variantId: e.data.variant_id, kind: "error", text: `Sold out: ${name(e.data.product_id, e.data.variant_id)}` });
  });
  useEvent("stock:restocked", (e) => {
    if (e.data.seller_id !== sellerId) return;
    setAlerts((now) => now.filter((x) => x.variantId !== e.data.variant_id));
  });
  const setStock = async (event: Event, variantId: string) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem("quantity") as HTMLInputElement;
    setError(null);
    try {
      const product = await api<Product>(`/variants/${variantId}/stock`, { method: "PUT", body: { quantity: Number(input.value) } });
      if (products.data) setQueryData(key, products.data.map((p) => (p.id === product.id ? product : p)));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="card" aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      <ul class="plain alerts" data-testid="low-stock-alerts" aria-live="polite" aria-label="Stock alerts">
        {alerts.map((a) => (
          <li key={a.key} class={`alert alert-${a.kind}`} data-testid="low-stock-alert" data-variant={a.variantId}>
            {a.text}
          </li>
        ))}
      </ul>
      <ErrorBox error={error ?? products.error} />
      {products.data && (
        <table class="inventory">
          <caption class="visually-hidden">Inventory</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Stock</th>
              <th scope="col">Set stock</th>
            </tr>
          </thead>
          <tbody>
            {products.data.flatMap((p) =>
              p.variants.map((v) => (
                <tr key={v.id} class={v.stock <= v.low_stock_threshold ? "low" : ""}>
                  <td>
                    {p.name} <span class="muted small">({v.name}, {money(v.price_cents, v.currency)})</span>
                  </td>
                  <td data-testid={`inv-stock-${v.id}`}>
                    {v.stock} <span class="muted small">/ alert at {v.low_stock_threshold}</span>
                  </td>
                  <td>
                    <form class="row" onSubmit={(e) => setStock(e, v.id)}>
                      <input name="quantity" type="number" min={0} defaultValue={String(v.stock)} key={v.stock} aria-label={`New stock for ${p.name} ${v.name}`} class="qty-input" data-testid={`inv-input-${v.id}`} />
                      <button type="submit" class="small" data-testid={`inv-set-${v.id}`}>
                        Set
                      </button>
                    </form>
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

// -- the page ----------------------------------------------------------------------------------------

function Dashboard({ sellerId }: { sellerId: string }) {
  const orders = useQuery<Order[]>(["orders"], () => api("/orders"));
  return (
    <>
      <Title sub={<>Your store: <Link href={`/store/${sellerId}`}>storefront</Link> · <Link href="/kitchen">kitchen</Link></>}>Seller dashboard</Title>
      <Metrics sellerId={sellerId} />
      <div class="grid2">
        <Orders sellerId={sellerId} orders={orders} />
        <Stock sellerId={sellerId} />
      </div>
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Store settings</h2>
        <SettingsPanel />
      </section>
      <div class="grid2">
        <section class="card" aria-labelledby="wholesale-title">
          <h2 id="wholesale-title">Wholesale</h2>
          <Invitations />
        </section>
        <section class="card" aria-labelledby="quotations-title">
          <h2 id="quotations-title">Quotations</h2>
          <Quotations orders={orders.data} />
        </section>
      </div>
    </>
  );
}

export function Seller() {
  const me = useObservable(user);
  const sellerId = sellerIdOf(me);
  if (me === undefined) return null;
  if (!me) return (<><Title>Seller dashboard</Title><SignInPrompt what="as a seller" /></>);
  if (me.role !== "seller" || !sellerId)
    return (
      <>
        <Title>Seller dashboard</Title>
        <p class="notice">This page is for sellers. {me.role === "staff" && <Link href="/kitchen">Open the kitchen</Link>}</p>
      </>
    );
  return <Dashboard sellerId={sellerId} />;
}
