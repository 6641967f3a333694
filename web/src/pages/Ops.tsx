// `/ops` (admins): who is online and on which page (`admin:live_users`, fed by every tab's
// `page:navigate`), this node's connections, today's sales across sellers, recent audit entries and an
// announcement form.

import type { LiveUsers } from "@storewire/client";
import { useState } from "preact/hooks";

import { api, post } from "../api";
import { useEvent } from "../live";
import { user } from "../session";
import { invalidate, setQueryData, useObservable, useQuery } from "../store";
import type { AuditPage, Connections, Summary } from "../types";
import { ErrorBox, Loaded, moneyMap, SignInPrompt, StoreName, Title, toast } from "../ui";

const LIVE_KEY = ["admin", "live-users"];
const CONNECTIONS_KEY = ["admin", "connections"];
const AUDIT_KEY = ["admin", "audit"];

function Audit() {
  // Newest first; the list is refetched when the page is (the audit log has no event of its own).
  const audit = useQuery<AuditPage>(AUDIT_KEY, () => api<AuditPage>("/admin/audit?limit=20"));
  return (
    <Loaded query={audit}>
      {(page) => (
        <ul class="plain rows" data-testid="audit-list">
          {page.items.length === 0 && <li class="muted">No entries.</li>}
          {page.items.map((entry) => (
            <li key={entry.id} class="row spread audit-entry" data-testid="audit-entry">
              <code>{entry.type}</code>
              <span class="audit-target">
                {entry.target ?? ""}
                {entry.detail.code ? ` (${String(entry.detail.code)})` : ""}
                {entry.actor_role ? ` · ${entry.actor_role}` : ""}
              </span>
              <time class="muted small" dateTime={entry.created_at}>
                {new Date(entry.created_at).toLocaleTimeString()}
              </time>
            </li>
          ))}
        </ul>
      )}
    </Loaded>
  );
}

function Announce() {
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
    setError(null);
    try {
      await post("/admin/announcements", { title: field("title"), body: field("body"), audience: field("audience"), level: field("level") });
      form.reset();
      toast("Announced", { kind: "success" });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Announce">
      <div class="field">
        <label for="ann-title">Title</label>
        <input id="ann-title" name="title" required maxLength={200} />
      </div>
      <div class="field">
        <label for="ann-body">Message</label>
        <input id="ann-body" name="body" required />
      </div>
      <div class="field narrow">
        <label for="ann-audience">To</label>
        <select id="ann-audience" name="audience">
          <option value="everyone">everyone</option>
          <option value="sellers">sellers</option>
        </select>
      </div>
      <div class="field narrow">
        <label for="ann-level">Level</label>
        <select id="ann-level" name="level">
          <option>info</option>
          <option>warning</option>
          <option>critical</option>
        </select>
      </div>
      <button type="submit">Announce</button>
      <ErrorBox error={error} />
    </form>
  );
}

function Board() {
  const live = useQuery<LiveUsers>(LIVE_KEY, () => api("/admin/live-users"));
  const connections = useQuery<Connections>(CONNECTIONS_KEY, () => api("/admin/connections"));
  const sales = useQuery<Summary>(["analytics", "summary"], () => api("/analytics/summary?limit=20"));
  useEvent("admin:live_users", (e) => {
    setQueryData(LIVE_KEY, e.data);
    invalidate(CONNECTIONS_KEY);
  });
  // Audited events are among those an admin hears; refetching on each (coalesced) keeps the list fresh.
  const refreshAudit = () => invalidate(AUDIT_KEY);
  useEvent("order:created", refreshAudit);
  useEvent("stock:out", refreshAudit);
  useEvent("analytics:metrics_updated", refreshAudit);
  useEvent("system:announcement", refreshAudit);
  return (
    <>
      <Title sub={<><a href="/metrics">/metrics</a> · <a href="/api/v1/docs">API docs</a> · <a href="/api/v1/asyncapi.json">AsyncAPI</a> · <a href="/healthz">/healthz</a></>}>Operations</Title>
      <div class="metrics">
        <div class="metric">
          <span class="label">Users online</span>
          <span class="value" data-testid="live-count">{live.data?.count ?? "…"}</span>
        </div>
        <div class="metric">
          <span class="label">Sockets (this node)</span>
          <span class="value" data-testid="conn-total">{connections.data?.total ?? "…"}</span>
        </div>
        <div class="metric">
          <span class="label">Signed-in sockets</span>
          <span class="value" data-testid="conn-signed-in">{connections.data?.signed_in ?? "…"}</span>
        </div>
        <div class="metric">
          <span class="label">Revenue today</span>
          <span class="value" data-testid="ops-revenue">{sales.data ? moneyMap(sales.data.revenue_today_cents) : "…"}</span>
        </div>
      </div>
      <div class="grid2">
        <section class="card" aria-labelledby="live-title">
          <h2 id="live-title">Live users</h2>
          <Loaded query={live}>
            {(data) => (
              <table class="live" data-testid="live-users">
                <thead>
                  <tr><th scope="col">Who</th><th scope="col">Sockets</th><th scope="col">Pages</th></tr>
                </thead>
                <tbody aria-live="polite">
                  {data.users.map((u) => (
                    <tr key={u.id} data-testid={`live-user-${u.id}`}>
                      <td>
                        {u.name} <span class="muted small">{u.role}</span>
                      </td>
                      <td>{u.connections}</td>
                      <td class="pages">{u.pages.join(", ") || "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loaded>
          {live.data?.truncated && <p class="muted small">Only the first {live.data.users.length} are listed.</p>}
        </section>
        <section class="card" aria-labelledby="sales-title">
          <h2 id="sales-title">Sales today</h2>
          <Loaded query={sales}>
            {(s) => (
              <>
                <p>
                  {s.orders_today} paid orders · {moneyMap(s.revenue_today_cents)}
                </p>
                <ul class="plain rows">
                  {s.sellers.map((m) => (
                    <li key={m.seller_id} class="row spread">
                      <span><StoreName sellerId={m.seller_id} /></span>
                      <span>{m.orders_today} orders</span>
                      <span>{moneyMap(m.revenue_today_cents)}</span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </Loaded>
          <h2>Recent audit entries</h2>
          <Audit />
        </section>
      </div>
      <section class="card" aria-labelledby="announce-title">
        <h2 id="announce-title">Announce</h2>
        <Announce />
      </section>
      <ErrorBox error={connections.error} />
    </>
  );
}

export function Ops() {
  const me = useObservable(user);
  if (me === undefined) return null;
  if (!me) return (<><Title>Operations</Title><SignInPrompt what="as an admin" /></>);
  if (me.role !== "admin") return (<><Title>Operations</Title><p class="notice">This page is for admins.</p></>);
  return <Board />;
}
