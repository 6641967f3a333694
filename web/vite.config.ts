import preact from "@preact/preset-vite";
import { defineConfig, loadEnv } from "vite";

export default defineConfig(({ mode }) => {
  // `npm run dev` proxies the API and Socket.IO to this server (same origin as far as the browser knows).
  const server = loadEnv(mode, ".", "STOREWIRE_").STOREWIRE_URL ?? "http://127.0.0.1:8000";
  return {
    base: "/",
    plugins: [preact()],
    build: {
      // The Python package serves the build: `storewire serve` maps every page path to index.html and
      // /assets to this directory's assets (src/storewire/api/web_ui.py). Nothing built is committed.
      outDir: "../src/storewire/web/dist",
      emptyOutDir: true,
      target: "es2022",
      modulePreload: { polyfill: false },
    },
    server: {
      proxy: {
        "/api": server,
        "/socket.io": { target: server, ws: true },
        "/metrics": server,
        "/healthz": server,
      },
    },
  };
});
