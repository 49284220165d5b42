/**
 * Fuzz against a real edge (real nats-server, both transports where uWS loads): arbitrary WS
 * frames on one connected socket and arbitrary HTTP requests on every route. The gateway never
 * crashes (an uncaught error fails the run), every bad input gets a typed answer, memory stays
 * bounded. A modest count here; `npx tsx bench/fuzz.bench.ts` runs 100,000 cases.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import type { WsClient } from "../../fixtures/ws-client.ts";
import { edgeTransports, rawGet, startHarness, type Harness } from "./edge.harness.ts";
import { checkHttpAnswer, httpCase, malformedHttpCase, rssMb, sendRaw, wsCase, wsRoundTrip } from "./edge.fuzz.ts";

/** Per transport and kind; keeps the file well under 20 s on this 2-core machine. */
const RUNS = 300;

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  let stopStatus: () => void;
  beforeAll(async () => {
    // The per-connection rate limit would turn most frames into `rate_limited`; lift it so the
    // fuzz reaches the decoders and methods behind it.
    h = await startHarness({ transport, rateLimit: { ratePerSec: 1e9, burst: 1e9 }, requestTimeoutMs: 2_000 });
    stopStatus = h.serveStatus();
  });
  afterAll(async () => {
    stopStatus();
    await h.stop();
  });

  test("arbitrary WS frames: one typed answer each, on one connection that stays open", async () => {
    let c: WsClient = await h.connected();
    await fc.assert(
      fc.asyncProperty(wsCase, async (k) => {
        if ((await wsRoundTrip(c, k)) === "closed") c = await h.connected();
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(await c.request("status")).toMatchObject({ ok: true });
    c = await h.connected();
    expect(await c.request("status")).toMatchObject({ ok: true });
  });

  test("arbitrary HTTP requests on every route: a typed status each; /health still answers; memory bounded", async () => {
    const natsPid = h.nats.server.pid;
    const before = { edge: await rssMb(), nats: await rssMb(natsPid) };
    await fc.assert(
      fc.asyncProperty(httpCase, async (k) => {
        checkHttpAnswer(await sendRaw(h.edge.port, k), k);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // Malformed ones in batches sent at once (a transport may sit on one until its idle timeout).
    await fc.assert(
      fc.asyncProperty(fc.array(malformedHttpCase, { minLength: 25, maxLength: 25 }), async (batch) => {
        const answers = await Promise.all(batch.map((k) => sendRaw(h.edge.port, k)));
        for (const [i, a] of answers.entries()) checkHttpAnswer(a, batch[i]);
      }),
      { numRuns: Math.ceil(RUNS / 100), endOnFailure: true },
    );
    expect((await rawGet(h.edge.port, "/health")).status).toBe(200);
    // Generous: the fuzz's own garbage lives in this process too. A leak per request would not fit.
    expect((await rssMb()) - before.edge).toBeLessThan(200);
    expect((await rssMb(natsPid)) - before.nats).toBeLessThan(50);
  });
});
