// Who is signed in. The session is the HttpOnly `storewire_session` cookie the server sets on
// `POST /auth/session`; the page only ever sees the user it belongs to (`GET /me`).

import { ApiError, api, onUnauthorized, post } from "./api";
import { connect } from "./live";
import { Observable, resetCache } from "./store";
import type { User } from "./types";

/** undefined while the first `GET /me` runs; null for a guest. */
export const user = new Observable<User | null | undefined>(undefined);

/** The store a seller runs or a staff member works for. */
export function sellerIdOf(who: User | null | undefined): string | null {
  if (!who) return null;
  if (who.role === "seller") return who.seller_id ?? who.id;
  if (who.role === "staff") return who.seller_id ?? null;
  return null;
}

const SIGNAL = "storewire.session"; // localStorage key: "the cookie changed", for the other tabs

function become(next: User | null, tellOtherTabs = true): void {
  const changed = user.value?.id !== next?.id;
  user.set(next);
  if (changed) resetCache();
  connect(next !== null);
  if (tellOtherTabs) {
    try {
      localStorage.setItem(SIGNAL, String(Date.now()));
    } catch {
      // storage disabled: other tabs notice at their next 401 or reload
    }
  }
}

// Another tab signed in or out: the cookie is shared, so this tab follows.
window.addEventListener("storage", (event) => {
  if (event.key !== SIGNAL) return;
  api<User>("/me").then(
    (me) => me.id !== user.value?.id && become(me, false),
    () => user.value && become(null, false),
  );
});

export async function loadSession(): Promise<void> {
  let me: User | null = null;
  try {
    me = await api<User>("/me");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) console.warn("GET /me failed", error);
  }
  user.set(me);
  connect(me !== null);
}

export async function signIn(email: string, password: string): Promise<User> {
  const { user: me } = await post<{ user: User }>("/auth/session", { email, password });
  become(me);
  return me;
}

export async function signOut(): Promise<void> {
  try {
    await api<void>("/auth/session", { method: "DELETE" });
  } finally {
    become(null);
  }
}

// The cookie expired (or the user was removed) while the page was open: continue as a guest.
onUnauthorized((path) => {
  if (user.value && path !== "/auth/session") become(null, false);
});
