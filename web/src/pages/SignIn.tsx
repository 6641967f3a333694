// `/signin`: email and password to `POST /auth/session` (the server sets the HttpOnly cookie). On a demo
// server the demo accounts are listed; a click fills the form.

import { useRef, useState } from "preact/hooks";

import { navigate, useLocation } from "../router";
import { signIn, user } from "../session";
import { useObservable } from "../store";
import type { Role } from "../types";
import { ErrorBox, Title } from "../ui";
import { useDemo } from "./Home";

const HOME: Record<Role, string> = { guest: "/", buyer: "/", seller: "/seller", staff: "/kitchen", admin: "/ops" };

export function SignIn() {
  const me = useObservable(user);
  const demo = useDemo();
  const { params } = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const who = await signIn(email.trim(), password);
      const next = params.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : HOME[who.role], true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title>Sign in</Title>
      {me && (
        <p class="notice">
          You are signed in as {me.name} ({me.role}). Signing in again switches the account.
        </p>
      )}
      <div class="grid2">
        <form class="card signin" onSubmit={submit} data-testid="signin-form">
          <div class="field">
            <label for="signin-email">Email</label>
            <input id="signin-email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} data-testid="signin-email" />
          </div>
          <div class="field">
            <label for="signin-password">Password</label>
            <input id="signin-password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} data-testid="signin-password" />
          </div>
          <ErrorBox error={error} testid="signin-error" />
          <button type="submit" class="primary wide" disabled={busy} ref={submitRef} data-testid="signin-submit">
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        {demo.data && (
          <section class="card" aria-labelledby="demo-title" data-testid="demo-accounts">
            <h2 id="demo-title">Demo accounts</h2>
            <p class="muted small">
              Password <code>{demo.data.password}</code>. Click one to fill the form.
            </p>
            <ul class="plain demo-list">
              {demo.data.accounts.map((a) => (
                <li key={a.email}>
                  <button
                    type="button"
                    class="demo-account"
                    data-testid={`demo-account-${a.email}`}
                    onClick={() => {
                      setEmail(a.email);
                      setPassword(demo.data!.password);
                      submitRef.current?.focus();
                    }}
                  >
                    <span class={`pill pill-role`}>{a.role}</span> {a.name}
                    <span class="muted small"> {a.email}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </>
  );
}
