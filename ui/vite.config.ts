import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";
import { precompress } from "./precompress.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Builds the SPA into `ui/dist`, which the gateway's edge serves. Assets use relative paths, and
 * the open session lives in the URL hash, so the edge needs no SPA fallback route.
 * `vite --config ui/vite.config.ts` serves it for development, proxying `/ws` and `/api` to a gateway at
 * CAIRN_GATEWAY_URL (default http://127.0.0.1:13131). Text assets get `.br` and `.gz` copies
 * (`precompress.ts`) that the edge serves by the request's Accept-Encoding.
 */
export default defineConfig({
  root,
  base: "./",
  plugins: [svelte(), precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/ws": { target: process.env.CAIRN_GATEWAY_URL ?? "http://127.0.0.1:13131", ws: true },
      "/api": { target: process.env.CAIRN_GATEWAY_URL ?? "http://127.0.0.1:13131" },
    },
  },
});
