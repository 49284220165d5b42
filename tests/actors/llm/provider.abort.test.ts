import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CairnError } from "../../../schemas/errors.ts";
import { collect, PROVIDER_CASES, useLlmServer } from "./llm.helpers.ts";

/** Aborting ends the iteration promptly, cancels the HTTP request, and says why. */
describe.each(PROVIDER_CASES)("$id provider abort", (pc) => {
  const server = useLlmServer();

  const stream = (signal?: AbortSignal) =>
    pc.make(server).stream({ model: "m", messages: [{ role: "user", text: "go" }], ...(signal ? { signal } : {}) });

  /** Waits until the server has seen the client go away. */
  const clientClosed = async (): Promise<boolean> => {
    for (let i = 0; i < 100 && !server.requests.at(-1)?.clientClosed; i++) await sleep(10);
    return server.requests.at(-1)?.clientClosed ?? false;
  };

  it("an abort mid-stream throws run_interrupted promptly, keeping the deltas so far", async () => {
    server.script({ hang: { chunkIntervalMs: 20, text: "tick " } });
    const ac = new AbortController();
    const deltas: string[] = [];
    let abortedAt = 0;
    let error: unknown;
    try {
      for await (const c of stream(ac.signal)) {
        if (c.type === "delta") deltas.push(c.text);
        if (deltas.length === 3 && !ac.signal.aborted) {
          abortedAt = performance.now();
          ac.abort("user pressed stop");
        }
      }
    } catch (e) {
      error = e;
    }
    // The server would stream forever: ending at all proves the abort; the bound allows a busy CI.
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe("run_interrupted");
    expect((error as CairnError).message).toContain("user pressed stop");
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(await clientClosed()).toBe(true);
  });

  it("an abort while waiting for the next chunk (consumer idle) ends promptly too", async () => {
    server.script({ chunks: ["a", "b"], chunkDelayMs: 5000 });
    const ac = new AbortController();
    const it = stream(ac.signal)[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual({ type: "delta", text: "a" });
    const pending = it.next();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: "run_interrupted" });
    expect(performance.now() - t0).toBeLessThan(1500); // the next chunk is 5 s away
    expect(await clientClosed()).toBe(true);
  });

  it("an abort with a CairnError reason throws that error (the caller picks the code)", async () => {
    server.script({ hang: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new CairnError("timeout", "run exceeded 60 s")), 100);
    const got = await collect(stream(ac.signal));
    expect(got.error?.code).toBe("timeout");
    expect(got.error?.message).toBe("run exceeded 60 s");
  });

  it("an abort before the response headers arrive", async () => {
    server.script({ firstByteDelayMs: 5000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    const got = await collect(stream(ac.signal));
    expect(got.error?.code).toBe("run_interrupted");
    expect(performance.now() - t0).toBeLessThan(2500); // the headers are 5 s away
  });

  it("an already aborted signal makes no request at all", async () => {
    const got = await collect(stream(AbortSignal.abort()));
    expect(got.error?.code).toBe("run_interrupted");
    await sleep(50);
    expect(server.requests).toHaveLength(0);
  });

  it("a consumer that stops iterating cancels the HTTP request", async () => {
    server.script({ hang: { chunkIntervalMs: 10 } });
    for await (const c of stream()) if (c.type === "delta") break;
    expect(await clientClosed()).toBe(true);
  });
});
