// Generated from the event catalog: .venv/bin/storewire catalog --format typescript > clients/js/src/events.ts
// Do not edit by hand; tests/unit/test_catalog_typescript.py fails when this file is stale.
/* eslint-disable */

/** A place in the event log: every event of the client's rooms up to `seq` was handled. */
export interface Position {
  epoch: string;
  seq: number;
}

/** A logged domain event as it reaches a client (docs/protocol.md, section 4). */
export interface Envelope<T = unknown, K extends string = string> {
  /** The event's id: the same for every recipient and every redelivery. */
  id: string;
  /** The event name, the same as the Socket.IO event name. */
  type: K;
  /** Names the event log; changes only if the log is lost or reset. */
  epoch: string;
  /** Position in the log: strictly increasing in delivery order within an epoch. */
  seq: number;
  /** When the event was logged: ISO 8601 UTC with milliseconds and `Z`. */
  ts: string;
  data: T;
  /** Hierarchical query keys a client cache should refetch. */
  invalidate: string[][];
}

/** An ephemeral event (presence, typing, live users): sent as it happens, no position, never replayed. */
export interface EphemeralEnvelope<T = unknown, K extends string = string> {
  type: K;
  ts: string;
  data: T;
}

/** Why a resume or a join with `since` did not recover every missed event: refetch over REST. */
export type ResyncReason = "no_position" | "epoch_changed" | "expired" | "too_many" | "invalid" | "overflow";

/** `sync:recovered`: the answer to `auth.resume`, or to a `room:join` with `since` (then `room` is set). */
export interface SyncRecovered {
  /** `true`: every event after the asked position reached the socket; `false`: refetch over REST. */
  recovered: boolean;
  /** The current position: resume from here next time. */
  epoch: string;
  seq: number;
  /** The room whose `room:join` with `since` this answers. */
  room?: string;
  /** Present when `recovered` is false. */
  reason?: ResyncReason;
}

export interface Address {
  line1: string;
  line2: string;
  city: string;
  postal_code: string;
  region: string;
  country: string | null;
}

export interface AnalyticsSettings {
  tracking_enabled: boolean;
  google_analytics_id: string | null;
  meta_pixel_id: string | null;
  weekly_report: boolean;
}

/** `settings:analytics_updated` */
export interface AnalyticsSettingsUpdated {
  seller_id: string;
  category: "analytics";
  values: AnalyticsSettings;
}

export interface Announced {
  announcement_id: string;
  audience: "sellers" | "everyone";
  level: "info" | "warning" | "critical";
  title: string;
  body: string;
  created_at: string;
}

/** How the store presents itself; `store_name` is the storefront's name when set. */
export interface BrandingSettings {
  store_name: string | null;
  tagline: string | null;
  logo_url: string | null;
  banner_url: string | null;
}

/** `settings:branding_updated` */
export interface BrandingSettingsUpdated {
  seller_id: string;
  category: "branding";
  values: BrandingSettings;
}

export interface CartLine {
  variant_id: string;
  product_id: string;
  quantity: number;
  unit_price_cents: number;
  currency: string;
}

/** `cart:price_changed`: a carted variant's price changed. */
export interface CartPriceChanged {
  owner_id: string;
  product_id: string;
  variant_id: string;
  old_price_cents: number;
  new_price_cents: number;
  currency: string;
}

export interface CartSummary {
  items: CartLine[];
  item_count: number;
  totals: CartTotal[];
  truncated: boolean;
}

export interface CartTotal {
  currency: string;
  total_cents: number;
}

/** `cart:updated`: the owner's cart changed (`variant_id` is the line acted on, if one). */
export interface CartUpdated {
  owner_id: string;
  action: "added" | "updated" | "removed" | "cleared";
  variant_id: string | null;
  cart: CartSummary;
}

/** The store's public contact details (the store's, never a customer's). */
export interface ContactSettings {
  email: string | null;
  phone: string | null;
  address: Address | null;
}

/** `settings:contact_updated` */
export interface ContactSettingsUpdated {
  seller_id: string;
  category: "contact";
  values: ContactSettings;
}

export interface DomainSettings {
  custom_domain: string | null;
  verification_token: string | null;
}

/** `settings:domain_updated` */
export interface DomainSettingsUpdated {
  seller_id: string;
  category: "domain";
  values: DomainSettings;
}

/** `cart:inventory_warning`: a carted variant now has fewer units than the cart holds. */
export interface InventoryWarning {
  owner_id: string;
  product_id: string;
  variant_id: string;
  requested: number;
  available: number;
}

export interface InvitationEvent {
  invitation_id: string;
  seller_id: string;
  buyer_id: string | null;
  status: string;
  discount_percent: number;
  deposit_percent: number;
}

