/**
 * A setting changed through the settings actor is a fact in the log, not process state: a real
 * gateway process is stopped and started again on the same data dir, and the values set before
 * are still what Settings shows and what the next run uses.
 */
import { describe, expect, test } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../../fixtures/gateway.ts";

const T = 120_000;
const { llm, gw } = useGatewayWithLlm({ model: "openai/test-model" });

const rowOf = async (key: string) => {
  const r = await gw.cli(["settings", "list", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return jsonLines(r.stdout)[0].settings.find((s: { key: string }) => s.key === key);
};
const systemOf = (body: { messages: { role: string; content: unknown }[] }) =>
  body.messages.find((m) => m.role === "system")?.content ?? null;

describe("settings across a gateway restart", () => {
  test(
    "values set before a restart are still set after it, and the first run after it uses them",
    async () => {
      for (const [key, value] of [
        ["agent.system_prompt", "Answer in one line."],
        ["agent.max_iterations", "7"],
        ["tools.exec.approval_mode", "always"],
      ]) {
        const r = await gw.cli(["settings", "set", key, value]);
        expect(r.code, r.stderr).toBe(0);
      }
      expect(await gw.kill("SIGTERM")).toBe(0);
      await gw.restart();

      expect(await rowOf("agent.system_prompt")).toMatchObject({ value: "Answer in one line.", effective: "Answer in one line." });
      expect(await rowOf("agent.max_iterations")).toEqual({ key: "agent.max_iterations", value: 7, configured: 25, effective: 7 });
      expect(await rowOf("tools.exec.approval_mode")).toMatchObject({ value: "always", configured: "smart", effective: "always" });
      const chat = await gw.cli(["chat", "-s", "after-restart", "hello"]);
      expect(chat.code, chat.stderr).toBe(0);
      expect(systemOf(llm.requests.at(-1)?.body)).toBe("Answer in one line.");

      // Cleared after the restart, cairn.toml applies again, and that too survives the next one.
      expect((await gw.cli(["settings", "unset", "agent.max_iterations"])).code).toBe(0);
      expect(await gw.kill("SIGTERM")).toBe(0);
      await gw.restart();
      expect(await rowOf("agent.max_iterations")).toEqual({ key: "agent.max_iterations", value: null, configured: 25, effective: 25 });
    },
    T,
  );
});
