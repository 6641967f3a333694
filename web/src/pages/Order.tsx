// `/orders/{orderId}`: the order's status, payment and tracking, live in the `order:{id}` room.

import { useState } from "preact/hooks";

import { api, post } from "../api";
import { FLOW } from "../flow";
import { useEvent, usePresence, useRoom } from "../live";
import { Link } from "../router";
import { user } from "../session";
import { invalidate, setQueryData, useObservable, useQuery } from "../store";
import type { Order as OrderT } from "../types";
import { ErrorBox, Loaded, money, Pill, SignInPrompt, Title } from "../ui";


function Progress({ status }: { status: string }) {
  const at = (FLOW as readonly string[]).indexOf(status);
  if (at < 0) return null;
  return (
    <ol class="steps" aria-label="Progress">
      {FLOW.map((step, i) => (
        <li key={step} class={i < at ? "done" : i === at ? "now" : ""} aria-current={i === at ? "step" : undefined}>
          {step}
        </li>
      ))}
    </ol>
  );
}

export function Order({ orderId }: { orderId: string }) {
  const me = useObservable(user);
  const key = ["orders", orderId];
  const order = useQuery<OrderT>(me ? key : null, () => api(`/orders/${orderId}`));
  const room = me ? `order:${orderId}` : null;
  useRoom(room, () => invalidate(key));
  const watching = usePresence(room);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [lastChange, setLastChange] = useState("");
  useEvent("order:status_changed", (e) => e.data.order_id === orderId && setLastChange(`${e.data.previous_status} → ${e.data.status}`));

  if (!me) return (<><Title>Order</Title><SignInPrompt what="to see this order" /></>);

  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    setError(null);
    try {
      const result = await post<OrderT | { order: OrderT }>(path, body);
      setQueryData(key, "order" in result ? result.order : result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title sub={<code>{orderId}</code>}>Order</Title>
      <ErrorBox error={error} testid="order-error" />
      <Loaded query={order}>
        {(o) => (
          <section class="card order" aria-live="polite">
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <Pill value={o.status} testid="order-status" />
                {lastChange && <span class="muted small"> (just now: {lastChange})</span>}
              </dd>
              <dt>Payment</dt>
              <dd>
                <Pill value={o.payment_status} testid="order-payment" />
              </dd>
              <dt>Tracking</dt>
              <dd data-testid="order-tracking">{o.tracking_number ?? "—"}</dd>
              {o.carrier && (
                <>
                  <dt>Carrier</dt>
                  <dd data-testid="order-carrier">{o.carrier}</dd>
                </>
              )}
              {o.cancel_reason && (
                <>
                  <dt>Reason</dt>
                  <dd>{o.cancel_reason}</dd>
                </>
              )}
              <dt>Total</dt>
              <dd data-testid="order-total">{money(o.total_cents, o.currency)}</dd>
              <dt>Store</dt>
              <dd>
                <Link href={`/store/${o.seller_id}`}>Visit the store</Link>
              </dd>
            </dl>
            <Progress status={o.status} />
            <table class="lines">
              <caption class="visually-hidden">Items</caption>
              <thead>
                <tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col">Price</th></tr>
              </thead>
              <tbody>
                {o.items.map((item) => (
                  <tr key={item.variant_id}>
                    <td>{item.name}</td>
                    <td>{item.quantity}</td>
                    <td>{money(item.unit_price_cents, o.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="row">
              {me.id === o.buyer_id && o.payment_status === "unpaid" && o.status !== "cancelled" && (
                <button type="button" class="primary" data-testid="order-pay" disabled={busy} onClick={() => act(`/dev/payments/${o.id}`, { outcome: "succeeded" })}>
                  Pay {money(o.total_cents, o.currency)} (demo)
                </button>
              )}
              {me.id === o.buyer_id && o.status === "pending" && (
                <button type="button" data-testid="order-cancel" disabled={busy} onClick={() => act(`/orders/${o.id}/cancel`, { reason: "cancelled by the buyer" })}>
                  Cancel order
                </button>
              )}
            </div>
            {watching && watching.some((u) => u.id !== me.id) && (
              <p class="muted small" data-testid="order-watchers">
                Also here: {watching.filter((u) => u.id !== me.id).map((u) => `${u.name} (${u.role})`).join(", ")}
              </p>
            )}
          </section>
        )}
      </Loaded>
    </>
  );
}