export interface LiveUser {
  id: string;
  name: string;
  role: string;
  connections: number;
  pages: string[];
}

/** `admin:live_users`: who is online and on which page (coalesced). */
export interface LiveUsers {
  count: number;
  users: LiveUser[];
  truncated: boolean;
}

/** `product:low_stock`: for the seller and admins only. */
export interface LowStock {
  product_id: string;
  variant_id: string;
  seller_id: string;
  stock: number;
  threshold: number;
}

export interface MessageCreated {
  room_id: string;
  message_id: string;
  sender_id: string;
  sender_name: string;
  body: string;
  truncated: boolean;
  created_at: string;
}

export interface NotificationCreated {
  notification_id: string;
  user_id: string;
  type: string;
  summary: string;
  created_at: string;
}

export interface OrderCancelled {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
  previous_status: string;
  reason: string | null;
  cancelled_by: string;
}

export interface OrderEvent {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
}

/** The tracking number was set or changed (`tracking_number` is the new one). */
export interface OrderFulfillment {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
  carrier: string | null;
}

/** A payment outcome from the payment provider (`payment_reference`: its payment id). */
export interface OrderPayment {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
  payment_reference: string | null;
}

export interface OrderRefunded {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
  previous_status: string;
  stock_returned: boolean;
}

export interface OrderStatusChanged {
  order_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  payment_status: string;
  total_cents: number;
  currency: string;
  tracking_number: string | null;
  previous_status: string;
}

export interface PaymentSettings {
  provider: "stripe" | "paypal" | "manual" | null;
  currency: string;
  publishable_key: string | null;
  secret_key: string | null;
  webhook_secret: string | null;
}

/** `settings:payment_updated` */
export interface PaymentSettingsUpdated {
  seller_id: string;
  category: "payment";
  values: PaymentSettings;
}

/** `presence:joined` / `presence:left`: once per user (a second tab is not a new join). */
export interface PresenceChanged {
  room: string;
  user: PresenceUser;
}

export interface PresenceUser {
  id: string;
  name: string;
  role: string;
}

export interface PriceChanged {
  product_id: string;
  variant_id: string;
  seller_id: string;
  old_price_cents: number;
  new_price_cents: number;
  currency: string;
  published: boolean;
}

/** `product:created|updated|deleted`. */
export interface ProductChanged {
  product_id: string;
  seller_id: string;
  name: string;
  status: string;
  was_published: boolean;
}

export interface QuotationEvent {
  quotation_id: string;
  seller_id: string;
  buyer_id: string;
  status: string;
  total_cents: number;
  currency: string;
  title: string;
}

export interface RoomUpdated {
  room_id: string;
  user_id: string;
  last_message_id: string | null;
  unread_count: number;
}

export interface SaleCompleted {
  order_id: string;
  seller_id: string;
  total_cents: number;
  currency: string;
}

/** One seller's metrics (also the `analytics:metrics_updated` payload). */
export interface SellerMetrics {
  date: string;
  orders_today: number;
  orders_by_currency: Record<string, number>;
  revenue_today_cents: Record<string, number>;
  average_order_value_cents: Record<string, number>;
  seller_id: string;
}

export interface ShippingRate {
  name: string;
  countries: string[];
  rate_cents: number;
  free_over_cents: number | null;
}

export interface ShippingSettings {
  currency: string;
  processing_days: number;
  rates: ShippingRate[];
}

/** `settings:shipping_updated` */
export interface ShippingSettingsUpdated {
  seller_id: string;
  category: "shipping";
  values: ShippingSettings;
}

export interface StockChanged {
  product_id: string;
  variant_id: string;
  seller_id: string;
  stock: number;
  published: boolean;
  previous_stock: number;
}

/** `product:stock_changed`, `stock:out`, `stock:restocked`. */
export interface StockLevel {
  product_id: string;
  variant_id: string;
  seller_id: string;
  stock: number;
  published: boolean;
}

/** `closed` closes the storefront: only its seller, staff and admins see it then. */
export interface StoreStatusSettings {
  status: "open" | "closed";
  message: string | null;
}

/** `settings:store_status_updated` */
export interface StoreStatusSettingsUpdated {
  seller_id: string;
  category: "store_status";
  values: StoreStatusSettings;
}

export interface SubscriptionSettings {
  plan: "free" | "starter" | "pro" | "enterprise";
  billing_email: string | null;
  api_key: string | null;
}

/** `settings:subscription_updated` */
export interface SubscriptionSettingsUpdated {
  seller_id: string;
  category: "subscription";
  values: SubscriptionSettings;
}

export interface TaxSettings {
  tax_id: string | null;
  prices_include_tax: boolean;
  default_rate_bps: number;
}

/** `settings:tax_updated` */
export interface TaxSettingsUpdated {
  seller_id: string;
  category: "tax";
  values: TaxSettings;
}

