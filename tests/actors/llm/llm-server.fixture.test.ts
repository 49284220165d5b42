import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAiProvider } from "../../../actors/llm/openai.provider.ts";
import { remoteRequests, resetRemote, scriptRemote, scriptRemoteModels } from "../../fixtures/llm-server/index.ts";
import { collect, TEST_KEY } from "./llm.helpers.ts";

/** The fixture as its own process: crash tests script it while a gateway child talks to it. */
describe("llm-server main.ts in a separate process", () => {
  let child: ChildProcess;
  let info: { url: string; openaiBaseUrl: string; anthropicBaseUrl: string; port: number; pid: number };

  beforeAll(async () => {
    child = spawn(process.execPath, ["--import", "tsx", "tests/fixtures/llm-server/main.ts"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`llm-server exited early with ${code}`)));
    });
    info = JSON.parse(line);
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("prints its URLs as one JSON line", () => {
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.openaiBaseUrl).toBe(`${info.url}/v1`);
    expect(info.anthropicBaseUrl).toBe(info.url);
    expect(info.pid).toBe(child.pid);
  });

  it("is scripted over HTTP and records requests with timestamps", async () => {
    await resetRemote(info.url);
    await scriptRemote(info.url, { chunks: ["remote ", "reply"], usage: { inputTokens: 3, outputTokens: 2 } });
    const t0 = performance.timeOrigin + performance.now();
    const provider = createOpenAiProvider({ apiKey: TEST_KEY, baseURL: info.openaiBaseUrl });
    const got = await collect(provider.stream({ model: "m", messages: [{ role: "user", text: "hi" }] }));
    expect(got.text).toBe("remote reply");
    const [rec] = await remoteRequests(info.url);
    expect(rec.body.messages).toEqual([{ role: "user", content: "hi" }]);
    // Wall-clock epoch ms, so another process can subtract its own timestamps from them.
    expect(rec.receivedAt).toBeGreaterThanOrEqual(t0 - 5);
    expect(rec.firstByteAt).toBeGreaterThanOrEqual(rec.receivedAt);
  });

  it("serves scripted model lists under any prefix, and Ollama tags", async () => {
    await scriptRemoteModels(info.url, { models: ["a", { id: "b", context_length: 4096 }], tags: ["c:latest"] });
    const list = await (await fetch(`${info.url}/api/v1/models`, { headers: { authorization: `Bearer ${TEST_KEY}` } })).json();
    expect(list).toMatchObject({
      object: "list",
      data: [
        { id: "a", object: "model" },
        { id: "b", context_length: 4096 },
      ],
    });
    const tags = await (await fetch(`${info.url}/api/tags`)).json();
    expect(tags.models.map((m: { name: string }) => m.name)).toEqual(["c:latest"]);
    await resetRemote(info.url);
    expect((await fetch(`${info.url}/api/tags`)).status).toBe(404);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
