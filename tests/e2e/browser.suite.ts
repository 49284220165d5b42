import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { type Browser, launchBrowser, resetBrowserRecords, startAll } from "./browser.helpers.ts";

export interface BrowserSuite {
  browser: Browser;
  llm: LlmServer;
  gw: GatewayProc;
  /** The gateway's config dir (its `cairn.toml`). */
  configDir: string;
}

/**
 * A browser test file's parts: the scripted LLM server, a real gateway process configured with
 * `toml`, and the browser, started before its tests and stopped after them; the LLM script and
 * the browser's records (page errors, dialogs) are reset before each test. The fields are set in
 * `beforeAll`.
 */
export function useBrowserSuite(o: { prefix: string; toml?: string }): BrowserSuite {
  const s = {} as BrowserSuite;
  beforeAll(async () => {
    s.llm = await startLlmServer();
    s.configDir = mkdtempSync(join(tmpdir(), o.prefix));
    if (o.toml) writeFileSync(join(s.configDir, "cairn.toml"), o.toml);
    const { started, failure } = await startAll(
      startGatewayProc({ llmBaseUrl: s.llm.url, extraEnv: { CAIRN_CONFIG_DIR: s.configDir } }),
      launchBrowser(),
    );
    [s.gw, s.browser] = started;
    if (failure) throw failure;
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([s.browser?.close(), s.gw?.dispose(), s.llm?.close()]);
    if (s.configDir) rmSync(s.configDir, { recursive: true, force: true });
  }, 60_000);
  beforeEach(() => {
    s.llm.reset();
    resetBrowserRecords(s.browser);
  });
  return s;
}
