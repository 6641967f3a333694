// Drives @storewire/client (clients/js, built into dist/) for storewire's integration tests.
//
// Protocol: newline-delimited JSON, like client.mjs. Commands on stdin, reports on stdout, each
// report with the `id` of the client it concerns.
//
//   {"cmd":"create","id":"a","url":"http://...","token":"...","position":{epoch,seq},"transports":[...]}
//       -> {"id":"a","type":"connect","sid":"..."} on every (re)connect of the socket
//          {"id":"a","type":"status","status":"connected"} on every status change
//          {"id":"a","type":"event","event":"order:created","args":[envelope]} for what the client
//              hands to the app (client.onAny: deduplicated)
//          {"id":"a","type":"event","event":"sync:recovered","args":[info]} (the socket's own listener)
//          {"id":"a","type":"resync","info":{...}} (onResync)   {"id":"a","type":"failure","error":{code,message}} (onError)
//   {"cmd":"join"|"leave","id":"a","room":"...","ackId":7} -> {"id":"a","type":"ack","ackId":7,"args":[ack]}
//   {"cmd":"offline","id":"a"}  the connection drops (the engine is closed) and stays down
//   {"cmd":"online","id":"a"}   reconnect after "offline"
//   {"cmd":"drop","id":"a"}     the connection drops and socket.io reconnects by itself
//   {"cmd":"state","id":"a","ackId":8} -> {"id":"a","type":"ack","ackId":8,"args":[{status,position,rooms}]}
//   {"cmd":"disconnect","id":"a"} -> client.close(), then {"id":"a","type":"closed"}
//   a bad command -> {"id":...,"type":"error","message":"..."}

import { createStorewire } from "../../clients/js/dist/index.js";
import { send, serve } from "./line_protocol.mjs";

const clients = new Map();

function get(id) {
  const client = clients.get(id);
  if (!client) throw new Error(`no client ${id}`);
  return client;
}

function create(command) {
  const { id } = command;
  if (clients.has(id)) throw new Error(`client ${id} already exists`);
  const client = createStorewire({
    url: command.url,
    ...(command.token ? { token: command.token } : {}),
    ...(command.position ? { position: command.position } : {}),
    socketOptions: {
      transports: command.transports ?? ["websocket"],
      forceNew: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      timeout: 10000,
    },
    onResync: (info) => send({ id, type: "resync", info }),
  });
  clients.set(id, client);
  client.onStatus((status) => send({ id, type: "status", status }));
  client.onError((error) => send({ id, type: "failure", error }));
  client.onAny((envelope) => send({ id, type: "event", event: envelope.type, args: [envelope] }));
  client.socket.on("connect", () => send({ id, type: "connect", sid: client.socket.id }));
  client.socket.on("sync:recovered", (info) => send({ id, type: "event", event: "sync:recovered", args: [info] }));
}

function acked(command, promise) {
  promise.then(
    (ack) => send({ id: command.id, type: "ack", ackId: command.ackId, args: [ack] }),
    (error) => send({ id: command.id, type: "error", message: String(error?.message ?? error) }),
  );
}

const handlers = {
  create,
  join: (command) => acked(command, get(command.id).join(command.room)),
  leave: (command) => acked(command, get(command.id).leave(command.room)),
  state: (command) => {
    const client = get(command.id);
    const state = { status: client.status, position: client.position, rooms: client.rooms };
    send({ id: command.id, type: "ack", ackId: command.ackId, args: [state] });
  },
  offline: (command) => {
    const { socket } = get(command.id);
    socket.io.reconnection(false);
    socket.io.engine.close();
  },
  online: (command) => {
    const { socket } = get(command.id);
    socket.io.reconnection(true);
    socket.connect();
  },
  drop: (command) => get(command.id).socket.io.engine.close(),
  disconnect: (command) => {
    const client = get(command.id);
    clients.delete(command.id);
    client.close();
    send({ id: command.id, type: "closed" });
  },
};

serve(handlers, () => {
  for (const client of clients.values()) client.close();
  clients.clear();
});
