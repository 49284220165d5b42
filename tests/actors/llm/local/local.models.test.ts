import { mkdir, symlink, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultThreads,
  LOCAL_CAPABILITIES,
  LOCAL_SUPPORTS_TOOLS,
  listLocalModels,
  memoryTiers,
} from "../../../../actors/llm/local/index.ts";
import { makeTinyModel } from "../../../fixtures/gguf/index.ts";
import { tempDir } from "./local.helpers.ts";

describe("local model discovery", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it("finds *.gguf in <dataDir>/models by default, with sizes and local/<name> ids", async () => {
    const dataDir = join(dir, "data");
    const path = await makeTinyModel(join(dataDir, "models"), { fileName: "tiny-llama.gguf" });
    await writeFile(join(dataDir, "models", "README.txt"), "not a model");
    await mkdir(join(dataDir, "models", "sub.gguf")); // a directory, not a model
    const models = await listLocalModels(undefined, { dataDir });
    expect(models).toEqual([{ id: "local/tiny-llama", name: "tiny-llama", path, sizeBytes: expect.any(Number), source: "models_dir" }]);
    expect(models[0].sizeBytes).toBeGreaterThan(100_000);
  });

  it("lists model_path first (even when missing), then models_dir; split GGUFs by their first part", async () => {
    const modelsDir = join(dir, "mine");
    await makeTinyModel(modelsDir, { fileName: "b-model.gguf" });
    await makeTinyModel(modelsDir, { fileName: "A-Model.GGUF" });
    await makeTinyModel(modelsDir, { fileName: "huge-00001-of-00002.gguf" });
    await makeTinyModel(modelsDir, { fileName: "huge-00002-of-00002.gguf" });
    const single = await makeTinyModel(join(dir, "elsewhere"), { fileName: "chosen.gguf" });
    await symlink(single, join(modelsDir, "linked.gguf"));

    const models = await listLocalModels({ model_path: single, models_dir: modelsDir }, { dataDir: join(dir, "unused") });
    expect(models.map((m) => [m.id, m.source])).toEqual([
      ["local/chosen", "model_path"],
      ["local/A-Model", "models_dir"],
      ["local/b-model", "models_dir"],
      ["local/huge-00001-of-00002", "models_dir"],
      ["local/linked", "models_dir"],
    ]);

    const missing = await listLocalModels({ model_path: "gone.gguf" }, { dataDir: join(dir, "none"), baseDir: dir });
    expect(missing).toEqual([
      {
        id: "local/gone",
        name: "gone",
        path: join(dir, "gone.gguf"),
        sizeBytes: null,
        source: "model_path",
        problem: expect.stringContaining("does not exist"),
      },
    ]);
  });

  it("a missing models dir lists nothing", async () => {
    expect(await listLocalModels({}, { dataDir: join(dir, "nothing-here") })).toEqual([]);
  });
});

describe("local model capabilities and machine fit", () => {
  it("tools are not supported for local models", () => {
    expect(LOCAL_SUPPORTS_TOOLS).toBe(false);
    expect(LOCAL_CAPABILITIES.tools).toBe(false);
    expect(LOCAL_CAPABILITIES.note).toMatch(/tools/i);
  });

  it("memory tiers mark exactly the machine's tier", () => {
    const GB = 1024 ** 3;
    const current = (ram: number) => memoryTiers(ram).filter((t) => t.current);
    expect(current(2 * GB)).toMatchObject([{ maxRamGb: 4 }]);
    expect(current(8 * GB)).toMatchObject([{ maxRamGb: 8, suggestion: "1–3 B parameters at Q4" }]);
    expect(current(15.6 * GB)).toMatchObject([{ maxRamGb: 16 }]);
    expect(current(23 * GB)).toMatchObject([{ maxRamGb: 32 }]);
    expect(current(512 * GB)).toMatchObject([{ maxRamGb: null }]);
    const tiers = memoryTiers(8 * GB);
    expect(tiers.length).toBeGreaterThan(3);
    for (const t of tiers) expect(t.examples.length).toBeGreaterThan(0);
  });

  it("default threads: fewer than the CPUs available (one is left for the gateway), at least 1", () => {
    const n = defaultThreads();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(Math.max(1, availableParallelism() - 1));
  });
});
