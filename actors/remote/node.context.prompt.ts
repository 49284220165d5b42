import type { NodeContext } from "../../schemas/index.ts";

/** Upper bound of the node context added to a system prompt (AGENTS.md and skills together). */
export const MAX_NODE_CONTEXT_CHARS = 32_000;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}\n[… cut at ${n} characters]` : s);

/**
 * What a run routed to a node is told about it: where `exec` runs, and the project instructions
 * (AGENTS.md) and skills found in the node's working directory, which the node syncs on change.
 */
export const nodeContextPrompt = (node: { id: string; name: string; workingDir?: string }, ctx: NodeContext | null): string => {
  const where = `Your exec tool runs commands on the node "${node.name}" (${node.id})${node.workingDir ? `, in its working directory ${node.workingDir}` : ""}, not on the gateway.`;
  if (!ctx || (ctx.agentsMd === null && ctx.skills.length === 0)) return where;
  const parts = [where];
  let budget = MAX_NODE_CONTEXT_CHARS;
  if (ctx.agentsMd?.trim()) {
    const body = clip(ctx.agentsMd.trim(), budget);
    budget -= body.length;
    parts.push(`Project instructions from the node's AGENTS.md:\n${body}`);
  }
  if (ctx.skills.length > 0 && budget > 0) {
    const skills = ctx.skills.map((s) => `### ${s.name}\n${s.description ? `${s.description}\n\n` : ""}${s.body.trim()}`).join("\n\n");
    parts.push(`Skills of the node's working directory (.agents/skills):\n${clip(skills, budget)}`);
  }
  return parts.join("\n\n");
};
