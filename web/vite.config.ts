import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into the weftflow package as dist/web (served by `weft serve`, src/server/ui.ts). `npm run dev:web`
// serves it with hot reload and proxies /api to a `weft serve` on 127.0.0.1:4280.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  resolve: {
    alias: { "@client": fileURLToPath(new URL("../src/client/index.ts", import.meta.url)) },
  },
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // No inline script or data: URL for scripts (the Content-Security-Policy allows only 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target: "http://127.0.0.1:4280", ws: true } },
  },
});
