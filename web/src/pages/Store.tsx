// `/store/{sellerId}`: the storefront. In the `storefront:{sellerId}` room it hears every product,
// price, stock and public-settings change of the store (their `invalidate` keys refetch the list) and
// whether the seller is online (presence).

import { useState } from "preact/hooks";

import { api, message, post } from "../api";
import { addToCart, openCart } from "../cart";
import { useEvent, usePresence, useRoom } from "../live";
import { navigate } from "../router";
import { user } from "../session";
import { invalidate, useObservable, useQuery } from "../store";
import type { ChatRoom, Product, Storefront, Variant } from "../types";
import { ErrorBox, Loaded, money, SignInPrompt, Title, toast } from "../ui";

function stockText(variant: Variant): string {
  return variant.stock > 0 ? `${variant.stock} left` : "out of stock";
}

function VariantRow({ variant, canBuy }: { variant: Variant; canBuy: boolean }) {
  const [busy, setBusy] = useState(false);
  const out = variant.stock <= 0;
  const add = async () => {
    setBusy(true);
    try {
      await addToCart(variant.id);
      toast("Added to your cart", { kind: "success", testid: "cart-added" });
    } catch (error) {
      toast(message(error), { kind: "error" });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="variant" data-testid={`variant-${variant.id}`}>
      <span class="variant-name">{variant.name}</span>
      <span class="price" data-testid={`price-${variant.id}`}>
        {money(variant.price_cents, variant.currency)}
      </span>
      <span class={out ? "stock out" : variant.stock <= variant.low_stock_threshold ? "stock low" : "stock"} data-testid={`stock-${variant.id}`}>
        {stockText(variant)}
      </span>
      {canBuy && (
        <button type="button" class="primary small" data-testid={`add-${variant.id}`} disabled={busy || out} onClick={add} aria-label={`Add ${variant.name} to cart`}>
          Add to cart
        </button>
      )}
    </li>
  );
}

export function Store({ sellerId }: { sellerId: string }) {
  const me = useObservable(user);
  const store = useQuery<Storefront>(["storefronts", sellerId], () => api(`/storefronts/${sellerId}`));
  const products = useQuery<Product[]>(
    ["storefronts", sellerId, "products"],
    () => api(`/storefronts/${sellerId}/products`),
    // Stock and price events name ["products", id]: the list shows those products, so it refetches too.
    (list) => list.map((p) => ["products", p.id]),
  );
  const room = `storefront:${sellerId}`;
  // Anything read before the room was live may be behind: read again once it is.
  useRoom(room, () => invalidate(["storefronts", sellerId]));
  const present = usePresence(room);
  const online = present?.some((u) => u.id === sellerId) ?? false;
  const canBuy = me?.role === "buyer";
  const [chatError, setChatError] = useState<unknown>(null);
  // A closed store is 404 to buyers; its last status event says why (the room stays joined).
  const [closedMessage, setClosedMessage] = useState<string | null>(null);
  useEvent("settings:store_status_updated", (e) => e.data.seller_id === sellerId && setClosedMessage(e.data.values.message ?? null));

  const openChat = async () => {
    try {
      const chat = await post<ChatRoom>("/chat/rooms", { seller_id: sellerId });
      navigate(`/chat?room=${chat.id}`);
    } catch (error) {
      setChatError(error);
    }
  };

  const s = store.data;
  const name = s ? s.branding.store_name || s.name : "Store";
  return (
    <div style={s?.theme.primary_color ? { "--brand": s.theme.primary_color } : undefined}>
      <Title sub={s?.branding.tagline}>
        <span data-testid="storefront-name">{name}</span>
      </Title>
      <p class="row">
        <span class={online ? "presence on" : "presence"} data-testid="seller-presence" data-online={String(online)} role="status" aria-live="polite">
          <span class="dot" aria-hidden="true" />
          Seller {present === null ? "…" : online ? "online" : "offline"}
        </span>
        {canBuy && (
          <>
            <button type="button" data-testid="open-chat" onClick={openChat}>
              Chat with the seller
            </button>
            <button type="button" data-testid="open-cart" onClick={openCart}>
              View cart
            </button>
          </>
        )}
      </p>
      <ErrorBox error={chatError} />
      {store.error?.status === 404 ? (
        <p class="notice" data-testid="storefront-closed">
          This store is closed{closedMessage ? `: ${closedMessage}` : " or does not exist."}
        </p>
      ) : (
        <ErrorBox error={store.error} />
      )}
      {s && !s.open && (
        <p class="notice" data-testid="storefront-closed">
          This store is closed{s.store_status.message ? `: ${s.store_status.message}` : "."}
        </p>
      )}
      {!me && <SignInPrompt what="as a buyer to add to your cart" />}
      <Loaded query={products}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">No products yet.</p>
          ) : (
            <ul class={`plain products ${s?.theme.layout === "list" ? "list" : ""}`} data-testid="products">
              {list.map((p) => (
                <li key={p.id} class="card product" data-testid={`product-${p.id}`}>
                  <h2>{p.name}</h2>
                  {p.status !== "published" && <span class="pill">{p.status}</span>}
                  {p.description && <p class="muted">{p.description}</p>}
                  <ul class="plain variants">
                    {p.variants.map((v) => (
                      <VariantRow key={v.id} variant={v} canBuy={canBuy} />
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </div>
  );
}
