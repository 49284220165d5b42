import * as Schema from "effect/Schema";
import type { ForkSessionResult } from "../../schemas/index.ts";
import { defineTool, type Tool } from "./tool.registry.ts";

export const BranchSessionParams = Schema.Struct({
  message_index: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
      description: "Copy this many of the conversation's first messages (0-based fork point). Default: all finished messages.",
    }),
  ),
  label: Schema.optionalKey(
    Schema.String.check(Schema.isMaxLength(200)).annotate({ description: "A short human-readable name for the new session." }),
  ),
});

/** How the tool reaches the actor system (`ActorSystem.fork`), injected so the tool stays free of hosts. */
export type ForkFn = (p: { sessionKey: string; messageIndex?: number; label?: string }) => Promise<ForkSessionResult>;

/**
 * `branch_session`: forks the current conversation into an independent copy (messages up to the fork
 * point, same model and sandbox). Not dangerous: it only adds a session; this one is unchanged.
 * Errors (an index past the end) come back to the model as tool errors it can correct.
 */
export const branchSessionTool = (fork: ForkFn): Tool<typeof BranchSessionParams.Type> =>
  defineTool({
    name: "branch_session",
    description:
      "Fork this conversation into a new, independent session holding a copy of its messages up to `message_index` " +
      "(all finished messages when omitted). Useful to explore an alternative without changing this session. Returns the new session key.",
    source: "builtin",
    dangerous: false,
    params: BranchSessionParams,
    async run(args, ctx) {
      const r = await fork({
        sessionKey: ctx.sessionKey,
        ...(args.message_index !== undefined ? { messageIndex: args.message_index } : {}),
        ...(args.label !== undefined ? { label: args.label } : {}),
      });
      return {
        output: `created session ${r.sessionKey}: a fork of ${r.parentKey} with its first ${r.forkPoint} message(s)${args.label ? ` (label "${args.label}")` : ""}`,
      };
    },
  });
