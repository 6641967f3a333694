// `/`: the open stores, a "what to click" guide on a demo server, and a signed-in buyer's own orders,
// wholesale invitations and quotations (live: their events invalidate these lists).

import { useState } from "preact/hooks";

import { api, post } from "../api";
import { Link } from "../router";
import { user } from "../session";
import { useObservable, useQuery } from "../store";
import type { DemoInfo, Invitation, Order, Page, Quotation, Storefront } from "../types";
import { ErrorBox, Loaded, money, Pill, Title } from "../ui";

export function useDemo() {
  // 404 outside demo mode: then there is simply no guide and no demo accounts.
  return useQuery<DemoInfo | null>(["demo"], () => api<DemoInfo>("/demo").catch(() => null));
}

function Welcome({ demo }: { demo: DemoInfo }) {
  const email = (role: string) => demo.accounts.find((a) => a.role === role)?.email ?? `a ${role}`;
  // The seller whose kitchen the demo's staff member works in, so every step below is one store.
  const staff = demo.accounts.find((a) => a.role === "staff");
  const seller = demo.accounts.find((a) => a.email === staff?.works_for) ?? demo.accounts.find((a) => a.role === "seller");
  return (
    <section class="card welcome" data-testid="demo-welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">New here? Try it in two windows</h2>
      <ol>
        <li>
          <Link href="/signin">Sign in</Link> as the buyer <code>{email("buyer")}</code> (password <code>{demo.password}</code>) and open {seller ? <strong>{seller.name}</strong> : "a store"} below.
        </li>
        <li>
          In a second window (a private one, so it has its own cookie), sign in as the seller <code>{seller?.email ?? email("seller")}</code> and open{" "}
          <Link href="/seller">/seller</Link>.
        </li>
        <li>Add something to the cart, check out and pay: the seller sees a toast, the badge, the order row and the metrics move; the stock on the store page drops in every window.</li>
        <li>
          Move the order along in the <Link href="/kitchen">kitchen</Link> (the seller, or <code>{email("staff")}</code>): the buyer's order page follows live.
        </li>
        <li>
          Open <Link href="/chat">chat</Link> from a store page and write to the seller; sign in as <code>{email("admin")}</code> for <Link href="/ops">/ops</Link> to watch who is where.
        </li>
      </ol>
    </section>
  );
}

function BuyerCorner() {
  const orders = useQuery<Order[]>(["orders"], () => api("/orders"));
  const invitations = useQuery<Invitation[]>(["wholesale", "invitations"], () => api("/wholesale/invitations"));
  const quotations = useQuery<Quotation[]>(["quotations"], () => api("/quotations"));
  const [error, setError] = useState<unknown>(null);
  const act = (path: string, refetch: () => void) => () =>
    post(path).then(refetch, (e) => setError(e));
  return (
    <section class="grid2">
      <div class="card">
        <h2>Your orders</h2>
        <Loaded query={orders}>
          {(list) =>
            list.length === 0 ? (
              <p class="muted">No orders yet.</p>
            ) : (
              <ul class="plain rows">
                {list.slice(0, 10).map((o) => (
                  <li key={o.id} class="row spread" data-testid={`my-order-${o.id}`}>
                    <Link href={`/orders/${o.id}`}>Order {o.id.slice(-6)}</Link>
                    <span>{money(o.total_cents, o.currency)}</span>
                    <Pill value={o.status} />
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </div>
      <div class="card">
        <h2>Wholesale invitations</h2>
        <ErrorBox error={error} />
        <Loaded query={invitations}>
          {(list) =>
            list.length === 0 ? (
              <p class="muted">None.</p>
            ) : (
              <ul class="plain rows">
                {list.map((i) => (
                  <li key={i.id} class="row spread" data-testid={`invitation-${i.id}`}>
                    <span>
                      {i.discount_percent}% off, {i.deposit_percent}% deposit{i.message ? ` — “${i.message}”` : ""}
                    </span>
                    <Pill value={i.status} testid={`invitation-status-${i.id}`} />
                    {i.status === "pending" && (
                      <span class="row">
                        <button type="button" onClick={act(`/wholesale/invitations/${i.id}/accept`, invitations.refetch)}>Accept</button>
                        <button type="button" onClick={act(`/wholesale/invitations/${i.id}/reject`, invitations.refetch)}>Reject</button>
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
        <h2>Quotations</h2>
        <Loaded query={quotations}>
          {(list) =>
            list.length === 0 ? (
              <p class="muted">None.</p>
            ) : (
              <ul class="plain rows">
                {list.map((q) => (
                  <li key={q.id} class="row spread" data-testid={`quotation-${q.id}`}>
                    <span>
                      {q.title} · {money(q.total_cents, q.currency)}
                    </span>
                    <Pill value={q.status} testid={`quotation-status-${q.id}`} />
                    {q.status === "sent" && (
                      <span class="row">
                        <button type="button" onClick={act(`/quotations/${q.id}/accept`, quotations.refetch)}>Accept</button>
                        <button type="button" onClick={act(`/quotations/${q.id}/reject`, quotations.refetch)}>Reject</button>
                      </span>
                    )}
                    {q.status === "accepted" && (
                      <button type="button" class="primary" onClick={act(`/quotations/${q.id}/pay`, quotations.refetch)}>
                        Pay
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </div>
    </section>
  );
}

export function Home() {
  const me = useObservable(user);
  const demo = useDemo();
  const stores = useQuery<Page<Storefront>>(["storefronts"], () => api("/storefronts?limit=100"));
  return (
    <>
      <Title sub="Stores, stock, orders and chat, live over one socket.">Open stores</Title>
      {demo.data && !me && <Welcome demo={demo.data} />}
      <Loaded query={stores}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">No store is open right now.</p>
          ) : (
            <ul class="plain stores" data-testid="stores">
              {page.items.map((s) => (
                <li key={s.seller_id} class="card store" data-testid={`store-${s.seller_id}`} style={s.theme.primary_color ? { borderTopColor: s.theme.primary_color } : undefined}>
                  <h2>
                    <Link href={`/store/${s.seller_id}`}>{s.branding.store_name || s.name}</Link>
                  </h2>
                  {s.branding.tagline && <p class="muted">{s.branding.tagline}</p>}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      {demo.data && me && (
        <details class="card">
          <summary>What to click (demo)</summary>
          <Welcome demo={demo.data} />
        </details>
      )}
      {me?.role === "buyer" && <BuyerCorner />}
    </>
  );
}
