// The one way the UI talks REST: same-origin, the session cookie, the CSRF header on every write,
// and problem JSON (RFC 9457) turned into an ApiError the pages show as they are.

export const API = "/api/v1";

/** A REST failure: the problem's stable `code` and its `detail` for people (status 0: no answer). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `X-Socket-Id` so this tab's own socket does not get the echo (the caller applies the response). */
  acting?: boolean;
}

let socketId: () => string | undefined = () => undefined;
let unauthorized: (path: string) => void = () => {};

/** live.ts tells the api module where the socket id comes from (for `acting` requests). */
export function setSocketIdSource(source: () => string | undefined): void {
  socketId = source;
}

/** session.ts learns of a 401 on a request that needed the session (the cookie expired). */
export function onUnauthorized(handler: (path: string) => void): void {
  unauthorized = handler;
}

function describe(problem: Record<string, unknown>, status: number): string {
  const errors = problem.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .slice(0, 3)
      .map((e: { loc?: unknown[]; msg?: string }) => {
        const loc = (e.loc ?? []).filter((part) => part !== "body").join(".");
        return loc ? `${loc}: ${e.msg ?? ""}` : String(e.msg ?? "");
      })
      .join("; ");
  }
  if (typeof problem.detail === "string" && problem.detail) return problem.detail;
  return `request failed (${status})`;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (method !== "GET") headers["X-Storewire-CSRF"] = "1";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const sid = options.acting ? socketId() : undefined;
  if (sid) headers["X-Socket-Id"] = sid;
  let response: Response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new ApiError(0, "network_error", `the server could not be reached (${String(error)})`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const problem = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const code = typeof problem.code === "string" ? problem.code : `http_${response.status}`;
    const error = new ApiError(response.status, code, describe(problem, response.status), problem);
    if (response.status === 401) unauthorized(path);
    throw error;
  }
  return body as T;
}

export const post = <T>(path: string, body?: unknown, extra: Omit<RequestOptions, "method" | "body"> = {}) =>
  api<T>(path, { ...extra, method: "POST", body });

/** A fresh Idempotency-Key: a retry of the same click reuses it, a new click gets a new one. */
export function idempotencyKey(): string {
  return `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** What to show for any error caught in a handler. */
export function message(error: unknown): string {
  if (error instanceof ApiError) return error.code === "network_error" ? error.detail : `${error.detail} (${error.code})`;
  return String((error as Error)?.message ?? error);
}
