// Drives the official socket.io-client 4.x for storewire's integration tests.
//
// Protocol: newline-delimited JSON. Commands arrive on stdin, one object per line; every report goes
// to stdout as one object per line. Every report carries the `id` of the client it concerns.
//
//   {"cmd":"connect","id":"a","url":"http://...","auth":{...},"transports":["polling","websocket"],
//    "upgrade":true,"extraHeaders":{...}}
//       -> {"id":"a","type":"connect","sid":"...","transport":"polling"}
//       or {"id":"a","type":"connect_error","message":"...","data":<err.data or null>}
//       and, if the engine upgrades, {"id":"a","type":"upgrade","transport":"websocket"}
//   every event the server sends -> {"id":"a","type":"event","event":"order:created","args":[...]}
//   {"cmd":"emit","id":"a","event":"room:join","args":[{...}],"ack":true,"ackId":7}
//       -> {"id":"a","type":"ack","ackId":7,"args":[...]}   (only when "ack" is true)
//   {"cmd":"disconnect","id":"a"} -> {"id":"a","type":"disconnect","reason":"io client disconnect"}
//                                    then {"id":"a","type":"closed"}
//   a server-side disconnect -> {"id":"a","type":"disconnect","reason":"..."}
//   a bad command -> {"id":...,"type":"error","message":"..."}
// On end of stdin every client is closed and the process exits.

import { io } from "socket.io-client";

import { send, serve } from "./line_protocol.mjs";

const sockets = new Map();

// JSON cannot carry binary attachments: report them as {"$binary": "<base64>"}.
function plain(value) {
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value === undefined ? null : value;
}

function connect(command) {
  const { id, url } = command;
  if (sockets.has(id)) throw new Error(`client ${id} already exists`);
  const options = {
    transports: command.transports ?? ["polling", "websocket"],
    upgrade: command.upgrade ?? true,
    reconnection: false,
    forceNew: true,
    timeout: command.timeout ?? 10000,
  };
  if (command.auth !== undefined && command.auth !== null) options.auth = command.auth;
  if (command.extraHeaders) options.extraHeaders = command.extraHeaders;
  if (command.path) options.path = command.path;
  const socket = io(url, options);
  sockets.set(id, socket);

  // The engine exists as soon as io() returns (autoConnect), so no upgrade can be missed.
  socket.io.engine.on("upgrade", (transport) => send({ id, type: "upgrade", transport: transport.name }));
  socket.io.engine.on("upgradeError", (error) =>
    send({ id, type: "upgrade_error", message: String(error?.message ?? error) }),
  );
  socket.on("connect", () =>
    send({ id, type: "connect", sid: socket.id, transport: socket.io.engine.transport.name }),
  );
  socket.on("connect_error", (error) => {
    send({ id, type: "connect_error", message: error.message, data: plain(error.data) });
    socket.close();
  });
  socket.on("disconnect", (reason) => send({ id, type: "disconnect", reason }));
  socket.onAny((event, ...args) => send({ id, type: "event", event, args: plain(args) }));
}

function emit(command) {
  const socket = sockets.get(command.id);
  if (!socket) throw new Error(`no client ${command.id}`);
  const args = command.args ?? [];
  if (command.ack) {
    socket.emit(command.event, ...args, (...reply) =>
      send({ id: command.id, type: "ack", ackId: command.ackId, args: plain(reply) }),
    );
  } else {
    socket.emit(command.event, ...args);
  }
}

function disconnect(command) {
  const socket = sockets.get(command.id);
  if (!socket) throw new Error(`no client ${command.id}`);
  sockets.delete(command.id);
  socket.disconnect();
  send({ id: command.id, type: "closed" });
}

const handlers = { connect, emit, disconnect };

serve(handlers, () => {
  for (const socket of sockets.values()) socket.disconnect();
  sockets.clear();
});
