// The buyer's cart: a button with the line count in the header and a drawer on every page. Every
// device of the buyer shows the same cart: `cart:updated` (and the warnings) invalidate ["cart"]; this
// tab's own changes are sent with X-Socket-Id and the answer put in place directly.

import { useEffect, useRef, useState } from "preact/hooks";

import { api, ApiError, idempotencyKey, post } from "./api";
import { useEvent } from "./live";
import { navigate } from "./router";
import { user } from "./session";
import { invalidate, Observable, setQueryData, useObservable, useQuery } from "./store";
import type { Cart, CartItem, Order } from "./types";
import { ErrorBox, money, toast } from "./ui";

const CART_KEY = ["cart"];
const drawerOpen = new Observable(false);
/** The orders the last checkout placed, waiting to be paid (shown in the drawer). */
const placed = new Observable<Order[]>([]);

export function useCart() {
  const me = useObservable(user);
  return useQuery<Cart>(me?.role === "buyer" ? CART_KEY : null, () => api("/cart"));
}

export async function addToCart(variantId: string, quantity = 1): Promise<void> {
  const cart = await post<Cart>("/cart/items", { variant_id: variantId, quantity }, { acting: true });
  setQueryData(CART_KEY, cart);
}

export function openCart(): void {
  drawerOpen.set(true);
}

/** `insufficient_stock` names a variant id; say which line of the cart it is. */
function named(error: unknown, items: CartItem[]): unknown {
  if (!(error instanceof ApiError) || typeof error.problem.variant_id !== "string") return error;
  const item = items.find((i) => i.variant_id === error.problem.variant_id);
  return item ? new ApiError(error.status, error.code, `${item.name}: ${error.detail}`, error.problem) : error;
}

export function CartButton() {
  const cart = useCart();
  const count = cart.data?.items.length ?? 0;
  return (
    <button type="button" class="cart-button" data-testid="cart-button" aria-label={`Cart, ${count} items`} aria-expanded={useObservable(drawerOpen)} onClick={() => drawerOpen.set(!drawerOpen.value)}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path d="M7 18a2 2 0 1 0 0 4 2 2 0 0 0 0-4Zm10 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4ZM5.2 4H2V2h4.8l.9 2H21l-3.4 8.1a2 2 0 0 1-1.9 1.2H8.1l-1 1.7H19v2H5l2.6-4.5L5.2 4Z" fill="currentColor" />
      </svg>
      <span class="count" data-testid="cart-count">
        {count}
      </span>
    </button>
  );
}

