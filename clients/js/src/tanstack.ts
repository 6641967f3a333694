// TanStack Query: every envelope's `invalidate` keys become `invalidateQueries` calls
// (docs/protocol.md, section 4). Types only from @tanstack/query-core: it is an optional peer.

import type { QueryClient } from "@tanstack/query-core";

import type { StorewireClient } from "./client.js";

export interface InvalidateOptions {
  /** On a resync (`recovered: false`: events were missed), invalidate every query (true). */
  resync?: boolean;
}

/**
 * Invalidate the queries each event names in its `invalidate` keys (prefix match, as TanStack
 * Query does), and every query when the client had to resync. Returns the function that stops it.
 */
export function invalidateOnEvents(
  client: Pick<StorewireClient, "onAny" | "onResync">,
  queryClient: Pick<QueryClient, "invalidateQueries">,
  options: InvalidateOptions = {},
): () => void {
  const stopEvents = client.onAny((envelope) => {
    if (!("invalidate" in envelope)) return; // ephemeral events invalidate nothing
    for (const key of envelope.invalidate) void queryClient.invalidateQueries({ queryKey: key });
  });
  const stopResync =
    options.resync === false ? () => {} : client.onResync(() => void queryClient.invalidateQueries());
  return () => {
    stopEvents();
    stopResync();
  };
}
