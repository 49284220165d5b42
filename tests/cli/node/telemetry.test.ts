import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as Schema from "effect/Schema";
import { afterEach, describe, expect, it } from "vitest";
import { createTelemetrySampler, ollamaModels, parseVersion } from "../../../cli/node/index.ts";
import { NodeTelemetry } from "../../../schemas/nodes.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

describe("node telemetry", () => {
  it("reports the contract's shape, key names but never key values", async () => {
    const ollama = await listen((_req, res) => res.end(JSON.stringify({ models: [{ name: "llama3.2:1b" }, { name: "qwen2.5:0.5b" }] })));
    const sampler = createTelemetrySampler({
      env: { PATH: process.env.PATH, OPENAI_API_KEY: "sk-secret", GROQ_API_KEY: "" },
      ollamaUrl: ollama,
    });
    const t = await sampler.sample();
    expect(Schema.is(NodeTelemetry)(t)).toBe(true);
    expect(t.cpus).toBeGreaterThan(0);
    expect(t.cpuUsage).toBeGreaterThanOrEqual(0);
    expect(t.cpuUsage).toBeLessThanOrEqual(1);
    expect(t.memTotal).toBeGreaterThan(t.memFree);
    expect(t.diskTotal).toBeGreaterThan(0);
    expect(t.runtimes.node).toBe(process.versions.node);
    expect(t.providers).toEqual({ ollama: ["llama3.2:1b", "qwen2.5:0.5b"], apiKeys: ["OPENAI_API_KEY"] });
    expect(JSON.stringify(t)).not.toContain("sk-secret");
    // a second sample measures CPU over the interval since the first
    const t2 = await sampler.sample();
    expect(JSON.stringify(t2)).not.toContain("sk-secret");
  });

  it("no Ollama answering is null, quickly", async () => {
    const dead = await listen((req) => req.socket.destroy());
    expect(await ollamaModels(dead)).toBeNull();
    expect(await ollamaModels("http://127.0.0.1:1")).toBeNull();
  });

  it("reads versions as runtimes print them", () => {
    expect(parseVersion("Python 3.11.2")).toBe("3.11.2");
    expect(parseVersion("go version go1.22.1 linux/amd64")).toBe("1.22.1");
    expect(parseVersion('openjdk version "17.0.9" 2023-10-17')).toBe("17.0.9");
    expect(parseVersion("v20.19.0")).toBe("20.19.0");
    expect(parseVersion("rustc 1.75.0 (82e1608df 2023-12-21)")).toBe("1.75.0");
  });
});