export interface ThemeSettings {
  primary_color: string;
  accent_color: string;
  font: string;
  layout: "grid" | "list";
  dark_mode: boolean;
}

/** `settings:theme_updated` */
export interface ThemeSettingsUpdated {
  seller_id: string;
  category: "theme";
  values: ThemeSettings;
}

export interface Typing {
  room: string;
  user: PresenceUser;
}

export interface WarehouseSettings {
  name: string | null;
  address: Address | null;
  handling_days: number;
}

/** `settings:warehouse_updated` */
export interface WarehouseSettingsUpdated {
  seller_id: string;
  category: "warehouse";
  values: WarehouseSettings;
}

export interface WholesaleOrderEvent {
  order_id: string;
  seller_id: string;
  buyer_id: string;
  status: string;
  total_cents: number;
  deposit_cents: number;
  currency: string;
}

export interface WholesaleSettings {
  enabled: boolean;
  minimum_order_cents: number;
  deposit_percent: number;
  invitation_only: boolean;
}

/** `settings:wholesale_updated` */
export interface WholesaleSettingsUpdated {
  seller_id: string;
  category: "wholesale";
  values: WholesaleSettings;
}

/** Every event's payload (`data`), by event name. */
export interface EventMap {
  /**
   * Ephemeral: `{type, ts, data}`, no `seq`, never replayed. A user's first socket entered a room with
   * presence (storefront, chat, kitchen, order); a seller's first connection also counts in its own
   * storefront.
   */
  "presence:joined": PresenceChanged;
  /**
   * Ephemeral: `{type, ts, data}`, no `seq`, never replayed. A user's last socket left a room with presence.
   */
  "presence:left": PresenceChanged;
  /**
   * Ephemeral: `{type, ts, data}`, no `seq`, never replayed. A member of a chat room is typing (relayed to
   * the other members, rate limited).
   */
  "chat:typing": Typing;
  /**
   * Ephemeral: `{type, ts, data}`, no `seq`, never replayed. Who is online and on which page (from
   * page:navigate), coalesced to a few per second.
   */
  "admin:live_users": LiveUsers;
  /** A notification was added to the user's inbox (one per recipient of an inbox event). */
  "notification:created": NotificationCreated;
  /** A seller created a product. */
  "product:created": ProductChanged;
  /** A product's name, description, status or a variant's name or threshold changed. */
  "product:updated": ProductChanged;
  /** A seller deleted a product; it can no longer be ordered. */
  "product:deleted": ProductChanged;
  /** A variant's price changed. */
  "product:price_changed": PriceChanged;
  /** A variant's available stock changed (an order, a cancellation, a restock). */
  "product:stock_changed": StockChanged;
  /**
   * A variant fell to or below its low-stock threshold (once per downward crossing). Inbox: also stored as a
   * notification for each recipient user.
   */
  "product:low_stock": LowStock;
  /** A variant sold out. Inbox: also stored as a notification for each recipient user. */
  "stock:out": StockLevel;
  /** A sold-out variant is available again. */
  "stock:restocked": StockLevel;
  /** The seller changed its branding settings (shown on its storefront). */
  "settings:branding_updated": BrandingSettingsUpdated;
  /** The seller changed its contact settings (shown on its storefront). */
  "settings:contact_updated": ContactSettingsUpdated;
  /** The seller changed its store status settings (shown on its storefront). */
  "settings:store_status_updated": StoreStatusSettingsUpdated;
  /** The seller changed its warehouse settings. */
  "settings:warehouse_updated": WarehouseSettingsUpdated;
  /** The seller changed its payment settings. */
  "settings:payment_updated": PaymentSettingsUpdated;
  /** The seller changed its tax settings. */
  "settings:tax_updated": TaxSettingsUpdated;
  /** The seller changed its shipping settings (shown on its storefront). */
  "settings:shipping_updated": ShippingSettingsUpdated;
  /** The seller changed its domain settings. */
  "settings:domain_updated": DomainSettingsUpdated;
  /** The seller changed its wholesale settings. */
  "settings:wholesale_updated": WholesaleSettingsUpdated;
  /** The seller changed its subscription settings. */
  "settings:subscription_updated": SubscriptionSettingsUpdated;
  /** The seller changed its analytics settings. */
  "settings:analytics_updated": AnalyticsSettingsUpdated;
  /** The seller changed its theme settings (shown on its storefront). */
  "settings:theme_updated": ThemeSettingsUpdated;
  /**
   * A seller invited a buyer to buy wholesale. Inbox: also stored as a notification for each recipient user.
   */
  "wholesale:invitation_sent": InvitationEvent;
  /**
   * The invited buyer accepted a wholesale invitation. Inbox: also stored as a notification for each
   * recipient user.
   */
  "wholesale:invitation_accepted": InvitationEvent;
  /**
   * The invited buyer rejected a wholesale invitation. Inbox: also stored as a notification for each
   * recipient user.
   */
  "wholesale:invitation_rejected": InvitationEvent;
  /**
   * A buyer placed a wholesale order; it awaits its deposit. Inbox: also stored as a notification for each
   * recipient user.
   */
  "wholesale:order_placed": WholesaleOrderEvent;
  /** A wholesale order's deposit was paid. Inbox: also stored as a notification for each recipient user. */
  "wholesale:deposit_paid": WholesaleOrderEvent;
  /** A seller drafted a quotation (the seller only). */
  "quotation:created": QuotationEvent;
  /** A seller edited a draft quotation (the seller only). */
  "quotation:updated": QuotationEvent;
  /** A seller sent a quotation to its buyer. Inbox: also stored as a notification for each recipient user. */
  "quotation:sent": QuotationEvent;
  /** The buyer accepted a quotation. Inbox: also stored as a notification for each recipient user. */
  "quotation:accepted": QuotationEvent;
  /** The buyer rejected a quotation. Inbox: also stored as a notification for each recipient user. */
  "quotation:rejected": QuotationEvent;
  /** The buyer paid an accepted quotation. Inbox: also stored as a notification for each recipient user. */
  "quotation:paid": QuotationEvent;
  /**
   * A buyer placed an order; its stock is reserved. Inbox: also stored as a notification for each recipient
   * user.
   */
  "order:created": OrderEvent;
  /**
   * The seller or its staff moved an order along its status flow. Inbox: also stored as a notification for
   * each recipient user.
   */
  "order:status_changed": OrderStatusChanged;
  /**
   * The order's tracking number (and carrier) was set or changed. Inbox: also stored as a notification for
   * each recipient user.
   */
  "order:fulfillment_updated": OrderFulfillment;
  /**
   * The order's payment succeeded: payment_status is paid. Inbox: also stored as a notification for each
   * recipient user.
   */
  "order:payment_succeeded": OrderPayment;
  /**
   * The order's payment failed: the order is cancelled and its stock given back. Inbox: also stored as a
   * notification for each recipient user.
   */
  "order:payment_failed": OrderPayment;
  /**
   * The order's payment was canceled: the order is cancelled and its stock given back. Inbox: also stored as
   * a notification for each recipient user.
   */
  "order:payment_canceled": OrderPayment;
  /**
   * The order's payment was refunded; stock is given back if it had not shipped. Inbox: also stored as a
   * notification for each recipient user.
   */
  "order:refunded": OrderRefunded;
  /**
   * The buyer, the seller (or its staff) or an admin cancelled an unpaid order; stock is given back. Inbox:
   * also stored as a notification for each recipient user.
   */
  "order:cancelled": OrderCancelled;
  /**
   * The buyer's cart changed: a line added, updated or removed, or the cart cleared (also by checkout).
   * Carries a summary of at most 4 lines and 4 currency totals.
   */
  "cart:updated": CartUpdated;
  /** A carted variant's stock dropped below the quantity in the cart. */
  "cart:inventory_warning": InventoryWarning;
  /** A carted variant's price changed. */
  "cart:price_changed": CartPriceChanged;
  /** An order of this seller was paid (one per order, in the paying transaction). */
  "analytics:sale_completed": SaleCompleted;
  /**
   * The seller's metrics for the current UTC day (paid orders, revenue and average order value per currency),
   * coalesced: at most one per seller per interval however many sales happen.
   */
  "analytics:metrics_updated": SellerMetrics;
  /** A message was posted in a chat room (bodies over 1000 characters are cut). */
  "chat:message_created": MessageCreated;
  /** A chat room's last message or this participant's unread count changed. */
  "chat:room_updated": RoomUpdated;
  /** An admin announced something to every seller or to everyone connected. */
  "system:announcement": Announced;
}

export type EventName = keyof EventMap;

/** Events sent by the gateway as they happen: `{type, ts, data}`, no `seq`, never replayed. */
export const EPHEMERAL_EVENTS = ["presence:joined", "presence:left", "chat:typing", "admin:live_users"] as const;

export type EphemeralEventName = (typeof EPHEMERAL_EVENTS)[number];

/** Events of the log: full envelopes with a position. */
export type LoggedEventName = Exclude<EventName, EphemeralEventName>;

/** What a handler of event `K` receives. */
export type EventEnvelope<K extends EventName> = K extends EphemeralEventName
  ? EphemeralEnvelope<EventMap[K], K>
  : Envelope<EventMap[K], K>;

/** Any event of the catalog, discriminated by `type`. */
export type AnyEnvelope = { [K in EventName]: EventEnvelope<K> }[EventName];
