// Reference bench server on npm socket.io 4.x, implementing shared/bench-contract.md.
// Start: PORT=3000 HOST=127.0.0.1 node bench/node_server.js
"use strict";
const http = require("node:http");
const { performance } = require("node:perf_hooks");
const { Server } = require("socket.io");

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || "127.0.0.1";

const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
const nowMs = () => performance.timeOrigin + performance.now();

// Join in a middleware: socket.io sends the CONNECT ack before the "connection" event fires,
// and the contract wants the room joined before the ack.
io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth && typeof auth.room === "string") socket.join(auth.room);
  next();
});

io.on("connection", (socket) => {
  socket.on("bench:publish", (p, ack) => {
    const room = String(p && p.room);
    const n = Number(p && p.n) || 0;
    const pad = "x".repeat(Math.max(0, (Number(p && p.size) || 0) - 48));
    const target = io.to(room);
    for (let i = 0; i < n; i++) target.emit("bench:event", { seq: i, t: nowMs(), pad });
    if (typeof ack === "function") ack(true);
  });
  socket.on("bench:ping", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(args.length ? args[0] : null);
  });
});

httpServer.listen(PORT, HOST, 1024, () => console.log(`node socket.io ${require("socket.io/package.json").version} bench server on ${HOST}:${PORT}`));
const stop = () => { io.close(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
