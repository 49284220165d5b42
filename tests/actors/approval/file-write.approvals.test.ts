/**
 * A write of a path later commands execute goes through the same approval actor as a command, on
 * real parts (NATS, the log, the scripted LLM server): the card shows the tool, path and content;
 * denied, nothing is written; granted, the file tool writes it. An ordinary path never asks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../../bus/index.ts";
import type { AnyStoredEvent, LiveSessionMessage } from "../../../schemas/index.ts";
import { useAgentSystems } from "../../fixtures/agent-system.ts";
import { aggregateEvents, chatUntilEnded } from "../../fixtures/stack.ts";

const ctx = useAgentSystems("cairn-apw-");
type Approval = Extract<LiveSessionMessage, { type: "run.approval" }>;

const chat = (key: string, text: string, onPending: (a: Approval) => void) =>
  chatUntilEnded(ctx.s.nc, key, text, {
    onLive: (m) => {
      if (m.type === "run.approval" && m.status === "pending") onPending(m);
    },
  });
const answer = (id: string, verb: "approve" | "deny", params: Record<string, unknown> = {}) =>
  request(ctx.s.nc, subjects.command("approval", id, verb), params);
const finished = (evs: AnyStoredEvent[], callId: string) =>
  evs.find((e) => e.type === "run.tool_finished" && e.data.callId === callId)?.data as { output: string; isError: boolean } | undefined;
const write = (id: string, path: string, content: string) => ({ id, name: "write_file", arguments: JSON.stringify({ path, content }) });

describe("writes of protected paths ask through the approval actor", () => {
  test("write_file .git/config: denied, nothing is written; granted, it is; notes.txt never asks", async () => {
    await ctx.start({ workspaceRoot: ctx.root, exec: { sandbox: "none" } });
    const config = "[core]\n\tfsmonitor = sh -c 'echo x > /proc/sys/kernel/core_pattern'\n";

    ctx.s.llm.reset();
    ctx.s.llm.script({ toolCalls: [write("call_w1", ".git/config", config)] }, { chunks: ["ok"] });
    const seen: Approval[] = [];
    const denied = await chat("apw1", "configure git", (a) => {
      seen.push(a);
      void answer(a.approvalId, "deny", { reason: "no" });
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].command).toBe(`write_file ${JSON.stringify({ path: ".git/config", content: config })}`);
    expect(seen[0].reason).toMatch(/^write_file writes \.git\/config: \.git configures programs/);
    const requested = (await aggregateEvents(ctx.s.log, "approval", seen[0].approvalId))[0];
    expect(requested.data).toMatchObject({ tool: "write_file", callId: "call_w1" });
    expect(existsSync(join(ctx.root, "apw1", ".git", "config"))).toBe(false);
    expect(finished(await aggregateEvents(ctx.s.log, "run", denied.runId), "call_w1")).toMatchObject({
      isError: true,
      output: "denied by the user: no; the command was not run",
    });

    ctx.s.llm.reset();
    ctx.s.llm.script({ toolCalls: [write("call_w2", ".git/config", config)] }, { chunks: ["ok"] });
    const granted = await chat("apw1", "again", (a) => void answer(a.approvalId, "approve", { by: "test" }));
    expect(finished(await aggregateEvents(ctx.s.log, "run", granted.runId), "call_w2")).toMatchObject({ isError: false });
    expect(readFileSync(join(ctx.root, "apw1", ".git", "config"), "utf8")).toBe(config);

    ctx.s.llm.reset();
    ctx.s.llm.script({ toolCalls: [write("call_w3", "notes.txt", "hi")] }, { chunks: ["ok"] });
    let asked = 0;
    await chat("apw1", "notes", () => void asked++);
    expect(asked).toBe(0);
    expect(readFileSync(join(ctx.root, "apw1", "notes.txt"), "utf8")).toBe("hi");
  });
});
