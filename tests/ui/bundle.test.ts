/**
 * The UI takes its wire types from `schemas/` with `import type`, which the build erases. These
 * checks build the UI from its current sources (in memory: `ui/dist`, which running gateways
 * serve, is left alone) and prove that no runtime code of `schemas/` or `effect` entered the
 * bundle — one value import (even a constant) would pull in effect's Schema runtime.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { build, type Rolldown } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Bytes of JavaScript the UI may ship (minified, before gzip), as this build measures them.
 * Measured at 265 kB before, 317 kB after the sign-in, setup and Settings → Security pages and
 * @simplewebauthn/browser (~9 kB of it) arrived: Svelte's runtime, marked, DOMPurify and the app;
 * 400 kB after the Cron and MCP pages (~49 kB) and croner (~33 kB, the cron form's next runs in the
 * job's time zone). The bound leaves ~15% for the UI to grow. One value import from `schemas/` (even of a constant)
 * adds ~120 kB of effect, so the bound also trips on a leak that the module check would somehow
 * miss; raise it for real UI growth, never for effect. It counts what a first load fetches: the
 * entry and its static imports. Chunks loaded on demand (highlight.js, ~155 kB, fetched the first
 * time a reply has a code block) are bounded on their own. Measured at 181 kB (issue 20 item 9:
 * markdown, tool cards, search results, Settings and the sign-in pages became lazy chunks).
 */
const MAX_JS_BYTES = 240_000;
/** highlight.js with its common grammars, measured at 155 kB: a lazy chunk, never in the first load. */
const MAX_LAZY_JS_BYTES = 200_000;

let chunks: Rolldown.OutputChunk[] = [];

beforeAll(async () => {
  const result = await build({
    configFile: join(root, "ui", "vite.config.ts"),
    logLevel: "silent",
    build: { write: false },
  });
  const outputs = Array.isArray(result) ? result : [result];
  chunks = outputs.flatMap((o) => ("output" in o ? o.output : [])).filter((c): c is Rolldown.OutputChunk => c.type === "chunk");
}, 120_000);

describe("the UI bundle", () => {
  test("holds the app's own modules", () => {
    const ids = chunks.flatMap((c) => c.moduleIds);
    // A sanity check on what is inspected below: the entry and the client are in it.
    expect(ids).toContain(join(root, "ui", "src", "main.ts"));
    expect(ids).toContain(join(root, "ui", "src", "lib", "client.ts"));
  });

  test("contains no module of schemas/ or of the effect package", () => {
    const ids = chunks.flatMap((c) => c.moduleIds);
    const leaked = ids.filter((id) => id.startsWith(`${join(root, "schemas")}/`) || /[\\/]node_modules[\\/]effect[\\/]/.test(id));
    expect(leaked).toEqual([]);
  });

  test("contains none of effect's runtime signatures", () => {
    // effect 4 brands its runtime values with `~effect/<Module>` type ids (`~effect/Schema`,
    // `~effect/Effect`, ...); the UI has no reason to contain one.
    for (const c of chunks) expect(c.code.match(/~effect\/\w+/g) ?? [], c.fileName).toEqual([]);
  });

  /** The entry chunk and every chunk it imports statically: what a first load fetches. */
  const initial = () => {
    const byName = new Map(chunks.map((c) => [c.fileName, c]));
    const seen = new Set<Rolldown.OutputChunk>();
    const visit = (c: Rolldown.OutputChunk | undefined) => {
      if (!c || seen.has(c)) return;
      seen.add(c);
      for (const name of c.imports) visit(byName.get(name));
    };
    for (const c of chunks) if (c.isEntry) visit(c);
    return seen;
  };

  test(`a first load ships at most ${MAX_JS_BYTES / 1000} kB of JavaScript`, () => {
    const bytes = [...initial()].reduce((n, c) => n + Buffer.byteLength(c.code), 0);
    expect(bytes).toBeGreaterThan(50_000); // the build produced the app, not an empty shell
    expect(bytes).toBeLessThanOrEqual(MAX_JS_BYTES);
  });

  test(`the highlighter is loaded on demand (not in the first load), at most ${MAX_LAZY_JS_BYTES / 1000} kB`, () => {
    const first = initial();
    const isHljs = (c: Rolldown.OutputChunk) => c.moduleIds.some((id) => /[\\/]node_modules[\\/]highlight\.js[\\/]/.test(id));
    expect([...first].filter(isHljs).map((c) => c.fileName)).toEqual([]);
    const lazy = chunks.filter((c) => !first.has(c));
    expect(lazy.some(isHljs)).toBe(true);
    // Other pages load on demand too (Monitoring, with uPlot): the bound is the highlighter's own.
    expect(lazy.filter(isHljs).reduce((n, c) => n + Buffer.byteLength(c.code), 0)).toBeLessThanOrEqual(MAX_LAZY_JS_BYTES);
  });

  test("the first load is the chat view's: markdown, passkeys, tool cards, search results and Settings load on demand", () => {
    const first = [...initial()].flatMap((c) => c.moduleIds);
    const lazy = [
      /[\\/]node_modules[\\/](marked|dompurify)[\\/]/,
      /[\\/]node_modules[\\/]@simplewebauthn[\\/]/,
      /[\\/]components[\\/](ToolCard|SearchResults|SettingsPage|LoginPage|SetupPage)\.svelte$/,
    ];
    expect(first.filter((id) => lazy.some((re) => re.test(id)))).toEqual([]);
  });
});
