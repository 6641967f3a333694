// The seller's wholesale invitations, wholesale orders and quotations, with live status (their events
// invalidate ["wholesale", ...] and ["quotations"]).

import { useState } from "preact/hooks";

import { api, post } from "../api";
import { useQuery } from "../store";
import type { Invitation, Order, Quotation, WholesaleOrder } from "../types";
import { ErrorBox, Loaded, money, Pill, toast } from "../ui";

function value(form: HTMLFormElement, name: string): string {
  return ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "").trim();
}

export function Invitations() {
  const invitations = useQuery<Invitation[]>(["wholesale", "invitations"], () => api("/wholesale/invitations"));
  const orders = useQuery<WholesaleOrder[]>(["wholesale", "orders"], () => api("/wholesale/orders"));
  const [error, setError] = useState<unknown>(null);
  const invite = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setError(null);
    try {
      await post("/wholesale/invitations", {
        email: value(form, "email"),
        discount_percent: Number(value(form, "discount") || 0),
        deposit_percent: Number(value(form, "deposit") || 30),
        message: value(form, "message") || null,
      });
      form.reset();
      toast("Invitation sent", { kind: "success" });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <form class="inline-form" onSubmit={invite} aria-label="Invite a wholesale buyer">
        <div class="field">
          <label for="inv-email">Buyer email</label>
          <input id="inv-email" name="email" type="email" required data-testid="invite-email" />
        </div>
        <div class="field narrow">
          <label for="inv-discount">Discount %</label>
          <input id="inv-discount" name="discount" type="number" min={0} max={100} defaultValue="10" />
        </div>
        <div class="field narrow">
          <label for="inv-deposit">Deposit %</label>
          <input id="inv-deposit" name="deposit" type="number" min={0} max={100} defaultValue="30" />
        </div>
        <div class="field">
          <label for="inv-message">Message</label>
          <input id="inv-message" name="message" type="text" />
        </div>
        <button type="submit" data-testid="invite-submit">
          Invite
        </button>
      </form>
      <ErrorBox error={error} />
      <Loaded query={invitations}>
        {(list) => (
          <ul class="plain rows" data-testid="invitations">
            {list.length === 0 && <li class="muted">No invitations yet.</li>}
            {list.map((i) => (
              <li key={i.id} class="row spread" data-testid={`invitation-${i.id}`}>
                <span>{i.email}</span>
                <span class="muted small">
                  {i.discount_percent}% off · {i.deposit_percent}% deposit
                </span>
                <Pill value={i.status} testid={`invitation-status-${i.id}`} />
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <h3>Wholesale orders</h3>
      <Loaded query={orders}>
        {(list) => (
          <ul class="plain rows">
            {list.length === 0 && <li class="muted">None yet.</li>}
            {list.map((o) => (
              <li key={o.id} class="row spread" data-testid={`wholesale-order-${o.id}`}>
                <span>Order {o.id.slice(-6)}</span>
                <span>
                  {money(o.total_cents, o.currency)} (deposit {money(o.deposit_cents, o.currency)})
                </span>
                <Pill value={o.status} testid={`wholesale-order-status-${o.id}`} />
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </>
  );
}

export function Quotations({ orders }: { orders: Order[] | undefined }) {
  const quotations = useQuery<Quotation[]>(["quotations"], () => api("/quotations"));
  const [error, setError] = useState<unknown>(null);
  const buyers = [...new Set((orders ?? []).map((o) => o.buyer_id))];
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setError(null);
    try {
      await post("/quotations", {
        buyer_id: value(form, "buyer"),
        title: value(form, "title"),
        currency: value(form, "currency") || "EUR",
        items: [
          {
            description: value(form, "description") || value(form, "title"),
            quantity: Number(value(form, "quantity") || 1),
            unit_price_cents: Math.round(Number(value(form, "price") || 0) * 100),
          },
        ],
      });
      form.reset();
      toast("Quotation drafted", { kind: "success" });
    } catch (e) {
      setError(e);
    }
  };
  const send = (id: string) => post(`/quotations/${id}/send`).catch((e) => setError(e));
  return (
    <>
      <form class="inline-form" onSubmit={create} aria-label="Draft a quotation">
        <div class="field">
          <label for="q-buyer">Buyer id</label>
          <input id="q-buyer" name="buyer" required list="q-buyers" data-testid="quote-buyer" />
          <datalist id="q-buyers">
            {buyers.map((b) => (
              <option key={b} value={b} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="q-title">Title</label>
          <input id="q-title" name="title" required data-testid="quote-title" />
        </div>
        <div class="field narrow">
          <label for="q-qty">Qty</label>
          <input id="q-qty" name="quantity" type="number" min={1} defaultValue="1" />
        </div>
        <div class="field narrow">
          <label for="q-price">Unit price</label>
          <input id="q-price" name="price" type="number" min={0} step="0.01" required />
        </div>
        <div class="field narrow">
          <label for="q-currency">Currency</label>
          <input id="q-currency" name="currency" defaultValue="EUR" maxLength={3} />
        </div>
        <button type="submit" data-testid="quote-create">
          Draft
        </button>
      </form>
      <ErrorBox error={error} />
      <Loaded query={quotations}>
        {(list) => (
          <ul class="plain rows" data-testid="quotations">
            {list.length === 0 && <li class="muted">No quotations yet.</li>}
            {list.map((q) => (
              <li key={q.id} class="row spread" data-testid={`quotation-${q.id}`}>
                <span>{q.title}</span>
                <span>{money(q.total_cents, q.currency)}</span>
                <Pill value={q.status} testid={`quotation-status-${q.id}`} />
                {q.status === "draft" && (
                  <button type="button" class="small" data-testid={`quote-send-${q.id}`} onClick={() => send(q.id)}>
                    Send
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </>
  );
}
