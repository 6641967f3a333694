// The order status flow as the server names it (commerce/orders/flow.py `FLOW`). The browser only uses
// it to label buttons and draw progress; the server decides whether a move is allowed (409 otherwise).

export const FLOW = ["pending", "confirmed", "preparing", "ready", "shipped", "delivered"] as const;

/** The step after `status` (null at the end of the flow, or for cancelled and refunded orders). */
export function nextStatus(status: string): string | null {
  const at = (FLOW as readonly string[]).indexOf(status);
  return at >= 0 && at < FLOW.length - 1 ? FLOW[at + 1]! : null;
}
