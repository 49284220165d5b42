import { expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useGatewayWithLlm } from "../fixtures/gateway.ts";

const { llm, gw } = useGatewayWithLlm();

test("through the gateway, the model's write_file call writes into the session's workspace and the story is in the log", async () => {
  llm.script(
    { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "notes/todo.md", content: "- buy stones\n" }) }] },
    { chunks: ["Saved your list."] },
  );
  const r = await gw.cli(["chat", "-s", "tools-1", "write my todo list"]);
  // The call is shown compactly on stderr (stdout stays the reply).
  expect(r.stderr).toMatch(/^⚙ write_file {2}notes\/todo\.md\n {2}✓ write_file \d+ ms \(1 line\)\n$/);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Saved your list.");
  expect(readFileSync(join(gw.dataDir, "workspaces", "tools-1", "notes", "todo.md"), "utf8")).toBe("- buy stones\n");
  // The model offered the tools and got the result back.
  expect(llm.requests[0].body.tools.map((t: { function: { name: string } }) => t.function.name)).toContain("write_file");
  expect(JSON.stringify(llm.requests[1].body.messages)).toContain("tool_call_id");
  const types = (await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "100"])).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).type);
  expect(types).toEqual(["run.started", "run.tool_call_requested", "run.tool_started", "run.tool_finished", "run.completed"]);
});
