// The line protocol shared by the Node drivers pytest starts (client.mjs, helper_client.mjs): one JSON
// command per stdin line, dispatched by its `cmd` to a handler; one JSON message per stdout line.

import { createInterface } from "node:readline";

export function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

// Run `handlers[command.cmd](command)` for each command line; a failing one answers `{type: "error"}`.
// When stdin closes, `closeAll()` runs, then the process leaves (after 100 ms, so close packets go out,
// even if a long-poll request is still open). Announces `{type: "ready"}`.
export function serve(handlers, closeAll) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    let command;
    try {
      command = JSON.parse(line);
      const handler = handlers[command.cmd];
      if (!handler) throw new Error(`unknown command ${JSON.stringify(command.cmd)}`);
      handler(command);
    } catch (error) {
      send({ id: command?.id ?? null, type: "error", message: String(error?.message ?? error) });
    }
  });
  lines.on("close", () => {
    closeAll();
    setTimeout(() => process.exit(0), 100);
  });
  send({ id: null, type: "ready" });
}
