import { afterAll, beforeAll, expect, test } from "vitest";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { makeTinyModel } from "../fixtures/gguf/index.ts";

// A real gateway configured for a local GGUF model (the tiny random-weight one the tests make):
// the whole path from `cairn chat` through the run actor to node-llama-cpp and back.
let gw: GatewayProc;

beforeAll(async () => {
  gw = await startGatewayProc({ model: "local/tiny-llama" });
  await gw.kill("SIGTERM");
  mkdirSync(join(gw.dataDir, "models"), { recursive: true });
  await makeTinyModel(join(gw.dataDir, "models"));
  await gw.restart();
});
afterAll(async () => {
  await gw?.dispose();
});

test("cairn models lists the local model, with tools off", async () => {
  const r = await gw.cli(["models", "--provider", "local", "--json"]);
  expect(r.code).toBe(0);
  const models = JSON.parse(r.stdout).models as Array<{ id: string; tools: boolean | null }>;
  expect(models).toContainEqual(expect.objectContaining({ id: "local/tiny-llama", tools: false }));
});

test("cairn chat streams a reply from the local model and records usage", async () => {
  const r = await gw.cli(["chat", "--session", "loc", "--json", "hello"], { timeoutMs: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  // Random weights: the text is gibberish, so count deltas instead of reading them.
  expect(lines.filter((l) => l.type === "delta").length).toBeGreaterThan(0);
  expect(lines.at(-1)).toMatchObject({ type: "result", status: "completed" });
  const show = JSON.parse((await gw.cli(["sessions", "show", "loc", "--json"])).stdout);
  expect(show.usage.outputTokens).toBeGreaterThan(0);
  expect(show.usage.inputTokens).toBeGreaterThan(0);
});

test("a local model whose file is missing fails with a reason naming the file", async () => {
  const r = await gw.cli(["chat", "--session", "loc2", "--model", "local/nothere", "hi"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/nothere/);
});

test("the local provider's status carries memory-tier suggestions and the loaded model's state", async () => {
  const r = await gw.cli(["providers", "--json"]);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  const local = (out.providers ?? out).find((p: { id: string }) => p.id === "local");
  expect(local.memory.totalRamBytes).toBeGreaterThan(0);
  expect(local.memory.tiers.filter((t: { current: boolean }) => t.current)).toHaveLength(1);
  expect(local.loaded).toContainEqual(expect.objectContaining({ model: "tiny-llama", state: "ready", progress: 1 }));
});
