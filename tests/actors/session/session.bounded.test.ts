import { describe, expect, test } from "vitest";
import { SnapshotStore, type EventLog } from "../../../bus/index.ts";
import { AggregateHost } from "../../../actors/runtime/index.ts";
import { createSessionSpec, SESSION_MACHINE_VERSION } from "../../../actors/session/index.ts";
import { useAgentSystems } from "../../fixtures/agent-system.ts";
import { chatUntilEnded } from "../../fixtures/stack.ts";

const ctx = useAgentSystems("cairn-bounded-");

/** Turns before the snapshot: 1 + 2 × 25 session events passes the host's default of one snapshot per 50. */
const TURNS = 25;
const question = (i: number) => `question ${i}: ${"q".repeat(50_000)}`;
const answer = (i: number) => `answer ${i}: ${"a".repeat(2_000)}`;

describe("the session aggregate stays bounded however long the conversation", () => {
  test("more than 1 MiB of transcript: the session still snapshots, hydrates, and the next prompt has every earlier turn", async () => {
    let sys = await ctx.start(undefined);
    const key = "big1";
    for (let i = 1; i <= TURNS; i++) {
      ctx.s.llm.script({ chunks: [answer(i)] });
      await chatUntilEnded(ctx.s.nc, key, question(i));
    }
    const transcriptBytes = Array.from({ length: TURNS }, (_, i) => question(i + 1).length + answer(i + 1).length).reduce((a, b) => a + b);
    expect(transcriptBytes).toBeGreaterThan(1024 * 1024);

    // The snapshot was written (a KV value is one NATS message: over 1 MiB it could not be), and it is small.
    const snapshots = await SnapshotStore.open(ctx.s.nc);
    await expect.poll(async () => (await snapshots.get("session", key))?.seq ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    const snap = (await snapshots.get("session", key))!;
    expect(snap.machineVersion).toBe(SESSION_MACHINE_VERSION);
    expect(Buffer.byteLength(JSON.stringify(snap))).toBeLessThan(8 * 1024);

    // A fresh host hydrates from it (loading only the events after it) to the state a full replay gives.
    const loads: number[] = [];
    const counting = {
      load: (kind: "session", id: string, after = 0) => {
        loads.push(after);
        return ctx.s.log.load(kind, id, after);
      },
    } as unknown as EventLog;
    const spec = createSessionSpec(() => "openai/test-model");
    const base = { now: () => 1, newId: () => "x", report: () => {} };
    const fromSnapshot = await new AggregateHost(spec, { ...base, log: counting, snapshots }).read(key);
    expect(loads).toEqual([snap.seq]);
    const replayed = await new AggregateHost(spec, { ...base, log: ctx.s.log, snapshots: { get: async () => null } as never }).read(key);
    expect(fromSnapshot.snapshot.context).toEqual(replayed.snapshot.context);
    expect(fromSnapshot.snapshot.value).toBe("idle");
    expect(fromSnapshot.snapshot.context.messageCount).toBe(2 * TURNS);

    // A new actor system (a restart: no caches) answers the next message with every earlier turn in the prompt.
    await sys.stop();
    sys = await ctx.start(undefined);
    ctx.s.llm.script({ chunks: ["the last answer"] });
    await chatUntilEnded(ctx.s.nc, key, "and now?");
    const prompt = (ctx.s.llm.requests.at(-1)!.body.messages as { role: string; content: string }[]).filter((m) => m.role !== "system");
    const expected = Array.from({ length: TURNS }, (_, i) => [
      { role: "user", content: question(i + 1) },
      { role: "assistant", content: answer(i + 1) },
    ]).flat();
    expect(prompt).toEqual([...expected, { role: "user", content: "and now?" }]);

    // The history people read (the read model) has every message, replies taken from the runs.
    await ctx.s.settled();
    const history = ctx.s.q.history(key, 1000).messages;
    expect(history).toHaveLength(2 * TURNS + 2);
    expect(history[1]).toMatchObject({ role: "assistant", text: answer(1), status: "complete" });
    expect(history.at(-1)).toMatchObject({ role: "assistant", text: "the last answer" });
  }, 180_000);
});
