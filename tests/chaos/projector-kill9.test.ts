/**
 * Issue 9, "a read model never stops silently": after each SIGKILL of the embedded nats-server
 * (three in a row, chat turns appended after each restart) the read models reach the log's last
 * event again and /health goes back to ok. The wait is bounded (30 s, well past the watchdog's
 * 5 s stall bound), not a speed goal.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, startGateway, startLlm, waitUntil } from "./chaos.helpers.ts";
import { getHealth, killNatsAndAppend } from "./projector.trial.ts";

afterEach(cleanupAll, 40_000);

describe("chaos: the projector after SIGKILLs of the nats-server", () => {
  it("catches up to the log after each of 3 crashes, and /health is ok again", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const first = await gw.cli(["chat", "--session", "proj", "before"], { timeoutMs: 30_000 });
    expect(first.code).toBe(0);
    for (let trial = 1; trial <= 3; trial++) {
      const r = await killNatsAndAppend(gw, { session: "proj", trial, chats: 2, boundMs: 30_000 });
      expect(
        r,
        `trial ${trial}: ${JSON.stringify(r.health)}\n${gw
          .output()
          .split("\n")
          .filter((l) => l.includes("projector"))
          .join("\n")}`,
      ).toMatchObject({ resumed: true, healthOk: true });
      expect(r.checkpoint).toBe(r.lastSeq);
      expect(r.lastSeq).toBe(5 + trial * 8); // session.created + 4 events per chat turn: nothing lost, nothing doubled
    }
    const h = await waitUntil("/health ok", async () => ((await getHealth(gw))?.code === 200 ? getHealth(gw) : undefined), 10_000);
    expect(h?.body).toMatchObject({ status: "ok", projections: { lag: 0, state: "ok" } });
    const status = await gw.cli(["status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).projections).toMatchObject({ state: "ok", lag: 0, checkpoint: 29, logLastSeq: 29 });
    const text = await gw.cli(["status"]);
    expect(text.stdout).toMatch(/^status: +ok$/m);
    expect(text.stdout).toMatch(/read models: ok — checkpoint 29 of 29 \(lag 0\)/);
  }, 240_000);
});
