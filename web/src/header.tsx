// The bar on every page: navigation, the connection indicator, the notifications bell, the cart
// button and who is signed in.

import { useEffect, useState } from "preact/hooks";

import { api, post } from "./api";
import { CartButton } from "./cart";
import { lastError, status } from "./live";
import { Link, navigate, useLocation } from "./router";
import { signOut, user } from "./session";
import { setQueryData, useObservable, useQuery } from "./store";
import type { ChatRoom, Notification, NotificationPage, Page } from "./types";
import { ErrorBox, toast } from "./ui";

const STATUS_TEXT = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  resumed: "Live (resumed)",
  disconnected: "Offline",
} as const;

export function ConnStatus() {
  const value = useObservable(status);
  const error = useObservable(lastError);
  return (
    <span class={`conn conn-${value}`} role="status" aria-live="polite" title={error ? `${STATUS_TEXT[value]}: ${error}` : STATUS_TEXT[value]}>
      <span class="dot" aria-hidden="true" />
      <span class="visually-hidden">Connection: </span>
      <span data-testid="conn-status" data-status={value}>
        {value}
      </span>
    </span>
  );
}

const NOTIFICATIONS_KEY = ["notifications"];

/** Where a notification leads: its order, chat or the seller dashboard. */
function target(n: Notification): string | undefined {
  const data = n.data;
  if (typeof data.order_id === "string" && n.type.startsWith("order:")) return `/orders/${data.order_id}`;
  if (typeof data.room_id === "string") return `/chat?room=${data.room_id}`;
  return undefined;
}

export function Bell() {
  const me = useObservable(user);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inbox = useQuery<NotificationPage>(me ? NOTIFICATIONS_KEY : null, () => api("/notifications?limit=20"));
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);
  if (!me) return null;
  const unread = inbox.data?.unread_count ?? 0;
  const readAll = async () => {
    try {
      await post("/notifications/read-all");
      inbox.refetch();
    } catch (e) {
      setError(e);
    }
  };
  const readOne = async (n: Notification) => {
    setOpen(false);
    if (!n.read_at) {
      post(`/notifications/${n.id}/read`).then(() => inbox.refetch(), (e) => toast(String(e), { kind: "error" }));
      if (inbox.data) {
        const items = inbox.data.items.map((i) => (i.id === n.id ? { ...i, read_at: new Date().toISOString() } : i));
        setQueryData(NOTIFICATIONS_KEY, { ...inbox.data, items, unread_count: Math.max(0, unread - 1) });
      }
    }
    const to = target(n);
    if (to) navigate(to);
  };
  return (
    <div class="bell-wrap">
      <button
        type="button"
        class="bell"
        data-testid="bell"
        aria-expanded={open}
        aria-controls="notifications-panel"
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen(!open)}
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path d="M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.8V3a1.5 1.5 0 0 0-3 0v1.2A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" fill="currentColor" />
        </svg>
        <span class={unread ? "count" : "count zero"} data-testid="bell-count">
          {unread}
        </span>
      </button>
      {open && (
        <div id="notifications-panel" class="panel notifications" data-testid="notifications-panel" role="region" aria-label="Notifications">
          <div class="row spread">
            <strong>Notifications</strong>
            <button type="button" class="link" data-testid="notifications-read-all" onClick={readAll} disabled={!unread}>
              Mark all read
            </button>
          </div>
          <ErrorBox error={error ?? inbox.error} />
          {inbox.data?.items.length === 0 && <p class="muted">Nothing yet.</p>}
          <ul class="plain">
            {inbox.data?.items.map((n) => (
              <li key={n.id}>
                <button type="button" class={n.read_at ? "note" : "note unread"} data-testid={`notification-${n.id}`} onClick={() => readOne(n)}>
                  <strong>{n.title}</strong>
                  <span>{n.summary}</span>
                  <time class="muted" dateTime={n.created_at}>
                    {new Date(n.created_at).toLocaleTimeString()}
                  </time>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function Header() {
  const me = useObservable(user);
  const { path } = useLocation();
  const links: [string, string][] = [["/", "Stores"]];
  if (me?.role === "seller") links.push(["/seller", "Dashboard"]);
  if (me?.role === "seller" || me?.role === "staff") links.push(["/kitchen", "Kitchen"]);
  if (me) links.push(["/chat", "Chat"]);
  const rooms = useQuery<Page<ChatRoom>>(me ? ["chat", "rooms"] : null, () => api("/chat/rooms?limit=50"));
  const unreadChats = rooms.data?.items.reduce((n, r) => n + r.unread_count, 0) ?? 0;
  if (me?.role === "admin") links.push(["/ops", "Ops"]);
  return (
    <header class="top">
      <Link href="/" class="brand">
        storewire
      </Link>
      <nav aria-label="Main">
        <ul class="plain nav">
          {links.map(([href, label]) => (
            <li key={href}>
              <Link href={href} aria-current={path === href ? "page" : undefined}>
                {label}
                {href === "/chat" && unreadChats > 0 && (
                  <span class="count" data-testid="nav-chat-unread" aria-label={`${unreadChats} unread`}>
                    {unreadChats}
                  </span>
                )}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="top-right">
        <ConnStatus />
        <Bell />
        {me?.role === "buyer" && <CartButton />}
        {me ? (
          <span class="who">
            <span data-testid="user-name" title={`${me.email} (${me.role})`}>
              {me.name}
            </span>
            <button type="button" class="link" data-testid="signout" onClick={() => signOut().then(() => navigate("/"))}>
              Sign out
            </button>
          </span>
        ) : (
          me === null && (
            <Link href="/signin" data-testid="signin-link" class="button small">
              Sign in
            </Link>
          )
        )}
      </div>
    </header>
  );
}
