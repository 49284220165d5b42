/** The build's precompression: `.br` and `.gz` beside each text asset, only where they pay. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, expect, test } from "vitest";
import { precompress } from "../../ui/precompress.ts";

const dir = mkdtempSync(join(tmpdir(), "cairn-precompress-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("text assets get brotli and gzip copies that decode to the original; small files and images none", async () => {
  mkdirSync(join(dir, "dist", "assets"), { recursive: true });
  const js = "const a = 'cairn';\n".repeat(500);
  writeFileSync(join(dir, "dist", "assets", "app-1.js"), js);
  writeFileSync(join(dir, "dist", "index.html"), "<!doctype html>");
  writeFileSync(join(dir, "dist", "icon.png"), Buffer.alloc(4096, 7));
  const plugin = precompress() as unknown as {
    configResolved(c: { root: string; build: { outDir: string } }): void;
    closeBundle(): Promise<void>;
  };
  plugin.configResolved({ root: dir, build: { outDir: "dist" } });
  await plugin.closeBundle();
  const file = join(dir, "dist", "assets", "app-1.js");
  expect(brotliDecompressSync(readFileSync(`${file}.br`)).toString()).toBe(js);
  expect(gunzipSync(readFileSync(`${file}.gz`)).toString()).toBe(js);
  expect(readFileSync(`${file}.br`).length).toBeLessThan(js.length / 20);
  expect(existsSync(join(dir, "dist", "index.html.br"))).toBe(false);
  expect(existsSync(join(dir, "dist", "icon.png.br"))).toBe(false);
});
