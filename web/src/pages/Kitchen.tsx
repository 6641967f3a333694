// `/kitchen`: the store's open orders as cards in status columns, moved along by the seller or its
// staff. Order events reach `kitchen:{sellerId}` (staff are in it from the handshake, the seller joins
// it here), so every screen in the kitchen moves together.

import { useState } from "preact/hooks";

import { api, post } from "../api";
import { useEvent, usePresence } from "../live";
import { Link } from "../router";
import { sellerIdOf, user } from "../session";
import { useObservable, useQuery } from "../store";
import type { Order } from "../types";
import { ErrorBox, Loaded, money, Pill, SignInPrompt, Title, toast } from "../ui";

/** The kitchen's columns and the move each card's button makes (steps may be skipped: ready is handed over). */
const COLUMNS: { status: string; title: string; next: string; action: string }[] = [
  { status: "pending", title: "New", next: "confirmed", action: "Accept" },
  { status: "confirmed", title: "Accepted", next: "preparing", action: "Start preparing" },
  { status: "preparing", title: "Preparing", next: "ready", action: "Ready" },
  { status: "ready", title: "Ready", next: "delivered", action: "Handed over" },
];

function Card({ order, action, next, fresh }: { order: Order; action: string; next: string; fresh: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const advance = async () => {
    setBusy(true);
    setError(null);
    try {
      await post(`/orders/${order.id}/status`, { status: next });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={fresh ? "kcard fresh" : "kcard"} data-testid={`kitchen-card-${order.id}`} data-status={order.status}>
      <div class="row spread">
        <Link href={`/orders/${order.id}`}>#{order.id.slice(-6)}</Link>
        <Pill value={order.payment_status} />
      </div>
      <ul class="plain items">
        {order.items.map((item) => (
          <li key={item.variant_id}>
            <strong>{item.quantity}×</strong> {item.name}
          </li>
        ))}
      </ul>
      <div class="row spread">
        <span class="muted small">{money(order.total_cents, order.currency)}</span>
        <span class="visually-hidden" data-testid={`kitchen-status-${order.id}`}>
          {order.status}
        </span>
        <button type="button" class="primary small" data-testid={`kitchen-advance-${order.id}`} disabled={busy} onClick={advance}>
          {action}
        </button>
      </div>
      <ErrorBox error={error} />
    </li>
  );
}

function Board({ sellerId }: { sellerId: string }) {
  const orders = useQuery<Order[]>(["orders"], () => api("/orders"));
  const room = `kitchen:${sellerId}`;
  const people = usePresence(room);
  const [fresh, setFresh] = useState<string[]>([]);
  useEvent("order:created", (e) => {
    if (e.data.seller_id !== sellerId) return;
    setFresh((now) => [e.data.order_id, ...now].slice(0, 20));
    toast(`New order #${e.data.order_id.slice(-6)}`, { testid: "kitchen-new-order" });
  });
  return (
    <>
      <Title sub={people && people.length > 0 ? <span data-testid="kitchen-people">In the kitchen: {people.map((p) => p.name).join(", ")}</span> : "Orders move here as soon as they are placed."}>
        Kitchen
      </Title>
      <Loaded query={orders}>
        {(list) => (
          <div class="board" data-testid="kitchen-board">
            {COLUMNS.map((col) => {
              const cards = list.filter((o) => o.status === col.status);
              return (
                <section key={col.status} class="column" aria-labelledby={`col-${col.status}`} data-testid={`kitchen-column-${col.status}`}>
                  <h2 id={`col-${col.status}`}>
                    {col.title} <span class="count">{cards.length}</span>
                  </h2>
                  <ul class="plain" aria-live="polite">
                    {cards.map((o) => (
                      <Card key={o.id} order={o} action={col.action} next={col.next} fresh={fresh.includes(o.id)} />
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
        )}
      </Loaded>
    </>
  );
}

export function Kitchen() {
  const me = useObservable(user);
  const sellerId = sellerIdOf(me);
  if (me === undefined) return null;
  if (!me) return (<><Title>Kitchen</Title><SignInPrompt what="as kitchen staff or the seller" /></>);
  if (!sellerId) return (<><Title>Kitchen</Title><ErrorBox error={new Error("The kitchen is for a store's seller and its staff.")} /></>);
  return <Board sellerId={sellerId} />;
}
