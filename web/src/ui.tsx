// Small shared pieces: money, status pills, loading and error boxes, toasts, the sparkline.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

import { api, message } from "./api";
import { Link } from "./router";
import type { Query } from "./store";
import { Observable, useObservable, useQuery } from "./store";
import type { Storefront } from "./types";

export function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

/** Per-currency amounts (the analytics summary's shape): "24.00 EUR · 9.50 USD", or "0.00" when empty. */
export function moneyMap(amounts: Record<string, number> | undefined): string {
  const entries = Object.entries(amounts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([currency, cents]) => money(cents, currency)).join(" · ") : "0.00";
}

export const shortId = (id: string) => (id.length > 10 ? `…${id.slice(-6)}` : id);

export function Pill({ value, testid }: { value: string; testid?: string }) {
  return (
    <span class={`pill pill-${value}`} data-testid={testid}>
      {value}
    </span>
  );
}

export function ErrorBox({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" data-testid={testid}>
      {message(error)}
    </p>
  );
}

/** Loading, error or the children for a query. */
export function Loaded<T>({ query, children }: { query: Query<T>; children: (data: T) => ComponentChildren }) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorBox error={query.error} />;
  return <p class="muted" aria-busy="true">Loading…</p>;
}

/** The page's main heading; focused on navigation so screen readers announce the new page. */
export function Title({ children, sub }: { children: ComponentChildren; sub?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    const text = ref.current?.textContent;
    if (text) document.title = `${text} · storewire`;
  });
  return (
    <header class="page-title">
      <h1 tabIndex={-1} ref={ref}>
        {children}
      </h1>
      {sub && <p class="muted">{sub}</p>}
    </header>
  );
}

/** A store's display name (its branding's store name, else the seller's name). */
export function StoreName({ sellerId }: { sellerId: string }) {
  const store = useQuery<Storefront>(["storefronts", sellerId], () => api(`/storefronts/${sellerId}`));
  return <>{store.data ? store.data.branding.store_name || store.data.name : `Store ${sellerId.slice(-6)}`}</>;
}

export function SignInPrompt({ what }: { what: string }) {
  return (
    <p class="notice">
      <Link href={`/signin?next=${encodeURIComponent(location.pathname)}`}>Sign in</Link> {what}.
    </p>
  );
}

// -- toasts ----------------------------------------------------------------------------------------

export interface Toast {
  id: number;
  text: string;
  kind: "info" | "success" | "warning" | "error";
  testid?: string;
  href?: string;
}

const toasts = new Observable<Toast[]>([]);
let nextToast = 1;

export function toast(text: string, options: Omit<Toast, "id" | "text" | "kind"> & { kind?: Toast["kind"]; ms?: number } = {}): void {
  const id = nextToast++;
  const { ms = 7000, kind = "info", ...rest } = options;
  toasts.set([...toasts.value.slice(-4), { id, text, kind, ...rest }]);
  setTimeout(() => dismiss(id), ms);
}

function dismiss(id: number): void {
  toasts.set(toasts.value.filter((t) => t.id !== id));
}

export function Toaster() {
  const list = useObservable(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} data-testid={t.testid ?? "toast"}>
          {t.href ? <Link href={t.href}>{t.text}</Link> : <span>{t.text}</span>}
          <button type="button" class="icon" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

// -- the sparkline ---------------------------------------------------------------------------------

export interface Point {
  t: number;
  v: number;
}

/** A step line of observed values over time, drawn as they arrive (inline SVG, no library). */
export function Sparkline({ points, label, testid }: { points: Point[]; label: string; testid?: string }) {
  const w = 320;
  const h = 80;
  const pad = 4;
  if (points.length === 0) return null;
  const t0 = points[0]!.t;
  const t1 = Math.max(Date.now(), points[points.length - 1]!.t, t0 + 1);
  const max = Math.max(1, ...points.map((p) => p.v));
  const x = (t: number) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (v: number) => h - pad - (v / max) * (h - 2 * pad);
  let d = `M${x(points[0]!.t).toFixed(1)},${y(points[0]!.v).toFixed(1)}`;
  for (const p of points.slice(1)) d += ` H${x(p.t).toFixed(1)} V${y(p.v).toFixed(1)}`;
  d += ` H${x(t1).toFixed(1)}`;
  const area = `${d} V${h - pad} H${pad} Z`;
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-testid={testid} data-points={points.length}>
      <path d={area} class="spark-area" />
      <path d={d} class="spark-line" />
      {points.map((p, i) => (
        <circle key={i} cx={x(p.t)} cy={y(p.v)} r="2.5" class="spark-dot" />
      ))}
    </svg>
  );
}
