/**
 * The size of a session snapshot after N turns: the bytes `SnapshotStore.put` writes to KV
 * (`JSON.stringify({ seq, machineVersion, state: persist(snapshot) })`). Pure: the session's events
 * are folded through its machine as hydration does, no bus needed.
 *
 *   npx tsx bench/session.snapshot.size.ts [turns=100] [userChars=200] [replyChars=2000]
 *
 * The events carry the reply text in `session.run_ended` as version 1 did; a machine that no longer
 * reads it simply ignores it, so the same script measures the code before and after that change.
 */
import { initialTransition } from "xstate";
import { createSessionSpec } from "../actors/session/index.ts";
import { fold, persist } from "../actors/runtime/index.ts";

const [turns = 100, userChars = 200, replyChars = 2000] = process.argv.slice(2).map(Number);
const spec = createSessionSpec((m) => m ?? "test/model");
const text = (n: number, seed: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(n / 27) + 1).slice(seed % 7, (seed % 7) + n);

const events: Array<{ type: string; data: unknown }> = [{ type: "session.created", data: { key: "s-size", title: "", model: null } }];
for (let i = 0; i < turns; i++) {
  const runId = `r-${i}`;
  events.push({ type: "session.user_message", data: { messageId: `m-${i}`, text: text(userChars, i), runId } });
  events.push({ type: "session.run_ended", data: { runId, status: "completed", messageId: `a-${runId}`, text: text(replyChars, i + 1) } });
}
const start = initialTransition(spec.machine, spec.input("s-size") as never)[0];
const { snapshot } = fold(
  spec.machine,
  start as never,
  events.map((e, i) => ({ ...e, seq: i + 1, time: 1_700_000_000_000 + i }) as never),
);
const stored = JSON.stringify({ seq: events.length, machineVersion: spec.machineVersion, state: persist(snapshot as never) });
const transcriptBytes = turns * (userChars + replyChars);
console.log(
  `session snapshot after ${turns} turns (${userChars}+${replyChars} chars each, ${transcriptBytes} bytes of text): ${Buffer.byteLength(stored)} bytes`,
);
