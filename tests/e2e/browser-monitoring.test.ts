/**
 * The Monitoring page on real data: a real gateway (with a price table in its config), a few runs
 * through the scripted provider — two models, a tool call, a failure — then the page in Chromium:
 * the totals are the runs' figures, the charts draw them (uPlot canvases with points), the range
 * picker asks the gateway again, and the chat header shows the session's cost. `GET /api/metrics`
 * answers the same figures as JSON. Screenshots with CAIRN_SHOTS.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MetricsHistory } from "../../schemas/index.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { launchBrowser, oneTab, openApp, shoot, startAll, until, type Browser } from "./browser.helpers.ts";

const T = 90_000;
const cfg = mkdtempSync(join(tmpdir(), "cairn-monitoring-cfg-"));
writeFileSync(
  join(cfg, "cairn.toml"),
  [
    '[telemetry.prices."openai/test-model"]',
    "input = 2.5",
    "output = 10",
    '[telemetry.prices."anthropic/claude-test"]',
    "input = 3",
    "output = 15",
    "",
  ].join("\n"),
);

let browser: Browser;
let llm: LlmServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  const { started, failure } = await startAll(
    startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: cfg } }),
    launchBrowser(),
  );
  [gw, browser] = started;
  if (failure) throw failure;
  const chat = async (key: string, text: string, ...extra: string[]) => {
    const r = await gw.cli(["chat", "-s", key, ...extra, text], { timeoutMs: 60_000 });
    return r.code;
  };
  // Real runs: a tool call then an answer, a second model, a failure, and a plain answer.
  llm.script(
    {
      toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "notes.txt", content: "stones\n" }) }],
      usage: { inputTokens: 12_000, outputTokens: 400 },
      firstByteDelayMs: 400,
    },
    { chunks: ["Written."], usage: { inputTokens: 12_600, outputTokens: 900 }, firstByteDelayMs: 700 },
  );
  expect(await chat("mon-1", "write the notes")).toBe(0);
  llm.script({ chunks: ["Bonjour."], usage: { inputTokens: 30_000, outputTokens: 2_000 }, firstByteDelayMs: 1_200 });
  expect(await chat("mon-2", "say hello", "--model", "anthropic/claude-test")).toBe(0);
  llm.script({ error: { status: 400, message: "bad request" } });
  await chat("mon-3", "this one fails");
  llm.script({ chunks: ["Fine."], usage: { inputTokens: 8_000, outputTokens: 300 }, firstByteDelayMs: 200 });
  expect(await chat("mon-1", "and again")).toBe(0);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([browser?.close(), gw?.dispose(), llm?.close()]);
  rmSync(cfg, { recursive: true, force: true });
}, 60_000);

// openai: (12,000 + 12,600 + 8,000) × 2.5 + (400 + 900 + 300) × 10; anthropic: 30,000 × 3 + 2,000 × 15 (per million).
const OPENAI_COST = (32_600 * 2.5 + 1_600 * 10) / 1e6;
const ANTHROPIC_COST = (30_000 * 3 + 2_000 * 15) / 1e6;

const api = async (query: string) => {
  const r = await fetch(`${gw.url}/api/metrics${query}`);
  return { status: r.status, body: (await r.json()) as MetricsHistory & { error?: { code: string } } };
};

describe("monitoring", () => {
  test("GET /api/metrics: the runs' figures as JSON, cost from the configured prices; bad parameters are a 400", async () => {
    const h = await until(
      "the history has the four runs",
      () => api("?range=1h&step=5m"),
      (r) => r.status === 200 && r.body.totals.runs === 4,
    );
    expect(h.body.totals).toMatchObject({ runs: 4, failedRuns: 1, toolCalls: 1, inputTokens: 62_600, outputTokens: 3_600 });
    expect(h.body.totals.cost).toBeCloseTo(OPENAI_COST + ANTHROPIC_COST, 10);
    expect(h.body.models.map((m) => m.model).sort()).toEqual(["anthropic/claude-test", "openai/test-model"]);
    expect((await api("?range=soon")).status).toBe(400);
    expect((await api("?range=soon")).body.error?.code).toBe("bad_request");
  });

  test("off loopback /api/metrics needs a key with operator.read, like the rest of the API", async () => {
    // Behind an (untrusted) forwarding header the gateway treats the client as remote.
    const remote = { "X-Forwarded-For": "203.0.113.20" };
    const key = async (scopes: string) => {
      const r = await gw.cli(["auth", "keys", "create", "--label", `m-${scopes}`, "--scopes", scopes, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { key: string }).key;
    };
    const get = (headers: Record<string, string>) => fetch(`${gw.url}/api/metrics?range=1h`, { headers: { ...remote, ...headers } });
    expect((await get({})).status).toBe(401);
    expect((await get({ Authorization: `Bearer ${await key("operator.write")}` })).status).toBe(403);
    const ok = await get({ Authorization: `Bearer ${await key("operator.read")}` });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as MetricsHistory).totals.runs).toBeGreaterThanOrEqual(4);
  });

  test(
    "the page draws tokens, cost, latency, errors and activity; the range picker re-asks; the chat header shows the session's cost",
    async () => {
      const page = await oneTab(browser);
      await openApp(page, gw.url, "#/monitoring");
      await page.getByTestId("monitoring-link").waitFor();
      expect(await page.getByTestId("monitoring-link").getAttribute("aria-current")).toBe("page");
      await expect.poll(() => page.getByTestId("total-runs").textContent(), { timeout: 20_000 }).toBe("4");
      expect(await page.getByTestId("total-failed").textContent()).toBe("1");
      expect(await page.getByTestId("total-tokens").textContent()).toBe("62.6k / 3.6k");
      expect((await page.getByTestId("total-cost").textContent())?.trim()).toBe(`$${(OPENAI_COST + ANTHROPIC_COST).toFixed(2)}`);
      for (const chart of ["chart-tokens", "chart-cost", "chart-latency", "chart-errors", "chart-runs"]) {
        // uPlot drew a canvas, and the chart has data (no "nothing in this window").
        await page.getByTestId(chart).locator("canvas").first().waitFor();
        expect(await page.getByTestId(`${chart}-empty`).count(), chart).toBe(0);
      }
      // The legend names each model.
      expect(await page.getByTestId("chart-tokens").locator(".u-legend").textContent()).toContain("anthropic/claude-test");
      const rows = await page.getByTestId("models-table").locator("tbody tr").allTextContents();
      expect(rows.some((r) => r.includes("openai/test-model") && r.includes("32.6k"))).toBe(true);
      await shoot(page, "monitoring");

      // Another range is asked of the gateway (the request names it) and drawn.
      const asked = page.waitForRequest((r) => r.url().includes("/api/metrics?range=7d"));
      await page.getByTestId("range-7d").click();
      await asked;
      await expect.poll(() => page.getByTestId("range-7d").getAttribute("aria-checked")).toBe("true");
      await expect.poll(() => page.getByTestId("total-runs").textContent()).toBe("4");

      // Live: a new run shows up without a reload (the page polls while it is open).
      llm.script({ chunks: ["More."], usage: { inputTokens: 1_000, outputTokens: 10 } });
      expect((await gw.cli(["chat", "-s", "mon-4", "one more"], { timeoutMs: 60_000 })).code).toBe(0);
      await expect.poll(() => page.getByTestId("total-runs").textContent(), { timeout: 40_000 }).toBe("5");

      // The chat header: this session's tokens and its cost.
      await openApp(page, gw.url, "#/s/mon-2");
      await expect
        .poll(() => page.getByTestId("session-cost").textContent(), { timeout: 20_000 })
        .toContain(`$${ANTHROPIC_COST.toPrecision(2)}`);
      expect(await page.getByTestId("session-usage").getAttribute("title")).toContain("cost $0.12");
      await shoot(page, "monitoring-session-cost");
      await page.close();
    },
    T,
  );
});
