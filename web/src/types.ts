// The REST API's response shapes the pages read (see /api/v1/openapi.json). Only what the UI shows.

export type Role = "guest" | "buyer" | "seller" | "staff" | "admin";

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  seller_id?: string | null;
}

export interface DemoInfo {
  password: string;
  accounts: { email: string; role: string; name: string; works_for?: string | null }[];
}

export interface Variant {
  id: string;
  sku: string | null;
  name: string;
  price_cents: number;
  currency: string;
  stock: number;
  low_stock_threshold: number;
}

export interface Product {
  id: string;
  seller_id: string;
  name: string;
  description: string;
  status: string;
  variants: Variant[];
}

export interface Branding {
  store_name?: string | null;
  tagline?: string | null;
  logo_url?: string | null;
  banner_url?: string | null;
}

export interface Storefront {
  seller_id: string;
  name: string;
  open: boolean;
  branding: Branding;
  store_status: { status?: "open" | "closed"; message?: string | null };
  theme: { primary_color?: string; accent_color?: string; layout?: "grid" | "list"; dark_mode?: boolean };
  shipping: { currency?: string; processing_days?: number };
  contact: { email?: string | null; phone?: string | null };
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Total {
  currency: string;
  total_cents: number;
}

export interface CartItem {
  id: string;
  variant_id: string;
  product_id: string;
  seller_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
  currency: string;
  available: number;
  purchasable: boolean;
}

export interface Cart {
  items: CartItem[];
  totals: Total[];
}

export interface OrderItem {
  product_id: string;
  variant_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
}

export interface Order {
  id: string;
  buyer_id: string;
  seller_id: string;
  items: OrderItem[];
  total_cents: number;
  currency: string;
  status: string;
  payment_status: string;
  tracking_number: string | null;
  carrier?: string | null;
  cancel_reason?: string | null;
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  summary: string;
  data: Record<string, unknown>;
  created_at: string;
  read_at: string | null;
}

export interface NotificationPage extends Page<Notification> {
  unread_count: number;
}

export interface Metrics {
  date: string;
  orders_today: number;
  orders_by_currency: Record<string, number>;
  revenue_today_cents: Record<string, number>;
  average_order_value_cents: Record<string, number>;
}

export interface Summary extends Metrics {
  sellers: (Metrics & { seller_id: string })[];
}

export interface ChatRoom {
  id: string;
  buyer_id: string;
  buyer_name: string;
  seller_id: string;
  seller_name: string;
  subject: string | null;
  status: string;
  participant_ids: string[];
  last_message: { id: string; excerpt: string; sender_id: string; sender_name: string; created_at: string } | null;
  unread_count: number;
  created_at: string;
  activity_at: string;
}

export interface Message {
  id: string;
  room_id: string;
  sender_id: string;
  sender_name: string;
  body: string;
  created_at: string;
}

export interface Invitation {
  id: string;
  seller_id: string;
  email: string;
  buyer_id: string | null;
  discount_percent: number;
  deposit_percent: number;
  message: string | null;
  status: string;
  created_at: string;
}

export interface Quotation {
  id: string;
  seller_id: string;
  buyer_id: string;
  title: string;
  items: { description: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  status: string;
  valid_until: string | null;
  notes: string | null;
}

export interface WholesaleOrder {
  id: string;
  seller_id: string;
  buyer_id: string;
  total_cents: number;
  deposit_cents: number;
  currency: string;
  status: string;
  deposit_paid_at: string | null;
}



export interface Connections {
  total: number;
  signed_in: number;
  connections: { sid: string; user_id: string; role: string; path: string | null; connected_at: number }[];
}


/** `GET /admin/audit` (not yet on the server; the ops page says so on 404). */
export interface AuditEntry {
  id: string;
  created_at: string;
  type: string;
  summary: string;
  actor_id: string | null;
  actor_role: string | null;
  target: string | null;
  remote_addr: string | null;
  detail: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEntry[];
  next_cursor: string | null;
}

export type SettingsValues = Record<string, unknown>;
export type AllSettings = { seller_id: string } & Record<string, SettingsValues>;
