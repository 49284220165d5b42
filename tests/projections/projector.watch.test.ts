/** The projector watchdog's verdicts, on clock readings (no timers). */
import { describe, expect, it } from "vitest";
import { ProgressWatch } from "../../projections/projector.watch.ts";

const opts = { stallMs: 5_000, maxLag: 100, lagGraceMs: 30_000 };
const seen = (checkpoint: number, logLastSeq: number, following = true, failure: string | null = null) => ({
  checkpoint,
  logLastSeq,
  following,
  failure,
});

describe("ProgressWatch", () => {
  it("is ok while caught up, however long nothing happens", () => {
    const w = new ProgressWatch(opts);
    for (let t = 0; t <= 60_000; t += 10_000) expect(w.observe(seen(7, 7), t).state).toBe("ok");
  });

  it("calls a stall when the log moved and the checkpoint did not for the bound, and ok once caught up", () => {
    const w = new ProgressWatch(opts);
    expect(w.observe(seen(10, 10), 0).state).toBe("ok");
    expect(w.observe(seen(10, 15), 1_000).state).toBe("ok"); // behind, but only just
    const h = w.observe(seen(10, 15), 6_000);
    expect(h).toMatchObject({ state: "degraded", issue: "stalled", stalled: true });
    expect(h.reason).toMatch(/5 event\(s\) behind .* not advanced for 6 s/); // since it was last caught up, at 0
    w.restarted(6_000);
    expect(w.observe(seen(10, 15), 7_000).stalled).toBe(false); // the new consumer gets its bound
    expect(w.observe(seen(15, 15), 8_000)).toMatchObject({ state: "ok", issue: null, reason: null });
  });

  it("does not call a slow but progressing projector stalled", () => {
    const w = new ProgressWatch(opts);
    for (let t = 0, cp = 0; t <= 60_000; t += 4_000, cp += 1) expect(w.observe(seen(cp, cp + 50), t).state).toBe("ok");
  });

  it("reports a backlog above the bound that outlasts the grace period, even while progressing", () => {
    const w = new ProgressWatch(opts);
    expect(w.observe(seen(0, 500), 0).state).toBe("ok");
    expect(w.observe(seen(100, 600), 20_000).state).toBe("ok");
    const h = w.observe(seen(200, 700), 30_000);
    expect(h).toMatchObject({ state: "degraded", issue: "lagging", stalled: false });
    expect(w.observe(seen(650, 700), 31_000).state).toBe("ok"); // back under the bound
  });

  it("reports a consumer that is down (between a failure and its retry) with the failure", () => {
    const w = new ProgressWatch(opts);
    const h = w.observe(seen(3, 3, false, "consumer not found"), 0);
    expect(h).toMatchObject({ state: "degraded", issue: "consumer_failed", stalled: false });
    expect(h.reason).toContain("consumer not found");
    expect(h.reason).toContain("retrying from event 4");
  });
});
