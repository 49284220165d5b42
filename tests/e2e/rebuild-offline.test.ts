import { expect, test } from "vitest";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();

test("with the gateway stopped, projections rebuild from the log alone, and the gateway serves the rebuilt history", async () => {
  llm.script({ chunks: ["kept"] });
  expect((await gw.cli(["chat", "-s", "off-1", "remember me"])).code).toBe(0);
  const before = JSON.parse((await gw.cli(["sessions", "show", "off-1", "--json"])).stdout);
  expect(await gw.kill("SIGTERM")).toBe(0);

  const db = join(gw.dataDir, "projections", "projections.db");
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  const r = await gw.cli(["projections", "rebuild", "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, mode: "offline", events: expect.any(Number) });
  expect(existsSync(db)).toBe(true);
  // The rebuild released the data dir: no lock left, and the gateway starts on it.
  expect(existsSync(join(gw.dataDir, "gateway.lock"))).toBe(false);

  await gw.restart();
  const after = JSON.parse((await gw.cli(["sessions", "show", "off-1", "--json"])).stdout);
  expect(after).toEqual(before);
});