export function CartDrawer() {
  const me = useObservable(user);
  const open = useObservable(drawerOpen);
  const orders = useObservable(placed);
  const cart = useCart();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const panel = useRef<HTMLDivElement>(null);

  useEvent("cart:inventory_warning", (e) => toast(`Only ${e.data.available} left of an item in your cart (you have ${e.data.requested})`, { kind: "warning", testid: "cart-warning" }));
  useEvent("cart:price_changed", (e) => toast(`A price in your cart changed: ${money(e.data.old_price_cents, e.data.currency)} → ${money(e.data.new_price_cents, e.data.currency)}`, { kind: "warning", testid: "cart-warning" }));

  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement as HTMLElement | null;
    panel.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && drawerOpen.set(false);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      if (opener?.isConnected) opener.focus(); // back to what opened the drawer
    };
  }, [open]);

  if (me?.role !== "buyer" || !open) return null;
  const items = cart.data?.items ?? [];

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const setQuantity = (itemId: string, quantity: number) =>
    act(async () => {
      const next =
        quantity > 0
          ? await api<Cart>(`/cart/items/${itemId}`, { method: "PATCH", body: { quantity }, acting: true })
          : await api<Cart>(`/cart/items/${itemId}`, { method: "DELETE", acting: true });
      setQueryData(CART_KEY, next);
    });
  const checkout = () =>
    act(async () => {
      const result = await post<{ orders: Order[] }>("/cart/checkout", undefined, { headers: { "Idempotency-Key": idempotencyKey() } });
      placed.set(result.orders);
      invalidate(CART_KEY);
    });
  const pay = (order: Order) =>
    act(async () => {
      await post(`/dev/payments/${order.id}`, { outcome: "succeeded" });
      placed.set(placed.value.filter((o) => o.id !== order.id));
      drawerOpen.set(false);
      navigate(`/orders/${order.id}`);
    });

  return (
    <div class="drawer-backdrop" onClick={(e) => e.target === e.currentTarget && drawerOpen.set(false)}>
      <div class="drawer" role="dialog" aria-modal="true" aria-labelledby="cart-title" tabIndex={-1} ref={panel} data-testid="cart-drawer">
        <div class="row spread">
          <h2 id="cart-title">Your cart</h2>
          <button type="button" class="icon" aria-label="Close cart" data-testid="cart-close" onClick={() => drawerOpen.set(false)}>
            ×
          </button>
        </div>
        <ErrorBox error={named(error, items) ?? cart.error} testid="cart-error" />
        {orders.length > 0 && (
          <section class="placed" data-testid="checkout-result" aria-label="Placed orders">
            <h3>Ordered — now pay</h3>
            <ul class="plain">
              {orders.map((order) => (
                <li key={order.id} class="row spread">
                  <a href={`/orders/${order.id}`} data-testid={`order-link-${order.id}`} onClick={(e) => { e.preventDefault(); drawerOpen.set(false); navigate(`/orders/${order.id}`); }}>
                    Order {order.id.slice(-6)} · {money(order.total_cents, order.currency)}
                  </a>
                  <button type="button" class="primary" data-testid={`pay-${order.id}`} disabled={busy} onClick={() => pay(order)}>
                    Pay {money(order.total_cents, order.currency)}
                  </button>
                </li>
              ))}
            </ul>
            <p class="muted small">Demo payment: the server sends itself a signed Stripe webhook.</p>
          </section>
        )}
        {items.length === 0 ? (
          <p class="muted" data-testid="cart-empty">
            Your cart is empty.
          </p>
        ) : (
          <>
            <ul class="plain cart-items" data-testid="cart-items">
              {items.map((item) => (
                <li key={item.id} class="cart-item" data-testid={`cart-item-${item.variant_id}`}>
                  <div>
                    <strong>{item.name}</strong>
                    <div class="muted small">{money(item.unit_price_cents, item.currency)} each</div>
                    {!item.purchasable ? (
                      <div class="warn small" data-testid={`cart-unavailable-${item.variant_id}`}>
                        No longer sold
                      </div>
                    ) : (
                      item.available < item.quantity && (
                        <div class="warn small" data-testid={`cart-unavailable-${item.variant_id}`}>
                          Only {item.available} left
                        </div>
                      )
                    )}
                  </div>
                  <div class="qty">
                    <button type="button" aria-label={`One less ${item.name}`} disabled={busy} onClick={() => setQuantity(item.id, item.quantity - 1)}>
                      −
                    </button>
                    <span data-testid={`cart-qty-${item.variant_id}`} aria-label="Quantity">
                      {item.quantity}
                    </span>
                    <button type="button" aria-label={`One more ${item.name}`} disabled={busy} onClick={() => setQuantity(item.id, item.quantity + 1)}>
                      +
                    </button>
                    <button type="button" class="link" data-testid={`cart-remove-${item.variant_id}`} disabled={busy} onClick={() => setQuantity(item.id, 0)}>
                      Remove
                    </button>
                  </div>
                </li>
              ))}
            </ul>
            <p class="total" data-testid="cart-total">
              Total: {cart.data?.totals.map((t) => money(t.total_cents, t.currency)).join(" + ")}
            </p>
            <button type="button" class="primary wide" data-testid="checkout" disabled={busy} onClick={checkout}>
              Check out
            </button>
          </>
        )}
      </div>
    </div>
  );
}
