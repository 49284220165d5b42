import { execVerdict, type ExecVerdict } from "../approval/index.ts";
import { PATH_WRITERS, protectedTarget } from "../tools/index.ts";
import type { RunEffectDeps } from "./run.deps.ts";

/** How much of a non-exec call's arguments the approval card shows. */
const MAX_SHOWN_ARGS = 2000;

/** What the approval gate decided about one call before anyone is asked. */
export interface CallVerdict {
  readonly verdict: ExecVerdict;
  /** What a person reads in the approval card (and what "always allow" remembers). */
  readonly command: string;
}

/**
 * Whether a call needs a person, or undefined when the gate has nothing to judge (a tool that is
 * neither dangerous nor a write to a protected path). One policy for every kind of call, so they
 * all go through the one approval actor:
 * - `exec` by its parsed command (`execVerdict`);
 * - a write of a path whose content later commands execute (`.git/`, `.envrc`, …) by that path;
 * - any other dangerous tool (the skill writers) asks unless approvals are off or the user chose
 *   "always allow" for it.
 */
export const callVerdict = async (
  deps: RunEffectDeps,
  name: string,
  rawArguments: string,
  args: Record<string, unknown>,
  workspace: () => Promise<string>,
  /** False for a channel sender below admin: the owner's "never", allowlist and "always allow" do not apply. */
  waivers = true,
  /** The run's own approval mode (a cron job's), over the configured one. */
  modeOverride?: "always" | "smart" | "never" | null,
): Promise<CallVerdict | undefined> => {
  const own = (await deps.settings?.()) ?? {};
  // What Settings changed wins over [tools.exec]; the run's own mode (a cron job's) over both.
  const exec = {
    ...deps.agent.exec,
    ...(own["tools.exec.approval_mode"] ? { approvalMode: own["tools.exec.approval_mode"] } : {}),
    ...(own["tools.exec.allowlist"] ? { allowlist: own["tools.exec.allowlist"] } : {}),
  };
  const configured = modeOverride ?? exec.approvalMode ?? "smart";
  const mode = waivers || configured !== "never" ? configured : "smart";
  const remembered = async () => (waivers ? ((await deps.approvals?.remembered()) ?? []) : []);
  if (name === "exec") {
    const command = args.command as string;
    return { command, verdict: await execVerdict(command, mode, waivers ? (exec.allowlist ?? []) : [], await remembered()) };
  }
  // "Always allow" remembers what the card showed: a clipped call could differ after the cut.
  const clipped = rawArguments.length > MAX_SHOWN_ARGS;
  const command = `${name} ${clipped ? `${rawArguments.slice(0, MAX_SHOWN_ARGS)}…` : rawArguments}`;
  let why: string;
  if (PATH_WRITERS.has(name) && typeof args.path === "string") {
    const reason = await protectedTarget(await workspace(), args.path);
    if (reason === undefined) return undefined;
    why = `${name} writes ${args.path}: ${reason}`;
  } else if (deps.agent.tools?.get(name)?.dangerous) {
    const tool = deps.agent.tools.get(name);
    why =
      tool?.source === "mcp"
        ? `${name} is a tool of the MCP server ${tool.server ?? "?"}, which asks before each call ([[mcp.servers]] approval)`
        : `${name} changes what the agent will do in later runs`;
  } else return undefined;
  if (mode === "never") return { command, verdict: { ask: false, why: "approval_mode is never" } };
  if (!clipped && (await remembered()).includes(command)) return { command, verdict: { ask: false, why: "always allowed by the user" } };
  return { command, verdict: { ask: true, why } };
};
