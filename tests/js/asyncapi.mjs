// Validates an AsyncAPI document with @asyncapi/parser (the AsyncAPI initiative's own parser and
// validator: the spec's JSON schemas plus its Spectral ruleset) for storewire's integration tests.
//
// Usage: node asyncapi.mjs < document.json
// Prints one JSON object to stdout:
//   {"diagnostics": [{"severity": "error"|"warning"|"information"|"hint", "code", "message", "path"}],
//    "parsed": true|false,
//    "messages": [{"id", "name"}],                         (every message of the document)
//    "operations": [{"id", "action", "channels": [address], "messages": [name], "replies": [name]}]}
// Exits 0 whenever it could run (the verdict is in the output), 2 on a usage error.

import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "information", "hint"];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const text = await readStdin();
if (!text.trim()) {
  process.stderr.write("usage: node asyncapi.mjs < document.json\n");
  process.exit(2);
}

const parser = new Parser();
const { document, diagnostics } = await parser.parse(text);
const report = {
  diagnostics: diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join("/"),
  })),
  parsed: document !== undefined,
  messages: [],
  operations: [],
};
if (document !== undefined) {
  report.messages = document
    .allMessages()
    .all()
    .map((m) => ({ id: m.id(), name: m.name() ?? null }));
  report.operations = document
    .operations()
    .all()
    .map((op) => {
      const reply = op.reply();
      return {
        id: op.id(),
        action: op.action(),
        channels: op.channels().all().map((c) => c.address()),
        messages: op.messages().all().map((m) => m.name() ?? null),
        replies: reply ? reply.messages().all().map((m) => m.name() ?? null) : [],
      };
    });
}
process.stdout.write(`${JSON.stringify(report)}\n`);
