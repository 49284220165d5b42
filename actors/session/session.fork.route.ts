import { CairnError, decodeOrFail, type ForkSessionResult } from "../../schemas/index.ts";
import type { AggregateHost } from "../runtime/index.ts";
import type { SessionCommand } from "./session.commands.ts";
import { ForkParams, planFork, type CreateForkCommand } from "./session.fork.ts";
import type { sessionMachine } from "./session.machine.ts";
import type { Transcripts } from "./session.transcript.ts";

type SessionHost = AggregateHost<typeof sessionMachine, SessionCommand>;

/**
 * `cmd.session.<parentKey>.fork`. A decision sees only its own aggregate, so the fork is routed
 * here: read the parent, then let the fork's aggregate decide its one creation event
 * (`session.forked`, carrying the copied messages). The reply comes only once that event is
 * durable. Idempotent on `forkKey`: a fork that already exists from this parent is answered as is,
 * even if the parent has changed or been deleted since. The parent itself is never written.
 */
export async function forkSession(
  sessions: SessionHost,
  transcripts: Transcripts,
  parentKey: string,
  raw: unknown,
  /** Sends `create_fork` to the fork's aggregate, which another gateway may own. */
  createFork: CreateFork = (forkKey, plan) => sessions.execute(forkKey, { verb: "create_fork", params: plan }),
): Promise<ForkSessionResult> {
  const p = decodeOrFail(ForkParams, raw, "fork params");
  if (p.forkKey === parentKey) throw new CairnError("bad_request", "a fork needs a key of its own, not its parent's");
  const existing = (await sessions.read(p.forkKey)).snapshot;
  if (existing.value !== "new" && existing.value !== "deleted" && existing.context.fork?.parentKey === parentKey) {
    return { sessionKey: p.forkKey, parentKey, forkPoint: existing.context.fork.forkPoint };
  }
  const { snapshot: parent, lastSeq } = await sessions.read(parentKey);
  if (parent.value === "new") throw new CairnError("session_not_found", `no session '${parentKey}' to fork`);
  if (parent.value === "deleted") throw new CairnError("session_not_found", `session '${parentKey}' was deleted`);
  // The transcript as of the state just read, so "finished" means the same for both.
  const plan = planFork(parentKey, parent.context, await transcripts.read(parentKey, lastSeq), p);
  // The fork's host serializes this with any concurrent retry: the second one finds the fork made.
  return (await createFork(p.forkKey, plan)) as ForkSessionResult;
}

export type CreateFork = (forkKey: string, plan: CreateForkCommand) => Promise<unknown>;

/** `ActorSystem.fork`: forks `parentKey` (for the `branch_session` tool); a key is minted when none is given. */
export type ForkSession = (
  parentKey: string,
  params: { readonly messageIndex?: number; readonly label?: string; readonly forkKey?: string },
) => Promise<ForkSessionResult>;

export const forkSessionWith =
  (sessions: SessionHost, transcripts: Transcripts, newId: () => string, createFork?: CreateFork): ForkSession =>
  (parentKey, params) =>
    // Only the fork's own fields: callers may pass a wider object (the tool's `{ sessionKey, ... }`).
    forkSession(
      sessions,
      transcripts,
      parentKey,
      {
        forkKey: params.forkKey ?? `s-${newId().slice(0, 20)}`,
        ...(params.messageIndex !== undefined ? { messageIndex: params.messageIndex } : {}),
        ...(params.label !== undefined ? { label: params.label } : {}),
      },
      createFork,
    );
