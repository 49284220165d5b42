import type { LogRecord } from "../../bus/index.ts";
import type { ConversationMessage } from "../llm/provider.ts";

/** A requested call of the run's last iteration, as the log tells it. */
export interface LoggedCall {
  readonly callId: string;
  readonly name: string;
  readonly arguments: string;
  readonly iteration: number;
  status: "requested" | "started" | "finished";
  output?: string;
  isError?: boolean;
}

/**
 * Where a run the gateway stopped can pick up again: only when no call was running (a call that
 * had started may have done its work — it is interrupted, never re-run). That is a run waiting at
 * the approval gate, or between recording calls and starting them: nothing ran, so continuing is
 * safe and the person's pending approval keeps its meaning across the restart.
 */
export interface RunResume {
  /** The model's earlier turns and every finished result, in order (ids are the logged call ids). */
  readonly history: ConversationMessage[];
  /** The last iteration: its assistant turn and the calls still to run (requested, never started). */
  readonly iteration: number;
  readonly last: ConversationMessage;
  readonly lastResults: ReadonlyMap<string, ConversationMessage>;
  readonly pending: readonly LoggedCall[];
  readonly usedIds: ReadonlySet<string>;
}

/** Pure: rebuilds the tool side of a run from its events; undefined when it must not resume. */
export const resumePoint = (records: readonly LogRecord[]): RunResume | undefined => {
  const calls: LoggedCall[] = [];
  for (const r of records) {
    if (!r.ok || r.event.kind !== "run") continue;
    const e = r.event;
    if (e.type === "run.tool_call_requested") calls.push({ ...e.data, status: "requested" });
    const c = "callId" in e.data ? calls.find((x) => x.callId === (e.data as { callId: string }).callId) : undefined;
    if (!c) continue;
    if (e.type === "run.tool_started") c.status = "started";
    else if (e.type === "run.tool_finished") Object.assign(c, { status: "finished", output: e.data.output, isError: e.data.isError });
    else if (e.type === "run.tool_interrupted") return undefined;
  }
  if (calls.length === 0 || calls.some((c) => c.status === "started")) return undefined;
  const iteration = Math.max(...calls.map((c) => c.iteration));
  const pending = calls.filter((c) => c.status === "requested");
  // Earlier iterations are complete (the loop finishes all calls before the next model call).
  if (pending.some((c) => c.iteration !== iteration)) return undefined;
  const turn = (i: number): ConversationMessage => ({
    role: "assistant",
    text: "",
    toolCalls: calls.filter((c) => c.iteration === i).map((c) => ({ id: c.callId, name: c.name, arguments: c.arguments })),
  });
  const result = (c: LoggedCall): ConversationMessage => ({ role: "tool", toolCallId: c.callId, text: c.output ?? "", ...(c.isError ? { isError: true } : {}) });
  const history: ConversationMessage[] = [];
  for (let i = 1; i < iteration; i++) {
    const mine = calls.filter((c) => c.iteration === i);
    if (mine.length === 0) continue;
    history.push(turn(i), ...mine.map(result));
  }
  const lastResults = new Map(calls.filter((c) => c.iteration === iteration && c.status === "finished").map((c) => [c.callId, result(c)]));
  return { history, iteration, last: turn(iteration), lastResults, pending, usedIds: new Set(calls.map((c) => c.callId)) };
};
